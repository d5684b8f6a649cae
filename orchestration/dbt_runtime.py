"""Running dbt from huaxiang: its executable, the manifest (parsed once per change of the
project, profile or vars, one parse at a time per target folder), the target folders, and
the names of the two dbt steps of the asset graph. Used by the Dagster definitions and by
the CLI, which never imports the asset modules."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

DBT_STEP = "huaxiang_dbt"
TAG_STORE_STEP = "huaxiang_dbt_tag_store"
DBT_STEPS = (DBT_STEP, TAG_STORE_STEP)
TAG_STORE_SELECTOR = "tag:tag_store"
"""The marts built after the Python model tags (marts/tags): a second dbt step."""


def dbt_executable() -> str:
    """The dbt of this Python environment, so that an un-activated venv still finds it."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


class HuaxiangDbtCli(DbtCliResource):
    """dagster-dbt's resource without two costs paid on every dbt command we never use.

    Before each command dagster-dbt loads the dbt adapter in our process (about 1.2 s: every
    macro file of the project parsed) for `fetch_row_counts` / `fetch_column_metadata`, which
    huaxiang does not call (assets/dbt.py reads counts and columns itself once dbt has let go
    of the file); and once per resource it starts `dbt --version` (about 3 s of imports) to
    learn the version of the dbt beside it, which is the dbt-core this environment installed.
    Together about 7 s of every run of the pipeline."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:  # this venv's dbt
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version  # another dbt: ask it

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (dagster-dbt's signature)
        return None


def dbt_resource(project_dir: Path, profiles_dir: Path) -> DbtCliResource:
    return HuaxiangDbtCli(project_dir=str(project_dir), profiles_dir=str(profiles_dir),
                          dbt_executable=dbt_executable())


PROJECT_FILE_GLOBS = ("dbt_project.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*")


def project_fingerprint(project_dir: Path) -> str:
    """The dbt project's code and seeds, hashed: a new manifest, and a full refresh."""
    h = hashlib.sha256()
    for pattern in PROJECT_FILE_GLOBS:
        for p in sorted(project_dir.glob(pattern)):
            if p.is_file():
                h.update(p.relative_to(project_dir).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def dbt_vars(as_of: str | None) -> list[str]:
    """The --vars of every dbt command for this as-of date (the same for parse and build)."""
    return ["--vars", json.dumps({"as_of_date": as_of})] if as_of else []


def use_target_dir(target: Path) -> Path:
    """Make `target` the dbt target folder of this process (parse, and every build's own
    sub-folder, which dagster-dbt derives from DBT_TARGET_PATH), and dbt's file log level.

    One per warehouse (beside it, in the settings' work_dir) rather than the project's
    `target/`: two processes building two warehouses (tests in parallel, a CLI run beside
    `dagster dev`) would otherwise overwrite each other's manifest and partial-parse file."""
    target.mkdir(parents=True, exist_ok=True)
    os.environ["DBT_TARGET_PATH"] = str(target)
    # dbt's file log (dbt.log in each build's folder) at info, not its default debug: the debug
    # lines (every statement dbt sends, every cache event) were 90 % of the 7 MB it wrote per
    # run even on a tiny sample and about 1.5 CPU-seconds; the compiled SQL is in the folder
    # anyway. DBT_LOG_LEVEL_FILE=debug in the environment brings them back.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    return target


def prune_build_folders(target: Path, keep: int = 6) -> list[Path]:
    """Remove all but the newest `keep` build folders dagster-dbt left in `target` (one per dbt
    step and run, `huaxiang_dbt-<run>-<hash>`, 10 to 40 MB each with the compiled SQL and run
    results): kept for ever, a daily refresh filled gigabytes a year. The newest stay for
    looking into the last runs; a running build's folder is the newest."""
    folders = sorted((p for p in target.iterdir() if p.is_dir() and p.name.startswith("huaxiang_dbt")),
                     key=lambda p: p.stat().st_mtime, reverse=True) if target.is_dir() else []
    removed = folders[keep:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def ensure_manifest(project_dir: Path, profiles_dir: Path, as_of: str | None = None,
                    target: Path | None = None) -> Path:
    """`dbt parse` when the project, the profile or the vars changed since the last manifest;
    returns manifest.json.

    The parse also leaves partial_parse.msgpack in `target` (default: the project's target/),
    which dagster-dbt copies into each build's target: dbt reuses it only when the profile and
    the vars are the ones it was made with, so they are part of the fingerprint (otherwise
    every build re-parses the project).
    """
    target = target or project_dir / "target"
    manifest = target / "manifest.json"
    stamp = target / "huaxiang_fingerprint.txt"
    fingerprint = project_fingerprint(project_dir) + hashlib.sha256(
        (profiles_dir / "profiles.yml").read_bytes() + json.dumps(dbt_vars(as_of)).encode()).hexdigest()
    target.mkdir(parents=True, exist_ok=True)
    # one parse at a time per target folder: two processes loading the definitions at once
    # (test workers, `dagster dev` beside a CLI run) would otherwise both write manifest.json
    # and one would read it half-written
    with (target / ".parse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
                return manifest
            stamp.unlink(missing_ok=True)
            # parse into a folder of its own, then move the results in by rename: a process
            # reading manifest.json (or one killed mid-parse) never sees half a file
            scratch = target / f".parse.{os.getpid()}"
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            if (target / "partial_parse.msgpack").exists():
                shutil.copy2(target / "partial_parse.msgpack", scratch / "partial_parse.msgpack")
            dbt = dbt_resource(project_dir, profiles_dir)
            invocation = dbt.cli(["parse", "--quiet", *dbt_vars(as_of)], target_path=scratch, raise_on_error=False)
            invocation.wait()
            if not invocation.is_successful() or not (scratch / "manifest.json").exists():
                shutil.rmtree(scratch, ignore_errors=True)
                raise RuntimeError(f"dbt parse failed for {project_dir}: {invocation.get_error()}")
            for name in ("partial_parse.msgpack", "semantic_manifest.json", "manifest.json"):
                if (scratch / name).exists():
                    os.replace(scratch / name, target / name)
            shutil.rmtree(scratch, ignore_errors=True)
            _write_atomically(stamp, fingerprint)
            return manifest
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)
