"""Segment exports for campaign tools: one CSV or Parquet file per segment and as-of date.

Columns: customer id, masked name and mobile, hashed e-mail, the marketing consent flag, and
one column per tag the segment's rule names (the tags that put the customer in). Written by
DuckDB from SQL (no rows through Python), so a segment of a million customers costs a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path


from orchestration.tags.rules.schema import KEY_PATTERN
from orchestration.warehouse import Connection, table_columns

FORMATS = ("csv", "parquet")
CONTACT_COLUMNS = ("name_masked", "mobile_masked", "email_hash", "has_mobile", "has_email")


class ExportError(ValueError):
    """A segment or a date that cannot be exported, said plainly."""


@dataclass(frozen=True)
class SegmentExport:
    segment_key: str
    as_of_date: date
    path: Path
    rows: int


def segment_export_sql(con: Connection, key: str, as_of: date | None = None
                       ) -> tuple[str, list, date]:
    """The SELECT of a segment's export (and its parameters and as-of date), from the marts.

    Raises ExportError for an unknown segment or a date without a snapshot."""
    if not KEY_PATTERN.match(key):
        raise ExportError(f"{key!r} is not a segment key")
    found = con.execute("select fields_used from marts.segment_definitions where segment_key = ?", [key]).fetchall()
    if not found:
        known = [r[0] for r in con.execute("select segment_key from marts.segment_definitions order by 1").fetchall()]
        raise ExportError(f"no segment {key!r}; known segments: {known}")
    fields = [f for f in (found[0][0] or "").split(", ") if f]
    # the dates the segment was computed on (with or without members)
    dates = [r[0] for r in con.execute("select as_of_date from marts.segment_snapshots where segment_key = ? "
                                       "order by 1", [key]).fetchall()]
    if as_of is None:
        if not dates:
            raise ExportError(f"segment {key!r} has no snapshot yet: run the pipeline first")
        as_of = dates[-1]
    elif as_of not in dates:
        raise ExportError(f"segment {key!r} has no snapshot on {as_of}; snapshots: {[d.isoformat() for d in dates]}")
    consent = ("c.marketing_consent" if "marketing_consent" in table_columns(con, "marts.dim_customer")
               else "cast(null as boolean)")
    reason_columns = "".join(
        f", json_extract_string(m.reasons, ?) as \"{f}\"" for f in fields if KEY_PATTERN.match(f))
    params = [f"$.{f}" for f in fields if KEY_PATTERN.match(f)]
    sql = (f"select m.customer_id, {', '.join('c.' + col for col in CONTACT_COLUMNS)}, "
           f"{consent} as marketing_consent, m.as_of_date{reason_columns} "
           f"from marts.segment_members as m left join marts.dim_customer as c on c.customer_id = m.customer_id "
           f"where m.segment_key = ? and m.as_of_date = ? order by m.customer_id")
    return sql, [*params, key, as_of], as_of


def export_segment(con: Connection, key: str, path: Path, fmt: str = "csv",
                   as_of: date | None = None) -> SegmentExport:
    """Write one segment's members to `path` (csv with a header, or parquet); replaces the file."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not one of {list(FORMATS)}")
    sql, params, as_of = segment_export_sql(con, key, as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    relation = con.sql(sql, params=params)
    if fmt == "csv":
        relation.write_csv(str(tmp), header=True)
    else:
        relation.write_parquet(str(tmp))
    tmp.replace(path)
    rows = con.execute(f"select count(*) from ({sql}) as q", params).fetchall()[0][0]
    return SegmentExport(key, as_of, path, int(rows))


def export_all_segments(con: Connection, folder: Path) -> list[SegmentExport]:
    """Every segment's newest snapshot as `<folder>/<key>.csv` and `.parquet`."""
    keys = [r[0] for r in con.execute("select segment_key from marts.segment_definitions order by 1").fetchall()]
    out = []
    for key in keys:
        for fmt in FORMATS:
            out.append(export_segment(con, key, folder / f"{key}.{fmt}", fmt))
    return out
