"""What a rule file becomes: the condition tree, RuleTag and Segment (frozen dataclasses that
the compiler and the engine read), the limits and the names a rule may use."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestration.tags.rules.sql_form import SqlRule

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VALUE_TYPES = ("boolean", "enum", "number")
LAYERS = ("rule", "predictive")
OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between", "is_null", "is_not_null", "contains")
ORDERED_OPS = ("<", "<=", ">", ">=", "between")
EVENT_TYPES = ("view", "search", "favourite", "add_to_cart", "login", "share", "referral", "store_visit")
MAX_WINDOW_DAYS = 3660


@dataclass(frozen=True)
class FieldSpec:
    """A field a rule may name: its kind (number, text, date, boolean, enum) and, for enums,
    the allowed values."""

    name: str
    kind: str
    values: tuple[str, ...] = ()


class RuleError(ValueError):
    def __init__(self, path: Path | str, line: int | None, key: str | None, message: str, what: str = "tag"):
        self.path, self.line, self.key, self.message = str(path), line, key, message
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {what} {key!r}: {message}" if key else f"{where}: {message}")


MAX_NESTING = 40
"""How deep a rule file's mappings and lists may nest: a real condition needs a handful of
levels; 300 made the parser exhaust Python's stack before any rule could be checked."""

MAX_RULE_FILE_BYTES = 1_000_000
MAX_SQL_CHARACTERS = 50_000
MAX_LIST_VALUES = 10_000
"""An `in` list longer than this belongs in a table, not a rule (200,000 values took 90 s)."""

# ----------------------------------------------------------------------------- condition tree
@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Event:
    type: str
    min_count: int | None
    max_count: int | None
    from_days_ago: int
    to_days_ago: int


@dataclass(frozen=True)
class Group:
    kind: str  # all | any | not
    items: tuple


@dataclass(frozen=True)
class Bucket:
    value: str
    label: str
    when: Any  # condition, or None for the else bucket


@dataclass(frozen=True)
class RuleTag:
    key: str
    name_zh: str
    name_en: str
    description: str
    owner: str
    value_type: str
    path: str
    line: int
    buckets: tuple[Bucket, ...]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    definition: str = ""  # canonical JSON of the YAML entry
    numeric_deps: frozenset[str] = field(default_factory=frozenset)  # number rule tags it names
    layer: str = "rule"
    points: tuple[tuple[Any, float], ...] = ()  # number tags: (condition, points)
    base: float = 0.0
    sql: "SqlRule | None" = None
    values: tuple[tuple[str, str], ...] = ()  # enum values and their labels
    fields_used: tuple[str, ...] = ()  # the tags and fields its conditions name (events are not fields)

    @property
    def value_labels(self) -> tuple[tuple[str, str], ...]:
        if self.values:
            return self.values
        return tuple((b.value, b.label) for b in self.buckets) if self.value_type != "number" else ()

    @property
    def rule_version(self) -> str:
        return hashlib.sha256(self.definition.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Segment:
    """A segment: an expression over tags (all / any / not), evaluated per as-of date."""

    key: str
    name_zh: str
    name_en: str
    description: str
    owner: str
    path: str
    line: int
    condition: Any
    fields_used: tuple[str, ...]  # the tags that put a customer in: exported with each member
    depends_on: frozenset[str] = field(default_factory=frozenset)
    definition: str = ""
    numeric_deps: frozenset[str] = field(default_factory=frozenset)

    @property
    def rule_version(self) -> str:
        return hashlib.sha256(self.definition.encode()).hexdigest()[:12]

    def as_rule_tag(self) -> RuleTag:
        """The same expression as a boolean rule tag, so it compiles with the same code."""
        return RuleTag(key=self.key, name_zh=self.name_zh, name_en=self.name_en, description=self.description,
                       owner=self.owner, value_type="boolean", path=self.path, line=self.line,
                       buckets=(Bucket("true", "是", self.condition), Bucket("false", "否", None)),
                       depends_on=self.depends_on, definition=self.definition, numeric_deps=self.numeric_deps)
