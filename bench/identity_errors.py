"""Identity resolution's errors by dirt class: which true pairs it missed and which pairs it
merged wrongly, sliced by what is wrong with the records (ground_truth/records.csv, column
``dirt``: the defects of each record's export row, ``;``-separated, plus ``orders_only`` for a
marketplace buyer known only from orders; ``weak_record`` also from the column ``weak``, for
ground truth written before the dirt column).

A pair counts for a class when either of its records has it ("touching"); "only" counts the
pairs whose two records together have that class and no other, so those errors are that
class's alone. Pairs are enumerated (within a true person and within a resolved customer,
both small), so this is for samples up to a few million records. Reads a built warehouse,
read-only; writes nothing unless --json.

Usage:
    .venv/bin/python bench/identity_errors.py WAREHOUSE [--truth RECORDS_CSV] [--examples 3]
        [--classes honorific,screen_name] [--json OUT.json]

WAREHOUSE is a warehouse built by `huaxiang run`; --truth defaults to
ground_truth/records.csv beside the warehouse's folder's landing/ (as the run finds it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
from union_find import components

CONTEXT = ["full_name", "family_name", "given_name", "nickname", "gender", "birth_date", "birth_year",
           "mobile", "phone", "email", "city", "address"]


def load(con: duckdb.DuckDBPyConnection, truth: Path) -> None:
    """Temp tables: _rec (one row per evaluated record), _true / _pred (pairs), _labels."""
    src = f"read_csv('{truth.as_posix()}', header = true, all_varchar = true)"
    cols = {r[0] for r in con.execute(f"describe select * from {src}").fetchall()}
    missing = sorted({"source_system", "source_record_id", "person_id"} - cols)
    if missing:
        sys.exit(f"{truth}: ground truth needs the columns source_system, source_record_id and person_id; "
                 f"missing {', '.join(missing)} (it has {', '.join(sorted(cols))})")
    weak = "coalesce(try_cast(t.weak as boolean), false)" if "weak" in cols else "false"
    dirt = "coalesce(t.dirt, '')" if "dirt" in cols else "''"
    con.execute(f"""
        create temp table _rec as
        select x.record_key, t.source_system, t.source_record_id, t.person_id, x.customer_id,
               list_distinct(list_filter(
                   string_split({dirt}, ';') || case when {weak} then ['weak_record'] else [] end,
                   lambda d: d <> '')) as dirt
        from {src} t
        join marts.customer_source_xref x using (source_system, source_record_id)""")
    con.execute("""
        create temp table _true as
        select a.record_key as key_a, b.record_key as key_b,
               a.customer_id = b.customer_id as found, a.source_system as src_a, b.source_system as src_b,
               list_distinct(a.dirt || b.dirt) as dirt
        from _rec a join _rec b on a.person_id = b.person_id and a.record_key < b.record_key""")
    con.execute("""
        create temp table _pred as
        select a.record_key as key_a, b.record_key as key_b,
               a.person_id = b.person_id as correct, a.source_system as src_a, b.source_system as src_b,
               list_distinct(a.dirt || b.dirt) as dirt
        from _rec a join _rec b on a.customer_id = b.customer_id and a.record_key < b.record_key""")


def totals(con: duckdb.DuckDBPyConnection) -> dict:
    true_pairs, missed = con.execute("select count(*), count(*) filter (where not found) from _true").fetchone()
    pred_pairs, wrong = con.execute("select count(*), count(*) filter (where not correct) from _pred").fetchone()
    records = con.execute("select count(*) from _rec").fetchone()[0]
    return {"records": records, "true_pairs": true_pairs, "missed": missed, "predicted_pairs": pred_pairs,
            "over_merged": wrong, "precision": (pred_pairs - wrong) / pred_pairs if pred_pairs else 1.0,
            "recall": (true_pairs - missed) / true_pairs if true_pairs else 1.0}


def by_class(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per dirt class (and 'clean': pairs of two records without any): pairs, errors, rates."""
    rows = con.execute("""
        with t as (
            select unnest(case when len(dirt) = 0 then ['(clean)'] else dirt end) as cls,
                   found, len(dirt) <= 1 as single from _true),
        p as (
            select unnest(case when len(dirt) = 0 then ['(clean)'] else dirt end) as cls,
                   correct, len(dirt) <= 1 as single from _pred),
        tc as (select cls, count(*) as true_pairs, count(*) filter (where not found) as missed,
                      count(*) filter (where not found and single) as missed_only from t group by 1),
        pc as (select cls, count(*) as predicted_pairs, count(*) filter (where not correct) as over_merged,
                      count(*) filter (where not correct and single) as over_merged_only from p group by 1)
        select coalesce(tc.cls, pc.cls), coalesce(true_pairs, 0), coalesce(missed, 0), coalesce(missed_only, 0),
               coalesce(predicted_pairs, 0), coalesce(over_merged, 0), coalesce(over_merged_only, 0)
        from tc full join pc on tc.cls = pc.cls
        order by coalesce(missed, 0) + coalesce(over_merged, 0) desc, 1""").fetchall()
    out = []
    for cls, tp, missed, missed_only, pp, wrong, wrong_only in rows:
        out.append({"class": cls, "true_pairs": tp, "missed": missed, "missed_only": missed_only,
                    "recall": (tp - missed) / tp if tp else None, "predicted_pairs": pp, "over_merged": wrong,
                    "over_merged_only": wrong_only, "precision": (pp - wrong) / pp if pp else None})
    return out


