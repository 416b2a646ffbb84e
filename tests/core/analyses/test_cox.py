"""core.analyses.cox: the DuckDB-aggregated Cox fit equals a patient-level fit built independently
from the patient rows (pandas + core.stats.cox.fit_cox), for origins, delayed entry, landmark,
strata, interactions and both ties; missing values, references, refusals; the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.analyses.cox import (
    COVARIATES,
    CoxSpec,
    CoxSpecError,
    FitPath,
    analyse,
    fit_summary_text,
    forest_frame,
    level_frame,
    methods_text,
    model_frame,
    model_text,
    not_analysed_text,
    parse_model,
    residual_frame,
    spec_from_text,
    to_json_dict,
    zph_frame,
    zph_terms,
)
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec
from core.analyses.survival import analyse as survival_analyse
from core.cli import main
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.stats.cox import build_design, cox_zph, fit_cox
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin, Ties

PGEP = Filters(cohorts=("pgep-mibg-211",))
POOLED = Filters(cohorts=("pgep-mibg-211", "stage4-unselected-50"))
TOL = 1e-10

# ------------------------------------------------------------------ independent reference
_ENDPOINT = {
    Endpoint.OS: ("os_days", "os_event"),
    Endpoint.PFS_IMAGING: ("pfs_imaging_days", "pfs_imaging_event"),
    Endpoint.PFS_SYMPTOM: ("pfs_symptom_days", "pfs_symptom_event"),
    Endpoint.PFS_BIOCHEM: ("pfs_biochem_days", "pfs_biochem_event"),
}
_OFFSET = {Origin.INDEX: None, Origin.DIAGNOSIS: "dx_to_index_days", Origin.METASTATIC: "met_to_index_days"}  # fmt: skip
_SEX = {"female": "Female", "male": "Male", "unknown": "Unknown"}
_IMG = {"CR": "CR/PR/SD", "PR": "CR/PR/SD", "SD": "CR/PR/SD", "PD": "PD"}  # NE, NULL: missing


def _label(key: str, v):
    """Level labels written out here, not taken from core.analyses.cox."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if key == "sex":
        return _SEX[v]
    if key in ("grade", "cohort_id"):
        return {"GX": "GX (not assessed)"}.get(v, v)
    if key.startswith(("prior_", "met_")):
        return "Yes" if v else "No"
    if key == "imaging_response":
        return _IMG.get(v)
    if key == "treatments":
        return None if v < 1 else ("Multiple" if v > 1 else "Single")
    raise KeyError(key)


_COLUMN = {"treatments": "n_treatments"}
_YES_NO = ["No", "Yes"]
_ORDER = {
    "sex": ["Female", "Male", "Unknown"],
    "grade": ["G1", "G2", "G3", "GX (not assessed)"],
    "imaging_response": ["CR/PR/SD", "PD"],
    "treatments": ["Single", "Multiple"],
    "prior_ssa": _YES_NO,
    "met_liver": _YES_NO,
}


def reference_fit(db, filters: Filters, spec: CoxSpec):
    """Patient rows -> times, labels, complete cases -> build_design -> fit_cox."""
    days_col, ev_col = _ENDPOINT[spec.endpoint]
    off_col = _OFFSET[spec.origin]
    fields = [*spec.covariates, *([spec.strata] if spec.strata else [])]
    cols = {_COLUMN.get(k, k) for k in fields} | {days_col, ev_col}
    cols |= {off_col} if off_col else set()
    cols |= {"imaging_response_days"} if "imaging_response" in fields else set()
    df = patients_frame(filters, sorted(cols), db)
    d = df[df[days_col].notna() & df[ev_col].notna()].copy()
    d["off"] = 0.0 if off_col is None else d[off_col].astype(float)
    d = d[d["off"].notna() & (d["off"] >= 0)]
    lt = off_col is not None and spec.left_truncation
    if lt:
        d = d[d[days_col] > 0]
    L = spec.landmark_days
    if L is not None:
        d = d[d[days_col] > L]
    d["exit"] = d[days_col].astype(float) + d["off"]
    d["entry"] = d["off"] + (L or 0.0) if lt else 0.0
    if L is not None and off_col is None:
        d["exit"] = d[days_col].astype(float) - L
    for k in fields:
        if COVARIATES[k].continuous:
            d[k] = d[k].astype(float)
        else:
            d[k] = [_label(k, v) for v in d[_COLUMN.get(k, k)].astype(object)]
    if L is not None and "imaging_response" in fields:  # the status known at L (issue 19)
        late = ~(d["imaging_response_days"].astype(float) <= L)
        d.loc[late, "imaging_response"] = None
    d = d.dropna(subset=fields)
    cont = {k for k in spec.covariates if COVARIATES[k].continuous}
    refs = dict(spec.references)
    for k in spec.covariates:
        if k not in cont and k not in refs:  # most frequent; a tie goes to the first in order
            counts = d[k].value_counts()
            refs[k] = min(counts.index, key=lambda lv, k=k: (-counts[lv], _ORDER[k].index(lv)))
    design = build_design(
        d, spec.covariates, refs, spec.interaction, cont,
        scale={k: spec.step(k) for k in cont}, units={k: COVARIATES[k].unit for k in cont},
    )  # fmt: skip
    fit = fit_cox(
        d["exit"], d[ev_col].astype(int), design.X, spec.ties,
        strata=d[spec.strata] if spec.strata else None,
        entry=d["entry"] if lt else None, groups=design.groups,
    )  # fmt: skip
    return fit, refs, len(d)


