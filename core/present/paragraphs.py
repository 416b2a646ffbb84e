"""Ready-to-paste text: a results paragraph and a methods paragraph for an abstract.

Numbers come from the same result objects the pages show (``SurvivalAnalysis``, hazard
ratios, ``ResponseTable``) and pass through the same formatting functions
(:mod:`core.vocab.formatting`), so a paragraph never disagrees with the tables next to it:

* median (95% CI): the same scaling and ``fmt_num`` digits as ``summary_frame`` (one
  decimal, 'not reached' when the curve does not reach 0.5, 'NR' for an undefined limit);
* survival at t: ``fmt_num(100 * S)`` and its CI exactly as ``survival_at_frame``;
* log-rank: chi-square to two decimals and ``fmt_p`` as on the Survival page;
* hazard ratios: two decimals and ``fmt_p`` as ``hr_frame``;
* rates: one decimal percentages of :class:`core.stats.responses.Proportion`.

Method names come from the enumerations in :mod:`core.vocab.methods` (and
``core.stats.responses.GroupTestMethod``).

Disclosure. The paragraphs never decide what may be shown: counts come through the result's
own ``cell``/``show`` (so '<11' where the analysis withholds them), groups the analysis
suppressed get no median, test, pairwise comparison or hazard ratio, and a split of a count
into parts is written only when no part is withheld (the other part would give it away). Both
paragraphs end with the disclosure sentence of the mode (``Disclosure.sentence``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from core.analyses.disclosure import EXEMPT, Disclosure
from core.analyses.survival import GROUPINGS, SurvivalAnalysis, SurvivalSpec
from core.vocab.formatting import fmt_num, fmt_p
from core.vocab.methods import (
    DAYS_PER_MONTH,
    TIME_UNIT_DAYS,
    Endpoint,
    Origin,
    Provenance,
    Ties,
    TimeUnit,
)
from core.vocab.schema import CohortInfo

_DISPLAY_NAMES = {
    "python": "Python",
    "net-outcomes-explorer": "NET Outcomes Explorer",
    "duckdb": "DuckDB",
    "pandas": "pandas",
    "numpy": "NumPy",
    "scipy": "SciPy",
    "lifelines": "lifelines",
    "streamlit": "Streamlit",
    "altair": "Altair",
    "vl-convert-python": "vl-convert",
}
METHODS_SOFTWARE = ("duckdb", "pandas", "numpy", "scipy", "lifelines", "streamlit")
"""Libraries named in the methods paragraph (when installed)."""


# ------------------------------------------------------------------ small pieces
def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _join(items: Sequence[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


def _ci(lo: str, hi: str) -> str:
    return f"95% CI {lo}–{hi}"


def method_line(spec: SurvivalSpec) -> str:
    """One line naming endpoint, origin and method: the Survival page's caption text."""
    text = (
        f"Kaplan-Meier, Greenwood variance, 95% CI {spec.conf_type.label}; "
        f"{spec.endpoint.label.lower()} from {spec.origin.label.lower()}"
    )
    if spec.origin is not Origin.INDEX:
        text += (
            "; delayed entry at first treatment"
            if spec.left_truncation
            else "; no delayed entry (biased upward)"
        )
    if spec.landmark_months:
        text += f"; landmark {spec.landmark_months:g} months"
    return text


UI_INSTRUCTION = re.compile(
    r"(?:^|(?<=[.!?]) )(?:Turn (?:on|off)|Choose|Click|Select|Use the|Tick|Untick)"
    r"\b[^.!?]*[.!?]"
)
"""A sentence telling the reader of a page what to do there: not for a pasted paragraph."""


def without_instructions(text: str) -> str:
    """``text`` without its sentences that are instructions for the app's controls
    ("Turn on the landmark analysis.", "Choose a shorter horizon.")."""
    return " ".join(UI_INSTRUCTION.sub("", text).split())


def _patients_were(n: object) -> str:
    """'1 patient was' / '12 patients were' / '<11 patients were'."""
    return "1 patient was" if str(n) == "1" else f"{n} patients were"


