"""Serialising exports: CSV and JSON Lines built as Arrow strings, Parquet via pyarrow.

Lines are composed with Arrow kernels and written straight from the Arrow data buffer,
which keeps tens of millions of rows fast and byte-for-byte deterministic. GB18030 is
produced by re-encoding the UTF-8 bytes chunk by chunk (DuckDB cannot write it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import text as T
from .dirt import DirtLog, RowPlan, corrupt_csv_line, corrupt_jsonl_line, plan_rows

CHUNK_ROWS = 500_000


@dataclass
class TextExport:
    """A CSV or JSON Lines file as logical rows (before duplicates and the malformed line).

    ``columns`` hold Arrow strings; for JSON Lines, columns named in ``raw`` already hold
    JSON fragments (numbers, or pre-quoted strings) and are written verbatim.
    """

    relpath: str
    kind: str                               # "csv" | "jsonl"
    columns: dict[str, pa.Array]
    defects: dict[str, np.ndarray] = field(default_factory=dict)
    raw: frozenset[str] = frozenset()
    delimiter: str = ","
    encoding: str = "utf-8"
    dup_rate: float = 0.005
    malformed: bool = True
    records: np.ndarray | None = None       # customer exports: the record index of each logical row

    @property
    def n(self) -> int:
        """Number of logical rows."""
        return len(next(iter(self.columns.values()))) if self.columns else 0


@dataclass
class ParquetExport:
    """A Parquet file as logical rows; its dirt lives in values, plus exact duplicate rows."""

    relpath: str
    table: pa.Table
    defects: dict[str, np.ndarray] = field(default_factory=dict)
    dup_rate: float = 0.0


# ---------------------------------------------------------------------------- lines
def csv_lines(columns: dict[str, pa.Array], delimiter: str) -> pa.Array:
    """One CSV line per row (no newline); fields are quoted only where needed."""
    fields = []
    for col in columns.values():
        s = pc.fill_null(col.cast(pa.string()), "")
        special = pc.match_substring_regex(s, f'[{_regex_escape(delimiter)}"\\n\\r]')
        if pc.any(special).as_py():
            quoted = T.join('"', pc.replace_substring(s, '"', '""'), '"')
            s = pc.if_else(special, quoted, s)
        fields.append(s)
    return pc.binary_join_element_wise(*fields, delimiter)


def _regex_escape(ch: str) -> str:
    """Escape a delimiter for use inside a regex character class."""
    return "\\" + ch if ch in "\\^]-|" else ch


def jsonl_lines(columns: dict[str, pa.Array], raw: frozenset[str] = frozenset()) -> pa.Array:
    """One compact JSON object per row (keys in column order); nulls become ``null``."""
    parts: list[pa.Array | str] = []
    for i, (name, col) in enumerate(columns.items()):
        parts.append(("{" if i == 0 else ",") + '"' + name + '":')
        if name in raw:
            parts.append(pc.fill_null(col, "null"))
        else:
            s = col.cast(pa.string())
            if _needs_json_escape(s):
                s = pc.replace_substring(s, "\\", "\\\\")
                s = pc.replace_substring(s, '"', '\\"')
                for code in range(32):
                    s = pc.replace_substring(s, chr(code), f"\\u{code:04x}")
            parts.append(pc.fill_null(T.join('"', s, '"'), "null"))
    parts.append("}")
    return pc.binary_join_element_wise(*parts, "")


_JSON_SPECIAL = np.zeros(256, dtype=bool)
_JSON_SPECIAL[:32] = True
_JSON_SPECIAL[[ord('"'), ord("\\")]] = True


def _needs_json_escape(arr: pa.Array) -> bool:
    """Whether any value holds a quote, backslash or control byte (checked on the raw buffer)."""
    arr = arr.cast(pa.large_string())
    if len(arr) == 0 or arr.buffers()[2] is None:
        return False
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return bool(_JSON_SPECIAL[data].any())


def _line_bytes(lines: pa.Array, encoding: str) -> bytes:
    """The file bytes of some lines: each line plus ``\\n``, straight from the Arrow buffer."""
    arr = pc.binary_join_element_wise(lines, "\n", "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if len(arr) == 0:
        return b""
    arr = arr.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    data = memoryview(arr.buffers()[2])[offsets[0]:offsets[-1]].tobytes()
    return data if encoding.replace("-", "").lower() == "utf8" else data.decode("utf-8").encode(encoding)


# ---------------------------------------------------------------------------- files
def write_text_export(landing: Path, exp: TextExport, rng: np.random.Generator, log: DirtLog) -> int:
    """Write a CSV/JSONL export with duplicates and one malformed line; log its dirt."""
    lines = csv_lines(exp.columns, exp.delimiter) if exp.kind == "csv" else jsonl_lines(exp.columns, exp.raw)
    plan = plan_rows(rng, exp.n, exp.dup_rate, exp.malformed)
    corrupt: Callable[[str], str] = (lambda s: corrupt_csv_line(s, exp.delimiter)) if exp.kind == "csv" \
        else corrupt_jsonl_line
    header = exp.delimiter.join(exp.columns) if exp.kind == "csv" else None
    path = landing / exp.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        if header is not None:
            f.write((header + "\n").encode(exp.encoding))
        _write_planned(f, lines, plan, corrupt, exp.encoding)
    log.log_plan(exp.relpath, plan, exp.defects)
    return plan.n_lines


def _write_planned(f, lines: pa.Array, plan: RowPlan, corrupt: Callable[[str], str], encoding: str) -> None:
    """Stream the planned lines in chunks, inserting the malformed line at its position."""
    m = plan.malformed_at
    segments = [(0, len(plan.order))] if m is None else [(0, m), (m, len(plan.order))]
    for k, (lo, hi) in enumerate(segments):
        if k == 1:
            bad = corrupt(lines[int(plan.order[m])].as_py())
            f.write((bad + "\n").encode(encoding))
        for start in range(lo, hi, CHUNK_ROWS):
            idx = plan.order[start:min(hi, start + CHUNK_ROWS)]
            f.write(_line_bytes(lines.take(pa.array(idx)), encoding))


def write_parquet_export(landing: Path, exp: ParquetExport, rng: np.random.Generator, log: DirtLog) -> int:
    """Write a Parquet export (with exact duplicate rows when asked); log its dirt."""
    plan = plan_rows(rng, exp.table.num_rows, exp.dup_rate, malformed=False)
    table = exp.table.take(pa.array(plan.order))
    path = landing / exp.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)
    log.log_plan(exp.relpath, plan, exp.defects)
    return table.num_rows


def write_plain_csv(path: Path, columns: dict[str, pa.Array]) -> int:
    """Ground-truth CSV (UTF-8, comma, header), no defects."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = csv_lines(columns, ",")
    with open(path, "wb") as f:
        f.write((",".join(columns) + "\n").encode("utf-8"))
        for start in range(0, len(lines), CHUNK_ROWS):
            f.write(_line_bytes(lines.slice(start, CHUNK_ROWS), "utf-8"))
    return len(lines)
