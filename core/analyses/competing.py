"""Competing risks of death: spec -> query -> statistics -> disclosure -> result.

Overall survival from the first treatment (the index date), split by cause of death
(``death_cause``: NET-related, other, unknown). :func:`analyse` opens the selection for the
viewer (:func:`core.analyses.view.open_view`), has DuckDB count patients per (group, day,
status, cause) (:mod:`core.data.competing_sql`), computes per group and cause the
Aalen-Johansen cumulative incidence with its variance and CI, Gray's test between the groups
and the Fine-Gray subdistribution hazard ratios (:mod:`core.stats.competing`, equal to R's
``cmprsk``), and then applies the disclosure.

Conventions (as the Survival page where they apply): a death with no recorded cause counts as
``unknown``; a cause recorded for a living patient is ignored (the patient is censored). Patients
with a missing grouping value form the labelled group :data:`MISSING`, shown but left out of the
tests and models (as R drops NA); patients without an OS time or status are left out and counted.
Only the index origin, without landmark, is supported: ``cmprsk`` has no delayed entry.

Disclosure (protected mode, real data in view): small groups are suppressed with a
complementary one, as the Survival page does; within a shown group, a cause with 1 to 10 deaths
is hidden together with a complementary cause (the group's deaths are shown on the Survival
page, so one hidden cause would be their difference) and gets no curve; Gray's test and the
Fine-Gray model of a cause with a hidden cell are withheld, never recomputed without it. Curves
are drawn on whole months from the exact estimate and stop where fewer than the threshold are
at risk; the risk table's numbers after time 0 are rounded up to a multiple of 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from core.analyses.disclosure import (
    EXEMPT,
    Disclosure,
    Mode,
    left_out_refusal,
    round_at_risk,
    suppressed_cells,
    whole_month_grid,
)
from core.analyses.survival import (
    GROUPINGS,
    MISSING,
    NOT_ASSESSED,
    SUPPRESSED_MESSAGE,
    SurvivalSpec,
    _decode_group,
    _ordered,
    _py,
    cohort_warnings,
)
from core.analyses.view import open_view
from core.data.competing_sql import competing_rows
from core.data.filters import Filters
from core.stats.competing import (
    CI_METHOD,
    CIFAt,
    CIFCurve,
    FineGrayResult,
    GrayTest,
    cumulative_incidence,
    fine_gray,
    gray_test,
    risk_table,
)
from core.vocab.methods import DAYS_PER_MONTH, Endpoint, Origin
from core.vocab.schema import PATIENTS

CAUSE_FIELD = PATIENTS["death_cause"]
CAUSES: tuple[str, ...] = CAUSE_FIELD.codes
"""Cause codes in display order; the statistics use 1, 2, 3 in this order."""
UNKNOWN = "unknown"

METHODS = {
    "cif": "Aalen-Johansen cumulative incidence (R: cmprsk::cuminc; survival::survfit multi-state)",
    "variance": "Gray's (1988) variance as cmprsk::cuminc",
    "ci": f"pointwise 95% CI, {CI_METHOD}",
    "test": "Gray's test (rho = 0; R: cmprsk::cuminc(...)$Tests)",
    "model": "Fine-Gray subdistribution hazard ratio, robust SE, Wald CI (R: cmprsk::crr)",
}
"""Every method the view uses, named for captions, JSON and CSV provenance."""


def cause_label(code: str) -> str:
    return CAUSE_FIELD.label_of(code)


@dataclass(frozen=True, slots=True)
class CompetingSpec:
    """What defines a cumulative-incidence view besides the patient filter."""

    by: str | None = None
    times_months: tuple[float, ...] = (12.0, 24.0, 36.0, 60.0)
    times_in_days: tuple[float, ...] | None = None
    """Requested times exactly as given in days (overrides ``times_months``)."""
    include_not_assessed: bool = True
    endpoint: Endpoint = Endpoint.OS
    origin: Origin = Origin.INDEX
    landmark_months: float | None = None

    @property
    def times_days(self) -> np.ndarray:
        if self.times_in_days is not None:
            return np.asarray(self.times_in_days, dtype=float)
        return np.asarray(self.times_months, dtype=float) * DAYS_PER_MONTH

    @classmethod
    def from_survival(cls, spec: SurvivalSpec) -> CompetingSpec:
        """The Survival page's choices carried over (unsupported ones are refused later)."""
        return cls(
            by=spec.by,
            times_months=tuple(spec.times_months),
            times_in_days=spec.times_in_days,
            include_not_assessed=spec.include_not_assessed,
            endpoint=spec.endpoint,
            origin=spec.origin,
            landmark_months=spec.landmark_months,
        )

    def unsupported(self) -> str:
        """Why this view cannot be drawn ('' when it can)."""
        if self.endpoint is not Endpoint.OS:
            return (
                "Cumulative incidence by cause of death is computed for overall survival only "
                f"(not {self.endpoint.label.lower()}): choose the overall survival endpoint."
            )
        if self.origin is not Origin.INDEX:
            return (
                "Cumulative incidence is computed from the first radionuclide treatment only: "
                "from a diagnosis origin patients enter late (delayed entry), which cmprsk's "
                "cuminc and crr do not handle. Choose the first-treatment origin."
            )
        if self.landmark_months is not None:
            return (
                "Cumulative incidence has no landmark option: turn off the landmark analysis "
                "to see it."
            )
        if self.by and self.by not in GROUPINGS:
            return f"Unknown grouping {self.by!r}."
        return ""


