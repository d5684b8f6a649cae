"""What a dbt build can leave alone: the customer side, when nothing it reads has changed.

A daily delivery brings orders and events; identity resolution (about a fifth of a full
refresh at 1M customers) reads customer records, the seeds, and only the few customer
references that orders or events make to systems without a customer table
(`int_customer_references`). So the build runs in two phases:

1. the models `int_customer_references` is built from (the facts' staging and validation,
   all incremental), and it;
2. everything else, leaving out the *customer side* (the models with no path from an order
   or event source that avoids `int_customer_references`) when its fingerprint is unchanged:
   the project's code, the dbt vars, the loaded customer files (raw.load_log) and the content
   of `int_customer_references`.

The fingerprint is kept in the warehouse (raw.build_state), so it travels with the data it
describes. Models left alone are reported to Dagster as materialized with `skipped: inputs
unchanged`; the fact tables then keep their customer ids and rebuild only new rows
(macros/incremental.sql). A full refresh, or any change of code, rebuilds everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.warehouse import Connection

REFERENCES_MODEL = "int_customer_references"
PHASE_ONE_ARGS = ("--indirect-selection", "eager")
"""Phase one leaves out a test when it leaves out any model the test reads (dbt's default, set
here so that a DBT_INDIRECT_SELECTION in the environment cannot change it)."""
PHASE_TWO_ARGS = ("--indirect-selection", "empty")
"""Phase two names each test it leaves out (BuildPlan.phase_two_exclude). With dbt's default
(eager), leaving out a model also leaves out every test that reads it: when the customer side
was left alone, the relationship of the new orders and events to dim_customer, their row counts
against the resolved events and the fact tags' relationships never ran."""
STATE_DDL = """
create schema if not exists raw;
create table if not exists raw.build_state (
    name varchar primary key, fingerprint varchar, _recorded_at timestamp, detail varchar
);
"""


@dataclass
class BuildPlan:
    """The two phases of an incremental dbt build, as dbt node names and unique ids."""

    phase_one: list[str]  # model/seed names up to and including the references model
    customer_side: list[str]  # model/seed names that may be left alone
    customer_side_ids: list[str] = field(default_factory=list)  # their dbt unique ids
    customer_sources: list[tuple[str, str]] = field(default_factory=list)  # (source, table) they read
    all_names: list[str] = field(default_factory=list)  # every selected model/seed name
    customer_side_keys: list[Any] = field(default_factory=list)  # their Dagster asset keys
    tests: dict[str, set[str]] = field(default_factory=dict)  # test name -> the models/seeds it reads
    other_tests: list[str] = field(default_factory=list)  # tests that read a model of another step

    def phase_one_exclude(self) -> list[str]:
        """Everything but phase one. The tests that read anything else (the facts are not
        rebuilt yet: a test comparing them with the new validated rows would fail) go with it
        by dbt's eager indirect selection (PHASE_ONE_ARGS): one name per model instead of one
        per test, because dbt matches every name against every node (about 2 s a build with
        the ~500 names the tests made)."""
        return sorted(set(self.all_names) - set(self.phase_one))

    def _phase_two_left_out(self, skip_customer_side: bool) -> set[str]:
        return set(self.phase_one) | (set(self.customer_side) if skip_customer_side else set())

    def phase_two_builds_nothing(self, skip_customer_side: bool) -> bool:
        """Every model is in phase one or left alone (a sources file without orders or events):
        no dbt command to start for phase two."""
        return not set(self.all_names) - self._phase_two_left_out(skip_customer_side)

    def phase_two_exclude(self, skip_customer_side: bool) -> list[str]:
        """Phase one, the customer side when it is left alone, the tests that read only those,
        and the tests of the other step (the tag store's): a test runs in phase two when it
        reads a model built there. The tests are named one by one (PHASE_TWO_ARGS): eager
        selection would also leave out a test that reads a model built here together with one
        that is not (new orders against the customers left alone)."""
        excluded = self._phase_two_left_out(skip_customer_side)
        built = set(self.all_names) - excluded
        return (sorted(excluded) + sorted(t for t, parents in self.tests.items() if not parents & built)
                + sorted(self.other_tests))


