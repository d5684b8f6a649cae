"""The jar of Spark functions the project needs and Spark lacks: Jaro-Winkler and
Damerau-Levenshtein as DuckDB computes them (spark_jar_src/, Hive UDFs). In Spark SQL's
higher-order functions they cost about 8 ms a pair, which kept the demo from finishing on
Spark; compiled, they cost about a microsecond.

The jar is built from the sources on first use, with the Janino compiler that ships inside
pyspark (so a Java runtime is enough, no JDK), into a file named after the sources' digest:
a changed source is a new jar, an unchanged one is never rebuilt. Its bytes do not depend on
when it was built. For a cluster, build it once (`python -m orchestration.warehouse.spark_jar
DIR`) and add it to the cluster's `spark.jars` (docs/spark.md)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SOURCES = Path(__file__).with_name("spark_jar_src")


class SparkJarError(RuntimeError):
    """The functions' jar could not be built; the message says why."""


def _sources() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def jar_name() -> str:
    digest = hashlib.sha256()
    for source in _sources():
        digest.update(source.relative_to(SOURCES).as_posix().encode() + b"\0" + source.read_bytes())
    return f"huaxiang-spark-functions-{digest.hexdigest()[:12]}.jar"


def pyspark_jars() -> Path:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or not spec.submodule_search_locations:
        raise SparkJarError("the Spark functions' jar needs pyspark (the `spark` extra)")
    return Path(next(iter(spec.submodule_search_locations))) / "jars"


def build_jar(out_dir: Path) -> Path:
    """The jar in `out_dir`, built if it is not there yet."""
    jar = out_dir / jar_name()
    if jar.exists():
        return jar
    out_dir.mkdir(parents=True, exist_ok=True)
    jars = pyspark_jars()
    hive = sorted(jars.glob("hive-exec-*.jar"))
    if not hive:
        raise SparkJarError(f"no hive-exec jar in {jars}: the Spark functions are Hive UDFs")
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        classes = Path(tmp) / "classes"
        command = [java, "-cp", os.pathsep.join(str(p) for p in sorted(jars.glob("*.jar"))),
                   "org.codehaus.commons.compiler.samples.CompilerDemo",  # Janino's javac
                   "-d", str(classes), "-classpath", str(hive[0]), "-encoding", "UTF-8",
                   *[str(s) for s in _sources()]]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SparkJarError(f"could not compile the Spark functions ({SOURCES}): {exc}") from exc
        if done.returncode != 0:
            raise SparkJarError(f"could not compile the Spark functions ({SOURCES}):\n"
                                f"{(done.stderr or done.stdout).strip()}")
        part = Path(tmp) / jar.name
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
            manifest = zipfile.ZipInfo("META-INF/MANIFEST.MF", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(manifest, "Manifest-Version: 1.0\r\n\r\n")
            for path in sorted(classes.rglob("*.class")):
                entry = zipfile.ZipInfo(path.relative_to(classes).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                archive.writestr(entry, path.read_bytes(), zipfile.ZIP_DEFLATED)
        part.replace(jar)  # atomic: another process may be building the same jar
    return jar


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m orchestration.warehouse.spark_jar OUT_DIR")
    try:
        print(build_jar(Path(sys.argv[1])))
    except SparkJarError as exc:
        sys.exit(str(exc))
