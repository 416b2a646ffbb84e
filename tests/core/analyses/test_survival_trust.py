"""Issue 19 (trust pass), survival statistics: exact requested days, missing grouping values
out of every test, the status known at a landmark, RMST only within follow-up, early risk sets
from a diagnosis origin, groups that coincide with cohorts. Compared with R on R's data sets
(tests/data/r_datasets) with the calls in the docstrings; tolerance 1e-9 relative."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.analyses.disclosure import Mode
from core.analyses.survival import (
    MISSING,
    NOT_ASSESSED,
    SurvivalSpec,
    analyse,
    exclusion_notes,
    hazard_ratios,
    to_json_dict,
)
from core.data.filters import Filters
from core.vocab.methods import DAYS_PER_MONTH, Origin, TimeUnit
from tests.core.analyses.test_survival import (
    LUNG,
    T,
    _counts_in,
    _scan,
    _small,
    build_imported_lung,
    lung_frames,
)

RTOL = 1e-9


def _write(path, frames, cohort_id: str, provenance: str = "imported"):
    from core.data.build import _write as write_db
    from core.data.build import insert_cohort

    def fill(con):
        insert_cohort(con, {"cohort_id": cohort_id, "title": cohort_id, "provenance": provenance},
                      frames)  # fmt: skip

    write_db(path, fill)
    return path


def _cli(db, cohort: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "core", "survival", "--cohort", cohort, "--db", str(db),
         "--disclosure", "exact", "--json", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory, r_dataset):
    """R's lung as an imported cohort, ``Surv(time, status)`` from the index date."""
    from core.data.db import close_all

    yield build_imported_lung(tmp_path_factory.mktemp("t19") / "lung.duckdb", r_dataset,
                              plain=True)  # fmt: skip
    close_all()


@pytest.fixture(scope="module")
def lung_db(tmp_path_factory, r_dataset):
    """R's lung with delayed entry (entry = floor(0.3 time) for every third patient)."""
    from core.data.db import close_all

    yield build_imported_lung(tmp_path_factory.mktemp("t19e") / "lung.duckdb", r_dataset)
    close_all()


@pytest.fixture(scope="module")
def veteran_db(tmp_path_factory, r_dataset):
    """R's veteran as an imported cohort: os_days = time, os_event = status."""
    from core.cohorts.generator import generate_pgep
    from core.data.db import close_all

    vet = r_dataset("veteran")
    frames = generate_pgep(n=len(vet), seed=5)
    p = frames.patients
    p["os_days"] = pd.array(vet["time"], dtype="Int64")
    p["os_event"] = pd.array(vet["status"], dtype="Int64")
    yield _write(tmp_path_factory.mktemp("vet") / "vet.duckdb", frames, "veteran-real")
    close_all()


# ------------------------------------------------------------------ 1. exact requested days
def test_cli_days_are_exact_lung(plain_db):
    """``--time-unit days`` uses the days as given (246 is 246, not 246/30.4375*30.4375 =
    246.00000000000003, which dropped the patient leaving on day 246 from the risk set, and
    1022, the last follow-up, came back empty). R::

        lung <- read.csv("lung.csv")
        s <- summary(survfit(Surv(time, status) ~ 1, data=lung, conf.type="log-log"),
                     times=c(245, 246, 511, 1022))
        s$n.risk                 # 117 116 41 1
        sprintf("%.15g", s$surv) # 0.601857607906955 0.596669180252585 0.293269193711569
                                 # 0.0503455680708105
        s$lower; s$upper
    """
    obj = _cli(plain_db, "lung-real", "--time-unit", "days", "--times", "245,246,511,1022")
    at = obj["groups"][0]["at"]
    assert [a["time"] for a in at] == [245, 246, 511, 1022]
    assert [a["at_risk"] for a in at] == [117, 116, 41, 1]
    np.testing.assert_allclose(
        [a["survival"] for a in at],
        [0.6018576079069549, 0.5966691802525845, 0.2932691937115688, 0.0503455680708105],
        rtol=RTOL,
    )
    np.testing.assert_allclose(
        [a["ci"][0] for a in at],
        [0.5336175674063505, 0.5282701773593647, 0.2265036771180745, 0.0178661710928527],
        rtol=RTOL,
    )
    np.testing.assert_allclose(
        [a["ci"][1] for a in at],
        [0.663351171502646, 0.658449365110955, 0.363028599684183, 0.108662176030919],
        rtol=RTOL,
    )


