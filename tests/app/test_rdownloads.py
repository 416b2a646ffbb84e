"""AppTest: the R downloads beside the Response table and Table 1 (synthetic default data:
the script and, since nothing is protected, the analysis data)."""

from __future__ import annotations

from tests.app.conftest import run_page


def _labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_response_page_offers_the_r_script_and_its_data():
    at = run_page("pages/response.py", {"rby": "sex"})
    assert not at.exception
    labels = _labels(at)
    assert "R script (responses)" in labels and "Analysis data for R (CSV)" in labels


def test_overview_offers_the_table1_r_script_when_split():
    at = run_page("pages/overview.py", {"split": "sex"})
    assert not at.exception
    labels = _labels(at)
    assert "R script (Table 1 tests)" in labels and "Analysis data for R (CSV)" in labels
    plain = run_page("pages/overview.py", {})
    assert "R script (Table 1 tests)" not in _labels(plain)  # no split: no tests to reproduce
