"""The operator's snapshot: what `huaxiang tags|segments ...` read instead of the warehouse.

Why: DuckDB lets one process write a file and nobody else open it meanwhile, so a command that
opened the warehouse, even read-only, would hold a run's next step up for as long as it ran (a
rule preview can take a minute). The BI copy is already a consistent copy of the marts and of
the tag inputs, replaced in one rename at the end of each run; the commands read it, in an
in-memory database where each copied table appears under its warehouse name (`marts.x`,
`model_tags.y`) so that the same SQL runs on either. It holds masked contact data only, like
everything an operator command prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


from orchestration.exports.bi import BI_NAME, INFO_TABLE
from orchestration.exports.files import sql_literal
from orchestration.warehouse import CatalogError, Connection, WarehouseError, open_scratch


class SnapshotError(RuntimeError):
    """The snapshot cannot be read, said plainly (with the file)."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    exported_at: datetime | None
    tables: tuple[str, ...]  # warehouse names (schema.table) it holds


def snapshot_path(outputs: Path) -> Path:
    return outputs / "bi" / f"{BI_NAME}.duckdb"


def open_snapshot(path: Path) -> tuple[Connection, Snapshot]:
    """An in-memory connection with the copy attached read-only and a view per copied table
    under its warehouse name. The run that replaces the copy renames a new file over it: this
    connection keeps reading the file it opened, and the run never waits for it."""
    if not path.exists():
        raise SnapshotError(f"no snapshot at {path}: it is written at the end of each run (`huaxiang run`)")
    con = open_scratch()
    try:
        con.execute(f"attach {sql_literal(path)} as snapshot (read_only)")
        try:
            info = con.execute(f"select table_name, source_table, exported_at from snapshot.main.{INFO_TABLE} "
                               "order by source_table").fetchall()
        except CatalogError:
            raise SnapshotError(f"{path} has no {INFO_TABLE} table: it was written by an older huaxiang; "
                                "the next run replaces it") from None
        for name, source, _ in info:
            schema, table = source.split(".")
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create view "{schema}"."{table}" as select * from snapshot.main."{name}"')
    except WarehouseError as exc:
        con.close()
        raise SnapshotError(f"cannot read the snapshot {path}: {str(exc).splitlines()[0]}") from None
    except BaseException:
        con.close()
        raise
    exported = max((row[2] for row in info), default=None)
    return con, Snapshot(path, exported, tuple(row[1] for row in info))