def test_cli_days_are_exact_veteran(veteran_db):
    """An event on the requested day counts (250 was 249.99999999999997: the death on day 250
    was missed). R::

        veteran <- read.csv("veteran.csv")
        s <- summary(survfit(Surv(time, status) ~ 1, data=veteran, conf.type="log-log"),
                     times=c(123, 250, 991))
        s$n.risk   # 42 18 2
        sprintf("%.15g", s$surv)  # 0.337735850432037 0.153076681493339 0.00900451067607879
    """
    obj = _cli(veteran_db, "veteran-real", "--time-unit", "days", "--times", "123,250,991")
    at = obj["groups"][0]["at"]
    assert [a["at_risk"] for a in at] == [42, 18, 2]
    np.testing.assert_allclose(
        [a["survival"] for a in at],
        [0.33773585043203663, 0.15307668149333939, 0.00900451067607879],
        rtol=RTOL,
    )


def test_spec_times_in_days_are_used_as_given():
    spec = SurvivalSpec(times_months=(365 / DAYS_PER_MONTH,), times_in_days=(365,))
    assert spec.times_days.tolist() == [365.0]
    assert SurvivalSpec(times_months=(12, 6)).times_days.tolist() == [365.25, 182.625]


# ------------------------------------------------------------------ 2. missing grouping value
def build_ecog(root, r_dataset) -> dict[bool, object]:
    """R's lung with grade from ph.ecog (0 -> G1, 1 -> G2, 2 or 3 -> G3, NA -> missing), with
    the delayed entry of :func:`lung_frames` (``{False: path}``; from diagnosis:
    ``Surv(entry, time, status)``), and a plain copy (``{True: path}``, entry 0)."""
    lung = r_dataset("lung")
    grade = np.array([None, "G1", "G2", "G3", "G3"], dtype=object)
    eco = lung["ph.ecog"].to_numpy()
    g = np.where(np.isnan(eco), None, grade[np.nan_to_num(eco, nan=-1).astype(int) + 1])
    paths = {}
    for plain in (True, False):
        frames = lung_frames(r_dataset)
        p = frames.patients
        p["grade"] = g
        if plain:
            p["os_days"] = pd.array(lung["time"], dtype="Int64")
            p["dx_to_index_days"] = pd.array(np.zeros(len(p), dtype=int), dtype="Int64")
        paths[plain] = _write(root / f"ecog{int(plain)}.duckdb", frames, "lung-real")
    return paths


@pytest.fixture(scope="module")
def ecog_db(tmp_path_factory, r_dataset):
    from core.data.db import close_all

    yield build_ecog(tmp_path_factory.mktemp("ecog"), r_dataset)
    close_all()


def test_missing_group_is_left_out_of_the_tests_as_r(ecog_db):
    """R drops NA from survdiff (the test had the missing value as a group). R::

    lung$g <- pmin(lung$ph.ecog, 2)
    survdiff(Surv(time, status) ~ g, data=lung)$chisq          # 18.9792776459786, df 2
    survdiff(Surv(time, status) ~ g, data=lung, subset = g %in% c(0,1))$chisq
        # 3.45683054999783; c(0,2): 17.4185094568697; c(1,2): 9.0849703173068
    """
    a = analyse(LUNG, SurvivalSpec(by="grade"), ecog_db[True], mode=Mode.EXACT)
    labels = [g.label for g in a.groups]
    assert labels == ["G1", "G2", "G3", MISSING]
    assert [g.in_tests for g in a.groups] == [True, True, True, False]
    assert a.groups[-1].n == 1
    assert a.logrank.df == 2
    assert a.logrank.chi2 == pytest.approx(18.9792776459786, rel=RTOL)
    pw = {(p.a, p.b): p.chi2 for p in a.pairwise}
    assert set(pw) == {("G1", "G2"), ("G1", "G3"), ("G2", "G3")}
    np.testing.assert_allclose(
        [pw["G1", "G2"], pw["G1", "G3"], pw["G2", "G3"]],
        [3.45683054999783, 17.4185094568697, 9.0849703173068],
        rtol=RTOL,
    )
    assert all(MISSING not in (x[0], x[1]) for x in a.rmst_differences)
    (note,) = [n for n in exclusion_notes(a) if "left out of the log-rank" in n]
    assert note.startswith("1 patients with no recorded grade")


