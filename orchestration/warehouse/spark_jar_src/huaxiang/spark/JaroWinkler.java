package huaxiang.spark;

import java.nio.charset.StandardCharsets;

import org.apache.hadoop.hive.ql.exec.UDF;

/**
 * DuckDB's jaro_winkler_similarity on Spark, as a Hive UDF (Spark has no Jaro-Winkler).
 * DuckDB compares UTF-8 bytes, not characters, so this does too. Each byte of a is matched to
 * the first unmatched equal byte of b within max(len) / 2 - 1 places; t is half the matched
 * bytes out of order; jaro = (m / len(a) + m / len(b) + (m - t) / m) / 3. Above 0.7, a common
 * prefix of up to 4 bytes adds 0.1 each of what is missing. An empty string is similar to
 * nothing, itself included. The arithmetic is DuckDB's, in the same order and with the same
 * roundings, so the doubles are equal, not near (tests/spark/test_spark_equality.py).
 */
public class JaroWinkler extends UDF {
    public Double evaluate(String left, String right) {
        if (left == null || right == null) {
            return null;
        }
        return Double.valueOf(similarity(left.getBytes(StandardCharsets.UTF_8),
                                         right.getBytes(StandardCharsets.UTF_8)));
    }

    public static double similarity(byte[] a, byte[] b) {
        int l1 = a.length;
        int l2 = b.length;
        if (l1 == 0 || l2 == 0) {
            return 0.0;
        }
        int window = Math.max(Math.max(l1, l2) / 2 - 1, 0);
        boolean[] usedB = new boolean[l2];
        byte[] matchedA = new byte[Math.min(l1, l2)];
        int m = 0;
        for (int i = 0; i < l1; i++) {
            int from = Math.max(0, i - window);
            int to = Math.min(l2 - 1, i + window);
            for (int k = from; k <= to; k++) {
                if (!usedB[k] && b[k] == a[i]) {
                    usedB[k] = true;
                    matchedA[m] = a[i];
                    m++;
                    break;
                }
            }
        }
        if (m == 0) {
            return 0.0;
        }
        int outOfOrder = 0;
        int p = 0;
        for (int k = 0; k < l2; k++) {
            if (usedB[k]) {
                if (matchedA[p] != b[k]) {
                    outOfOrder++;
                }
                p++;
            }
        }
        int t = outOfOrder / 2;
        double jaro = ((double) m / l1 + (double) m / l2 + (double) (m - t) / m) / 3.0;
        if (jaro <= 0.7) {
            return jaro;
        }
        int n = Math.min(4, Math.min(l1, l2));
        int prefix = 0;
        while (prefix < n && a[prefix] == b[prefix]) {
            prefix++;
        }
        // DuckDB's build fuses this multiply-add (one rounding, not two): so does Math.fma
        return Math.fma(prefix * 0.1, 1.0 - jaro, jaro);
    }
}
