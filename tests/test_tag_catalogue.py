"""The tag catalogue (config/tags.yml): it loads, every problem names the file and the tag or
parameter, and a rule's version changes exactly when the rule does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.settings import DEFAULT_TAGS, DBT_PROJECT_DIR
from orchestration.tags.catalogue import TagConfigError, load_tag_config, rule_versions


def test_the_shipped_catalogue_loads():
    config = load_tag_config(DEFAULT_TAGS)
    assert len(config.tags) == 47
    assert {t.layer for t in config.tags} == {"fact", "model", "predictive"}
    assert config.rfm.window_days == 365 and config.loyalty.n_periods == 12
    assert config.clv.model == "mbgnbd" and config.clv.horizons_days == (30, 90, 180)
    assert dict(config.tag("rfm_segment").values)["important_value"] == "重要价值"


def _write(tmp_path: Path, mutate) -> Path:
    doc = yaml.safe_load(DEFAULT_TAGS.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "tags.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["tags"][0].update(layer="magic"), "tag 'gender': layer 'magic' is not one of"),
    (lambda d: d["tags"].append(dict(d["tags"][0])), "tag 'gender': defined twice"),
    (lambda d: d["tags"][0].pop("values"), "tag 'gender': an enum tag needs its values"),
    (lambda d: d["tags"][0].update(key="Gender; drop table x"), "key 'Gender; drop table x' must be"),
    (lambda d: d["tags"][0].update(source="crystal_ball"), "source 'crystal_ball' is neither 'facts' nor a model"),
    (lambda d: d["parameters"]["rfm"].update(window=30), "parameters.rfm: unknown parameter(s) ['window']"),
    (lambda d: d["parameters"]["rfm"].update(threshold_method="avg"), "parameters.rfm: rfm.threshold_method"),
    (lambda d: d["parameters"]["customer_state"].update(silent_multiple=1), "active < silent < sleeping"),
    (lambda d: d["parameters"].update(crystal_ball={}), "parameters: unknown model(s) ['crystal_ball']"),
])
def test_problems_name_the_file_and_the_place(tmp_path, mutate, message):
    path = _write(tmp_path, mutate)
    with pytest.raises(TagConfigError) as err:
        load_tag_config(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    path = tmp_path / "tags.yml"
    path.write_text("tags:\n  - {key: a\n", encoding="utf-8")
    with pytest.raises(TagConfigError, match=r"(?s)not valid YAML.*line 2"):
        load_tag_config(path)


def test_a_rule_version_changes_only_with_its_rule(tmp_path):
    base = rule_versions(load_tag_config(DEFAULT_TAGS), DBT_PROJECT_DIR)
    changed = rule_versions(load_tag_config(_write(
        tmp_path, lambda d: d["parameters"]["rfm"].update(window_days=180))), DBT_PROJECT_DIR)
    moved = {k for k in base if base[k] != changed[k]}
    assert moved == {"rfm_segment", "rfm_r_score", "rfm_f_score", "rfm_m_score"}


@pytest.mark.parametrize("old, new, line, message", [
    # missing, wrong type, unknown key, a value not in the list (pydantic), and checks in code
    ("name_en: Gender, ", "", 64, "tag 'gender': missing name_en"),
    ("values: {M: 男, F: 女}", "values: [M, F]", 65, "tag 'gender': values must be a mapping, not ['M', 'F']"),
    ("window_days: 365 ", "window_days: a year ", 19,
     "parameters.rfm.window_days: must be a whole number, not 'a year'"),
    ("decay: 0.9 ", "decai: 0.9 ", 24, "parameters.loyalty: unknown parameter(s) ['decai']; known: ['decay', "),
    ("{key: gender, name_zh: 性别, name_en: Gender, layer: fact,", "{key: gender, name_zh: 性别, name_en: Gender, layer: facts,",
     64, "tag 'gender': layer 'facts' is not one of ['fact', 'model', 'predictive', 'rule']"),
    ("max_distribution_shift: 0.25", "max_distribution_shift: 2", 60,
     "checks.max_distribution_shift: input should be less than or equal to 1 (got 2)"),
    ("values: {M: 男, F: 女}", "values: {}", 64, "tag 'gender': an enum tag needs its values"),
    ("silent_multiple: 3\n", "silent_multiple: 1\n", 29, "parameters.customer_state: customer_state multiples must"),
])
def test_problems_name_the_file_and_line(tmp_path, old, new, line, message):
    text = DEFAULT_TAGS.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "tags.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(TagConfigError) as err:
        load_tag_config(path)
    assert str(err.value).startswith(f"{path}:{line}: {message}"), str(err.value)
