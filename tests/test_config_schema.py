"""The JSON Schemas of the config files (config/schema/): in sync with the pydantic models,
named by every config file for editors, and every committed config file validates."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.config_schema import SCHEMA_DIR, rendered, stale_files
from orchestration.settings import REPO_ROOT

CONFIG = REPO_ROOT / "config"
FILES = {
    "sources": [CONFIG / "sources.yml"],
    "tags": [CONFIG / "tags.yml"],
    "rule_tags": sorted((CONFIG / "rule_tags").glob("*.yml")),
    "segments": sorted((CONFIG / "segments").glob("*.yml")),
}


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schemas_are_those_of_the_models():
    assert stale_files() == [], "run `huaxiang config-schema`"
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(rendered())


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_config_file_names_its_schema_and_validates(name):
    assert FILES[name], name
    for path in FILES[name]:
        text = path.read_text(encoding="utf-8")
        modeline = re.findall(r"^# yaml-language-server: \$schema=(\S+)$", text, re.M)
        assert len(modeline) == 1 and (path.parent / modeline[0]).resolve() == SCHEMA_DIR / f"{name}.schema.json", path
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(yaml.safe_load(text))]
        assert errors == [], (path, errors)


@pytest.mark.parametrize("name, doc", [
    ("rule_tags", {"key": "x", "name_zh": "x", "name_en": "x", "description": "x", "value_type": "boolean",
                   "colour": "red", "rule": {"field": "age", "op": ">", "value": 1}}),
    ("rule_tags", {"key": "x", "name_zh": "x", "name_en": "x", "description": "x", "value_type": "boolean",
                   "rule": {"field": "age", "op": "like", "value": 1}}),
    ("rule_tags", {"tags": [{"key": "x", "name_zh": "x", "name_en": "x", "description": "x", "value_type": "boolean",
                             "rule": {"event": {"type": "teleport", "min_count": 1, "from_days_ago": 9,
                                                "to_days_ago": 0}}}]}),
    ("segments", {"key": "x", "name_zh": "x", "name_en": "x", "description": "x"}),
    ("sources", {"sources": {"s": {"tables": {"t": {"kind": "people", "path": "a.csv", "format": "csv"}}}}}),
    ("tags", {"parameters": {"rfm": {"window": 30}}}),
    ("tags", {"tags": [{"key": "a", "name_zh": "x", "name_en": "x", "layer": "magic", "value_type": "text",
                        "source": "facts", "description": "x"}]}),
])
def test_the_schemas_catch_what_the_loaders_refuse(name, doc):
    assert list(validator(name).iter_errors(doc))


def test_the_command_checks_and_writes(tmp_path, monkeypatch):
    assert CliRunner().invoke(main, ["config-schema", "--check"]).exit_code == 0
    import orchestration.config_schema as config_schema

    monkeypatch.setattr(config_schema, "SCHEMA_DIR", tmp_path)
    monkeypatch.setattr(config_schema.stale_files, "__defaults__", (tmp_path,))
    monkeypatch.setattr(config_schema.write_schemas, "__defaults__", (tmp_path,))
    result = CliRunner().invoke(main, ["config-schema", "--check"])
    assert result.exit_code == 1 and "out of date" in result.output
    assert CliRunner().invoke(main, ["config-schema"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(rendered())
    assert CliRunner().invoke(main, ["config-schema", "--check"]).exit_code == 0
