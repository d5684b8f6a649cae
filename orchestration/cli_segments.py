"""`huaxiang segments ...`: the operators' commands for segments (see cli_tags.py for what
they read and their exit codes).

    huaxiang segments list | show KEY | validate | preview KEY
    huaxiang segments export KEY [--format csv|parquet] [--out F] [--as-of D]
    huaxiang segments campaign KEY [--as-of D]     consenting members with real contacts (restricted, audited)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from orchestration.cli_tags import (
    EXIT_BROKEN,
    _config,
    _echo_errors,
    _echo_preview,
    _exit_if_broken,
    _load_rules,
    _read_only,
    _rules_option,
    _segments_option,
    _settings,
    _table,
    _usage,
    _warehouse_option,
)
from orchestration.settings import Settings


def _load_segments(settings: Settings, config):
    from orchestration.tags.segments import load_segment_definitions
    return load_segment_definitions(config, settings.rule_tags_dir, settings.segments_dir)


@click.group(help="List, inspect, check, preview and export segments (config/segments).")
def segments() -> None:
    pass


@segments.command("list", help="Every segment, with its members on the newest date from the warehouse.")
@_warehouse_option
@_rules_option
@_segments_option
def segments_list(warehouse: Path | None, rule_tags_dir: Path | None, segments_dir: Path | None) -> None:
    settings = _settings(warehouse, rule_tags_dir, segments_dir)
    config = _config(settings)
    segs, errors = _load_segments(settings, config)
    counts: dict[str, tuple] = {}
    with _read_only(settings, required=False) as con:
        if con is not None:
            counts = {r[0]: r[1:] for r in _table(
                con, "select segment_key, as_of_date, members, entered, exited from marts.segment_definitions")}
    click.echo(f"{'key':<24}{'name':<14}{'members':>10}{'entered':>9}{'exited':>8}  as of       defined in")
    for s in segs:
        as_of, n, entered, exited = counts.get(s.key, (None, None, None, None))
        click.echo(f"{s.key:<24}{s.name_zh:<14}{'-' if n is None else f'{n:,}':>10}"
                   f"{'-' if entered is None else entered:>9}{'-' if exited is None else exited:>8}  "
                   f"{str(as_of or '-'):<11} {Path(s.path).name}:{s.line}")
    if errors:
        click.echo(f"{len(errors)} segment file problem(s): run `huaxiang segments validate`")


@segments.command("show", help="One segment: definition, tags used, members on the newest date.")
@click.argument("key")
@_warehouse_option
@_rules_option
@_segments_option
def segments_show(key: str, warehouse: Path | None, rule_tags_dir: Path | None, segments_dir: Path | None) -> None:
    settings = _settings(warehouse, rule_tags_dir, segments_dir)
    config = _config(settings)
    segs, _ = _load_segments(settings, config)
    seg = next((s for s in segs if s.key == key), None)
    if seg is None:
        _usage(f"no segment {key!r} in {settings.segments_dir} (a broken file: `huaxiang segments validate`)")
    click.echo(f"{seg.key}  {seg.name_zh} / {seg.name_en}\n  owner {seg.owner}, rule version {seg.rule_version}\n"
               f"  defined in {seg.path}:{seg.line}\n  {seg.description}\n  tags used: {', '.join(seg.fields_used)}")
    click.echo("  definition: " + json.dumps(json.loads(seg.definition), ensure_ascii=False))
    with _read_only(settings, required=False) as con:
        if con is not None:
            rows = _table(con, "select as_of_date, members, share_of_customers, entered, exited "
                               "from marts.segment_definitions where segment_key = ?", [key])
            if rows:
                as_of, n, share, entered, exited = rows[0]
                click.echo(f"  on {as_of}: {n:,} members ({share or 0:.1%} of customers), "
                           f"{entered} entered, {exited} left since the snapshot before")


@segments.command("validate", help="Check every segment file; with a warehouse, also compute each (nothing written).")
@_warehouse_option
@_rules_option
@_segments_option
@click.option("--no-run", is_flag=True, help="Only parse and check the files.")
def segments_validate(warehouse: Path | None, rule_tags_dir: Path | None, segments_dir: Path | None,
                      no_run: bool) -> None:
    from orchestration.tags.preview import PreviewError, preview_segment

    settings = _settings(warehouse, rule_tags_dir, segments_dir)
    config = _config(settings)
    segs, errors = _load_segments(settings, config)
    rule_tags, _ = _load_rules(settings, config)
    click.echo(f"{settings.segments_dir}: {len(segs)} segment(s) sound, {len(errors)} problem(s)")
    counts: dict[str, int] = {}
    if not no_run:
        with _read_only(settings, required=False) as con:
            if con is not None:
                for s in segs:
                    try:
                        p = preview_segment(con, s, rule_tags, sample=0)
                    except PreviewError as exc:
                        click.echo(f"  (segments not computed: {exc})")
                        break
                    errors += [e for e in p.errors if e.key == s.key]
                    counts[s.key] = p.matched
    broken = {e.key for e in errors}
    for s in segs:
        if s.key not in broken:
            n = f"{counts[s.key]:,} members now" if s.key in counts else "parsed"
            click.echo(f"  OK      {s.key:<24} {s.path}:{s.line} ({n})")
    _echo_errors(errors)
    sys.exit(EXIT_BROKEN if errors else 0)


@segments.command("preview", help="How many customers a segment holds and a masked sample, without writing.")
@click.argument("key")
@click.option("--sample", type=click.IntRange(0, 1000), default=10, show_default=True)
@_warehouse_option
@_rules_option
@_segments_option
def segments_preview(key: str, sample: int, warehouse: Path | None, rule_tags_dir: Path | None,
                     segments_dir: Path | None) -> None:
    from orchestration.tags.preview import PreviewError, preview_segment

    settings = _settings(warehouse, rule_tags_dir, segments_dir)
    config = _config(settings)
    segs, errors = _load_segments(settings, config)
    _exit_if_broken(errors, key)
    seg = next((s for s in segs if s.key == key), None)
    if seg is None:
        _usage(f"no segment {key!r} in {settings.segments_dir}")
    rule_tags, _ = _load_rules(settings, config)
    with _read_only(settings) as con:
        try:
            p = preview_segment(con, seg, rule_tags, sample)
        except PreviewError as exc:
            _usage(str(exc))
    _exit_if_broken(p.errors)
    _echo_preview(p, "segment")


@segments.command("export", help="Write a segment's members for a campaign tool: customer id, masked contact, "
                                 "consent flag and the tags that put them in.")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file [default: <outputs>/exports/segments/<key>-<as-of>.<format>].")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Snapshot date [default: the newest].")
@_warehouse_option
def segments_export(key: str, fmt: str, out: Path | None, as_of, warehouse: Path | None) -> None:
    from orchestration.exports.segments import ExportError, export_segment, segment_export_sql

    settings = _settings(warehouse)
    with _read_only(settings) as con:
        try:
            _, _, day = segment_export_sql(con, key, as_of.date() if as_of else None)
            path = out or settings.outputs / "exports" / "segments" / f"{key}-{day.isoformat()}.{fmt}"
            result = export_segment(con, key, path, fmt, day)
        except ExportError as exc:
            _usage(str(exc))
    click.echo(f"wrote {result.rows:,} members of {key!r} (as of {result.as_of_date}) to {result.path}")


@segments.command("campaign", help="Export a segment's consenting members WITH their real mobile and e-mail to the "
                                   "restricted area (<outputs>/restricted/campaigns), for a campaign tool; audited.")
@click.argument("key")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Snapshot date [default: the newest].")
@_warehouse_option
def segments_campaign(key: str, as_of, warehouse: Path | None) -> None:
    from orchestration.exports.campaign import CampaignExportError, export_campaign

    settings = _settings(warehouse)
    try:
        result = export_campaign(settings.outputs, key, as_of.date() if as_of else None)
    except CampaignExportError as exc:
        _usage(str(exc))
    click.echo(f"wrote {result.rows:,} consenting members of {key!r} (as of {result.as_of_date}) with their contact "
               f"to {result.path}; {result.left_out_without_consent:,} left out (no consent or no contact); "
               "recorded in the audit log")