SPECS = {
    "efron": (PGEP, CoxSpec(("sex", "grade", "prior_ssa"))),
    "breslow": (PGEP, CoxSpec(("sex", "grade", "prior_ssa"), ties=Ties.BRESLOW)),
    "diagnosis+entry": (PGEP, CoxSpec(("sex", "grade", "met_liver"), origin=Origin.DIAGNOSIS)),
    "metastatic-no-entry": (
        PGEP,
        CoxSpec(("sex", "prior_ssa"), origin=Origin.METASTATIC, left_truncation=False),
    ),
    "strata-pooled": (POOLED, CoxSpec(("sex", "grade"), strata="cohort_id")),
    "interaction+reference": (
        PGEP,
        CoxSpec(
            ("sex", "grade", "prior_ssa"),
            references=(("grade", "G2"),),
            interaction=("sex", "prior_ssa"),
        ),
    ),
    "post-baseline+landmark": (
        PGEP,
        CoxSpec(("imaging_response", "sex"), endpoint=Endpoint.PFS_SYMPTOM, landmark_months=4),
    ),
    "diagnosis+landmark+strata": (
        POOLED,
        CoxSpec(
            ("treatments", "sex"),
            origin=Origin.DIAGNOSIS,
            landmark_months=6,
            strata="prior_ssa",
            ties=Ties.BRESLOW,
        ),
    ),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_aggregated_fit_equals_independent_patient_level_fit(default_db, name):
    """The DuckDB GROUP BY path equals fit_cox on patient rows built in pandas.

    Tolerance: coefficients absolute 1e-10; SE, log-likelihoods and test statistics relative
    1e-10; concordance pair counts exact; cox.zph p absolute 1e-10; n and events exact.
    """
    filters, spec = SPECS[name]
    a = analyse(filters, spec, default_db)
    assert a.error is None and a.fit_path is FitPath.AGGREGATED
    ref, refs, n = reference_fit(default_db, filters, spec)
    assert dict(a.references) == refs
    assert (a.n, a.events) == (n, ref.events) == (ref.n, a.fit.events)
    assert a.rows_fitted <= a.n
    if name in ("efron", "breslow", "strata-pooled", "interaction+reference"):
        assert a.rows_fitted < a.n  # rows really merge (OS days are shared)
    assert a.fit.converged and not any("infinite" in w for w in a.warnings)
    fa = a.fit
    assert [t.term for t in fa.terms] == [t.term for t in ref.terms]
    np.testing.assert_allclose(fa.coef, ref.coef, rtol=0, atol=TOL)
    np.testing.assert_allclose([t.se for t in fa.terms], [t.se for t in ref.terms], rtol=TOL)
    np.testing.assert_allclose(fa.loglik, ref.loglik, rtol=TOL)
    for x, y in ((fa.lr_test, ref.lr_test), (fa.score_test, ref.score_test), (fa.wald_test, ref.wald_test)):  # fmt: skip
        assert x.chi2 == pytest.approx(y.chi2, rel=TOL) and x.df == y.df
    ca, cr = fa.concordance, ref.concordance
    assert (ca.concordant, ca.discordant, ca.tied_x, ca.tied_y, ca.tied_xy) == (
        cr.concordant, cr.discordant, cr.tied_x, cr.tied_y, cr.tied_xy,
    )  # fmt: skip
    zr = cox_zph(ref)
    np.testing.assert_allclose(
        [t.p for t in a.zph.terms] + [a.zph.global_test.p],
        [t.p for t in zr.terms] + [zr.global_test.p],
        rtol=0,
        atol=TOL,
    )
    assert int(a.zph.residuals["n_events"].sum()) == len(zr.residuals)


@pytest.mark.parametrize("name", list(SPECS))
def test_both_paths_of_cox_data_agree(default_db, name):
    filters, spec = SPECS[name]
    agg = analyse(filters, spec, default_db, fit_path=FitPath.AGGREGATED)
    pat = analyse(filters, spec, default_db, fit_path=FitPath.PATIENT)
    assert pat.fit_path is FitPath.PATIENT and pat.rows_fitted == pat.n
    assert (agg.n, agg.events, agg.n_missing_covariates) == (pat.n, pat.events, pat.n_missing_covariates)  # fmt: skip
    np.testing.assert_allclose(agg.fit.coef, pat.fit.coef, rtol=0, atol=TOL)


@pytest.mark.parametrize(
    "spec",
    [
        CoxSpec(("sex", "grade", "prior_ssa")),
        CoxSpec(("sex", "grade"), strata="prior_ssa", origin=Origin.DIAGNOSIS),
        CoxSpec(("grade", "prior_ssa"), ties=Ties.BRESLOW, landmark_months=6),
    ],
    ids=["efron", "strata+diagnosis", "breslow+landmark"],
)
def test_aggregated_fit_with_many_tied_events(synth_db, spec):
    """3000 synthetic patients: many tied event days per covariate pattern (Efron's
    correction at work). Same tolerances as above."""
    filters = Filters(cohorts=("synth-3000",))
    a = analyse(filters, spec, synth_db)
    assert a.fit_path is FitPath.AGGREGATED
    if spec.origin is Origin.INDEX:  # (from diagnosis every patient has their own entry time)
        assert a.zph.residuals["n_events"].max() > 1
    ref, refs, n = reference_fit(synth_db, filters, spec)
    assert (a.n, a.events, dict(a.references)) == (n, ref.events, refs)
    np.testing.assert_allclose(a.fit.coef, ref.coef, rtol=0, atol=TOL)
    np.testing.assert_allclose([t.se for t in a.fit.terms], [t.se for t in ref.terms], rtol=TOL)
    assert a.fit.concordance.concordant == ref.concordance.concordant
    assert a.fit.concordance.tied_x == ref.concordance.tied_x


def test_continuous_covariates_use_the_patient_path(default_db):
    spec = spec_from_text("age=10,first_activity_mbq,sex")
    a = analyse(PGEP, spec, default_db)
    assert a.fit_path is FitPath.PATIENT
    ref, _, _ = reference_fit(default_db, PGEP, spec)
    assert [t.term for t in a.fit.terms] == [
        "age (per 10 years)", "first_activity_mbq (per 1000 MBq)", "sex=Male",
    ]  # fmt: skip
    np.testing.assert_allclose(a.fit.coef, ref.coef, rtol=0, atol=TOL)
    # per 10 years is 10 x the per-year coefficient
    per_year = analyse(PGEP, spec_from_text("age,first_activity_mbq,sex"), default_db)
    assert a.fit.coef[0] == pytest.approx(10 * per_year.fit.coef[0], rel=1e-9)


@pytest.mark.parametrize(
    "spec",
    [
        SurvivalSpec(),
        SurvivalSpec(origin=Origin.DIAGNOSIS),
        SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, origin=Origin.METASTATIC, landmark_months=4),
    ],
)
def test_counts_match_the_survival_fast_path(default_db, spec):
    """Same selection, endpoint, origin and landmark: same patients and exclusions."""
    filters = Filters(cohorts=("pgep-mibg-211", "nguyen-2004"))
    s = survival_analyse(filters, spec, default_db)
    cspec = CoxSpec(
        ("sex",), endpoint=spec.endpoint, origin=spec.origin, landmark_months=spec.landmark_months
    )
    a = analyse(filters, cspec, default_db)
    assert a.n_selected == s.n_selected
    assert a.n_no_time == s.n_missing_time
    assert (a.n_landmark_excluded, a.n_landmark_excluded_events) == (
        s.n_landmark_excluded, s.n_landmark_excluded_events,
    )  # fmt: skip
    assert (a.n, a.events) == (s.n_analysed, sum(g.events for g in s.groups))