def plan_build(manifest: Mapping[str, Any], selected: set[str], fact_tables: set[tuple[str, str]]) -> BuildPlan | None:
    """Split the `selected` dbt nodes (unique ids) into the phases; None when the project has
    no references model (nothing to split on).

    `fact_tables`: the (source, table) pairs of the order, order line and event tables."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    ref_ids = [u for u, n in manifest["nodes"].items()
               if n["resource_type"] == "model" and n["name"] == REFERENCES_MODEL]
    if not ref_ids:
        return None
    ref_id = ref_ids[0]
    buildable = ("model", "seed", "snapshot")

    parents = {u: list(n.get("depends_on", {}).get("nodes", [])) for u, n in nodes.items()}

    ancestors: set[str] = set()
    todo = [ref_id]
    while todo:
        u = todo.pop()
        for p in parents.get(u, []):
            if p not in ancestors:
                ancestors.add(p)
                todo.append(p)

    tainted: dict[str, bool] = {}

    def is_tainted(u: str) -> bool:
        """Reachable from a fact source without passing through the references model."""
        if u in tainted:
            return tainted[u]
        tainted[u] = False
        n = nodes[u]
        if n["resource_type"] == "source":
            result = (n["source_name"], n["name"]) in fact_tables
        else:
            result = any(is_tainted(p) for p in parents.get(u, []) if p != ref_id)
        tainted[u] = result
        return result

    phase_one, side, side_ids, sources = [], [], [], set()
    for u in sorted(selected):
        n = nodes.get(u)
        if not n or n["resource_type"] not in buildable:
            continue
        if u == ref_id or u in ancestors:
            phase_one.append(n["name"])
        elif not is_tainted(u):
            side.append(n["name"])
            side_ids.append(u)
    side_ids = _topological(side_ids, parents)
    side = [nodes[u]["name"] for u in side_ids]
    for u in side_ids:
        for p in parents.get(u, []):
            if nodes[p]["resource_type"] == "source":
                sources.add((nodes[p]["source_name"], nodes[p]["name"]))
    all_names = sorted(nodes[u]["name"] for u in selected if u in nodes
                       and nodes[u]["resource_type"] in buildable)
    # the tests of the selected models, and the others by name: phase two (indirect selection
    # empty) leaves a test out only when named, the tag store's tests among them
    tests, other_tests = {}, []
    for u, n in manifest["nodes"].items():
        if n["resource_type"] != "test":
            continue
        reads = [p for p in parents.get(u, []) if p in nodes and nodes[p]["resource_type"] in buildable]
        if all(p in selected for p in reads):
            tests[n["name"]] = {nodes[p]["name"] for p in reads}
        else:
            other_tests.append(n["name"])
    return BuildPlan(phase_one, side, side_ids, sorted(sources), all_names, tests=tests,
                     other_tests=sorted(other_tests))


def _topological(ids: list[str], parents: Mapping[str, list[str]]) -> list[str]:
    """`ids` with every node after the nodes it reads (Dagster wants outputs in that order)."""
    wanted, done, order = set(ids), set(), []

    def visit(u: str) -> None:
        if u in done:
            return
        done.add(u)
        for p in parents.get(u, []):
            if p in wanted:
                visit(p)
        order.append(u)

    for u in sorted(ids):
        visit(u)
    return order


def ensure_state(con: Connection) -> None:
    con.execute(STATE_DDL)


def read_state(con: Connection, name: str) -> str | None:
    ensure_state(con)
    rows = con.execute("select fingerprint from raw.build_state where name = ?", [name]).fetchall()
    return rows[0][0] if rows else None


def write_state(con: Connection, name: str, fingerprint: str | None, detail: str = "") -> None:
    ensure_state(con)
    con.execute("delete from raw.build_state where name = ?", [name])
    if fingerprint is not None:
        con.execute("insert into raw.build_state values (?, ?, current_timestamp, ?)",
                    [name, fingerprint, detail])


def customer_side_fingerprint(con: Connection, plan: BuildPlan, project_fingerprint: str,
                              dbt_vars: list[str], references_relation: str) -> str:
    """Everything the customer side reads, hashed: code, vars, the loaded customer files and
    the customer references found in orders and events."""
    h = hashlib.sha256()
    h.update(project_fingerprint.encode())
    h.update(json.dumps(dbt_vars).encode())
    h.update(json.dumps(plan.customer_side).encode())
    has_log = con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' "
                          "and table_name = 'load_log'").fetchall()[0][0]
    if has_log:
        for source, table in plan.customer_sources:
            rows = con.execute(
                "select source_file, file_sha256, config_fingerprint, status from raw.load_log "
                "where source = ? and table_name = ? order by source_file", [source, table]).fetchall()
            h.update(json.dumps([source, table, rows], default=str).encode())
    refs = con.execute(
        f"select count(*), cast(coalesce(sum(hash(record_key, source_system, source_record_id)), 0) as varchar) "
        f"from {references_relation}").fetchall()[0]
    h.update(json.dumps(refs, default=str).encode())
    return h.hexdigest()
