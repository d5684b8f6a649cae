"""The tag catalogue (config/tags.yml): definitions, model parameters, check bounds.

Parsed once into frozen objects; every problem is reported with the file and the tag key (or
parameter) it concerns, so an operator who broke the file knows where to look.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import typing
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model

from orchestration.config_files import LineLoader, Problem, dotted, first_problem, line_at, load_yaml

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
    """A problem in the tag catalogue, with the file, the line and the place in it."""


# ----------------------------------------------------------------------------- the file (pydantic)
# Keys, types and allowed values of config/tags.yml, checked before the code below builds the
# catalogue; also the JSON Schema editors read (config/schema/tags.schema.json). A model's
# parameters are those of its dataclass (models/*.py), whose own checks stay there.
Text = Annotated[str, Field(min_length=1)]


def _params_model(name: str, cls: type) -> type[BaseModel]:
    hints = typing.get_type_hints(cls)
    spec = {f.name: (hints[f.name], f.default if f.default is not MISSING else f.default_factory())
            for f in fields(cls)}
    return create_model(f"{name}_parameters", __config__=ConfigDict(extra="forbid"),
                        __doc__=f"Parameters of the {name} model ({cls.__module__}.{cls.__name__}).", **spec)


ParametersModel = create_model(
    "Parameters", __config__=ConfigDict(extra="forbid"), __doc__="Parameters of the models, by model.",
    **{name: (_params_model(name, cls) | None, None) for name, (cls, _) in MODELS.items()})


class TagEntry(BaseModel):
    """One tag of the catalogue."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)  # other keys have always been ignored
    key: str = Field(description="lower-case letters, digits and _")
    name_zh: Text
    name_en: Text
    layer: Literal[LAYERS]  # type: ignore[valid-type]
    value_type: Literal[VALUE_TYPES]  # type: ignore[valid-type]
    source: Text = Field(json_schema_extra={"enum": [FACTS, *MODELS]},
                         description="facts (a column of int_customer_fact_tags) or the model that computes it")
    description: Text
    owner: str | None = None
    values: dict[str, str] | None = Field(None, description="enum tags: code: label")


class ChecksModel(BaseModel):
    model_config = ConfigDict(extra="allow")
    max_distribution_shift: float = Field(0.25, gt=0, le=1)


class TagsFile(BaseModel):
    """config/tags.yml: the tag catalogue."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)
    default_owner: str | None = None
    parameters: ParametersModel | None = None  # type: ignore[valid-type]
    checks: ChecksModel | None = None
    tags: list[TagEntry] | None = None


def _problem_text(problem: Problem, doc: Any) -> str:
    """`where: what` for a problem pydantic found, in the catalogue's words."""
    loc = problem.loc
    if problem.kind == "unknown" and loc == ("parameters",):
        return f"parameters: unknown model(s) {list(problem.keys)}; known: {list(problem.allowed)}"
    if problem.kind == "unknown" and loc[:1] == ("parameters",):
        return f"{dotted(loc)}: unknown parameter(s) {list(problem.keys)}; known: {list(problem.allowed)}"
    if loc[:1] == ("tags",) and len(loc) == 2:
        return f"tag #{loc[1] + 1}: {problem.detail}"
    if loc[:1] == ("tags",) and len(loc) >= 3:
        raw = doc["tags"][loc[1]]
        key = raw.get("key") if isinstance(raw, dict) else None
        where = f"tag {key!r}" if isinstance(key, str) and KEY_PATTERN.match(key) else f"tag #{loc[1] + 1}"
        return f"{where}: {problem.message}"
    if problem.kind == "missing":
        return f"{dotted(loc[:-1]) or 'top level'}: {problem.message}"
    return f"{dotted(loc)}: {problem.detail}"


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


def _params(path: Path, doc: Any, name: str, cls: type, raw: Any):
    try:
        return cls(**(raw or {}))  # keys and types: checked by ParametersModel
    except (TypeError, ValueError) as exc:
        raise TagConfigError(f"{_at(path, doc, ('parameters', name))}: parameters.{name}: {exc}") from None


def _at(path: Path, doc: Any, loc: tuple) -> str:
    line = line_at(doc, loc)
    return f"{path}:{line}" if line else f"{path}"


def load_tag_config(path: Path) -> TagConfig:
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"), LineLoader) or {}
    except FileNotFoundError:
        raise TagConfigError(f"{path}: tag catalogue not found") from None
    except yaml.YAMLError as exc:
        raise TagConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise TagConfigError(f"{path}: expected a mapping with parameters, checks and tags")
    for i, raw in enumerate(doc.get("tags") or [], start=1):  # before pydantic: its messages name the key
        if isinstance(raw, dict) and not KEY_PATTERN.match(str(raw.get("key", ""))):
            raise TagConfigError(f"{_at(path, doc, ('tags', i - 1))}: tag #{i}: key {str(raw.get('key', ''))!r} "
                                 "must be lower-case letters, digits and _")
    problem = first_problem(TagsFile, doc)
    if problem is not None:
        raise TagConfigError(f"{path}:{problem.line}: {_problem_text(problem, doc)}" if problem.line
                             else f"{path}: {_problem_text(problem, doc)}")
    params = doc.get("parameters") or {}
    owner = str(doc.get("default_owner") or "data team")
    tags: list[TagDefinition] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("tags") or [], start=1):
        key = str(raw["key"])
        where = f"{_at(path, doc, ('tags', i - 1))}: tag {key!r}"
        if key in seen:
            raise TagConfigError(f"{where}: defined twice")
        seen.add(key)
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
    shift = float(checks.get("max_distribution_shift", 0.25))  # in (0, 1]: checked by ChecksModel
    return TagConfig(
        path=path, tags=tuple(tags),
        **{name: _params(path, doc, name, cls, params.get(name)) for name, (cls, _) in MODELS.items()},
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