def median_text(analysis: SurvivalAnalysis, group, unit: TimeUnit, quantile: Any = None) -> str:
    """'29.0 months (95% CI 24.1–33.5)' or 'not reached', as in ``summary_frame``."""
    med = quantile if quantile is not None else group.median
    s = TIME_UNIT_DAYS[unit]
    beyond = getattr(med, "beyond", None)
    past = None if beyond is None else f"beyond {fmt_num(beyond / s)} {unit.label}"
    if med is None or med.estimate is None:
        return past or "not reached"
    lo = fmt_num(None if med.lower is None else med.lower / s, 1, "NR")
    hi = fmt_num(None if med.upper is None else med.upper / s, 1, past or "NR")
    return f"{fmt_num(med.estimate / s)} {unit.label} ({_ci(lo, hi)})"


def survival_text(at, disclosure: Disclosure = EXEMPT) -> str:
    """'78.2% (95% CI 72.0–83.1)' from a SurvAt, as in ``survival_at_frame``."""
    if at.surv is None:
        if disclosure.hidden(at.n_risk):
            return f"withheld (fewer than {disclosure.threshold} at risk)"
        return "not estimable (beyond follow-up)"
    pct = fmt_num(100 * at.surv)
    if at.lower is None or at.upper is None:
        return f"{pct}%"
    return f"{pct}% ({_ci(fmt_num(100 * at.lower), fmt_num(100 * at.upper))})"


def _events_word(endpoint: Endpoint, n: int) -> str:
    if endpoint is Endpoint.OS:
        return "death" if n == 1 else "deaths"
    return "event" if n == 1 else "events"


def _hr_parts(hazard_ratios: Any) -> tuple[str | None, list, str]:
    """(reference, rows, note) from a HazardRatios object or a (reference, [GroupHR]) pair."""
    if hazard_ratios is None:
        return None, [], ""
    if hasattr(hazard_ratios, "rows"):
        return hazard_ratios.reference, list(hazard_ratios.rows), getattr(hazard_ratios, "note", "")
    reference, rows = hazard_ratios
    return reference, list(rows), ""


def disclosure_of(analysis: Any) -> Disclosure:
    """The disclosure a result carries (``EXEMPT`` for results that carry none)."""
    return getattr(analysis, "disclosure", None) or EXEMPT


def suppressed_labels(analysis: SurvivalAnalysis | None) -> frozenset[str]:
    """Labels of the groups the analysis suppressed (they get no comparison of any kind)."""
    if analysis is None:
        return frozenset()
    return frozenset(g.label for g in analysis.groups if getattr(g, "suppressed", False))


def shown_hazard_ratios(analysis: SurvivalAnalysis | None, hazard_ratios: Any) -> tuple:
    """(reference, rows, note) of the hazard ratios that may be shown next to ``analysis``.

    No row for a group the analysis suppressed, none at all against a suppressed reference,
    and, when disclosure is active, no note unless the hazard-ratio result was protected too
    (an unprotected note names group sizes, e.g. 'fewer than 5 patients').
    """
    ref, rows, note = _hr_parts(hazard_ratios)
    hidden = suppressed_labels(analysis)
    d = disclosure_of(analysis)
    if d.active and not disclosure_of(hazard_ratios).active:
        note = ""
    if ref is None or ref in hidden:
        return ref, [], note
    return ref, [h for h in rows if h.label not in hidden], note


def shown_pairwise(analysis: SurvivalAnalysis) -> list:
    """Pairwise log-rank rows between groups that are both shown."""
    hidden = suppressed_labels(analysis)
    return [p for p in analysis.pairwise if p.a not in hidden and p.b not in hidden]


def shown_n_selected(analysis: SurvivalAnalysis) -> int | str | None:
    """The number of selected patients as it may be shown, or None when it must be withheld.

    It is withheld when a withheld count (patients without data, or excluded before the
    landmark) separates it from the number analysed: the difference would reveal that count.
    """
    d = disclosure_of(analysis)
    if d.hidden(analysis.n_missing_time) or d.hidden(analysis.n_landmark_excluded):
        return None
    return analysis.cell(analysis.n_selected)


