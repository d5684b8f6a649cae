"""The tag catalogue (config/tags.yml): definitions, model parameters, check bounds.

Parsed once into frozen objects; every problem is reported with the file and the tag key (or
parameter) it concerns, so an operator who broke the file knows where to look.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from models import bgnbd, churn_classifier, clv, gamma_gamma, lifecycle, loyalty, rfm, scoring, state, value_class
from models.churn_classifier import ChurnParams
from models.clv import CLVParams
from models.lifecycle import LifecycleParams
from models.loyalty import LoyaltyParams
from models.rfm import RFMParams
from models.state import StateParams
from models.value_class import ValueClassParams

LAYERS = ("fact", "model", "predictive", "rule")
VALUE_TYPES = ("enum", "number", "text", "date", "boolean")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
FACTS = "facts"

# model name -> (parameter class, modules whose code defines its rule)
MODELS: dict[str, tuple[type, tuple]] = {
    "rfm": (RFMParams, (rfm, scoring)),
    "loyalty": (LoyaltyParams, (loyalty,)),
    "customer_state": (StateParams, (state,)),
    "lifecycle_stage": (LifecycleParams, (lifecycle,)),
    "value_class": (ValueClassParams, (value_class,)),
    "clv": (CLVParams, (clv, bgnbd, gamma_gamma)),
    "churn": (ChurnParams, (churn_classifier, clv, bgnbd)),
}
# dbt models whose SQL defines the fact tags
FACT_TAG_SQL = ("int_customer_orders_as_of", "int_customer_order_facts",
                "int_customer_event_facts", "int_customer_fact_tags")


class TagConfigError(ValueError):
    """A problem in the tag catalogue, with the file and the place in it."""


@dataclass(frozen=True)
class TagDefinition:
    key: str
    name_zh: str
    name_en: str
    layer: str
    value_type: str
    source: str
    description: str
    owner: str
    values: tuple[tuple[str, str], ...] = ()

    @property
    def tracks_changes(self) -> bool:
        return self.value_type in ("enum", "boolean")

    def entry(self) -> dict[str, Any]:
        d = asdict(self)
        d["values"] = dict(self.values)
        return d


@dataclass(frozen=True)
class TagConfig:
    path: Path
    tags: tuple[TagDefinition, ...]
    rfm: RFMParams
    loyalty: LoyaltyParams
    customer_state: StateParams
    lifecycle_stage: LifecycleParams
    value_class: ValueClassParams
    clv: CLVParams
    churn: ChurnParams
    max_distribution_shift: float

    def params(self, model: str):
        return getattr(self, model)

    def tag(self, key: str) -> TagDefinition:
        return next(t for t in self.tags if t.key == key)

    def of_source(self, source: str) -> list[TagDefinition]:
        return [t for t in self.tags if t.source == source]


def _params(path: Path, name: str, cls: type, raw: Any):
    raw = raw or {}
    if not isinstance(raw, dict):
        raise TagConfigError(f"{path}: parameters.{name} must be a mapping")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise TagConfigError(f"{path}: parameters.{name}: unknown parameter(s) {unknown}; "
                             f"known: {sorted(known)}")
    try:
        return cls(**raw)
    except (TypeError, ValueError) as exc:
        raise TagConfigError(f"{path}: parameters.{name}: {exc}") from None


def load_tag_config(path: Path) -> TagConfig:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise TagConfigError(f"{path}: tag catalogue not found") from None
    except yaml.YAMLError as exc:
        raise TagConfigError(f"{path}: not valid YAML: {exc}") from None
    params = doc.get("parameters") or {}
    unknown = sorted(set(params) - set(MODELS))
    if unknown:
        raise TagConfigError(f"{path}: parameters: unknown model(s) {unknown}; known: {sorted(MODELS)}")
    owner = str(doc.get("default_owner") or "data team")
    tags: list[TagDefinition] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("tags") or [], start=1):
        where = f"{path}: tag #{i}"
        if not isinstance(raw, dict):
            raise TagConfigError(f"{where}: must be a mapping")
        key = str(raw.get("key", ""))
        if not KEY_PATTERN.match(key):
            raise TagConfigError(f"{where}: key {key!r} must be lower-case letters, digits and _")
        where = f"{path}: tag {key!r}"
        if key in seen:
            raise TagConfigError(f"{where}: defined twice")
        seen.add(key)
        for req in ("name_zh", "name_en", "layer", "value_type", "source", "description"):
            if not raw.get(req):
                raise TagConfigError(f"{where}: missing {req}")
        if raw["layer"] not in LAYERS:
            raise TagConfigError(f"{where}: layer {raw['layer']!r} is not one of {LAYERS}")
        if raw["value_type"] not in VALUE_TYPES:
            raise TagConfigError(f"{where}: value_type {raw['value_type']!r} is not one of {VALUE_TYPES}")
        if raw["source"] != FACTS and raw["source"] not in MODELS:
            raise TagConfigError(f"{where}: source {raw['source']!r} is neither {FACTS!r} nor a model "
                                 f"{sorted(MODELS)}")
        values = raw.get("values") or {}
        if raw["value_type"] == "enum" and not values:
            raise TagConfigError(f"{where}: an enum tag needs its values (code: label)")
        tags.append(TagDefinition(
            key=key, name_zh=str(raw["name_zh"]), name_en=str(raw["name_en"]), layer=raw["layer"],
            value_type=raw["value_type"], source=raw["source"], description=str(raw["description"]).strip(),
            owner=str(raw.get("owner") or owner),
            values=tuple((str(k), str(v)) for k, v in values.items())))
    checks = doc.get("checks") or {}
    shift = float(checks.get("max_distribution_shift", 0.25))
    if not 0 < shift <= 1:
        raise TagConfigError(f"{path}: checks.max_distribution_shift must be in (0, 1]")
    return TagConfig(
        path=path, tags=tuple(tags),
        **{name: _params(path, name, cls, params.get(name)) for name, (cls, _) in MODELS.items()},
        max_distribution_shift=shift)


def rule_versions(config: TagConfig, dbt_project_dir: Path) -> dict[str, str]:
    """A short hash per tag of everything that decides its value: its catalogue entry, its
    model's parameters and the code of that model (Python module or dbt SQL). Any change to
    the rule changes the version stored with every value in customer_tag_history."""
    fact_sql = "".join(
        p.read_text(encoding="utf-8")
        for name in FACT_TAG_SQL
        for p in sorted(dbt_project_dir.glob(f"models/**/{name}.sql")))
    versions: dict[str, str] = {}
    for tag in config.tags:
        h = hashlib.sha256(json.dumps(tag.entry(), sort_keys=True, ensure_ascii=False).encode())
        if tag.source == FACTS:
            h.update(fact_sql.encode())
        else:
            _, modules = MODELS[tag.source]
            h.update(json.dumps(asdict(config.params(tag.source)), sort_keys=True).encode())
            for module in modules:
                h.update(inspect.getsource(module).encode())
        versions[tag.key] = h.hexdigest()[:12]
    return versions
