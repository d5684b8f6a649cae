"""Shared fixtures: paths, a scratch sources file pointing at a landing folder of the test's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
sys.path.insert(0, str(TESTS))


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def default_sources() -> Path:
    return REPO / "config" / "sources.yml"