def shown_description(analysis: SurvivalAnalysis) -> str:
    """The selection in one line with the analysed count as it may be shown."""
    return analysis.filters.describe(analysis.cell(analysis.n_analysed))


def _months(t_days: float) -> str:
    return f"{t_days / DAYS_PER_MONTH:g}"


# ------------------------------------------------------------------ results
def survival_results(
    analysis: SurvivalAnalysis,
    *,
    unit: TimeUnit = TimeUnit.MONTHS,
    hazard_ratios: Any = None,
) -> str:
    """The survival part of the results paragraph (see :func:`results_paragraph`)."""
    spec = analysis.spec
    ep = spec.endpoint.label
    ep_l = ep.lower()
    groups = list(analysis.groups)
    out: list[str] = []
    if not groups:
        return f"No selected patient had {ep_l} data from {spec.origin.label.lower()}."
    c = analysis.cell  # counts as they may be shown (small-cell protection)
    d = disclosure_of(analysis)
    n, events = c(analysis.n_analysed), c(sum(g.events for g in groups))
    origin = spec.origin.label.lower()
    if spec.landmark_months is not None:
        k, k_ev = analysis.n_landmark_excluded, analysis.n_landmark_excluded_events
        lm = f"In a landmark analysis at {spec.landmark_months:g} months after first treatment, "
        if not k:
            out.append(lm + "no patient had an event or censoring before the landmark.")
        elif d.hidden(k_ev) or d.hidden(k - k_ev):  # one part would give the other away
            out.append(
                lm + f"{c(k)} patients with an event or censoring before the landmark "
                "were excluded."
            )
        else:
            out.append(
                lm + f"{c(k)} patients with an event ({c(k_ev)}) or censoring ({c(k - k_ev)}) "
                "before the landmark were excluded."
            )
    if analysis.n_missing_time:
        of = shown_n_selected(analysis)
        out.append(
            f"{c(analysis.n_missing_time)}{'' if of is None else f' of {of}'} selected "
            f"patients had no {ep_l} data from {origin} and were not analysed."
        )
    if spec.by:
        desc = _join(
            [
                f"{g.label} (n = {c(g.n, g)}; {c(g.events, g)} "
                f"{_events_word(spec.endpoint, g.events)})"
                for g in groups
            ]
        )
        out.append(
            f"{_patients_were(n)} analysed for {ep_l} from {origin}, by "
            f"{_lower_first(GROUPINGS[spec.by].label)}: {desc}."
        )
    else:
        out.append(
            f"{_patients_were(n)} analysed for {ep_l} from {origin}; "
            f"{events} {_events_word(spec.endpoint, events)} were observed."
        )
    fu = getattr(analysis, "median_followup", None)
    if fu is not None and fu.estimate is not None:
        out.append(
            f"Median follow-up (reverse Kaplan-Meier) was {median_text(analysis, None, unit, fu)}."
        )
    # medians (groups under small-cell protection are left out of what follows)
    groups = [g for g in groups if not g.suppressed]
    if not groups:
        return " ".join(out)
    # a grouped view names its group even when only one is shown (the others suppressed)
    named = f" for {groups[0].label}" if spec.by else ""
    if len(groups) == 1:
        out.append(f"Median {ep_l} was {median_text(analysis, groups[0], unit)}{named}.")
    else:
        meds = _join([f"{median_text(analysis, g, unit)} for {g.label}" for g in groups])
        lr = analysis.logrank
        test = (
            f" (log-rank χ² = {lr.chi2:.2f}, df = {lr.df}, {fmt_p(lr.p)})" if lr is not None else ""
        )
        out.append(f"Median {ep_l} was {meds}{test}.")
    # survival at times
    n_times = len(groups[0].at)
    if n_times:
        if len(groups) == 1:
            items = [f"{survival_text(a, d)} at {_months(a.time)} months" for a in groups[0].at]
            out.append(f"{ep}{named} was {_join(items)}.")
        else:
            clauses = []
            for i in range(n_times):
                t = _months(groups[0].at[i].time)
                per = _join([f"{survival_text(g.at[i], d)} for {g.label}" for g in groups])
                clauses.append(f"at {t} months, {ep_l} was {per}")
            out.append("; ".join(clauses)[:1].upper() + "; ".join(clauses)[1:] + ".")
    # hazard ratios
    ref, rows, note = shown_hazard_ratios(analysis, hazard_ratios)
    if ref is not None and rows:
        items = []
        for h in rows:
            if h.hr is None:
                items.append(f"not estimable for {h.label}")
            else:
                ci = _ci(fmt_num(h.lower, 2, "NR"), fmt_num(h.upper, 2, "NR"))
                items.append(f"{fmt_num(h.hr, 2)} ({ci}; {fmt_p(h.p)}) for {h.label}")
        noun = "the hazard ratio was" if len(items) == 1 else "hazard ratios were"
        out.append(f"Compared with {ref}, {noun} {_join(items)} (Cox, {Ties.EFRON.label} ties).")
    if ref is not None and note:
        out.append(note)
    return " ".join(out)


