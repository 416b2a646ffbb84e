"""Tests for core/analyses/arms.py: the view against a reconstructed arm as two samples.

R reference (R 4.2.2, survival 3.5.3), on the combined rows written by :func:`combined_rows`
(pgep-mibg-211 imaging PFS from the first treatment, days / 30.4375, ``g = "view"``; then the
205 RADIANT-4 everolimus PFS rows of data/reconstructed/radiant4_pfs.csv, ``g = "arm"``),
saved with ``float_format="%.17g"`` as combined.csv::

    library(survival)
    d <- read.csv("combined.csv"); d$g <- relevel(factor(d$g), "arm")
    sd <- survdiff(Surv(time, status) ~ g, data = d)            # chisq, obs, exp
    fit <- coxph(Surv(time, status) ~ g, data = d, ties = "efron")
    summary(fit)$conf.int; summary(fit)$coefficients           # HR, CI, p
    sf <- survfit(Surv(time, status) ~ g, data = d)
    summary(sf, rmean = 24)$table[, c("rmean", "se(rmean)")]
    s <- summary(sf, times = c(6, 12, 24)); s$surv; s$std.err
"""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from core.analyses.arms import (
    ARM,
    VIEW,
    add_user_arm,
    all_arms,
    combined_rows,
    compare_arm,
    find_arm,
    remove_user_arm,
    user_arms,
)
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec, patient_arrays
from core.cohorts.generator import generate_pgep
from core.data.build import _write, insert_cohort
from core.data.db import close_all
from core.data.filters import Filters
from core.literature.arms import GUYOT_CITATION, LABEL, shipped_arms
from core.literature.registry import WarningCode
from core.stats.reconstruct import reconstruct
from core.stats.survival import counts_from_arrays, kaplan_meier
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin

PGEP = Filters(cohorts=("pgep-mibg-211",))
TOL = 1e-9

R = {
    "chisq": 16.922400074725868,
    "obs": (130.0, 109.0),  # view, arm
    "exp": (157.02387757915287, 81.97612242084719),
    "hr": 0.54017552071192765,
    "hr_ci": (0.40044797167700191, 0.72865793764528619),
    "hr_p": 5.5110540004854999e-05,
    "rmean": {"arm": (13.019484929856922, 0.64478107490820868),
              "view": (17.049034619473016, 0.66430143281269149)},
    "surv": {"arm": ((0.72992805389687643, 0.44869712945401269, 0.21524619636875081),
                     (0.033412030825402894, 0.039297791819460332, 0.055565414520214317)),
             "view": ((0.83887886307241155, 0.70184393971130377, 0.38273748579738448),
                      (0.030774831301594387, 0.038609527645445493, 0.041704003999793529))},
}  # fmt: skip


@pytest.fixture(scope="module")
def everolimus():
    return next(a for a in shipped_arms() if a.id == "radiant4-everolimus-pfs")


@pytest.fixture(scope="module")
def exact(default_db, everolimus):
    return compare_arm(
        PGEP, everolimus, horizon=24, times=(6, 12, 24), path=default_db, mode=Mode.EXACT
    )


def test_combined_rows_are_the_view_then_the_arm(default_db, everolimus):
    spec = SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, origin=Origin.INDEX)
    rows = patient_arrays(PGEP, spec, default_db)
    df = combined_rows(rows["t"].to_numpy() / DAYS_PER_MONTH, rows["ev"].to_numpy(), everolimus)
    assert len(df) == len(rows) + 205 and set(df["g"]) == {VIEW, ARM}
    assert (rows["en"] == 0).all()  # from the first treatment: no delayed entry


def test_logrank_and_cox_equal_r_on_the_combined_rows(exact):
    lr = exact.logrank
    assert lr.chi2 == pytest.approx(R["chisq"], rel=TOL) and lr.df == 1
    assert tuple(lr.observed) == R["obs"]
    assert lr.expected == pytest.approx(R["exp"], rel=TOL)
    h = exact.hr
    assert h.hr == pytest.approx(R["hr"], rel=TOL)
    assert (h.lower, h.upper) == pytest.approx(R["hr_ci"], rel=TOL)
    assert h.p == pytest.approx(R["hr_p"], rel=1e-6)


def test_rmst_and_survival_differences_equal_r(exact):
    (va, vs), (aa, as_) = R["rmean"]["view"], R["rmean"]["arm"]
    assert exact.rmst.estimate == pytest.approx(va - aa, rel=TOL)
    assert exact.rmst.se == pytest.approx(np.hypot(vs, as_), rel=TOL)
    (sv, ev), (sa, ea) = R["surv"]["view"], R["surv"]["arm"]
    for k, d in enumerate(exact.differences):
        assert d.view == pytest.approx(sv[k], rel=TOL) and d.arm == pytest.approx(sa[k], rel=TOL)
        assert d.difference == pytest.approx(sv[k] - sa[k], rel=TOL)
        half = 1.959963984540054 * np.hypot(ev[k], ea[k])
        assert (d.lower, d.upper) == pytest.approx((d.difference - half, d.difference + half))