@dataclass(frozen=True, eq=False)
class CauseDisplay:
    """What a chart draws for one cause in one group (times in days)."""

    time: np.ndarray
    cif: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    whole_months: bool = False

    def __post_init__(self) -> None:
        for name in ("time", "cif", "lower", "upper"):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            a.setflags(write=False)
            object.__setattr__(self, name, a)


@dataclass(frozen=True)
class CauseResult:
    cause: str
    label: str
    events: int
    curve: CIFCurve | None
    """The exact estimate; None when withheld."""
    at: tuple[CIFAt, ...] = ()
    display: CauseDisplay | None = None
    suppressed: bool = False


@dataclass(frozen=True, slots=True)
class RiskCell:
    """One time of a group's risk table, as shown (None: withheld)."""

    time: float
    at_risk: int
    events: tuple[tuple[str, int | None], ...]
    censored: int


@dataclass(frozen=True)
class CompetingGroup:
    label: str
    n: int
    causes: tuple[CauseResult, ...] = ()
    risk: tuple[RiskCell, ...] = ()
    suppressed: bool = False
    in_tests: bool = True
    message: str = ""

    @property
    def deaths(self) -> int:
        return sum(c.events for c in self.causes)

    def cause(self, code: str) -> CauseResult | None:
        return next((c for c in self.causes if c.cause == code), None)


@dataclass(frozen=True)
class CompetingAnalysis:
    """A cumulative-incidence view (R: ``cmprsk::cuminc``, ``cmprsk::crr``)."""

    spec: CompetingSpec
    filters: Filters
    groups: tuple[CompetingGroup, ...] = ()
    causes: tuple[str, ...] = ()
    """Causes with at least one death among the analysed patients (cuminc's causes)."""
    tests: tuple[tuple[str, GrayTest | None, str], ...] = ()
    """(cause, Gray's test or None, why not) between the groups in tests."""
    fine_gray: tuple[tuple[str, FineGrayResult | None, str], ...] = ()
    """(cause, Fine-Gray model or None, why not)."""
    n_selected: int = 0
    n_missing: int = 0
    n_unknown_cause: int = 0
    """Deaths without a recorded cause (counted as unknown; exact)."""
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    notices: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def n_analysed(self) -> int:
        return sum(g.n for g in self.groups)

    @property
    def n_shown(self) -> str:
        return self.disclosure.show(self.n_analysed)

    def describe(self) -> str:
        return self.filters.describe(None if self.refused else self.n_shown)

    def cell(self, value: int | None, suppressed: bool = False) -> int | str:
        """A count for a table: exact when exempt, else '<11' / 'suppressed'."""
        if value is None or (suppressed and self.disclosure.active):
            return "suppressed"
        if not self.disclosure.active:
            return int(value)
        return self.disclosure.show(value)

    def test(self, cause: str) -> tuple[GrayTest | None, str]:
        return next(((t, why) for c, t, why in self.tests if c == cause), (None, ""))

    def model(self, cause: str) -> tuple[FineGrayResult | None, str]:
        return next(((m, why) for c, m, why in self.fine_gray if c == cause), (None, ""))


