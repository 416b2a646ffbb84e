"""Results and methods paragraphs for the Cox page: the model and the subgroup forest.

As :mod:`core.present.paragraphs`: numbers come from the (already protected) result objects,
counts through their ``cell`` (so '<11' or 'suppressed' where the analysis withholds them),
terms and subgroups the analysis withholds are not written, and both paragraphs say when the
data are synthetic and end with the disclosure sentence of the mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.analyses.cox import COVARIATES, CoxAnalysis, _fmt_hr, _labels, short_label
from core.analyses.subgroups import SubgroupAnalysis, comparison_text, method_text
from core.present.paragraphs import (
    METHODS_SOFTWARE,
    data_sentence,
    software_sentence,
    synthetic_sentence,
)
from core.vocab.formatting import fmt_p
from core.vocab.methods import Origin
from core.vocab.schema import CohortInfo


def _ci_text(hr: float, lo: float, hi: float) -> str:
    est, _, rest = _fmt_hr(hr, lo, hi).partition(" (")
    return f"{est} (95% CI {rest.rstrip(')')})"


def cox_results(a: CoxAnalysis, cohorts: Sequence[CohortInfo] = ()) -> str:
    """The model in words: n, events, each shown hazard ratio with CI and p, the LR test."""
    parts = [synthetic_sentence(cohorts)]
    if a.withheld or a.fit is None:
        parts.append(a.withheld or a.error or "No model could be fitted.")
        parts.append(a.disclosure.sentence())
        return " ".join(p for p in parts if p)
    spec, fit = a.spec, a.fit
    covs = ", ".join(short_label(c).lower() for c in spec.covariates)
    labels = _labels(a)
    terms = "; ".join(
        f"{labels[t.term]} {_ci_text(t.hr, t.hr_lower, t.hr_upper)}, {fmt_p(t.p)}"
        for t in a.shown_terms()
    )
    lr = fit.lr_test
    parts.append(
        f"In a Cox model of {spec.endpoint.label.lower()} with {covs} "
        f"({a.cell(a.n)} patients, {a.cell(a.events)} events), the hazard ratios were: "
        f"{terms}. Likelihood-ratio test of the model: chi-square {lr.chi2:.2f} on {lr.df} df, "
        f"{fmt_p(lr.p)}; concordance {fit.concordance.value:.3f}."
    )
    if a.withheld_terms:
        parts.append("Some hazard ratios are not reported under disclosure control.")
    parts.append(a.disclosure.sentence())
    return " ".join(p for p in parts if p)


def cox_methods(
    a: CoxAnalysis,
    *,
    cohorts: Sequence[CohortInfo],
    description: str,
    versions: Mapping[str, str] | None = None,
) -> str:
    """Methods: model, ties, CI, time origin, delayed entry, landmark, PH check, data, software."""
    from core.present.export import software_versions

    spec = a.spec
    out = [
        f"{spec.endpoint.label} was measured from {spec.origin.label.lower()}.",
        "Hazard ratios were estimated by Cox proportional-hazards regression "
        f"(R survival coxph) with {spec.ties.label}'s method for tied event times, Wald 95% "
        "confidence intervals and p-values; categorical covariates against a reference level, "
        "continuous covariates per stated step; patients with a missing value were left out.",
    ]
    if spec.strata:
        out.append(f"The model was stratified by {COVARIATES[spec.strata].label.lower()}.")
    if spec.origin is not Origin.INDEX and spec.left_truncation:
        out.append("Patients entered the risk set at first radionuclide treatment (delayed entry).")
    if spec.landmark_months is not None:
        out.append(
            f"In a landmark analysis at {spec.landmark_months:g} months, patients with an event "
            "or censoring before the landmark were excluded."
        )
    out.append(
        "Proportional hazards were checked with the scaled Schoenfeld residual test (R "
        "cox.zph, Kaplan-Meier time transform). P-values are two-sided."
    )
    out.append(data_sentence(cohorts, description))
    out.append(software_sentence(versions or software_versions(), METHODS_SOFTWARE))
    out.append(a.disclosure.sentence())
    return " ".join(x for x in out if x)


def subgroup_results(s: SubgroupAnalysis, cohorts: Sequence[CohortInfo] = ()) -> str:
    """The comparison overall and per subgroup, with each field's interaction p."""
    parts = [synthetic_sentence(cohorts)]
    if s.withheld or s.overall is None:
        parts += [s.withheld or s.error or "", s.disclosure.sentence()]
        return " ".join(p for p in parts if p)
    o = s.overall
    head = f"For {comparison_text(s)}, {s.spec.endpoint.label.lower()}"
    if o.shows_estimate:
        head += f" hazard ratio overall was {_ci_text(o.hr.hr, o.hr.lower, o.hr.upper)}"
    else:
        head += f" hazard ratio overall was not estimable ({o.hr.reason})"
    parts.append(head + f" ({s.cell(o.n)} patients, {s.cell(o.events)} events).")
    for f in s.fields:
        shown = [
            f"{r.level} {_ci_text(r.hr.hr, r.hr.lower, r.hr.upper)}"
            for r in f.rows
            if r.shows_estimate
        ]
        t = f.interaction
        if f.interaction_withheld:
            inter = "interaction test not reported under disclosure control"
        elif t.p is None:
            inter = "interaction not estimable"
        else:
            inter = f"interaction {fmt_p(t.p)} (likelihood-ratio, {t.df} df)"
        body = "; ".join(shown) if shown else "no estimable subgroup"
        parts.append(f"By {f.label.lower()}: {body}; {inter}.")
    parts.append(
        "Subgroup analyses are exploratory; interaction tests have low power and are not "
        "adjusted for multiplicity."
    )
    parts.append(s.disclosure.sentence())
    return " ".join(p for p in parts if p)


def subgroup_methods(
    s: SubgroupAnalysis,
    *,
    cohorts: Sequence[CohortInfo],
    description: str,
    versions: Mapping[str, str] | None = None,
) -> str:
    from core.present.export import software_versions

    out = [
        f"Within each level of each subgroup field, the hazard ratio of {comparison_text(s)} "
        f"was estimated by Cox regression ({method_text(s.spec)}). Heterogeneity was tested "
        "by a likelihood-ratio test of the arm-by-subgroup interaction (patients with a "
        "missing subgroup value left out). A subgroup with no patients, fewer than 2 patients "
        "or no events in an arm has no hazard ratio (not estimable).",
        data_sentence(cohorts, description),
        software_sentence(versions or software_versions(), METHODS_SOFTWARE),
        s.disclosure.sentence(),
    ]
    return " ".join(x for x in out if x)
