"""Great Expectations suites for freshly loaded raw batches.

Raw tables are text, so "types" are checked as formats (a number's spelling, a date's) and
value ranges on the numeric reading of the text. Thresholds use `mostly`: dirty rows are
expected and handled by the rejects; a suite fails when dirt goes beyond the usual.

Two traps of GE 1.x are guarded against here, because either would make a check lie:
- an expectation that raised (`exception_info`) is an error of the check, never a pass and
  never "bad data";
- a suite keeps only one expectation per column and kind (adding a second silently replaces
  the first), so after validating we compare what ran with what we wrote and fail loudly if an
  expectation went missing.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import pandas as pd

from orchestration.sources_config import TableConfig

ORDER_STATUS_SPELLINGS = [
    "paid", "PAID", "Paid", "success", "completed", "已支付", "支付成功", "已完成", "交易成功",
    "refunded", "REFUNDED", "Refunded", "refund", "已退款", "退款", "退款成功", "已退货",
    "cancelled", "CANCELLED", "Cancelled", "canceled", "closed", "已取消", "取消", "交易关闭",
]
EVENT_TYPES = ["view", "search", "favourite", "favorite", "add_to_cart", "login", "share",
               "referral", "store_visit", "visit", "check_in", "checkin", "到店", "进店", "签到"]
GENDER_SPELLINGS = ["M", "F", "U", "m", "f", "u", "男", "女", "male", "female", "1", "2", "0"]
# The spellings normalize_marketing_consent (dbt_project/macros/normalise/values.sql) reads,
# lower case; the raw check accepts them in lower, upper and title case.
MARKETING_CONSENT_WORDS = [
    "true", "t", "1", "yes", "y", "on", "opt-in", "opt_in", "optin", "agree", "agreed", "accept",
    "accepted", "subscribed", "是", "同意", "已同意", "允许", "接受", "愿意", "订阅", "已订阅",
    "false", "f", "0", "no", "n", "off", "opt-out", "opt_out", "optout", "disagree", "refuse",
    "refused", "declined", "unsubscribed", "否", "拒绝", "已拒绝", "不同意", "不允许", "不接受", "不愿意",
    "退订", "已退订", "取消订阅",
]
MARKETING_CONSENT_SPELLINGS = sorted({form for w in MARKETING_CONSENT_WORDS
                                      for form in (w, w.upper(), w.title())})
ROLES = ["registrant", "decision_maker", "user"]
PHONE_CHARS = r"^[0-9０-９+＋()（）\- 　]{5,25}$"
DATE_LIKE = r"^(19|20)[0-9]{2}([-/.]?[0-9]{1,2}([-/.]?[0-9]{1,2})?)?([ T].*)?$"
NUMBER = r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$"
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation, as data: GE class name, column (or None) and keyword arguments."""

    kind: str
    column: str | None
    kwargs: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.kind}({self.column})" if self.column else self.kind


@dataclass
class QualityResult:
    success: bool
    rows_validated: int
    expectations_written: int
    expectations_run: int
    failures: list[dict]
    errors: list[str]

    @property
    def summary(self) -> str:
        if self.errors:
            return "; ".join(self.errors)
        if self.failures:
            return "; ".join(f"{f['expectation']}: {f['unexpected_percent']:.2f}% unexpected "
                             f"(e.g. {f['examples']})" for f in self.failures)
        return f"{self.expectations_run} expectations passed on {self.rows_validated} rows"


def numeric_columns(table: TableConfig) -> list[str]:
    return {"orders": ["amount"], "order_items": ["quantity", "unit_price"]}.get(table.kind, [])


def build_specs(table: TableConfig) -> list[ExpectationSpec]:
    """The suite for a table, from its kind and the fields its source maps."""
    mapped = set(table.columns)
    specs = [ExpectationSpec("ExpectTableRowCountToBeBetween", None, {"min_value": 1}),
             ExpectationSpec("ExpectColumnValuesToNotBeNull", "_row_number", {}),
             ExpectationSpec("ExpectColumnValuesToMatchRegex", "_row_hash",
                             {"regex": r"^[0-9a-f]{32}$"})]

    def add(kind: str, column: str, **kwargs) -> None:
        if column in mapped:
            specs.append(ExpectationSpec(kind, column, kwargs))

    if table.kind == "customers":
        add("ExpectColumnValuesToNotBeNull", "source_record_id", mostly=0.99)
        add("ExpectColumnValuesToMatchRegex", "mobile", regex=PHONE_CHARS, mostly=0.95)
        add("ExpectColumnValuesToMatchRegex", "email", regex=r"@", mostly=0.9)
        add("ExpectColumnValuesToMatchRegex", "birth_date", regex=DATE_LIKE, mostly=0.9)
        add("ExpectColumnValuesToBeInSet", "gender", value_set=GENDER_SPELLINGS, mostly=0.99)
        add("ExpectColumnValuesToBeInSet", "marketing_consent", value_set=MARKETING_CONSENT_SPELLINGS,
            mostly=0.99)
        add("ExpectColumnValuesToNotBeNull", "created_at", mostly=0.9)
    elif table.kind == "accounts":
        add("ExpectColumnValuesToNotBeNull", "source_record_id", mostly=0.99)
        add("ExpectColumnValuesToMatchRegex", "credit_code", regex=CREDIT_CODE, mostly=0.9)
    elif table.kind == "relations":
        add("ExpectColumnValuesToNotBeNull", "member_ref", mostly=0.99)
        add("ExpectColumnValuesToBeInSet", "role", value_set=ROLES, mostly=0.99)
    elif table.kind == "orders":
        add("ExpectColumnValuesToNotBeNull", "order_id", mostly=0.999)
        add("ExpectColumnProportionOfUniqueValuesToBeBetween", "order_id", min_value=0.97)
        add("ExpectColumnValuesToNotBeNull", "ordered_at", mostly=0.99)
        add("ExpectColumnValuesToMatchRegex", "amount", regex=NUMBER, mostly=0.99)
        add("ExpectColumnValuesToBeInSet", "status", value_set=ORDER_STATUS_SPELLINGS, mostly=0.99)
        add("ExpectColumnValuesToNotBeNull", "source_customer_ref", mostly=0.99)
        specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", "amount__number",
                                     {"min_value": 0, "max_value": 1_000_000, "mostly": 0.99}))
    elif table.kind == "order_items":
        add("ExpectColumnValuesToNotBeNull", "order_id", mostly=0.999)
        specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", "quantity__number",
                                     {"min_value": 0, "max_value": 1000, "mostly": 0.99}))
        specs.append(ExpectationSpec("ExpectColumnValuesToBeBetween", "unit_price__number",
                                     {"min_value": 0, "max_value": 1_000_000, "mostly": 0.99}))
    elif table.kind == "events":
        add("ExpectColumnValuesToBeInSet", "event_type", value_set=EVENT_TYPES, mostly=0.99)
        add("ExpectColumnValuesToNotBeNull", "occurred_at", mostly=0.99)
    return specs