def test_missing_and_not_assessed_values_are_dropped_and_counted(default_db):
    df = patients_frame(PGEP, ["imaging_response", "prior_ssa"], default_db)
    missing = int((~df["imaging_response"].isin(["CR", "PR", "SD", "PD"])).sum())
    assert missing > 0
    a = analyse(PGEP, CoxSpec(("imaging_response", "prior_ssa")), default_db)
    assert a.n_missing_covariates == missing
    assert a.n == len(df) - missing
    label = COVARIATES["imaging_response"].label
    assert dict(a.dropped_by) == {label: missing}
    levels = {lv.level: lv.n for lv in a.levels if lv.covariate == "imaging_response"}
    assert levels == {
        "CR/PR/SD": int(df["imaging_response"].isin(["CR", "PR", "SD"]).sum()),
        "PD": int((df["imaging_response"] == "PD").sum()),
    }
    assert any("immortal-time" in w for w in a.warnings)
    landmarked = analyse(
        PGEP, CoxSpec(("imaging_response", "prior_ssa"), landmark_months=3), default_db
    )
    assert not any("immortal-time" in w for w in landmarked.warnings)


def test_reference_levels_default_to_most_frequent_and_accept_label_or_code(default_db):
    df = patients_frame(PGEP, ["grade"], default_db)
    most = df["grade"].value_counts().index[0]
    a = analyse(PGEP, CoxSpec(("grade",)), default_db)
    assert a.references["grade"] == most
    assert f"grade={most}" not in [t.term for t in a.fit.terms]
    by_code = analyse(PGEP, CoxSpec(("sex",), references=(("sex", "male"),)), default_db)
    by_label = analyse(PGEP, CoxSpec(("sex",), references=(("sex", "Male"),)), default_db)
    assert [t.term for t in by_code.fit.terms] == ["sex=Female"]
    assert by_code.fit.coef == pytest.approx(by_label.fit.coef, abs=0)
    yes = analyse(PGEP, CoxSpec(("prior_ssa",), references=(("prior_ssa", "true"),)), default_db)
    assert [t.term for t in yes.fit.terms] == ["prior_ssa=No"]
    bad = analyse(PGEP, CoxSpec(("sex",), references=(("sex", "unknown"),)), default_db)
    assert bad.fit is not None and list(bad.reference_fallbacks) == ["sex"]
    assert "'unknown' of Sex is not among the levels observed" in bad.reference_fallbacks["sex"]
    assert bad.references["sex"] == analyse(PGEP, CoxSpec(("sex",)), default_db).references["sex"]


@pytest.mark.parametrize(
    ("filters", "text", "message"),
    [
        (PGEP, "sex,route", "Route has only one level (Intravenous) among the 211 patients"),
        (Filters(cohorts=("ia-hepatic-6",)), "sex", "Too few events: 3 events among the 6"),
        (Filters(cohorts=("nguyen-2004",)), "prior_ssa", "No patient in this selection"),
    ],
)
def test_models_that_cannot_be_fitted_say_why(default_db, filters, text, message):
    a = analyse(filters, spec_from_text(text), default_db)
    assert a.fit is None and a.zph is None
    assert message in a.error


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory):
    """A synthetic cohort of 3000 patients (synth-3000): many events share a day."""
    from core.data.build import build_synthetic
    from core.data.db import close_all

    yield build_synthetic(3000, tmp_path_factory.mktemp("synth") / "db.duckdb", seed=3)
    close_all()


@pytest.fixture(scope="module")
def no_death_db(tmp_path_factory):
    """A synthetic cohort (synth-120) in which nobody died."""
    import duckdb

    from core.data.build import build_synthetic
    from core.data.db import close_all

    path = build_synthetic(120, tmp_path_factory.mktemp("nodeath") / "db.duckdb", seed=3)
    con = duckdb.connect(str(path))
    con.execute("UPDATE patients SET os_event = 0")
    con.close()
    yield path
    close_all()


def test_no_events_is_refused(no_death_db):
    a = analyse(Filters(cohorts=("synth-120",)), CoxSpec(("sex",)), no_death_db)
    assert a.fit is None and (a.n, a.events) == (120, 0)
    assert a.error.startswith("No events among the 120 patients analysed")


def test_separation_is_reported_and_left_out_of_the_forest_plot(default_db):
    df = patients_frame(PGEP, ["primary_site", "os_event"], default_db)
    ev = df.groupby("primary_site")["os_event"].sum()
    zero = ev[ev == 0].index.tolist()
    assert zero, "needs a primary site without deaths"
    a = analyse(PGEP, CoxSpec(("primary_site",)), default_db)
    rows, left_out = forest_frame(a)
    labels = {f"Primary site: {COVARIATES['primary_site'].level_of(s)}" for s in zero}
    assert labels <= set(left_out)
    assert not any(r.startswith(tuple(labels)) for r in rows["label"])
    assert any("may be infinite" in w for w in a.warnings)


