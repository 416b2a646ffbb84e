"""Setting the cohort view on screen against the literature registry (:mod:`core.literature.registry`).

Glue between a patient selection (:class:`core.data.filters.Filters`) and the registry:

* :func:`cohort_view` describes the selection for the comparability checks;
* :func:`cohort_measure` computes the view's own figure for a benchmark's measure (Kaplan-Meier
  median or landmark survival, or a response rate), in months or %;
* :func:`compare` runs the one-sample log-rank test (time-to-event) or the exact binomial
  test (response rates) of the view against one benchmark;
* :func:`overlay_frame` turns benchmarks into dashed curves for :func:`core.present.charts.km_chart`;
* :func:`forest_groups` / :func:`forest_frame` / :func:`table_frame` build the page's tables;
* :func:`add_user_benchmark` / :func:`user_benchmarks` store and read figures typed in by a
  user (table ``user_benchmarks``, declared in :mod:`core.vocab.schema`; queries in
  :mod:`core.data.comparison_sql`).

Disclosure: :func:`cohort_measure` and :func:`compare` start with
:func:`core.analyses.view.open_view`, compute on the exact rows, and return frozen results that
hold only what the viewer may see (``disclosure`` says which mode). In protected mode with
imported data in view, a count under the threshold (patients with data, events, responders,
and their complements: patients without data, patients without the event or response) is
shown as "<11" or withheld, and any figure that would give such a count back (a rate with its
CI, a landmark survival, the one-sample test's O, E, O/E, chi-square and p) is withheld with
the reason; medians and their CI are shown to whole months.

Registry times are months; stored times are days (months = days / 30.4375).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.disclosure import (
    EXEMPT,
    Disclosure,
    Mode,
    round_median_months,
    suppressed_cells,
)
from core.analyses.left_out import left_out_small
from core.analyses.survival import SurvivalSpec, left_out_events, patient_rows
from core.analyses.view import View, open_view
from core.data import comparison_sql, queries
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.literature.registry import (
    APP_ENDPOINT,
    COLUMNS,
    Benchmark,
    BenchmarkEndpoint,
    CitationConfidence,
    CohortView,
    Comparison,
    OneSampleTest,
    ParametricCurve,
    RateTest,
    Statistic,
    TherapyClass,
    TimeOrigin,
    benchmarks_from_frame,
    comparability,
    compare_rate,
    compare_time_to_event,
    curve_for_benchmark,
    find_landmark_partner,
    load_benchmarks,
    validate_user_benchmark,
)
from core.stats.responses import RESPONSE_DOMAINS, proportion
from core.stats.survival import counts_from_frame, kaplan_meier, km_quantiles, survival_at
from core.vocab.formatting import fmt_num, fmt_p
from core.vocab.methods import (
    DAYS_PER_MONTH,
    TIME_UNIT_DAYS,
    Endpoint,
    Origin,
    ResponseDomain,
    TimeUnit,
)

_E = BenchmarkEndpoint

TTE_ENDPOINTS: dict[BenchmarkEndpoint, Endpoint] = {
    **{b: a for a, b in APP_ENDPOINT.items()},
    _E.TTP: Endpoint.PFS_IMAGING,  # the cohort has no TTP; its PFS is set against it, with a warning
}
"""Registry time-to-event endpoints the cohort can measure, and the column that measures them."""

RESPONSE_RATES: dict[BenchmarkEndpoint, tuple[ResponseDomain, tuple[str, ...]]] = {
    _E.ORR: (ResponseDomain.IMAGING, ("CR", "PR")),
    _E.DCR: (ResponseDomain.IMAGING, ("CR", "PR", "SD")),
    _E.CR: (ResponseDomain.IMAGING, ("CR",)),
    _E.PR: (ResponseDomain.IMAGING, ("PR",)),
    _E.SD: (ResponseDomain.IMAGING, ("SD",)),
    _E.PD: (ResponseDomain.IMAGING, ("PD",)),
    _E.SYMPTOMATIC_RESPONSE: (ResponseDomain.SYMPTOMATIC, ("improved",)),
    _E.SYMPTOMATIC_CONTROL: (ResponseDomain.SYMPTOMATIC, ("improved", "stable")),
    _E.BIOCHEMICAL_RESPONSE: (ResponseDomain.BIOCHEMICAL, ("response",)),
    _E.BIOCHEMICAL_STABLE: (ResponseDomain.BIOCHEMICAL, ("stable",)),
    _E.BIOCHEMICAL_PROGRESSION: (ResponseDomain.BIOCHEMICAL, ("progression",)),
    _E.BIOCHEMICAL_CONTROL: (ResponseDomain.BIOCHEMICAL, ("response", "stable")),
}
"""Registry response endpoints the cohort can measure: domain and the codes that count.
Rates are over evaluable patients (codes other than NE, not missing), as in the registry."""

COHORT_ORIGIN: dict[TimeOrigin, Origin] = {
    TimeOrigin.RANDOMISATION: Origin.INDEX,
    TimeOrigin.TREATMENT_START: Origin.INDEX,
    TimeOrigin.DIAGNOSIS: Origin.DIAGNOSIS,
    TimeOrigin.METASTATIC_DIAGNOSIS: Origin.METASTATIC,
}
"""The cohort's clock closest to a benchmark's; other origins are compared from first treatment."""

APPROXIMATION = "approximation from published summary"
COHORT_KIND, BENCHMARK_KIND, USER_KIND = "this view", "registry", "user-added"


class NotComparable(ValueError):
    """The cohort cannot give the benchmark's measure (hazard ratio, endpoint not recorded)."""


