"""Watching a tag's values from run to run: shares per value (numbers in bins), the total
variation between two snapshots, and the shares of the newest snapshot before this one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from orchestration.warehouse import Connection, table_exists
from orchestration.warehouse.tables import CUSTOMER_TAG_HISTORY

if TYPE_CHECKING:
    from orchestration.tags.model_tags import ModelTag

LOYALTY_BINS = [(0, 0), (0, 25), (25, 50), (50, 75), (75, 100)]
PROBABILITY_BINS = [(0.0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0)]


def value_shares(values: pd.Series) -> dict[str, float]:
    counts = values.fillna("(null)").astype(str).value_counts()
    return {k: round(float(v) / max(1, len(values)), 6) for k, v in sorted(counts.items())}


def markdown_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(str(v) for v in row) + " |\n" for row in df.itertuples(index=False))


def loyalty_bin(score: float) -> str:
    for lo, hi in LOYALTY_BINS:
        if (lo == hi == 0 and score == 0) or lo < score <= hi:
            return "0" if lo == hi else f"({lo},{hi}]"
    return "(null)"


def probability_bin(p: float) -> str:
    if p is None or p != p:  # NaN: not scored
        return "(null)"
    for lo, hi in PROBABILITY_BINS:
        if lo <= p < hi or (hi == 1.0 and p == 1.0):
            return f"[{lo},{hi})" if hi < 1.0 else f"[{lo},{hi}]"
    return "(out of range)"


def total_variation(a: dict[str, float], b: dict[str, float]) -> float:
    return round(0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)), 6)


def previous_distribution(con: Connection, model: ModelTag, as_of: str
                          ) -> tuple[str | None, dict[str, float]]:
    """The tag's value shares in the newest history snapshot before `as_of` (none: {})."""
    if not table_exists(con, CUSTOMER_TAG_HISTORY):
        return None, {}
    prev = con.execute(f"select max(as_of_date) from {CUSTOMER_TAG_HISTORY} where tag_key = $tag and as_of_date < $as_of",
                       {"tag": model.tag_key, "as_of": as_of}).fetchall()[0][0]
    if prev is None:
        return None, {}
    df = con.execute(f"select value, numeric_value from {CUSTOMER_TAG_HISTORY} where tag_key = $tag and as_of_date = $prev",
                     {"tag": model.tag_key, "prev": prev}).fetch_df()
    values = df["numeric_value"] if model.binner else df["value"]
    return prev.isoformat(), value_shares(model.watched(values))