def has_rates(table: Any) -> bool:
    """Whether any rate of the table's overall row has a denominator (else the domain has no
    data in this selection and the results paragraph leaves it out)."""
    return any(p.pct is not None for p in table.overall.derived.values())


def response_results(table: Any) -> str:
    """One or two sentences of rates with CIs and the group test, from a ResponseTable."""
    from core.stats.responses import RESPONSE_DOMAINS

    spec = RESPONSE_DOMAINS[table.domain]
    dom = _lower_first(table.domain.label)
    ci_name = table.ci_method.label
    over = table.denominator.label

    def rate(p) -> str:
        if p.pct is None:
            return "not estimable (no patients in the denominator)"
        return (
            f"{fmt_num(p.pct)}% ({_ci(fmt_num(p.lower), fmt_num(p.upper))}; {p.n}/{p.denominator})"
        )

    g0 = table.overall
    if not has_rates(table):
        return ""  # no patient in any denominator: nothing to report for this domain
    lead = (
        f"For {dom}, {g0.n_evaluable} of the {g0.n} selected patients were evaluable "
        f"({g0.n_not_evaluable_or_missing} not evaluable or missing)"
    )
    groups = list(table.groups)
    parts = []
    for d in spec.derived:
        name = _lower_first(d.label)
        if table.by is None or len(groups) <= 1:
            parts.append(f"the {name} was {rate(g0.derived[d.name])}")
        else:
            per = _join([f"{rate(g.derived[d.name])} for {g.label}" for g in groups])
            parts.append(f"the {name} was {rate(g0.derived[d.name])} overall ({per})")
    text = f"{lead}; {_join(parts)} ({ci_name} 95% CIs over {over})."
    if table.test is not None:
        text += (
            " The distribution of responses was compared across groups with "
            f"{table.test.method.label} ({fmt_p(table.test.p)})."
        )
    return text


def results_paragraph(
    analysis: SurvivalAnalysis | None,
    *,
    unit: TimeUnit = TimeUnit.MONTHS,
    hazard_ratios: Any = None,
    responses: Sequence[Any] = (),
    disclosure: Disclosure | None = None,
    cohorts: Sequence[CohortInfo] = (),
) -> str:
    """A results paragraph for an abstract, journal style, from the page's own results.

    ``hazard_ratios`` is what ``survival_data.hazard_ratios`` returns (or a
    ``(reference, [GroupHR, ...])`` pair); ``responses`` are ``ResponseTable`` objects as they
    may be shown (groups withheld by disclosure control already left out), or None for a
    table whose figures are withheld altogether. Times are in ``unit`` (months by default;
    survival-at times are always in months). The paragraph ends with the sentence of the
    disclosure mode: ``disclosure``, else the analysis's own. ``cohorts`` are the cohorts in
    view: when any is synthetic, the paragraph opens by saying so (:func:`synthetic_sentence`),
    and a grouping or filter field whose values are synthetic in one of them is named with the
    warning that differences by it are not evidence (:func:`field_provenance_sentence`).
    """
    parts = [synthetic_sentence(cohorts)]
    parts.append(field_provenance_sentence(fields_in_use(analysis, responses), cohorts))
    if analysis is not None:
        parts.append(survival_results(analysis, unit=unit, hazard_ratios=hazard_ratios))
    for t in responses:
        parts.append(response_results(t) if t is not None else "")
    parts.append(_mode_sentence(analysis, disclosure, responses))
    return " ".join(p for p in parts if p)