def cohort_origin(origin: TimeOrigin) -> Origin:
    return COHORT_ORIGIN.get(origin, Origin.INDEX)


def not_comparable_reason(b: Benchmark) -> str | None:
    """Why the cohort view cannot be set against ``b`` at all, or None when it can."""
    if b.statistic is Statistic.HR:
        return (
            f"{b.id} is a hazard ratio between two trial arms; a single cohort has nothing to "
            "set against it."
        )
    if b.endpoint not in TTE_ENDPOINTS and b.endpoint not in RESPONSE_RATES:
        return f"{b.id}: the cohort data record no {b.endpoint.label.lower()}."
    return None


# --------------------------------------------------------------------------------------------
# The cohort view
# --------------------------------------------------------------------------------------------

_PMID = re.compile(r"\bPMID:?\s*(\d{1,9})\b", re.I)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s;,]+[^\s;,.)])")


def citation_ids(texts: Iterable[str]) -> str:
    """'PMID x; DOI y' from free-text cohort citations; '' unless one publication is named."""
    joined = " ".join(texts)
    pmids, dois = set(_PMID.findall(joined)), set(_DOI.findall(joined))
    if len(pmids) > 1 or len(dois) > 1 or not (pmids or dois):
        return ""
    return "; ".join([f"PMID {p}" for p in pmids] + [f"DOI {d}" for d in dois])


def cohort_view(
    filters: Filters,
    endpoint: Endpoint | BenchmarkEndpoint,
    origin: Origin = Origin.INDEX,
    path: Path | str | None = None,
) -> CohortView:
    """The selection as the comparability checks see it: sites, grades, agent, route, source
    (each column's distinct values in the order of their first patient, from one GROUP BY)."""
    present = queries.first_values(filters, ("primary_site", "grade", "agent", "route"), path)
    agents, routes = present["agent"], present["route"]
    wanted = set(filters.cohorts)
    texts = [c.citation for c in list_cohorts(path) if not wanted or c.cohort_id in wanted]
    return CohortView(
        endpoint=endpoint,
        time_origin=origin,
        primary_sites=present["primary_site"],
        grades=present["grade"],
        agent=agents[0] if len(agents) == 1 else None,
        route=routes[0] if len(routes) == 1 else None,
        citation=citation_ids(texts),
    )


# --------------------------------------------------------------------------------------------
# The view's own figure for a benchmark's measure
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """What a benchmark reports, as the cohort can measure it (hashable: a cache key)."""

    endpoint: BenchmarkEndpoint
    statistic: Statistic
    origin: Origin | None = None
    landmark_months: float | None = None
    left_truncation: bool = True
    """Delayed entry at first treatment (the Survival page's default); off on the published
    basis of a figure counted from diagnosis (:data:`PUBLISHED_BASIS`)."""

    @property
    def cohort_endpoint(self) -> Endpoint | None:
        return TTE_ENDPOINTS.get(self.endpoint)

    @property
    def unit(self) -> str:
        return "months" if self.statistic is Statistic.MEDIAN else "%"

    def title(self) -> str:
        name = self.endpoint.label.split(" (")[0]
        if self.cohort_endpoint is None:
            return f"{name}, % of evaluable patients"
        basis = "" if self.left_truncation else f" ({NO_DELAYED_ENTRY})"
        if self.statistic is Statistic.MEDIAN:
            return f"{name} from {self.origin.label.lower()}{basis}: median, months"
        return (
            f"{name} from {self.origin.label.lower()}{basis} at {self.landmark_months:g} months, %"
        )


NO_DELAYED_ENTRY = "no delayed entry, as published"
PUBLISHED_BASIS = (
    "A published survival figure counted from diagnosis in a series of treated patients counts "
    "every patient from diagnosis (no delayed entry: the time before treatment, when no "
    "patient of the series could die, is counted at risk). The view's figure for it is "
    "computed on the same basis, with delayed entry off."
)
"""Why figures from diagnosis are compared without delayed entry (the registry records no
left truncation, and the series in it report none)."""


def published_left_truncation(origin: TimeOrigin) -> bool:
    """Whether a benchmark measured from ``origin`` counts patients at risk only from their
    first treatment: no for a clock before treatment (diagnosis, metastatic diagnosis)."""
    return cohort_origin(origin) is Origin.INDEX


def basis_warning(b: Benchmark, spec: SurvivalSpec) -> str:
    """The difference of basis between a from-diagnosis curve and ``b`` ('' when none):
    the view's curve uses delayed entry, the published figure does not."""
    org = cohort_origin(b.time_origin)
    if org is Origin.INDEX or org is not spec.origin or not spec.left_truncation:
        return ""
    return (
        f"{short_study(b.study)}: the published figure counts every patient from "
        f"{org.label.lower()} (no delayed entry); this curve lets patients enter at their "
        "first treatment (delayed entry), which gives lower survival. Compare on the "
        "published basis: turn delayed entry off, or see the Benchmarks page, which does."
    )


def measure_of(b: Benchmark) -> Measure | None:
    """The measure behind a benchmark, or None for figures without one (HR, mean, other)."""
    if not_comparable_reason(b) or b.statistic not in (Statistic.MEDIAN, Statistic.RATE):
        return None
    if not b.is_time_to_event:
        return Measure(b.endpoint, Statistic.RATE)
    return Measure(
        b.endpoint,
        b.statistic,
        cohort_origin(b.time_origin),
        b.landmark_months,
        published_left_truncation(b.time_origin),
    )


