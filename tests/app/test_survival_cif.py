"""The Survival page's cumulative-incidence view (pages/_survival_cif.py) through AppTest."""

from __future__ import annotations

from tests.app.conftest import run_page

PAGE = "pages/survival.py"
TITLE = "Cumulative incidence by cause of death"


def test_view_renders_with_chart_tables_and_methods():
    at = run_page(PAGE, {"cif": "1", "cohort": "pgep-mibg-211", "by": "sex"})
    assert not at.exception
    assert any(TITLE in s.value for s in at.subheader)
    frames = [df.value for df in at.dataframe]
    summary = next(f for f in frames if "Cause of death" in f.columns and "n" in f.columns)
    assert set(summary["Cause of death"]) == {"NET-related", "Other cause", "Unknown"}
    risk = next(f for f in frames if "Deaths: NET-related" in f.columns)
    assert set(risk["Group"]) == {"Female", "Male"} and "Censored" in risk.columns
    tests = next(f for f in frames if "p (Gray)" in f.columns)
    assert set(tests["Reference"]) == {"Female"}
    captions = " ".join(c.value for c in at.caption)
    assert "cmprsk::cuminc" in captions and "log(-log)" in captions
    assert any("synthetic" in w.value for w in at.warning)


def test_unsupported_origin_is_explained():
    at = run_page(PAGE, {"cif": "1", "cohort": "pgep-mibg-211", "origin": "diagnosis"})
    assert not at.exception
    assert any("first radionuclide treatment only" in i.value for i in at.info)


def test_the_view_offers_its_r_script_and_data():
    """Issue 17 #9: the cmprsk script beside the figure, with the rows for synthetic data."""
    at = run_page(PAGE, {"cif": "1", "cohort": "pgep-mibg-211", "by": "sex"})
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "R script (cmprsk)" in labels and "Analysis data for R (CSV)" in labels
