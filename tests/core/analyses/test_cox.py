"""core.analyses.cox: the DuckDB-aggregated Cox fit equals a patient-level fit built independently
from the patient rows (pandas + core.stats.cox.fit_cox), for origins, delayed entry, landmark,
strata, interactions and both ties; missing values, references, refusals; the CLI."""

from __future__ import annotations

import json
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
    forest_frame,
    methods_text,
    model_frame,
    model_text,
    parse_model,
    residual_frame,
    spec_from_text,
    to_json_dict,
)
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
    assert "Age (per 10 years)" in list(est["label"])
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
    from core.analyses.cox import _sql

    hostile = Filters(cohorts=("x' OR 1=1 --",), grade=("G1",))
    sql, params = _sql(hostile, CoxSpec(("sex",)), aggregate=True)
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
