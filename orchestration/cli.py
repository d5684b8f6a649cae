"""`huaxiang`: the command line for data engineers and for scripts.

    huaxiang generate --customers 10000 --seed 42      sample landing files + ground truth
    huaxiang run [--sources F] [--warehouse W] [--as-of D]
                                                       every asset (the refresh_everything job), headless
                                                       as Dagster runs it; prints a summary
    huaxiang dbt-sync [--sources F]                    regenerate the dbt staging layer and tag docs
    huaxiang sources validate [--sources F]            check a sources file
    huaxiang tags list | show | validate | preview     the tags, rule tags (config/rule_tags)
    huaxiang segments list | show | validate | preview | export
                                                       segments (config/segments); see cli_tags.py
    huaxiang config-schema [--check]                   the JSON Schemas of the config files (config/schema)

Exit codes: 0 success; 1 the run failed or a blocking check failed (for tags and segments: a
rule is broken); 2 bad input (a sources file, an unknown key, an option that cannot be used);
3 another run held the warehouse for longer than --wait-for-lock.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from orchestration.cli_segments import segments
from orchestration.cli_tags import tags
from orchestration.settings import (
    DEFAULT_SOURCES,
    DEFAULT_WAREHOUSE,
    REPO_ROOT,
    RUN_LOCK_WAIT_SECONDS,
    Settings,
    SettingsError,
)
from orchestration.sources_config import SourcesConfigError, load_sources_config


def _fail_input(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.group(help="huaxiang: customer master, tags and portraits from raw source data.")
def main() -> None:
    pass


@main.command(help="Write a deterministic sample of landing files and their ground truth.")
@click.option("--customers", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=REPO_ROOT / "data", show_default=True,
              help="Writes OUT/landing and OUT/ground_truth.")
@click.option("--end-date", type=click.DateTime(formats=["%Y-%m-%d"]), default="2026-06-30",
              show_default=True, help="Last day of the generated data.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--activity", type=click.FloatRange(min=0, min_open=True, max=10), default=1.0, show_default=True,
              help="Multiplies purchase rates and browsing (1.6: about 9 orders and 32 events per customer).")
@click.option("--hold-out-days", type=click.IntRange(min=0), default=0, show_default=True,
              help="Move the orders (the OMS's and the marketplace's), order lines and events of the last N days into "
                   "OUT/next_delivery/landing (new files, same layout): tomorrow's delivery, to "
                   "try an incremental refresh.")
@click.option("--identity-dirt/--no-identity-dirt", default=False, show_default=True,
              help="Add the identity dirt of issue 16 (service-desk contacts, marketplace buyers, forms of address, "
                   "screen names, traditional characters, year-only birth dates, ...; see datagen/README.md). "
                   "Off: the service desk's and the marketplace's files hold a header only.")
def generate(customers: int, seed: int, out_dir: Path, end_date, quiet: bool, activity: float,
             hold_out_days: int, identity_dirt: bool) -> None:
    from datagen import generate as run_generator

    summary = run_generator(out_dir, customers=customers, seed=seed, end_date=end_date.date(),
                            progress=not quiet, activity=activity, identity_dirt=identity_dirt)
    click.echo(f"wrote {out_dir}/landing and {out_dir}/ground_truth for {customers:,} customers "
               f"in {summary.get('elapsed_seconds', 0):.1f}s")
    if hold_out_days:
        import shutil

        from datagen.holdout import hold_out_last_days

        delivery = out_dir / "next_delivery" / "landing"
        shutil.rmtree(delivery, ignore_errors=True)
        held = hold_out_last_days(out_dir / "landing", delivery, end_date.date(), hold_out_days)
        click.echo(f"held out the last {hold_out_days} day(s) in {delivery}: " + ", ".join(
            f"{rel} {n:,} rows" for rel, n in sorted(held.items())))


def _settings(sources: Path | None, warehouse: Path | None, landing: Path | None,
              as_of: date | None) -> Settings:
    return Settings.from_env().with_overrides(
        sources_file=sources, warehouse=warehouse, landing_dir=landing, as_of=as_of)


@main.command(help="Run every asset (ingest, dbt build and tests, tags, exports: the refresh_everything job) headless and summarise. Incremental unless --full-refresh.")
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Sources file [default: $HUAXIANG_SOURCES or {DEFAULT_SOURCES.relative_to(REPO_ROOT)}]")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"DuckDB file [default: $HUAXIANG_WAREHOUSE or {DEFAULT_WAREHOUSE.relative_to(REPO_ROOT)}]")
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Landing folder, instead of the sources file's landing_dir.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Compute for this date [default: the end of the loaded data].")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ground-truth records.csv for identity precision/recall [default: "
                   "$HUAXIANG_IDENTITY_TRUTH, else ground_truth/records.csv beside the landing folder].")
@click.option("--verbose", is_flag=True, help="Every Dagster and dbt event on the console, instead of a line per "
                                              "step (the full log is always written beside the warehouse).")
@click.option("--full-refresh", "full_refresh", is_flag=True,
              help="Rebuild every incremental model from its inputs and skip nothing [default: only "
                   "what new or changed files need; history tables are never rebuilt].")
@click.option("--wait-for-lock", "wait_for_lock", type=click.FloatRange(min=0), default=RUN_LOCK_WAIT_SECONDS, show_default=True,
              help="Seconds to wait while another run holds the same warehouse; then exit 3 saying which.")
def run(sources: Path | None, warehouse: Path | None, landing: Path | None, as_of, truth: Path | None,
        verbose: bool, full_refresh: bool, wait_for_lock: float) -> None:
    from orchestration.warehouse import WarehouseBusy
    from orchestration.warehouse.budget import BudgetError

    try:
        settings = _settings(sources, warehouse, landing, as_of.date() if as_of else None)
    except SettingsError as exc:
        _fail_input(str(exc))
    settings = settings.with_overrides(identity_truth=truth)
    try:
        # (importing the runner loads orchestration.definitions, which builds the Dagster
        # definitions from the environment: a bad setting there is an input error too)
        from orchestration.runner import full_refresh_config, run_job

        outcome = run_job(settings, run_config=full_refresh_config() if full_refresh else None,
                          log_level="DEBUG" if verbose else "ERROR", wait_for_lock=wait_for_lock,
                          say=lambda m: click.echo(m, err=True), progress=not verbose)
    except (SourcesConfigError, BudgetError, SettingsError) as exc:
        _fail_input(str(exc))
    except WarehouseBusy as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    click.echo(outcome.render())
    sys.exit(0 if outcome.success else 1)


@main.command(help="Write the dbt docs site (every model, column and test) from the snapshot the last run left; "
                    "never opens the warehouse, so a running pipeline is not held up.")
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Sources file [default: $HUAXIANG_SOURCES or {DEFAULT_SOURCES.relative_to(REPO_ROOT)}]")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"DuckDB file [default: $HUAXIANG_WAREHOUSE or {DEFAULT_WAREHOUSE.relative_to(REPO_ROOT)}]")
@click.option("--serve", is_flag=True, help="Then serve the site (dbt docs serve) until interrupted.")
@click.option("--port", type=click.IntRange(1, 65535), default=8580, show_default=True)
def docs(sources: Path | None, warehouse: Path | None, serve: bool, port: int) -> None:
    import subprocess

    from orchestration.dbt_runtime import dbt_executable
    from orchestration.warehouse.dbt_profile import write_profile
    from orchestration.dbt_codegen import prepare_dbt_project
    from orchestration.exports.docs_catalog import docs_catalog_path
    from orchestration.sources_config import load_sources_config

    settings = _settings(sources, warehouse, None, None)
    catalog = docs_catalog_path(settings.work_dir)
    if not catalog.exists():
        _fail_input(f"no docs catalogue at {catalog}: it is written at the end of each run (`huaxiang run`)")
    try:
        config = load_sources_config(settings.sources_file, settings.landing_dir)
    except SourcesConfigError as exc:
        _fail_input(str(exc))
    project_dir = prepare_dbt_project(config, settings.dbt_project_dir, settings.work_dir)
    profiles_dir = write_profile(settings.work_dir / "docs_profile", catalog)
    target = settings.work_dir / "docs_site"
    common = ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir), "--target-path", str(target)]
    done = subprocess.run([dbt_executable(), "docs", "generate", *common], capture_output=True, text=True)
    if done.returncode != 0:
        click.echo(done.stdout[-4000:] + done.stderr[-2000:], err=True)
        _fail_input(f"dbt docs generate failed (exit {done.returncode})")
    click.echo(f"wrote the docs site to {target} (index.html, manifest.json, catalog.json) from {catalog}")
    if serve:
        subprocess.run([dbt_executable(), "docs", "serve", *common, "--port", str(port), "--no-browser"])


DEFAULT_USERS = REPO_ROOT / "config" / "users.yml"
_users_option = click.option(
    "--users", "users_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Users file [default: $HUAXIANG_USERS or config/users.yml].")


def _users_file(users_file: Path | None) -> Path:
    return (users_file or Path(os.environ.get("HUAXIANG_USERS", DEFAULT_USERS))).resolve()


@main.command(help="Serve the customer card, store, channel and segment pages (read-only, over the BI copy).")
@click.option("--warehouse", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"DuckDB file whose BI copy to show [default: $HUAXIANG_WAREHOUSE or {DEFAULT_WAREHOUSE.relative_to(REPO_ROOT)}]")
@_users_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Listen here (localhost only by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8585, show_default=True)
def serve(warehouse: Path | None, users_file: Path | None, host: str, port: int) -> None:
    import uvicorn

    from orchestration.exports.snapshot import snapshot_path
    from web.app import WebConfig, create_app
    from web.users import UsersFileError, load_users

    settings = _settings(None, warehouse, None, None)
    users = _users_file(users_file)
    try:
        if not load_users(users):
            _fail_input(f"no users in {users}: add one first, e.g. `huaxiang users add li.na --role steward`")
    except UsersFileError as exc:
        _fail_input(str(exc))
    config = WebConfig(bi_database=snapshot_path(settings.outputs), outputs=settings.outputs, users_file=users,
                       secret=os.environ.get("HUAXIANG_WEB_SECRET", ""))
    click.echo(f"serving http://{host}:{port}/ over {config.bi_database} (users: {users}); Ctrl-C stops", err=True)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


@main.group(help="Who may open `huaxiang serve`: users with hashed passwords and a role (viewer, steward).")
def users() -> None:
    pass


@users.command("add", help="Add a user, or change their role and password (asked twice, never echoed).")
@click.argument("name")
@click.option("--role", type=click.Choice(["viewer", "steward"]), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin (scripts).")
@_users_option
def users_add(name: str, role: str, password_stdin: bool, users_file: Path | None) -> None:
    from web.users import UsersFileError, save_user

    path = _users_file(users_file)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else \
        click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        save_user(path, name, role, password)
    except UsersFileError as exc:
        _fail_input(str(exc))
    click.echo(f"{name} ({role}) saved in {path}")


@users.command("list", help="The users and their roles.")
@_users_option
def users_list(users_file: Path | None) -> None:
    from web.users import UsersFileError, load_users

    path = _users_file(users_file)
    try:
        found = load_users(path)
    except UsersFileError as exc:
        _fail_input(str(exc))
    for user in found.values():
        click.echo(f"{user.name:<24}{user.role}")
    if not found:
        click.echo(f"no users in {path}")


@users.command("remove", help="Remove a user (their open sessions end at their next click).")
@click.argument("name")
@_users_option
def users_remove(name: str, users_file: Path | None) -> None:
    from web.users import remove_user

    path = _users_file(users_file)
    if not remove_user(path, name):
        _fail_input(f"no user {name!r} in {path}")
    click.echo(f"removed {name} from {path}")


@main.command("dbt-sync", help="Regenerate the generated dbt files: the staging layer (from a sources file) and the tag "
                                   "column docs (from config/tags.yml).")
@click.option("--sources", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SOURCES,
              show_default=True)
@click.option("--check", is_flag=True, help="Only check; exit 1 when the files are out of date.")
def dbt_sync(sources: Path, check: bool) -> None:
    from orchestration.dbt_codegen import is_in_sync, write_staging

    settings = Settings()
    try:
        config = load_sources_config(sources)
    except SourcesConfigError as exc:
        _fail_input(str(exc))
    if check:
        ok = is_in_sync(config, settings.dbt_project_dir)
        click.echo("staging and tag docs are in sync" if ok
                   else "staging or tag docs are out of date: run huaxiang dbt-sync")
        sys.exit(0 if ok else 1)
    changed = write_staging(config, settings.dbt_project_dir)
    click.echo("staging and tag docs regenerated" if changed else "staging and tag docs already in sync")


@main.group(help="Inspect the sources file.")
def sources() -> None:
    pass


@sources.command("validate", help="Check a sources file and list the files each table matches.")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_SOURCES, show_default=True)
@click.option("--landing", type=click.Path(file_okay=False, path_type=Path), default=None)
def sources_validate(sources_file: Path, landing: Path | None) -> None:
    from orchestration.ingest.loader import list_files, missing_columns

    try:
        config = load_sources_config(sources_file, landing)
    except SourcesConfigError as exc:
        _fail_input(str(exc))
    click.echo(f"{sources_file}: {len(config.sources)} sources, {len(config.tables)} tables, "
               f"landing folder {config.landing_dir}")
    for t in config.tables:
        try:
            files = list_files(t, config.landing_dir)
        except SourcesConfigError as exc:
            _fail_input(str(exc))
        country = t.country if t.kind == "customers" else ""
        click.echo(f"  {t.raw_table:<28} {t.kind:<12} {t.format:<8} {country:<3} {t.path}  ({len(files)} files)")
        for fld in t.columns:
            if len(t.source_columns(fld)) > 1:
                click.echo(f"      {fld} = {' + '.join(t.source_columns(fld))} (joined with a space)")
        for fld, level in t.precision.items():
            click.echo(f"      {fld}: precision {level}")
        for path in files:
            missing = missing_columns(t, path)
            if missing:
                click.echo(f"      ! {path.relative_to(config.landing_dir).as_posix()} has no column(s) "
                           f"{missing}: its rows would be rejected")


main.add_command(tags)
main.add_command(segments)


@main.command("config-schema", help="Write the JSON Schemas of the config files (config/schema/) from their models.")
@click.option("--check", is_flag=True, help="Only check; exit 1 when a schema file is out of date.")
def config_schema(check: bool) -> None:
    from orchestration.config_schema import SCHEMA_DIR, stale_files, write_schemas

    if check:
        stale = stale_files()
        click.echo(f"{SCHEMA_DIR}: out of date: {', '.join(stale)}; run huaxiang config-schema" if stale
                   else f"{SCHEMA_DIR}: the schemas are in sync")
        sys.exit(1 if stale else 0)
    changed = write_schemas()
    click.echo(f"{SCHEMA_DIR}: wrote {', '.join(changed)}" if changed else f"{SCHEMA_DIR}: already in sync")


if __name__ == "__main__":
    main()