def test_forest_frame_has_reference_rows_with_counts(default_db):
    a = analyse(PGEP, spec_from_text("sex,grade=G2,age=10"), default_db)
    rows, left_out = forest_frame(a)
    assert left_out == []
    ref = rows[rows["kind"] == "reference"]
    assert list(ref["value"]) == [1.0, 1.0]
    assert ref["label"].str.contains(r"^Sex: Female \(reference; n=\d+, \d+ events\)$").any()
    assert ref["label"].str.startswith("Grade: G2 (reference").any()
    est = rows[rows["kind"] == "estimate"]
    assert len(est) == len(a.fit.terms)
    # a continuous term shows its n: the patients in the model, all with a known age
    assert f"Age (per 10 years) (n={a.n}, {a.events} events)" in list(est["label"])
    t = a.fit.term("sex=Male")
    row = est[est["label"].str.startswith("Sex: Male")].iloc[0]
    assert (row["value"], row["lower"], row["upper"]) == (t.hr, t.hr_lower, t.hr_upper)
    levels = {(lv.covariate, lv.level): lv for lv in a.levels}
    assert f"n={levels[('sex', 'Male')].n}," in row["label"]
    table = model_frame(a)
    assert list(table.columns) == ["Term", "Coefficient", "SE", "HR (95% CI)", "p (Wald)", "n", "Events"]  # fmt: skip


def test_residual_frame_expands_aggregated_rows_to_one_per_event(synth_db, monkeypatch):
    a = analyse(Filters(cohorts=("synth-3000",)), CoxSpec(("sex", "grade")), synth_db)
    assert a.zph.residuals["n_events"].max() > 1  # aggregated rows carry several events
    frame, level, note = residual_frame(a, "sex")
    assert note is None and len(frame) == a.events
    assert level == a.fit.term("sex=Male").coef
    res = a.zph.residuals.dropna(subset=["sex"])
    expected = np.repeat(res["sex"].to_numpy(), res["n_events"].to_numpy())
    np.testing.assert_array_equal(frame["residual"].to_numpy(), expected)
    frame, level, _ = residual_frame(a, "grade")  # three columns: reference line at 1
    assert level == 1.0 and len(frame) == a.events
    monkeypatch.setattr("core.analyses.cox.MAX_RESIDUAL_POINTS", 50)
    frame, _, note = residual_frame(a, "sex")
    assert len(frame) == 50 and f"50 of the {a.events} events" in note
    assert set(frame["residual"]) <= set(expected)


def test_model_text_round_trip_and_errors():
    text = "sex=Male,grade,age=10,sex*grade"
    spec = spec_from_text(text, strata="prior_ssa")
    assert spec.interaction == ("sex", "grade") and spec.step("age") == 10
    assert model_text(spec) == text
    assert parse_model("grade,sex*prior_ssa") == (
        ("grade", "sex", "prior_ssa"), {}, {}, ("sex", "prior_ssa"),
    )  # fmt: skip
    for bad, message in [
        ("sex,nope", "unknown covariate 'nope'"),
        ("age=7", "age can be entered per 1, 10 years"),
        ("", "choose at least one covariate"),
        ("sex*sex", "two different covariates"),
        ("sex,grade=G2,sex*grade,sex*prior_ssa", "only one interaction"),
    ]:
        with pytest.raises(CoxSpecError, match=message):
            spec_from_text(bad)
    with pytest.raises(CoxSpecError, match="both a covariate and the stratification field"):
        spec_from_text("sex,grade", strata="sex")
    with pytest.raises(CoxSpecError, match="continuous"):
        spec_from_text("sex", strata="age")


def test_methods_text_names_ties_strata_and_entry():
    spec = spec_from_text("sex", origin=Origin.DIAGNOSIS, strata="grade", landmark_months=3)
    text = methods_text(spec)
    assert text.startswith("Cox proportional hazards, Efron ties, Wald CI")
    for part in ("stratified by grade", "delayed entry at first treatment", "landmark 3 months"):
        assert part in text
    assert "Breslow ties" in methods_text(spec_from_text("sex", ties=Ties.BRESLOW))


def test_landmark_excludes_early_endpoints(default_db):
    df = patients_frame(PGEP, ["pfs_imaging_days", "pfs_imaging_event"], default_db)
    df = df.dropna()
    L = 3 * DAYS_PER_MONTH
    early = df[df["pfs_imaging_days"] <= L]
    assert len(early) > 0
    a = analyse(PGEP, CoxSpec(("sex",), endpoint=Endpoint.PFS_IMAGING, landmark_months=3), default_db)  # fmt: skip
    assert a.n_landmark_excluded == len(early)
    assert a.n_landmark_excluded_events == int(early["pfs_imaging_event"].sum())


def test_filter_values_are_bound_parameters(default_db):
    from core.analyses.cox import _columns
    from core.data.cox_sql import cox_sql

    hostile = Filters(cohorts=("x' OR 1=1 --",), grade=("G1",))
    sql, params = cox_sql(hostile, _columns(CoxSpec(("sex",))), aggregate=True)
    assert "OR 1=1" not in sql and "x' OR 1=1 --" in params
    a = analyse(hostile, CoxSpec(("sex",)), default_db)
    assert a.n_selected == 0 and a.fit is None


