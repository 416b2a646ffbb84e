"""Core fixtures: a default database built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.build import build_default
from core.data.db import close_all


@pytest.fixture(scope="session")
def default_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("coredb") / "cohorts.duckdb"
    build_default(path)
    yield path
    close_all()
