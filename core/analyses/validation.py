"""Validation: each published figure of the seed papers against what the app computes.

The figures are data: ``data/validation_figures.csv`` lists each one (paper, place in the
paper, published value, tolerance, how it is computed) so that a clinician can audit them
against the papers. A small dispatcher reads the file: each row's ``measure`` names the
function that computes the app's value (:data:`MEASURES`) and its ``quantity`` the check
against the published value (:data:`CHECKS`).

One :class:`Row` per published figure: the cohort, the figure, where it is printed (seed file
and place), the published value, the value the app computes on the stored cohort, the
tolerance and whether it passes. The app's values come through the same code paths as its
pages: :func:`core.analyses.survival.analyse` (Survival page), :func:`core.stats.responses.response_table`
and :func:`core.stats.responses.adverse_event_table` (response and safety tables),
:func:`core.analyses.table1.table1` (Overview) and :mod:`core.data.queries`.

Tolerances (stated on every row): medians within 10% (relative); percentages within 2 points;
counts exact; p values on the published side of the printed threshold (and, for a printed
p value, within a factor of 2). A looser tolerance carries its reason in the row.

Conventions decided here (also shown on the Validation page):

* "Actual 5-year survival" (seed 002) is the Kaplan-Meier estimate at 60 months from the
  stated origin. From diagnosis and from metastatic disease it is computed with delayed
  entry OFF, i.e. counting every patient as at risk from the origin: the published 60% and
  50% can only be that naive figure, since the patients were selected by having lived to
  their first MIBG treatment (immortal time). With delayed entry on, the app estimates
  survival after treatment re-expressed from diagnosis, which cannot exceed the 27% from
  treatment by that much; the row shows that value too.
* "Survival advantage" in seed 001 is the difference, in percentage points, of the
  Kaplan-Meier survival 10 years (120 months) after diagnosis, delayed entry off as above:
  the abstract's "additional further survival advantage of 21% (41% greater than unselected
  NETs)" after "at least 20% better" only adds up (20 + 21 = 41) as points.
* Seed 004's "average time before relapse" is the mean (SD) of the time to symptomatic
  progression among the patients with benefit who relapsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.disclosure import Mode, disclosure_for_selection
from core.analyses.survival import (
    NOT_ASSESSED,
    SurvivalAnalysis,
    SurvivalSpec,
    analyse,
    patient_arrays,
)
from core.analyses.table1 import table1
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.data.queries import adverse_events_frame, patients_frame, treatments_frame
from core.stats.responses import adverse_event_table, response_table
from core.stats.survival import (
    LogRankResult,
    SurvivalCounts,
    counts_from_arrays,
    kaplan_meier,
    km_quantiles,
    logrank_test,
    survival_at,
)
from core.vocab.methods import DAYS_PER_MONTH, DAYS_PER_YEAR, Endpoint, Origin, ResponseDomain

MEDIAN_TOL = 0.10
"""Relative tolerance on a median."""
PCT_TOL = 2.0
"""Absolute tolerance on a percentage, in points."""

PGEP = "pgep-mibg-211"
STAGE4 = "stage4-unselected-50"
NGUYEN = "nguyen-2004"
IA = "ia-hepatic-6"

SYNTHETIC_NOTE = (
    "A synthetic calibrated cohort is a set of invented patients whose stored characteristics "
    "and outcomes were generated, with fixed seeds, so that the app's own computations "
    "reproduce the figures a paper published. It is not the study's patient data: anything "
    "the paper did not report (individual patients, associations between fields, other "
    "subgroups) is a modelling choice and carries no evidence."
)


CONVENTIONS_MD = """\
- **Tolerances.** Medians within 10% of the published value; percentages within 2 points;
  counts exact; a published p-value threshold (p < 0.05 ...) must be met, and a printed p value
  matched within a factor of 2. A looser tolerance says why on its row.
- **Survival figures** are Kaplan-Meier estimates from the Survival page's code, with the
  page's groupings. Comparisons between responders and non-responders leave out the patients
  without an assessment (the page's "not assessed" switch off), as the paper did.
- **"Actual 5-year survival"** (seed 002) is the Kaplan-Meier estimate at 60 months. From
  diagnosis and from metastatic disease it is computed with **delayed entry off**: every
  patient counts as at risk from the origin, which is what the published 60% and 50% must be,
  since these patients were selected by living to their first MIBG treatment (immortal time).
  The row also shows the estimate with delayed entry at the first treatment.
- **Patients lost to follow-up** (seed 002) are the page's "Not assessed" group of each
  domain; "with follow-up" pools the assessed groups. For imaging, "Not assessed" includes the
  18 patients followed by mIBG scans only (no CT, so no RECIST response): 86 of 211, the
  Discussion's 41% missing imaging data.
- **Survival advantage** (seed 001) is the difference in percentage points between
  Kaplan-Meier survival 10 years after diagnosis (delayed entry off, as above): the
  abstract's "additional further survival advantage of 21% (41% greater than unselected
  NETs)" after "at least 20% better" adds up only as points (20 + 21 = 41).