# ------------------------------------------------------------------ CLI
def test_cli_json_shape(default_db):
    out = subprocess.run(
        [
            sys.executable, "-m", "core", "cox", "--cohort", "pgep-mibg-211",
            "--db", str(default_db), "--covariates", "sex,grade,prior_ssa",
            "--reference", "grade=G2", "--json",
        ],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    obj = json.loads(out.stdout)
    assert {"n", "events", "terms", "lr_test", "concordance", "ph_test"} <= set(obj)
    assert obj["n"] == 211 and isinstance(obj["events"], int)
    assert [t["term"] for t in obj["terms"]] == [
        "sex=Male", "grade=G1", "grade=G3", "grade=GX (not assessed)", "prior_ssa=No",
    ]  # fmt: skip
    for t in obj["terms"]:
        assert {"term", "coef", "se", "hr", "hr_ci", "p"} <= set(t)
        assert len(t["hr_ci"]) == 2 and t["hr_ci"][0] < t["hr"] < t["hr_ci"][1]
        assert t["hr"] == pytest.approx(np.exp(t["coef"]), rel=1e-12)
    assert set(obj["lr_test"]) == {"chi2", "df", "p"} and obj["lr_test"]["df"] == 5
    assert 0 < obj["concordance"] < 1
    assert [z["term"] for z in obj["ph_test"]] == ["sex", "grade", "prior_ssa"]
    assert all(set(z) >= {"term", "chi2", "p"} for z in obj["ph_test"])
    expected = to_json_dict(
        analyse(PGEP, spec_from_text("sex,grade=G2,prior_ssa"), default_db), "pgep-mibg-211"
    )
    assert obj["terms"][0]["coef"] == expected["terms"][0]["coef"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cohort", "pgep-mibg-211", "--covariates", "sex,nope"], "unknown covariate 'nope'"),
        (["--cohort", "pgep-mibg-211", "--covariates", "sex,route"], "Route has only one level"),
        (["--cohort", "ia-hepatic-6", "--covariates", "sex"], "Too few events"),
        (
            ["--cohort", "pgep-mibg-211", "--covariates", "sex", "--reference", "sex=nobody"],
            "'nobody' of Sex is not among the levels",
        ),
        (["--cohort", "pgep-mibg-211", "--covariates", "sex", "--reference", "sex"], "FIELD=LEVEL"),
    ],
)
def test_cli_exit_2_with_a_clear_message(default_db, capsys, args, message):
    rc = main(["cox", "--db", str(default_db), *args, "--json"])
    captured = capsys.readouterr()
    assert rc == 2
    assert message in captured.err
    assert captured.out == ""


def test_cli_zero_events_exit_2(no_death_db, capsys):
    args = ["--db", str(no_death_db), "--cohort", "synth-120", "--covariates", "sex"]
    assert main(["cox", *args, "--json"]) == 2
    assert "No events among the 120 patients" in capsys.readouterr().err