def by_sources(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per pair of source systems."""
    rows = con.execute("""
        with t as (select least(src_a, src_b) || '+' || greatest(src_a, src_b) as sources, found from _true),
        p as (select least(src_a, src_b) || '+' || greatest(src_a, src_b) as sources, correct from _pred),
        tc as (select sources, count(*) n, count(*) filter (where not found) missed from t group by 1),
        pc as (select sources, count(*) n, count(*) filter (where not correct) wrong from p group by 1)
        select coalesce(tc.sources, pc.sources), coalesce(tc.n, 0), coalesce(missed, 0), coalesce(pc.n, 0),
               coalesce(wrong, 0)
        from tc full join pc on tc.sources = pc.sources
        order by coalesce(missed, 0) + coalesce(wrong, 0) desc, 1""").fetchall()
    return [{"sources": s, "true_pairs": tp, "missed": m, "recall": (tp - m) / tp if tp else None,
             "predicted_pairs": pp, "over_merged": w, "precision": (pp - w) / pp if pp else None}
            for s, tp, m, pp, w in rows]


# the fields a matcher could link two records by when they hold the same value (names by their
# key, so a typo or a traditional character still counts as the same name: a generous bound)
EVIDENCE = ("mobile", "email", "id_number", "wechat_unionid", "landline", "name_key", "legal_name_key",
            "birth_date", "address_key", "xref_record_key", "account_key")


def evidence_ceiling(con: duckdb.DuckDBPyConnection) -> dict:
    """The recall no matcher can beat on this data: two records of one person are *reachable*
    when a chain of that person's records joins them, each step sharing one value of a field in
    EVIDENCE (a source cross-reference counts as shared with the record it names). A true pair
    not reachable shares nothing with its twin, not even through a third record (a service-desk
    contact known by a landline nobody else wrote and a form of address): every matcher misses it.
    Optimistic on purpose: one shared birth date or city flat counts as a link."""
    have = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'intermediate' and table_name = 'int_identity_records'").fetchall()}
    fields = [f for f in EVIDENCE if f in have]
    if not fields:
        return {}
    values = " union all ".join(
        f"select r.person_id, '{f}' as field, cast(i.{f} as varchar) as v, r.record_key "
        f"from _rec r join intermediate.int_identity_records i using (record_key) where i.{f} is not null"
        for f in fields if f != "xref_record_key")
    xref = ("union all select r.person_id, 'xref', i.xref_record_key, r.record_key from _rec r "
            "join intermediate.int_identity_records i using (record_key) where i.xref_record_key is not null "
            "union all select person_id, 'xref', record_key, record_key from _rec") if "xref_record_key" in fields else ""
    edges = con.execute(f"""
        with v as ({values} {xref})
        select record_key, min(record_key) over (partition by person_id, field, v) from v""").fetchall()
    component = components(edges)
    con.execute("create or replace temp table _reach (record_key varchar, component varchar)")
    keys = [r[0] for r in con.execute("select record_key from _rec").fetchall()]
    con.execute("insert into _reach select unnest(?), unnest(?)", [keys, [component.get(k, k) for k in keys]])
    reachable, missed_unreachable = con.execute("""
        select count(*) filter (where ra.component = rb.component),
               count(*) filter (where not t.found and ra.component <> rb.component)
        from _true t join _reach ra on ra.record_key = t.key_a join _reach rb on rb.record_key = t.key_b""").fetchone()
    true_pairs = con.execute("select count(*) from _true").fetchone()[0]
    return {"fields": fields, "reachable_pairs": reachable, "missed_unreachable": missed_unreachable,
            "recall_ceiling": reachable / true_pairs if true_pairs else 1.0}


def examples(con: duckdb.DuckDBPyConnection, cls: str, kind: str, k: int) -> list[dict]:
    """Up to k missed (kind 'missed') or over-merged ('over_merged') pairs touching a class,
    with what the staged records hold (a reference-only record shows only its key)."""
    table, cond = ("_true", "not found") if kind == "missed" else ("_pred", "not correct")
    have = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'intermediate' and table_name = 'int_customer_records_validated'").fetchall()}
    fields = [c for c in CONTEXT if c in have]
    select = ", ".join(f"cast({c} as varchar) as {c}" for c in fields)
    pairs = con.execute(f"""
        select key_a, key_b, dirt from {table}
        where {cond} and list_contains(dirt, ?) order by hash(key_a || key_b) limit {int(k)}""", [cls]).fetchall()
    out = []
    for key_a, key_b, dirt in pairs:
        recs = []
        for key in (key_a, key_b):
            row = con.execute(f"""
                select r.person_id, r.customer_id, r.dirt{', ' + select if select else ''}
                from _rec r left join intermediate.int_customer_records_validated v
                  on v.record_key = r.record_key and v.is_valid
                where r.record_key = ?""", [key]).fetchone()
            rec = {"record": key, "person": row[0], "customer": row[1], "dirt": row[2]}
            rec.update({f: v for f, v in zip(fields, row[3:]) if v is not None})
            recs.append(rec)
        out.append({"pair_dirt": dirt, "records": recs})
    return out


def fmt(x: float | None) -> str:
    return "   -  " if x is None else f"{x:.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--truth", type=Path, default=None)
    ap.add_argument("--examples", type=int, default=2, help="missed / over-merged pairs shown per class")
    ap.add_argument("--classes", default=None, help="comma-separated classes to show examples of [all with errors]")
    ap.add_argument("--json", type=Path, default=None, help="also write everything as JSON here")
    args = ap.parse_args()
    truth = args.truth or args.warehouse.resolve().parent / "ground_truth" / "records.csv"
    if not truth.is_file():
        sys.exit(f"no ground truth at {truth}: pass --truth")
    con = duckdb.connect(str(args.warehouse), read_only=True)
    load(con, truth)
    tot = totals(con)
    classes = by_class(con)
    sources = by_sources(con)
    ceiling = evidence_ceiling(con)
    print(f"identity vs {truth}: {tot['records']:,} records, {tot['true_pairs']:,} true pairs, "
          f"{tot['predicted_pairs']:,} predicted pairs")
    print(f"  precision {tot['precision']:.4f} ({tot['over_merged']:,} over-merged pairs), "
          f"recall {tot['recall']:.4f} ({tot['missed']:,} missed pairs)")
    if ceiling:
        print(f"  recall ceiling {ceiling['recall_ceiling']:.4f}: {tot['true_pairs'] - ceiling['reachable_pairs']:,} "
              f"true pairs share no value of any field, even through the person's other records "
              f"({ceiling['missed_unreachable']:,} of the missed pairs; no matcher can find them)")
    print()
    print("by dirt class (a pair counts when either record has it; 'only': the pair has that class and no other)")
    head = (f"  {'class':<24} {'true pairs':>10} {'missed':>7} {'only':>6} {'recall':>7}   "
            f"{'pred pairs':>10} {'over-merged':>11} {'only':>6} {'precision':>9}")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for c in classes:
        print(f"  {c['class']:<24} {c['true_pairs']:>10,} {c['missed']:>7,} {c['missed_only']:>6,} "
              f"{fmt(c['recall']):>7}   {c['predicted_pairs']:>10,} {c['over_merged']:>11,} "
              f"{c['over_merged_only']:>6,} {fmt(c['precision']):>9}")
    print("\nby pair of source systems")
    print(f"  {'sources':<16} {'true pairs':>10} {'missed':>7} {'recall':>7}   {'pred pairs':>10} "
          f"{'over-merged':>11} {'precision':>9}")
    for s in sources:
        print(f"  {s['sources']:<16} {s['true_pairs']:>10,} {s['missed']:>7,} {fmt(s['recall']):>7}   "
              f"{s['predicted_pairs']:>10,} {s['over_merged']:>11,} {fmt(s['precision']):>9}")
    wanted = args.classes.split(",") if args.classes else [
        c["class"] for c in classes if c["class"] != "(clean)" and (c["missed"] or c["over_merged"])]
    shown: dict[str, dict] = {}
    if args.examples > 0:
        for cls in wanted:
            shown[cls] = {kind: examples(con, cls, kind, args.examples) for kind in ("missed", "over_merged")}
        print(f"\nexamples (up to {args.examples} per class and kind; staged values)")
        for cls, kinds in shown.items():
            for kind, pairs in kinds.items():
                for pair in pairs:
                    print(f"  [{cls}] {kind}:")
                    for rec in pair["records"]:
                        rest = {k: v for k, v in rec.items() if k not in ("record", "person", "customer", "dirt")}
                        print(f"      {rec['record']:<24} person {rec['person']} customer {rec['customer']} "
                              f"dirt {','.join(rec['dirt']) or '-'}: {rest}")
    if args.json:
        args.json.write_text(json.dumps({"truth": str(truth), "totals": tot, "by_class": classes,
                                         "by_sources": sources, "ceiling": ceiling,
                                         "examples": shown},
                                        ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