SYNTHETIC_DATA = "synthetic data generated to match published aggregates, not real patients"

FILTER_FIELDS = {
    "primary_site": "primary_site",
    "grade": "grade",
    "route": "route",
    "agent": "agent",
    "sex": "sex",
    "age_min": "age",
    "age_max": "age",
    "treatments_min": "n_treatments",
    "treatments_max": "n_treatments",
}
"""Selection attribute -> the patient field it filters on (grouped fields come from GROUPINGS)."""


def fields_in_use(analysis: Any = None, responses: Sequence[Any] = ()) -> dict[str, str]:
    """Patient field -> how the view uses it ('grouping' or 'filter'): the survival grouping,
    the response tables' grouping and the selection's filters (grouping wins)."""
    out: dict[str, str] = {}
    filters = getattr(analysis, "filters", None)
    for attr, name in FILTER_FIELDS.items():
        if filters is not None and getattr(filters, attr, None) not in ((), None):
            out[name] = "filter"
    bys = [getattr(getattr(analysis, "spec", None), "by", None)]
    bys += [getattr(t, "by", None) for t in responses if t is not None]
    for by in bys:
        if by and by in GROUPINGS:
            out[GROUPINGS[by].column] = "grouping"
    return out


def synthetic_fields(fields: Mapping[str, str], cohorts: Sequence[CohortInfo]) -> dict:
    """Field -> the cohorts in ``cohorts`` where its values are synthetic (used fields only)."""
    from core.analyses.cohorts import unreported

    out = {}
    for name in fields:
        ids = unreported(name, list(cohorts)).get("synthetic")
        if ids:
            out[name] = ids
    return out


def field_provenance_sentence(fields: Mapping[str, str], cohorts: Sequence[CohortInfo]) -> str:
    """One sentence per used field whose values are synthetic in a cohort in view ('' when
    none), e.g. 'Grade is synthetic in pgep-mibg-211 (invented for illustration, not reported
    by the source); grade differences are not evidence.'"""
    from core.vocab.schema import PATIENTS

    out = []
    for name, ids in synthetic_fields(fields, cohorts).items():
        label = PATIENTS[name].label if name in PATIENTS else name
        role = fields[name]
        tail = (
            f"{label.lower()} differences are not evidence"
            if role == "grouping"
            else f"the selection by {label.lower()} rests on invented values"
        )
        out.append(
            f"{label} is synthetic in {_join(ids)} (invented for illustration, not reported by "
            f"the source); {tail}."
        )
    return " ".join(out)


def synthetic_sentence(cohorts: Sequence[CohortInfo]) -> str:
    """One sentence saying which of ``cohorts`` are synthetic ('' when none is)."""
    synth = [c.cohort_id for c in cohorts if c.provenance == Provenance.SYNTHETIC.value]
    if not synth:
        return ""
    if len(synth) == len(cohorts):
        return f"These results are from {SYNTHETIC_DATA} ({_join(synth)})."
    return f"The data of {_join(synth)} in these results are {SYNTHETIC_DATA}."


def _mode_sentence(analysis: Any, disclosure: Disclosure | None, responses: Sequence[Any]) -> str:
    if disclosure is None:
        sources = [analysis, *responses]
        disclosure = next(
            (d for d in (getattr(x, "disclosure", None) for x in sources) if d is not None),
            EXEMPT,
        )
    return disclosure.sentence()


