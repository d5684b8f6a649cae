"""What a sources file may say: the canonical fields of each kind of table, the limits on
their values, and the pydantic models of the file's keys and types (from which
config/schema/sources.schema.json is generated). orchestration/sources_config.py reads the
file into the configuration the pipeline runs on."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SkipValidation

# Canonical fields per kind of table. Every raw table of a kind has exactly these columns
# (NULL where the source does not map them), so staging and the unions above it are uniform.
CANONICAL_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": (
        "source_record_id", "full_name", "given_name", "family_name", "nickname", "gender", "birth_date",
        "mobile", "phone", "email", "wechat_unionid", "id_number", "address", "city",
        "province", "postcode", "company_name", "credit_code", "level", "lead_source",
        "created_at", "updated_at", "account_ref", "xref_source", "xref_record_id",
        "marketing_consent",
    ),
    "accounts": (
        "source_record_id", "company_name", "credit_code", "industry", "city", "province",
        "size", "created_at",
    ),
    "relations": ("household_ref", "member_source", "member_ref", "role"),
    "orders": (
        "order_id", "customer_source", "source_customer_ref", "ordered_at", "status",
        "amount", "channel", "store_id",
    ),
    "order_items": ("order_id", "line_no", "sku", "category", "quantity", "unit_price"),
    "events": (
        "event_id", "customer_source", "source_customer_ref", "device_id", "event_type",
        "occurred_at", "sku", "category", "store_id",
    ),
}

# Fields a table of that kind must map (or set as a constant): without them a row means nothing.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("source_record_id",),
    "accounts": ("source_record_id",),
    "relations": ("household_ref", "member_source", "member_ref"),
    "orders": ("order_id", "customer_source", "source_customer_ref", "ordered_at", "amount"),
    "order_items": ("order_id",),
    "events": ("event_type", "occurred_at"),
}

# The longest value a field may hold, in characters; a longer one rejects its row at loading
# (raw.rejects says which field and how long), so a runaway export (a 3.5-million-character
# name) is never copied into every mart. Generous: a legal name in any script, a full postal
# address, a long product category all fit.
FIELD_LENGTH_LIMITS: dict[str, int] = {
    "full_name": 200, "given_name": 200, "family_name": 200, "nickname": 200,
    "gender": 50, "birth_date": 100, "mobile": 100, "phone": 100, "email": 320,
    "id_number": 100, "postcode": 50, "city": 200, "province": 200, "address": 1000,
    "company_name": 500, "credit_code": 100, "marketing_consent": 100,
    "ordered_at": 100, "occurred_at": 100, "created_at": 100, "updated_at": 100,
    "amount": 100, "unit_price": 100, "quantity": 100, "line_no": 100, "status": 100,
}
DEFAULT_FIELD_LENGTH_LIMIT = 2000  # ids, references, categories, extra columns


def field_length_limit(fld: str) -> int:
    return FIELD_LENGTH_LIMITS.get(fld, DEFAULT_FIELD_LENGTH_LIMIT)


FORMATS = ("csv", "jsonl", "parquet")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
DEFAULT_COUNTRY = "CN"

# Fields whose precision a customers table may declare (`precision: {birth_date: year}`):
# the source knows only the year, whatever the value looks like.
PRECISIONS: dict[str, tuple[str, ...]] = {"birth_date": ("day", "year")}


# ----------------------------------------------------------------------------- the file (pydantic)
# Keys, types and allowed values of the sources file, checked before the code below builds
# the configuration; also the JSON Schema editors read (config/schema/sources.schema.json).
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class CsvModel(_Model):
    """How a CSV export is written."""

    model_config = ConfigDict(extra="allow")  # other keys have always been ignored
    delimiter: str = Field(",", description="a single character")
    encoding: str = Field("utf-8", description="a Python codec: utf-8, gb18030, ...")
    header: bool = Field(True, description="the first line names the columns (required for CSV)")
    quote: str = '"'


class TableModel(_Model):
    """One table of a source system: its files and how their columns map onto canonical fields."""

    kind: Literal[tuple(sorted(CANONICAL_FIELDS))]  # type: ignore[valid-type]
    path: str = Field(description="a file path or glob under landing_dir")
    format: Literal[FORMATS]  # type: ignore[valid-type]
    csv: CsvModel | None = None
    columns: SkipValidation[dict[str, str | list[str]]] | None = Field(
        None, description="canonical field: the export's column, or a list of columns joined with a space")
    extra_columns: dict[str, str] | None = Field(None, description="new lower-case name: the export's column")
    constants: dict[str, str] | None = Field(None, description="canonical field: a value for every row")
    value_maps: dict[str, dict[str, str]] | None = Field(None, description="field: {value in the export: value}")
    pii: list[str] | None = Field(None, description="mapped or extra columns that are personal data")
    description: str = ""
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code; default: the source's")
    precision: dict[str, Literal["day", "year"]] | None = Field(None, description="birth_date: day | year")


class SourceModel(_Model):
    """A source system."""

    description: str = ""
    priority: int | None = Field(None, description="lower wins when records of several sources disagree")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code of its records (default CN)")
    tables: dict[str, TableModel]


class SourcesFile(_Model):
    """config/sources.yml: the source systems huaxiang loads."""

    model_config = ConfigDict(extra="allow")  # other top-level keys have always been ignored
    version: int | None = None
    landing_dir: str = Field(".", description="the folder of the landing files, relative to this file")
    sources: dict[str, SourceModel]
