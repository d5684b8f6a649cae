"""The warehouse's schemas and the tables the Python code reads or writes, named once.

A table's Dagster asset key is derived from its name ([schema, table], the key dagster-dbt
gives a dbt model too), so a table and its asset cannot drift apart. dbt models that no
Python reads are named only in dbt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster import AssetKey

RAW = "raw"  # landing files as loaded (text), rejects, load log, build state
STAGING = "staging"  # dbt: one model per source table, typed and normalised; seeds
INTERMEDIATE = "intermediate"  # dbt: validated rows, identity resolution, per-customer facts
MODEL_TAGS = "model_tags"  # Python: model tags, rule tags, segments, tag catalogue
MARTS = "marts"  # dbt: customers, facts, tag store, segments, portraits (copied to BI)
SCHEMAS = (RAW, STAGING, INTERMEDIATE, MODEL_TAGS, MARTS)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def key(self) -> AssetKey:
        from dagster import AssetKey

        return AssetKey([self.schema, self.name])

    @classmethod
    def parse(cls, qualified: str) -> Table:
        schema, name = qualified.split(".")
        return cls(schema, name)


def raw(name: str) -> Table:
    return Table(RAW, name)


def intermediate(name: str) -> Table:
    return Table(INTERMEDIATE, name)


def model_tags(name: str) -> Table:
    return Table(MODEL_TAGS, name)


def mart(name: str) -> Table:
    return Table(MARTS, name)


# intermediate: what the Python tag models read
DATA_WINDOW = intermediate("int_data_window")
FACT_TAGS = intermediate("int_customer_fact_tags")
ORDER_DAYS = intermediate("int_customer_order_days")
PURCHASE_HISTORY = intermediate("int_customer_purchase_history")

# model_tags: written by the Python tag models, rule tags and segments
CHURN_MODEL = model_tags("churn_model")  # an asset without a table: the classifier on disk
CHURN_BACKTEST = model_tags("churn_backtest")
CHURN_MODEL_REGISTRY = model_tags("churn_model_registry")
CHURN_SCORING = model_tags("churn_scoring")
TAG_INPUTS = model_tags("tag_inputs")
RULE_TAG_VALUES = model_tags("rule_tag_values")
RULE_TAG_CATALOGUE = model_tags("rule_tag_catalogue")
SEGMENT_MEMBERSHIP = model_tags("segment_membership")
SEGMENT_CATALOGUE = model_tags("segment_catalogue")
TAG_CATALOGUE = model_tags("tag_catalogue")
TAG_VALUE_LABELS = model_tags("tag_value_labels")

# marts: read by the Python steps after dbt
DIM_CUSTOMER = mart("dim_customer")
DIM_ACCOUNT = mart("dim_account")
FCT_ORDERS = mart("fct_orders")
FCT_CUSTOMER_EVENTS = mart("fct_customer_events")
CUSTOMER_SOURCE_XREF = mart("customer_source_xref")
CUSTOMER_TAG_HISTORY = mart("customer_tag_history")
SEGMENT_MEMBERS = mart("segment_members")
