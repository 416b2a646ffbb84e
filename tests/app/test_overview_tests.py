"""AppTest: Table 1 split by a field shows p-values, SMDs and footnotes naming each test."""

from __future__ import annotations

import pytest

from tests.app.conftest import run_page
from tests.core.analyses import _small_cohort as sc


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption).replace("\\", "")  # markdown escapes


def test_split_by_sex_shows_p_values_smds_and_footnotes():
    at = run_page("pages/overview.py", {"cohort": "pgep-mibg-211"})
    at.selectbox(key="ctl_split").set_value("sex").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame.columns[-2:]) == ["p-value", "SMD"]
    age = frame[frame["Characteristic"] == "Age, years"].iloc[0]
    assert age["p-value"][:1].isdigit() or age["p-value"].startswith(("<", ">"))
    assert age["p-value"][-1] in "ᵃᵇᶜᵈᵉᶠ" and age["SMD"].lstrip("-")[:1].isdigit()
    text = _captions(at)
    assert "Wilcoxon rank" in text and "chi" in text and "Fisher" in text
    assert "gtsummary" in text and "Female minus Male" in text


def test_no_split_no_test_columns():
    at = run_page("pages/overview.py", {"cohort": "pgep-mibg-211"})
    assert not at.exception
    assert "p-value" not in at.dataframe[0].value.columns
    assert "gtsummary" not in _captions(at)


def test_three_groups_have_p_values_but_no_smd():
    at = run_page("pages/overview.py", {"cohort": "pgep-mibg-211"})
    at.selectbox(key="ctl_split").set_value("grade").run()
    assert not at.exception
    cols = list(at.dataframe[0].value.columns)
    assert cols[-1] == "p-value" and "SMD" not in cols


@pytest.fixture
def on_small_db(tmp_path, monkeypatch):
    from core.data.db import DB_ENV, close_all

    path = sc.build(tmp_path / "small.duckdb")
    close_all()
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.delenv("NET_EXPLORER_DISCLOSURE", raising=False)
    yield path
    close_all()


def test_protected_imported_cohort_withholds_tests_on_small_counts(on_small_db):
    at = run_page("pages/overview.py", {"cohort": sc.REAL, "split": "sex"})
    assert not at.exception
    frame = at.dataframe[0].value
    race = frame[frame["Section"] == "Race"].iloc[0]  # 5 missing races: hidden
    assert race["p-value"] == "not shown: small counts" == race["SMD"]
    age = frame[frame["Characteristic"] == "Age, years"].iloc[0]
    assert age["p-value"] != "not shown: small counts"
    assert "not shown: small counts" in _captions(at)
