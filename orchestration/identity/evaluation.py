"""Pairwise precision and recall of identity resolution against ground truth.

Counting pairs never enumerates them: within a customer of n records there are n(n-1)/2
predicted pairs, within a true person the same; the true positives are the pairs inside
each (customer, person) intersection. So the whole evaluation is three GROUP BYs in the
warehouse, linear in the number of records, at a million customers as at a thousand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from orchestration.warehouse import Connection

PAIRS = "sum(n * (n - 1) / 2)"


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise scores of one slice of records ('all' or 'weak')."""

    scope: str
    records: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    customers: int
    persons: int

    def as_dict(self) -> dict:
        return asdict(self)


def _ratio(num: int, den: int) -> float:
    return 1.0 if den == 0 else num / den


def evaluate(con: Connection, truth_records_csv: Path,
             xref_table: str = "marts.customer_source_xref") -> list[PairwiseScores]:
    """Scores for all records and for the weak ones (only name, birth date and address).

    A pair counts for the 'weak' slice when at least one of its records is weak.
    """
    source = f"read_csv('{truth_records_csv.as_posix()}', header = true, all_varchar = true)"
    columns = {row[0] for row in con.execute(f"describe select * from {source}").fetchall()}
    missing = {"source_system", "source_record_id", "person_id"} - columns
    if missing:
        raise ValueError(f"ground truth {truth_records_csv}: no column(s) {sorted(missing)}; "
                         f"it needs source_system, source_record_id, person_id (weak optional); "
                         f"its columns are {sorted(columns)}")
    # 'weak' (only a name, a birth date and an address) is optional: without it no record is weak
    weak = "coalesce(try_cast(weak as boolean), false)" if "weak" in columns else "false"
    con.execute(
        "create or replace temp table _truth as select source_system, source_record_id, person_id, "
        f"{weak} as weak from {source}")
    con.execute(
        "create or replace temp table _joined as select x.customer_id, t.person_id, t.weak "
        f"from {xref_table} x join _truth t using (source_system, source_record_id)")
    def pairs(group: str, where: str) -> int:
        return con.execute(
            f"select coalesce({PAIRS}, 0) from (select count(*) n from _joined where {where} group by {group})"
        ).fetchall()[0][0]

    groups = {"true_positive": "customer_id, person_id", "predicted": "customer_id", "true": "person_id"}
    every = {k: int(pairs(g, "true")) for k, g in groups.items()}
    # pairs with at least one weak record = all pairs - pairs among non-weak records
    non_weak = {k: int(pairs(g, "not weak")) for k, g in groups.items()}
    out = []
    for scope, cond, counts in (("all", "true", every),
                                ("weak", "weak", {k: every[k] - non_weak[k] for k in groups})):
        n, customers, persons = con.execute(
            f"select count(*), count(distinct customer_id), count(distinct person_id) from _joined where {cond}"
        ).fetchall()[0]
        tp, pred, true = counts["true_positive"], counts["predicted"], counts["true"]
        out.append(PairwiseScores(scope=scope, records=int(n), true_pairs=true, predicted_pairs=pred,
                                  true_positive_pairs=tp, precision=_ratio(tp, pred), recall=_ratio(tp, true),
                                  customers=int(customers), persons=int(persons)))
    return out


def identity_stats(con: Connection) -> dict:
    """What identity resolution did, for people to judge without ground truth: records and
    customers, the merge rate, the cluster-size distribution, links per rule, keys demoted by
    the over-merge guard, and the orders and events whose customer reference resolved to nobody.
    """

    def rows(sql: str) -> list[tuple]:
        return con.execute(sql).fetchall()

    records, customers, biggest = rows(
        "select count(*), count(distinct customer_id), "
        "coalesce(max(n), 0) from marts.customer_source_xref "
        "join (select customer_id, count(*) n from marts.customer_source_xref group by 1) using (customer_id)")[0]
    sizes = rows("select n, count(*) from (select customer_id, count(*) n from marts.customer_source_xref "
                 "group by 1) group by 1 order by 1")
    by_rule = rows("select rule, count(*) from marts.identity_edges group by 1 order by min(rule_rank), 1")
    records_by_rule = rows("select match_rule, count(*) from marts.customer_source_xref group by 1 order by 1")
    demoted = rows("select not_person_key_reason is not null, count(distinct identifier_type || ':' || key_value) "
                   "from intermediate.int_identity_keys group by 1")
    orders = rows("select count(distinct order_id), count(distinct case when customer_id is null then order_id end) "
                  "from marts.fct_orders")[0]
    events = rows("select count(*), count(*) filter (where customer_id is null and customer_record_key is not null), "
                  "count(*) filter (where customer_record_key is null) from marts.fct_customer_events")[0]
    demoted_map = {bool(k): int(v) for k, v in demoted}
    weights = rows("select comparison, level, level_description, m_probability, u_probability, n_sessions, "
                   "weight_bits from intermediate.int_identity_match_weights order by comparison = 'prior' desc, "
                   "comparison, level desc")
    candidates = rows("select first_blocking_rule, count(*) from intermediate.int_identity_candidate_pairs "
                      "group by 1 order by 2 desc, 1")
    return {
        "records": int(records),
        "customers": int(customers),
        "merge_rate": round(1 - customers / records, 4) if records else 0.0,
        "largest_customer_records": int(biggest),
        "customers_by_record_count": {str(int(n)): int(c) for n, c in sizes},
        "links_by_rule": {r: int(n) for r, n in by_rule},
        "records_by_match_rule": {r: int(n) for r, n in records_by_rule},
        "identifiers_used_as_person_keys": demoted_map.get(False, 0),
        "identifiers_not_person_keys": demoted_map.get(True, 0),
        "orders": int(orders[0]),
        "orders_without_customer": int(orders[1]),
        "events": int(events[0]),
        "events_unresolved_member": int(events[1]),
        "events_anonymous": int(events[2]),
        "match_prior": next((float(w[3]) for w in weights if w[0] == "prior"), None),
        "match_parameters": [
            {"comparison": c, "level": lvl, "description": d, "m": m, "u": u, "n_sessions": n, "weight_bits": wb}
            for c, lvl, d, m, u, n, wb in weights],
        "candidate_pairs_by_first_rule": {r: int(n) for r, n in candidates},
    }


def match_parameters_markdown(parameters: list[dict]) -> str:
    """The Fellegi-Sunter parameters as a table people read in the Dagster UI: the prior, and per
    comparison level m, u and the weight in bits."""
    lines = ["| comparison | level | m | u | weight (bits) | sessions | meaning |", "|---|---|---|---|---|---|---|"]
    for p in parameters:
        u = "" if p["u"] is None else f"{p['u']:.3g}"
        lines.append(f"| {p['comparison']} | {'' if p['level'] is None else p['level']} | {p['m']:.3g} | {u} | "
                     f"{p['weight_bits']:+.2f} | {'' if p['n_sessions'] is None else p['n_sessions']} | "
                     f"{p['description']} |")
    return "\n".join(lines)
