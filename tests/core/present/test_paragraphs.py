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
from core.present.paragraphs import (
    method_line,
    methods_paragraph,
    results_paragraph,
    without_instructions,
)
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


# ------------------------------------------------------------------ disclosure
def _protected(analysis: SurvivalAnalysis, **changes) -> SurvivalAnalysis:
    from dataclasses import replace

    from core.analyses.disclosure import Disclosure, Mode

    return replace(analysis, disclosure=Disclosure(11, Mode.PROTECTED, True), **changes)


def _two_groups(**tallies) -> SurvivalAnalysis:
    days = list(range(30, 30 + 20 * 40, 40))
    return _made_up_analysis(
        SurvivalSpec(by="sex", times_months=(6,)),
        {"A": (days, [1, 0] * 10), "B": (days, [1, 1, 0, 0] * 5), "C": (days, [1] * 20)},
        **tallies,
    )


def test_paragraphs_state_the_disclosure_mode(default_db):
    from core.analyses.disclosure import EXEMPT, Disclosure, Mode

    analysis = _two_groups()
    infos = list_cohorts(default_db)[:1]
    for d in (Disclosure(11, Mode.PROTECTED, True), Disclosure(None, Mode.EXACT, True)):
        from dataclasses import replace

        a = replace(analysis, disclosure=d)
        assert results_paragraph(a).endswith(d.sentence())
        methods = methods_paragraph(a, cohorts=infos, description="x", versions={})
        assert methods.endswith(d.sentence())
        # responses-only paragraphs (the Response page) take the disclosure explicitly
        assert results_paragraph(None, disclosure=d) == d.sentence()
    assert EXEMPT.sentence() == ""
    assert not results_paragraph(analysis).endswith(" ")


def test_a_split_with_a_withheld_part_is_not_written():
    # 15 excluded before the landmark, 3 of them with an event: '<11' and '12' would give 3
    a = _protected(
        _two_groups(),
        spec=SurvivalSpec(by="sex", times_months=(6,), landmark_months=3),
        n_landmark_excluded=15,
        n_landmark_excluded_events=3,
    )
    text = results_paragraph(a)
    assert "15 patients with an event or censoring before the landmark were excluded" in text
    assert "(12)" not in text and "(<11)" not in text
    from dataclasses import replace

    exempt = replace(a, disclosure=_two_groups().disclosure)
    assert "15 patients with an event (3) or censoring (12)" in results_paragraph(exempt)


def test_the_selected_count_is_withheld_when_a_withheld_count_separates_it():
    base = _two_groups()
    a = _protected(base, n_selected=base.n_analysed + 2, n_missing_time=2)
    text = results_paragraph(a)
    assert "<11 selected patients had no overall survival data" in text
    assert str(base.n_analysed + 2) not in text  # 62 - 60 would give the 2
    shown = _protected(base, n_selected=base.n_analysed + 12, n_missing_time=12)
    assert f"12 of {base.n_analysed + 12} selected" in results_paragraph(shown)


def test_no_hazard_ratio_for_a_suppressed_group_and_no_unprotected_note():
    from dataclasses import replace

    from core.stats.survival import GroupHR

    base = _two_groups()
    groups = list(base.groups)
    groups[2] = replace(groups[2], suppressed=True, km=None, quantiles=(), at=())
    a = _protected(base, groups=tuple(groups))
    rows = [GroupHR("B", 1.5, 1.1, 2.0, 0.01), GroupHR("C", 3.0, 1.2, 7.0, 0.02)]

    class HR:  # a hazard-ratio result without its own disclosure
        reference, note = "A", "Not estimable (fewer than 5 patients or no events): D."

        def __init__(self):
            self.rows = tuple(rows)

    text = results_paragraph(a, hazard_ratios=HR())
    assert "for B" in text[text.index("Compared with A") :]
    assert "for C" not in text[text.index("Compared with A") :]
    assert "fewer than 5" not in text
    # against a suppressed reference, no hazard ratio at all
    text = results_paragraph(a, hazard_ratios=("C", rows[:1]))
    assert "Compared with" not in text
    # exempt: every row and the note
    text = results_paragraph(base, hazard_ratios=HR())
    assert "for C" in text and "fewer than 5" in text


