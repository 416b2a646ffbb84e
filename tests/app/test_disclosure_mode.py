"""The viewer's disclosure mode on the pages: decided by configuration, never by the link."""

from __future__ import annotations

import pytest

from core.analyses.disclosure import MODE_ENV
from core.data.db import DB_ENV, close_all
from tests.app.conftest import run_page
from tests.core.analyses import _small_cohort

PAGES = [
    "pages/overview.py",
    "pages/survival.py",
    "pages/response.py",
    "pages/cox.py",
    "pages/benchmarks.py",
]


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    path = _small_cohort.build(tmp_path_factory.mktemp("modes") / "real.duckdb")
    yield path
    close_all()


@pytest.fixture
def on_real(real_db, monkeypatch):
    monkeypatch.setenv(DB_ENV, str(real_db))
    monkeypatch.delenv(MODE_ENV, raising=False)
    yield
    close_all()


def _texts(at) -> str:
    parts = [
        e.value for kind in ("info", "warning", "caption", "markdown") for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_a_link_cannot_ask_for_exact_figures(on_real, page):
    """`?disclosure=exact` (and look-alikes) in a shared link change nothing."""
    query = {"cohort": _small_cohort.REAL, "disclosure": "exact", "mode": "exact"}
    at = run_page(page, query)
    assert not at.exception
    text = _texts(at)
    assert "Exact figures: not for sharing" not in text
    assert "Small-cell protection" in text or "Protected figures" in text


@pytest.mark.parametrize("page", PAGES)
def test_the_owner_configured_for_exact_sees_the_exact_banner(on_real, monkeypatch, page):
    monkeypatch.setenv(MODE_ENV, "exact")
    at = run_page(page, {"cohort": _small_cohort.REAL})
    assert not at.exception
    assert any("Exact figures: not for sharing" in w.value for w in at.warning)
