"""AppTest: the Cox page offers its R script and, where patient rows may be given, its data."""

from __future__ import annotations

import pytest

from core.analyses.rdata import PROTECTED_REFUSAL
from tests.app.test_cox_page import run

SCRIPT = "R script (survival::coxph)"
DATA = "Analysis data for R (CSV)"


def _labels(at) -> list[str]:
    return [b.label for b in at.get("download_button")]


def test_synthetic_cohort_gets_the_script_and_the_rows():
    at = run({"cohort": "pgep-mibg-211", "covariates": "sex,grade,age=10"})
    assert not at.exception
    labels = _labels(at)
    assert SCRIPT in labels and DATA in labels


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    from core.data.db import close_all
    from tests.core.analyses.test_cox import build_imported_cox

    yield build_imported_cox(tmp_path_factory.mktemp("realcoxr") / "db.duckdb")
    close_all()


def test_protected_imported_cohort_gets_the_script_but_no_rows(real_db, monkeypatch):
    """The attack: patient rows of an imported cohort from the page. Protected mode gives the
    script and says why there are no rows; exact mode gives the rows too."""
    from core.data.db import DB_ENV

    monkeypatch.setenv(DB_ENV, str(real_db))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    at = run({"cohort": "real-cox", "covariates": "sex,grade,prior_ssa"})
    assert not at.exception
    labels = _labels(at)
    assert SCRIPT in labels and DATA not in labels
    assert any(PROTECTED_REFUSAL in c.value for c in at.caption)
    monkeypatch.setenv("NET_EXPLORER_DISCLOSURE", "exact")
    at = run({"cohort": "real-cox", "covariates": "sex,grade,prior_ssa"})
    assert not at.exception
    labels = _labels(at)
    assert SCRIPT in labels and DATA in labels