# ------------------------------------------------------------------ methods
def software_sentence(versions: Mapping[str, str], names: Sequence[str] = METHODS_SOFTWARE) -> str:
    libs = [f"{_DISPLAY_NAMES.get(n, n)} {versions[n]}" for n in names if n in versions]
    py = versions.get("python", "")
    app = versions.get("net-outcomes-explorer", "")
    inner = "; ".join(x for x in (f"Python {py}" if py else "", ", ".join(libs)) if x)
    return f"Analyses were run in NET Outcomes Explorer {app} ({inner})."


def data_sentence(cohorts: Sequence[CohortInfo], description: str) -> str:
    items = [
        f"{c.cohort_id} (data version {c.data_version}; "
        f"{_lower_first(Provenance.parse(c.provenance).label)})"
        for c in cohorts
    ]
    text = f"Data: {_join(items)}; selection: {description}."
    synth = [c.cohort_id for c in cohorts if c.provenance == Provenance.SYNTHETIC.value]
    if synth:
        text += (
            f" {_join(synth)} {'is a synthetic cohort' if len(synth) == 1 else 'are synthetic cohorts'}"
            ": generated to match published aggregates, not real patients; results describe "
            "the generator, not a clinical population."
        )
    return text


def methods_paragraph(
    analysis: SurvivalAnalysis | None,
    *,
    cohorts: Sequence[CohortInfo],
    description: str,
    hazard_ratios: Any = None,
    responses: Sequence[Any] = (),
    versions: Mapping[str, str] | None = None,
    software: Sequence[str] = METHODS_SOFTWARE,
    disclosure: Disclosure | None = None,
) -> str:
    """A methods paragraph: methods, conventions, cohort provenance, software versions.

    ``description`` is the selection with its count as it may be shown (see
    :func:`shown_description`); the paragraph ends with the sentence of the disclosure mode.
    """
    from core.present.export import software_versions

    versions = versions if versions is not None else software_versions()
    responses = [t for t in responses if t is not None]
    out: list[str] = []
    if analysis is not None:
        spec = analysis.spec
        origin = spec.origin.label.lower()
        out.append(f"{spec.endpoint.label} was measured from {origin}.")
        if spec.origin is not Origin.INDEX:
            if spec.left_truncation:
                out.append(
                    "Patients entered the risk set only at first radionuclide treatment "
                    "(delayed entry, left truncation; R Surv(entry, exit, event))."
                )
            else:
                out.append(
                    "Patients were counted at risk from the origin, before first treatment "
                    "(no delayed entry), which biases the curve upward."
                )
        if spec.landmark_months is not None:
            out.append(
                f"In a landmark analysis at {spec.landmark_months:g} months after first "
                "treatment, patients with an event or censoring before the landmark were "
                "excluded"
                + (
                    " and time was re-originated at the landmark."
                    if spec.origin is Origin.INDEX
                    else "."
                )
            )
        out.append(
            "Survival was estimated with the Kaplan-Meier method, with Greenwood's variance and "
            f"pointwise 95% confidence intervals on the {spec.conf_type.label} "
            f"(R survival, {spec.conf_type.r_equivalent}); medians and quartiles with their "
            "confidence intervals follow R's quantile.survfit, and a median the curve does not reach is reported as not "
            "reached."
        )
        if spec.by:
            grouping = _lower_first(GROUPINGS[spec.by].label)
            text = f"Groups defined by {grouping} were compared with the log-rank test"
            if shown_pairwise(analysis):
                text += ", with Holm-adjusted pairwise log-rank tests"
            out.append(text + ".")
            ref, rows, _ = shown_hazard_ratios(analysis, hazard_ratios)
            if ref is not None and rows:
                out.append(
                    f"Hazard ratios against {ref} were estimated by Cox proportional-hazards "
                    f"regression with {Ties.EFRON.label}'s method for tied event times "
                    f"({Ties.EFRON.r_equivalent}), with Wald 95% CIs and p-values."
                )
        out.extend(without_instructions(w) for w in analysis.warnings)
    if responses:
        ci = _join(sorted({t.ci_method.label for t in responses}))
        den = _join(sorted({t.denominator.label for t in responses}))
        out.append(
            f"Response rates are given with {ci} 95% confidence intervals over {den}; "
            "patients not evaluable or without an assessment are reported separately."
        )
        tests = _join(sorted({t.test.method.label for t in responses if t.test is not None}))
        if tests:
            out.append(f"Response distributions were compared across groups with {tests}.")
    conventions = f"P-values are two-sided. Months are days / {DAYS_PER_MONTH:g} (365.25 / 12)."
    if analysis is not None:
        conventions += (
            " The number at risk at time t counts patients still under observation just "
            "before t (entry < t <= exit)."
        )
    out.append(conventions)
    out.append(data_sentence(cohorts, description))
    out.append(software_sentence(versions, software))
    out.append(_mode_sentence(analysis, disclosure, responses))
    return " ".join(x for x in out if x)