def test_every_statistic_names_its_method(exact):
    lines = exact.test_lines()
    assert any("R survdiff" in x for x in lines) and any("R coxph" in x for x in lines)
    assert any("rmean" in x for x in lines) and any("Greenwood" in x for x in lines)
    data = exact.json()
    for key in ("logrank", "hazard_ratio", "rmst_difference"):
        assert data[key]["method"]
    assert all(d["method"] for d in data["survival_differences"])


def test_every_registry_warning_plus_not_randomised_and_reconstructed(exact):
    codes = {w.code for w in exact.warnings}
    assert {WarningCode.NOT_RANDOMISED, WarningCode.RECONSTRUCTED} <= codes
    # RADIANT-4: trial schedule vs routine imaging; randomisation vs first treatment
    assert {WarningCode.ASCERTAINMENT, WarningCode.ORIGIN_MISMATCH} <= codes


def test_exports_and_paragraph_name_the_arm_as_reconstructed_with_both_citations(exact):
    blob = exact.paragraph() + exact.caption() + json.dumps(exact.json())
    assert LABEL in blob and "Lancet 2016;387:968-77" in blob
    assert "Guyot" in blob and "kmdata" in blob
    data = exact.json()
    assert data["arm"]["label"] == LABEL and data["disclosure"]["mode"] == "exact"
    assert GUYOT_CITATION in data["arm"]["reconstruction"]


def test_arm_curve_and_risk_table_are_its_own(exact, everolimus):
    km = kaplan_meier(counts_from_arrays(everolimus.time, everolimus.event))
    assert exact.arm_curve["surv"].iloc[1:].to_numpy() == pytest.approx(km.surv)
    assert exact.arm_risk[0] == 205 and exact.risk_times == (0.0, 6.0, 12.0, 24.0)
    assert exact.arm_median == pytest.approx(11.3, abs=0.01)


def test_unknown_arm_is_refused_with_the_known_ids(default_db):
    with pytest.raises(ValueError, match="radiant4-everolimus-pfs"):
        find_arm("netter1-control", default_db)


# --------------------------------------------------------------------------------------------
# User-added arms
# --------------------------------------------------------------------------------------------

USER = {
    "study": "Example trial (Doe 2020)",
    "arm": "Control",
    "therapy_class": "placebo",
    "design": "rct",
    "endpoint": "pfs",
    "time_origin": "randomisation",
    "citation": "doi:10.1000/xyz123",
    "figure": "figure 2",
    "published_median": "4.6",
}


@pytest.fixture
def db_copy(default_db, tmp_path):
    path = tmp_path / "cohorts.duckdb"
    shutil.copy2(default_db, path)
    yield path
    close_all()


def _rec():
    t = np.array([0, 2, 2, 4, 4, 6, 8, 10, 12], float)
    s = np.array([1, 1, 0.8, 0.8, 0.6, 0.5, 0.4, 0.3, 0.3])
    return reconstruct(t, s, [0, 6, 12], [40, 18, 9])


def test_user_arm_round_trip_listed_and_removable(db_copy):
    assert user_arms(db_copy) == []
    arm, errors = add_user_arm(USER, _rec(), "years", db_copy)
    assert errors == [] and arm.user_added and arm.n == 40
    close_all()
    stored = user_arms(db_copy)
    assert [a.id for a in stored] == [arm.id]
    assert stored[0].time.max() == pytest.approx(12 * 12)  # years stored as months
    assert stored[0].citation == "DOI 10.1000/xyz123" and stored[0].published_median == 4.6
    assert [a.id for a in all_arms(db_copy)][-1] == arm.id
    r = compare_arm(PGEP, stored[0], path=db_copy, mode=Mode.EXACT)
    assert WarningCode.USER_ADDED in {w.code for w in r.warnings}
    assert remove_user_arm(arm.id, db_copy)
    close_all()
    assert user_arms(db_copy) == [] and not remove_user_arm("radiant4-everolimus-pfs", db_copy)


def test_invalid_user_arm_is_not_written(db_copy):
    arm, errors = add_user_arm({**USER, "citation": "Doe et al."}, _rec(), "months", db_copy)
    assert arm is None and any("PMID" in e for e in errors)
    arm, errors = add_user_arm({**USER, "endpoint": "orr"}, _rec(), "months", db_copy)
    assert arm is None and any("endpoint" in e for e in errors)
    assert user_arms(db_copy) == []


# --------------------------------------------------------------------------------------------
# Disclosure on the view's side: attacks on an imported cohort (built by code)
# --------------------------------------------------------------------------------------------

REAL = Filters(cohorts=("real-60",))
N, DEATHS = 60, 6


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    frames = generate_pgep(n=N, seed=5)
    p = frames.patients
    p["os_event"] = np.array([1] * DEATHS + [0] * (N - DEATHS))
    path = tmp_path_factory.mktemp("arms") / "c.duckdb"
    meta = {"cohort_id": "real-60", "title": "real", "provenance": "imported",
            "description": "", "citation": ""}  # fmt: skip
    tiny = generate_pgep(n=8, seed=3)
    tmeta = {**meta, "cohort_id": "real-8"}

    def fill(con):
        insert_cohort(con, meta, frames)
        insert_cohort(con, tmeta, tiny)

    _write(path, fill)
    yield path
    close_all()