def test_group_hazard_ratios_drop_missing_and_equal_coxph(ecog_db):
    """The Survival page's hazard ratios come from the project's Cox engine, drop NA as
    ``coxph`` and equal it to 1e-9 (item 7: lifelines differed by up to 5e-6). R::

        c <- coxph(Surv(time, status) ~ factor(g), data=lung, ties="efron")
        exp(coef(c))                # 1.44511113593248 2.53689098494374
        summary(c)$conf.int[, 3:4]  # 0.979052457944193 2.13302788655589
                                    # 1.637091331892125 3.93125034878195
        summary(c)$coefficients[, 5]  # 6.38254842469842e-02 3.10538435549419e-05
        lung$entry <- ifelse(seq_len(nrow(lung)) %% 3 == 0, floor(lung$time * 0.3), 0)
        ce <- coxph(Surv(entry, time, status) ~ factor(g), data=lung, ties="efron")
        exp(coef(ce))               # 1.43198027070011 2.53446620442940
        summary(ce)$conf.int[, 3:4] # 0.97006624913453 2.11384273754895
                                    # 1.63524694543349 3.92816446429255
        summary(ce)$coefficients[, 5]  # 7.07596331260735e-02 3.18673526469672e-05
    """
    import core.analyses.survival as survival

    assert survival.cox_group_hr_counts.__module__ == "core.stats.survival"
    hrs = hazard_ratios(LUNG, SurvivalSpec(by="grade"), "G1", ecog_db[True], mode=Mode.EXACT)
    assert [r.label for r in hrs.rows] == ["G2", "G3"]
    np.testing.assert_allclose(
        [[r.hr, r.lower, r.upper, r.p] for r in hrs.rows],
        [
            [1.44511113593248, 0.979052457944193, 2.13302788655589, 6.38254842469842e-02],
            [2.53689098494374, 1.637091331892125, 3.93125034878195, 3.10538435549419e-05],
        ],
        rtol=RTOL,
    )
    spec = SurvivalSpec(by="grade", origin=Origin.DIAGNOSIS)
    hrs = hazard_ratios(LUNG, spec, "G1", ecog_db[False], mode=Mode.EXACT)
    np.testing.assert_allclose(
        [[r.hr, r.lower, r.upper, r.p] for r in hrs.rows],
        [
            [1.43198027070011, 0.97006624913453, 2.11384273754895, 7.07596331260735e-02],
            [2.53446620442940, 1.63524694543349, 3.92816446429255, 3.18673526469672e-05],
        ],
        rtol=RTOL,
    )


def test_attack_missing_group_count_is_not_shown_under_protection(ecog_db):
    """One patient has no grade: protected mode suppresses that group (and one to protect it),
    and the note on it gives no count."""
    a = analyse(LUNG, SurvivalSpec(by="grade"), ecog_db[True])
    missing = next(g for g in a.groups if not g.in_tests)
    assert missing.suppressed
    assert _scan(a) == []
    (note,) = [n for n in exclusion_notes(a) if "left out of the log-rank" in n]
    assert "withheld" in note and not [v for v in _counts_in(note) if _small(v)]
    hrs = hazard_ratios(LUNG, SurvivalSpec(by="grade"), "G1", ecog_db[True])
    assert MISSING not in [r.label for r in hrs.rows]


# ------------------------------------------------------------------ 3. landmark: status at L
@pytest.fixture(scope="module")
def assessed_db(tmp_path_factory):
    """A code-built cohort of 40: imaging assessed on day 60 (20 patients) or day 150 (20),
    half of each PD; everyone alive past the 3-month landmark (91.3 days)."""
    from core.cohorts.generator import generate_pgep
    from core.data.db import close_all

    n = 40
    frames = generate_pgep(n=n, seed=11)
    p = frames.patients
    i = np.arange(n)
    p["imaging_response"] = np.where(i % 2 == 0, "PD", "PR").astype(object)
    p["imaging_response_days"] = pd.array(np.where(i < 20, 60, 150), dtype="Int64")
    p["os_days"] = pd.array(200 + 10 * i, dtype="Int64")
    p["os_event"] = pd.array((i % 3 != 0).astype(int), dtype="Int64")
    p["dx_to_index_days"] = pd.array(np.full(n, 100), dtype="Int64")
    yield _write(tmp_path_factory.mktemp("lm") / "lm.duckdb", frames, "lm-code", "synthetic")
    close_all()


