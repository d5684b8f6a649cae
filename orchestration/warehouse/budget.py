"""One memory budget for the whole run, and a bound on DuckDB's spill.

A run is two processes that each open the warehouse: the Dagster process (ingestion and the
Python steps: model tags, rules, segments, exports) and dbt's. Left to itself DuckDB lets each
of them take 80 % of the machine's memory, so the two together may ask for 160 %; and it
spills past its limit into a temporary folder until the disk is nearly full (a 3M-customer
run once filled 42 GB that way, and the warehouse had no room left to grow).

So the operator sets one number, the memory the run's process tree may use
(`HUAXIANG_MEMORY_BUDGET`, default three quarters of the machine's memory or of the
container's limit), and the DuckDB limit of each process is derived from it:

* dbt's DuckDB gets the budget less a reserve (30 %) for what the tree holds outside that
  limit while dbt runs: the two Python interpreters (dbt's own with its manifest, and the
  waiting Dagster process with what the Python steps left in it) and what DuckDB allocates
  beyond its own limit. At 1M customers with an 8GB budget (7.45 GiB; `bench/suite.py`,
  2026-12-07) that was 2.0 to 2.2 GiB with the 1 GB reserve of before: dbt's process 0.5 to
  0.7 GiB above its DuckDB limit, the Dagster process 1.1 to 1.3 GiB, and the tree peaked at
  8.0 (full build) and 8.5 GiB (daily run). With this reserve and release_freed_memory()
  at the start of each dbt step: dbt's process 5.75 / 5.93 GiB against its 5.2 GiB limit, the
  Dagster process 0.61 / 0.65 GiB, the tree 6.38 / 6.60 GiB, and both runs were faster.
  The two processes never run queries at the same time: the Dagster process waits for dbt,
  and has closed its connections.
* the Python steps' DuckDB gets half the budget: the other half is for the data frames those
  steps hold (the model tags read a row per customer into pandas).

The spill bound (`HUAXIANG_SPILL_LIMIT`, DuckDB's `max_temp_directory_size`) defaults to four
times the memory budget: a query that needs more than that fails, naming the setting, instead
of filling the disk. DuckDB keeps its own bound too (90 % of the free space).

`HUAXIANG_DUCKDB_MEMORY_LIMIT` still sets both DuckDB limits to one value, for whoever needs
to; the budget is then not applied.
"""

from __future__ import annotations

import ctypes
import gc
import os
import re
from dataclasses import dataclass
from pathlib import Path

GIB = 2**30
OUTSIDE_DUCKDB_SHARE = 0.30
"""The share of the budget kept outside dbt's DuckDB limit (measured above: 27-30 % of it at
1M customers before the Dagster process handed back its freed memory, 16-19 % after)."""
MINIMUM_DUCKDB = 256 * 2**20
DEFAULT_SHARE_OF_MACHINE = 0.75
SPILL_PER_MEMORY = 4

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class BudgetError(ValueError):
    pass


def parse_size(text: str, setting: str) -> int:
    """'8GB', '8 GiB', '512MB', '1.5GB' -> bytes (DuckDB's units: GB = 10^9, GiB = 2^30)."""
    m = _SIZE.match(text or "")
    if not m:
        raise BudgetError(f"{setting}={text!r} is not a size: write it as DuckDB does, e.g. 8GB, 512MB or 6GiB")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()])


def machine_memory() -> int:
    """Physical memory, or the container's memory limit when it is lower (cgroup v2 / v1)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def _duckdb_size(n: int) -> str:
    """Bytes as DuckDB reads them, in whole MiB (stable text: it is part of the dbt profile)."""
    return f"{max(n // 2**20, 1)}MiB"


@dataclass(frozen=True)
class ResourceBudget:
    """What the run's process tree may use, and each DuckDB's share of it."""

    memory: int
    spill: int
    fixed_duckdb_limit: str | None = None  # HUAXIANG_DUCKDB_MEMORY_LIMIT: one limit for both

    @classmethod
    def resolve(cls, memory_budget: str | None, spill_limit: str | None,
                duckdb_memory_limit: str | None = None) -> "ResourceBudget":
        memory = (parse_size(memory_budget, "HUAXIANG_MEMORY_BUDGET") if memory_budget
                  else int(machine_memory() * DEFAULT_SHARE_OF_MACHINE) // 2**20 * 2**20)
        if memory < 2 * MINIMUM_DUCKDB:
            raise BudgetError(f"HUAXIANG_MEMORY_BUDGET={memory_budget!r} is less than 512MB: DuckDB "
                              "and the Python steps cannot run in that")
        spill = parse_size(spill_limit, "HUAXIANG_SPILL_LIMIT") if spill_limit else SPILL_PER_MEMORY * memory
        return cls(memory=memory, spill=spill, fixed_duckdb_limit=duckdb_memory_limit)

    @property
    def dbt_duckdb_limit(self) -> str:
        """dbt's DuckDB: the budget less what the tree holds outside it while dbt runs."""
        if self.fixed_duckdb_limit:
            return self.fixed_duckdb_limit
        reserve = int(self.memory * OUTSIDE_DUCKDB_SHARE)
        return _duckdb_size(max(self.memory - reserve, MINIMUM_DUCKDB))

    @property
    def steps_duckdb_limit(self) -> str:
        """The Python steps' DuckDB: half the budget, the other half for their data frames."""
        if self.fixed_duckdb_limit:
            return self.fixed_duckdb_limit
        return _duckdb_size(max(self.memory // 2, MINIMUM_DUCKDB))

    @property
    def spill_limit(self) -> str:
        return _duckdb_size(self.spill)

    def describe(self) -> str:
        if self.fixed_duckdb_limit:
            return (f"DuckDB memory limit {self.fixed_duckdb_limit} in each process "
                    f"(HUAXIANG_DUCKDB_MEMORY_LIMIT; no budget applied), spill up to {self.spill_limit}")
        return (f"memory budget {self.memory / GIB:.1f} GiB for the run (dbt's DuckDB {self.dbt_duckdb_limit}, "
                f"the Python steps' DuckDB {self.steps_duckdb_limit}), spill up to {self.spill_limit}")


def release_freed_memory() -> None:
    """Hand the memory the Python steps freed back to the system before a dbt step starts dbt.

    Freed objects stay resident in this process otherwise: glibc keeps freed heap pages and
    Arrow's allocator its freed buffers until they are needed again, and this process only
    waits while dbt works, so the run's tree would hold them beside dbt's DuckDB. Best effort:
    on a system without glibc the call is skipped."""
    gc.collect()
    try:
        import pyarrow
        pyarrow.default_memory_pool().release_unused()
    except (ImportError, AttributeError):
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