- **Time before relapse** (seed 004) is the mean (SD) time to symptomatic progression of the
  14 patients with benefit, all of whom relapsed; benefit is coded as symptomatic
  "improved". The survival difference "during the first 15 months" is a log-rank test with
  every patient censored at 15 months.
- **The six published cases** (seed 000) are checked on what is stored; the poster's mean age
  (67.3 years) and the sex of patients 1-3 are not reported per patient and stay unknown.
- **Calibration.** The synthetic cohorts come from fixed-seed generators whose few constants
  were tuned so that these figures come out (`core/calibration.py`): overall survival is
  log-normal, and each status at the first follow-up is given to patients by survival rank.
"""


@dataclass(frozen=True, slots=True)
class Row:
    """One published figure against the app's value."""

    cohort: str
    figure: str
    source: str
    published: str
    computed: str
    tolerance: str
    ok: bool

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------ formatting helpers
def _m(x: float | None) -> str:
    return "not reached" if x is None else f"{x:.1f} months"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}%"


def _p(p: float) -> str:
    return f"p = {p:.2g}" if p >= 1e-4 else "p < 0.0001"


def median_row(
    cohort: str,
    figure: str,
    source: str,
    published_months: float,
    published_text: str,
    computed_days: float | None,
    extra: str = "",
    tol: float = MEDIAN_TOL,
) -> Row:
    """A median within ``tol`` (relative, 10%) of the published value (``computed_days`` None =
    not reached)."""
    got = None if computed_days is None else computed_days / DAYS_PER_MONTH
    lo, hi = published_months * (1 - tol), published_months * (1 + tol)
    ok = got is not None and lo <= got <= hi
    computed = _m(got) + ("" if got is None else f" ({got * DAYS_PER_MONTH / DAYS_PER_YEAR:.2f} y)")
    return Row(
        cohort,
        figure,
        source,
        published_text,
        computed + extra,
        f"±{100 * tol:g}% ({lo:.1f}–{hi:.1f} months)",
        ok,
    )


def pct_row(
    cohort: str,
    figure: str,
    source: str,
    published_pct: float,
    computed_pct: float | None,
    *,
    tol: float = PCT_TOL,
    reason: str = "",
    points: bool = False,
    extra: str = "",
) -> Row:
    """A percentage (or, with ``points``, a difference in percentage points) within ``tol``."""
    ok = computed_pct is not None and abs(computed_pct - published_pct) <= tol + 1e-9
    tol_text = f"±{tol:g} points" + (f" ({reason})" if reason else "")
    if points:
        published = f"{published_pct:g} points"
        computed = "–" if computed_pct is None else f"{computed_pct:.1f} points"
    else:
        published, computed = f"{published_pct:g}%", _pct(computed_pct)
    return Row(cohort, figure, source, published, computed + extra, tol_text, ok)


def count_row(
    cohort: str,
    figure: str,
    source: str,
    published: int | str,
    computed: int | str,
    published_text: str | None = None,
    computed_text: str | None = None,
) -> Row:
    return Row(
        cohort,
        figure,
        source,
        published_text or str(published),
        computed_text or str(computed),
        "exact",
        published == computed,
    )


def check_row(
    cohort: str, figure: str, source: str, published: str, computed: str, tol: str, ok: bool
) -> Row:
    return Row(cohort, figure, source, published, computed, tol, bool(ok))


# ------------------------------------------------------------------ survival helpers
def pool_counts(parts: Sequence[SurvivalCounts]) -> SurvivalCounts:
    """The counts of the union of several groups (events, censorings, entries add up)."""
    if not parts:
        raise ValueError("nothing to pool")
    t = np.unique(np.concatenate([p.time for p in parts]))
    d = np.zeros(t.size, dtype=np.int64)
    c = np.zeros(t.size, dtype=np.int64)
    e = np.zeros(t.size, dtype=np.int64)
    for p in parts:
        i = np.searchsorted(t, p.time)
        np.add.at(d, i, p.n_event)
        np.add.at(c, i, p.n_censor)
        np.add.at(e, i, p.n_enter)
    return SurvivalCounts(t, d, c, e)


