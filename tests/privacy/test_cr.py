"""Competing risks (cumulative incidence by cause of death) under disclosure control.

An imported (real) cohort built by code (tests/privacy/cohort.py's ``real-60``) with causes of
death planted so that small cells exist: among the women who died, exactly **4** died of
another cause and **3** of an unknown cause (the rest NET-related); the 8 men are a small
group. In protected mode no output of the view (the ``cuminc`` command in JSON and text, the
analysis, the Survival page's view) shows or derives them; in exact mode they appear.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.data.db import DB_ENV, close_all
from tests.privacy.cohort import real_cohort, write_csv
from tests.privacy.collect import json_leaks, run_cli, run_page, text_leaks

CID = "real-cr"
OTHER, UNKNOWN = 4, 3


def planted():
    df = real_cohort()
    dead_f = np.flatnonzero((df["os_event"].astype(int) == 1) & (df["sex"] == "female"))
    cause = np.full(len(df), None, dtype=object)
    cause[df["os_event"].astype(int).to_numpy() == 1] = "net_related"
    cause[dead_f[:OTHER]] = "other"
    cause[dead_f[OTHER : OTHER + UNKNOWN]] = "unknown"
    df["death_cause"] = cause
    return df


@pytest.fixture(scope="module")
def cr_db(tmp_path_factory):
    from core.data.build import build_synthetic

    folder = tmp_path_factory.mktemp("privacy-cr")
    db = folder / "cohorts.duckdb"
    build_synthetic(120, db, seed=3)
    csv = write_csv(planted(), folder / f"{CID}.csv")
    rc, out, err = run_cli(["import", str(csv), "--cohort", CID, "--db", str(db)])
    assert rc == 0, out + err
    close_all()
    return db


@pytest.fixture(autouse=True)
def _db(cr_db, monkeypatch):
    monkeypatch.setenv(DB_ENV, str(cr_db))
    yield
    close_all()


def cli(mode: str, *extra: str) -> tuple[int, str]:
    rc, out, err = run_cli(
        ["cuminc", "--cohort", CID, "--disclosure", mode, "--times", "12,24", *extra]
    )
    assert rc == 0, err
    return rc, out


def test_planted_cells_exist_in_exact_mode():
    """Exact mode shows the planted deaths (so the protected checks can fail)."""
    _rc, out = cli("exact", "--by", "prior_surgery", "--json")
    obj = json.loads(out)
    assert sum(g["causes"]["other"]["deaths"] for g in obj["groups"]) == OTHER
    assert sum(g["causes"]["unknown"]["deaths"] for g in obj["groups"]) == UNKNOWN
    assert json_leaks(obj)  # the scanner sees the small counts here
    assert obj["tests"]["other"]["chi2"] is not None
    _rc, out = cli("exact", "--by", "sex", "--json")
    male = next(x for x in json.loads(out)["groups"] if x["label"] == "Male")
    assert male["n"] == 8


def test_protected_json_shows_no_small_count():
    _rc, out = cli("protected", "--by", "prior_surgery", "--json")
    obj = json.loads(out)
    assert json_leaks(obj) == []
    for g in obj["groups"]:
        for code in ("other", "unknown"):
            c = g["causes"][code]
            assert c["suppressed"] and c["deaths"] == "suppressed" and c["at"] == []
        for row in g["risk_table"]:
            assert row["deaths"]["other"] == "suppressed"
            for v in (row["at_risk"], row["censored"], *row["deaths"].values()):
                assert v in ("<11", "suppressed") or int(v) == 0 or int(v) % 5 == 0
    # a test of a cause with a hidden cell is withheld, never recomputed without it
    for code in ("other", "unknown"):
        assert obj["tests"][code]["chi2"] is None and obj["fine_gray"][code]["terms"] == []
    assert obj["disclosure"] == {"mode": "protected", "threshold": 11, "real_data": True}


def test_protected_small_group_hides_both():
    """By sex: the 8 men are hidden, and the women with them (complementary suppression)."""
    _rc, out = cli("protected", "--by", "sex", "--json")
    obj = json.loads(out)
    assert json_leaks(obj) == []
    assert all(g["suppressed"] and g["causes"] == {} for g in obj["groups"])
    assert all(g["n"] in ("<11", "suppressed") for g in obj["groups"])


def test_protected_ungrouped_withholds_small_causes():
    """No grouping: 'other' (4) and 'unknown' (3) are hidden, and since together they are
    still fewer than 11 (the group's deaths are shown elsewhere) NET-related is hidden too."""
    _rc, out = cli("protected", "--json")
    obj = json.loads(out)
    (g,) = obj["groups"]
    assert g["causes"]["other"]["deaths"] == "suppressed"
    assert g["causes"]["unknown"]["deaths"] == "suppressed"
    assert g["causes"]["net_related"]["deaths"] == "suppressed"
    assert int(g["n"]) == 60  # shown as text under protection, as the survival JSON
    assert json_leaks(obj) == []


def test_protected_text_output_shows_no_small_count():
    _rc, out = cli("protected", "--by", "prior_surgery")
    assert "Protected figures" in out
    assert text_leaks(out) == []
    lines = [
        ln for ln in out.splitlines() if "Other cause" in ln and ln.strip()[:3] in ("Yes", "No ")
    ]
    assert lines and all("suppressed" in ln for ln in lines)


def test_protected_curves_on_whole_months(monkeypatch):
    """Shown curves move on whole months (threshold 2 here, so that the causes are shown)."""
    from core.analyses.competing import CompetingSpec, analyse
    from core.analyses.disclosure import Mode
    from core.data.filters import Filters
    from core.vocab.methods import DAYS_PER_MONTH

    monkeypatch.setenv("NET_EXPLORER_SMALL_CELL", "2")
    a = analyse(Filters(cohorts=(CID,)), CompetingSpec(), mode=Mode.PROTECTED)
    (g,) = a.groups
    shown = [c for c in g.causes if c.display is not None]
    assert [c.cause for c in shown] == ["net_related", "other", "unknown"]
    months = shown[0].display.time / DAYS_PER_MONTH
    assert np.allclose(months, np.round(months)) and shown[0].display.whole_months
    exact = analyse(Filters(cohorts=(CID,)), CompetingSpec(), mode=Mode.EXACT)
    assert exact.groups[0].causes[0].display.whole_months is False
    assert {c.cause: c.events for c in exact.groups[0].causes}["other"] == OTHER


def test_page_view_protected_and_exact(monkeypatch):
    """The Survival page's cumulative-incidence tables: no small count in protected mode."""
    from tests.privacy.collect import MODE_ENV

    at = run_page("pages/survival.py", {"cif": "1", "cohort": CID, "by": "prior_surgery"})
    assert not at.exception
    assert any("Cumulative incidence by cause" in s.value for s in at.subheader)
    cells = [
        str(v)
        for df in at.dataframe
        for col in df.value.columns
        if col.startswith(("Deaths", "At risk", "Censored", "n"))
        for v in df.value[col]
    ]
    assert cells and not any(c in {str(i) for i in range(1, 11)} for c in cells)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Analysis data for R (CSV)" not in labels  # patient rows: never under protection
    monkeypatch.setenv(MODE_ENV, "exact")
    at = run_page("pages/survival.py", {"cif": "1", "cohort": CID})
    assert not at.exception
    assert "Analysis data for R (CSV)" in [b.proto.label for b in at.get("download_button")]
    deaths = [
        str(v)
        for df in at.dataframe
        if "Deaths of this cause" in df.value.columns
        for v in df.value["Deaths of this cause"]
    ]
    assert str(OTHER) in deaths