def test_landmark_group_is_the_status_known_at_the_landmark(assessed_db):
    """At 3 months only the day-60 assessments are known; the 20 assessed on day 150 are 'not
    yet assessed' (they were in the response groups before: immortal-time bias)."""
    f = Filters(cohorts=("lm-code",))
    a = analyse(f, SurvivalSpec(by="imaging_response", landmark_months=3), assessed_db,
                mode=Mode.EXACT)  # fmt: skip
    sizes = {g.label: g.n for g in a.groups}
    assert sizes == {"CR/PR/SD": 10, "PD": 10, NOT_ASSESSED: 20}
    assert a.n_assessed_after_landmark == 20
    assert any("assessed after the landmark" in n for n in exclusion_notes(a))
    at6 = analyse(f, SurvivalSpec(by="imaging_response", landmark_months=6), assessed_db,
                  mode=Mode.EXACT)  # fmt: skip
    assert {g.label: g.n for g in at6.groups} == {"CR/PR/SD": 20, "PD": 20}
    # the PD group at 3 months: the patients 0, 2, ..., 18 (re-originated at the landmark)
    pd_group = next(g for g in a.groups if g.label == "PD")
    expected = np.sort(200 + 10 * np.arange(0, 20, 2) - 3 * DAYS_PER_MONTH)
    np.testing.assert_allclose(np.sort(pd_group.counts.time), expected)


def test_cox_landmark_uses_the_status_known_at_the_landmark(assessed_db):
    """Same on the Cox page: at 3 months the 20 assessed later are not yet assessed (not in
    the model, counted among the missing covariates)."""
    from core.analyses.cox import CoxSpec
    from core.analyses.cox import analyse as cox_analyse

    f = Filters(cohorts=("lm-code",))
    spec = CoxSpec(covariates=("imaging_response",), landmark_months=3)
    a = cox_analyse(f, spec, assessed_db, mode=Mode.EXACT)
    assert a.n == 20 and a.n_missing_covariates == 20
    assert any("known at the landmark" in w for w in a.warnings)
    b = cox_analyse(f, CoxSpec(covariates=("imaging_response",), landmark_months=6),
                    assessed_db, mode=Mode.EXACT)  # fmt: skip
    assert b.n == 40


def test_undated_post_baseline_grouping_warns_at_a_landmark(assessed_db):
    f = Filters(cohorts=("lm-code",))
    a = analyse(f, SurvivalSpec(by="symptomatic_response", landmark_months=3), assessed_db)
    assert any("not recorded" in w for w in a.warnings)


# ------------------------------------------------------------------ 4. RMST horizon
def test_rmst_refused_past_a_groups_last_follow_up(plain_db):
    """As survRM2 (tau must not exceed the smaller of the groups' largest times: female 965,
    male 1022 days), RMST to 1000 days is refused for the women and no difference is given;
    to 900 days it equals R. R::

        fs <- survfit(Surv(time, status) ~ sex, data=lung)
        tapply(lung$time, lung$sex, max)       # 1022 965
        summary(fs, rmean=900)$table[, c("rmean", "se(rmean)")]
        # sex=1 321.727017493068 21.6624545902498; sex=2 450.495148683305 31.0913426169551
    """
    spec = SurvivalSpec(by="sex", rmst_months=1000 / DAYS_PER_MONTH, rmst_in_days=1000)
    a = analyse(LUNG, spec, plain_db, mode=Mode.EXACT)
    by = {g.label: g for g in a.groups}
    assert by["Female"].rmst is None and "last follow-up" in by["Female"].message
    assert by["Male"].rmst is not None and a.rmst_differences == ()
    assert any("survRM2" in w and "1000 days" in w for w in a.warnings)
    spec = SurvivalSpec(by="sex", rmst_months=900 / DAYS_PER_MONTH, rmst_in_days=900)
    a = analyse(LUNG, spec, plain_db, mode=Mode.EXACT)
    by = {g.label: g for g in a.groups}
    np.testing.assert_allclose(
        [by["Male"].rmst.estimate, by["Male"].rmst.se, by["Female"].rmst.estimate,
         by["Female"].rmst.se],
        [321.727017493068, 21.6624545902498, 450.495148683305, 31.0913426169551],
        rtol=RTOL,
    )  # fmt: skip
    assert len(a.rmst_differences) == 1 and not any("survRM2" in w for w in a.warnings)


def test_cli_rmst_horizon(plain_db):
    obj = _cli(plain_db, "lung-real", "--by", "sex", "--time-unit", "days", "--rmst-horizon",
               "900")  # fmt: skip
    assert obj["rmst_horizon"] == 900
    male = next(g for g in obj["groups"] if g["label"] == "Male")
    assert male["rmst"]["estimate"] == pytest.approx(321.727017493068, rel=RTOL)
    obj = _cli(plain_db, "lung-real", "--by", "sex", "--rmst-horizon", "40")  # months
    female = next(g for g in obj["groups"] if g["label"] == "Female")
    assert female["rmst"] is None and any("survRM2" in w for w in obj["warnings"])