def median_days(counts: SurvivalCounts) -> float | None:
    km = kaplan_meier(counts)
    return next(q for q in km_quantiles(km) if q.p == 0.5).estimate


def restricted_logrank(
    time_days: np.ndarray, event: np.ndarray, group: np.ndarray, horizon_days: float
) -> LogRankResult:
    """Log-rank test over the first ``horizon_days``: administrative censoring at the horizon."""
    t = np.asarray(time_days, dtype=float)
    ev = np.asarray(event).astype(bool) & (t <= horizon_days)
    t = np.minimum(t, horizon_days)
    g = np.asarray(group, dtype=object)
    labels = list(dict.fromkeys(g))
    return logrank_test([counts_from_arrays(t[g == lbl], ev[g == lbl]) for lbl in labels])


def _group(analysis: SurvivalAnalysis, label: str):
    return next(g for g in analysis.groups if g.label == label)


def _surv_at(analysis: SurvivalAnalysis, label: str = "All") -> float | None:
    s = _group(analysis, label).at[0].surv
    return None if s is None else 100.0 * s


@dataclass
class Context:
    """Where the figures are read from (``path`` None = the default database) and a memo of
    what several rows share (one survival analysis, response table or Table 1 per run)."""

    path: Path | str | None = None
    mode: Mode = Mode.PROTECTED
    _memo: dict = field(default_factory=dict, repr=False)

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def analyse(self, filters: Filters, spec: SurvivalSpec) -> SurvivalAnalysis:
        return self._cached(
            ("km", filters, spec), lambda: analyse(filters, spec, self.path, mode=self.mode)
        )

    def patients(self, filters: Filters) -> pd.DataFrame:
        return self._cached(("pt", filters), lambda: patients_frame(filters, path=self.path))

    def arrays(self, filters: Filters, spec: SurvivalSpec) -> pd.DataFrame:
        return patient_arrays(filters, spec, self.path)

    def treatments(self, filters: Filters) -> pd.DataFrame:
        return self._cached(("tx", filters), lambda: treatments_frame(filters, self.path))

    def adverse_events(self, filters: Filters) -> pd.DataFrame:
        return self._cached(("ae", filters), lambda: adverse_events_frame(filters, self.path))

    def responses(self, filters: Filters, domain: ResponseDomain, treated_only: bool = False):
        def make():
            df = self.patients(filters)
            if treated_only:
                df = df[df.agent.isin(TREATED)]
            return response_table(df, domain).overall

        return self._cached(("resp", filters, domain, treated_only), make)

    def table1(self, filters: Filters):
        return self._cached(("t1", filters), lambda: table1(self.patients(filters)))


# ------------------------------------------------------------------ the figures, as data
FIGURES_PATH = Path(__file__).resolve().parents[2] / "data" / "validation_figures.csv"
"""The published figures checked, one row each: a clinician can audit them against the papers."""

FIGURE_COLUMNS = (
    "id",
    "cohort",
    "paper",
    "source",
    "figure",
    "quantity",
    "published",
    "published_text",
    "tolerance",
    "tolerance_note",
    "measure",
    "params",
    "note",
)
"""Columns of :data:`FIGURES_PATH`. ``figure`` may name computed fields in braces ({n});
``quantity`` says how ``published`` is compared (see :data:`CHECKS`); ``measure`` is the key
of the function that computes the app's value (see :data:`MEASURES`), with ``params``
(``key=value;key=value``)."""

TREATED = ("i131_mibg", "in111_pentetreotide")


@dataclass(frozen=True, slots=True)
class Figure:
    """One published figure as listed in :data:`FIGURES_PATH`."""

    id: str
    cohort: str
    paper: str
    source: str
    figure: str
    quantity: str
    published: str
    published_text: str
    tolerance: str
    tolerance_note: str
    measure: str
    params: str
    note: str

    def param(self, key: str, default: str | None = None) -> str:
        """One of ``params``; KeyError when missing and no default is given."""
        for item in self.params.split(";"):
            k, sep, v = item.partition("=")
            if sep and k.strip() == key:
                return v.strip()
        if default is None:
            raise KeyError(f"{self.id}: parameter {key!r} missing")
        return default

    def number(self) -> float:
        return float(self.published)

    def numbers(self) -> list[float]:
        return [float(x) for x in self.published.split(";")]


