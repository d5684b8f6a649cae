"""The sources file: which landing files exist, how to read them, and how their columns map
onto the project's canonical fields.

Everything downstream (ingestion, the generated dbt staging layer, the data-quality suites)
is driven by the objects parsed here, so that adding a source system is a YAML entry and not
code. Parsing is strict: a typo in the sources file is reported with the source, table and key
that is wrong, before anything touches the warehouse.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from orchestration.config_files import LineLoader, dotted, first_problem, line_at, load_yaml
from orchestration.sources_schema import (
    CANONICAL_FIELDS,
    DEFAULT_COUNTRY,
    PRECISIONS,
    REQUIRED_FIELDS,
    SourcesFile,
    _COUNTRY,
    _NAME,
)


class SourcesConfigError(ValueError):
    """A sources file that cannot be used; the message names the file and line, source, table and key."""



class _File(NamedTuple):
    """The sources file being read: its path and its YAML (with lines) for the messages."""

    path: Path
    doc: Any


@dataclass(frozen=True)
class CsvOptions:
    delimiter: str = ","
    encoding: str = "utf-8"
    header: bool = True
    quote: str = '"'


@dataclass(frozen=True)
class TableConfig:
    source: str
    name: str
    kind: str
    path: str
    format: str
    columns: dict[str, str | tuple[str, ...]]
    """canonical field: the export's column, or several columns joined with a space"""
    csv: CsvOptions = field(default_factory=CsvOptions)
    extra_columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    pii: tuple[str, ...] = ()
    description: str = ""
    country: str = DEFAULT_COUNTRY
    """ISO 3166-1 alpha-2 country of the records (phones are read by its rules)"""
    precision: dict[str, str] = field(default_factory=dict)
    """field: how precise the source's values are (birth_date: year | day)"""

    @property
    def raw_table(self) -> str:
        """Name of the table in the warehouse's `raw` schema."""
        return f"{self.source}__{self.name}"

    @property
    def staging_model(self) -> str:
        return f"stg_{self.source}__{self.name}"

    @property
    def raw_columns(self) -> list[str]:
        """Data columns of the raw table: the kind's canonical fields, then the extras."""
        return list(CANONICAL_FIELDS[self.kind]) + list(self.extra_columns)

    def source_columns(self, fld: str) -> tuple[str, ...]:
        """The export's column(s) a mapped field is read from (several: joined with a space)."""
        src = self.columns[fld]
        return (src,) if isinstance(src, str) else tuple(src)

    def fingerprint(self) -> str:
        """Hash of everything that decides how a file of this table is read and mapped.

        A change of mapping invalidates every file already loaded, so the loader reloads them.
        (Country and precision act in staging, which is rebuilt on every run: not here.)
        """
        blob = json.dumps(
            {
                "kind": self.kind, "format": self.format, "columns": self.columns,
                "csv": self.csv.__dict__, "extra": self.extra_columns,
                "constants": self.constants, "value_maps": self.value_maps,
            },
            sort_keys=True, ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SourceConfig:
    name: str
    description: str
    priority: int | None
    tables: tuple[TableConfig, ...]
    country: str = DEFAULT_COUNTRY


@dataclass(frozen=True)
class SourcesConfig:
    path: Path
    landing_dir: Path
    sources: tuple[SourceConfig, ...]

    @property
    def tables(self) -> list[TableConfig]:
        return [t for s in self.sources for t in s.tables]

    def table(self, raw_table: str) -> TableConfig:
        for t in self.tables:
            if t.raw_table == raw_table:
                return t
        raise KeyError(raw_table)


def _err(path: _File, where: str, msg: str) -> SourcesConfigError:
    """`file:line: where: msg`, the line of the node `where` (sources.crm.tables.contacts.kind)."""
    line = line_at(path.doc, tuple(where.split(".")))
    return SourcesConfigError(f"{path.path}:{line}: {where}: {msg}" if line else f"{path.path}: {where}: {msg}")


def _str_map(value: Any, path: _File, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _err(path, where, f"expected a mapping, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items()}


def _column_map(value: Any, path: _File, where: str) -> dict[str, str | tuple[str, ...]]:
    """`columns:`: field -> the export's column, or a list of columns (joined with a space)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _err(path, where, f"expected a mapping, got {type(value).__name__}")
    out: dict[str, str | tuple[str, ...]] = {}
    for k, v in value.items():
        if isinstance(v, (list, tuple)):
            parts = [str(p) for p in v if p is not None and str(p) != ""]
            if len(parts) != len(v) or not parts:
                raise _err(path, f"{where}.{k}",
                           "a list of columns must name at least one column, none of them empty")
            dupes = sorted({p for p in parts if parts.count(p) > 1})
            if dupes:
                raise _err(path, f"{where}.{k}", f"lists column(s) {dupes} twice")
            out[str(k)] = parts[0] if len(parts) == 1 else tuple(parts)
        elif isinstance(v, dict):
            raise _err(path, f"{where}.{k}", "expected a column name or a list of column names")
        else:
            out[str(k)] = str(v)
    return out


def _country(value: Any, path: _File, where: str) -> str:
    text = str(value).strip().upper() if value is not None else ""
    if not _COUNTRY.match(text):
        raise _err(path, where, f"{value!r} is not an ISO 3166-1 alpha-2 country code (CN, AU, US ...)")
    return text


def _check_inside_landing(pattern: Any, path: _File, where: str) -> None:
    """A table's files are read from the landing folder and nowhere else: a path that climbs out
    (`../ground_truth/*.csv`, `../../etc/pass*`) or starts at the root would load files nobody
    meant to ingest into raw tables (and their rejects) that BI and stewards read."""
    if not isinstance(pattern, str):
        raise _err(path, where, f"expected a file path or glob, got {type(pattern).__name__}")
    text = pattern.replace("\\", "/")
    if text.startswith("/") or text.startswith("~") or re.match(r"^[A-Za-z]:", text):
        raise _err(path, where, f"{pattern!r} is not relative: paths are globs under landing_dir")
    if ".." in text.split("/"):
        raise _err(path, where, f"{pattern!r} leaves landing_dir ('..'): paths are globs under landing_dir")


def _parse_table(path: _File, source: str, name: str, spec: Any,
                 source_country: str = DEFAULT_COUNTRY) -> TableConfig:
    where = f"sources.{source}.tables.{name}"
    if not _NAME.match(name):
        raise _err(path, where, "a table name must be lower case letters, digits and _")
    # keys, types, kind and format: checked by TableModel
    kind = spec["kind"]
    fmt = spec["format"]
    if not spec.get("path"):
        raise _err(path, f"{where}.path", "missing: a file path or glob under landing_dir")
    _check_inside_landing(spec["path"], path, f"{where}.path")
    columns = _column_map(spec.get("columns"), path, f"{where}.columns")
    constants = _str_map(spec.get("constants"), path, f"{where}.constants")
    canonical = CANONICAL_FIELDS[kind]
    for fld in list(columns) + list(constants):
        if fld not in canonical:
            raise _err(path, f"{where}.columns.{fld}",
                       f"not a canonical field of kind {kind}; canonical fields: {list(canonical)}")
    both = sorted(set(columns) & set(constants))
    if both:
        raise _err(path, where, f"field(s) {both} are both mapped and set as constants")
    missing = [f for f in REQUIRED_FIELDS[kind] if f not in columns and f not in constants]
    if missing:
        raise _err(path, where, f"a {kind} table must map {missing}")
    extras = _str_map(spec.get("extra_columns"), path, f"{where}.extra_columns")
    for fld in extras:
        if not _NAME.match(fld) or fld in canonical or fld.startswith("_"):
            raise _err(path, f"{where}.extra_columns.{fld}",
                       "an extra column needs a new lower-case name, not a canonical one")
    value_maps_raw = spec.get("value_maps") or {}
    if not isinstance(value_maps_raw, dict):
        raise _err(path, f"{where}.value_maps", "expected field: {from: to} mappings")
    value_maps = {str(k): _str_map(v, path, f"{where}.value_maps.{k}")
                  for k, v in value_maps_raw.items()}
    for fld in value_maps:
        if fld not in columns:
            raise _err(path, f"{where}.value_maps.{fld}", "only a mapped field can have a value map")
    pii = tuple(str(p) for p in (spec.get("pii") or ()))
    for fld in pii:
        if fld not in columns and fld not in extras:
            raise _err(path, f"{where}.pii", f"{fld!r} is neither mapped nor an extra column")
    csv_spec = spec.get("csv") or {}
    if not isinstance(csv_spec, dict):
        raise _err(path, f"{where}.csv", "expected delimiter / encoding / header / quote")
    csv = CsvOptions(
        delimiter=str(csv_spec.get("delimiter", ",")),
        encoding=str(csv_spec.get("encoding", "utf-8")),
        header=bool(csv_spec.get("header", True)),
        quote=str(csv_spec.get("quote", '"')),
    )
    if len(csv.delimiter) != 1:
        raise _err(path, f"{where}.csv.delimiter", "must be a single character")
    if fmt == "csv" and not csv.header:
        raise _err(path, f"{where}.csv.header", "CSV files without a header are not supported yet")
    try:
        "".encode(csv.encoding)
    except LookupError:
        raise _err(path, f"{where}.csv.encoding", f"unknown encoding {csv.encoding!r}") from None
    country = (_country(spec["country"], path, f"{where}.country")
               if spec.get("country") is not None else source_country)
    precision = _str_map(spec.get("precision"), path, f"{where}.precision")
    for fld, level in precision.items():
        if kind != "customers" or fld not in PRECISIONS:
            raise _err(path, f"{where}.precision.{fld}",
                       f"only a customers table can declare a precision, for {sorted(PRECISIONS)}")
        if level not in PRECISIONS[fld]:
            raise _err(path, f"{where}.precision.{fld}",
                       f"{level!r} is not one of {list(PRECISIONS[fld])}")
        if fld not in columns and fld not in constants:
            raise _err(path, f"{where}.precision.{fld}", "only a mapped field can have a precision")
    return TableConfig(
        source=source, name=name, kind=kind, path=str(spec["path"]), format=fmt,
        columns=columns, csv=csv, extra_columns=extras, constants=constants,
        value_maps=value_maps, pii=pii, description=str(spec.get("description", "")),
        country=country, precision=precision,
    )


def load_sources_config(path: str | Path, landing_dir: str | Path | None = None) -> SourcesConfig:
    """Parse and validate a sources file; `landing_dir` overrides the file's own."""
    file_path = Path(path).resolve()
    try:
        doc = load_yaml(file_path.read_text(encoding="utf-8"), LineLoader)
    except FileNotFoundError:
        raise SourcesConfigError(f"{file_path}: sources file not found") from None
    except yaml.YAMLError as exc:
        raise SourcesConfigError(f"{file_path}: not valid YAML: {exc}") from None
    path = _File(file_path, doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), dict):
        raise _err(path, "top level", "expected a mapping with a `sources:` mapping")
    problem = first_problem(SourcesFile, doc)
    if problem is not None:
        where = dotted(problem.loc[:-1] if problem.kind == "missing" else problem.loc)
        detail = f"missing {problem.loc[-1]}" if problem.kind == "missing" else problem.detail
        raise SourcesConfigError(f"{file_path}:{problem.line}: {where}: {detail}")
    if landing_dir is None:
        landing_dir = file_path.parent / str(doc.get("landing_dir", "."))
    sources: list[SourceConfig] = []
    for sname, sspec in doc["sources"].items():
        sname = str(sname)
        if not _NAME.match(sname) or "__" in sname:
            raise _err(path, f"sources.{sname}",
                       "a source name must be lower case letters, digits and single _")
        # keys and types: checked by SourceModel
        country = (_country(sspec["country"], path, f"sources.{sname}.country")
                   if sspec.get("country") is not None else DEFAULT_COUNTRY)
        tables = tuple(_parse_table(path, sname, str(t), tspec, country)
                       for t, tspec in sspec["tables"].items())
        customer_tables = [t.name for t in tables if t.kind == "customers"]
        if len(customer_tables) > 1:
            raise _err(path, f"sources.{sname}",
                       f"has {len(customer_tables)} customers tables {customer_tables}; a source "
                       "system has one (its record ids identify a customer record)")
        priority = sspec.get("priority")
        sources.append(SourceConfig(
            name=sname, description=str(sspec.get("description", "")),
            priority=int(priority) if priority is not None else None, tables=tables,
            country=country,
        ))
    if not sources:
        raise _err(path, "sources", "no source declared")
    return SourcesConfig(path=file_path, landing_dir=Path(landing_dir).resolve(), sources=tuple(sources))