@dataclass(frozen=True, slots=True)
class CohortMeasure:
    """The view's figure as this viewer may see it: value and 95% CI (months or %), patients
    and events/responders.

    ``value``/``lower``/``upper`` are None when not estimable or withheld (``withheld`` then
    says why); ``n``/``count`` are None when withheld, and ``n_text``/``count_text`` are the
    counts as they may be printed ('<11', 'withheld'). ``refusal`` non-empty: the selection may
    not be shown at all (query-set-size restriction) and nothing else is filled in.
    """

    value: float | None
    lower: float | None
    upper: float | None
    n: int | None
    count: int | None
    description: str
    disclosure: Disclosure = EXEMPT
    n_text: str = ""
    count_text: str = ""
    withheld: str = ""
    refusal: str = ""
    notices: tuple[str, ...] = ()
    filters: Filters | None = None
    """The filters the figure was computed with (protected mode: age on 5-year bands)."""

    def text(self, unit: str) -> str:
        if self.refusal:
            return self.refusal
        if self.n == 0:
            return "no data"
        if self.withheld:
            return f"withheld ({self.withheld})"
        if self.value is None and unit == "%":
            return "not estimable (follow-up ends before the landmark)"
        if self.value is None:
            low = fmt_num(self.lower)
            return "not reached" + (f" (95% CI {low}-NR)" if self.lower is not None else "")
        u = " months" if unit == "months" else "%"
        ci = f"{fmt_num(self.lower, 1, 'NR')}-{fmt_num(self.upper, 1, 'NR')}"
        return f"{fmt_num(self.value)}{u} (95% CI {ci})"


@dataclass(frozen=True, slots=True)
class _Exact:
    """The view's figure on the exact rows, before disclosure (never leaves this module)."""

    value: float | None
    lower: float | None
    upper: float | None
    n: int
    count: int
    n_selected: int
    events_to_landmark: int | None = None
    """Time-to-event landmark rates: events up to the landmark (1 - S gives them back)."""
    at_risk: int | None = None
    """Time-to-event landmark rates: patients still at risk at the landmark."""
    left_known: int = 0
    """Time-to-event: selected patients left out (no usable origin, the landmark) with a time
    and status; their events, ``left_events``, are counted by the same view from the index
    date (the left-out rule on events)."""
    left_events: int = 0


def _months(days: float | None) -> float | None:
    return None if days is None else days / DAYS_PER_MONTH


def _spec(m: Measure, endpoint: Endpoint, origin: Origin) -> SurvivalSpec:
    times = (m.landmark_months,) if m.landmark_months else ()
    return SurvivalSpec(
        endpoint=endpoint,
        origin=origin,
        times_months=times,
        rmst_months=None,
        left_truncation=m.left_truncation or origin is Origin.INDEX,
    )


def _survival_counts(rows: pd.DataFrame):
    """The rows of :func:`patient_arrays` as the survival engine aggregates them (delayed
    entries counted only where entry > 0)."""
    t = rows["t"].to_numpy(dtype=float)
    ev = rows["ev"].to_numpy(dtype=np.int64)
    en = rows["en"].to_numpy(dtype=float)
    exits = pd.DataFrame({"t": t, "d": ev, "c": 1 - ev, "e": 0})
    delayed = en > 0
    entries = pd.DataFrame({"t": en[delayed], "d": 0, "c": 0, "e": 1})
    return counts_from_frame(pd.concat([exits, entries], ignore_index=True))


def _exact_measure(
    view: View, m: Measure, endpoint: Endpoint | None, origin: Origin | None, path
) -> tuple[_Exact, str, pd.DataFrame | None]:
    """The exact figure, its description template and (time-to-event) the patient rows."""
    f = view.filters
    if m.cohort_endpoint is None:
        domain, codes = RESPONSE_RATES[m.endpoint]
        spec = RESPONSE_DOMAINS[domain]
        values = queries.patients_frame(f, [spec.column], path)[spec.column].astype(object)
        evaluable = values.isin(spec.codes)
        x, n = int(values.isin(codes).sum()), int(evaluable.sum())
        p = proportion(x, n)
        what = f"{domain.label}: {' + '.join(codes)} of {{n}} evaluable patients"
        return _Exact(p.pct, p.lower, p.upper, n, x, view.n_selected), what, None
    ep = endpoint or m.cohort_endpoint
    org = origin or m.origin or Origin.INDEX
    sspec = _spec(m, ep, org)
    rows, tallies = patient_rows(f, sspec, path)
    left = dict(zip(("left_known", "left_events"), left_out_events(tallies), strict=True))
    stat = "median" if m.statistic is Statistic.MEDIAN else f"at {m.landmark_months:g} months"
    basis = f", {NO_DELAYED_ENTRY}" if not sspec.left_truncation else ""
    what = f"{ep.label} from {org.label.lower()}{basis}, {stat} (Kaplan-Meier)"
    if rows.empty:
        return _Exact(None, None, None, 0, 0, view.n_selected), what, rows
    counts = _survival_counts(rows)
    km = kaplan_meier(counts, conf_type=sspec.conf_type)
    n, events = int(counts.n), int(counts.events)
    if m.statistic is Statistic.MEDIAN:
        q = next(q for q in km_quantiles(km) if q.p == 0.5)
        est = (_months(q.estimate), _months(q.lower), _months(q.upper))
        return _Exact(*est, n, events, view.n_selected, **left), what, rows
    horizon = m.landmark_months * DAYS_PER_MONTH
    at = survival_at(km, [horizon])[0]
    by_landmark = int(rows["ev"][rows["t"] <= horizon].sum())

    def pct(x: float | None) -> float | None:
        return None if x is None else 100.0 * x

    vals = (None, None, None) if at.surv is None else (pct(at.surv), pct(at.lower), pct(at.upper))
    exact = _Exact(*vals, n, events, view.n_selected, by_landmark, int(at.n_risk), **left)
    return exact, what, rows