# ------------------------------------------------------------------ rows
@dataclass(frozen=True)
class _Rows:
    label: np.ndarray
    time: np.ndarray
    status: np.ndarray
    weight: np.ndarray


def _rows(raw: dict, spec: CompetingSpec) -> tuple[_Rows, dict]:
    """Decode the aggregate: group labels, status 0 or cause 1..3, counts; tally the missing."""
    n = np.asarray(np.ma.getdata(raw["n"]), dtype=np.int64)
    t_mask = np.ma.getmaskarray(raw["t"])
    e_mask = np.ma.getmaskarray(raw["ev"])
    t = np.ma.getdata(raw["t"]).astype(np.float64)
    ev = np.ma.getdata(raw["ev"]).astype(np.int64)
    c_mask = np.ma.getmaskarray(raw["c"])
    c = np.ma.getdata(raw["c"]).astype(np.int64)
    valid = ~t_mask & ~e_mask & (t >= 0)
    dead = valid & (ev == 1)
    unknown_code = CAUSES.index(UNKNOWN) + 1
    status = np.where(dead, np.where(c_mask, unknown_code, c + 1), 0)
    tallies = {
        "n_sel": int(n.sum()),
        "n_missing": int(n[~valid].sum()),
        "n_unknown_cause": int(n[dead & c_mask].sum()),
    }
    g_raw = raw["g"]
    g_mask = np.ma.getmaskarray(g_raw)
    g_vals = np.ma.getdata(g_raw)
    labeler = GROUPINGS[spec.by].labels if spec.by else (lambda _v: "All")
    cache: dict[object, str] = {}
    labels = np.empty(n.size, dtype=object)
    for i in range(n.size):
        key = None if g_mask[i] else _py(g_vals[i])
        if key not in cache:
            cache[key] = labeler(_py(_decode_group(spec, key)))
        labels[i] = cache[key]
    keep = valid
    return _Rows(labels[keep], t[keep], status[keep], n[keep]), tallies


def decoded_rows(
    filters: Filters, spec: CompetingSpec, path: Path | str | None = None
) -> tuple[_Rows, dict]:
    """The selection's (group, time, status, count) rows and tallies, exact (for the analysis
    and the R data set; the caller has opened the view)."""
    grouping = GROUPINGS[spec.by] if spec.by else None
    column = grouping.column if grouping else None
    raw = competing_rows(filters, "os_days", "os_event", "death_cause", column, path)
    return _rows(raw, spec)


# ------------------------------------------------------------------ disclosure helpers
def _shown_risk(rows, d: Disclosure, hidden: set[str]) -> tuple[RiskCell, ...]:
    out = []
    for r in rows:
        events = tuple((CAUSES[k - 1], None if CAUSES[k - 1] in hidden else n) for k, n in r.events)
        if d.active:
            events = tuple((c, None if n is None else round_at_risk(n)) for c, n in events)
            at = round_at_risk(r.at_risk) if r.time > 0 else r.at_risk
            out.append(RiskCell(r.time, at, events, round_at_risk(r.censored)))
        else:
            out.append(RiskCell(r.time, r.at_risk, events, r.censored))
    return tuple(out)


