"""The model tags: what each one reads from the warehouse, the pure function of `models/` it
calls, and the tables it writes (`model_tags.<name>`, with the as-of date of the facts).

Each reads already-aggregated facts with one SQL statement (the per-customer fact tags, the
per-customer-day paid orders, the purchase history), so the heavy work stays in the
warehouse; `MODEL_TAGS` is the registry the Dagster assets (orchestration/assets/model_tags.py)
are built from. The churn tag is scored by orchestration/churn."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from models.clv import clv_scores
from models.lifecycle import lifecycle_stages
from models.loyalty import loyalty_scores
from models.rfm import score_rfm
from models.state import customer_states
from models.value_class import value_classes
from orchestration.churn.scoring import compute_churn
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.tag_watch import loyalty_bin, probability_bin
from orchestration.warehouse import Connection, replace_table, table_exists, tables
from orchestration.warehouse.tables import DATA_WINDOW, FACT_TAGS, ORDER_DAYS, PURCHASE_HISTORY

NO_AS_OF = ("no as-of date: the data holds no date (no order or event time, no customer record "
            "created_at / updated_at) and none was given: the tags are not computed; identity "
            "resolution is built. Run with --as-of YYYY-MM-DD (HUAXIANG_AS_OF) to tag as of a date.")


def run_as_of(con: Connection) -> date | None:
    """The as-of date of this run (int_data_window), None when there is none to compute for:
    the tag steps then skip (their outputs are skippable) and so does everything after them."""
    if not table_exists(con, DATA_WINDOW):
        return None
    rows = con.execute(f"select as_of_date from {DATA_WINDOW}").fetchall()
    return rows[0][0] if rows else None


def facts_as_of(con: Connection) -> str:
    rows = con.execute(f"select min(as_of_date), max(as_of_date) from {FACT_TAGS}").fetchall()
    low, high = rows[0]
    if low != high:
        raise RuntimeError(f"{FACT_TAGS} mixes as-of dates {low} and {high}: rebuild it")
    if low is None:
        raise RuntimeError(f"{FACT_TAGS} is empty: no customer is known on the as-of date")
    return low.isoformat()


DATE_COLUMNS = ("as_of_date", "trained_as_of", "training_cutoff", "cutoff_date")


def write_model_table(con: Connection, table: str, df: pd.DataFrame, order_by: str = "customer_id") -> None:
    """Replace model_tags.<table> with `df`, rows in a fixed order (byte-identical reruns);
    the date columns typed DATE whatever pandas made of them."""
    replace_table(con, tables.model_tags(table), df, order_by=order_by, date_columns=DATE_COLUMNS)


def _window_totals(con: Connection, window_days: int) -> pd.DataFrame:
    """Every customer with the paid orders and net amount of the last `window_days` days (0
    without) and the days since their last paid order: the input of RFM and value class."""
    return con.execute(f"""
        select f.customer_id, f.as_of_date, f.days_since_last_order,
               coalesce(w.paid_orders, 0) as paid_orders, coalesce(w.net_amount, 0) as net_amount
        from {FACT_TAGS} as f
        left join (
            select customer_id, sum(paid_orders) as paid_orders, cast(sum(net_amount) as double) as net_amount
            from {ORDER_DAYS} where days_ago < ? group by customer_id
        ) as w on w.customer_id = f.customer_id
        order by f.customer_id""", [window_days]).fetch_df()


def compute_rfm(con: Connection, config: TagConfig) -> dict[str, pd.DataFrame]:
    p = config.rfm
    inputs = _window_totals(con, p.window_days).rename(columns={
        "days_since_last_order": "recency_days", "paid_orders": "frequency", "net_amount": "monetary"})
    result = score_rfm(inputs, p)
    out = result.customers.copy()
    out.insert(1, "as_of_date", inputs["as_of_date"].to_numpy())
    thresholds = result.thresholds.copy()
    thresholds.insert(0, "as_of_date", inputs["as_of_date"].iloc[0] if len(inputs) else None)
    for dim in ("r", "f", "m"):
        row = thresholds[thresholds["dimension"] == dim.upper()].iloc[0]
        out[f"{dim}_threshold"] = row["threshold"]
    return {"rfm": out, "rfm_thresholds": thresholds}


def compute_loyalty(con: Connection, config: TagConfig) -> dict[str, pd.DataFrame]:
    p = config.loyalty
    customers = con.execute(f"select customer_id, as_of_date from {FACT_TAGS} order by customer_id").fetch_df()
    activity = con.execute(
        f"select customer_id, days_ago, paid_orders as count from {ORDER_DAYS} where days_ago < ?",
        [p.horizon_days]).fetch_df()
    out = loyalty_scores(customers["customer_id"], activity, p)
    out.insert(1, "as_of_date", customers["as_of_date"].to_numpy())
    out["period_days"] = p.period_days
    return {"loyalty": out}


def _facts(con: Connection, columns: list[str]) -> pd.DataFrame:
    cols = ", ".join(["customer_id", "as_of_date", *columns])
    return con.execute(f"select {cols} from {FACT_TAGS} order by customer_id").fetch_df()


def compute_state(con: Connection, config: TagConfig) -> dict[str, pd.DataFrame]:
    facts = _facts(con, ["paid_orders_total", "days_since_first_order", "days_since_last_order",
                         "paid_order_days"])
    out = customer_states(facts, config.customer_state)
    out.insert(1, "as_of_date", facts["as_of_date"].to_numpy())
    out["days_since_last_order"] = facts["days_since_last_order"].to_numpy()
    return {"customer_state": out}


def compute_lifecycle(con: Connection, config: TagConfig) -> dict[str, pd.DataFrame]:
    cols = ["paid_orders_total", "is_member", "referrals_365d", "has_contact", "events_total"]
    facts = _facts(con, cols)
    out = lifecycle_stages(facts, config.lifecycle_stage)
    out.insert(1, "as_of_date", facts["as_of_date"].to_numpy())
    for c in cols:
        out[c] = facts[c].to_numpy()
    return {"lifecycle_stage": out}


def compute_value_class(con: Connection, config: TagConfig) -> dict[str, pd.DataFrame]:
    p = config.value_class
    revenue = _window_totals(con, p.window_days).rename(columns={"net_amount": "revenue"})
    out = value_classes(revenue, p)
    out.insert(1, "as_of_date", revenue["as_of_date"].to_numpy())
    out["window_days"] = p.window_days
    return {"value_class": out}


def compute_clv(con: Connection, config: TagConfig) -> dict[str, pd.DataFrame]:
    """P(alive), expected purchases and spend for the buyers; NULL for customers who never bought."""
    customers = con.execute(f"select customer_id, as_of_date from {FACT_TAGS} order by customer_id").fetch_df()
    history = con.execute(f"select customer_id, frequency, recency, t_days, monetary_repeat from {PURCHASE_HISTORY} "
                          "order by customer_id").fetch_df()
    result = clv_scores(history, config.clv)
    out = customers.merge(result.customers, on="customer_id", how="left")
    missing = [t.key for t in config.of_source("clv") if t.key not in out.columns]
    if missing:
        raise ValueError(f"{config.path}: clv tag(s) {missing} are not computed with parameters.clv "
                         f"(horizons_days {list(config.clv.horizons_days)})")
    out["model_version"] = result.version
    fit = pd.DataFrame([{"as_of_date": customers["as_of_date"].iloc[0] if len(customers) else None,
                         "model_version": result.version,
                         "fit": json.dumps(result.fit, sort_keys=True, default=str)}])
    return {"clv": out, "clv_fit": fit}


@dataclass(frozen=True)
class ModelTag:
    compute: Callable[..., dict[str, pd.DataFrame]]  # (con, config[, store])
    column: str  # of model_tags.<name>: checked for coverage, its distribution watched
    tag_key: str  # the catalogue tag it becomes
    binner: Callable[[float], str] | None = None  # numbers are watched in bins
    extra_tables: tuple[str, ...] = ()  # written besides model_tags.<name>
    nullable: bool = False  # NULL is a legitimate value (a predictive tag of a customer who never bought)
    inputs: tuple[tables.Table, ...] = (FACT_TAGS, ORDER_DAYS)  # the asset's upstream tables
    uses_model_store: bool = False  # compute(con, config, store): scores with a stored model

    def watched(self, values: pd.Series) -> pd.Series:
        return values.map(self.binner) if self.binner else values


MODEL_TAGS: dict[str, ModelTag] = {
    "rfm": ModelTag(compute_rfm, "segment_code", "rfm_segment", extra_tables=("rfm_thresholds",)),
    "loyalty": ModelTag(compute_loyalty, "loyalty_score", "loyalty_score", binner=loyalty_bin),
    "customer_state": ModelTag(compute_state, "state", "customer_state"),
    "lifecycle_stage": ModelTag(compute_lifecycle, "stage", "lifecycle_stage"),
    "value_class": ModelTag(compute_value_class, "value_class", "value_class"),
    "clv": ModelTag(compute_clv, "p_alive", "p_alive", binner=probability_bin, extra_tables=("clv_fit",),
                    nullable=True, inputs=(FACT_TAGS, PURCHASE_HISTORY)),
    "churn": ModelTag(compute_churn, "churn_risk", "churn_risk", extra_tables=("churn_scoring",),
                      inputs=(FACT_TAGS, ORDER_DAYS, tables.FCT_CUSTOMER_EVENTS, tables.CHURN_MODEL),
                      uses_model_store=True),
}
