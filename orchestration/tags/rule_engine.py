"""Run rule tags and segments in the warehouse: the inputs they read, and their evaluation.

Rules are parsed and compiled by the `rules` package (no database there). This module owns the
relations a compiled rule reads, all in SQL so the work stays in the warehouse:

* `model_tags.tag_inputs`: one row per customer known on the as-of date with every tag of the
  catalogue (fact tags from `int_customer_fact_tags`, model tags from the `model_tags`
  tables) and the golden-record fields a rule may name (from `marts.dim_customer`, masked:
  no raw contact data);
* temporary views of the events and orders on or before the as-of date;
* a temporary table of the rule-tag values computed so far, so a rule can name an earlier one.

`evaluate_rule_tags` runs the tags in dependency order and checks each result (one value per
customer, enum values from the declared list); a tag that fails in the warehouse is reported
with its file and line, and the tags that depend on it are left out too. The same code serves
the Dagster asset (which then writes the values) and `huaxiang tags preview` (which does not).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date


from orchestration.tags.catalogue import FACTS, TagConfig
from orchestration.tags.rules.compiling import compile_rule_tag
from orchestration.tags.rules.loading import fields_from_catalogue
from orchestration.tags.rules.schema import FieldSpec, RuleError, RuleTag, Segment
from orchestration.tags.rules.segments import reasons_sql
from orchestration.warehouse import Connection, InterruptError, WarehouseError, tables

TAG_INPUTS = str(tables.TAG_INPUTS)
FACT_TAGS = str(tables.FACT_TAGS)
EVENTS_VIEW = "_rule_events"
ORDERS_VIEW = "_rule_orders"
VALUES_TABLE = "_rule_values"

# model tag key -> (model_tags table, column holding the value)
MODEL_TAG_COLUMNS: dict[str, tuple[str, str]] = {
    "rfm_segment": ("rfm", "segment_code"),
    "rfm_r_score": ("rfm", "r_score"),
    "rfm_f_score": ("rfm", "f_score"),
    "rfm_m_score": ("rfm", "m_score"),
    "loyalty_score": ("loyalty", "loyalty_score"),
    "customer_state": ("customer_state", "state"),
    "lifecycle_stage": ("lifecycle_stage", "stage"),
    "value_class": ("value_class", "value_class"),
    "p_alive": ("clv", "p_alive"),
    "expected_purchases_30d": ("clv", "expected_purchases_30d"),
    "expected_purchases_90d": ("clv", "expected_purchases_90d"),
    "expected_purchases_180d": ("clv", "expected_purchases_180d"),
    "expected_spend_90d": ("clv", "expected_spend_90d"),
    "churn_probability": ("churn", "churn_probability"),
    "churn_risk": ("churn", "churn_risk"),
}

# golden-record field -> (kind, SQL over marts.dim_customer c and marts.dim_account a).
# Only masked or non-personal fields: a rule's result may be shown to operators.
GOLDEN_FIELDS: dict[str, tuple[str, str]] = {
    "level": ("text", "c.level"),
    "lead_source": ("text", "c.lead_source"),
    "company_name": ("text", "c.company_name"),
    "industry": ("text", "a.industry"),
    "company_size": ("text", "a.size"),
    "has_mobile": ("boolean", "c.has_mobile"),
    "has_email": ("boolean", "c.has_email"),
    "marketing_consent": ("boolean", "c.marketing_consent"),
    "birth_year": ("number", "c.birth_year"),
    "household_role": ("text", "c.household_role"),
    "in_household": ("boolean", "c.household_id is not null"),
    "n_records": ("number", "c.n_records"),
    "source_systems": ("text", "c.source_systems"),
    "first_seen_date": ("date", "cast(c.first_seen_at as date)"),
}


def rule_fields(config: TagConfig) -> dict[str, FieldSpec]:
    """What a rule or a segment may name: every catalogue tag and the golden-record fields."""
    fields = fields_from_catalogue(config)
    for name, (kind, _) in GOLDEN_FIELDS.items():
        fields.setdefault(name, FieldSpec(name, kind))
    return fields


def tag_inputs_sql(config: TagConfig) -> str:
    """One row per customer of the fact tags with every catalogue tag and golden field as columns."""
    columns = ["f.customer_id", "f.as_of_date"]
    joins: dict[str, str] = {}
    for tag in config.tags:
        if tag.source == FACTS:
            columns.append(f'f."{tag.key}"')
        else:
            table, column = MODEL_TAG_COLUMNS[tag.key]
            joins[table] = (f"left join model_tags.{table} as m_{table} "
                            f"on m_{table}.customer_id = f.customer_id and m_{table}.as_of_date = f.as_of_date")
            columns.append(f'm_{table}."{column}" as "{tag.key}"')
    for name, (_, expr) in GOLDEN_FIELDS.items():
        if name not in {t.key for t in config.tags}:
            columns.append(f'{expr} as "{name}"')
    return (f"select {', '.join(columns)}\nfrom {FACT_TAGS} as f\n" + "\n".join(joins.values())
            + "\nleft join marts.dim_customer as c on c.customer_id = f.customer_id"
              "\nleft join marts.dim_account as a on a.account_id = c.account_id"
              "\norder by f.customer_id")


def write_tag_inputs(con: Connection, config: TagConfig) -> date:
    """(Re)build model_tags.tag_inputs for the as-of date of the fact tags; returns that date."""
    con.execute("create schema if not exists model_tags")
    con.execute(f"create or replace table {TAG_INPUTS} as {tag_inputs_sql(config)}")
    rows = con.execute(f"select min(as_of_date), max(as_of_date), count(*) from {TAG_INPUTS}").fetchall()
    low, high, n = rows[0]
    if n == 0 or low != high:
        raise RuntimeError(f"{TAG_INPUTS}: expected one as-of date over a non-empty set, got {low}..{high} ({n} rows)")
    return low


def inputs_as_of(con: Connection) -> date:
    return con.execute(f"select max(as_of_date) from {TAG_INPUTS}").fetchall()[0][0]


def prepare_relations(con: Connection, as_of: date) -> None:
    """Temporary views of events and orders cut at the as-of date, and an empty values table.

    Temporary objects live in this connection only (and work on a read-only one, for previews)."""
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, not {as_of!r}")
    day = as_of.isoformat()  # a date object's own text, not operator input
    con.execute(f"""create or replace temp view {EVENTS_VIEW} as
        select customer_id, event_type, event_date, occurred_at, category, sku
        from marts.fct_customer_events where customer_id is not null and event_date <= date '{day}'""")
    con.execute(f"""create or replace temp view {ORDERS_VIEW} as
        select order_id, line_no, customer_id, order_date, ordered_at, status, is_paid, is_refunded, channel,
               store_id, sku, category, quantity, unit_price, gross_amount, net_amount, refunded_amount, order_amount
        from marts.fct_orders where customer_id is not null and order_date <= date '{day}'""")
    con.execute(f"create or replace temp table {VALUES_TABLE} (customer_id varchar, tag_key varchar, "
                "value varchar, numeric_value double)")


@dataclass(frozen=True)
class Evaluation:
    built: list[RuleTag]
    errors: list[RuleError]
    sql: dict[str, str]  # key -> compiled SQL (for the UI and `tags show`)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__


def rule_time_limit() -> float:
    """Seconds one rule tag may run (HUAXIANG_RULE_TIME_LIMIT_SECONDS, default 120): a rule that
    runs away fails alone instead of holding the pipeline."""
    try:
        return float(os.environ.get("HUAXIANG_RULE_TIME_LIMIT_SECONDS", "120"))
    except ValueError:
        return 120.0


def evaluate_rule_tags(con: Connection, tags: list[RuleTag], as_of: date,
                       facts: str = TAG_INPUTS, time_limit: float | None = None) -> Evaluation:
    """Compute `tags` (in dependency order) into the temp table _rule_values.

    Call `prepare_relations` first. Each tag's result is checked before it is kept; each runs
    under `time_limit` seconds (default rule_time_limit()), after which it is interrupted and
    fails alone."""
    time_limit = rule_time_limit() if time_limit is None else time_limit
    built: list[RuleTag] = []
    errors: list[RuleError] = []
    compiled: dict[str, str] = {}
    failed: set[str] = set()
    for tag in tags:
        broken_dep = sorted(tag.depends_on & failed)
        if broken_dep:
            failed.add(tag.key)
            errors.append(RuleError(tag.path, tag.line, tag.key, f"depends on rule tag {broken_dep[0]!r}, which failed"))
            continue
        sql, params = compile_rule_tag(tag, as_of, facts, EVENTS_VIEW, VALUES_TABLE, ORDERS_VIEW)
        compiled[tag.key] = sql
        line = tag.sql.line if tag.sql else tag.line
        timer = threading.Timer(time_limit, con.interrupt)
        timer.start()
        try:
            con.execute(f"insert into {VALUES_TABLE} select customer_id, $tag_key, value, numeric_value "
                        f"from ({sql}) as r", {**params, "tag_key": tag.key})
            problem = _check_values(con, tag, facts)
        except InterruptError:
            problem = (f"the rule ran longer than {time_limit:g}s and was stopped "
                       f"(the limit is HUAXIANG_RULE_TIME_LIMIT_SECONDS)")
        except WarehouseError as exc:
            problem = f"the rule failed in the warehouse: {_first_line(exc)}"
        finally:
            timer.cancel()
        if problem:
            con.execute(f"delete from {VALUES_TABLE} where tag_key = $tag_key", {"tag_key": tag.key})
            failed.add(tag.key)
            errors.append(RuleError(tag.path, line, tag.key, problem))
        else:
            built.append(tag)
    return Evaluation(built, errors, compiled)


def _check_values(con: Connection, tag: RuleTag, facts: str) -> str | None:
    n, n_ids, n_facts = con.execute(
        f"select count(*), count(distinct customer_id), (select count(*) from {facts}) "
        f"from {VALUES_TABLE} where tag_key = $tag_key", {"tag_key": tag.key}).fetchall()[0]
    if n != n_ids:
        return f"the rule gives {n - n_ids} customer(s) more than one value; a SELECT must return each customer once"
    if n != n_facts:
        return f"the rule gave {n} values for {n_facts} customers"
    allowed = [code for code, _ in tag.value_labels]
    if tag.value_type in ("enum", "boolean") and allowed:
        bad = con.execute(
            f"select value, count(*) from {VALUES_TABLE} where tag_key = $tag_key and value is not null "
            f"and value not in (select unnest($allowed::varchar[])) group by 1 order by 2 desc limit 3",
            {"tag_key": tag.key, "allowed": allowed}).fetchall()
        if bad:
            return (f"the rule gives value(s) {[v for v, _ in bad]} outside the declared values {allowed}")
    return None


def membership_sql(segment: Segment, facts: str = TAG_INPUTS, rule_values: str = str(tables.RULE_TAG_VALUES)
                   ) -> tuple[str, dict]:
    """SELECT customer_id, reasons of the members of `segment` on the as-of date of `facts`, and
    its named parameters (the reasons' $r1, $r2, ... and the membership rule's $p1, $p2, ...)."""
    # segments have no event conditions: the as-of date never enters their SQL
    compiled, params = compile_rule_tag(segment.as_rule_tag(), date.min, facts, "", rule_values)
    reasons, reason_params = reasons_sql(segment, facts, rule_values)
    sql = (f"select t.customer_id, {reasons} as reasons from {facts} as t "
           f"inner join ({compiled}) as r on r.customer_id = t.customer_id where r.value = 'true' "
           f"order by t.customer_id")
    return sql, {**reason_params, **params}
