"""Shared fixtures: paths, a scratch sources file pointing at a landing folder of the test's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Runs in tests use ephemeral Dagster instances: `make test` exports DAGSTER_HOME for the UI,
# and test workers running in parallel must not share its run storage.
os.environ.pop("DAGSTER_HOME", None)

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def default_sources() -> Path:
    return REPO / "config" / "sources.yml"
