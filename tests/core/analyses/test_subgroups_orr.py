"""The subgroup forest's imaging ORR difference (core.analyses.subgroups, issue 17 item 5).

The imported cohort of :mod:`tests.core.analyses._small_cohort` (``real-80``) is compared with
the synthetic one: per sex, prior surgery and grade, the objective response rate (CR + PR
among evaluable patients) of each arm and the difference with Newcombe's hybrid score CI
(R values for :func:`core.stats.newcombe.newcombe_difference` are frozen in
tests/core/stats/test_newcombe.py). Exact mode: equal to a direct computation on the
selection's patients. Protected mode: shown only where every arm count is at least 11 and
none is withheld to protect a small one (prior surgery "No" has 8 responders in real-80).
"""

from __future__ import annotations

import pytest

from core.analyses import subgroups as sg
from core.analyses.disclosure import Mode
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.stats.newcombe import newcombe_difference
from tests.core.analyses import _small_cohort as sc

BOTH = Filters(cohorts=(sc.REAL, sc.SYNTH))
SPEC = sg.SubgroupSpec("cohort_id", (sc.REAL,), by=("sex", "prior_surgery", "grade"))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from core.data.db import close_all

    yield sc.build(tmp_path_factory.mktemp("sgorr") / "db.duckdb")
    close_all()


def _rows(a: sg.SubgroupAnalysis) -> dict[tuple[str, str], sg.SubgroupRow]:
    out = {("", sg.ALL): a.overall}
    out |= {(f.field, r.level): r for f in a.fields for r in f.rows}
    return out


def _direct(db, column: str | None, value: object) -> tuple[tuple[int, int], tuple[int, int]]:
    """(evaluable, responders) as (synthetic arm, real-80 arm), straight from the patients."""
    p = patients_frame(BOTH, path=db)
    if column is not None:
        p = p[p[column] == value]
    ev = p["imaging_response"].notna() & (p["imaging_response"] != "NE")
    resp = p["imaging_response"].isin(["CR", "PR"])
    arms = [p["cohort_id"] == sc.SYNTH, p["cohort_id"] == sc.REAL]
    return tuple(int((ev & a).sum()) for a in arms), tuple(int((resp & a).sum()) for a in arms)


@pytest.mark.parametrize(
    ("field", "level", "column", "value"),
    [
        ("", sg.ALL, None, None),
        ("sex", "Female", "sex", "female"),
        ("sex", "Male", "sex", "male"),
        ("prior_surgery", "No", "prior_surgery", False),
        ("grade", "G2", "grade", "G2"),
    ],
)
def test_exact_values_equal_a_direct_computation(db, field, level, column, value):
    a = sg.analyse(BOTH, SPEC, db, mode=Mode.EXACT)
    r = _rows(a)[(field, level)]
    n, x = _direct(db, column, value)
    assert r.orr.evaluable == n and r.orr.responders == x
    want = newcombe_difference(x[1], n[1], x[0], n[0])
    assert r.orr.diff.estimate == pytest.approx(x[1] / n[1] - x[0] / n[0], abs=1e-12)
    assert (r.orr.diff.lower, r.orr.diff.upper) == (want.lower, want.upper)
    assert r.shows_orr
    js = sg.to_json_dict(a)
    row = js["overall"] if field == "" else next(
        lv for s in js["subgroups"] if s["field"] == field for lv in s["levels"]
        if lv["level"] == level
    )  # fmt: skip
    o = row["orr_difference"]
    assert o["n"] == {"comparison": n[1], "reference": n[0]}
    assert o["responders"] == {"comparison": x[1], "reference": x[0]}
    assert o["ci"] == [want.lower, want.upper] and "Newcombe" in o["method"]


def test_protected_shows_large_levels_and_hides_small_ones(db):
    exact = _rows(sg.analyse(BOTH, SPEC, db, mode=Mode.EXACT))
    a = sg.analyse(BOTH, SPEC, db, mode=Mode.PROTECTED)
    assert a.disclosure.active
    rows = _rows(a)
    for key in (("", sg.ALL), ("sex", "Female"), ("sex", "Male")):
        assert rows[key].shows_orr and rows[key].orr.diff == exact[key].orr.diff
    # 8 responders among the real-80 patients without prior surgery; "Yes" would give them
    for key in (("prior_surgery", "No"), ("prior_surgery", "Yes"), ("grade", "G2")):
        assert not rows[key].shows_orr and rows[key].orr_withheld == sg.SMALL
    assert min(exact[("prior_surgery", "No")].orr.cells().values()) < 11
    table = sg.table_frame(a)
    no = table[(table["Subgroup"] == "Prior surgery") & (table["Level"] == "No")].iloc[0]
    assert no[sg.ORR_HEAD] == "not shown: small counts"
    js = sg.to_json_dict(a)
    for s in js["subgroups"]:
        for lv in s["levels"]:
            o = lv["orr_difference"]
            if "estimate" in o:
                assert all(v >= 11 for v in (*o["n"].values(), *o["responders"].values()))
            else:
                assert "ci" not in o and "n" not in o
    csv = sg.export_frame(a)
    cols = [c for c in csv.columns if c.startswith("orr_evaluable") or c.startswith("orr_resp")]
    assert cols and not any(0 <= v < 11 for c in cols for v in csv[c].dropna())
    assert csv[cols].notna().any().all()  # the shown rows do carry their counts


def test_protected_shows_no_derivable_small_orr_count(db):
    """Overall minus the shown levels, per arm and count, is never 1..10."""
    a = sg.analyse(BOTH, SPEC, db, mode=Mode.PROTECTED)
    o = a.overall.orr.cells()
    for f in a.fields:
        shown = [r for r in f.rows if r.shows_orr]
        if not shown:
            continue
        for k in o:
            rest = o[k] - sum(r.orr.cells()[k] for r in shown)
            assert not 0 < rest < 11, (f.field, k, rest)
