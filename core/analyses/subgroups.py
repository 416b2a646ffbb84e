"""Subgroup forest: one two-arm comparison's hazard ratio within each level of other fields.

A comparison is one categorical field split into two arms: the *comparison arm* (one or more
of its levels, e.g. route = IA, or treatments = Multiple) against the *reference arm* (other
chosen levels, or every other level). Within each level of each subgroup field (cohort, sex,
age band, primary site, grade, ...) the hazard ratio of the comparison arm comes from the
project's Cox engine (:mod:`core.stats.cox_subgroups`; R ``coxph(Surv(t, e) ~ trt)`` on the
subset, Efron ties), with n and events per arm, and per field the likelihood-ratio test of the
arm-by-subgroup interaction (R ``anova(coxph(~ trt + sub), coxph(~ trt * sub))``).

Time origins, delayed entry and the landmark are those of :mod:`core.analyses.cox` (the same
query and preparation). A patient whose arm is missing or in neither arm is not analysed; a
patient with a missing subgroup value is counted in the field's "Missing" row and left out of
its test.

Disclosure (docs/PRIVACY.md), decided here once by :func:`protect`. In protected mode with an
imported cohort in view: nothing is shown when the view is refused, when an arm holds fewer
than the threshold of patients, events or patients without an event, or when 1 .. threshold-1
selected patients (or their events) are left out of the analysis, or of one arm. Per
subgroup field, the
counts (patients, events and patients without an event, per level and arm, with the level
totals and the shown arm totals) are protected by primary and complementary suppression over
their additive lines (:func:`core.analyses.suppression.protect_lines`), with the Missing row
in the lines, so no hidden count follows from the overall minus the others; a level's total
is also a primary cell when it differs from the same level in the selection (Table 1) or in
the survival view (patients with follow-up, their events) by 1 .. threshold-1, and a level's
arm count when it differs from the selection's patients of that level and arm by 1 ..
threshold-1. No hazard
ratio for a level with any hidden arm count, and no interaction test for a field with any
hidden count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.analyses import cox as cx
from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.left_out import events_refusal, left_out_small
from core.analyses.suppression import Line, protect_lines
from core.analyses.view import open_view
from core.data.cox_sql import cox_arrays
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.stats.cox import AGG_COUNT, AGG_ENTRY, AGG_EVENTS, AGG_TIME
from core.stats.cox_subgroups import (
    InteractionTest,
    SubgroupHR,
    interaction_lr_test,
    subgroup_hr,
)
from core.stats.newcombe import METHOD as NEWCOMBE
from core.stats.newcombe import ProportionDifference, newcombe_difference
from core.stats.responses import NOT_EVALUABLE_CODE, RESPONSE_DOMAINS
from core.vocab.methods import Endpoint, Origin, ResponseDomain, Ties

SUPPRESSED = cx.SUPPRESSED
MISSING = "Missing"
ALL = "All patients"
AGE_BAND = "age_band"


def _age_band(v: object) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return "65 or older" if float(v) >= 65 else "Under 65"


FIELDS: dict[str, cx.Covariate] = {
    **{k: cx.COVARIATES[k] for k in cx.CATEGORICAL},
    AGE_BAND: cx.Covariate(
        AGE_BAND, "Age band", "age", labels=_age_band, order=("Under 65", "65 or older")
    ),
}
"""Subgroup fields (and comparison fields, but for the age band): the Cox page's categorical
covariates plus the age band (under 65, 65 or older)."""

DEFAULT_BY = (
    "cohort_id",
    "sex",
    AGE_BAND,
    "primary_site",
    "grade",
    "route",
    "prior_ssa",
    "met_liver",
)
"""Subgroup fields used when none are chosen (the comparison field is left out)."""


class SubgroupSpecError(ValueError):
    """The comparison or subgroups asked for are not valid."""


@dataclass(frozen=True, slots=True)
class SubgroupSpec:
    """A comparison (``compare`` field; ``levels`` against ``vs``, or against every other
    level when ``vs`` is empty) and the subgroup fields ``by`` (default :data:`DEFAULT_BY`).
    Levels are labels or stored codes, matched case-insensitively."""

    compare: str
    levels: tuple[str, ...]
    vs: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    endpoint: Endpoint = Endpoint.OS
    origin: Origin = Origin.INDEX
    ties: Ties = Ties.EFRON
    left_truncation: bool = True
    landmark_months: float | None = None

    def __post_init__(self) -> None:
        if self.compare not in cx.CATEGORICAL:
            raise SubgroupSpecError(
                f"unknown comparison field {self.compare!r}; allowed: {', '.join(cx.CATEGORICAL)}"
            )
        if not self.levels:
            raise SubgroupSpecError(f"name the level(s) of {self.compare} to compare")
        low = {v.strip().lower() for v in self.levels}
        if low & {v.strip().lower() for v in self.vs}:
            raise SubgroupSpecError("a level is in both arms of the comparison")
        unknown = [b for b in self.by if b not in FIELDS]
        if unknown:
            raise SubgroupSpecError(
                f"unknown subgroup field(s) {', '.join(map(repr, unknown))}; allowed: "
                + ", ".join(FIELDS)
            )
        if self.compare in self.by:
            raise SubgroupSpecError(f"{self.compare!r} is the comparison, not a subgroup field")
        if len(set(self.by)) != len(self.by):
            raise SubgroupSpecError("a subgroup field is listed twice")
        object.__setattr__(self, "endpoint", Endpoint.parse(self.endpoint))
        object.__setattr__(self, "origin", Origin.parse(self.origin))
        object.__setattr__(self, "ties", Ties.parse(self.ties))
        self.cox_spec()  # validates the landmark and the rest as the Cox page does

    @property
    def fields(self) -> tuple[str, ...]:
        return self.by or tuple(b for b in DEFAULT_BY if b != self.compare)

    def cox_spec(self) -> cx.CoxSpec:
        """The Cox page's spec over the same columns: the query and preparation are shared."""
        covs = (self.compare, *("age" if b == AGE_BAND else b for b in self.fields))
        try:
            return cx.CoxSpec(
                covariates=tuple(dict.fromkeys(covs)),
                ties=self.ties,
                endpoint=self.endpoint,
                origin=self.origin,
                left_truncation=self.left_truncation,
                landmark_months=self.landmark_months,
            )
        except cx.CoxSpecError as exc:
            raise SubgroupSpecError(str(exc)) from exc

    def text(self) -> str:
        """``route=IA`` or ``route=IA vs IV``: the comparison as the CLI and the link write it."""
        out = f"{self.compare}={','.join(self.levels)}"
        return out + (f" vs {','.join(self.vs)}" if self.vs else "")


