"""`huaxiang tags ...` and `huaxiang segments ...`: the operators' commands.

    huaxiang tags list [--layer L]                 the catalogue: config/tags.yml + config/rule_tags
    huaxiang tags show KEY                         definition, rule version, compiled SQL, values
    huaxiang tags validate                         check every rule file (and run it, with a warehouse)
    huaxiang tags preview KEY [--sample N]         count and masked sample, nothing written
    huaxiang segments list | show KEY | validate | preview KEY
    huaxiang segments export KEY [--format csv|parquet] [--out F] [--as-of D]
    huaxiang segments campaign KEY [--as-of D]     consenting members with real contacts (restricted, audited)

They read the snapshot the last finished run left (the BI copy: exports/snapshot.py), never
the warehouse a run is writing, and print nothing but masked contact data.

Exit codes (for scripts): 0 success; 1 a rule or segment is broken (validate, preview);
2 bad usage: unknown key, no warehouse, no run yet, bad option.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

from orchestration.settings import Settings
from orchestration.tags.catalogue import TagConfigError, load_tag_config
from orchestration.warehouse import CatalogError, WarehouseError

EXIT_BROKEN, EXIT_USAGE = 1, 2

_warehouse_option = click.option(
    "--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="DuckDB warehouse [default: $HUAXIANG_WAREHOUSE or data/warehouse.duckdb].")
_rules_option = click.option(
    "--rule-tags", "rule_tags_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder of rule-tag files [default: $HUAXIANG_RULE_TAGS or config/rule_tags].")
_segments_option = click.option(
    "--segments", "segments_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder of segment files [default: $HUAXIANG_SEGMENTS or config/segments].")


def _usage(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _settings(warehouse: Path | None = None, rule_tags_dir: Path | None = None,
              segments_dir: Path | None = None) -> Settings:
    return Settings.from_env().with_overrides(warehouse=warehouse, rule_tags_dir=rule_tags_dir,
                                              segments_dir=segments_dir)


def _config(settings: Settings):
    try:
        return load_tag_config(settings.tags_file)
    except TagConfigError as exc:
        _usage(str(exc))


@contextmanager
def _read_only(settings: Settings, required: bool = True):
    """What the commands read: the snapshot the last run left (the BI copy, see
    exports/snapshot.py), which a run never waits for; the warehouse itself only when no run has
    written a snapshot yet. None when there is neither and it is optional."""
    from orchestration.exports.snapshot import SnapshotError, open_snapshot, snapshot_path

    path = snapshot_path(settings.outputs)
    reason = f"no snapshot at {path} yet"
    if path.exists():
        try:
            con, snap = open_snapshot(path)
        except SnapshotError as exc:
            reason = str(exc)
        else:
            when = f" of {snap.exported_at:%Y-%m-%d %H:%M}" if snap.exported_at else ""
            click.echo(f"(reading the snapshot{when}, {path}: what the last finished run left)", err=True)
            try:
                yield con
            finally:
                con.close()
            return
    with _live_warehouse(settings, required, reason) as con:
        yield con


@contextmanager
def _live_warehouse(settings: Settings, required: bool, reason: str):
    if not settings.warehouse.exists():
        if required:
            _usage(f"no warehouse at {settings.warehouse}: run `huaxiang run` first, or pass --warehouse")
        yield None
        return
    from orchestration.warehouse import WarehouseLocked, connect_waiting

    click.echo(f"({reason}: reading the warehouse itself, which waits for a running step)", err=True)
    try:
        # a run's step holds the file while it writes: wait for a gap between steps (the
        # connection is short, so the run's next step waits only as long as this command)
        con = connect_waiting(str(settings.warehouse), read_only=True, wait_seconds=120,
                              say=lambda m: click.echo(m, err=True))
    except WarehouseLocked as exc:
        _usage(str(exc))
    except WarehouseError as exc:
        _usage(f"cannot open {settings.warehouse} read-only: {str(exc).splitlines()[0]}")
    try:
        yield con
    finally:
        con.close()


def _table(con, sql: str, params: list | None = None) -> list[tuple]:
    try:
        return con.execute(sql, params or []).fetchall()
    except CatalogError:
        return []


def _load_rules(settings: Settings, config):
    from orchestration.tags.rule_tags import load_rules
    return load_rules(config, settings.rule_tags_dir)


def _echo_errors(errors) -> None:
    for e in errors:
        click.echo(f"  BROKEN  {e}")


def _exit_if_broken(errors, key: str | None = None) -> None:
    """Print the problems (of `key` only, when given) and exit 1 if there are any."""
    mine = [e for e in errors if key is None or e.key == key]
    if mine:
        _echo_errors(mine)
        sys.exit(EXIT_BROKEN)


def _echo_preview(p, what: str) -> None:
    click.echo(f"{what} {p.key!r} over the last run's inputs (as of {p.as_of_date}, {p.customers:,} customers): "
               f"{p.matched:,} matched ({p.matched / max(1, p.customers):.1%})")
    if p.distribution:
        click.echo("  values: " + "  ".join(f"{v} {n:,}" for v, n in p.distribution))
    if len(p.sample):
        click.echo(f"  sample ({len(p.sample)} customers, masked):")
        for line in p.sample.to_string(index=False).splitlines():
            click.echo("    " + line)
    click.echo("  (nothing was written)")


# ============================================================================== tags
@click.group(help="List, inspect, check and preview tags (config/tags.yml and the rule tags of config/rule_tags).")
def tags() -> None:
    pass


@tags.command("list", help="Every tag of the catalogue and every rule tag, with coverage from the warehouse.")
@click.option("--layer", type=click.Choice(["fact", "model", "predictive", "rule"]), default=None)
@_warehouse_option
@_rules_option
def tags_list(layer: str | None, warehouse: Path | None, rule_tags_dir: Path | None) -> None:
    settings = _settings(warehouse, rule_tags_dir)
    config = _config(settings)
    rule_tags, errors = _load_rules(settings, config)
    rows = [(t.key, t.name_zh, t.layer, t.value_type, str(config.path.name)) for t in config.tags]
    rows += [(t.key, t.name_zh, t.layer, t.value_type, Path(t.path).name) for t in rule_tags]
    coverage: dict[str, tuple[int, int]] = {}
    with _read_only(settings, required=False) as con:
        if con is not None:
            coverage = {k: (n, w) for k, n, w in _table(
                con, "select tag_key, customers, customers_with_value from marts.tag_definitions")}
    click.echo(f"{'key':<24}{'name':<14}{'layer':<12}{'type':<9}{'with value':>14}  defined in")
    for key, name, lay, vtype, where in rows:
        if layer and lay != layer:
            continue
        n, w = coverage.get(key, (0, 0))
        cov = f"{w:,}/{n:,}" if n else "-"
        click.echo(f"{key:<24}{name:<14}{lay:<12}{vtype:<9}{cov:>14}  {where}")
    if errors:
        click.echo(f"{len(errors)} rule file problem(s): run `huaxiang tags validate`")


@tags.command("show", help="One tag: definition, rule version, compiled SQL (rule tags), values on the newest date.")
@click.argument("key")
@_warehouse_option
@_rules_option
def tags_show(key: str, warehouse: Path | None, rule_tags_dir: Path | None) -> None:
    from orchestration.tags.rule_engine import EVENTS_VIEW, ORDERS_VIEW, TAG_INPUTS, VALUES_TABLE
    from orchestration.tags.rules.compiling import compile_rule_tag

    settings = _settings(warehouse, rule_tags_dir)
    config = _config(settings)
    rule_tags, _ = _load_rules(settings, config)
    catalogue = {t.key: t for t in config.tags}
    rules = {t.key: t for t in rule_tags}
    if key in catalogue:
        t = catalogue[key]
        click.echo(f"{t.key}  {t.name_zh} / {t.name_en}\n  layer {t.layer}, {t.value_type}, source {t.source}, "
                   f"owner {t.owner}\n  defined in {config.path}\n  {t.description}")
        if t.values:
            click.echo("  values: " + ", ".join(f"{c}={label}" for c, label in t.values))
    elif key in rules:
        t = rules[key]
        click.echo(f"{t.key}  {t.name_zh} / {t.name_en}\n  layer {t.layer}, {t.value_type}, owner {t.owner}, "
                   f"rule version {t.rule_version}\n  defined in {t.path}:{t.line}\n  {t.description}")
        click.echo("  definition: " + json.dumps(json.loads(t.definition), ensure_ascii=False))
        sql, params = compile_rule_tag(t, date(2000, 1, 1), TAG_INPUTS, EVENTS_VIEW, VALUES_TABLE, ORDERS_VIEW)
        click.echo(f"  compiled SQL (parameters bound at run time; dates shown for as-of 2000-01-01):\n    {sql}\n"
                   f"  parameters: { {name: str(p) for name, p in params.items()} }")
    else:
        _usage(f"no tag {key!r}: `huaxiang tags list` shows the tags (a broken rule file: `huaxiang tags validate`)")
    with _read_only(settings, required=False) as con:
        if con is not None:
            rows = _table(con, "select as_of_date, coalesce(value_label, value, '(null)'), count(*) "
                               "from marts.customer_tags where tag_key = ? group by 1, 2 order by 3 desc limit 15",
                          [key])
            if rows:
                click.echo(f"  values on {rows[0][0]}: " + "  ".join(f"{v} {n:,}" for _, v, n in rows))


@tags.command("validate", help="Check every rule file; with a warehouse, also run each rule (nothing written).")
@_warehouse_option
@_rules_option
@click.option("--no-run", is_flag=True, help="Only parse and check the files, do not run the rules.")
def tags_validate(warehouse: Path | None, rule_tags_dir: Path | None, no_run: bool) -> None:
    from orchestration.tags.rule_engine import evaluate_rule_tags, inputs_as_of, prepare_relations
    from orchestration.tags.preview import _require_inputs

    settings = _settings(warehouse, rule_tags_dir)
    config = _config(settings)
    rule_tags, errors = _load_rules(settings, config)
    click.echo(f"{settings.rule_tags_dir}: {len(rule_tags)} rule tag(s) sound, {len(errors)} problem(s)")
    ran = False
    if not no_run:
        with _read_only(settings, required=False) as con:
            if con is not None:
                try:
                    _require_inputs(con)
                    as_of = inputs_as_of(con)
                    prepare_relations(con, as_of)
                    evaluation = evaluate_rule_tags(con, rule_tags, as_of)
                    errors = [*errors, *evaluation.errors]
                    ran = True
                    click.echo(f"  ran {len(rule_tags)} rule(s) over the data of {as_of}: "
                               f"{len(evaluation.built)} built")
                except Exception as exc:  # noqa: BLE001 - the check still reports the files
                    click.echo(f"  (rules not run: {exc})")
    broken = {e.key for e in errors}
    for t in rule_tags:
        if t.key not in broken:
            click.echo(f"  OK      {t.key:<24} {t.path}:{t.line}" + ("" if ran else " (parsed)"))
    _echo_errors(errors)
    sys.exit(EXIT_BROKEN if errors else 0)


@tags.command("preview", help="How many customers a rule tag gives and a masked sample, without writing anything.")
@click.argument("key")
@click.option("--sample", type=click.IntRange(0, 1000), default=10, show_default=True)
@_warehouse_option
@_rules_option
def tags_preview(key: str, sample: int, warehouse: Path | None, rule_tags_dir: Path | None) -> None:
    from orchestration.tags.preview import PreviewError, preview_rule_tag

    settings = _settings(warehouse, rule_tags_dir)
    config = _config(settings)
    rule_tags, errors = _load_rules(settings, config)
    _exit_if_broken(errors, key)
    if key not in {t.key for t in rule_tags}:
        if key in {t.key for t in config.tags}:
            _usage(f"{key!r} is a catalogue tag, computed by the pipeline: `huaxiang tags show {key}` shows its values")
        _usage(f"no rule tag {key!r} in {settings.rule_tags_dir}")
    with _read_only(settings) as con:
        try:
            p = preview_rule_tag(con, key, rule_tags, sample)
        except PreviewError as exc:
            _usage(str(exc))
    _exit_if_broken(p.errors)
    _echo_preview(p, "rule tag")


# ============================================================================== segments
