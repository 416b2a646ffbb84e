"""core.present.paragraphs: the abstract text states exactly the numbers of the page's tables."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from core.analyses.survival import (
    GroupResult,
    SurvivalAnalysis,
    SurvivalSpec,
    analyse,
    hazard_ratios,
    hr_frame,
    summary_frame,
    survival_at_frame,
)
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.present.paragraphs import method_line, methods_paragraph, results_paragraph
from core.stats.responses import response_table
from core.stats.survival import (
    counts_from_arrays,
    kaplan_meier,
    km_quantiles,
    logrank_test,
    survival_at,
)
from core.vocab.formatting import fmt_p
from core.vocab.methods import (
    DAYS_PER_MONTH,
    BinomialCI,
    ConfType,
    Endpoint,
    Origin,
    Provenance,
    ResponseDomain,
    Ties,
    TimeUnit,
)

PGEP = Filters(cohorts=("pgep-mibg-211",))


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0004, "p < 0.001"),
        (0.0463, "p = 0.046"),
        (0.31, "p = 0.31"),
        (0.001, "p = 0.001"),
        (1e-12, "p < 0.001"),
        (0.0, "p < 0.001"),  # never 0.0000
        (0.999, "p = 1.00"),
        (None, "–"),
        (math.nan, "–"),
    ],
)
def test_p_values_are_journal_style(p, text):
    assert fmt_p(p) == text


VIEWS = [
    pytest.param(PGEP, SurvivalSpec(), TimeUnit.MONTHS, id="all"),
    pytest.param(PGEP, SurvivalSpec(by="treatments"), TimeUnit.MONTHS, id="by-treatments"),
    pytest.param(
        PGEP,
        SurvivalSpec(by="primary_site", origin=Origin.DIAGNOSIS),
        TimeUnit.MONTHS,
        id="diagnosis-many-groups",
    ),
    pytest.param(
        Filters(cohorts=("pgep-mibg-211", "stage4-unselected-50")),
        SurvivalSpec(by="cohort_id", landmark_months=6, conf_type=ConfType.PLAIN),
        TimeUnit.YEARS,
        id="landmark-years",
    ),
    pytest.param(
        Filters(cohorts=("ia-hepatic-6",)),
        SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, times_months=(1, 3, 6)),
        TimeUnit.MONTHS,
        id="six-patients-pfs",
    ),
]


def _hr(filters, spec, analysis, db):
    if analysis.logrank is None:
        return None
    return hazard_ratios(filters, spec, analysis.groups[0].label, db)


@pytest.mark.parametrize(("filters", "spec", "unit"), VIEWS)
def test_results_paragraph_has_the_numbers_of_the_page_tables(filters, spec, unit, default_db):
    analysis = analyse(filters, spec, default_db)
    hrs = _hr(filters, spec, analysis, default_db)
    text = results_paragraph(analysis, unit=unit, hazard_ratios=hrs)
    grouped = spec.by is not None
    summary = summary_frame(analysis, unit)
    med_col = f"Median, {unit.label} (95% CI)"
    assert len(summary) >= 1 and len(text) > 100
    for _, row in summary.iterrows():
        g = row["Group"]
        if grouped:
            assert f"{g} (n = {row['n']}; {row['Events']} " in text
        else:
            assert f"{row['n']} patients were analysed" in text
            assert f"; {row['Events']} " in text
        cell = row[med_col]
        if cell == "not reached":
            assert ("not reached for " + g if grouped else "was not reached") in text
        else:
            est, lo, hi = re.fullmatch(r"(\S+) \((\S+)–(\S+)\)", cell).groups()
            phrase = f"{est} {unit.label} (95% CI {lo}–{hi})"
            assert (phrase + f" for {g}" if grouped else phrase) in text, (g, phrase)
    at = survival_at_frame(analysis)
    for _, row in at.iterrows():
        g, surv, ci = row["Group"], row["Survival, %"], row["95% CI, %"]
        t = f"{row['Time, months']:g}"
        if surv == "–":
            expected = "not estimable (beyond follow-up)"
        elif ci.startswith("–") or ci.endswith("–"):
            expected = f"{surv}%"
        else:
            expected = f"{surv}% (95% CI {ci})"
        if grouped:
            assert f"{expected} for {g}" in text, (g, t, expected)
        else:
            assert f"{expected} at {t} months" in text, (t, expected)
    if analysis.logrank is not None:
        lr = analysis.logrank
        assert f"log-rank χ² = {lr.chi2:.2f}, df = {lr.df}, {fmt_p(lr.p)}" in text
    else:
        assert "log-rank" not in text
    if hrs is not None and hrs.rows:
        for _, row in hr_frame(hrs).iterrows():
            hr, lo, hi = re.fullmatch(
                r"(\S+) \((\S+)–(\S+)\)", row["Hazard ratio (95% CI)"]
            ).groups()
            p = row["p (Wald)"]
            p_text = f"p {p}" if p.startswith("<") else f"p = {p}"
            assert f"{hr} (95% CI {lo}–{hi}; {p_text}) for {row['Group']}" in text
    if spec.landmark_months is not None:
        assert f"landmark analysis at {spec.landmark_months:g} months" in text


def _made_up_analysis(spec: SurvivalSpec, groups: dict, **tallies) -> SurvivalAnalysis:
    """A SurvivalAnalysis from patient-level (days, event) lists, built as analyse() does."""
    results = []
    for label, (days, events) in groups.items():
        counts = counts_from_arrays(np.asarray(days, float), np.asarray(events))
        km = kaplan_meier(counts, conf_type=spec.conf_type)
        times = np.asarray(spec.times_months) * DAYS_PER_MONTH
        results.append(
            GroupResult(label, counts, km, tuple(km_quantiles(km)), tuple(survival_at(km, times)))
        )
    lr = logrank_test([g.counts for g in results]) if len(results) > 1 else None
    n = sum(g.n for g in results)
    return SurvivalAnalysis(
        spec, PGEP, tuple(results), lr, n_selected=tallies.pop("n_selected", n), **tallies
    )


def test_not_reached_median_and_missing_data_are_stated():
    spec = SurvivalSpec(by="sex", times_months=(6, 12))
    days = [30, 60, 90, 200, 250, 300, 400, 500]
    analysis = _made_up_analysis(
        spec,
        {"Few events": (days, [1, 0, 0, 0, 1, 0, 0, 0]), "Many": (days, [1] * 8)},
        n_selected=20,
        n_missing_time=4,
    )
    summary = summary_frame(analysis, TimeUnit.MONTHS)
    assert summary.iloc[0]["Median, months (95% CI)"] == "not reached"
    text = results_paragraph(analysis)
    assert "not reached for Few events" in text
    assert "Few events (n = 8; 2 deaths)" in text
    assert "4 of 20 selected patients had no overall survival data" in text
    single = _made_up_analysis(SurvivalSpec(), {"All": ([10, 20], [0, 0])})
    text = results_paragraph(single)
    assert "Median overall survival was not reached." in text
    assert "0 deaths were observed" in text


def test_response_rates_match_the_response_table(default_db):
    df = patients_frame(PGEP, path=default_db)
    table = response_table(df, ResponseDomain.IMAGING, ci=BinomialCI.WILSON)
    text = results_paragraph(None, responses=[table])
    orr = table.overall.derived["orr"]
    dcr = table.overall.derived["dcr"]
    for p in (orr, dcr):
        assert f"{p.pct:.1f}% (95% CI {p.lower:.1f}–{p.upper:.1f}; {p.n}/{p.denominator})" in text
    n_eval, n_all = table.overall.n_evaluable, table.overall.n
    assert f"{n_eval} of the {n_all} selected patients were evaluable" in text
    assert BinomialCI.WILSON.label in text
    grouped = response_table(
        df.assign(site=df["primary_site"].where(df["primary_site"] == "small_bowel", "other")),
        ResponseDomain.IMAGING,
        by="site",
    )
    text = results_paragraph(None, responses=[grouped])
    assert f"{grouped.test.method.label} ({fmt_p(grouped.test.p)})" in text
    for g in grouped.groups:
        assert f"{g.derived['orr'].pct:.1f}% " in text and f" for {g.label}" in text


def _methods(filters, spec, db, **kw):
    analysis = analyse(filters, spec, db)
    infos = [c for c in list_cohorts(db) if c.cohort_id in filters.cohorts]
    return (
        analysis,
        infos,
        methods_paragraph(
            analysis,
            cohorts=infos,
            description=filters.describe(analysis.n_analysed),
            hazard_ratios=_hr(filters, spec, analysis, db),
            **kw,
        ),
    )


def test_methods_paragraph_names_methods_conventions_provenance_and_versions(default_db):
    spec = SurvivalSpec(by="primary_site", origin=Origin.DIAGNOSIS, conf_type=ConfType.LOG)
    versions = {"python": "3.11.9", "net-outcomes-explorer": "9.9.9", "duckdb": "2.0.0"}
    analysis, infos, text = _methods(PGEP, spec, default_db, versions=versions)
    for needle in (
        "Kaplan-Meier",
        "Greenwood",
        ConfType.LOG.label,
        "log-rank",
        "Holm-adjusted pairwise",
        f"{Ties.EFRON.label}'s method",
        "Cox proportional-hazards",
        "days / 30.4375",
        "just before t",
        "delayed entry",
        f"data version {infos[0].data_version}",
        "synthetic",
        "not real patients",
        "NET Outcomes Explorer 9.9.9 (Python 3.11.9; DuckDB 2.0.0)",
        "Histological diagnosis".lower(),
    ):
        assert needle in text, needle
    assert "landmark" not in text


def test_methods_paragraph_follows_the_options(default_db):
    spec = SurvivalSpec(by="treatments")
    _, _, text = _methods(PGEP, spec, default_db)
    assert "immortal-time" in text  # the analysis warning is carried into the methods
    assert "delayed entry" not in text
    spec = SurvivalSpec(by="treatments", landmark_months=3)
    _, _, text = _methods(PGEP, spec, default_db)
    assert "landmark analysis at 3 months" in text and "re-originated" in text
    assert "immortal-time" not in text
    spec = SurvivalSpec(origin=Origin.METASTATIC, left_truncation=False)
    _, _, text = _methods(PGEP, spec, default_db)
    assert "no delayed entry" in text and "biases the curve upward" in text
    imported = list_cohorts(default_db)[0]
    from dataclasses import replace

    fake = replace(imported, provenance=Provenance.IMPORTED.value)
    analysis = analyse(PGEP, SurvivalSpec(), default_db)
    text = methods_paragraph(analysis, cohorts=[fake], description="x", versions={})
    assert "synthetic" not in text.lower()


def test_methods_paragraph_names_response_methods(default_db):
    df = patients_frame(PGEP, path=default_db)
    tables = [response_table(df, d, ci=BinomialCI.JEFFREYS) for d in ResponseDomain]
    _, _, text = _methods(PGEP, SurvivalSpec(), default_db, responses=tables)
    assert BinomialCI.JEFFREYS.label in text
    assert "evaluable patients" in text


def test_method_line_matches_the_page_wording():
    spec = SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, origin=Origin.DIAGNOSIS, landmark_months=4.5)
    assert method_line(spec) == (
        f"Kaplan-Meier, Greenwood variance, 95% CI {ConfType.LOG_LOG.label}; "
        "imaging progression-free survival from histological diagnosis; "
        "delayed entry at first treatment; landmark 4.5 months"
    )
