package huaxiang.spark;

import java.nio.charset.StandardCharsets;

import org.apache.hadoop.hive.ql.exec.UDF;

/**
 * DuckDB's damerau_levenshtein on Spark, as a Hive UDF (Spark has no Damerau-Levenshtein): the
 * fewest insertions, deletions, substitutions and swaps of neighbouring bytes that turn a into b,
 * without the restriction that a swapped pair is not edited again (Lowrance and Wagner's
 * algorithm, as DuckDB counts it), over UTF-8 bytes as DuckDB does.
 */
public class DamerauLevenshtein extends UDF {
    public Long evaluate(String left, String right) {
        if (left == null || right == null) {
            return null;
        }
        return Long.valueOf(distance(left.getBytes(StandardCharsets.UTF_8),
                                     right.getBytes(StandardCharsets.UTF_8)));
    }

    public static long distance(byte[] a, byte[] b) {
        int la = a.length;
        int lb = b.length;
        if (la == 0) {
            return lb;
        }
        if (lb == 0) {
            return la;
        }
        long inf = (long) la + lb + 1;
        long[][] d = new long[la + 2][lb + 2];
        for (int i = 0; i < la + 2; i++) {
            for (int j = 0; j < lb + 2; j++) {
                d[i][j] = inf;
            }
        }
        for (int i = 0; i <= la; i++) {
            d[i + 1][1] = i;
        }
        for (int j = 1; j <= lb; j++) {
            d[1][j + 1] = j;
        }
        // the last row of a where each byte value was seen (0: not yet)
        int[] lastRowOf = new int[256];
        for (int i = 0; i < la; i++) {
            int lastColumn = 0;
            for (int j = 0; j < lb; j++) {
                int i1 = lastRowOf[b[j] & 0xff];
                int j1 = lastColumn;
                long cost = 1;
                if (a[i] == b[j]) {
                    cost = 0;
                    lastColumn = j + 1;
                }
                long best = d[i + 1][j + 1] + cost;
                best = Math.min(best, d[i + 2][j + 1] + 1);
                best = Math.min(best, d[i + 1][j + 2] + 1);
                best = Math.min(best, d[i1][j1] + (i - i1) + 1 + (j - j1));
                d[i + 2][j + 2] = best;
            }
            lastRowOf[a[i] & 0xff] = i + 1;
        }
        return d[la + 1][lb + 1];
    }
}
