"""Readers for line-based landing files (CSV, JSON Lines) that never lose a row.

Why not let DuckDB parse them: its CSV/JSON readers either stop at the first bad line or skip
bad lines without telling which, and neither reports the line number of the rows it keeps.
We need both, because every input row must end either loaded (with its file and line as
lineage) or rejected (with its raw text and a reason a person understands). So these readers
stream the file line by line, keep the physical line number where each record starts, and
recover after a broken line instead of swallowing the rest of the file. Parquet files are
typed and row-addressable, so the loader reads them with DuckDB directly.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.sources_config import CsvOptions

MAX_CONTINUATION_LINES = 50
"""A quoted CSV field may span lines; past this many we call the quote unbalanced."""


@dataclass
class Reject:
    row_number: int | None
    raw_text: str | None
    reason: str


@dataclass
class Chunk:
    """Up to `batch_size` good records of one file, column-oriented, plus the rejects met."""

    columns: dict[str, list[str | None]]
    row_numbers: list[int] = field(default_factory=list)
    row_hashes: list[str] = field(default_factory=list)
    unmapped: list[str | None] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.row_numbers)


class FileSchemaError(Exception):
    """The file cannot be mapped at all (for example a mapped column is missing)."""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _decode(raw: bytes, encoding: str, lineno: int) -> tuple[str | None, Reject | None]:
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as exc:
        shown = raw.decode(encoding, errors="replace").rstrip("\r\n")
        return None, Reject(lineno, shown,
                            f"line is not valid {encoding} text (bad byte at position {exc.start})")


def _strip_eol(text: str) -> str:
    return text.rstrip("\r\n")


def _preview(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def read_csv_chunks(
    path: Path, opts: CsvOptions, wanted: dict[str, str], batch_size: int = 100_000
) -> Iterator[Chunk]:
    """Yield chunks of the CSV file's records, with `wanted` = {output name: header name}.

    Raises FileSchemaError if the header lacks a wanted column; the caller then rejects every
    row with that reason rather than loading a half-mapped file.
    """
    encoding = opts.encoding.lower()
    header_encoding = "utf-8-sig" if encoding in ("utf-8", "utf8") else opts.encoding
    with open(path, "rb") as fh:
        first = fh.readline()
        if not first:
            return
        try:
            header_text = _strip_eol(first.decode(header_encoding))
        except UnicodeDecodeError as exc:
            raise FileSchemaError(
                f"the header line is not valid {opts.encoding} text (byte {exc.start}); "
                "check the encoding declared for this source") from None
        header = [h.strip() for h in next(csv.reader([header_text], delimiter=opts.delimiter,
                                                     quotechar=opts.quote))]
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise FileSchemaError(f"the header repeats column(s) {dupes}")
        missing = [src for src in wanted.values() if src not in header]
        if missing:
            raise FileSchemaError(
                f"the header has no column(s) {missing} named in the sources file; "
                f"its columns are {header} (delimiter {opts.delimiter!r})")
        index = {name: header.index(src) for name, src in wanted.items()}
        mapped_idx = set(index.values())
        unmapped_idx = [i for i in range(len(header)) if i not in mapped_idx]
        ncols = len(header)

        lines: list[tuple[int, bytes]] = []  # push-back buffer for recovery
        line_iter = enumerate(fh, start=2)

        def next_line() -> tuple[int, bytes] | None:
            if lines:
                return lines.pop()
            return next(line_iter, None)

        chunk = Chunk(columns={name: [] for name in index})

        def accept(lineno: int, text: str, fields: list[str]) -> None:
            for name, i in index.items():
                value = fields[i]
                chunk.columns[name].append(value if value != "" else None)
            chunk.row_numbers.append(lineno)
            chunk.row_hashes.append(_md5(text))
            if unmapped_idx:
                extra = {header[i]: fields[i] for i in unmapped_idx if fields[i] != ""}
                chunk.unmapped.append(json.dumps(extra, ensure_ascii=False) if extra else None)
            else:
                chunk.unmapped.append(None)

        def parse(text: str) -> list[str]:
            if opts.quote not in text:
                return text.split(opts.delimiter)
            return next(csv.reader([text], delimiter=opts.delimiter, quotechar=opts.quote))

        while True:
            item = next_line()
            if item is None:
                break
            lineno, raw = item
            text, bad = _decode(raw, opts.encoding, lineno)
            if bad:
                chunk.rejects.append(bad)
                continue
            text = _strip_eol(text)
            if text.strip() == "":
                chunk.rejects.append(Reject(lineno, text, "empty line"))
                continue
            if text.count(opts.quote) % 2 == 1:
                # A quoted field may continue on the next lines; try to close it.
                taken: list[tuple[int, bytes]] = []
                joined = text
                while joined.count(opts.quote) % 2 == 1 and len(taken) < MAX_CONTINUATION_LINES:
                    nxt = next_line()
                    if nxt is None:
                        break
                    taken.append(nxt)
                    more, _ = _decode(nxt[1], opts.encoding, nxt[0])
                    joined += "\n" + _strip_eol(more if more is not None else "")
                if taken and joined.count(opts.quote) % 2 == 0:
                    fields = parse(joined)
                    if len(fields) == ncols:
                        accept(lineno, joined, fields)
                        continue
                lines.extend(reversed(taken))  # give the borrowed lines back
                chunk.rejects.append(Reject(
                    lineno, text,
                    f"unbalanced quote ({opts.quote}): the quoted field never closes "
                    f"within {MAX_CONTINUATION_LINES} lines: {_preview(text)}"))
                continue
            else:
                fields = parse(text)
                if len(fields) != ncols:
                    chunk.rejects.append(Reject(
                        lineno, text,
                        f"{len(fields)} field(s) where the header has {ncols} "
                        f"(delimiter {opts.delimiter!r}): {_preview(text)}"))
                    continue
                accept(lineno, text, fields)
            if len(chunk) >= batch_size:
                yield chunk
                chunk = Chunk(columns={name: [] for name in index})
        if len(chunk) or chunk.rejects:
            yield chunk


JSON_KINDS = {"dict": "object", "list": "array", "str": "string", "int": "number",
              "float": "number", "bool": "boolean", "NoneType": "null",
              # DuckDB's json_type names
              "OBJECT": "object", "ARRAY": "array", "VARCHAR": "string", "BIGINT": "number",
              "UBIGINT": "number", "DOUBLE": "number", "BOOLEAN": "boolean", "NULL": "null"}


def json_error_reason(exc: json.JSONDecodeError) -> str:
    return f"not valid JSON ({exc.msg} at column {exc.colno})"


def not_an_object_reason(kind: str) -> str:
    return f"a JSON {JSON_KINDS.get(kind, kind.lower())} where an object was expected"


def _json_text(value: object) -> str | None:
    """Raw tables hold text: JSON scalars keep their JSON spelling, nested values their JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_jsonl_chunks(
    path: Path, wanted: dict[str, str], batch_size: int = 100_000, encoding: str = "utf-8"
) -> Iterator[Chunk]:
    """Yield chunks of a JSON Lines file's objects, with `wanted` = {output name: key}."""
    index = dict(wanted)
    mapped_keys = set(index.values())
    chunk = Chunk(columns={name: [] for name in index})
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            text, bad = _decode(raw, encoding, lineno)
            if bad:
                chunk.rejects.append(bad)
                continue
            text = _strip_eol(text)
            if lineno == 1:
                text = text.lstrip("\ufeff")
            if text.strip() == "":
                chunk.rejects.append(Reject(lineno, text, "empty line"))
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                chunk.rejects.append(Reject(lineno, text, json_error_reason(exc)))
                continue
            if not isinstance(obj, dict):
                chunk.rejects.append(Reject(lineno, text, not_an_object_reason(type(obj).__name__)))
                continue
            for name, key in index.items():
                chunk.columns[name].append(_json_text(obj.get(key)))
            chunk.row_numbers.append(lineno)
            chunk.row_hashes.append(_md5(text))
            extra = {k: v for k, v in obj.items() if k not in mapped_keys}
            chunk.unmapped.append(
                json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else None)
            if len(chunk) >= batch_size:
                yield chunk
                chunk = Chunk(columns={name: [] for name in index})
    if len(chunk) or chunk.rejects:
        yield chunk


def iter_raw_lines(path: Path, encoding: str, skip_header: bool) -> Iterator[tuple[int, str]]:
    """Every line of a file with its number, for rejecting a whole file that cannot be mapped."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if skip_header and lineno == 1:
                continue
            text = _strip_eol(raw.decode(encoding, errors="replace"))
            yield lineno, text