# The white space staging trims around a value (DuckDB's trim(): the Unicode space
# separators, the ideographic space among them; not tabs or line breaks).
SPACES = " \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"


def _trimmed(value):
    """A text value as staging reads it: surrounding spaces off, blank as missing."""
    if not isinstance(value, str):
        return value
    value = value.strip(SPACES)
    return value if value else None


def _prepare_frame(df: pd.DataFrame, table: TableConfig) -> pd.DataFrame:
    """The values as staging reads them (surrounding spaces trimmed, a blank value missing:
    a CSV written `a, b, c` is not dirt), and the numeric readings the range expectations
    look at."""
    out = df.copy()
    for col in table.raw_columns:
        if col in out.columns and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(_trimmed, na_action="ignore").astype(object)
    for col in numeric_columns(table):
        if col in out.columns:
            out[f"{col}__number"] = pd.to_numeric(out[col], errors="coerce")
        else:
            out[f"{col}__number"] = pd.Series([float("nan")] * len(out), dtype="float64")
    return out


def expectation_columns(table: TableConfig) -> list[str]:
    """The raw columns the table's suite reads (a range on `amount__number` reads `amount`).

    The batch holds only these: GE hashes every column of the frame it is given, and the
    trimming is a Python call per value, so the other columns of a wide customer table cost
    about as much as the expectations themselves and were never looked at."""
    columns: list[str] = []
    for spec in build_specs(table):
        if spec.column is not None:
            column = spec.column.removesuffix("__number")
            if column not in columns:
                columns.append(column)
    return columns


def validate_frame(df: pd.DataFrame, table: TableConfig) -> QualityResult:
    """Run the table's suite on a batch, through GE's pandas source."""
    with warnings.catch_warnings():
        # GE imports pyspark when it is installed (the spark extra), which warns about pandas 3
        # on every run: nothing here hands pandas to Spark
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    specs = build_specs(table)
    # (a column the suite names but the frame lacks stays missing: its expectation raises,
    # and that is reported as an error of the check)
    frame = _prepare_frame(df[[c for c in expectation_columns(table) if c in df.columns]], table)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    asset = context.data_sources.add_pandas(f"huaxiang_{table.raw_table}").add_dataframe_asset(
        name=table.raw_table)
    batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(
        batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=f"raw.{table.raw_table}")
    for spec in specs:
        cls = getattr(gx.expectations, spec.kind)
        args = dict(spec.kwargs)
        if spec.column is not None:
            args["column"] = spec.column
        suite.add_expectation(cls(**args))
    result = batch.validate(suite)

    errors: list[str] = []
    failures: list[dict] = []
    ran: list[str] = []
    for res in result.results:
        cfg = res.expectation_config
        column = cfg.kwargs.get("column")
        label = f"{cfg.type}({column})" if column else cfg.type
        ran.append((cfg.type, column))
        raised = _raised_message(res.exception_info)
        if raised is not None:
            errors.append(f"expectation {label} raised instead of running: {raised}")
            continue
        if not res.success:
            r = res.result or {}
            failures.append({
                "expectation": label,
                "unexpected_percent": float(r.get("unexpected_percent") or 0.0),
                "unexpected_count": int(r.get("unexpected_count") or 0),
                "examples": list((r.get("partial_unexpected_list") or [])[:3]),
                "observed_value": r.get("observed_value"),
            })
    written = [(_snake(s.kind), s.column) for s in specs]
    missing = [s.label for s, key in zip(specs, written) if key not in ran]
    if missing or len(ran) != len(specs):
        errors.append(f"{len(specs)} expectations written but {len(ran)} ran; missing: {missing} "
                      "(GE keeps one expectation per column and type: merge them)")
    return QualityResult(
        success=not errors and not failures,
        rows_validated=len(df),
        expectations_written=len(specs),
        expectations_run=len(ran),
        failures=failures,
        errors=errors,
    )


def _raised_message(info) -> str | None:
    """The message of an expectation that raised, or None.

    GE reports it flat ({"raised_exception": True, ...}) or per metric ({metric_id: {...}}).
    """
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _snake(class_name: str) -> str:
    out = []
    for i, ch in enumerate(class_name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