def _protect_measure(e: _Exact, m: Measure, what: str, view: View) -> CohortMeasure:
    """Disclosure of the view's figure: the one place it is decided for this analysis."""
    d, notices, filters = view.disclosure, view.notices, view.filters
    if not d.active:
        return CohortMeasure(
            e.value,
            e.lower,
            e.upper,
            e.n,
            e.count,
            what.format(n=e.n),
            d,
            str(e.n),
            str(e.count),
            notices=notices,
            filters=filters,
        )
    t = d.threshold
    # patients with data (or evaluable) against those without, within the shown selection
    n_hidden = suppressed_cells([e.n, e.n_selected - e.n], d)[0]
    # events (responders) against those without: either small gives the other back from n
    count_hidden = any(suppressed_cells([e.count, e.n - e.count], d))
    # the left-out rule on events: the count beside the same view's from the index date (or
    # without the landmark) would give the events among the left out
    count_hidden |= left_out_small(d, 0, e.left_known, e.left_events)
    n_text = "withheld" if n_hidden and not d.hidden(e.n) else d.show(e.n)
    count_text = f"<{t}" if count_hidden else str(e.count)
    reason = ""
    value, lower, upper = e.value, e.lower, e.upper
    if m.cohort_endpoint is None:
        if n_hidden or count_hidden:
            reason = f"the rate would give back a count below {t}"
    elif m.statistic is Statistic.MEDIAN:
        value, lower, upper = (_round_months(x) for x in (e.value, e.lower, e.upper))
        if d.hidden(e.n):
            reason = f"fewer than {t} patients with data"
    elif e.value is not None:
        if (e.at_risk or 0) < t:
            reason = f"fewer than {t} at risk at the landmark"
        elif n_hidden or d.hidden(e.events_to_landmark or 0):
            reason = f"the survival at the landmark would give back a count below {t}"
    if reason:
        value = lower = upper = None
    return CohortMeasure(
        value,
        lower,
        upper,
        None if n_hidden else e.n,
        None if count_hidden else e.count,
        what.format(n="a withheld number of" if n_text == "withheld" else n_text),
        d,
        n_text,
        count_text,
        reason,
        notices=notices,
        filters=filters,
    )


def _round_months(months: float | None) -> float | None:
    """Protected mode: a median (or its CI bound) to whole months."""
    if months is None:
        return None
    return round_median_months(months * DAYS_PER_MONTH) / DAYS_PER_MONTH


def _refused(view: View, what: str) -> CohortMeasure:
    return CohortMeasure(
        None,
        None,
        None,
        None,
        None,
        what,
        view.disclosure,
        "withheld",
        "withheld",
        view.refusal,
        view.refusal,
        view.notices,
        view.filters,
    )


def cohort_measure(
    filters: Filters,
    measure: Measure,
    path: Path | str | None = None,
    *,
    endpoint: Endpoint | None = None,
    origin: Origin | None = None,
    mode: Mode = Mode.PROTECTED,
) -> CohortMeasure:
    """The view's Kaplan-Meier median / survival at the landmark, or its response rate.

    Computed on the exact rows, then disclosed for ``mode`` (see the module docstring).
    ``endpoint``/``origin`` override the cohort endpoint and clock matched to the measure.
    """
    view = open_view(filters, mode, path)
    if view.refused:
        return _refused(view, measure.title())
    exact, what, _ = _exact_measure(view, measure, endpoint, origin, path)
    return _protect_measure(exact, measure, what, view)


# --------------------------------------------------------------------------------------------
# Benchmark curves and comparisons
# --------------------------------------------------------------------------------------------


def benchmark_curve(b: Benchmark, pool: Iterable[Benchmark] = ()) -> ParametricCurve:
    """The benchmark's curve in months: a Weibull through the median and the arm's landmark
    rate when the registry has both (exponential when that Weibull is implausible), else an
    exponential. Raises ``ValueError`` when no curve can be drawn (NR median, mean, HR)."""
    partner = find_landmark_partner(b, pool)
    if partner is not None:
        try:
            return curve_for_benchmark(b, partner)
        except ValueError:
            pass
    return curve_for_benchmark(b)


@dataclass(frozen=True)
class ViewComparison:
    """A :class:`Comparison` with the view's own figure and the clock it was measured on.

    ``comparison`` holds only what the viewer may see: its test is None when withheld
    (``withheld`` says why) and its cohort value follows :attr:`cohort`. ``comparison`` is
    None when the selection is refused (``refusal``).
    """

    comparison: Comparison | None
    cohort: CohortMeasure
    endpoint: Endpoint | None
    origin: Origin | None
    disclosure: Disclosure = EXEMPT
    withheld: str = ""
    """Why the test is not shown under disclosure control ('' when it is)."""
    refusal: str = ""
    notices: tuple[str, ...] = ()

    def test_text(self) -> str:
        """The test in one paragraph, or why it is not shown."""
        if self.refusal:
            return self.refusal
        if self.withheld:
            return f"Test not shown under disclosure control: {self.withheld}."
        return describe_test(self.comparison)

    def json(self) -> dict[str, Any]:
        """The JSON of ``compare``: the comparison plus the view's counts and the disclosure."""
        d = self.disclosure.json()
        if self.refusal:
            return {"refusal": self.refusal, "notices": list(self.notices), "disclosure": d}
        out = self.comparison.to_json_dict()
        out["cohort"] = {
            "n": self.cohort.n_text,
            "count": self.cohort.count_text,
            "description": self.cohort.description,
            "withheld": self.cohort.withheld or None,
        }
        out["test_withheld"] = self.withheld or None
        out["notices"] = list(self.notices)
        out["disclosure"] = d
        return out


