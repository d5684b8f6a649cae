"""JSON Schemas of the config files, generated from their pydantic models, for editors.

`config/schema/{sources,tags,rule_tags,segments}.schema.json`; each config file names its
schema in a `# yaml-language-server: $schema=...` comment, so VS Code's YAML extension (and
any editor using yaml-language-server) completes keys and flags mistakes while typing.
`huaxiang config-schema` rewrites them; `--check` fails when they are out of date (a model
changed), and tests/test_config_schema.py checks the same.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "config" / "schema"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def models() -> dict[str, type[BaseModel]]:
    """Schema name: the model of the file it describes."""
    from orchestration.sources_schema import SourcesFile
    from orchestration.tags.catalogue import TagsFile
    from orchestration.tags.rules.schema import RuleTagFile, SegmentFile

    return {"sources": SourcesFile, "tags": TagsFile, "rule_tags": RuleTagFile, "segments": SegmentFile}


def render(name: str, model: type[BaseModel]) -> str:
    schema = {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{name}.schema.json", **model.model_json_schema()}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def rendered() -> dict[str, str]:
    """File name: its text, for every schema."""
    return {f"{name}.schema.json": render(name, model) for name, model in models().items()}


def stale_files(folder: Path = SCHEMA_DIR) -> list[str]:
    """The schema files missing from `folder` or different from the models."""
    return sorted(f for f, text in rendered().items()
                  if not (folder / f).is_file() or (folder / f).read_text(encoding="utf-8") != text)


def write_schemas(folder: Path = SCHEMA_DIR) -> list[str]:
    """Write the schema files that changed; returns their names."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = stale_files(folder)
    texts = rendered()
    for f in changed:
        (folder / f).write_text(texts[f], encoding="utf-8")
    return changed
