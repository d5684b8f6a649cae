"""Versioned model artefacts (orchestration/churn/store.py) and the churn classifier stored in them."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.churn_classifier import FEATURES, ChurnClassifier, train_churn_classifier
from orchestration.churn.store import ModelStore, ModelStoreError, runtime


def small_classifier(seed: int = 0) -> ChurnClassifier:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(300, len(FEATURES))), columns=list(FEATURES))
    churned = frame["recency"] + rng.normal(scale=0.5, size=300) > 0
    return train_churn_classifier(frame, churned.to_numpy())


@pytest.fixture(scope="module")
def classifier() -> ChurnClassifier:
    return small_classifier()


def test_an_artefact_is_named_by_its_content_hash_and_the_same_model_gives_the_same_file(tmp_path, classifier):
    store = ModelStore(tmp_path)
    first = store.save("churn", classifier, {"trained_as_of": "2026-06-30"})
    again = store.save("churn", small_classifier(), {"trained_as_of": "2026-06-30"})
    assert first.version == again.version and len(first.version) == 12
    assert first.manifest["sha256"].startswith(first.version)
    assert first.path == tmp_path / "churn" / f"{first.version}.joblib"
    manifest = json.loads((tmp_path / "churn" / f"{first.version}.json").read_text())
    assert manifest["trained_as_of"] == "2026-06-30" and manifest["sklearn_version"] == runtime()["sklearn_version"]
    assert sorted(p.name for p in (tmp_path / "churn").iterdir()) == sorted(
        [f"{first.version}.joblib", f"{first.version}.json"])
    loaded = store.load(store.artefacts("churn")[0])
    frame = pd.DataFrame(np.ones((3, len(FEATURES))), columns=list(FEATURES))
    assert np.allclose(loaded.predict_proba(frame), classifier.predict_proba(frame))


def test_a_changed_file_is_refused(tmp_path, classifier):
    store = ModelStore(tmp_path)
    artefact = store.save("churn", classifier, {"trained_as_of": "2026-06-30"})
    data = bytearray(artefact.path.read_bytes())
    data[-1] ^= 0xFF
    artefact.path.write_bytes(bytes(data))
    with pytest.raises(ModelStoreError, match=r"does not match its manifest.*refusing to load"):
        store.load(artefact)


def test_latest_never_picks_a_model_trained_after_the_scoring_date_nor_another_configuration(tmp_path):
    store = ModelStore(tmp_path)
    older = store.save("churn", {"w": 1}, {"trained_as_of": "2026-06-01", "horizon_days": 90})
    newer = store.save("churn", {"w": 2}, {"trained_as_of": "2026-06-29", "horizon_days": 90})
    store.save("churn", {"w": 3}, {"trained_as_of": "2026-06-30", "horizon_days": 60})
    assert store.latest("churn", date(2026, 6, 30), {"horizon_days": 90}).version == newer.version
    assert store.latest("churn", date(2026, 6, 15), {"horizon_days": 90}).version == older.version
    assert store.latest("churn", date(2026, 5, 1), {"horizon_days": 90}) is None
    assert store.latest("churn", date(2026, 7, 1), {"horizon_days": 30}) is None
    assert store.latest("other", date(2026, 7, 1)) is None


def test_a_model_pickled_by_another_scikit_learn_is_not_used(tmp_path):
    store = ModelStore(tmp_path)
    artefact = store.save("churn", {"w": 1}, {"trained_as_of": "2026-06-01"})
    manifest_path = artefact.path.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    manifest["sklearn_version"] = "0.1.0"
    manifest_path.write_text(json.dumps(manifest))
    assert store.latest("churn", date(2026, 7, 1)) is None


def test_an_unreadable_manifest_is_named(tmp_path):
    (tmp_path / "churn").mkdir()
    (tmp_path / "churn" / "abc.json").write_text("{not json")
    with pytest.raises(ModelStoreError, match=r"abc\.json: unreadable manifest"):
        ModelStore(tmp_path).artefacts("churn")