def parse_compare(text: str, vs: str = "") -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """``FIELD=LEVEL[,LEVEL]`` (and ``[FIELD=]LEVEL[,LEVEL]`` for ``vs``) -> (field, levels, vs)."""
    name, sep, levels = (s.strip() for s in text.partition("="))
    if not sep or not levels:
        raise SubgroupSpecError(f"--compare {text!r}: expected FIELD=LEVEL[,LEVEL]")
    other = vs.strip()
    if "=" in other:
        vname, _, other = (s.strip() for s in other.partition("="))
        if vname != name:
            raise SubgroupSpecError(f"--vs names {vname!r}, the comparison is on {name!r}")
    split = lambda s: tuple(x.strip() for x in s.split(",") if x.strip())  # noqa: E731
    return name, split(levels), split(other)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

COUNT_KEYS = ("n", "events", "n_ref", "events_ref", "n_cmp", "events_cmp")
"""The counts of a row, in table order (level total, reference arm, comparison arm)."""


ORR_CODES = RESPONSE_DOMAINS[ResponseDomain.IMAGING]
ORR_MEMBERS = next(r for r in ORR_CODES.derived if r.name == "orr").members
ORR_HEAD = "ORR difference (95% CI)"
SMALL = "not shown: small counts"


@dataclass(frozen=True, slots=True)
class OrrDifference:
    """Imaging objective response (CR + PR among evaluable patients) per arm of one row and
    the difference, comparison arm minus reference arm (Newcombe hybrid score 95% CI).
    Pairs are (reference arm, comparison arm), as in ``SubgroupHR``."""

    evaluable: tuple[int, int]
    responders: tuple[int, int]
    diff: ProportionDifference

    def cells(self) -> dict[tuple[str, int], int]:
        """(metric, arm) -> count: 'v' evaluable, 'r' responders, 'q' non-responders."""
        out = {}
        for i in (0, 1):
            v, r = self.evaluable[i], self.responders[i]
            out |= {("v", i): v, ("r", i): r, ("q", i): v - r}
        return out