def test_survival_withheld_for_too_few_at_risk_says_so():
    from core.analyses.disclosure import Disclosure, Mode
    from core.present.paragraphs import survival_text
    from core.stats.survival import SurvAt

    d = Disclosure(11, Mode.PROTECTED, True)
    withheld = SurvAt(time=365.25, surv=None, lower=None, upper=None, n_risk=4)
    assert survival_text(withheld, d) == "withheld (fewer than 11 at risk)"
    beyond = SurvAt(time=365.25, surv=None, lower=None, upper=None, n_risk=0)
    assert survival_text(beyond, d) == "not estimable (beyond follow-up)"
    assert survival_text(withheld) == "not estimable (beyond follow-up)"


# ------------------------------------------------------------------ issue 19 #14 and #9
def test_methods_paragraph_gives_no_instruction_for_the_app(default_db):
    spec = SurvivalSpec(by="imaging_response")  # post-baseline, no landmark
    analysis, _infos, text = _methods(PGEP, spec, default_db)
    assert any("Turn on the landmark analysis." in w for w in analysis.warnings)  # the source
    assert "immortal-time biased" in text  # the caveat stays
    assert "Turn on" not in text and "landmark analysis." not in text
    assert without_instructions(
        "RMST is not estimated for A: the horizon is past it. Choose a shorter horizon."
    ) == ("RMST is not estimated for A: the horizon is past it.")
    assert without_instructions("Read the first months with caution.") == (
        "Read the first months with caution."
    )


def test_the_only_group_left_by_suppression_is_named():
    from dataclasses import replace

    spec = SurvivalSpec(by="sex", times_months=(6,))
    days = [30, 60, 90, 200, 250, 300, 400, 500]
    analysis = _made_up_analysis(
        spec, {"Male": (days, [1] * 8), "Female": (days, [1, 0, 1, 0, 1, 0, 1, 0])}
    )
    male, female = analysis.groups
    hidden = replace(female, suppressed=True, km=None, quantiles=(), at=())
    a = replace(analysis, groups=(male, hidden), logrank=None)
    text = results_paragraph(a)
    assert re.search(r"Median overall survival was .*?\) for Male\. ", text), text
    assert "Overall survival for Male was " in text
    ungrouped = _made_up_analysis(SurvivalSpec(times_months=(6,)), {"All": (days, [1] * 8)})
    assert "for All" not in results_paragraph(ungrouped)


def test_a_response_domain_without_data_is_left_out(default_db):
    df = patients_frame(PGEP, path=default_db)
    empty = response_table(df.assign(imaging_response=None), ResponseDomain.IMAGING)
    assert all(p.pct is None for p in empty.overall.derived.values())  # nothing to report
    data = response_table(df, ResponseDomain.IMAGING)
    text = results_paragraph(None, responses=[empty, empty, data])
    assert "no patients in the denominator" not in text
    assert text.count("For imaging response") == 1


def test_results_paragraph_says_when_data_are_synthetic(default_db):
    analysis = analyse(PGEP, SurvivalSpec(), default_db)
    infos = {c.cohort_id: c for c in list_cohorts(default_db)}
    synth = results_paragraph(analysis, cohorts=[infos["pgep-mibg-211"]])
    sentence = (
        "These results are from synthetic data generated to match published aggregates, not "
        "real patients (pgep-mibg-211)."
    )
    assert synth.startswith(sentence) and synth.count("synthetic") == 1
    published = infos["ia-hepatic-6"]
    assert published.provenance != Provenance.SYNTHETIC.value
    assert "synthetic" not in results_paragraph(analysis, cohorts=[published])
    mixed = results_paragraph(analysis, cohorts=[infos["pgep-mibg-211"], published])
    assert "The data of pgep-mibg-211 in these results are synthetic data generated" in mixed
    assert "ia-hepatic-6" not in mixed