# ------------------------------------------------------------------ 5. early risk sets
def test_small_early_risk_set_and_quantile_ci_are_explained(default_db):
    """From diagnosis the first death of pgep-mibg-211 falls on 4 patients at risk and the 25th
    percentile's CI does not contain it: both are said."""
    f = Filters(cohorts=("pgep-mibg-211",))
    a = analyse(f, SurvivalSpec(origin=Origin.DIAGNOSIS), default_db)
    g = a.groups[0]
    first = int(np.flatnonzero(g.km.n_event > 0)[0])
    assert g.km.n_risk[first] < 10
    assert any(f"only {int(g.km.n_risk[first])} patients are at risk" in w for w in a.warnings)
    q25 = next(q for q in g.quantiles if q.p == 0.25)
    assert not q25.lower <= q25.estimate <= q25.upper
    assert any("does not contain its estimate" in w for w in a.warnings)
    index = analyse(f, SurvivalSpec(), default_db)
    assert not any("at risk at its first event" in w for w in index.warnings)


def test_at_risk_under_delayed_entry_is_entry_lt_t_le_exit(lung_db):
    """Number at risk at t under delayed entry: patients with entry < t <= exit. R's
    ``summary(fit, times=t)`` reports the risk set of the next event time instead, which also
    counts those entering between t and that event (the README says so). R::

        lung$entry <- ifelse(seq_len(nrow(lung)) %% 3 == 0, floor(lung$time * 0.3), 0)
        fe <- survfit(Surv(entry, time, status) ~ 1, data=lung)
        summary(fe, times=c(30, 100))$n.risk                        # 154 171
        sum(lung$entry < 100 & lung$time >= 100)                    # 169
    """
    spec = SurvivalSpec(origin=Origin.DIAGNOSIS, times_months=(30 / DAYS_PER_MONTH,
                        100 / DAYS_PER_MONTH), times_in_days=(30, 100))  # fmt: skip
    a = analyse(LUNG, spec, lung_db, mode=Mode.EXACT)
    assert [x.n_risk for x in a.groups[0].at] == [154, 169]  # R: 154, 171 (next event's set)


def test_attack_early_risk_warning_gives_no_small_count(tmp_path, r_dataset):
    """Protected mode, real data with a tiny early risk set: the warning says 'fewer than 11',
    never the number."""
    from core.data.db import close_all

    frames = lung_frames(r_dataset)
    p = frames.patients
    n = len(p)
    # everyone diagnosed 400 days before treatment except 4 (diagnosed 10 days before)
    off = np.full(n, 400)
    off[:4] = 10
    p["dx_to_index_days"] = pd.array(off, dtype="Int64")
    p["os_days"] = pd.array(r_dataset("lung")["time"], dtype="Int64")
    db = _write(tmp_path / "early.duckdb", frames, "lung-real")
    try:
        a = analyse(LUNG, SurvivalSpec(origin=Origin.DIAGNOSIS), db)
        exact = analyse(LUNG, SurvivalSpec(origin=Origin.DIAGNOSIS), db, mode=Mode.EXACT)
    finally:
        close_all()
    assert any("at its first event" in w for w in exact.warnings)
    (w,) = [w for w in a.warnings if "at its first event" in w]
    assert f"fewer than {T} patients" in w
    assert not [v for v in _counts_in(w) if _small(v)]


# ------------------------------------------------------------------ 6. groups = cohorts
def test_grouping_that_coincides_with_cohorts_warns(default_db):
    """Route across the synthetic IV cohorts and the published IA case series compares one
    cohort with the others (p = 0.006, HR 4.46 read as a finding): say so."""
    a = analyse(Filters(), SurvivalSpec(by="route"), default_db)
    assert any("coincide with cohorts" in w and "ia-hepatic-6" in w for w in a.warnings)
    assert any("provenance" in w for w in a.warnings)
    obj = to_json_dict(a, TimeUnit.MONTHS, None)
    assert any("coincide with cohorts" in w for w in obj["warnings"])
    one = analyse(Filters(cohorts=("pgep-mibg-211",)), SurvivalSpec(by="sex"), default_db)
    assert not any("coincide" in w or "provenance" in w for w in one.warnings)
    mixed = analyse(Filters(), SurvivalSpec(by="sex"), default_db)
    assert not any("coincide with cohorts" in w for w in mixed.warnings)
    assert any("mixes" in w for w in mixed.warnings)
