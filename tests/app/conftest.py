"""AppTest fixtures: every app test runs against the database built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from core.data.db import DB_ENV, close_all

ROOT = Path(__file__).resolve().parents[2]

# The shipped config hides error details from users; tests need to see them.
from streamlit import config as _st_config  # noqa: E402

_st_config.set_option("client.showErrorDetails", "full")


@pytest.fixture(scope="session")
def app_db(default_db) -> Path:
    """The session's default database (tests/conftest.py), shared with the core tests."""
    return default_db


@pytest.fixture(autouse=True)
def _use_app_db(app_db, monkeypatch):
    monkeypatch.setenv(DB_ENV, str(app_db))
    yield
    close_all()


def run_page(page: str, query: dict | None = None, timeout: float = 60):
    """Run app.py switched to ``page`` (a path under pages/) with URL query parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if page != "pages/overview.py":
        at.switch_page(page)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    return at


@pytest.fixture
def deferred(monkeypatch):
    """Record the callables the page registers for deferred downloads (by file name)."""
    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return made