def _test_withheld(own: CohortMeasure, d: Disclosure, rate: bool) -> str:
    """Why no test figure may be shown ('' when they may): O with E gives O/E, its CI, the
    chi-square and p back, and so O; x of n gives the rate, its CI and p back."""
    if not d.active:
        return ""
    t = d.threshold
    if own.count is None:
        what = "responders or non-responders" if rate else "events or patients without one"
        return f"it would give back a count below {t} ({what})"
    if rate and own.n is None:
        return f"it would give back a count below {t} (evaluable or non-evaluable patients)"
    return ""


def compare(
    filters: Filters,
    b: Benchmark,
    *,
    endpoint: Endpoint | None = None,
    origin: Origin | None = None,
    pool: Sequence[Benchmark] = (),
    path: Path | str | None = None,
    mode: Mode = Mode.PROTECTED,
) -> ViewComparison:
    """Test the view against one benchmark; raise :class:`NotComparable` when impossible.

    Time-to-event: the view's endpoint and clock match the benchmark's unless overridden; the
    one-sample log-rank test runs against :func:`benchmark_curve` (``pool`` supplies the
    landmark partner). Response rates: exact binomial test on the evaluable patients. The
    statistics use the exact rows in every mode; the result is disclosed for ``mode``.
    """
    reason = not_comparable_reason(b)
    if reason:
        raise NotComparable(reason)
    # a mean has no cohort counterpart: the view's median is shown, the value is not compared
    m = measure_of(b) or Measure(
        b.endpoint,
        Statistic.MEDIAN,
        cohort_origin(b.time_origin),
        left_truncation=published_left_truncation(b.time_origin),
    )
    if m.cohort_endpoint is None and (endpoint is not None or origin is not None):
        raise NotComparable(
            f"{b.id} is a response rate: the endpoint and origin options apply only to "
            "time-to-event benchmarks."
        )
    view = open_view(filters, mode, path)
    d = view.disclosure
    if view.refused:
        return ViewComparison(
            None, _refused(view, m.title()), None, None, d, "", view.refusal, view.notices
        )
    if m.cohort_endpoint is None:
        exact, what, _ = _exact_measure(view, m, None, None, path)
        if exact.n == 0:
            raise NotComparable(f"no patient in the view is evaluable for {b.endpoint.label}.")
        own = _protect_measure(exact, m, what, view)
        cview = checked_view(view, b.endpoint, Origin.INDEX, path)
        result = compare_rate(b, exact.count, exact.n, view=cview)
        return _disclosed(result, own, None, None, view)
    ep, org = endpoint or m.cohort_endpoint, origin or m.origin or Origin.INDEX
    exact, what, rows = _exact_measure(view, m, ep, org, path)
    if exact.n == 0:
        raise NotComparable(f"no patient in the view has {ep.label.lower()} data from this origin.")
    own = _protect_measure(exact, m, what, view)
    entry = rows["en"].to_numpy() if (rows["en"] > 0).any() else None
    try:
        curve = benchmark_curve(b, pool)
    except ValueError:
        curve = None  # the warnings say why (not reached, mean)
    value = exact.value if b.statistic is not Statistic.MEAN else None
    result = compare_time_to_event(
        b,
        rows["t"].to_numpy(),
        rows["ev"].to_numpy(),
        entry=entry,
        view=checked_view(view, ep, org, path),
        cohort_value=value,
        cohort_ci=None if value is None else (exact.lower, exact.upper),
        curve=curve,
    )
    return _disclosed(result, own, ep, org, view)


def _disclosed(
    result: Comparison,
    own: CohortMeasure,
    ep: Endpoint | None,
    org: Origin | None,
    view: View,
) -> ViewComparison:
    """The comparison as the viewer may see it: the cohort figure as disclosed in ``own``,
    the test only when it gives no count below the threshold back."""
    d = view.disclosure
    if not d.active:
        return ViewComparison(result, own, ep, org, d, "", "", view.notices)
    rate = isinstance(result.test, RateTest)
    withheld = _test_withheld(own, d, rate) if result.test is not None else ""
    shown_value = own.value if result.cohort_value is not None else None
    shown = replace(
        result,
        cohort_value=shown_value,
        cohort_ci=None if shown_value is None else (own.lower, own.upper),
        test=None if withheld else result.test,
    )
    return ViewComparison(shown, own, ep, org, d, withheld, "", view.notices)


def describe_test(c: Comparison) -> str:
    """The test in one paragraph, with its method and (for survival) the curve construction."""
    t = c.test
    if isinstance(t, OneSampleTest):
        lo, hi = fmt_num(t.ratio_lower, 2), fmt_num(t.ratio_upper, 2)
        return (
            f"One-sample log-rank test against the benchmark curve: O = {t.observed} observed "
            f"events, E = {t.expected:.1f} expected; O/E = {t.ratio:.2f} (95% CI {lo}-{hi}, "
            f"exact Poisson); chi-square = {t.statistic:.2f}, {fmt_p(t.p)} (exact Poisson "
            f"{fmt_p(t.p_exact)}). Benchmark curve: {c.curve.construction}"
        )
    if isinstance(t, RateTest):
        return (
            f"Exact binomial test: {t.x} of {t.n} evaluable patients ({100 * t.rate:.1f}%, "
            f"95% CI {100 * t.ci[0]:.1f}-{100 * t.ci[1]:.1f}%, Clopper-Pearson) against the "
            f"benchmark's {100 * t.p0:g}%; {fmt_p(t.p)}."
        )
    return "No test: no benchmark curve can be built from this figure (see the warnings)."


