"""core.analyses.competing on the default database: the view equals the statistics on the same
patient rows (which equal R's cmprsk: tests/core/stats/test_competing.py), with the Survival
page's conventions (missing groups left out of tests, unsupported views refused)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from core.analyses.competing import (
    CAUSES,
    CompetingSpec,
    analyse,
    comparison_rows,
    notes,
    risk_rows,
    summary_rows,
    to_json_dict,
)
from core.analyses.survival import MISSING, SurvivalSpec
from core.data.filters import Filters
from core.stats.competing import cumulative_incidence, fine_gray, gray_test
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin, TimeUnit

PGEP = Filters(cohorts=("pgep-mibg-211",))


@pytest.fixture(scope="module")
def rows(default_db):
    con = duckdb.connect(str(default_db), read_only=True)
    try:
        return con.execute(
            "SELECT sex, os_days, os_event, death_cause FROM patients "
            "WHERE cohort_id = 'pgep-mibg-211'"
        ).fetchdf()
    finally:
        con.close()


def _status(df) -> np.ndarray:
    code = {c: i + 1 for i, c in enumerate(CAUSES)}
    return np.where(
        df["os_event"] == 1, [code.get(c, code["unknown"]) for c in df["death_cause"]], 0
    )


def test_generated_causes_only_for_deaths(rows):
    dead = rows["os_event"] == 1
    assert rows.loc[~dead, "death_cause"].isna().all()
    assert set(rows.loc[dead, "death_cause"]) == set(CAUSES)


def test_view_equals_statistics_on_the_rows(default_db, rows):
    a = analyse(PGEP, CompetingSpec(by="sex", times_months=(12.0, 36.0)), default_db)
    assert not a.refused and a.causes == CAUSES
    status = _status(rows)
    female = rows["sex"] == "female"
    ref = cumulative_incidence(rows["os_days"][female], status[female], 1)
    g = a.groups[0]
    assert g.label == "Female" and g.n == int(female.sum())
    got = g.cause("net_related").at
    want = ref.at(np.array([12.0, 36.0]) * DAYS_PER_MONTH)
    assert [x.cif for x in got] == pytest.approx([x.cif for x in want], rel=1e-12)
    assert [x.lower for x in got] == pytest.approx([x.lower for x in want], rel=1e-12)
    t, _why = a.test("other")
    gt = gray_test(rows["os_days"], status, rows["sex"], 2)
    assert t.chi2 == pytest.approx(gt.chi2, rel=1e-12) and t.df == 1
    m, _why = a.model("net_related")
    fg = fine_gray(
        rows["os_days"], status, rows["sex"].map({"female": "Female", "male": "Male"}), 1
    )
    assert m.reference == "Female"
    assert m.terms[0].hr == pytest.approx(fg.terms[0].hr, rel=1e-10)
    assert m.terms[0].se == pytest.approx(fg.terms[0].se, rel=1e-10)


def test_risk_table_counts(default_db, rows):
    a = analyse(PGEP, CompetingSpec(times_months=(24.0,)), default_db)
    (g,) = a.groups
    zero, at24 = g.risk
    t24 = 24 * DAYS_PER_MONTH
    assert zero.at_risk == len(rows)
    assert at24.at_risk == int((rows["os_days"] >= t24).sum())
    dead = (rows["os_event"] == 1) & (rows["os_days"] <= t24)
    assert dict(at24.events)["net_related"] == int(
        (dead & (rows["death_cause"] == "net_related")).sum()
    )
    assert at24.censored == int(((rows["os_event"] == 0) & (rows["os_days"] <= t24)).sum())
    assert [r["At risk"] for r in risk_rows(a, TimeUnit.MONTHS)] == [zero.at_risk, at24.at_risk]


def test_times_in_days_are_exact(default_db):
    a = analyse(PGEP, CompetingSpec(times_in_days=(365.0,)), default_db)
    (v,) = a.groups[0].cause("net_related").at
    assert v.time == 365.0
    j = to_json_dict(a, TimeUnit.DAYS, "pgep-mibg-211")
    assert j["groups"][0]["causes"]["net_related"]["at"][0]["time"] == 365.0
    assert j["groups"][0]["risk_table"][1]["time"] == 365.0


def test_json_shape_and_methods(default_db):
    a = analyse(PGEP, CompetingSpec(by="sex"), default_db)
    j = to_json_dict(a, TimeUnit.MONTHS, "pgep-mibg-211")
    assert set(j["tests"]) == set(CAUSES)
    assert set(j["tests"]["net_related"]) >= {"chi2", "df", "p"}
    at = j["groups"][0]["causes"]["net_related"]["at"][0]
    assert set(at) == {"time", "cif", "ci"} and len(at["ci"]) == 2
    assert "cmprsk::crr" in j["methods"]["model"] and "log(-log)" in j["methods"]["ci"]
    assert j["disclosure"]["mode"] == "protected" and j["disclosure"]["real_data"] is False
    assert j["fine_gray"]["net_related"]["terms"][0]["group"] == "Male"
    assert any("synthetic" in w for w in j["warnings"])  # causes of death are illustrative
    assert summary_rows(a, TimeUnit.MONTHS) and comparison_rows(a)


def test_missing_group_left_out_of_tests(default_db):
    """Route is null for nguyen-2004's untreated patients: a labelled extra group, in no test
    (as R drops NA), leaving one group to compare, so no test."""
    a = analyse(Filters(cohorts=("nguyen-2004",)), CompetingSpec(by="route"), default_db)
    missing = [g for g in a.groups if g.label == MISSING]
    assert missing and not missing[0].in_tests
    t, why = a.test("net_related")
    assert t is None and "fewer than two groups" in why
    assert any("left out of the tests" in n for n in notes(a))


@pytest.mark.parametrize(
    ("spec", "word"),
    [
        (SurvivalSpec(endpoint=Endpoint.PFS_IMAGING), "overall survival only"),
        (SurvivalSpec(origin=Origin.DIAGNOSIS), "first radionuclide treatment only"),
        (SurvivalSpec(landmark_months=3.0), "landmark"),
    ],
)
def test_unsupported_views_are_refused(default_db, spec, word):
    a = analyse(PGEP, CompetingSpec.from_survival(spec), default_db)
    assert a.refused and word in a.refusal and a.groups == ()


def test_published_cases_deaths_without_cause_count_as_unknown(default_db):
    a = analyse(Filters(cohorts=("ia-hepatic-6",)), CompetingSpec(), default_db)
    if a.n_unknown_cause:
        assert a.causes == ("unknown",)
        assert any("no recorded cause" in n for n in notes(a))