def _os_arm():
    return next(a for a in shipped_arms() if a.id == "radiant4-everolimus-os")


SMALL = re.compile(r"(?<![\d.])(10|[1-9])(?![\d.%])")


def test_attack_logrank_observed_gives_back_the_deaths(real_db):
    """O for the view is its 6 deaths: no log-rank or hazard ratio in protected mode."""
    exact = compare_arm(REAL, _os_arm(), path=real_db, mode=Mode.EXACT)
    assert exact.logrank.observed[0] == DEATHS  # the attack target exists
    r = compare_arm(REAL, _os_arm(), path=real_db)
    assert r.disclosure.active and r.logrank is None and r.hr is None and r.withheld
    assert r.view_events == "<11"
    data = r.json()
    assert data["logrank"] is None and data["hazard_ratio"] is None
    assert data["view"]["events"] == "<11" and data["disclosure"]["mode"] == "protected"
    assert "observed/expected" not in r.paragraph()


def test_attack_view_risk_table_and_curve_follow_the_survival_page(real_db):
    r = compare_arm(REAL, _os_arm(), times=(12, 48, 120), path=real_db)
    assert all(v == "withheld" or not SMALL.fullmatch(v) for v in r.view_risk)
    # curve: whole months only, never where fewer than 11 are at risk
    assert np.allclose(r.view_curve["time"], np.round(r.view_curve["time"]))
    beyond = [d for d in r.differences if d.time == 120]
    assert beyond and beyond[0].difference is None and beyond[0].view is None


def test_attack_tiny_selection_is_refused(real_db):
    r = compare_arm(Filters(cohorts=("real-8",)), _os_arm(), path=real_db)
    assert r.refusal and r.logrank is None and r.view_curve is None
    assert set(r.json()) >= {"refusal", "disclosure"} and "view" not in r.json()


def test_protected_statistics_equal_exact_where_shown(default_db, everolimus, exact):
    p = compare_arm(PGEP, everolimus, horizon=24, times=(6, 12, 24), path=default_db)
    assert not p.disclosure.active  # synthetic: exempt
    assert p.logrank.chi2 == exact.logrank.chi2 and p.hr == exact.hr


def test_csv_export_opens_with_the_selection_the_arm_and_its_citations(exact):
    lines = exact.provenance_lines()
    assert lines[0] == "pgep-mibg-211 · n=143" and LABEL in lines[2]
    assert "Lancet 2016;387:968-77" in lines[2] and "Guyot" in lines[2]
    table = exact.table()
    assert list(table["statistic"])[:2] == ["log-rank chi-square", "hazard ratio, view vs arm"]
    assert table["method"].str.len().min() > 10
    assert json.dumps(exact.json(), allow_nan=False)


def test_a_diagnosis_clock_uses_delayed_entry_and_says_so(db_copy):
    fields = {**USER, "time_origin": "diagnosis"}
    arm, errors = add_user_arm(fields, _rec(), "years", db_copy)
    assert errors == []
    r = compare_arm(PGEP, arm, path=db_copy, mode=Mode.EXACT)
    assert r.origin is Origin.DIAGNOSIS and r.delayed_entry and r.logrank is not None
    assert any("delayed entry" in x for x in r.test_lines())


def test_a_database_built_before_the_arm_tables_reads_none_and_creates_them(db_copy):
    import duckdb

    from core.data import arms_sql

    con = duckdb.connect(str(db_copy))
    con.execute("DROP TABLE user_arms")
    con.execute("DROP TABLE user_arm_rows")
    con.close()
    close_all()
    assert not arms_sql.user_arms_exist(db_copy) and user_arms(db_copy) == []
    assert not remove_user_arm("user-x", db_copy)
    arm, errors = add_user_arm(USER, _rec(), "months", db_copy)
    close_all()
    assert errors == [] and [a.id for a in user_arms(db_copy)] == [arm.id]
    again, _ = add_user_arm(USER, _rec(), "months", db_copy)
    assert again.id == f"{arm.id}-2"


def test_attack_survival_and_rmst_give_back_the_deaths(real_db):
    """S(t) over 60 patients with 6 deaths by t is (60 - 6) / 60 without censoring: it gives
    the deaths back, and so does the RMST (the arm's own RMST is public)."""
    exact = compare_arm(REAL, _os_arm(), times=(24,), path=real_db, mode=Mode.EXACT)
    assert exact.differences[0].view < 1 and exact.rmst is not None  # the targets exist
    r = compare_arm(REAL, _os_arm(), times=(24,), path=real_db)
    d = r.differences[0]
    assert d.view is None and d.difference is None and d.withheld
    assert r.rmst is None and r.json()["rmst_difference"] is None
    assert "RMST difference at" not in " ".join(r.test_lines())