def load_figures(path: Path | str = FIGURES_PATH) -> list[Figure]:
    """The rows of the figures file, in file order (every cell as text)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in FIGURE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return [Figure(**{c: str(r[c]) for c in FIGURE_COLUMNS}) for _, r in df.iterrows()]


@dataclass(frozen=True, slots=True)
class Computed:
    """The app's value for one figure: ``value`` for the check, ``text`` to show it (empty:
    the check's default), ``extra`` appended to the shown value, ``fields`` for the figure."""

    value: Any
    text: str = ""
    extra: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)


Measure = Callable[[Context, Filters, Figure], Computed]


# ------------------------------------------------------------------ measures
def _spec(fig: Figure, **defaults: Any) -> SurvivalSpec:
    """A SurvivalSpec from a figure's params (endpoint, origin, by, landmark, delayed entry)."""
    months = fig.param("at_months", "")
    kw: dict[str, Any] = {
        "times_months": (float(months),) if months else (),
        "include_not_assessed": fig.param("not_assessed", "yes") == "yes",
    }
    if fig.param("endpoint", ""):
        kw["endpoint"] = Endpoint(fig.param("endpoint"))
    if fig.param("origin", ""):
        kw["origin"] = Origin(fig.param("origin"))
    if fig.param("by", ""):
        kw["by"] = fig.param("by")
    if fig.param("delayed_entry", ""):
        kw["left_truncation"] = fig.param("delayed_entry") == "yes"
    return SurvivalSpec(**{**defaults, **kw})


def _subset(f: Filters, fig: Figure) -> Filters:
    """The cohort narrowed by ``primary_site`` / ``grade`` params (comma-separated)."""
    kw = {k: tuple(fig.param(k).split(",")) for k in ("primary_site", "grade") if fig.param(k, "")}
    return replace(f, **kw) if kw else f


def _km_median(ctx: Context, f: Filters, fig: Figure) -> Computed:
    a = ctx.analyse(f, _spec(fig))
    g = _group(a, fig.param("group", "All")) if fig.param("by", "") else a.groups[0]
    return Computed(g.median.estimate, fields={"n": g.n})


def _km_median_assessed(ctx: Context, f: Filters, fig: Figure) -> Computed:
    a = ctx.analyse(f, _spec(fig))
    pooled = pool_counts([g.counts for g in a.groups if g.label != NOT_ASSESSED])
    return Computed(median_days(pooled), fields={"n": pooled.n})


