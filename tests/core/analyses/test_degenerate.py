"""Statistics on degenerate data: defined results or a clear message, never a crash.

Tiny cohort databases are written with the builder's own functions (``core.data.build._write`` +
``insert_cohort``) and analysed through ``core.analyses.survival.analyse`` exactly as the Survival
page does (summary table, survival at times, hazard ratios, chart, paragraphs, JSON); a few
cases go to ``core.stats.survival`` directly. Expected values are worked by hand in each test (they
follow R's survfit conventions, see README "Conventions").

Cases: no events; every event on one day; a single patient; ties of events and censorings on
one day; zero-length follow-up; an endpoint nobody has; an empty selection; a group without
events; complete separation; small-cell protection of an imported one-patient cohort.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.survival import (
    SurvivalSpec,
    analyse,
    hazard_ratios,
    hr_frame,
    summary_frame,
    survival_at_frame,
    to_json_dict,
)
from core.cohorts.generator import CohortFrames, empty_patients, finish_patients
from core.data import db
from core.data.build import _write, insert_cohort
from core.data.filters import Filters
from core.present.charts import km_chart
from core.present.paragraphs import methods_paragraph, results_paragraph
from core.stats.survival import (
    counts_from_arrays,
    kaplan_meier,
    km_quantiles,
    logrank_test,
    pairwise_logrank,
    rmst,
    rmst_difference,
    survival_at,
)
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin, TimeUnit

MEDIAN = "Median, months (95% CI)"
BASE = {
    "sex": "female",
    "age": 60,
    "primary_site": "small_bowel",
    "grade": "G1",
    "route": "IV",
    "agent": "i131_mibg",
    "n_treatments": 1,
    "dx_to_index_days": 400,
}


def write_tiny_db(path: Path, rows: list[dict], provenance: str = "synthetic") -> Path:
    """A database with one cohort ``tiny`` of the given patients (defaults from BASE)."""
    pts = empty_patients(len(rows))
    for i, row in enumerate(rows):
        pts.loc[i, "patient_id"] = f"p{i + 1}"
        for key, value in {**BASE, **row}.items():
            pts.loc[i, key] = value
    frames = CohortFrames(finish_patients(pts), pd.DataFrame(), pd.DataFrame())
    meta = {"cohort_id": "tiny", "title": "Tiny test cohort", "provenance": provenance}
    return _write(Path(path), lambda con: insert_cohort(con, meta, frames))


def _os(days_events, **extra) -> list[dict]:
    return [dict(os_days=d, os_event=e, **extra) for d, e in days_events]


CASES: dict[str, list[dict]] = {
    "no_events": _os([(30, 0), (60, 0), (60, 0), (90, 0)]),
    "one_day": _os([(100, 1)] * 5),
    "single": _os([(100, 1)]),
    "ties": _os([(150, 1), (150, 0), (150, 1), (300, 1)]),
    "zero_follow_up": _os([(0, 1), (0, 0), (0, 1)]),
    "group_without_events": _os([(10, 1), (20, 1), (30, 0), (40, 1), (50, 1)], sex="female")
    + _os([(15, 0), (25, 0), (35, 0), (45, 0), (55, 0)], sex="male"),
    # every female event happens before any male is at risk of his first event... and all
    # females have died by day 50, while males die from day 100 on: the likelihood of the
    # group coefficient is monotone (complete separation)
    "separation": _os([(10, 1), (20, 1), (30, 1), (40, 1), (50, 1)], sex="female")
    + _os([(100, 1), (110, 1), (120, 1), (130, 1), (140, 1)], sex="male"),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    paths = {name: write_tiny_db(root / f"{name}.duckdb", rows) for name, rows in CASES.items()}
    yield paths
    db.close_all()


def _all_outputs(analysis, path: Path) -> dict:
    """Everything the Survival page and its exports derive from an analysis."""
    unit = TimeUnit.MONTHS
    out = {"summary": summary_frame(analysis, unit), "at": survival_at_frame(analysis)}
    hrs = None
    if analysis.groups:
        hrs = hazard_ratios(analysis.filters, analysis.spec, analysis.groups[0].label, path)
        out["hr"] = hr_frame(hrs)
        out["hrs"] = hrs
        out["chart"] = km_chart(analysis, unit).to_dict()
    out["results"] = results_paragraph(analysis, unit=unit, hazard_ratios=hrs)
    out["methods"] = methods_paragraph(
        analysis,
        cohorts=db.list_cohorts(path),
        description=analysis.filters.describe(analysis.n_analysed),
        hazard_ratios=hrs,
    )
    out["json"] = json.dumps(to_json_dict(analysis, unit, "tiny"), allow_nan=False)
    return out


SPECS = [
    SurvivalSpec(),
    SurvivalSpec(by="sex"),
    SurvivalSpec(origin=Origin.DIAGNOSIS),
    SurvivalSpec(origin=Origin.DIAGNOSIS, left_truncation=False),
    SurvivalSpec(landmark_months=1.0),
    SurvivalSpec(endpoint=Endpoint.PFS_IMAGING),
    SurvivalSpec(times_months=(), rmst_months=1.0),
]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    "spec",
    SPECS,
    ids=[
        "default",
        "by-sex",
        "from-diagnosis",
        "diagnosis-no-delayed-entry",
        "landmark-1m",
        "pfs-imaging",
        "no-times-no-rmst",
    ],
)
def test_every_output_is_defined(tiny, case, spec):
    """No exception anywhere, JSON without NaN, counts that add up."""
    path = tiny[case]
    analysis = analyse(Filters(), spec, path)
    assert analysis.n_selected == len(CASES[case])
    assert (
        analysis.n_analysed + analysis.n_missing_time + analysis.n_landmark_excluded
        == analysis.n_selected
    )
    out = _all_outputs(analysis, path)
    assert out["results"] and out["methods"]
    for g in analysis.groups:
        assert g.km is not None and np.all((g.km.surv >= 0) & (g.km.surv <= 1))
        if g.rmst is not None:
            assert math.isfinite(g.rmst.estimate) and g.rmst.estimate >= 0


# ------------------------------------------------------------------ one case at a time
def test_no_events(tiny):
    a = analyse(Filters(), SurvivalSpec(), tiny["no_events"])
    (g,) = a.groups
    assert (g.n, g.events) == (4, 0)
    np.testing.assert_array_equal(g.km.surv, [1, 1, 1])
    assert g.median.estimate is None and g.median.lower is None
    assert a.logrank is None and g.rmst is None
    row = summary_frame(a, TimeUnit.MONTHS).iloc[0]
    assert row[MEDIAN] == "not reached"
    hrs = hazard_ratios(Filters(), SurvivalSpec(), "All", tiny["no_events"])
    assert hrs.rows == () and "no events" in hrs.note
    assert "not reached" in results_paragraph(a, unit=TimeUnit.MONTHS)


def test_every_event_on_one_day(tiny):
    a = analyse(Filters(), SurvivalSpec(), tiny["one_day"])
    (g,) = a.groups
    np.testing.assert_array_equal(g.km.time, [100])
    np.testing.assert_array_equal(g.km.surv, [0])
    assert [q.estimate for q in g.quantiles] == [100, 100, 100]
    # R: the log-log CI is NA where S = 0, so the median's limits are NA ("NR" on the page)
    assert g.median.lower is None and g.median.upper is None
    assert g.rmst.estimate == pytest.approx(100) and g.rmst.se == 0
    assert (
        summary_frame(a, TimeUnit.MONTHS).iloc[0][MEDIAN] == f"{100 / DAYS_PER_MONTH:.1f} (NR–NR)"
    )


def test_single_patient(tiny):
    a = analyse(Filters(), SurvivalSpec(by="sex"), tiny["single"])
    (g,) = a.groups
    assert (g.n, g.events) == (1, 1)
    assert "One patient only" in g.message
    assert a.logrank is None and a.pairwise == ()
    assert summary_frame(a, TimeUnit.MONTHS).iloc[0]["Note"] == g.message
    hrs = hazard_ratios(Filters(), SurvivalSpec(by="sex"), "Female", tiny["single"])
    assert hrs.rows == () and "reference group is among them" in hrs.note


def test_ties_of_events_and_censorings(tiny):
    """Censorings tied with events count as at risk at that time (R): S(150) = 1 - 2/4."""
    a = analyse(Filters(), SurvivalSpec(), tiny["ties"])
    (g,) = a.groups
    np.testing.assert_array_equal(g.km.time, [150, 300])
    np.testing.assert_array_equal(g.km.n_risk, [4, 1])
    np.testing.assert_array_equal(g.km.n_event, [2, 1])
    np.testing.assert_array_equal(g.km.n_censor, [1, 0])
    np.testing.assert_allclose(g.km.surv, [0.5, 0.0])
    # S is exactly 0.5 on [150, 300): R's median is the midpoint
    assert g.median.estimate == pytest.approx(225)
    # RMST to 60 months: 150 days at 1, then 150 days at 0.5
    assert g.rmst.estimate == pytest.approx(150 + 0.5 * 150)


def test_ties_across_groups_match_lifelines():
    from lifelines.statistics import logrank_test as ll_logrank

    t1, e1 = [5, 5, 5, 9, 12], [1, 1, 0, 1, 0]
    t2, e2 = [5, 5, 9, 9, 15], [1, 0, 1, 1, 1]
    ours = logrank_test([counts_from_arrays(t1, e1), counts_from_arrays(t2, e2)])
    theirs = ll_logrank(t1, t2, e1, e2)
    assert ours.chi2 == pytest.approx(theirs.test_statistic, rel=1e-9)
    assert ours.p == pytest.approx(theirs.p_value, rel=1e-9)


def test_zero_length_follow_up(tiny):
    path = tiny["zero_follow_up"]
    a = analyse(Filters(), SurvivalSpec(), path)
    (g,) = a.groups
    # two of three die on the index day: S(0) = 1/3, median 0, reported as 0.0 months
    np.testing.assert_array_equal(g.km.time, [0])
    np.testing.assert_allclose(g.km.surv, [1 / 3])
    assert g.median.estimate == 0
    assert survival_at(g.km, [0])[0].surv == pytest.approx(1 / 3)
    assert summary_frame(a, TimeUnit.MONTHS).iloc[0][MEDIAN].startswith("0.0 (")
    # from diagnosis with delayed entry, entry (400) is not before exit (400 + 0): such patients
    # cannot be in the risk set and are counted as without usable time, not analysed
    d = analyse(Filters(), SurvivalSpec(origin=Origin.DIAGNOSIS), path)
    assert d.groups == () and d.n_missing_time == 3
    # a landmark after the index day excludes them, and says so
    lm = analyse(Filters(), SurvivalSpec(landmark_months=1.0), path)
    assert lm.groups == () and (lm.n_landmark_excluded, lm.n_landmark_excluded_events) == (3, 2)


def test_endpoint_nobody_has_and_empty_selection(tiny):
    path = tiny["ties"]
    a = analyse(Filters(), SurvivalSpec(endpoint=Endpoint.PFS_IMAGING), path)
    assert a.groups == () and a.n_selected == 4 and a.n_missing_time == 4
    assert summary_frame(a, TimeUnit.MONTHS).empty
    empty = analyse(Filters(sex=("male",)), SurvivalSpec(), path)
    assert empty.groups == () and empty.n_selected == 0 and empty.logrank is None
    json.dumps(to_json_dict(empty, TimeUnit.MONTHS, "tiny"), allow_nan=False)


def test_group_without_events(tiny):
    path = tiny["group_without_events"]
    spec = SurvivalSpec(by="sex")
    a = analyse(Filters(), spec, path)
    assert [g.label for g in a.groups] == ["Female", "Male"]
    assert [g.events for g in a.groups] == [4, 0]
    assert a.logrank is not None
    assert math.isfinite(a.logrank.chi2) and 0 <= a.logrank.p <= 1
    hrs = hazard_ratios(Filters(), spec, "Female", path)
    assert hrs.rows == () and "Male" in hrs.note and "no events" in hrs.note
    # the reference without events: no HRs, and the note says why
    hrs_m = hazard_ratios(Filters(), spec, "Male", path)
    assert hrs_m.rows == () and "reference group is among them" in hrs_m.note


def test_complete_separation_is_reported_not_estimable(tiny):
    path = tiny["separation"]
    spec = SurvivalSpec(by="sex")
    a = analyse(Filters(), spec, path)
    assert a.logrank.p < 0.01  # the groups clearly differ
    hrs = hazard_ratios(Filters(), spec, "Female", path)
    for row in hrs.rows:
        estimable = row.hr is not None and row.lower > 0 and math.isfinite(row.upper)
        assert estimable or row.hr is None, row
    assert hrs.rows == () or all(r.hr is None for r in hrs.rows) or "separation" in hrs.note


def test_imported_single_patient_is_protected(tmp_path):
    """Disclosure control (imported data): one patient is a selection under the threshold, so
    nothing is shown (query-set-size restriction): no curve, no count; exact mode shows it."""
    from core.analyses.disclosure import Mode

    path = write_tiny_db(tmp_path / "imported.duckdb", _os([(100, 1)]), provenance="imported")
    try:
        a = analyse(Filters(), SurvivalSpec(), path)
        assert a.disclosure.active and a.refused and a.groups == ()
        out = _all_outputs(a, path)
        assert "1" not in {str(v) for v in out["summary"].get("n", [])}
        exact = analyse(Filters(), SurvivalSpec(), path, mode=Mode.EXACT)
        assert exact.n_analysed == 1 and not exact.refused
    finally:
        db.close_all()


# ------------------------------------------------------------------ core.stats.survival directly
def test_delayed_entry_at_an_event_time_is_not_at_risk_then():
    """At risk on (entry, exit]: a patient entering on day 5 is not at risk for a day-5 death
    (R: survfit(Surv(c(0, 5), c(5, 10), c(1, 1)) ~ 1) gives n.risk 1, 1 and surv 0, 0)."""
    km = kaplan_meier(counts_from_arrays([5, 10], [1, 1], entry=[0, 5]))
    np.testing.assert_array_equal(km.n_risk, [1, 1])
    np.testing.assert_array_equal(km.surv, [0, 0])


def test_pairwise_and_rmst_difference_with_degenerate_groups():
    a = counts_from_arrays([3, 5, 7], [1, 1, 1])
    b = counts_from_arrays([4, 6, 8], [0, 0, 0])  # no events
    c = counts_from_arrays([3, 5, 7], [1, 1, 1])
    pw = pairwise_logrank([a, b, c], ["a", "b", "c"])
    assert len(pw) == 3
    for p in pw:
        assert math.isfinite(p.chi2) and 0 <= p.p <= 1 and 0 <= p.p_adj <= 1
    same = next(p for p in pw if {p.a, p.b} == {"a", "c"})
    assert same.chi2 == pytest.approx(0) and same.p == pytest.approx(1)
    d = rmst_difference(kaplan_meier(a), kaplan_meier(c), 10)
    assert d.estimate == pytest.approx(0) and math.isfinite(d.se)
    # horizon before the first time: the area of a rectangle of height 1
    r = rmst(kaplan_meier(a), 2)
    assert r.estimate == pytest.approx(2) and r.se == 0
    with pytest.raises(ValueError, match="positive"):
        rmst(kaplan_meier(a), 0)


def test_quantiles_of_a_curve_that_never_reaches_them():
    km = kaplan_meier(counts_from_arrays([1, 2, 3, 4, 5], [1, 0, 0, 0, 0]))  # S = 0.8 after day 1
    assert [q.estimate for q in km_quantiles(km)] == [None, None, None]


def test_summary_without_rmst_horizon(tiny):
    a = analyse(Filters(), SurvivalSpec(rmst_months=None), tiny["ties"])
    frame = summary_frame(a, TimeUnit.MONTHS)
    assert not any(c.startswith("RMST") for c in frame.columns)