def test_cli_text_output(default_db, capsys):
    rc = main(["cox", "--db", str(default_db), "--cohort", "pgep-mibg-211", "--covariates", "sex,age=10"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    assert "Age (per 10 years)" in out and "likelihood-ratio chi2" in out and "Global" in out


# ------------------------------------------------------------------ disclosure (imported data)
T = 11
REAL = Filters(cohorts=("real-cox",))
COUNT_KEYS = {"n", "events", "n_selected", "n_no_time", "n_missing_covariates", "n_landmark_excluded"}  # fmt: skip


def build_imported_cox(path):
    """An imported (real) cohort of 200 patients built by code, with small cells planted.

    Sex 8 female / 192 male; grade G1 124, G2 62, G3 9, GX 5; prior SSA 100/100; prior
    radiation 30, of whom 3 without prior SSA (a small cell of the SSA x radiation table);
    prior chemotherapy unknown for 3 patients; prior surgery unknown for 15 patients of whom 3
    died; liver metastases unknown for 30 patients (10 of them G2); 12 lung primaries with 3
    deaths. Deaths: 3 in every 5 patients.
    """
    from pathlib import Path

    from core.cohorts.generator import generate_pgep
    from core.data.build import _write, insert_cohort

    n = 200
    frames = generate_pgep(n=n, seed=5)
    p = frames.patients
    i = np.arange(n)
    p["sex"] = np.where(i < 8, "female", "male")
    grade = np.where(i % 3 == 0, "G2", "G1").astype(object)
    grade[100:109] = "G3"
    grade[110:115] = "GX"
    p["grade"] = grade
    p["prior_ssa"] = i % 2 == 0
    event = (i % 5 < 3).astype(int)
    event[180:192] = [1, 1, 1] + [0] * 9
    p["os_event"] = event
    radiation = np.zeros(n, dtype=bool)
    radiation[list(range(0, 54, 2)) + [1, 3, 5]] = True
    p["prior_radiation"] = radiation
    chemo = (i % 4 == 0).astype(object)
    chemo[[150, 151, 152]] = None
    p["prior_chemo"] = chemo
    surgery = (i % 3 == 1).astype(object)
    alive = [k for k in range(20, 120) if event[k] == 0][:12]
    dead = [k for k in range(20, 120) if event[k] == 1][:3]
    surgery[alive + dead] = None
    p["prior_surgery"] = surgery
    liver = p["met_liver"].to_numpy().astype(object)
    liver[120:150] = None
    p["met_liver"] = liver
    site = p["primary_site"].to_numpy().astype(object)
    site[site == "lung"] = "small_bowel"
    site[180:192] = "lung"
    p["primary_site"] = site
    info = {"cohort_id": "real-cox", "title": "Imported", "provenance": "imported"}
    info |= {"description": "", "citation": ""}
    _write(Path(path), lambda con: insert_cohort(con, info, frames))
    return Path(path)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    from core.data.db import close_all

    yield build_imported_cox(tmp_path_factory.mktemp("realcox") / "db.duckdb")
    close_all()


def _count_ok(v) -> bool:
    return v in ("<11", "suppressed", None) or int(v) == 0 or int(v) >= T


def _small_counts_in_json(obj) -> list:
    """Every count member of a JSON object (nested) whose value is 1 .. 10."""
    bad = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in COUNT_KEYS and not isinstance(v, dict | list) and not _count_ok(v):
                bad.append((k, v))
            bad += _small_counts_in_json(v)
    elif isinstance(obj, list):
        for v in obj:
            bad += _small_counts_in_json(v)
    return bad


def _digits_below_threshold(text: str) -> list[str]:
    """Whole numbers 1 .. 10 in a sentence (decimals such as 0.52 are not counts)."""
    return re.findall(r"(?<![\d.,])(?:[1-9]|10)(?![\d.,])", text)


def test_protected_mode_draws_no_residual_point(real_db):
    """Attack: the residual chart sent one point per death with its exact day, and the sign of
    a binary term's scaled residual follows the dying patient's level (e.g. sex)."""
    spec = spec_from_text("sex,prior_ssa")
    exact = analyse(REAL, spec, real_db, mode=Mode.EXACT)
    frame, _, _ = residual_frame(exact, "sex")
    assert len(frame) == exact.events  # the owner sees every event
    a = analyse(REAL, spec, real_db)
    assert a.disclosure.active and not a.residual_points
    assert zph_terms(a) == [] and len(a.zph.residuals) == 0
    with pytest.raises(ValueError, match="disclosure control"):
        residual_frame(a, "prior_ssa")
    assert a.fit._risk is None  # no patient-level risk sets travel with the result


def test_hidden_level_cannot_be_derived_from_the_total(real_db):
    """Attack: the model's n minus the shown levels of a covariate gave the hidden level (8
    women = 200 - 192)."""
    a = analyse(REAL, spec_from_text("sex,grade,prior_ssa"), real_db)
    levels = level_frame(a)
    for col, total in (("n", a.n), ("Events", a.events)):
        for _, rows in levels.groupby("Covariate"):
            values = list(rows[col])
            assert all(_count_ok(v) for v in values)
            shown = [int(v) for v in values if str(v).isdigit()]
            hidden = len(values) - len(shown)
            assert hidden != 1
            assert total - sum(shown) == 0 or total - sum(shown) >= T
    sex = levels[levels["Covariate"] == "Sex"]
    assert list(sex["n"]) == ["<11", "suppressed"]


def test_no_hazard_ratio_or_ph_test_for_a_suppressed_level(real_db):
    """Attack: hazard ratios (and CIs, which give the events away) for levels with fewer than
    11 patients or events, and their PH tests."""
    a = analyse(REAL, spec_from_text("sex,grade,prior_ssa"), real_db)
    exact = analyse(REAL, spec_from_text("sex,grade,prior_ssa"), real_db, mode=Mode.EXACT)
    assert {"grade=G3", "grade=GX (not assessed)", "sex=Female"} <= set(a.withheld_terms)
    terms = list(model_frame(a)["Term"])
    assert terms == ["Prior somatostatin analogue (octreotide): Yes"]
    rows, left_out = forest_frame(a)
    assert not any(lbl.startswith(("Grade", "Sex")) for lbl in rows["label"]) and not left_out
    obj = to_json_dict(a, "real-cox")
    assert [t["term"] for t in obj["terms"]] == ["prior_ssa=Yes"]
    assert [z["term"] for z in obj["ph_test"]] == ["prior_ssa"]
    assert list(zph_frame(a)["Term"]) == ["Prior somatostatin analogue (octreotide)", "Global"]
    assert not any("Grade" in w or "Sex" in w for w in a.warnings)
    (note,) = a.disclosure_notes
    assert "Grade: G2, G3, GX (not assessed)" in note and "Sex" in note
    assert _digits_below_threshold(note) == []
    # the owner sees them all
    assert len(model_frame(exact)) == 5 and exact.withheld_terms == ()


def test_interaction_with_a_small_combination_is_withheld(real_db):
    """Attack: the interaction term's n (27 with SSA and radiation) against the radiation
    level (30) gives the 3 patients with radiation but no SSA."""
    spec = spec_from_text("prior_ssa,prior_radiation,prior_ssa*prior_radiation")
    a = analyse(REAL, spec, real_db)
    assert a.fit is not None and model_frame(a).empty
    assert "prior_ssa:prior_radiation" in a.withheld_groups
    assert list(zph_frame(a)["Term"]) == ["Global"]
    assert "a combination of their levels" in a.disclosure_notes[0]
    exact = analyse(REAL, spec, real_db, mode=Mode.EXACT)
    assert exact.fit.term("prior_ssa=Yes:prior_radiation=Yes").n_level == 27


@pytest.mark.parametrize(
    ("text", "exact_n", "message"),
    [
        ("prior_ssa,prior_chemo", 197, "Fewer than 11 of the selected patients are left out"),
        ("prior_ssa,prior_surgery", 185, "Fewer than 11 events, or patients without an event"),
    ],
)
def test_patients_and_events_left_out_are_not_derivable(real_db, text, exact_n, message):
    """Attack: the selection's n (200) minus the model's n gives the 3 patients with a missing
    covariate; a model without the covariate minus this one gives the 3 deaths among 15."""
    exact = analyse(REAL, spec_from_text(text), real_db, mode=Mode.EXACT)
    assert exact.fit is not None and exact.n == exact_n
    assert "3 of 200" in not_analysed_text(exact) or exact.n_missing_covariate_events == 3
    a = analyse(REAL, spec_from_text(text), real_db)
    assert a.fit is None and a.zph is None and a.levels == ()
    assert a.withheld.startswith(message) and a.error == a.withheld
    assert _digits_below_threshold(a.withheld) == []
    assert not_analysed_text(a) is None
    obj = to_json_dict(a, "real-cox")
    assert set(obj) == {"cohort", "disclosure", "error", "withheld"}


def test_level_counts_do_not_differ_from_other_views_by_a_small_number(real_db):
    """Attack: grade G2 holds 62 patients in the selection (Table 1, the survival page, a model
    without liver metastases) and 52 in a model with liver metastases: 10 G2 patients have no
    liver status. Shown level counts differ from every other view by 0 or at least 11."""
    exact = analyse(REAL, spec_from_text("grade,met_liver"), real_db, mode=Mode.EXACT)
    assert {(x.level, x.n) for x in exact.levels if x.covariate == "grade"} >= {("G2", 52)}
    a = analyse(REAL, spec_from_text("grade,met_liver"), real_db)
    assert a.fit is not None and a.n_missing_covariates == 30
    other = analyse(REAL, spec_from_text("grade,prior_ssa"), real_db, mode=Mode.EXACT)
    before = {(x.covariate, x.level): x for x in other.levels}
    frame = level_frame(a)
    assert frame.loc[frame["Level"] == "G2", "n"].item() == "suppressed"
    for x, n, ev in zip(a.levels, frame["n"], frame["Events"], strict=True):
        if x.covariate != "grade":
            continue
        for shown, full in ((n, before[("grade", x.level)].n), (ev, before[("grade", x.level)].events)):  # fmt: skip
            if str(shown).isdigit():
                assert full - int(shown) == 0 or full - int(shown) >= T, (x.level, shown, full)


def test_too_few_events_never_narrows_below_the_threshold(real_db):
    """Attack: 'Too few events: 3 events' (or any message implying fewer than 5) narrows
    '<11'."""
    lung = Filters(cohorts=("real-cox",), primary_site=("lung",))
    exact = analyse(lung, spec_from_text("prior_ssa"), real_db, mode=Mode.EXACT)
    assert "Too few events: 3 events among the 12 patients" in exact.error
    a = analyse(lung, spec_from_text("prior_ssa"), real_db)
    assert a.withheld.startswith("Fewer than 11 events among the patients analysed")
    assert _digits_below_threshold(a.error) == [] and "5" not in a.error


def test_refused_view_shows_no_model_and_no_count(real_db):
    a = analyse(Filters(cohorts=("real-cox",), grade=("GX",)), spec_from_text("sex"), real_db)
    assert a.fit is None and a.withheld and "fewer than 11 patients" in a.withheld
    obj = to_json_dict(a)
    assert "n" not in obj and obj["disclosure"]["mode"] == "protected"


@pytest.mark.parametrize(
    "text",
    ["sex,grade,prior_ssa", "grade,prior_ssa,age=10", "prior_ssa,prior_radiation", "age,prior_ssa"],
)
def test_protected_estimates_equal_exact_ones_where_shown(real_db, text):
    """Only presentation differs: every shown coefficient, test and count is the exact one."""
    spec = spec_from_text(text)
    a, exact = analyse(REAL, spec, real_db), analyse(REAL, spec, real_db, mode=Mode.EXACT)
    p, e = to_json_dict(a), to_json_dict(exact)
    assert p["disclosure"] == {"mode": "protected", "threshold": T, "real_data": True}
    assert e["disclosure"] == {"mode": "exact", "threshold": None, "real_data": True}
    exact_terms = {t["term"]: t for t in e["terms"]}
    assert p["terms"] and len(p["terms"]) + len(a.withheld_terms) == len(e["terms"])
    for t in p["terms"]:
        assert t == exact_terms[t["term"]]
    for key in ("lr_test", "score_test", "wald_test", "concordance", "ph_global", "n", "events"):
        assert p[key] == e[key]
    assert _small_counts_in_json(p) == []


def test_exact_mode_suppresses_nothing(real_db):
    a = analyse(REAL, spec_from_text("sex,grade,prior_ssa"), real_db, mode=Mode.EXACT)
    assert not a.disclosure.active and a.disclosure.stamp() == "Exact figures: not for sharing"
    assert a.withheld_terms == () and a.residual_points and a.hidden == frozenset()
    levels = level_frame(a)
    assert levels["n"].tolist() == [8, 192, 124, 62, 9, 5, 100, 100]
    assert "fitted exactly on" in fit_summary_text(a) and str(a.rows_fitted) in fit_summary_text(a)


def test_cli_protected_and_exact(real_db, capsys):
    args = ["cox", "--db", str(real_db), "--cohort", "real-cox", "--covariates", "sex,grade,prior_ssa,age=10"]  # fmt: skip
    assert main([*args, "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["disclosure"] == {"mode": "protected", "threshold": T, "real_data": True}
    assert _small_counts_in_json(obj) == [] and "withheld_terms" in obj
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Protected figures: counts below 11 withheld")
    assert "Sex: Female" not in out and "Grade: G3" not in out
    table = out.split("\n")[2:5]
    # age (continuous) shows the model's n and events: every patient in it has an age
    assert table[1].split()[-2:] == ["100", "58"] and table[2].split()[-2:] == ["200", "115"]
    for v in re.findall(r"n=(\S+)|· (\S+) events", out):
        assert all(_count_ok(x) for x in v if x)
    assert main([*args, "--json", "--disclosure", "exact"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["disclosure"]["mode"] == "exact"
    assert {t["term"]: t["n"] for t in obj["terms"]}["sex=Female"] == 8
    args = ["cox", "--db", str(real_db), "--cohort", "real-cox", "--covariates", "prior_ssa,prior_chemo"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Fewer than 11 of the selected patients" in err and not _digits_below_threshold(err)


# ------------------------------------------------------------------ exact mode equals R
@pytest.fixture(scope="module")
def lung_db(default_db, r_dataset, tmp_path_factory):
    """R's survival::lung imported as a cohort: sex as coded, ph.ecog as a grade (0 -> G1,
    1 -> G2, 2 or 3 -> G3; one missing), age, time and status."""
    import shutil

    from core.cohorts.importer import import_file
    from core.data.db import close_all

    path = tmp_path_factory.mktemp("lungcox") / "db.duckdb"
    shutil.copy(default_db, path)
    lung = r_dataset("lung")
    grade = lung["ph.ecog"].map({0: "G1", 1: "G2", 2: "G3", 3: "G3"})
    df = pd.DataFrame(
        {
            "patient_id": [f"lung{i:03d}" for i in range(1, len(lung) + 1)],
            "time": lung["time"],
            "status": lung["status"] - 1,  # R: 1 = censored, 2 = dead
            "sex": lung["sex"].map({1: "male", 2: "female"}),
            "age": lung["age"],
            "grade": grade,
        }
    )
    report = import_file(
        df.to_csv(index=False).encode(), "lung", filename="lung.csv", db=path,
        mapping={"time": "os_days", "status": "os_event"},
    )  # fmt: skip
    assert report.ok
    yield path
    close_all()


R_LUNG = {
    # coxph(Surv(time, status) ~ sexf + grade + age, data = lung2, ties = "efron")
    "sex,grade,age": dict(
        terms=["sex=Female", "grade=G1", "grade=G3", "age"],
        coef=[
            -0.551321738610680456,
            -0.409461385302793690,
            0.506290960706847204,
            0.011031142610081214,
        ],  # fmt: skip
        se=[
            0.1679865795090248470,
            0.1995960418925455948,
            0.1884535876044445835,
            0.0092974417743265318,
        ],  # fmt: skip
        loglik=(-744.48045576144023, -729.43801466965908),
        lr=30.084882183562286,
        score=30.938532571109931,
        wald=29.768039908576608,
        concordance=(0.637186031232627514, 0.025145425019102642),
        zph=[0.11109409160208283, 0.21836368583830509, 0.65435485874973187],
        zph_global=0.26383533455368469,  # fmt: skip
    ),  # fmt: skip
    # coxph(Surv(time, status) ~ sexf + grade, data = lung2, ties = "efron")
    "sex,grade": dict(
        terms=["sex=Female", "grade=G1", "grade=G3"],
        coef=[-0.55027472703640490, -0.41776665528864626, 0.54331341232856267],
        se=[0.16789838732831927, 0.19944132535384798, 0.18612943087006434],
        loglik=(-744.48045576144023, -730.15167989510815),
        lr=2 * (-730.15167989510815 + 744.48045576144023),
        score=30.043037019003421,
        wald=28.988126125902973,
        concordance=(0.641886086824682844, 0.024701800750874955),
        zph=[0.10011284752398050, 0.21877873797935435],
        zph_global=0.15143625839165076,
    ),  # fmt: skip
}


@pytest.mark.parametrize("text", list(R_LUNG))
def test_exact_mode_on_imported_lung_equals_r(lung_db, text):
    """R 4.2.2, survival 3.5.3, on tests/data/r_datasets/lung.csv::

        lung2 <- read.csv("lung.csv")
        lung2$sexf <- factor(ifelse(lung2$sex == 1, "male", "female"), levels = c("male", "female"))
        lung2$grade <- factor(c("G1", "G2", "G3", "G3")[lung2$ph.ecog + 1], levels = c("G2", "G1", "G3"))
        fit <- coxph(Surv(time, status) ~ sexf + grade + age, data = lung2, ties = "efron")
        coef(fit); sqrt(diag(vcov(fit))); fit$loglik; summary(fit)$logtest; fit$score
        fit$wald.test; summary(fit)$concordance; cox.zph(fit)$table
        # and the same without age

    References are the most frequent levels (male, ECOG 1), as R's factor levels above. The
    aggregated path (sex, grade) and the patient path (with age) both equal R to 1e-9; the
    protected mode shows the same numbers (every level holds at least 11 patients and events).
    """
    r = R_LUNG[text]
    a = analyse(Filters(cohorts=("lung",)), spec_from_text(text), lung_db, mode=Mode.EXACT)
    assert a.disclosure.exact and a.disclosure.real_data
    assert (a.n, a.events, a.n_missing_covariates) == (227, 164, 1)
    assert a.fit_path is (FitPath.PATIENT if "age" in text else FitPath.AGGREGATED)
    f = a.fit
    assert [t.term for t in f.terms] == r["terms"]
    np.testing.assert_allclose(f.coef, r["coef"], rtol=0, atol=1e-9)
    np.testing.assert_allclose([t.se for t in f.terms], r["se"], rtol=1e-9)
    np.testing.assert_allclose(f.loglik, r["loglik"], rtol=1e-9)
    for test, value in ((f.lr_test, r["lr"]), (f.score_test, r["score"]), (f.wald_test, r["wald"])):  # fmt: skip
        assert test.chi2 == pytest.approx(value, rel=1e-9)
    assert (f.concordance.value, f.concordance.se) == pytest.approx(r["concordance"], rel=1e-9)
    np.testing.assert_allclose([t.p for t in a.zph.terms], r["zph"], rtol=0, atol=1e-9)
    assert a.zph.global_test.p == pytest.approx(r["zph_global"], abs=1e-9)
    # protected mode: the one patient without an ECOG grade would be the model's n beside the
    # selection's, so no model is shown; without grade, every figure shown is R's
    protected = analyse(Filters(cohorts=("lung",)), spec_from_text(text), lung_db)
    assert protected.fit is None and "Fewer than 11 of the selected" in protected.withheld
    without = text.replace("grade,", "").replace(",grade", "")
    shown = analyse(Filters(cohorts=("lung",)), spec_from_text(without), lung_db)
    owner = analyse(Filters(cohorts=("lung",)), spec_from_text(without), lung_db, mode=Mode.EXACT)
    assert shown.disclosure.active and shown.withheld_terms == () and shown.n == 228
    assert to_json_dict(shown)["terms"] == to_json_dict(owner)["terms"]


@pytest.mark.parametrize("key", ["sex", "grade", "primary_site", "prior_ssa"])
def test_levels_from_enum_codes_equal_the_levels_from_stored_values(key):
    """ENUM covariates come back from the query as code positions and booleans as such; the
    table that numbers them gives the same categories and per-row levels as the stored values
    did (strings / Python booleans through pandas.factorize), missing values included."""
    from core.analyses.cox import COVARIATES, _categorical
    from core.vocab.schema import PATIENTS

    cov = COVARIATES[key]
    f = PATIENTS[cov.column]
    rng = np.random.default_rng(3)
    top = len(f.codes) if f.kind == "code" else 2
    raw = rng.integers(0, top, 500)
    raw[:3] = top - 1  # the last code present
    missing = rng.random(500) < 0.1
    fast_in = raw.astype(np.uint8) if f.kind == "code" else raw.astype(bool)
    stored = np.array([f.codes[i] for i in raw] if f.kind == "code" else raw.astype(bool))
    fast = _categorical(cov, fast_in, missing)
    slow = _categorical(cov, stored.astype(object), missing)
    assert list(fast.categories) == list(slow.categories)
    assert np.array_equal(np.asarray(fast.codes), np.asarray(slow.codes))
    assert (np.asarray(fast.codes)[missing] == -1).all()


def test_cox_query_returns_enum_codes_not_strings(synth_db):
    """No Python string per aggregate row: ENUM covariates are read as their code positions."""
    from core.analyses.cox import _columns
    from core.data.cox_sql import cox_arrays

    arrays = cox_arrays(Filters(), _columns(CoxSpec(("sex", "grade"))), True, synth_db)
    assert arrays["v0"].dtype.kind in "iu" and arrays["v1"].dtype.kind in "iu"