def _exact_display(curve: CIFCurve) -> CauseDisplay:
    t = np.concatenate(([0.0], curve.time, [curve.last_time]))
    f = np.concatenate(([0.0], curve.est, [curve.est[-1] if curve.est.size else 0.0]))
    lo = np.concatenate(([np.nan], curve.lower, [curve.lower[-1] if curve.lower.size else np.nan]))
    hi = np.concatenate(([np.nan], curve.upper, [curve.upper[-1] if curve.upper.size else np.nan]))
    return CauseDisplay(t, f, lo, hi)


def _protected_display(curve: CIFCurve, times: np.ndarray, d: Disclosure) -> CauseDisplay:
    """The exact estimate at whole months while at least the threshold are at risk."""
    grid = whole_month_grid(curve.last_time)
    at_risk = np.array([(times >= m).sum() for m in grid]) if grid.size else np.zeros(0)
    ok = at_risk >= d.threshold
    stop = int(np.argmin(ok)) if not ok.all() else grid.size
    grid = grid[:stop]
    vals = curve.at(grid)

    def num(x: float | None) -> float:
        return np.nan if x is None else float(x)

    return CauseDisplay(
        grid,
        [num(v.cif) for v in vals],
        [num(v.lower) for v in vals],
        [num(v.upper) for v in vals],
        whole_months=True,
    )


def _protected_at(at: Sequence[CIFAt], n_risk: Sequence[int], d: Disclosure) -> tuple:
    return tuple(
        a if n >= d.threshold else replace(a, cif=None, var=None, lower=None, upper=None)
        for a, n in zip(at, n_risk, strict=True)
    )