def orr_difference(responses: Sequence[object], arm: np.ndarray) -> OrrDifference:
    """The :class:`OrrDifference` of patients with imaging ``responses`` and ``arm`` (0, 1)."""
    resp = np.asarray(responses, dtype=object)
    ev = np.array(
        [r is not None and not pd.isna(r) and r != NOT_EVALUABLE_CODE for r in resp], dtype=bool
    )
    rs = np.isin(resp, ORR_MEMBERS) & ev
    n = tuple(int((ev & (arm == i)).sum()) for i in (0, 1))
    x = tuple(int((rs & (arm == i)).sum()) for i in (0, 1))
    return OrrDifference(n, x, newcombe_difference(x[1], n[1], x[0], n[0]))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class SubgroupRow:
    """One subgroup level (or all patients, or the field's missing values) with its estimate.

    ``hr.n`` / ``hr.events`` are (reference arm, comparison arm). ``hidden``: the names in
    :data:`COUNT_KEYS` withheld under disclosure control; ``withheld``: why the estimate is
    not shown ('' when it is, or when it was never estimable: see ``hr.reason``).
    """

    field: str
    level: str
    hr: SubgroupHR
    hidden: frozenset[str] = frozenset()
    withheld: str = ""
    orr: OrrDifference | None = None
    orr_withheld: str = ""

    @property
    def n(self) -> int:
        return sum(self.hr.n)

    @property
    def events(self) -> int:
        return sum(self.hr.events)

    def counts(self) -> dict[str, int]:
        h = self.hr
        return dict(
            n=self.n,
            events=self.events,
            n_ref=h.n[0],
            events_ref=h.events[0],
            n_cmp=h.n[1],
            events_cmp=h.events[1],
        )

    @property
    def shows_estimate(self) -> bool:
        return self.hr.estimable and not self.withheld and self.level != MISSING

    @property
    def shows_orr(self) -> bool:
        o = self.orr
        return (
            o is not None and o.diff.estimate is not None and not self.orr_withheld
            and self.level != MISSING
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldResult:
    """The rows of one subgroup field and its interaction test."""

    field: str
    rows: tuple[SubgroupRow, ...]
    interaction: InteractionTest
    interaction_withheld: str = ""

    @property
    def label(self) -> str:
        return field_label(self.field)


@dataclass(frozen=True)
class SubgroupAnalysis:
    """A subgroup forest for one selection, exact and then protected (:func:`protect`).

    Read counts through :meth:`cell`; never format a raw count of this result for display.
    """

    spec: SubgroupSpec
    filters: Filters
    arms: tuple[str, str]
    """(reference arm, comparison arm) as labels, e.g. ('Intravenous', 'Intra-arterial ...')."""
    overall: SubgroupRow | None
    fields: tuple[FieldResult, ...]
    n_selected: int
    n_no_time: int
    n_landmark_excluded: int
    n_no_arm: int
    """Patients with follow-up whose arm is missing or in neither arm."""
    events_no_arm: int
    disclosure: Disclosure = EXEMPT
    error: str | None = None
    withheld: str = ""
    warnings: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    disclosure_notes: tuple[str, ...] = ()

    def cell(self, n: int | None, hidden: bool = False) -> int | str | None:
        """A count as it may be shown: the number, '<11', or 'suppressed' (complementary)."""
        if n is None or not self.disclosure.active:
            return n
        if self.disclosure.hidden(int(n)):
            return self.disclosure.show(n)
        return SUPPRESSED if hidden else int(n)

    def row_cell(self, row: SubgroupRow, key: str) -> int | str | None:
        return self.cell(row.counts()[key], key in row.hidden)

    @property
    def n(self) -> int:
        return self.overall.n if self.overall else 0

    @property
    def events(self) -> int:
        return self.overall.events if self.overall else 0

    @property
    def n_left_out(self) -> int:
        return self.n_selected - self.n


def field_label(key: str) -> str:
    return FIELDS[key].label.removesuffix(" (post-baseline)")


# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------


def _resolve_levels(cov: cx.Covariate, wanted: Sequence[str], observed: Sequence[str]) -> list[str]:
    out = []
    for w in wanted:
        got = cx._resolve_reference(cov, w, observed)
        if got is None:
            raise SubgroupSpecError(
                f"{w!r} is not an observed level of {cov.label} in this selection "
                f"(observed: {', '.join(observed) or 'none'})"
            )
        out.append(got)
    return out


def _labels_of(key: str, values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Stored values -> level labels (None for missing) for a subgroup field."""
    cov = FIELDS[key]
    if key == AGE_BAND:
        out = np.array([None] * values.size, dtype=object)
        ok = ~missing
        out[ok] = [_age_band(float(v)) for v in values[ok]]
        return out
    cat = cx._categorical(cov, values, missing)
    cats = np.asarray(cat.categories, dtype=object)
    codes = np.asarray(cat.codes)
    out = np.array([None] * codes.size, dtype=object)
    out[codes >= 0] = cats[codes[codes >= 0]]
    return out


def _weighted(labels: np.ndarray, w: np.ndarray) -> dict[str, int]:
    out: dict[str, int] = {}
    for lab, k in zip(labels, w, strict=True):
        key = MISSING if lab is None else str(lab)
        out[key] = out.get(key, 0) + int(k)
    return out


def _ordered(key: str, seen: set[str]) -> list[str]:
    order = FIELDS[key].order
    return [x for x in order if x in seen] + sorted(x for x in seen if x not in order)


def _analyse(
    filters: Filters, spec: SubgroupSpec, path: Path | str | None, d: Disclosure
) -> SubgroupAnalysis:
    cspec = spec.cox_spec()
    raw = cox_arrays(filters, cx._columns(cspec), True, path)
    prep = cx._prepare(raw, cspec)
    frame, tallies = prep.frame, prep.tallies
    ccov = FIELDS[spec.compare]
    observed = [str(x) for x in frame[spec.compare].cat.categories]
    sel = _labels_of(spec.compare, *cx._split(raw["v0"]))
    observed_all = _ordered(spec.compare, {str(x) for x in sel if x is not None} | set(observed))
    cmp_levels = _resolve_levels(ccov, spec.levels, observed_all)
    ref_levels = (
        _resolve_levels(ccov, spec.vs, observed_all)
        if spec.vs
        else [x for x in observed_all if x not in cmp_levels]
    )
    arms = (" or ".join(ref_levels) or "other levels", " or ".join(cmp_levels))
    lab = frame[spec.compare].astype(object).to_numpy()
    arm = np.where(np.isin(lab, cmp_levels), 1, np.where(np.isin(lab, ref_levels), 0, -1)).astype(
        np.int64
    )
    t = frame[AGG_TIME].to_numpy(float)
    ev = frame[AGG_EVENTS].to_numpy(np.int64)
    c = frame[AGG_COUNT].to_numpy(np.int64)
    entry = frame[AGG_ENTRY].to_numpy(float) if prep.has_entry else None
    ok = arm >= 0
    names = (f"reference arm ({arms[0]})", f"comparison arm ({arms[1]})")

    def fit(mask: np.ndarray) -> SubgroupHR:
        return subgroup_hr(
            t[mask],
            ev[mask],
            c[mask],
            arm[mask],
            entry=None if entry is None else entry[mask],
            ties=spec.ties,
            arm_names=names,
        )

    overall = SubgroupRow("", ALL, fit(ok))
    fields: list[FieldResult] = []
    selected: dict[str, dict[str, int]] = {}
    # the selection's patients per arm (and per level and arm): a shown arm count beside it
    # gives the arm's left-out patients (no follow-up, the landmark)
    sel_arm = np.where(np.isin(sel, cmp_levels), 1, np.where(np.isin(sel, ref_levels), 0, -1))
    weights = np.asarray(raw[AGG_COUNT], dtype=np.int64)
    arm_selected: dict[str, dict[tuple[str, int], int]] = {
        "": {(ALL, i): int(weights[sel_arm == i].sum()) for i in (0, 1)}
    }
    # per arm, the left-out patients with a time and status and their events (shown by the
    # same arm from the index date or without the landmark): the left-out rule on events
    timed, left_ev = _left_out_known(raw, prep.tallies)
    arm_selected[LEFT] = {
        (what, i): int(v[sel_arm == i].sum()) for what, v in (("known", timed), ("events", left_ev))
        for i in (0, 1)
    }  # fmt: skip
    followed: dict[str, tuple[dict[str, int], dict[str, int]]] = {}
    for key in spec.fields:
        col = "age" if key == AGE_BAND else key
        if key == AGE_BAND:
            labels = np.array([_age_band(v) for v in frame["age"].to_numpy(float)], dtype=object)
        else:
            labels = frame[col].astype(object).where(frame[col].notna(), None).to_numpy()
        vi = list(dict.fromkeys(cspec.covariates)).index(col)
        sel_labels = _labels_of(key, *cx._split(raw[f"v{vi}"]))
        selected[key] = _weighted(sel_labels, weights)
        arm_selected[key] = {
            (lv, i): k
            for i in (0, 1)
            for lv, k in _weighted(sel_labels[sel_arm == i], weights[sel_arm == i]).items()
        }
        followed[key] = (_weighted(labels, c), _weighted(labels, ev))
        seen = {str(x) for x in labels[ok] if x is not None}
        rows = []
        for level in _ordered(key, seen):
            rows.append(SubgroupRow(key, level, fit(ok & (labels == level))))
        miss = ok & np.array([x is None for x in labels], dtype=bool)
        if c[miss].sum():
            rows.append(SubgroupRow(key, MISSING, fit(miss)))
        known = ok & ~np.array([x is None for x in labels], dtype=bool)
        codes = np.array([_ordered(key, seen).index(x) for x in labels[known]], dtype=np.int64)
        test = interaction_lr_test(
            t[known],
            ev[known],
            c[known],
            arm[known],
            codes,
            entry=None if entry is None else entry[known],
            ties=spec.ties,
        )
        fields.append(FieldResult(key, tuple(rows), test))
    warnings = tuple(cx._warnings(replace(cspec, covariates=(spec.compare,))))
    error = None
    if overall.n == 0:
        error = "No patient of this selection has follow-up for this endpoint and a value in either arm."
    elif not overall.hr.estimable:
        error = f"No overall hazard ratio: {overall.hr.reason}."
    result = SubgroupAnalysis(
        spec=spec,
        filters=filters,
        arms=arms,
        overall=overall,
        fields=tuple(fields),
        n_selected=tallies["n_sel"],
        n_no_time=tallies["n_no_time"],
        n_landmark_excluded=tallies["n_lm"],
        n_no_arm=int(c[~ok].sum()),
        events_no_arm=int(ev[~ok].sum()),
        disclosure=d,
        error=error,
        warnings=warnings,
    )
    result, orr_other = _with_orr(result, filters, path, cmp_levels, ref_levels)
    return protect(result, selected, followed, arm_selected, orr_other)


def _with_orr(
    a: SubgroupAnalysis,
    filters: Filters,
    path: Path | str | None,
    cmp_levels: Sequence[str],
    ref_levels: Sequence[str],
) -> tuple[SubgroupAnalysis, dict[str, dict[str, OrrDifference]]]:
    """Add the imaging ORR difference to every row, over the selection's patients of each arm
    and level (the Response page's population: every selected patient, evaluable ones in the
    denominator). Also returns, per field, the levels of the selection without a forest row
    (no follow-up) with their counts: never shown, but in the disclosure lines."""
    spec = a.spec
    cols = {k: FIELDS[k].column for k in (spec.compare, *spec.fields)}
    resp_col = ORR_CODES.column
    p = patients_frame(filters, list(dict.fromkeys([*cols.values(), resp_col])), path)

    def labels(key: str) -> np.ndarray:
        col = p[cols[key]]
        return _labels_of(key, col.to_numpy(dtype=object), col.isna().to_numpy(dtype=bool))

    lab = labels(spec.compare)
    arm = np.where(np.isin(lab, cmp_levels), 1, np.where(np.isin(lab, ref_levels), 0, -1))
    resp = p[resp_col].astype(object).where(p[resp_col].notna(), None).to_numpy()
    ok = arm >= 0

    def orr(mask: np.ndarray) -> OrrDifference:
        return orr_difference(resp[mask], arm[mask])

    def whole(mask: np.ndarray) -> OrrDifference:  # every selected patient, as arm 1
        return orr_difference(resp[mask], np.ones(int(mask.sum()), dtype=np.int64))

    fields, other = [], {}
    for f in a.fields:
        lv = labels(f.field)
        is_missing = np.array([x is None for x in lv], dtype=bool)
        masks = {MISSING: ok & is_missing} | {
            str(x): ok & (lv == x) for x in dict.fromkeys(lv[ok & ~is_missing])
        }
        rows = tuple(
            replace(r, orr=orr(masks.get(r.level, np.zeros(ok.size, dtype=bool)))) for r in f.rows
        )
        shown = {r.level for r in f.rows}
        other[f.field] = {k: orr(m) for k, m in masks.items() if k not in shown and m.any()}
        sel = {MISSING: is_missing} | {str(x): lv == x for x in dict.fromkeys(lv[~is_missing])}
        other[f.field] |= {(WHOLE, k): whole(m) for k, m in sel.items()}
        fields.append(replace(f, rows=rows))
    overall = None if a.overall is None else replace(a.overall, orr=orr(ok))
    other[""] = {(WHOLE, ALL): whole(np.ones(ok.size, dtype=bool))}
    return replace(a, overall=overall, fields=tuple(fields)), other


def analyse(
    filters: Filters,
    spec: SubgroupSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> SubgroupAnalysis:
    """The subgroup forest of ``spec`` on the selection, as the viewer in ``mode`` may see it.

    Opens the view (:func:`core.analyses.view.open_view`); a refused view gives a result with
    no rows and the refusal as ``withheld``. A level of ``spec`` that is not observed gives a
    result with no rows and ``error`` naming it and listing the observed levels.
    """
    view = open_view(filters, mode, path)
    d = view.disclosure
    if view.refused:
        return SubgroupAnalysis(
            spec, view.filters, ("", ""), None, (), 0, 0, 0, 0, 0, d,
            error=view.refusal, withheld=view.refusal, notices=view.notices,
        )  # fmt: skip
    try:
        result = _analyse(view.filters, spec, path, d)
    except SubgroupSpecError as exc:  # a level that is not observed: a message, no numbers
        text = str(exc)
        return SubgroupAnalysis(
            spec, view.filters, ("", ""), None, (), 0, 0, 0, 0, 0, d,
            error=text[:1].upper() + text[1:] + ".", notices=view.notices,
        )  # fmt: skip
    return replace(result, notices=view.notices)


# ---------------------------------------------------------------------------------------------
# Disclosure
# ---------------------------------------------------------------------------------------------


def _withhold(a: SubgroupAnalysis, message: str) -> SubgroupAnalysis:
    return replace(a, overall=None, fields=(), error=message, withheld=message, warnings=())


WHOLE = "__whole__"
"""Key of the ORR counts over every selected patient of a level (both arms and neither)."""

LEFT = "__left_out__"
"""Key of :func:`protect`'s ``arm_selected`` holding each arm's left-out patients with a time
and status (``("known", arm)``) and their events (``("events", arm)``)."""


def _left_out_known(raw: dict, tallies: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per raw row: left-out patients with a time and an event status, and their events (no
    usable origin, an endpoint on or before the first treatment, the landmark)."""
    c = np.asarray(raw[AGG_COUNT], dtype=np.int64)
    lk = np.asarray(np.ma.getdata(raw.get("lk", np.zeros(c.size))), dtype=np.int64)
    ld = np.asarray(np.ma.getdata(raw.get("ld", np.zeros(c.size))), dtype=np.int64)
    t_missing = cx._split(raw["t"])[1]
    dropped = ~t_missing & ~tallies.get("kept_rows", ~t_missing)
    d = np.where(cx._split(raw["d"])[1], 0, cx._split(raw["d"])[0]).astype(np.int64)
    return lk + np.where(dropped, c, 0), ld + np.where(dropped, d, 0)


def _refusal(
    a: SubgroupAnalysis,
    arm_selected: dict[tuple[str, int], int] | None = None,
    left: dict[tuple[str, int], int] | None = None,
) -> str:
    d, t = a.disclosure, a.disclosure.threshold
    o = a.overall
    if o is None or o.n == 0:
        return ""
    left = left or {}
    arm_left_out = [(arm_selected or {}).get((ALL, i), o.hr.n[i]) - o.hr.n[i] for i in (0, 1)]
    arm_counts = [*o.hr.n, *o.hr.events, *(n - e for n, e in zip(o.hr.n, o.hr.events, strict=True))]
    if any(d.hidden(x) for x in arm_counts):
        return (
            f"An arm of this comparison holds fewer than {t} patients, events or patients "
            "without an event; under disclosure control no subgroup analysis is shown. Widen "
            "the selection or merge levels into the arms."
        )
    if (
        d.hidden(a.n_left_out)
        or any(d.hidden(x) for x in arm_left_out)
        or d.hidden(a.events_no_arm)
        or d.hidden(a.n_no_arm - a.events_no_arm)
    ):
        return (
            f"Fewer than {t} of the selected patients (or of their events) are left out of "
            "this analysis (no follow-up, the landmark, or an arm that is missing or not "
            "compared); under disclosure control it is not shown, as its counts beside the "
            "selection's would reveal them. Widen the selection or the arms."
        )
    for arms in ((0,), (1,), (0, 1)):
        known = sum(left.get(("known", i), 0) for i in arms)
        if left_out_small(d, 0, known, sum(left.get(("events", i), 0) for i in arms)):
            return events_refusal(d)
    return ""


def _field_cells(f: FieldResult, overall: SubgroupRow) -> tuple[dict, list[Line], set]:
    """Cells (metric, level, arm) with arm in (0, 1, 'all') and their additive lines."""
    values: dict = {}
    lines: list[Line] = []
    levels = [r.level for r in f.rows]
    for r in f.rows:
        for arm_i in (0, 1):
            n, e = r.hr.n[arm_i], r.hr.events[arm_i]
            values[("n", r.level, arm_i)] = n
            values[("e", r.level, arm_i)] = e
            values[("f", r.level, arm_i)] = n - e
        for m in ("n", "e", "f"):
            values[(m, r.level, "all")] = values[(m, r.level, 0)] + values[(m, r.level, 1)]
    fixed = set()
    for arm_i in (0, 1, "all"):
        for m in ("n", "e", "f"):
            if arm_i == "all":
                tot = {"n": overall.n, "e": overall.events, "f": overall.n - overall.events}[m]
            else:
                n, e = overall.hr.n[arm_i], overall.hr.events[arm_i]
                tot = {"n": n, "e": e, "f": n - e}[m]
            values[(m, ALL, arm_i)] = tot
            fixed.add((m, ALL, arm_i))
            lines.append(Line((m, ALL, arm_i), tuple((m, lv, arm_i) for lv in levels)))
    for lv in levels:
        for m in ("n", "e", "f"):
            lines.append(Line((m, lv, "all"), ((m, lv, 0), (m, lv, 1))))
        for arm_i in (0, 1, "all"):
            lines.append(Line(("n", lv, arm_i), (("e", lv, arm_i), ("f", lv, arm_i))))
    return values, lines, fixed


_KEY = {("n", "all"): "n", ("e", "all"): "events", ("n", 0): "n_ref", ("e", 0): "events_ref",
        ("n", 1): "n_cmp", ("e", 1): "events_cmp"}  # fmt: skip


def protect(
    a: SubgroupAnalysis,
    selected: dict[str, dict[str, int]] | None = None,
    followed: dict[str, tuple[dict[str, int], dict[str, int]]] | None = None,
    arm_selected: dict[str, dict[tuple[str, int], int]] | None = None,
    orr_other: dict[str, dict] | None = None,
) -> SubgroupAnalysis:
    """Apply ``a.disclosure`` to an exact result: the one place the subgroup forest decides what
    may be shown. Exact mode and exempt data: unchanged.

    ``selected``: per field, patients per level in the whole selection; ``followed``: per
    field, (patients, events) per level among those with follow-up (the survival view). A
    level total differing from these by 1 .. threshold-1 is a primary cell. ``arm_selected``:
    the selection's patients per arm (key ``""``, level :data:`ALL`) and per field, level and
    arm: an arm that leaves out 1 .. threshold-1 of its selected patients withholds the
    analysis, and a level's arm count that does so is a primary cell (the selection's count of
    the arm, shown by Table 1 of the arm's selection, minus the shown count would give them).
    """
    d = a.disclosure
    if not d.active or a.withheld or a.overall is None:
        return a
    arm_selected = arm_selected or {}
    if why := _refusal(a, arm_selected.get(""), arm_selected.get(LEFT)):
        return _withhold(a, why)
    selected, followed = selected or {}, followed or {}
    fields = []
    notes = []
    for f in a.fields:
        values, lines, fixed = _field_cells(f, a.overall)
        primary = set()
        sel = selected.get(f.field, {})
        fol_n, fol_e = followed.get(f.field, ({}, {}))
        for r in f.rows:
            diff_n = [sel.get(r.level, 0) - r.n, fol_n.get(r.level, 0) - r.n]
            diff_e = fol_e.get(r.level, 0) - r.events
            diff_f = (fol_n.get(r.level, 0) - fol_e.get(r.level, 0)) - (r.n - r.events)
            if any(d.hidden(x) for x in diff_n):
                primary.add(("n", r.level, "all"))
            if d.hidden(diff_e):
                primary.add(("e", r.level, "all"))
            if d.hidden(diff_f):
                primary.add(("f", r.level, "all"))
            for i in (0, 1):
                cell_sel = arm_selected.get(f.field, {}).get((r.level, i), r.hr.n[i])
                if d.hidden(cell_sel - r.hr.n[i]):
                    primary.add(("n", r.level, i))
        sup = protect_lines(values, lines, d, unknown=primary, fixed=fixed)
        rows = []
        any_hidden = bool(sup.hidden) or not sup.resolved
        for r in f.rows:
            cells = {k for k in sup.hidden if k[1] == r.level}
            hidden = (
                frozenset(_KEY[(m, arm)] for (m, _, arm) in cells if (m, arm) in _KEY)
                if sup.resolved
                else frozenset(COUNT_KEYS)
            )
            withheld = ""
            if cells or not sup.resolved:
                withheld = (
                    f"not shown under disclosure control (a count below {d.threshold}, or "
                    "withheld to protect one)"
                )
            rows.append(replace(r, hidden=hidden, withheld=withheld))
        why = ""
        if any_hidden and f.interaction.p is not None:
            why = (
                f"not shown under disclosure control: a level of {f.label.lower()} holds fewer "
                f"than {d.threshold} patients, events or patients without an event in an arm"
            )
        if any_hidden:
            notes.append(f.label)
        fields.append(replace(f, rows=tuple(rows), interaction_withheld=why))
    fields, overall, orr_note = _protect_orr(a, fields, orr_other or {})
    notes_orr = (orr_note,) if orr_note else ()
    dn = ()
    if notes:
        dn = (
            f"Under disclosure control some counts, hazard ratios and interaction tests of "
            f"{', '.join(notes)} are not shown: a subgroup arm with fewer than "
            f"{d.threshold} patients, events or patients without an event, or one withheld to "
            "protect such a count.",
        )
    return replace(a, overall=overall, fields=tuple(fields), disclosure_notes=dn + notes_orr)


PATIENT_KEYS = frozenset({"n", "n_ref", "n_cmp"})
"""The forest's patient counts of a row: when one is hidden, so is the row's ORR."""


def _orr_small(d: Disclosure, o: OrrDifference | None) -> bool:
    """A count below the threshold (0 included): the rates and difference are not shown."""
    return o is None or any(v < d.threshold for v in o.cells().values())


def _whole_small(d: Disclosure, o: OrrDifference | None, whole: OrrDifference | None) -> bool:
    """The arms' counts beside the selection's (the Response page by group) leave 1..t-1 out."""
    if o is None or whole is None:
        return False
    w = whole.cells()
    return any(d.hidden(w[(m, 1)] - o.cells()[(m, 0)] - o.cells()[(m, 1)]) for m in ("v", "r", "q"))


def _protect_orr(
    a: SubgroupAnalysis, fields: list[FieldResult], other: dict[str, dict]
) -> tuple[list[FieldResult], SubgroupRow | None, str]:
    """The ORR difference of a row is shown only when both arms' evaluable, responder and
    non-responder counts are at least the threshold, the row's forest patient counts (level
    and arms) are shown, the arms' counts beside the selection's counts of the level (the
    Response page by group) leave out none or at least the threshold,
    and none of them is withheld by complementary suppression over the additive lines (levels
    add up to the overall, per arm; evaluable = responders + non-responders)."""
    d, o = a.disclosure, a.overall
    assert o is not None
    if _orr_small(d, o.orr) or _whole_small(d, o.orr, other.get("", {}).get((WHOLE, ALL))):
        out = [
            replace(f, rows=tuple(replace(r, orr_withheld=SMALL) for r in f.rows)) for f in fields
        ]
        return (
            out,
            replace(o, orr_withheld=SMALL),
            f"Under disclosure control no ORR difference is shown ({SMALL}).",
        )
    assert o.orr is not None
    out, any_hidden = [], False
    for f in fields:
        extra = other.get(f.field, {})
        levels = {r.level: r.orr for r in f.rows if r.orr is not None}
        levels |= {k: v for k, v in extra.items() if isinstance(k, str)}
        values: dict = {}
        unknown: set = set()
        for lv, od in levels.items():
            for (m, i), v in od.cells().items():
                values[(m, lv, i)] = v
        for (m, i), v in o.orr.cells().items():
            values[(m, ALL, i)] = v
        blocked = set()  # rows whose counts may not be shown (all their cells are protected)
        for r in f.rows:
            if r.hidden & PATIENT_KEYS or _whole_small(d, r.orr, extra.get((WHOLE, r.level))):
                blocked.add(r.level)
                unknown |= {k for k in values if k[1] == r.level}
        lines = [
            Line((m, ALL, i), tuple((m, lv, i) for lv in levels)) for m in "vrq" for i in (0, 1)
        ]
        lines += [Line(("v", lv, i), (("r", lv, i), ("q", lv, i))) for lv in levels for i in (0, 1)]
        fixed = {(m, ALL, i) for m in "vrq" for i in (0, 1)}
        sup = protect_lines(values, lines, d, unknown=unknown, fixed=fixed)
        rows = []
        for r in f.rows:
            hide = (
                not sup.resolved
                or r.level in blocked
                or _orr_small(d, r.orr)
                or any(k[1] == r.level for k in sup.hidden)
            )
            if hide and r.level != MISSING:
                any_hidden = True
            rows.append(replace(r, orr_withheld=SMALL) if hide else r)
        out.append(replace(f, rows=tuple(rows)))
    note = (
        f"Under disclosure control the ORR difference is not shown for a subgroup where an arm "
        f"has fewer than {d.threshold} evaluable patients, responders or non-responders, or "
        "where one is withheld to protect such a count."
        if any_hidden
        else ""
    )
    return out, o, note


# ---------------------------------------------------------------------------------------------
# Presentation frames and JSON
# ---------------------------------------------------------------------------------------------


def method_text(spec: SubgroupSpec) -> str:
    bits = [
        f"Cox proportional hazards per subgroup, {spec.ties.label} ties, Wald 95% CI; "
        "interaction by likelihood-ratio test (R anova(coxph(~ trt + sub), coxph(~ trt * sub)))",
        f"{spec.endpoint.label.lower()} from {spec.origin.label.lower()}",
    ]
    if spec.origin is not Origin.INDEX and spec.left_truncation:
        bits.append("delayed entry at first treatment")
    if spec.landmark_months is not None:
        bits.append(f"landmark {spec.landmark_months:g} months")
    return "; ".join([*bits, ORR_METHOD])


def comparison_text(a: SubgroupAnalysis) -> str:
    """'Intra-arterial (hepatic) vs Intravenous (Route)'."""
    return f"{a.arms[1]} vs {a.arms[0]} ({field_label(a.spec.compare)})"


def _rows(a: SubgroupAnalysis) -> list[tuple[FieldResult | None, SubgroupRow]]:
    out: list[tuple[FieldResult | None, SubgroupRow]] = []
    if a.overall is not None:
        out.append((None, a.overall))
    for f in a.fields:
        out += [(f, r) for r in f.rows]
    return out


def _why_not(r: SubgroupRow) -> str:
    if r.level == MISSING:
        return "missing value: not in the test"
    if r.withheld:
        return r.withheld
    if not r.hr.estimable:
        return f"not estimable: {r.hr.reason}"
    return ""


ORR_METHOD = (
    "imaging objective response rate (CR + PR) among evaluable patients per arm; difference "
    f"comparison minus reference arm, {NEWCOMBE} 95% CI "
    '(R DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score"))'
)


def _orr_why(r: SubgroupRow) -> str:
    if r.level == MISSING:
        return "missing value"
    if r.orr_withheld:
        return r.orr_withheld
    return "not estimable: an arm has no evaluable patient"


def _fmt_orr(r: SubgroupRow) -> str:
    """'+20.0 pp (+5.2 to +33.4); 80.0% vs 60.0%' (comparison arm's rate first), or why not."""
    if not r.shows_orr or r.orr is None:
        return _orr_why(r)
    dd = r.orr.diff
    p0, p1 = dd.p[1], dd.p[0]  # diff is (comparison, reference)
    return (
        f"{100 * dd.estimate:+.1f} pp ({100 * dd.lower:+.1f} to {100 * dd.upper:+.1f}); "  # type: ignore[operator]
        f"{100 * p1:.1f}% vs {100 * p0:.1f}%"  # type: ignore[operator]
    )


def _orr_json(r: SubgroupRow) -> dict:
    if not r.shows_orr or r.orr is None:
        return {"withheld": bool(r.orr_withheld), "reason": _orr_why(r), "method": NEWCOMBE}
    o, dd = r.orr, r.orr.diff
    return {
        "estimate": dd.estimate,
        "ci": [dd.lower, dd.upper],
        "n": {"comparison": o.evaluable[1], "reference": o.evaluable[0]},
        "responders": {"comparison": o.responders[1], "reference": o.responders[0]},
        "rate": {"comparison": dd.p[0], "reference": dd.p[1]},
        "method": NEWCOMBE,
    }


def _interaction_p(f: FieldResult | None) -> tuple[float | None, str]:
    if f is None:
        return None, ""
    if f.interaction_withheld:
        return None, "withheld"
    if f.interaction.p is None:
        return None, f"not estimable: {f.interaction.reason}"
    return f.interaction.p, ""


def table_frame(a: SubgroupAnalysis) -> pd.DataFrame:
    """The page's table: subgroup, level, counts per arm, HR (95% CI), interaction p."""
    from core.vocab.formatting import fmt_p

    rows = []
    last = None
    for f, r in _rows(a):
        p, why = _interaction_p(f)
        first = f is not None and f is not last
        last = f
        rows.append(
            {
                "Subgroup": ALL if f is None else f.label,
                "Level": "" if f is None else r.level,
                "n": a.row_cell(r, "n"),
                "Events": a.row_cell(r, "events"),
                f"n / events: {a.arms[1]}": f"{a.row_cell(r, 'n_cmp')} / {a.row_cell(r, 'events_cmp')}",
                f"n / events: {a.arms[0]}": f"{a.row_cell(r, 'n_ref')} / {a.row_cell(r, 'events_ref')}",
                "HR (95% CI)": cx._fmt_hr(r.hr.hr, r.hr.lower, r.hr.upper)
                if r.shows_estimate
                else _why_not(r),
                ORR_HEAD: _fmt_orr(r),
                "p (interaction, LR)": (fmt_p(p, prefix=False) if p is not None else why)
                if first
                else "",
            }
        )
    frame = pd.DataFrame(rows)
    return frame.astype({"n": "object", "Events": "object"}) if len(frame) else frame


def _num(v: int | str | None) -> int | None:
    return v if isinstance(v, int) else None


def export_frame(a: SubgroupAnalysis) -> pd.DataFrame:
    """Numeric CSV columns: counts as numbers (empty when withheld, with a note column), the
    estimates (hr, hr_lower, hr_upper, p) and the field's interaction test."""
    rows = []
    for f, r in _rows(a):
        p, why = _interaction_p(f)
        shown = r.shows_estimate
        t = f.interaction if f is not None and not f.interaction_withheld else None
        rows.append(
            {
                "subgroup": "all" if f is None else f.field,
                "subgroup_label": ALL if f is None else f.label,
                "level": "" if f is None else r.level,
                "comparison_arm": a.arms[1],
                "reference_arm": a.arms[0],
                **{k: _num(a.row_cell(r, k)) for k in COUNT_KEYS},
                "hr": r.hr.hr if shown else None,
                "hr_lower": r.hr.lower if shown else None,
                "hr_upper": r.hr.upper if shown else None,
                "p_wald": r.hr.p if shown else None,
                **_orr_export(r),
                "interaction_chi2": t.chi2 if t is not None else None,
                "interaction_df": t.df if t is not None and t.p is not None else None,
                "interaction_p": p,
                "note": "; ".join(
                    x
                    for x in (
                        _why_not(r),
                        "counts withheld: " + ", ".join(sorted(r.hidden)) if r.hidden else "",
                        f"interaction {why}" if why and f is not None else "",
                    )
                    if x
                ),  # fmt: skip
            }
        )
    return pd.DataFrame(rows)


def _orr_export(r: SubgroupRow) -> dict:
    o = r.orr if r.shows_orr else None
    dd = None if o is None else o.diff
    return {
        "orr_evaluable_cmp": None if o is None else o.evaluable[1],
        "orr_responders_cmp": None if o is None else o.responders[1],
        "orr_evaluable_ref": None if o is None else o.evaluable[0],
        "orr_responders_ref": None if o is None else o.responders[0],
        "orr_difference": None if dd is None else dd.estimate,
        "orr_difference_lower": None if dd is None else dd.lower,
        "orr_difference_upper": None if dd is None else dd.upper,
        "orr_note": "" if o is not None else _orr_why(r),
    }


def forest_frame(a: SubgroupAnalysis) -> pd.DataFrame:
    """Rows for :func:`core.present.charts_forest.subgroup_forest`: label, value, lower, upper,
    text ('HR (95% CI)' or why none), kind ('estimate', 'overall', 'none', 'header')."""
    out = []
    for f, r in _rows(a):
        if f is not None and r is f.rows[0]:
            p, why = _interaction_p(f)
            from core.vocab.formatting import fmt_p

            ptxt = f"interaction {fmt_p(p)}" if p is not None else f"interaction {why}"
            out.append(dict(label=f.label, value=None, lower=None, upper=None, text=ptxt,
                            kind="header"))  # fmt: skip
        n, e = a.row_cell(r, "n"), a.row_cell(r, "events")
        label = (ALL if f is None else f"   {r.level}") + f" (n={n}, {e} events)"
        if r.shows_estimate:
            out.append(
                dict(
                    label=label,
                    value=r.hr.hr,
                    lower=r.hr.lower,
                    upper=r.hr.upper,
                    text=cx._fmt_hr(r.hr.hr, r.hr.lower, r.hr.upper),
                    kind="overall" if f is None else "estimate",
                )
            )
        else:
            out.append(dict(label=label, value=None, lower=None, upper=None,
                            text=_why_not(r), kind="none"))  # fmt: skip
    return pd.DataFrame(out, columns=["label", "value", "lower", "upper", "text", "kind"])


def to_json_dict(a: SubgroupAnalysis, cohort: str | None = None) -> dict:
    """The CLI's JSON (see core/commands/subgroups.py)."""
    out: dict = {"cohort": cohort, "disclosure": a.disclosure.json()}
    if a.notices:
        out["notices"] = list(a.notices)
    if a.withheld:
        return out | {"error": a.withheld, "withheld": True}
    spec = a.spec
    out |= {
        "comparison": {
            "field": spec.compare,
            "arm": list(spec.levels),
            "vs": list(spec.vs),
            "label": comparison_text(a),
            "comparison_arm": a.arms[1],
            "reference_arm": a.arms[0],
        },
        "endpoint": spec.endpoint.value,
        "origin": spec.origin.value,
        "ties": spec.ties.value,
        "method": method_text(spec),
        "n_selected": a.cell(a.n_selected),
        "n": a.cell(a.n),
        "events": a.cell(a.events),
    }
    if a.error:
        out["error"] = a.error

    def row(f: FieldResult | None, r: SubgroupRow) -> dict:
        shown = r.shows_estimate
        return {
            "level": ALL if f is None else r.level,
            **{k: a.row_cell(r, k) for k in COUNT_KEYS},
            "hr": r.hr.hr if shown else None,
            "hr_ci": [r.hr.lower, r.hr.upper] if shown else None,
            "p": r.hr.p if shown else None,
            "estimable": r.hr.estimable and r.level != MISSING,
            "reason": _why_not(r) or None,
            "orr_difference": _orr_json(r),
        }

    if a.overall is not None:
        out["overall"] = row(None, a.overall)
    out["subgroups"] = []
    for f in a.fields:
        t = f.interaction
        inter = (
            {"withheld": True, "reason": f.interaction_withheld}
            if f.interaction_withheld
            else {"chi2": t.chi2, "df": t.df, "p": t.p, "reason": t.reason or None}
        )
        out["subgroups"].append(
            {
                "field": f.field,
                "label": f.label,
                "levels": [row(f, r) for r in f.rows],
                "interaction": inter,
            }
        )
    if a.disclosure_notes:
        out["disclosure_notes"] = list(a.disclosure_notes)
    out["warnings"] = list(a.warnings)
    return out
