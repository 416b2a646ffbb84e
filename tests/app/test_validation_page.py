"""AppTest: the Validation page shows every published figure with pass/fail and a summary."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from core.analyses.validation import IA, SYNTHETIC_NOTE, validate
from core.data.db import DB_ENV
from tests.app.conftest import ROOT, run_page

PAGE = "pages/validation.py"


def _run(query: dict | None = None):
    """Through app.py once the page is registered there; the page file on its own before."""
    if PAGE in (ROOT / "pages" / "_shell.py").read_text():
        return run_page(PAGE, query)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.run()
    return at


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_every_figure_passing(app_db):
    n = len(validate(app_db))
    at = _run()
    assert not at.exception
    assert at.title[0].value == "Validation"
    assert SYNTHETIC_NOTE in [m.value for m in at.markdown]
    assert _metric(at, "Published figures reproduced") == f"{n} of {n}"
    assert _metric(at, "Failing") == "0"
    assert any(f"All {n} published figures" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert len(table) == n
    assert set(table["Result"]) == {"✅ pass"}
    assert {"Published", "Computed by the app", "Tolerance", "Source (seed, place)"} <= set(
        table.columns
    )


def test_choosing_a_cohort_shows_only_its_figures(app_db):
    n_ia = sum(r.cohort == IA for r in validate(app_db))
    at = _run()
    at.selectbox(key="val_cohort").set_value(IA).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Cohort"]) == {IA} and len(table) == n_ia


@pytest.fixture()
def tampered(app_db, tmp_path, monkeypatch):
    path = tmp_path / "tampered.duckdb"
    shutil.copy(app_db, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE treatments SET activity_mbq = 3700 WHERE cohort_id = ? AND cycle = 2", [IA])
    con.close()
    monkeypatch.setenv(DB_ENV, str(path))
    return path


def test_a_failing_figure_is_shown_as_failing(tampered):
    n = len(validate(tampered))
    at = _run()
    assert not at.exception
    assert _metric(at, "Published figures reproduced") == f"{n - 1} of {n}"
    assert at.error, "a failure must be announced"
    at.toggle(key="val_failing").set_value(True).run()
    table = at.dataframe[0].value
    assert list(table["Figure"]) == ["Activity of every infusion"]
    assert list(table["Result"]) == ["❌ fail"]


def test_the_caption_points_to_the_figures_file(app_db):
    at = _run()
    assert any("data/validation_figures.csv" in c.value for c in at.caption)