def _km_survival_at(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """KM survival (%) at ``at_months``; with ``also_delayed=yes`` the row also shows the
    estimate with delayed entry."""
    value = _surv_at(ctx.analyse(_subset(f, fig), _spec(fig)))
    extra = ""
    if fig.param("also_delayed", "") == "yes":
        delayed = _surv_at(ctx.analyse(f, replace(_spec(fig), left_truncation=True)))
        extra = f" (with delayed entry at first MIBG: {_pct(delayed)})"
    return Computed(value, extra=extra)


def _km_difference(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Difference in points of KM survival at ``at_months`` between two subsets of the cohort
    (``minus`` and ``plus``: all, small_bowel, small_bowel_g1), with the three values."""
    subsets = {
        "all": f,
        "small_bowel": replace(f, primary_site=("small_bowel",)),
        "small_bowel_g1": replace(f, primary_site=("small_bowel",), grade=("G1",)),
    }
    s = {k: _surv_at(ctx.analyse(v, _spec(fig))) for k, v in subsets.items()}
    a, b = s[fig.param("plus")], s[fig.param("minus")]
    values = (
        f"(small bowel {_pct(s['small_bowel'])}, G1 small bowel {_pct(s['small_bowel_g1'])}, "
        f"all {_pct(s['all'])})"
    )
    return Computed(None if a is None or b is None else a - b, extra=f" {values}")


def _logrank_p(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(ctx.analyse(f, _spec(fig)).logrank.p)


def _logrank_not_assessed(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Log-rank of the 'Not assessed' group against the assessed groups pooled."""
    a = ctx.analyse(f, _spec(fig))
    na = _group(a, NOT_ASSESSED)
    pooled = pool_counts([g.counts for g in a.groups if g.label != NOT_ASSESSED])
    return Computed(logrank_test([na.counts, pooled]).p)


def _logrank_treated_restricted(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Treated against untreated, every patient censored at ``horizon_months``."""
    arr = ctx.arrays(f, SurvivalSpec(by="agent"))
    group = np.where(arr.g.to_numpy() == "None (untreated)", "untreated", "treated")
    horizon = float(fig.param("horizon_months")) * DAYS_PER_MONTH
    return Computed(restricted_logrank(arr.t.to_numpy(), arr.ev.to_numpy(), group, horizon).p)


def _analysed_n(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(ctx.analyse(f, _spec(fig)).groups[0].n)


def _censored_pct(ctx: Context, f: Filters, fig: Figure) -> Computed:
    g = ctx.analyse(f, _spec(fig)).groups[0]
    censored = g.n - g.events
    return Computed(100.0 * censored / g.n, extra=f" ({censored} of {g.n})")


def _domain(fig: Figure) -> ResponseDomain:
    return ResponseDomain(fig.param("domain"))


def _responses(ctx: Context, f: Filters, fig: Figure):
    return ctx.responses(f, _domain(fig), fig.param("treated_only", "no") == "yes")


def _response_evaluable(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(_responses(ctx, f, fig).n_evaluable)


def _response_not_evaluable(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(_responses(ctx, f, fig).n_not_evaluable)


def _response_count(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Patients with one response code; ``show=pct`` shows 'n (pct%)'."""
    p = _responses(ctx, f, fig).categories[fig.param("code")]
    text = f"{p.n} ({p.pct:.1f}%)" if fig.param("show", "") == "pct" else ""
    return Computed(p.n, text)


def _response_pct(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """% of evaluable patients with ``code`` (or a ``derived`` rate: orr, dcr); ``show=n``
    adds the count."""
    r = _responses(ctx, f, fig)
    p = r.derived[fig.param("derived")] if fig.param("derived", "") else None
    p = p or r.categories[fig.param("code")]
    extra = f" ({p.n})" if fig.param("show", "") == "n" else ""
    return Computed(p.pct, extra=extra, fields={"n": r.n_evaluable})


def _response_missing_pct(ctx: Context, f: Filters, fig: Figure) -> Computed:
    r = _responses(ctx, f, fig)
    extra = f" ({r.n_not_evaluable_or_missing} of {r.n})"
    return Computed(r.not_evaluable_or_missing.pct, extra=extra)


def _table1_count(ctx: Context, f: Filters, fig: Figure) -> Computed:
    cell = ctx.table1(f).cell(fig.param("key"))
    text = f"{cell.n}" + (f" ({cell.pct:.1f}%)" if cell.pct is not None else "")
    return Computed(cell.n, text if fig.param("show", "") == "pct" else "")


def _table1_mean_sd(ctx: Context, f: Filters, fig: Figure) -> Computed:
    c = ctx.table1(f).cell(fig.param("key"))
    return Computed((c.mean, c.sd), f"{c.mean:.2f} ({c.sd:.2f})")


def _table1_median_iqr(ctx: Context, f: Filters, fig: Figure) -> Computed:
    c = ctx.table1(f).cell(fig.param("key"))
    return Computed((c.median, c.q1, c.q3), f"{c.median:.0f} ({c.q1:.0f}–{c.q3:.0f})")


def _any_prior(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Patients with any of the ``columns`` (comma-separated prior-therapy flags)."""
    df = ctx.patients(f)
    hit = np.zeros(len(df), dtype=bool)
    for col in fig.param("columns").split(","):
        hit |= df[col].fillna(False).to_numpy(dtype=bool)
    n = int(hit.sum())
    return Computed(n, f"{n} ({100 * n / len(df):.1f}%)")


def _patients(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(len(ctx.patients(f)))


def _administrations(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(len(ctx.treatments(f)))


def _schedule(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Administrations per treated patient and their days."""
    # (filtered here, not with Filters(agent=...): treatments_frame's join makes "agent"
    # ambiguous in its WHERE clause)
    tx = ctx.treatments(f)
    tx = tx[tx.agent.isin(TREATED)]
    per = tx.groupby("patient_id").size()
    days = sorted(set(tx.day))
    text = f"{per.min()}–{per.max()} administrations; days {days}"
    return Computed((per.tolist(), days), text)


def _activities(ctx: Context, f: Filters, fig: Figure) -> Computed:
    acts = sorted(set(ctx.treatments(f).activity_mbq))
    return Computed(acts, ", ".join(f"{a / 1000:g} GBq" for a in acts))


def _cycles(ctx: Context, f: Filters, fig: Figure) -> Computed:
    n = ctx.patients(f).n_treatments
    return Computed(int(n.max()), f"{int(n.min())}–{int(n.max())}")


def _deaths(ctx: Context, f: Filters, fig: Figure) -> Computed:
    return Computed(ctx.analyse(f, SurvivalSpec(times_months=())).groups[0].events)


def _death_days(ctx: Context, f: Filters, fig: Figure) -> Computed:
    df = ctx.patients(f)
    days = sorted(int(d) for d in df[df.os_event == 1].os_days)
    return Computed(days, ", ".join(map(str, days)))


def _ae_grades(ctx: Context, f: Filters, fig: Figure) -> list[int]:
    ae = ctx.adverse_events(f)
    return sorted(int(g) for g in ae[ae.term == fig.param("term")].ctcae_grade)


def _ae_patients(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """Patients with the adverse event ``term`` (any grade); ``show=grades`` lists them."""
    table = {r.term: r for r in adverse_event_table(ctx.adverse_events(f), len(ctx.patients(f)))}
    row = table.get(fig.param("term"))
    n = row.any_grade.n if row else 0
    grades = ", ".join(map(str, _ae_grades(ctx, f, fig)))
    return Computed(n, f"{n} (grades {grades})" if fig.param("show", "") == "grades" else "")


def _ae_grade_list(ctx: Context, f: Filters, fig: Figure) -> Computed:
    grades = _ae_grades(ctx, f, fig)
    return Computed(grades, ", ".join(map(str, grades)))


def _sex_counts(ctx: Context, f: Filters, fig: Figure) -> Computed:
    sex = ctx.patients(f).sex.value_counts().to_dict()
    counts = {k: int(sex.get(k, 0)) for k in ("female", "male", "unknown")}
    text = f"{counts['female']} female, {counts['male']} male, {counts['unknown']} unknown"
    return Computed(counts, text)


def _benefit_relapse(ctx: Context, f: Filters, fig: Figure) -> pd.Series:
    df = ctx.patients(f)
    treated = df[df.agent.isin(TREATED)]
    ben = treated[(treated.symptomatic_response == "improved") & (treated.pfs_symptom_event == 1)]
    return ben.pfs_symptom_days.astype(float) / DAYS_PER_MONTH


def _relapse_mean(ctx: Context, f: Filters, fig: Figure) -> Computed:
    months = _benefit_relapse(ctx, f, fig)
    mean = float(months.mean())
    return Computed(mean, f"{mean:.2f}", fields={"n": len(months)})


def _relapse_sd(ctx: Context, f: Filters, fig: Figure) -> Computed:
    sd = float(_benefit_relapse(ctx, f, fig).std(ddof=1))
    return Computed(sd, f"{sd:.2f}")


def _survival_treated_vs_untreated(ctx: Context, f: Filters, fig: Figure) -> Computed:
    """KM survival at ``at_months`` of the treated (groups pooled) and of the untreated."""
    a = ctx.analyse(f, _spec(fig, by="agent"))
    untreated = {g.label: g.at[0].surv for g in a.groups}.get("None (untreated)")
    treated = pool_counts([g.counts for g in a.groups if g.label != "None (untreated)"])
    t = float(fig.param("at_months")) * DAYS_PER_MONTH
    s_t = survival_at(kaplan_meier(treated), [t])[0].surv
    text = f"treated {100 * s_t:.1f}%, untreated {100 * untreated:.1f}%"
    return Computed((s_t, untreated), text)


MEASURES: Mapping[str, Measure] = MappingProxyType(
    {
        "km_median": _km_median,
        "km_median_assessed_pooled": _km_median_assessed,
        "km_survival_at": _km_survival_at,
        "km_survival_difference": _km_difference,
        "logrank_p": _logrank_p,
        "logrank_not_assessed_vs_assessed": _logrank_not_assessed,
        "logrank_treated_vs_untreated_restricted": _logrank_treated_restricted,
        "analysed_n": _analysed_n,
        "censored_pct": _censored_pct,
        "response_evaluable": _response_evaluable,
        "response_not_evaluable": _response_not_evaluable,
        "response_count": _response_count,
        "response_pct": _response_pct,
        "response_missing_pct": _response_missing_pct,
        "table1_count": _table1_count,
        "table1_mean_sd": _table1_mean_sd,
        "table1_median_iqr": _table1_median_iqr,
        "any_prior_therapy": _any_prior,
        "patients": _patients,
        "administrations": _administrations,
        "administration_schedule": _schedule,
        "administered_activities": _activities,
        "cycles_per_patient": _cycles,
        "deaths": _deaths,
        "death_days": _death_days,
        "adverse_event_patients": _ae_patients,
        "adverse_event_grades": _ae_grade_list,
        "sex_counts": _sex_counts,
        "relapse_mean_months": _relapse_mean,
        "relapse_sd_months": _relapse_sd,
        "survival_treated_vs_untreated": _survival_treated_vs_untreated,
    }
)
"""How each figure is computed: the ``measure`` key of a row -> the function."""


# ------------------------------------------------------------------ checks
def _check_median(fig: Figure, c: Computed, name: str) -> Row:
    tol = float(fig.tolerance) / 100.0
    return median_row(
        fig.cohort, name, fig.source, fig.number(), fig.published_text, c.value, c.extra, tol
    )


def _check_percent(fig: Figure, c: Computed, name: str, points: bool = False) -> Row:
    return pct_row(
        fig.cohort,
        name,
        fig.source,
        fig.number(),
        c.value,
        tol=float(fig.tolerance),
        reason=fig.tolerance_note,
        points=points,
        extra=c.extra,
    )


def _check_count(fig: Figure, c: Computed, name: str) -> Row:
    return count_row(
        fig.cohort,
        name,
        fig.source,
        int(fig.published),
        c.value,
        fig.published_text or None,
        c.text or None,
    )


def _check_values(fig: Figure, c: Computed, name: str) -> Row:
    """A list of whole numbers, exactly (e.g. days to each death)."""
    published = [int(x) for x in fig.published.split(";")]
    return Row(
        fig.cohort, name, fig.source, fig.published_text, c.text, "exact", c.value == published
    )


def _check_p_below(fig: Figure, c: Computed, name: str) -> Row:
    p_max = fig.number()
    return check_row(
        fig.cohort,
        name,
        fig.source,
        fig.published_text,
        _p(c.value),
        f"below {p_max:g}",
        c.value < p_max,
    )


def _check_p_factor(fig: Figure, c: Computed, name: str) -> Row:
    p0, k = fig.number(), float(fig.tolerance)
    lo, hi = p0 / k, p0 * k
    tol = f"within a factor of {k:g} ({lo:.2g}–{hi:.2g})" + (
        f", {fig.tolerance_note}" if fig.tolerance_note else ""
    )
    return check_row(
        fig.cohort, name, fig.source, fig.published_text, _p(c.value), tol, lo <= c.value <= hi
    )


def _check_rounds_to(fig: Figure, c: Computed, name: str) -> Row:
    ok = [round(v) for v in c.value] == [round(x) for x in fig.numbers()]
    return check_row(
        fig.cohort, name, fig.source, fig.published_text, c.text, fig.tolerance_note, ok
    )


def _check_within(fig: Figure, c: Computed, name: str) -> Row:
    tol = float(fig.tolerance)
    ok = abs(c.value - fig.number()) <= tol
    text = f"±{tol:g} {fig.param('unit')}" + (
        f" ({fig.tolerance_note})" if fig.tolerance_note else ""
    )
    return check_row(fig.cohort, name, fig.source, fig.published_text, c.text, text, ok)


def _check_equal(fig: Figure, c: Computed, name: str) -> Row:
    """The computed numbers equal the published ones (a list, ``;``-separated)."""
    ok = [float(v) for v in np.ravel(c.value)] == fig.numbers()
    return check_row(fig.cohort, name, fig.source, fig.published_text, c.text, "exact", ok)


def _check_at_least(fig: Figure, c: Computed, name: str) -> Row:
    text = "–" if c.value is None else f"{c.value:.1f} points{c.extra}"
    ok = c.value is not None and c.value >= fig.number()
    return check_row(fig.cohort, name, fig.source, fig.published_text, text, fig.tolerance_note, ok)


def _check_at_most(fig: Figure, c: Computed, name: str) -> Row:
    ok = c.value <= fig.number()
    return check_row(
        fig.cohort, name, fig.source, fig.published_text, c.text, fig.tolerance_note, ok
    )


def _check_first_greater(fig: Figure, c: Computed, name: str) -> Row:
    a, b = c.value
    ok = a is not None and b is not None and a > b
    return check_row(
        fig.cohort, name, fig.source, fig.published_text, c.text, fig.tolerance_note, ok
    )


def _check_all_in(fig: Figure, c: Computed, name: str) -> Row:
    allowed = set(fig.numbers())
    ok = bool(c.value) and all(float(v) in allowed for v in c.value)
    return check_row(
        fig.cohort, name, fig.source, fig.published_text, c.text, fig.tolerance_note, ok
    )


def _check_schedule(fig: Figure, c: Computed, name: str) -> Row:
    """Every treated patient has ``published[0]`` administrations, on days ``published[1:]``."""
    per, days = c.value
    want = fig.numbers()
    ok = all(n == want[0] for n in per) and [float(d) for d in days] == want[1:]
    return check_row(fig.cohort, name, fig.source, fig.published_text, c.text, "exact", ok)


def _check_consistent_counts(fig: Figure, c: Computed, name: str) -> Row:
    """Stored counts contradict no published one: each at most the published count
    (``key=n;...``), and all stored values (unknown included) add up to the published total."""
    want = {k: int(v) for k, _, v in (i.partition("=") for i in fig.published.split(";"))}
    ok = all(c.value.get(k, 0) <= n for k, n in want.items())
    ok = ok and sum(c.value.values()) == sum(want.values())
    return check_row(
        fig.cohort, name, fig.source, fig.published_text, c.text, fig.tolerance_note, ok
    )


Check = Callable[[Figure, Computed, str], Row]

CHECKS: Mapping[str, Check] = MappingProxyType(
    {
        "median": _check_median,
        "percent": _check_percent,
        "points": lambda fig, c, name: _check_percent(fig, c, name, points=True),
        "count": _check_count,
        "values": _check_values,
        "p_below": _check_p_below,
        "p_within_factor": _check_p_factor,
        "rounds_to": _check_rounds_to,
        "within": _check_within,
        "equal": _check_equal,
        "at_least": _check_at_least,
        "at_most": _check_at_most,
        "first_greater": _check_first_greater,
        "all_in": _check_all_in,
        "schedule": _check_schedule,
        "consistent_counts": _check_consistent_counts,
    }
)
"""How a published value is compared: the ``quantity`` of a row -> the check."""


def check_figure(ctx: Context, fig: Figure) -> Row:
    """One row of the figures file: compute (``measure``) and compare (``quantity``)."""
    computed = MEASURES[fig.measure](ctx, Filters(cohorts=(fig.cohort,)), fig)
    name = fig.figure.format(**computed.fields) if computed.fields else fig.figure
    return CHECKS[fig.quantity](fig, computed, name)


# ------------------------------------------------------------------ entry points
def validate(
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
    figures: Sequence[Figure] | None = None,
) -> list[Row]:
    """Every published figure of :data:`FIGURES_PATH` against the app's value.

    A default cohort missing from the database (deleted, or a database of imports only), or
    one whose rows no longer allow a figure to be computed, gives one failing row saying so
    instead of an exception. A cohort holding imported (real) data is not checked in protected
    mode (one row says so): the figures would show its counts.
    """
    figures = load_figures() if figures is None else figures
    ctx = Context(path, Mode(mode))
    present = {c.cohort_id for c in list_cohorts(path)}
    rows: list[Row] = []
    for cohort in dict.fromkeys(fig.cohort for fig in figures):
        if cohort not in present:
            rows.append(
                Row(
                    cohort,
                    "Cohort in the database",
                    "data/cohorts.json",
                    "present",
                    "missing",
                    "exact (rebuild with `python -m core build --force`)",
                    False,
                )
            )
            continue
        if disclosure_for_selection((cohort,), path, ctx.mode).active:
            rows.append(
                Row(
                    cohort,
                    "All figures of this cohort",
                    "–",
                    "a default (synthetic) cohort",
                    "withheld: the cohort holds imported data (disclosure control)",
                    "synthetic data",
                    False,
                )
            )
            continue
        try:
            rows.extend([check_figure(ctx, fig) for fig in figures if fig.cohort == cohort])
        except (KeyError, IndexError, StopIteration, ValueError, AttributeError, TypeError) as exc:
            rows.append(
                Row(
                    cohort,
                    "All figures of this cohort",
                    "–",
                    "computable",
                    f"error: {exc!r}",
                    "no error",
                    False,
                )
            )
    return rows


def summary(rows: Sequence[Row]) -> tuple[int, int]:
    """(passed, total)."""
    return sum(r.ok for r in rows), len(rows)


def to_frame(rows: Sequence[Row]) -> pd.DataFrame:
    return pd.DataFrame([r.to_dict() for r in rows])
