"""Core fixtures: ``default_db`` (tests/conftest.py) is the database built once per session;
``db`` is a private copy of it for tests that write."""

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def db(default_db, tmp_path) -> Path:
    """A private copy of the default database for tests that write (connections closed after)."""
    from core.data.db import close_all

    path = tmp_path / "cohorts.duckdb"
    shutil.copy(default_db, path)
    yield path
    close_all()