def checked_view(
    view: View,
    endpoint: Endpoint | BenchmarkEndpoint,
    origin: Origin = Origin.INDEX,
    path: Path | str | None = None,
) -> CohortView:
    """:func:`cohort_view` of an opened selection as the viewer may see it: under disclosure
    control a primary site or grade held by fewer than the threshold is left out (naming it
    in a warning would say that 1 to threshold-1 such patients are in view)."""
    cv = cohort_view(view.filters, endpoint, origin, path)
    d = view.disclosure
    if not d.active:
        return cv
    df = queries.patients_frame(view.filters, ["primary_site", "grade"], path)

    def enough(col: str, values: tuple[str, ...]) -> tuple[str, ...]:
        counts = df[col].dropna().astype(str).value_counts()
        return tuple(v for v in values if int(counts.get(v, 0)) >= d.threshold)

    return replace(
        cv,
        primary_sites=enough("primary_site", cv.primary_sites),
        grades=enough("grade", cv.grades),
    )


# --------------------------------------------------------------------------------------------
# Overlays for the Kaplan-Meier chart
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverlayCheck:
    """The comparability of one benchmark drawn over the Survival page's curve."""

    benchmark_id: str
    label: str
    warnings: tuple[Any, ...] = ()
    """:class:`core.literature.registry.ComparabilityWarning` objects."""
    basis: str = ""
    """The difference of basis (delayed entry) between the curve and the figure ('' if none)."""