# ------------------------------------------------------------------ benchmarks
def benchmark_results(
    comparison: Any,
    benchmark: Any,
    *,
    cohorts: Sequence[CohortInfo] = (),
    flagged: Sequence[str] = (),
) -> str:
    """The Benchmarks page's results paragraph: the view's figure beside the benchmark's, the
    test (or why it is withheld), the warnings' gist, the synthetic-data sentence and the mode.

    ``comparison`` is a ``ViewComparison`` as the viewer may see it (counts as text, figures
    withheld where the analysis withheld them); ``flagged`` are the studies of the forest plots
    whose population differs from the view's.
    """
    from core.analyses.comparison import describe_test, short_study

    own = comparison.cohort
    unit = benchmark.unit.value
    parts = [synthetic_sentence(cohorts)]
    if comparison.refusal:
        parts.append(comparison.refusal)
    else:
        parts.append(
            f"In this view (n = {own.n_text}), {_lower_first(own.description)} was "
            f"{own.text(unit)}, against {benchmark.value_text()} in "
            f"{short_study(benchmark.study)} ({benchmark.arm}; n = {benchmark.n or 'not given'})."
        )
        c = comparison.comparison
        if comparison.withheld:
            parts.append(f"The test is not shown under disclosure control: {comparison.withheld}.")
        elif c is not None and c.test is not None:
            parts.append(without_instructions(describe_test(c)))
        if c is not None and c.warnings:
            cats = _join(sorted({w.category.label.lower() for w in c.warnings}))
            parts.append(
                f"The comparison is not randomised and carries {len(c.warnings)} reason(s) for "
                f"caution ({cats})."
            )
    if flagged:
        parts.append(
            f"Figures from other populations than the view's ({_join(list(flagged))}) are "
            "marked in the forest plots."
        )
    parts.append(comparison.disclosure.sentence())
    return " ".join(p for p in parts if p)


def benchmark_methods(
    comparison: Any,
    *,
    cohorts: Sequence[CohortInfo],
    description: str,
    versions: Mapping[str, str] | None = None,
) -> str:
    """The Benchmarks page's methods paragraph: how the view's figure and the test were made,
    the published basis of figures from diagnosis, cohorts and software, the mode."""
    from core.analyses.comparison import PUBLISHED_BASIS
    from core.present.export import software_versions

    versions = versions if versions is not None else software_versions()
    out = [
        "The view's figure was estimated by Kaplan-Meier (Greenwood variance, log-log 95% CI) "
        "for medians and survival at a landmark, and as a proportion with a Clopper-Pearson "
        "exact 95% CI for response rates. Time-to-event figures were tested against a curve "
        "built from the published median and landmark rate (Weibull, else exponential) by the "
        "one-sample log-rank test with an exact Poisson interval for O/E; response rates by "
        "the exact binomial test.",
        PUBLISHED_BASIS,
        f"Months are days / {DAYS_PER_MONTH:g}.",
        data_sentence(cohorts, description),
        software_sentence(versions),
        comparison.disclosure.sentence(),
    ]
    return " ".join(x for x in out if x)