# ------------------------------------------------------------------ the analysis
def analyse(
    filters: Filters,
    spec: CompetingSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> CompetingAnalysis:
    """Cumulative incidence per cause and group, Gray's tests and Fine-Gray models, as shown.

    Spec -> query -> statistics -> disclosure (see the module docstring). A refused selection,
    or an unsupported endpoint, origin or landmark, gives a result with ``refusal`` and no
    groups.
    """
    view = open_view(filters, mode, path, count=False)
    d = view.disclosure
    base = CompetingAnalysis(spec, view.filters, disclosure=d, notices=view.notices)
    if view.refused:
        return replace(base, refusal=view.refusal)
    if why := spec.unsupported():
        return replace(base, refusal=why)
    rows, tallies = decoded_rows(view.filters, spec, path)
    if d.active and 0 < tallies["n_missing"] < d.threshold:
        return replace(base, refusal=left_out_refusal(d), n_selected=tallies["n_sel"])
    present = [k + 1 for k in range(len(CAUSES)) if rows.weight[rows.status == k + 1].sum() > 0]
    labels = [g for g in _ordered(set(rows.label.tolist()), _as_survival(spec))]
    sizes = {g: int(rows.weight[rows.label == g].sum()) for g in labels}
    labels = [g for g in labels if sizes[g] > 0]
    hide_group = (
        suppressed_cells([sizes[g] for g in labels], d, total_shown=True)
        if d.active
        else [False] * len(labels)
    )
    times = spec.times_days
    groups: list[CompetingGroup] = []
    hidden_cells: dict[str, set[str]] = {}
    for g, hide in zip(labels, hide_group, strict=True):
        sel = rows.label == g
        t, s, w = rows.time[sel], rows.status[sel], rows.weight[sel]
        in_tests = g != MISSING
        if hide:
            groups.append(
                CompetingGroup(
                    g, sizes[g], suppressed=True, in_tests=in_tests, message=SUPPRESSED_MESSAGE
                )  # fmt: skip
            )
            continue
        events = [int(w[s == k].sum()) for k in present]
        hidden: set[str] = set()
        if d.active:
            mask = suppressed_cells(events, d, total_shown=True)
            hidden = {CAUSES[k - 1] for k, h in zip(present, mask, strict=True) if h}
        hidden_cells[g] = hidden
        table_times = np.concatenate(([0.0], times))
        risk = risk_table(t, s, present, table_times, w)
        n_risk_at = [r.at_risk for r in risk[1:]]
        per_cause = []
        for k, n_ev in zip(present, events, strict=True):
            code = CAUSES[k - 1]
            curve = cumulative_incidence(t, s, k, w)
            if code in hidden:
                per_cause.append(CauseResult(code, cause_label(code), n_ev, None, suppressed=True))
                continue
            at = curve.at(times)
            if d.active:
                at = _protected_at(at, n_risk_at, d)
                exp_t = np.repeat(t, w.astype(np.int64))
                display = _protected_display(curve, exp_t, d)
            else:
                display = _exact_display(curve)
            per_cause.append(CauseResult(code, cause_label(code), n_ev, curve, at, display))
        groups.append(
            CompetingGroup(
                g,
                sizes[g],
                tuple(per_cause),
                _shown_risk(risk, d, hidden),
                in_tests=in_tests,
                message="" if sizes[g] > 1 else "One patient only.",
            )
        )
    tests, models = _tests(rows, groups, present, hidden_cells)
    warnings = _warnings(view.filters, spec, groups, tests, path)
    return replace(
        base,
        groups=tuple(groups),
        causes=tuple(CAUSES[k - 1] for k in present),
        tests=tests,
        fine_gray=models,
        n_selected=tallies["n_sel"],
        n_missing=tallies["n_missing"],
        n_unknown_cause=tallies["n_unknown_cause"],
        warnings=tuple(warnings),
    )


def _as_survival(spec: CompetingSpec) -> SurvivalSpec:
    return SurvivalSpec(by=spec.by, include_not_assessed=spec.include_not_assessed)


def _tests(rows: _Rows, groups, present, hidden_cells):
    usable = [g for g in groups if not g.suppressed and g.in_tests]
    names = [g.label for g in usable]
    sel = np.isin(rows.label, names) if names else np.zeros(rows.label.size, dtype=bool)
    t, s, w, lab = rows.time[sel], rows.status[sel], rows.weight[sel], rows.label[sel]
    tests, models = [], []
    for k in present:
        code = CAUSES[k - 1]
        if len(usable) < 2:
            why = "fewer than two groups to compare"
            tests.append((code, None, why))
            models.append((code, None, why))
            continue
        if any(code in hidden_cells.get(g, set()) for g in names):
            why = "withheld under disclosure control (a group with few deaths of this cause)"
            tests.append((code, None, why))
            models.append((code, None, why))
            continue
        if not (s == k).any():
            tests.append((code, None, "no death of this cause in the groups compared"))
            models.append((code, None, "no death of this cause in the groups compared"))
            continue
        try:
            tests.append((code, gray_test(t, s, lab, k, w), ""))
        except (ValueError, np.linalg.LinAlgError) as exc:
            tests.append((code, None, f"not computed: {exc}"))
        ref = names[0]
        without = [g for g in names if not (s[lab == g] == k).any()]
        if without:
            models.append(
                (code, None, "not estimable: no death of this cause in " + ", ".join(without))
            )
            continue
        try:
            m = fine_gray(t, s, lab, k, w, reference=ref)
            models.append((code, m, "" if m.converged else "did not converge"))
        except (ValueError, np.linalg.LinAlgError) as exc:
            models.append((code, None, f"not estimable: {exc}"))
    return tuple(tests), tuple(models)


def _warnings(filters, spec, groups, tests, path) -> list[str]:
    from core.analyses.cohorts import unreported
    from core.data.db import list_cohorts

    out: list[str] = []
    grouping = GROUPINGS[spec.by] if spec.by else None
    if grouping and grouping.post_baseline:
        out.append(
            "Grouping by a post-baseline status is immortal-time biased (a patient must "
            "survive to be assessed or retreated), and this view has no landmark option."
        )
    wanted = set(filters.cohorts)
    infos = [c for c in list_cohorts(path) if not wanted or c.cohort_id in wanted]
    for kind, ids in unreported("death_cause", infos).items():
        if kind == "synthetic":
            out.append(
                "Causes of death are synthetic (illustrative, not reported) in "
                + ", ".join(ids)
                + ": the split by cause is not evidence."
            )
    if any(g.suppressed for g in groups) and any(t is not None for _c, t, _w in tests):
        out.append("Under disclosure control the tests compare the groups shown only.")
    if spec.by:
        out += cohort_warnings(filters, _as_survival(spec), path)
    return out


# ------------------------------------------------------------------ notes, tables, JSON
def notes(a: CompetingAnalysis) -> list[str]:
    """Who is not analysed, and how unrecorded causes count (counts under the disclosure)."""
    d = a.disclosure
    out = []
    if a.refused:
        return out
    if a.n_missing:
        out.append(
            f"{d.show(a.n_missing)} selected patients have no overall survival time or status "
            "and are not analysed."
        )
    if a.n_unknown_cause:
        out.append(
            f"{d.show(a.n_unknown_cause)} deaths have no recorded cause and count as "
            f"'{cause_label(UNKNOWN)}'."
        )
    missing = next((g for g in a.groups if not g.in_tests), None)
    if missing is not None:
        who = (
            "Patients with no recorded value (their number is withheld under disclosure control)"
            if missing.suppressed
            else f"{d.show(missing.n)} patients with no recorded value"
        )
        out.append(f"{who} are left out of the tests and models; their curves are labelled "
                   f"'{MISSING}'.")  # fmt: skip
    return out


def summary_rows(a: CompetingAnalysis, unit) -> list[dict]:
    """One row per group and cause: n, deaths, cumulative incidence (95% CI) at each time."""
    from core.vocab.formatting import fmt_num
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    rows = []
    for g in a.groups:
        for code in a.causes:
            c = g.cause(code)
            row = {
                "Group": g.label,
                "Cause of death": cause_label(code),
                "n": a.cell(g.n, g.suppressed),
                "Deaths of this cause": a.cell(
                    None if c is None and g.suppressed else (c.events if c else 0),
                    g.suppressed or (c is not None and c.suppressed),
                ),
            }
            for i, tm in enumerate(a.spec.times_days):
                key = f"At {tm / s:g} {unit.label}, % (95% CI)"
                v = c.at[i] if c is not None and c.at else None
                if v is None or v.cif is None:
                    row[key] = "–"
                else:
                    ci = (
                        f" ({fmt_num(100 * v.lower)}–{fmt_num(100 * v.upper)})"
                        if v.lower is not None and v.upper is not None
                        else ""
                    )
                    row[key] = f"{fmt_num(100 * v.cif)}{ci}"
            rows.append(row)
    return rows


def risk_rows(a: CompetingAnalysis, unit) -> list[dict]:
    """The risk table: at risk, cumulative deaths per cause and censored, per group and time."""
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    out = []
    for g in a.groups:
        if g.suppressed:
            continue
        for r in g.risk:
            row = {
                "Group": g.label,
                f"Time, {unit.label}": r.time / s,
                "At risk": a.cell(r.at_risk),
            }
            for code, n in r.events:
                row[f"Deaths: {cause_label(code)}"] = a.cell(n)
            row["Censored"] = a.cell(r.censored)
            out.append(row)
    return out


def comparison_rows(a: CompetingAnalysis) -> list[dict]:
    """Gray's test and the Fine-Gray hazard ratios, one row per cause and compared group."""
    out = []
    for code in a.causes:
        t, why_t = a.test(code)
        m, why_m = a.model(code)
        base = {"Cause of death": cause_label(code)}
        gray = (
            {
                "Gray chi-square": round(t.chi2, 3) if t.chi2 is not None else None,
                "df": t.df,
                "p (Gray)": t.p,
            }  # fmt: skip
            if t is not None
            else {"Gray chi-square": None, "df": None, "p (Gray)": None}
        )
        if m is None:
            out.append({**base, **gray, "Group": "", "Reference": "", "SHR": None,
                        "SHR 95% CI": "", "p (Wald)": None, "Note": why_m or why_t})  # fmt: skip
            continue
        for term in m.terms:
            out.append(
                {
                    **base,
                    **gray,
                    "Group": term.label,
                    "Reference": m.reference,
                    "SHR": term.hr,
                    "SHR 95% CI": f"{term.lower:.2f}–{term.upper:.2f}",
                    "p (Wald)": term.p,
                    "Note": why_m,
                }  # fmt: skip
            )
    return out


def to_json_dict(a: CompetingAnalysis, unit, cohort: str | None) -> dict:
    """The CLI's JSON: ``groups[].causes[<cause>].at[]`` (time, cif, ci), ``tests[<cause>]``
    (chi2, df, p), ``fine_gray[<cause>]``, the risk table, the methods and ``disclosure``."""
    from core.vocab.methods import TIME_UNIT_DAYS

    s = TIME_UNIT_DAYS[unit]
    groups = []
    for g in a.groups:
        causes = {}
        for code in a.causes:
            c = g.cause(code)
            if c is None:
                continue
            causes[code] = {
                "label": c.label,
                "deaths": a.cell(c.events, c.suppressed),
                "suppressed": c.suppressed,
                "at": [{"time": v.time / s, "cif": v.cif, "ci": [v.lower, v.upper]} for v in c.at],
            }
        groups.append(
            {
                "label": g.label,
                "n": a.cell(g.n, g.suppressed),
                "suppressed": g.suppressed,
                "in_tests": g.in_tests,
                "causes": causes,
                "risk_table": [
                    {
                        "time": r.time / s,
                        "at_risk": a.cell(r.at_risk),
                        "deaths": {code: a.cell(n) for code, n in r.events},
                        "censored": a.cell(r.censored),
                    }
                    for r in g.risk
                ],
            }
        )
    tests = {}
    for code, t, why in a.tests:
        tests[code] = (
            {"chi2": t.chi2, "df": t.df, "p": t.p, "note": None}
            if t is not None
            else {"chi2": None, "df": None, "p": None, "note": why}
        )
    models = {}
    for code, m, why in a.fine_gray:
        models[code] = {
            "reference": None if m is None else m.reference,
            "converged": None if m is None else m.converged,
            "terms": []
            if m is None
            else [
                {
                    "group": x.label,
                    "coef": x.coef,
                    "se": x.se,
                    "hr": x.hr,
                    "ci": [x.lower, x.upper],
                    "p": x.p,
                }  # fmt: skip
                for x in m.terms
            ],
            "note": why or None,
        }
    return {
        "cohort": cohort,
        "description": a.describe(),
        "endpoint": a.spec.endpoint.value,
        "origin": a.spec.origin.value,
        "time_unit": unit.value,
        "causes": {c: cause_label(c) for c in a.causes},
        "groups": groups,
        "tests": tests,
        "fine_gray": models,
        "methods": dict(METHODS),
        "notes": notes(a),
        "warnings": list(a.warnings),
        "notices": list(a.notices),
        "refusal": a.refusal or None,
        "disclosure": a.disclosure.json(),
    }


def max_time(a: CompetingAnalysis) -> float:
    """Largest time (days) a chart of the analysis draws."""
    return max(
        (
            float(c.display.time[-1])
            for g in a.groups
            for c in g.causes
            if c.display is not None and c.display.time.size
        ),
        default=0.0,
    )


__all__ = [
    "CAUSES",
    "METHODS",
    "NOT_ASSESSED",
    "CompetingAnalysis",
    "CompetingSpec",
    "analyse",
    "notes",
    "risk_rows",
    "summary_rows",
    "comparison_rows",
    "to_json_dict",
]