def overlay_checks(
    filters: Filters,
    spec: SurvivalSpec,
    benchmark_ids: tuple[str, ...],
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> tuple[OverlayCheck, ...]:
    """The comparability warnings of each overlaid benchmark against the page's view (the
    Benchmarks page's checks), and the difference of basis when the curve uses delayed entry
    and the published figure does not. Empty for a refused selection."""
    if not benchmark_ids:
        return ()
    view = open_view(filters, mode, path)
    if view.refused:
        return ()
    pool = all_benchmarks(path)
    by_id = {b.id: b for b in pool}
    cview = checked_view(view, spec.endpoint, spec.origin, path)
    out = []
    for ident in benchmark_ids:
        b = by_id.get(ident)
        if b is None:
            continue
        warnings = tuple(comparability(b, cview))
        out.append(OverlayCheck(b.id, benchmark_label(b), warnings, basis_warning(b, spec)))
    return tuple(out)


def overlay_note(checks: Sequence[OverlayCheck]) -> str:
    """One line for the figure under the benchmarks' legend: the difference of basis, if any."""
    studies = [short_study(c.label.split(" · ")[0]) for c in checks if c.basis]
    if not studies:
        return ""
    return (
        f"Not on the same basis: {', '.join(dict.fromkeys(studies))} count every patient from "
        "diagnosis (no delayed entry); the curves above use delayed entry, which gives lower "
        "survival."
    )


def _figure_summary(b: Benchmark, pool: Iterable[Benchmark]) -> str:
    if b.statistic is Statistic.RATE:
        return f"{b.landmark_months:g}-month rate {b.value:g}%"
    partner = find_landmark_partner(b, pool)
    extra = f" + {partner.landmark_months:g}-month rate {partner.value:g}%" if partner else ""
    return f"median {b.value:g} months{extra}"


def overlay_options(
    endpoint: Endpoint, origin: Origin, benchmarks: Sequence[Benchmark] | None = None
) -> list[Benchmark]:
    """Benchmarks that can be drawn on a KM chart of ``endpoint`` from ``origin``: a stated
    clock matching the chart's, a median or landmark rate, not a post-baseline subgroup."""
    pool = load_benchmarks() if benchmarks is None else benchmarks
    out = []
    for b in pool:
        if TTE_ENDPOINTS.get(b.endpoint) is not endpoint or b.is_post_baseline_subgroup:
            continue
        if COHORT_ORIGIN.get(b.time_origin) is not origin:
            continue
        try:
            benchmark_curve(b, pool)
        except ValueError:
            continue
        out.append(b)
    return out


def overlay_frame(
    benchmark_ids: Iterable[str],
    unit: TimeUnit | str,
    *,
    benchmarks: Sequence[Benchmark] | None = None,
    max_time: float | None = None,
    points: int = 121,
) -> pd.DataFrame:
    """Benchmark curves for ``km_chart(overlays=...)``: columns label, time (in ``unit``), surv.

    Each label names the study, the arm, the figure(s) used and says the curve is an
    approximation from a published summary. ``max_time`` (in ``unit``, default 120 months)
    ends the curves. Raises ``ValueError`` for an unknown id or a figure without a curve.
    """
    unit = TimeUnit.parse(unit)
    pool = load_benchmarks() if benchmarks is None else list(benchmarks)
    by_id = {b.id: b for b in pool}
    per_month = DAYS_PER_MONTH / TIME_UNIT_DAYS[unit]
    horizon = 120.0 if max_time is None else max_time / per_month
    t = np.linspace(0.0, horizon, points)
    frames = []
    for ident in benchmark_ids:
        if ident not in by_id:
            raise ValueError(f"unknown benchmark id {ident!r}")
        b = by_id[ident]
        curve = benchmark_curve(b, pool)
        label = f"{b.study} · {b.arm} · {_figure_summary(b, pool)} ({APPROXIMATION})"
        frames.append(
            pd.DataFrame({"label": label, "time": t * per_month, "surv": curve.survival(t)})
        )
    if not frames:
        return pd.DataFrame(columns=["label", "time", "surv"])
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Tables and forest plots
# --------------------------------------------------------------------------------------------


def filter_benchmarks(
    benchmarks: Iterable[Benchmark],
    therapy: TherapyClass | str | None = None,
    endpoint: BenchmarkEndpoint | str | None = None,
) -> list[Benchmark]:
    th = None if therapy in (None, "all") else TherapyClass.parse(therapy)
    ep = None if endpoint in (None, "all") else BenchmarkEndpoint.parse(endpoint)
    return [
        b
        for b in benchmarks
        if (th is None or b.therapy_class is th) and (ep is None or b.endpoint is ep)
    ]


def citation_note(b: Benchmark) -> str:
    """The citation as text, saying which parts were recalled rather than seen."""
    conf = b.confidence()
    recalled = [k for k, v in conf.items() if v is CitationConfidence.RECALLED]
    note = f" ({', '.join(recalled)} recalled, not seen: check before use)" if recalled else ""
    if b.user_added:
        note += " (entered by a user, not checked)"
    return b.citation + note


def _figure_text(b: Benchmark) -> str:
    text = f"{b.statistic.label.split(' (')[0]} {b.value_text()}"
    return text + (f" at {b.landmark_months:g} months" if b.landmark_months else "")


def table_frame(benchmarks: Iterable[Benchmark]) -> pd.DataFrame:
    """One row per benchmark; ``Link`` is a PubMed or doi.org URL seen in a public source
    (None when every identifier was only recalled), ``Added`` says registry or user-added."""
    rows = []
    for b in benchmarks:
        links = b.links()
        rows.append(
            {
                "ID": b.id,
                "Study": b.study,
                "Arm": b.arm,
                "Therapy": b.therapy_class.label,
                "n": b.n,
                "Endpoint": b.endpoint.label,
                "Origin": b.time_origin.label,
                "Figure": _figure_text(b),
                "Citation": citation_note(b),
                "Link": links[0] if links else None,
                "Added": USER_KIND if b.user_added else BENCHMARK_KIND,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "ID",
            "Study",
            "Arm",
            "Therapy",
            "n",
            "Endpoint",
            "Origin",
            "Figure",
            "Citation",
            "Link",
            "Added",
        ],
    )
    frame["n"] = frame["n"].astype("Int64")
    return frame


@dataclass(frozen=True)
class ForestGroup:
    measure: Measure
    benchmarks: tuple[Benchmark, ...]


def forest_groups(benchmarks: Iterable[Benchmark]) -> list[ForestGroup]:
    """Benchmarks with a plottable value, grouped by measure (statistic, clock, landmark);
    medians first. Hazard ratios, means and not-reached medians are left out."""
    groups: dict[Measure, list[Benchmark]] = {}
    for b in benchmarks:
        m = measure_of(b)
        if m is not None and b.value is not None:
            groups.setdefault(m, []).append(b)
    order = sorted(
        groups,
        key=lambda m: (
            m.statistic is not Statistic.MEDIAN,
            list(Origin).index(m.origin) if m.origin else 0,
            m.landmark_months or 0.0,
        ),
    )
    return [ForestGroup(m, tuple(groups[m])) for m in order]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_AUTHOR_YEAR = re.compile(r"\(([^()]*\b(?:19|20)\d\d)\)\s*$")
_SUBGROUP = re.compile(r"^subgroup by [^:]*:\s*", re.I)


def short_study(study: str, limit: int = 34) -> str:
    """A long study name shortened to its '(Author Year)', e.g. 'Kane 2018'."""
    if len(study) <= limit:
        return study
    m = _AUTHOR_YEAR.search(study)
    return m.group(1) if m else _short(study, limit)


CLOCK_NOTE = {
    TimeOrigin.NOT_STATED: ", clock not stated",
    TimeOrigin.LAST_TREATMENT: ", from last treatment",
    TimeOrigin.OTHER: ", clock: see note",
}
"""Forest-plot label notes for benchmarks whose clock is not one the view can match."""


def cohort_label(filters: Filters, own: CohortMeasure, unit: str) -> str:
    """The view's row on a forest plot; says so when it has no value to draw."""
    label = f"▶ This view: {(own.filters or filters).describe(own.n_text)}"
    return label if own.value is not None else f"{label} ({own.text(unit)})"


POPULATION_FLAG = "other population"


def population_flags(
    filters: Filters,
    benchmark_ids: tuple[str, ...],
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> tuple[tuple[str, str], ...]:
    """(benchmark id, flag) for each benchmark whose population left out primary sites the
    view holds (e.g. pancreatic-only trials beside a small-bowel selection): the flag names
    the benchmark's sites. Sites come from the selection as the viewer may see it
    (:func:`checked_view`); nothing for a refused selection."""
    view = open_view(filters, mode, path)
    if view.refused or not benchmark_ids:
        return ()
    by_id = {b.id: b for b in all_benchmarks(path)}
    cview = checked_view(view, BenchmarkEndpoint.OS, Origin.INDEX, path)
    out = []
    for ident in benchmark_ids:
        b = by_id.get(ident)
        if b is None or not b.population_sites:
            continue
        if any(
            w.code.value == "population-sites" and w.severity.value != "info"
            for w in comparability(b, cview)
        ):
            sites = ", ".join(s.label.lower() for s in b.population_sites)
            out.append((ident, f"{POPULATION_FLAG}: {sites}"))
    return tuple(out)


def forest_frame(
    group: ForestGroup,
    own: CohortMeasure,
    label: str,
    flags: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Rows for :func:`core.present.charts.forest_chart`: the view first, then benchmarks by value.
    Labels carry n; a benchmark whose clock is not the view's says so, and one whose population
    differs from the view's (``flags``: id -> flag, :func:`population_flags`) is marked '⚠'
    with the flag (column ``population``). Column ``id`` holds the benchmark's id."""
    flags = flags or {}
    rows = [
        {
            "label": label,
            "value": own.value,
            "lower": own.lower,
            "upper": own.upper,
            "kind": COHORT_KIND,
            "id": "",
            "population": "",
        }
    ]
    seen: set[str] = {label}
    for b in sorted(group.benchmarks, key=lambda b: -(b.value or 0.0)):
        clock = CLOCK_NOTE.get(b.time_origin, "") if b.is_time_to_event else ""
        n = b.n if b.n is not None else "?"
        text = (
            f"(n={n}{clock}) {short_study(b.study)} · {_short(_SUBGROUP.sub('subgroup: ', b.arm))}"
        )
        if b.user_added:
            text += " [user-added]"
        flag = flags.get(b.id, "")
        if flag:
            text = f"⚠ {text} [{flag}]"
        if text in seen:
            text += f" [{b.id}]"
        seen.add(text)
        rows.append(
            {
                "label": text,
                "value": b.value,
                "lower": b.ci_lower,
                "upper": b.ci_upper,
                "kind": USER_KIND if b.user_added else BENCHMARK_KIND,
                "id": b.id,
                "population": flag,
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("value", "lower", "upper"):
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    return frame


# --------------------------------------------------------------------------------------------
# User-added benchmarks
# --------------------------------------------------------------------------------------------


def _cell(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


def user_benchmarks(path: Path | str | None = None) -> list[Benchmark]:
    """Figures added by users, oldest first; empty when none was ever added."""
    df = comparison_sql.user_benchmark_frame(path)
    if df.empty:
        return []
    df = df.astype(object).where(df.notna(), "")
    df["user_added"] = "true"
    return benchmarks_from_frame(df)


def all_benchmarks(path: Path | str | None = None) -> list[Benchmark]:
    """The registry followed by the user-added figures stored in the database."""
    return [*load_benchmarks(), *user_benchmarks(path)]


def add_user_benchmark(
    fields: Mapping[str, Any], path: Path | str | None = None
) -> tuple[Benchmark | None, list[str]]:
    """Validate a user's figure (:func:`validate_user_benchmark`) and store it.

    Returns ``(benchmark, [])`` once written (its id made unique with a numeric suffix), or
    ``(None, errors)`` without writing anything.
    """
    bench, errors = validate_user_benchmark(fields)
    if errors or bench is None:
        return None, errors
    record = {c: _cell(v) for c, v in bench.to_record().items() if c in COLUMNS}
    ident = comparison_sql.insert_user_benchmark(record, {b.id for b in load_benchmarks()}, path)
    return replace(bench, id=ident), []


def benchmark_label(b: Benchmark) -> str:
    """One line naming a figure, for choosers: study · arm · endpoint and figure."""
    tag = " [user-added]" if b.user_added else ""
    return f"{b.study} · {_short(b.arm, 40)} · {b.endpoint.value.upper()} {_figure_text(b)}{tag}"


def forest_methods(group: ForestGroup, own: CohortMeasure) -> str:
    """The methods sentence of a forest plot's caption."""
    ci = "log-log 95% CI" if group.measure.cohort_endpoint else "Clopper-Pearson 95% CI"
    stamp = own.disclosure.stamp()
    return (
        f"this view: {own.description}, {ci}; benchmarks: published figures with the 95% CI "
        "they report (no bar where none was reported); months are days / 30.4375"
        + (f"; {stamp}" if stamp else "")
    )


def forest_export_frame(parts: Sequence[tuple[Measure, pd.DataFrame]]) -> pd.DataFrame:
    """The forest plots' rows as one numeric CSV table: measure, row, kind, benchmark id,
    estimate, lower, upper (95% CI), unit, population flag. The view's row is as disclosed
    (its label carries the count as it may be shown)."""
    frames = []
    for m, frame in parts:
        f = frame.rename(columns={"label": "row", "value": "estimate"})
        f = f.assign(measure=m.title(), unit=m.unit)
        cols = ["measure", "row", "kind", "id", "estimate", "lower", "upper", "unit", "population"]
        frames.append(f[[c for c in cols if c in f.columns]])
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def comparison_export_frame(vc: ViewComparison, b: Benchmark) -> pd.DataFrame:
    """The comparison box as one numeric CSV row: the view's figure (as disclosed) and the
    benchmark's, the test (empty when withheld) and the number of warnings."""
    if vc.refusal or vc.comparison is None:
        return pd.DataFrame()
    own, c, t = vc.cohort, vc.comparison, vc.comparison.test
    row: dict[str, Any] = {
        "benchmark_id": b.id,
        "study": b.study,
        "measure": own.description,
        "view_n": own.n_text,
        "view_estimate": own.value,
        "view_lower": own.lower,
        "view_upper": own.upper,
        "benchmark_estimate": b.value,
        "benchmark_lower": b.ci_lower,
        "benchmark_upper": b.ci_upper,
        "unit": b.unit.value,
        "test": None,
        "statistic": None,
        "p": None,
        "warnings": len(c.warnings),
    }
    if isinstance(t, OneSampleTest):
        row |= {"test": "one-sample log-rank", "statistic": t.statistic, "p": t.p}
    elif isinstance(t, RateTest):
        row |= {"test": "exact binomial", "statistic": None, "p": t.p}
    return pd.DataFrame([row])
