"""From a selection to a multivariable Cox model: covariates, one DuckDB query, the fit.

Covariates are the baseline fields of :data:`core.vocab.schema.PATIENTS` (categorical codes and
booleans, age and first activity as continuous terms) and the post-baseline statuses of
:data:`core.analyses.survival.GROUPINGS` (treatments, responses at first follow-up).

Two exact paths (:class:`FitPath`):

* **aggregated** (chosen when every covariate is categorical): DuckDB reduces the selection
  with one grouped query (:mod:`core.data.cox_sql`) over the *stored* covariate values, the
  stratum, the origin offset and the endpoint day, returning events ``d`` and patients ``c``
  per row. The few distinct
  stored values are then relabelled in pandas (values sharing a label merge, e.g. CR, PR and SD
  into "CR/PR/SD") and :func:`core.stats.cox.fit_cox_aggregated` fits the counts. The partial
  likelihood depends on the data only through these counts, so the result equals the
  patient-level fit (tests/core/analyses/test_cox.py checks it to 1e-10), at a cost that grows
  with the number of (pattern, day) cells, not with the number of patients.
* **patient**: one row per patient and :func:`core.stats.cox.fit_cox` (continuous covariates).

Time origins, delayed entry and the landmark follow :mod:`core.analyses.survival` exactly: from a
diagnosis origin the time is offset + days and, with delayed entry (default), a patient joins
the risk set at the first treatment (R ``Surv(entry, exit, event)``); a landmark of L months
excludes and counts patients whose endpoint time is at or before L and re-origins the rest.

Missing values. A patient with a missing covariate or stratum (NULL, or a post-baseline status
that was not assessed) is dropped and counted per field, as R's ``na.omit``.

The model text (URL and CLI): comma-separated items ``name`` (a covariate), ``name=LEVEL`` (its
reference level, by label or stored code), ``age=10`` (age per 10 years) and ``a*b`` (an
interaction, both main effects included), e.g. ``sex,grade=G2,age=10,sex*grade``.

Disclosure (docs/PRIVACY.md). :func:`analyse` opens the selection for one viewer
(:func:`core.analyses.view.open_view`), fits the model on the exact data in every mode and then
decides, once, what of it may be shown (:func:`protect`). In protected mode with an imported
cohort in view: no model when the view is refused, when fewer than the threshold of patients or
events are analysed, or when the patients or events left out of the model (no follow-up, the
landmark, a missing value) are 1 .. threshold-1 (the model's n beside the selection's would give
them away); per categorical covariate, primary and complementary suppression over its levels'
patients, events and patients without an event (a level's count is also a primary cell when it
differs from the same level in the selection or the survival view by 1 .. threshold-1), and no
hazard ratio or proportional-hazards test for a suppressed level (a suppressed reference level
withholds the whole covariate); an
interaction between two categorical covariates is shown only when no combination of their levels
is suppressed; no residual points (one per event). Shown estimates are the exact ones.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd

from core.analyses.disclosure import (
    EXEMPT,
    Disclosure,
    Mode,
    complete_suppression,
    suppress_table,
    suppressed_cells,
)
from core.analyses.left_out import events_refusal, left_out_small
from core.analyses.survival import GROUPINGS, NOT_ASSESSED
from core.analyses.view import View, open_view
from core.data.cox_sql import CoxColumns, cox_arrays
from core.data.filters import Filters
from core.stats.cox import (
    AGG_COUNT,
    AGG_ENTRY,
    AGG_EVENTS,
    AGG_STRATUM,
    AGG_TIME,
    CoxModelError,
    CoxResult,
    CoxTerm,
    Design,
    DesignTerm,
    ZphResult,
    build_design,
    cox_zph,
    fit_cox,
    fit_cox_aggregated,
)
from core.vocab.methods import (
    DAYS_PER_MONTH,
    ENDPOINT_COLUMNS,
    ORIGIN_OFFSET_COLUMN,
    TIME_UNIT_DAYS,
    Endpoint,
    Origin,
    Ties,
    TimeUnit,
)
from core.vocab.schema import METASTATIC_SITES, PATIENTS, PRIOR_THERAPIES

MIN_EVENTS = 5
"""Fewer events than this (or than parameters) and no model is fitted; the page says why."""

RESIDUAL_NOTE = (
    "Scaled Schoenfeld residuals (R plot(cox.zph(fit))) with a loess smooth; the dashed line is "
    "the constant effect the model assumes. A smooth drifting away from it means the hazard ratio "
    "changes over time. Test: cox.zph score test, Kaplan-Meier time transform."
)

NO_RESIDUALS_NOTE = (
    "Residual plot not shown under disclosure control: it draws one point per event, at the "
    "event's day. The proportional-hazards tests above use every event."
)

SUPPRESSED = "suppressed"
"""How a count withheld by complementary suppression (itself not small) is shown."""

MAX_RESIDUAL_POINTS = 5000
"""Residual plots draw one point per event; above this many, a seeded random sample."""


class CoxSpecError(ValueError):
    """The model asked for is not valid (unknown covariate, bad level syntax...)."""


class FitPath(str, Enum):
    """How the model is fitted; both are exact."""

    AUTO = "auto"
    AGGREGATED = "aggregated"
    PATIENT = "patient"


# ---------------------------------------------------------------------------------------------
# Covariates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Covariate:
    """A model covariate: the stored column DuckDB reads and how its values become levels.

    ``labels`` maps a stored value to a level label, or to ``None`` for a missing value (the
    patient is dropped and counted). Continuous covariates have no ``labels``; they enter as
    value / step, with ``steps`` the allowed steps (the first is the default).
    """

    key: str
    label: str
    column: str
    continuous: bool = False
    labels: Callable[[object], str | None] | None = None
    order: tuple[str, ...] = ()
    post_baseline: bool = False
    unit: str = ""
    steps: tuple[float, ...] = (1.0,)

    def level_of(self, value: object) -> str | None:
        return None if value is None or self.labels is None else self.labels(value)

    def step_text(self, step: float) -> str:
        """'per year', 'per 10 years', 'per 1000 MBq'."""
        if not self.unit:
            return f"per {step:g}"
        if step == 1:  # 'per year', 'per MBq'
            return f"per {self.unit.removesuffix('s')}"
        return f"per {step:g} {self.unit}"


def _code(name: str) -> Covariate:
    f = PATIENTS[name]
    return Covariate(name, f.label, name, labels=f.label_of, order=f.code_labels)


def _yes_no(name: str, label: str) -> Covariate:
    return Covariate(name, label, name, labels=lambda v: "Yes" if v else "No", order=("No", "Yes"))


def _post(key: str) -> Covariate:
    g = GROUPINGS[key]

    def labels(v: object, g=g) -> str | None:
        lab = g.labels(v)
        return None if lab == NOT_ASSESSED else lab

    order = tuple(o for o in g.order if o != NOT_ASSESSED)
    return Covariate(key, g.label, g.column, labels=labels, order=order, post_baseline=True)


COVARIATES: dict[str, Covariate] = {
    "cohort_id": Covariate("cohort_id", "Cohort", "cohort_id", labels=str),
    **{n: _code(n) for n in ("sex", "race", "primary_site", "grade", "route", "agent")},
    **{n: _yes_no(n, lbl) for n, lbl in PRIOR_THERAPIES},
    **{f"met_{c}": _yes_no(f"met_{c}", f"Metastasis: {lbl}") for c, lbl in METASTATIC_SITES},
    **{k: _post(k) for k in GROUPINGS if GROUPINGS[k].post_baseline},
    "age": Covariate(
        "age", "Age", "age", continuous=True, unit=PATIENTS["age"].unit, steps=(1.0, 10.0)
    ),
    "first_activity_mbq": Covariate(
        "first_activity_mbq",
        "First activity",
        "first_activity_mbq",
        continuous=True,
        unit=PATIENTS["first_activity_mbq"].unit,
        steps=(1000.0,),
    ),
}
"""Every covariate offered, in display order."""

CATEGORICAL = tuple(k for k, c in COVARIATES.items() if not c.continuous)
"""Covariates that can also serve as the stratification field."""


def covariate_help(key: str) -> str:
    """One line: the label with its unit or 'post-baseline' note."""
    cov = COVARIATES[key]
    if cov.continuous:
        return f"{cov.label} ({cov.step_text(cov.steps[0])})"
    return cov.label


# ---------------------------------------------------------------------------------------------
# The model specification
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoxSpec:
    """Everything that defines a Cox model besides the patient filter.

    ``references``: (covariate, level) pairs, level by label or stored code; covariates not
    listed use their most frequent level. ``steps``: (continuous covariate, step) pairs, e.g.
    ``("age", 10.0)`` for age per 10 years. Validated on creation (:class:`CoxSpecError`).
    """

    covariates: tuple[str, ...]
    references: tuple[tuple[str, str], ...] = ()
    steps: tuple[tuple[str, float], ...] = ()
    interaction: tuple[str, str] | None = None
    strata: str | None = None
    ties: Ties = Ties.EFRON
    endpoint: Endpoint = Endpoint.OS
    origin: Origin = Origin.INDEX
    left_truncation: bool = True
    landmark_months: float | None = None

    def __post_init__(self) -> None:
        covs = list(self.covariates)
        if not covs:
            raise CoxSpecError("choose at least one covariate")
        unknown = [c for c in covs if c not in COVARIATES]
        if self.strata is not None and self.strata not in COVARIATES:
            unknown.append(self.strata)
        if unknown:
            raise CoxSpecError(
                f"unknown covariate(s) {', '.join(map(repr, unknown))}; allowed: "
                + ", ".join(COVARIATES)
            )
        if len(set(covs)) != len(covs):
            raise CoxSpecError("a covariate is listed twice")
        if self.strata is not None:
            if COVARIATES[self.strata].continuous:
                raise CoxSpecError(f"cannot stratify on the continuous covariate {self.strata!r}")
            if self.strata in covs:
                raise CoxSpecError(
                    f"{self.strata!r} is both a covariate and the stratification field; "
                    "a stratified field gets its own baseline hazard instead of a hazard ratio"
                )
        for cov, _ in self.references:
            if cov not in covs or COVARIATES[cov].continuous:
                raise CoxSpecError(
                    f"reference level given for {cov!r}, not a categorical covariate"
                )
        for cov, step in self.steps:
            c = COVARIATES.get(cov)
            if c is None or not c.continuous or cov not in covs:
                raise CoxSpecError(f"a step is given for {cov!r}, not a continuous covariate")
            if step not in c.steps:
                raise CoxSpecError(
                    f"{cov} can be entered per {', '.join(f'{s:g}' for s in c.steps)} {c.unit}"
                )
        if self.interaction is not None:
            a, b = self.interaction
            if a == b or a not in covs or b not in covs:
                raise CoxSpecError("an interaction needs two different covariates of the model")
        if self.landmark_months is not None and not 0 < self.landmark_months <= 240:
            raise CoxSpecError("the landmark must be between 0 and 240 months")
        object.__setattr__(self, "ties", Ties.parse(self.ties))
        object.__setattr__(self, "endpoint", Endpoint.parse(self.endpoint))
        object.__setattr__(self, "origin", Origin.parse(self.origin))

    @property
    def landmark_days(self) -> float | None:
        return None if self.landmark_months is None else self.landmark_months * DAYS_PER_MONTH

    @property
    def post_baseline(self) -> tuple[str, ...]:
        """Post-baseline fields in the model (covariates or the stratum)."""
        keys = [*self.covariates, *([self.strata] if self.strata else [])]
        return tuple(k for k in keys if COVARIATES[k].post_baseline)

    def step(self, cov: str) -> float:
        return dict(self.steps).get(cov, COVARIATES[cov].steps[0])

    @property
    def all_categorical(self) -> bool:
        return not any(COVARIATES[c].continuous for c in self.covariates)


def parse_model(
    text: str,
) -> tuple[tuple[str, ...], dict[str, str], dict[str, float], tuple | None]:
    """Parse model text (``sex,grade=G2,age=10,sex*grade``).

    Returns (covariates, references, steps, interaction); raises :class:`CoxSpecError`.
    """
    covs: list[str] = []
    refs: dict[str, str] = {}
    steps: dict[str, float] = {}
    inter: tuple[str, str] | None = None
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        if "*" in item:
            a, _, b = (s.strip() for s in item.partition("*"))
            if inter is not None:
                raise CoxSpecError("only one interaction is supported")
            inter = (a, b)
            for cv in (a, b):
                if cv not in covs:
                    covs.append(cv)
            continue
        name, sep, value = (s.strip() for s in item.partition("="))
        if name not in COVARIATES:
            raise CoxSpecError(f"unknown covariate {name!r}; allowed: {', '.join(COVARIATES)}")
        if name not in covs:
            covs.append(name)
        if sep:
            if COVARIATES[name].continuous:
                try:
                    steps[name] = float(value)
                except ValueError as exc:
                    raise CoxSpecError(f"{item!r}: expected {name}=STEP, a number") from exc
            else:
                refs[name] = value
    return tuple(covs), refs, steps, inter


def spec_from_text(text: str, **kw) -> CoxSpec:
    """A :class:`CoxSpec` from model text plus the other fields as keywords."""
    covs, refs, steps, inter = parse_model(text)
    refs = {**refs, **dict(kw.pop("references", ()))}
    return CoxSpec(
        covariates=covs,
        references=tuple(refs.items()),
        steps=tuple(steps.items()),
        interaction=inter,
        **kw,
    )


def model_text(spec: CoxSpec, resolved: Mapping[str, str] | None = None) -> str:
    """The inverse of :func:`parse_model`: the text that rebuilds ``spec``'s model.

    ``resolved`` (``CoxAnalysis.references``) replaces references given by stored code with
    their labels; a reference that fell back to the default should be left out of it.
    """
    refs, steps = dict(spec.references), dict(spec.steps)
    refs = {k: (resolved or {}).get(k, v) for k, v in refs.items()}
    items = []
    for cv in spec.covariates:
        if cv in refs:
            items.append(f"{cv}={refs[cv]}")
        elif cv in steps and steps[cv] != COVARIATES[cv].steps[0]:
            items.append(f"{cv}={steps[cv]:g}")
        else:
            items.append(cv)
    if spec.interaction:
        items.append("*".join(spec.interaction))
    return ",".join(items)


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Level:
    """Patients and events at one level of a categorical covariate (complete cases)."""

    covariate: str
    level: str
    n: int
    events: int
    reference: bool
    n_hidden: bool = False
    """Protected mode: the patient count is withheld (primary or complementary suppression)."""
    events_hidden: bool = False
    """Protected mode: the event count is withheld."""
    withheld: bool = False
    """Protected mode: no hazard ratio (or PH test) is shown for this level."""
    n_left_out: int = 0
    """Selected patients with this level who are not in the model (any reason)."""
    n_dropped: int = 0
    """Patients with this level and follow-up dropped for another missing covariate."""
    events_dropped: int = 0
    """Their events."""


@dataclass(frozen=True)
class CoxAnalysis:
    """A fitted (or refused) Cox model for one selection.

    ``error`` is a plain-language reason when no model could be fitted (then ``fit`` is None).
    Counts: ``n_selected`` patients matched the filter; ``n_no_time`` have no endpoint time or
    origin (or zero follow-up with delayed entry); ``n_landmark_excluded`` had their event or
    censoring by the landmark; ``n_missing_covariates`` miss a covariate or the stratum
    (``dropped_by`` per field label; a patient can miss several); ``n``/``events`` are used.

    Every count and statistic is exact. What may be shown is decided by :func:`protect` and
    read through :meth:`cell`, :meth:`count`, :meth:`shown_terms` and the presentation
    functions below: never format a raw count of this result for display.
    """

    spec: CoxSpec
    filters: Filters
    fit: CoxResult | None
    zph: ZphResult | None
    design_terms: tuple[DesignTerm, ...]
    levels: tuple[Level, ...]
    references: Mapping[str, str]
    n_selected: int
    n_no_time: int
    n_landmark_excluded: int
    n_landmark_excluded_events: int
    n_missing_covariates: int
    dropped_by: Mapping[str, int]
    n: int
    events: int
    fit_path: FitPath
    rows_fitted: int
    error: str | None = None
    zph_error: str | None = None
    warnings: tuple[str, ...] = ()
    reference_fallbacks: Mapping[str, str] = field(default_factory=dict)
    disclosure: Disclosure = EXEMPT
    """Who is looking and the rule for what they see (core.analyses.disclosure)."""
    n_strata: int = 1
    n_missing_covariate_events: int = 0
    """Events among the patients dropped for a missing covariate or stratum."""
    interaction_cells: tuple[tuple[str, str, int, int], ...] = ()
    """Two categorical covariates in an interaction: (level a, level b, patients, events)."""
    withheld: str = ""
    """Non-empty: under disclosure control nothing of the model is shown, and why (no count)."""
    withheld_terms: tuple[str, ...] = ()
    """Design terms whose row (coefficient, HR, counts) is not shown."""
    withheld_groups: tuple[str, ...] = ()
    """Model terms (covariates, interaction) whose proportional-hazards test is not shown."""
    hidden: frozenset[str] = frozenset()
    """Counts (attribute names; ``dropped_by:<label>``) withheld by complementary suppression."""
    notices: tuple[str, ...] = ()
    """The view's notices (e.g. age filters on 5-year bands)."""
    disclosure_notes: tuple[str, ...] = ()
    """What protected mode left out of this model, in words, without a count."""
    n_no_time_known: int = 0
    """Of ``n_no_time``: patients with a time and an event status (no usable origin, or an
    endpoint on or before the first treatment); their events are shown from the index date."""
    n_no_time_events: int = 0
    """Their events."""

    def cell(self, n: int | None, hidden: bool = False) -> int | str | None:
        """A count as it may be shown: the number, '<11', or 'suppressed' (complementary)."""
        if n is None or not self.disclosure.active:
            return n
        if self.disclosure.hidden(int(n)):
            return self.disclosure.show(n)
        return SUPPRESSED if hidden else int(n)

    def count(self, name: str) -> int | str | None:
        """One of the result's counts (attribute name) as it may be shown."""
        return self.cell(getattr(self, name), name in self.hidden)

    @property
    def residual_points(self) -> bool:
        """Residual plots draw one point per event: never under disclosure control."""
        return not self.disclosure.active

    def shown_terms(self) -> tuple[CoxTerm, ...]:
        """The fitted terms that may be shown (all of them unless protected mode withheld some)."""
        if self.fit is None:
            return ()
        return tuple(t for t in self.fit.terms if t.term not in self.withheld_terms)

    def level_names(self) -> dict[str, list[str]]:
        """Observed levels per categorical covariate, in display order."""
        out: dict[str, list[str]] = {}
        for lv in self.levels:
            out.setdefault(lv.covariate, []).append(lv.level)
        return out

    @property
    def n_parameters(self) -> int:
        return len(self.design_terms)

    @property
    def events_per_parameter(self) -> float | None:
        return self.events / self.n_parameters if self.n_parameters else None


# ---------------------------------------------------------------------------------------------
# Query and preparation
# ---------------------------------------------------------------------------------------------


def _fields(spec: CoxSpec) -> list[str]:
    return [*spec.covariates, *([spec.strata] if spec.strata else [])]


def _columns(spec: CoxSpec) -> CoxColumns:
    """The stored columns of ``spec``: covariates and stratum, endpoint, origin offset."""
    days, event = ENDPOINT_COLUMNS[spec.endpoint]
    fields = _fields(spec)
    # at a landmark a post-baseline status is the one known at L (later: not yet assessed)
    known = tuple(
        (i, GROUPINGS[k].known_day)
        for i, k in enumerate(fields)
        if k in GROUPINGS and GROUPINGS[k].known_day
    )
    return CoxColumns(
        values=tuple(COVARIATES[k].column for k in fields),
        days=days,
        event=event,
        offset=ORIGIN_OFFSET_COLUMN[spec.origin],
        known=known if spec.landmark_days is not None else (),
        known_by=spec.landmark_days,
    )


def _split(arr) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing mask) of a fetched column (masked arrays where NULLs occur)."""
    if np.ma.isMaskedArray(arr):
        return np.ma.getdata(arr), np.ma.getmaskarray(arr)
    arr = np.asarray(arr)
    if arr.dtype == object:
        return arr, pd.isna(arr)
    return arr, np.zeros(arr.shape, dtype=bool)


def _categorical(cov: Covariate, values: np.ndarray, missing: np.ndarray) -> pd.Categorical:
    """Stored values -> level labels, computed once per distinct value.

    ENUM fields arrive as code positions (:func:`core.data.cox_sql.cox_sql`) and booleans as
    such: small non-negative integers, numbered through a table instead of hashed."""
    f = PATIENTS.get(cov.column)
    small = values.dtype.kind in "bu" or (
        values.dtype.kind == "i" and f is not None and f.kind in ("code", "bool")
    )
    if small and f is not None and f.kind in ("code", "bool"):
        top = len(f.codes) if f.kind == "code" else 2  # NULL -> top
        keyed = np.where(missing, top, values).astype(np.intp)
        uniques_i = np.flatnonzero(np.bincount(keyed, minlength=top + 1))
        lookup = np.zeros(top + 1, dtype=np.intp)
        lookup[uniques_i] = np.arange(uniques_i.size)
        lookup[top] = -1  # missing: no level (top is the largest, so the others are 0..)
        codes = lookup[keyed]
        stored = [f.codes[u] if f.kind == "code" else bool(u) for u in uniques_i if u < top]
        labs = [cov.level_of(v) for v in stored]
    else:
        vals = values.astype(object)
        vals[missing] = None
        codes, uniques = pd.factorize(vals, use_na_sentinel=True)
        labs = [cov.level_of(v.item() if hasattr(v, "item") else v) for v in uniques]
    seen = [lb for lb in dict.fromkeys(labs) if lb is not None]
    cats = [lb for lb in cov.order if lb in seen] + sorted(lb for lb in seen if lb not in cov.order)
    # categories: the observed labels, in the covariate's display order
    to_cat = np.array([cats.index(lb) if lb is not None else -1 for lb in labs] + [-1])
    return pd.Categorical.from_codes(to_cat[codes], categories=cats)


@dataclass(frozen=True)
class _Prepared:
    frame: pd.DataFrame  # covariate columns (by key), [stratum], [entry], t, d, c
    has_entry: bool
    tallies: dict


def _prepare(raw: dict, spec: CoxSpec) -> _Prepared:
    """Validity, origin, delayed entry and landmark as core.analyses.survival, then labels."""
    c = np.asarray(raw[AGG_COUNT], dtype=np.int64)
    t_vals, t_missing = _split(raw["t"])
    valid = ~t_missing
    tallies = {
        "n_sel": int(c.sum()),
        "n_no_time": int(c[~valid].sum()),
        # of those, with a time and status but no usable origin (their events show elsewhere)
        "n_no_time_known": int(np.asarray(raw.get("lk", np.zeros(1)), dtype=np.int64).sum()),
        "n_no_time_ev": int(np.asarray(raw.get("ld", np.zeros(1)), dtype=np.int64).sum()),
        "n_lm": 0,
        "n_lm_ev": 0,
    }
    days = t_vals[valid].astype(np.float64)
    d = np.asarray(_split(raw["d"])[0][valid], dtype=np.int64)
    c = c[valid]
    has_offset = ORIGIN_OFFSET_COLUMN[spec.origin] is not None
    off = _split(raw["off"])[0][valid].astype(np.float64) if has_offset else np.zeros(days.size)
    has_entry = has_offset and spec.left_truncation
    exit_ = days + off
    entry = off.copy() if has_entry else np.zeros(days.size)
    keep = np.ones(days.size, dtype=bool)
    if has_entry:
        bad = days <= 0  # entry must precede exit (R: stop > start)
        tallies["n_no_time"] += int(c[bad].sum())
        tallies["n_no_time_known"] += int(c[bad].sum())
        tallies["n_no_time_ev"] += int(d[bad].sum())
        keep &= ~bad
    L = spec.landmark_days
    if L is not None:
        drop = keep & (days <= L)
        tallies["n_lm"] = int(c[drop].sum())
        tallies["n_lm_ev"] = int(d[drop].sum())
        keep &= ~drop
        if has_offset:
            entry = off + L if has_entry else np.zeros(days.size)
        else:
            exit_ = days - L
    cols: dict[str, object] = {}
    kept = np.zeros(valid.size, dtype=bool)
    kept[np.flatnonzero(valid)[keep]] = True
    weights = np.asarray(raw[AGG_COUNT], dtype=np.int64)
    tallies["kept_rows"] = kept  # raw rows analysed (the others are left out)
    tallies["left_levels"] = {}
    for i, key in enumerate(_fields(spec)):
        cov = COVARIATES[key]
        values, missing = _split(raw[f"v{i}"])
        if not cov.continuous and key in spec.covariates and not kept.all():
            # patients per level among those left out before the covariates are looked at
            out = _categorical(cov, values[~kept], missing[~kept])
            tallies["left_levels"][key] = _weighted_counts(out, weights[~kept])
        values, missing = values[valid][keep], missing[valid][keep]
        name = AGG_STRATUM if key == spec.strata else key
        if cov.continuous:
            vals = values.astype(np.float64)
            vals[missing] = np.nan
            cols[name] = vals
        else:
            cols[name] = _categorical(cov, values, missing)
    if has_entry:
        cols[AGG_ENTRY] = entry[keep]
    cols[AGG_TIME] = exit_[keep]
    cols[AGG_EVENTS] = d[keep]
    cols[AGG_COUNT] = c[keep]
    return _Prepared(pd.DataFrame(cols), has_entry, tallies)


def has_delayed_entry(spec: CoxSpec) -> bool:
    """True when patients enter the risk set after time 0 (R ``Surv(entry, exit, event)``)."""
    return ORIGIN_OFFSET_COLUMN[spec.origin] is not None and spec.left_truncation


def model_rows(filters: Filters, spec: CoxSpec, path: Path | str | None = None) -> pd.DataFrame:
    """The patients the model of ``spec`` fits, one row each, in the model's time scale.

    The same query and preparation as :func:`analyse` (origin, delayed entry, landmark) and
    the same complete-case rule (a missing covariate or stratum drops the patient). Columns
    ``entry_days`` (0 without delayed entry), ``exit_days``, ``status`` (1 = event), then each
    covariate as the model uses it (categorical: its level label; continuous: the stored
    value, before any step) and the stratification field. No disclosure is applied here:
    callers decide (:func:`core.analyses.rdata.cox_data`).
    """
    prep = _prepare(cox_arrays(filters, _columns(spec), False, path), spec)
    frame = prep.frame
    cols = [AGG_STRATUM if k == spec.strata else k for k in _fields(spec)]
    data = frame.loc[~frame[cols].isna().any(axis=1).to_numpy()]
    # the patient path: one row per patient (c = 1)
    out: dict[str, object] = {
        "entry_days": data[AGG_ENTRY].to_numpy(float) if prep.has_entry else np.zeros(len(data)),
        "exit_days": data[AGG_TIME].to_numpy(float),
        "status": data[AGG_EVENTS].to_numpy(np.int64),
    }
    for key, col in zip(_fields(spec), cols, strict=True):
        values = data[col]
        continuous = COVARIATES[key].continuous
        out[key] = values.to_numpy(float) if continuous else values.astype(str).to_numpy(object)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------


def _weighted_counts(cat: pd.Categorical, weights: np.ndarray) -> dict[str, int]:
    """Sum of ``weights`` per category of ``cat`` (missing values left out)."""
    codes = np.asarray(cat.codes)
    ok = codes >= 0
    sums = np.bincount(codes[ok], weights[ok], minlength=len(cat.categories))
    return {str(lv): int(v) for lv, v in zip(cat.categories, sums, strict=True) if v}


def _resolve_reference(cov: Covariate, wanted: str, levels: Sequence[str]) -> str | None:
    """A level given by label or stored code (case-insensitive) -> its label, if observed."""
    w = wanted.strip().lower()
    for lv in levels:
        if lv.lower() == w:
            return lv
    f = PATIENTS.get(cov.column)
    label: str | None = None
    if f is not None and f.kind == "bool":
        truth = {"true": True, "1": True, "false": False, "0": False}.get(w)
        label = None if truth is None else cov.level_of(truth)
    elif f is not None and f.codes:
        code = next((c for c in f.codes if c.lower() == w), None)
        label = None if code is None else cov.level_of(code)
    elif f is not None and f.kind == "int":
        try:
            label = cov.level_of(int(w))
        except ValueError:
            label = None
    return label if label in levels else None


def _level_counts(frame: pd.DataFrame, key: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    cat: pd.Categorical = frame[key].array
    k = len(cat.categories)
    codes = np.asarray(cat.codes)
    n = np.bincount(codes, frame[AGG_COUNT].to_numpy(), minlength=k)
    ev = np.bincount(codes, frame[AGG_EVENTS].to_numpy(), minlength=k)
    present = n > 0
    return (
        [str(lv) for lv, p in zip(cat.categories, present, strict=True) if p],
        n[present].astype(np.int64),
        ev[present].astype(np.int64),
    )


def _analyse(
    filters: Filters,
    spec: CoxSpec,
    path: Path | str | None = None,
    *,
    fit_path: FitPath = FitPath.AUTO,
    zph: bool = True,
    d: Disclosure = EXEMPT,
) -> CoxAnalysis:
    """Fit ``spec`` on the selected patients (R ``coxph`` + ``cox.zph``); never raises for a
    model that cannot be fitted: ``error`` then says why in plain words (counts in it as ``d``
    shows them; the statistics do not depend on ``d``).

    ``fit_path``: AUTO uses the aggregated path when every covariate is categorical.
    """
    fit_path = FitPath(fit_path)
    if fit_path is FitPath.AUTO:
        fit_path = FitPath.AGGREGATED if spec.all_categorical else FitPath.PATIENT
    aggregate = fit_path is FitPath.AGGREGATED
    prep = _prepare(cox_arrays(filters, _columns(spec), aggregate, path), spec)
    return _analyse_prepared(prep, filters, spec, fit_path, zph=zph, d=d)


def analyse(
    filters: Filters,
    spec: CoxSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
    fit_path: FitPath = FitPath.AUTO,
    zph: bool = True,
) -> CoxAnalysis:
    """The Cox model of ``spec`` on the selection, as the viewer in ``mode`` may see it.

    Opens the view (:func:`core.analyses.view.open_view`): a refused view gives a result with
    no model and the refusal as ``withheld``/``error``. Otherwise the model is fitted exactly
    (see :func:`_analyse`) on the view's filters and :func:`protect` applies the disclosure.
    """
    view = open_view(filters, mode, path)
    if view.refused:
        return _refused_view(view, spec, FitPath(fit_path))
    d = view.disclosure
    result = _analyse(view.filters, spec, path, fit_path=fit_path, zph=zph, d=d)
    return protect(replace(result, disclosure=d, notices=view.notices))


def _refused_view(view: View, spec: CoxSpec, fit_path: FitPath) -> CoxAnalysis:
    """No model, no count: the query-set-size restriction refused the selection."""
    return CoxAnalysis(
        spec=spec,
        filters=view.filters,
        fit=None,
        zph=None,
        design_terms=(),
        levels=(),
        references={},
        n_selected=0,
        n_no_time=0,
        n_landmark_excluded=0,
        n_landmark_excluded_events=0,
        n_missing_covariates=0,
        dropped_by={},
        n=0,
        events=0,
        fit_path=fit_path,
        rows_fitted=0,
        error=view.refusal,
        disclosure=view.disclosure,
        withheld=view.refusal,
        notices=view.notices,
    )


def _analyse_prepared(
    prep: _Prepared,
    filters: Filters,
    spec: CoxSpec,
    fit_path: FitPath,
    *,
    zph: bool = True,
    d: Disclosure = EXEMPT,
) -> CoxAnalysis:
    frame, tallies = prep.frame, prep.tallies
    c = d.show
    fields_ = _fields(spec)
    cols = [AGG_STRATUM if k == spec.strata else k for k in fields_]
    missing = frame[cols].isna() if cols else pd.DataFrame(index=frame.index)
    weights = frame[AGG_COUNT].to_numpy()
    dropped_by = {
        COVARIATES[k].label: int(weights[missing[col].to_numpy()].sum())
        for k, col in zip(fields_, cols, strict=True)
    }
    cc = ~missing.any(axis=1).to_numpy()
    data = frame.loc[cc]
    n = int(data[AGG_COUNT].sum())
    events = int(data[AGG_EVENTS].sum())
    warnings = list(_warnings(spec))
    base = dict(
        spec=spec,
        filters=filters,
        n_selected=tallies["n_sel"],
        n_no_time=tallies["n_no_time"],
        n_no_time_known=tallies.get("n_no_time_known", 0),
        n_no_time_events=tallies.get("n_no_time_ev", 0),
        n_landmark_excluded=tallies["n_lm"],
        n_landmark_excluded_events=tallies["n_lm_ev"],
        n_missing_covariates=int(weights[~cc].sum()),
        n_missing_covariate_events=int(frame[AGG_EVENTS].to_numpy()[~cc].sum()),
        dropped_by={k: v for k, v in dropped_by.items() if v},
        n=n,
        events=events,
        fit_path=fit_path,
        rows_fitted=len(data),
        interaction_cells=_interaction_cells(data, spec),
    )

    # levels, references, one-level covariates
    levels: list[Level] = []
    references: dict[str, str] = {}
    fallbacks: dict[str, str] = {}
    wanted = dict(spec.references)
    one_level: list[str] = []
    for key in spec.covariates:
        cov = COVARIATES[key]
        if cov.continuous:
            continue
        names, ln, le = _level_counts(data, key)
        if not names:
            continue
        ref = names[int(np.argmax(ln))]
        if key in wanted:
            got = _resolve_reference(cov, wanted[key], names)
            if got is None:
                fallbacks[key] = (
                    f"Reference level {wanted[key]!r} of {cov.label} is not among the levels "
                    f"observed ({', '.join(names)}); the most frequent level, {ref}, is used."
                )
            else:
                ref = got
        references[key] = ref
        dropped = frame[key].array[~cc]
        dn = _weighted_counts(dropped, frame[AGG_COUNT].to_numpy()[~cc])
        de = _weighted_counts(dropped, frame[AGG_EVENTS].to_numpy()[~cc])
        before = tallies.get("left_levels", {}).get(key, {})
        levels += [
            Level(
                key,
                nm,
                int(a),
                int(b),
                nm == ref,
                n_left_out=before.get(nm, 0) + dn.get(nm, 0),
                n_dropped=dn.get(nm, 0),
                events_dropped=de.get(nm, 0),
            )
            for nm, a, b in zip(names, ln, le, strict=True)
        ]
        if len(names) == 1:
            one_level.append(f"{cov.label} has only one level ({names[0]})")
    warnings += fallbacks.values()

    def refused(message: str, terms: tuple = ()) -> CoxAnalysis:
        return CoxAnalysis(
            fit=None,
            zph=None,
            design_terms=terms,
            levels=tuple(levels),
            references=references,
            error=message,
            warnings=tuple(warnings),
            reference_fallbacks=fallbacks,
            **base,
        )

    if n == 0:
        return refused(
            "No patient in this selection has follow-up for this endpoint and origin and a "
            "value for every covariate."
        )
    if one_level:
        return refused(
            "; ".join(one_level)
            + f" among the {c(n)} patients analysed, so its effect cannot be estimated. "
            "Remove it from the model or widen the selection."
        )
    try:
        design = _design(data, spec, references, count=fit_path is FitPath.AGGREGATED)
    except CoxModelError as exc:
        return refused(_sentence(str(exc)))
    p = len(design.terms)
    if events == 0:
        return refused(
            f"No events among the {c(n)} patients analysed, so a Cox model cannot be fitted: "
            "widen the selection or choose another endpoint.",
            design.terms,
        )
    if events < max(MIN_EVENTS, p):
        return refused(
            f"Too few events: {c(events)} {'event' if events == 1 else 'events'} among the {c(n)} "
            f"patients analysed, for {p} model parameter{'s' if p > 1 else ''}. A Cox model "
            f"needs at least {max(MIN_EVENTS, p)} events here (and about 10 per parameter "
            "for stable estimates): widen the selection, choose another endpoint or use "
            "fewer covariates.",
            design.terms,
        )
    try:
        fit = _fit(data, design, spec, fit_path, prep.has_entry)
    except CoxModelError as exc:
        return refused(_sentence(str(exc)), design.terms)
    zres, zerr = None, None
    if zph:
        try:
            zres = cox_zph(fit)
        except CoxModelError as exc:
            zerr = _sentence(str(exc))
    return CoxAnalysis(
        fit=fit,
        zph=zres,
        zph_error=zerr,
        design_terms=design.terms,
        levels=tuple(levels),
        references=references,
        warnings=tuple(warnings) + fit.warnings,
        reference_fallbacks=fallbacks,
        n_strata=fit.n_strata,
        **base,
    )


def _interaction_cells(data: pd.DataFrame, spec: CoxSpec) -> tuple[tuple[str, str, int, int], ...]:
    """Patients and events per combination of two interacting categorical covariates."""
    if spec.interaction is None or any(COVARIATES[k].continuous for k in spec.interaction):
        return ()
    a, b = spec.interaction
    if not len(data):
        return ()
    g = data.groupby([a, b], observed=True)[[AGG_COUNT, AGG_EVENTS]].sum()
    return tuple(
        (str(la), str(lb), int(row[AGG_COUNT]), int(row[AGG_EVENTS]))
        for (la, lb), row in g.iterrows()
        if row[AGG_COUNT] > 0
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _design(
    data: pd.DataFrame, spec: CoxSpec, references: Mapping[str, str], count: bool
) -> Design:
    cont = {k for k in spec.covariates if COVARIATES[k].continuous}
    return build_design(
        data,
        spec.covariates,
        reference_levels=references,
        interaction=spec.interaction,
        continuous=cont,
        units={k: COVARIATES[k].unit for k in cont},
        scale={k: spec.step(k) for k in cont},
        count=AGG_COUNT if count else None,
    )


def _fit(
    data: pd.DataFrame, design: Design, spec: CoxSpec, fit_path: FitPath, has_entry: bool
) -> CoxResult:
    if fit_path is FitPath.AGGREGATED:
        agg = data.drop(columns=[c for c in data.columns if c in COVARIATES])
        return fit_cox_aggregated(agg, spec.ties, X=design.X, groups=design.groups)
    return fit_cox(
        data[AGG_TIME].to_numpy(),
        data[AGG_EVENTS].to_numpy(),
        design.X,
        spec.ties,
        strata=data[AGG_STRATUM].to_numpy() if spec.strata else None,
        entry=data[AGG_ENTRY].to_numpy() if has_entry else None,
        groups=design.groups,
    )


def _warnings(spec: CoxSpec) -> list[str]:
    out = []
    post = spec.post_baseline
    if post and spec.landmark_months is None:
        names = ", ".join(short_label(k) for k in post)
        out.append(
            f"Post-baseline covariates ({names}) are known only in hindsight: a patient must "
            "survive long enough to be assessed or retreated, so their hazard ratios carry "
            "immortal-time bias (in favour of the statuses that take longer to reach). Turn on "
            "the landmark analysis."
        )
    undated = [k for k in post if not GROUPINGS[k].known_day]
    if post and spec.landmark_months is not None:
        dated = [k for k in post if GROUPINGS[k].known_day]
        if dated:
            out.append(
                f"{', '.join(short_label(k) for k in dated)}: each patient has the status "
                "known at the landmark; those assessed later count as not yet assessed and, "
                "like those never assessed, are not in the model."
            )
        if undated:
            out.append(
                f"The day of {', '.join(short_label(k) for k in undated)} is not recorded, so "
                "the landmark cannot tell whether it was known by then: the estimates may "
                "still use information from after the landmark."
            )
    if spec.origin is not Origin.INDEX and not spec.left_truncation:
        out.append(
            "Without delayed entry, patients count as at risk before they were treated, when "
            "they could not have been observed to die: estimates are biased."
        )
    return out


# ---------------------------------------------------------------------------------------------
# Disclosure: what of an exact result may be shown
# ---------------------------------------------------------------------------------------------


def _withhold(a: CoxAnalysis, message: str) -> CoxAnalysis:
    """No model shown: the statistics are dropped from the result, the reason kept."""
    return replace(
        a,
        fit=None,
        zph=None,
        levels=(),
        interaction_cells=(),
        error=message,
        withheld=message,
        warnings=(),
        reference_fallbacks={},
    )


def _left_out_reasons(a: CoxAnalysis) -> str:
    reasons = []
    if a.n_no_time:
        reasons.append("no follow-up for this endpoint and origin")
    if a.n_landmark_excluded:
        reasons.append("an event or censoring by the landmark")
    if a.n_missing_covariates:
        reasons.append("a missing or not assessed value")
    return " or ".join(reasons)


def _model_refusal(a: CoxAnalysis) -> str:
    """Protected mode: why no model may be shown ('' when one may); never gives a count."""
    d = a.disclosure
    t = d.threshold
    left_out = [a.n_no_time, a.n_landmark_excluded, a.n_missing_covariates]
    if d.hidden(a.n):
        return (
            f"Fewer than {t} patients of this selection have follow-up and a value for every "
            "covariate; under disclosure control no model is shown. Widen the selection or "
            "use fewer covariates."
        )
    if d.hidden(sum(left_out)):
        return (
            f"Fewer than {t} of the selected patients are left out of this model "
            f"({_left_out_reasons(a)}); under disclosure control the model is not shown, as "
            "its counts beside the selection's would reveal them. Remove the covariate with "
            "missing values or widen the selection."
        )
    if d.hidden(a.events) or d.hidden(a.n - a.events):
        what = "events" if d.hidden(a.events) else "patients without an event"
        return (
            f"Fewer than {t} {what} among the patients analysed; under disclosure control no "
            "model is shown. Widen the selection or choose another endpoint."
        )
    if d.hidden(a.n_missing_covariate_events) or d.hidden(
        a.n_missing_covariates - a.n_missing_covariate_events
    ):
        return (
            f"Fewer than {t} events, or patients without an event, fall among the patients left "
            "out of this model for a missing or not assessed value; under disclosure control "
            "the model is not shown, "
            "as it would reveal them. Remove the covariate with missing values or widen the "
            "selection."
        )
    # events and non-events among the left out whose time and status are known (shown by
    # the same selection from the index date, without the landmark or the covariate)
    known = a.n_no_time_known + a.n_landmark_excluded
    events = a.n_no_time_events + a.n_landmark_excluded_events
    cov_ev = a.n_missing_covariate_events
    if left_out_small(d, 0, known, events) or left_out_small(
        d, 0, known + a.n_missing_covariates, events + cov_ev
    ):
        return events_refusal(d)
    return ""


def _level_patterns(a: CoxAnalysis) -> dict[str, tuple[list[bool], list[bool]]]:
    """Per categorical covariate: (patients hidden, events hidden) over its levels.

    Each covariate's levels add up to the model's n and events, which are shown: primary and
    complementary suppression over the patients, over the events and over the patients
    without an event (n - events, derivable from the two) of its levels. A level's counts are
    also primary cells when they differ from the same level's counts in another view by 1 ..
    threshold-1 patients or events: the selection's (Table 1: patients left out of the model,
    for any reason) or the survival view's (patients with follow-up dropped for another
    covariate, their events and non-events).
    """
    d = a.disclosure
    out: dict[str, tuple[list[bool], list[bool]]] = {}
    by_cov: dict[str, list[Level]] = {}
    for lv in a.levels:
        by_cov.setdefault(lv.covariate, []).append(lv)
    for cov, lvs in by_cov.items():
        n = [x.n for x in lvs]
        ev = [x.events for x in lvs]
        free = [x.n - x.events for x in lvs]
        diff_n = [d.hidden(x.n_left_out) or d.hidden(x.n_dropped) for x in lvs]
        diff_ev = [
            d.hidden(x.events_dropped) or d.hidden(x.n_dropped - x.events_dropped) for x in lvs
        ]
        primary_n = [s or h for s, h in zip(suppressed_cells(n, d), diff_n, strict=True)]
        hide_n = complete_suppression(n, primary_n, d)
        hide_free = suppressed_cells(free, d)
        # events: small, differing from another view by a small number, or hidden to protect
        # n - events; then completed again over the events
        hide_ev = [
            s or h or f for s, h, f in zip(suppressed_cells(ev, d), diff_ev, hide_free, strict=True)
        ]
        hide_ev = complete_suppression(ev, hide_ev, d)
        out[cov] = (hide_n, hide_ev)
    return out


def _interaction_withheld(a: CoxAnalysis) -> bool:
    """A categorical x categorical interaction with a suppressed combination of levels."""
    if not a.interaction_cells:
        return False
    la = sorted({x[0] for x in a.interaction_cells})
    lb = sorted({x[1] for x in a.interaction_cells})
    n = np.zeros((len(la), len(lb)), dtype=np.int64)
    ev = np.zeros_like(n)
    for x, y, cn, ce in a.interaction_cells:
        n[la.index(x), lb.index(y)] = cn
        ev[la.index(x), lb.index(y)] = ce
    d = a.disclosure
    return bool(
        suppress_table(n, d).any() or suppress_table(ev, d).any() or suppress_table(n - ev, d).any()
    )


_NONE_OF = re.compile(r"none of the (\d+) patients")


def _protect_text(text: str, d: Disclosure) -> str:
    """Counts inside the engine's warnings, as ``d`` shows them."""
    return _NONE_OF.sub(lambda m: f"none of the {d.show(int(m.group(1)))} patients", text)


def _ph_flag(z: ZphResult, withheld: set[str]) -> str | None:
    """The PH warning of :func:`core.stats.cox.cox_zph` over the tests that are shown, without
    pointing to the residual plot (not drawn under disclosure control)."""
    bad = [t for t in z.terms if t.p < 0.05 and t.term not in withheld]
    if not bad and z.global_test.p >= 0.05:
        return None
    listed = ", ".join(f"{t.term} (p = {t.p:.3g})" for t in bad)
    return (
        "The proportional-hazards assumption looks doubtful"
        + (f" for {listed}" if listed else f" overall (global p = {z.global_test.p:.3g})")
        + ": the hazard ratio may change over follow-up, so a single HR can mislead. Consider "
        "stratifying on the term or splitting time."
    )


def _withheld_names(levels: Sequence[Level]) -> list[str]:
    """'Sex' when every level of a covariate is withheld, else 'Grade: G3, GX (not assessed)'."""
    out = []
    for cov in dict.fromkeys(x.covariate for x in levels):
        lvs = [x for x in levels if x.covariate == cov]
        gone = [x.level for x in lvs if x.withheld]
        if len(gone) == len(lvs):
            out.append(short_label(cov))
        elif gone:
            out.append(f"{short_label(cov)}: {', '.join(gone)}")
    return out


def protect(a: CoxAnalysis) -> CoxAnalysis:
    """Apply ``a.disclosure`` to an exact result: the one place the Cox model decides what may be
    shown. Exact mode and exempt (synthetic, published) data: unchanged.

    The statistics of what is shown are untouched; what may not be shown is marked
    (``withheld_terms``, ``withheld_groups``, ``hidden``, level flags) or, for the whole model,
    dropped (``withheld``). Patient-level residuals and risk sets are dropped from the result.
    """
    d = a.disclosure
    if not d.active or a.withheld:
        return a
    if why := _model_refusal(a):
        return _withhold(a, why)
    hidden: set[str] = set()
    parts = ("n_no_time", "n_landmark_excluded", "n_missing_covariates")
    for name, h in zip(parts, suppressed_cells([getattr(a, k) for k in parts], d), strict=True):
        if h:
            hidden.add(name)
    lm, lm_ev = a.n_landmark_excluded, a.n_landmark_excluded_events
    if "n_landmark_excluded" in hidden or any(suppressed_cells([lm_ev, lm - lm_ev], d)):
        hidden.add("n_landmark_excluded_events")
    if "n_missing_covariates" in hidden or d.hidden(a.n_missing_covariates):
        hidden |= {f"dropped_by:{k}" for k in a.dropped_by}
    patterns = _level_patterns(a)
    levels, withheld_levels = [], set()
    for cov, (hide_n, hide_ev) in patterns.items():
        lvs = [x for x in a.levels if x.covariate == cov]
        flags = [hn or he for hn, he in zip(hide_n, hide_ev, strict=True)]
        if any(f and x.reference for f, x in zip(flags, lvs, strict=True)):
            flags = [True] * len(lvs)  # every hazard ratio is against the hidden reference
        for x, hn, he, f in zip(lvs, hide_n, hide_ev, flags, strict=True):
            levels.append(replace(x, n_hidden=hn, events_hidden=he, withheld=f))
            if f:
                withheld_levels.add((cov, x.level))
    order = {(x.covariate, x.level): i for i, x in enumerate(a.levels)}
    levels.sort(key=lambda x: order[(x.covariate, x.level)])
    notes = []
    inter = _interaction_withheld(a)
    by_name = {t.name: t for t in a.design_terms}
    withheld_terms: list[str] = []
    for t in a.design_terms:
        if t.kind == "level":
            gone = (t.covariate, t.level) in withheld_levels
            gone = gone or (inter and t.covariate in (a.spec.interaction or ()))
        elif t.kind == "interaction":
            parts_ = [by_name[p] for p in t.name.split(":") if p in by_name]
            gone = inter or any((p.covariate, p.level) in withheld_levels for p in parts_)
        else:
            gone = False
        if gone:
            withheld_terms.append(t.name)
    groups = {cov for cov, _ in withheld_levels}
    if inter:
        groups |= set(a.spec.interaction or ())
    if a.spec.interaction and (inter or any(":" in t for t in withheld_terms)):
        groups.add(":".join(a.spec.interaction))
    if withheld_levels:
        names = "; ".join(_withheld_names(levels))
        notes.append(
            f"Under disclosure control no hazard ratio is shown for {names}: a level with "
            f"fewer than {d.threshold} patients, events or patients without an event, or one "
            "withheld to protect such a level. The model still includes them; the other "
            "hazard ratios are adjusted for them."
        )
    if inter:
        a_, b_ = (short_label(k) for k in a.spec.interaction)
        notes.append(
            f"Under disclosure control the interaction {a_} × {b_} and the hazard ratios of "
            f"{a_} and {b_} are not shown: a combination of their levels holds fewer than "
            f"{d.threshold} patients, events or patients without an event."
        )
    quoted = [repr(t) for t in withheld_terms]
    warnings = tuple(_protect_text(w, d) for w in a.warnings if not any(q in w for q in quoted))
    fit = replace(a.fit, _risk=None) if a.fit is not None else None
    zph = a.zph
    if zph is not None:
        flag = _ph_flag(zph, groups)
        zph = replace(zph, residuals=zph.residuals.iloc[0:0], flag=flag)
    return replace(
        a,
        fit=fit,
        zph=zph,
        levels=tuple(levels),
        withheld_terms=tuple(withheld_terms),
        withheld_groups=tuple(sorted(groups)),
        hidden=frozenset(hidden),
        warnings=warnings,
        error=_protect_text(a.error, d) if a.error else a.error,
        disclosure_notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# Presentation: labels, tables, chart frames, JSON
# ---------------------------------------------------------------------------------------------


def methods_text(spec: CoxSpec) -> str:
    """The caption's method statement, e.g. 'Cox proportional hazards, Efron ties, Wald CI'."""
    bits = [f"Cox proportional hazards, {spec.ties.label} ties, Wald CI"]
    bits.append(f"{spec.endpoint.label.lower()} from {spec.origin.label.lower()}")
    if spec.strata:
        bits.append(f"stratified by {COVARIATES[spec.strata].label.lower()}")
    if spec.origin is not Origin.INDEX and spec.left_truncation:
        bits.append("delayed entry at first treatment")
    if spec.landmark_months is not None:
        bits.append(f"landmark {spec.landmark_months:g} months")
    return "; ".join(bits)


def short_label(key: str) -> str:
    """Covariate label without the '(post-baseline)' note, for table rows and plot labels."""
    return COVARIATES[key].label.removesuffix(" (post-baseline)")


def term_label(term: DesignTerm, spec: CoxSpec) -> str:
    """'Sex: Male', 'Age (per 10 years)', 'Sex: Male × Grade: G2'."""
    if term.kind == "level":
        return f"{short_label(term.covariate)}: {term.level}"
    if term.kind == "continuous":
        cov = COVARIATES[term.covariate]
        return f"{cov.label} ({cov.step_text(spec.step(cov.key))})"
    return term.name


def _labels(analysis: CoxAnalysis) -> dict[str, str]:
    by_name = {t.name: t for t in analysis.design_terms}
    out = {}
    for t in analysis.design_terms:
        if t.kind == "interaction":
            parts = t.name.split(":")
            out[t.name] = " × ".join(term_label(by_name[p], analysis.spec) for p in parts)
        else:
            out[t.name] = term_label(t, analysis.spec)
    return out


def group_label(analysis: CoxAnalysis, group: str) -> str:
    """Label of a model term (covariate or interaction) as in the PH-test table."""
    if ":" in group:
        return " × ".join(group_label(analysis, g) for g in group.split(":"))
    cov = COVARIATES.get(group)
    if cov is None:
        return group
    return (
        term_label(DesignTerm(group, group, group, "continuous"), analysis.spec)
        if (cov.continuous)
        else cov.label
    )


def _separated(analysis: CoxAnalysis) -> set[str]:
    """Terms whose estimate is flagged as possibly infinite by core.stats.cox."""
    fit = analysis.fit
    if fit is None:
        return set()
    return {
        t.term for t in fit.terms if any(f"{t.term!r} may be infinite" in w for w in fit.warnings)
    }


def _fmt_hr(hr: float, lo: float, hi: float) -> str:
    def f(x: float) -> str:
        if not math.isfinite(x):
            return "∞"
        return f"{x:.2f}" if x < 100 else f"{x:.3g}"

    return f"{f(hr)} ({f(lo)}–{f(hi)})"


def model_frame(analysis: CoxAnalysis) -> pd.DataFrame:
    """The model table: term, coefficient, SE, HR (95% CI), Wald p, n and events per level."""
    from core.vocab.formatting import fmt_p

    labels = _labels(analysis)
    # a continuous term's n: the patients in the model, all of whom have a value
    cont = {t.name: analysis.n for t in analysis.design_terms if t.kind == "continuous"}
    cont_ev = {k: analysis.events for k in cont}
    rows = []
    for t in analysis.shown_terms():
        rows.append(
            {
                "Term": labels[t.term],
                "Coefficient": round(t.coef, 4),
                "SE": round(t.se, 4),
                "HR (95% CI)": _fmt_hr(t.hr, t.hr_lower, t.hr_upper),
                "p (Wald)": fmt_p(t.p, prefix=False),
                "n": analysis.cell(t.n_level if t.n_level is not None else cont.get(t.term)),
                "Events": analysis.cell(
                    t.events_level if t.n_level is not None else cont_ev.get(t.term)
                ),
            }
        )
    frame = pd.DataFrame(rows)
    return _count_columns(frame, analysis) if len(frame) else frame


def _count_columns(frame: pd.DataFrame, analysis: CoxAnalysis) -> pd.DataFrame:
    """n and Events as integers, or as text when disclosure control may write '<11'."""
    if not analysis.disclosure.active:
        return frame.astype({"n": "Int64", "Events": "Int64"})

    def show(v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "–"  # a continuous term has no count
        return str(int(v)) if isinstance(v, int | float | np.integer | np.floating) else str(v)

    return frame.assign(**{c: frame[c].map(show) for c in ("n", "Events")})


def forest_frame(analysis: CoxAnalysis) -> tuple[pd.DataFrame, list[str]]:
    """Rows for :func:`core.present.charts.forest_chart` and the labels of terms left out.

    Per categorical covariate, its reference level (value 1, kind 'reference') then each level;
    continuous and interaction terms one row each. Terms with a possibly infinite estimate
    (separation) are left out of the chart and returned by label. Terms withheld under
    disclosure control are neither drawn nor listed (``disclosure_notes`` says so).
    """
    fit = analysis.fit
    if fit is None:
        return pd.DataFrame(columns=["label", "value", "lower", "upper", "kind"]), []
    labels = _labels(analysis)
    by_term = {t.term: t for t in fit.terms}
    sep = _separated(analysis)
    lv = {(x.covariate, x.level): x for x in analysis.levels}
    rows, left_out = [], []
    seen_cov: set[str] = set()
    c = analysis.cell
    for dt in analysis.design_terms:
        if dt.name in analysis.withheld_terms:
            continue
        t = by_term[dt.name]
        if dt.kind == "level" and dt.covariate not in seen_cov:
            seen_cov.add(dt.covariate)
            ref = lv[(dt.covariate, dt.reference)]
            rows.append(
                {
                    "label": f"{short_label(dt.covariate)}: {dt.reference} (reference; "
                    f"n={c(ref.n, ref.n_hidden)}, {c(ref.events, ref.events_hidden)} events)",
                    "value": 1.0,
                    "lower": 1.0,
                    "upper": 1.0,
                    "HR (95% CI)": "reference",
                    "kind": "reference",
                }
            )
        if dt.name in sep or not all(map(math.isfinite, (t.hr, t.hr_lower, t.hr_upper))):
            left_out.append(labels[dt.name])
            continue
        counts = (
            f" (n={analysis.cell(t.n_level)}, {analysis.cell(t.events_level)} events)"
            if t.n_level is not None
            else f" (n={analysis.cell(analysis.n)}, {analysis.cell(analysis.events)} events)"
            if dt.kind == "continuous"  # every patient in the model has a value
            else ""
        )
        rows.append(
            {
                "label": labels[dt.name] + counts,
                "value": t.hr,
                "lower": t.hr_lower,
                "upper": t.hr_upper,
                "HR (95% CI)": _fmt_hr(t.hr, t.hr_lower, t.hr_upper),
                "kind": "estimate",
            }
        )
    return pd.DataFrame(rows), left_out


def export_frame(analysis: CoxAnalysis) -> pd.DataFrame:
    """The model table for a CSV: numeric columns (term, label, coef, se, hr, hr_lower,
    hr_upper, p, n, events); a count withheld under disclosure control is empty and named in
    ``note``. A continuous term's n and events are the model's (every patient has a value)."""
    a = analysis
    labels = _labels(a)
    kinds = {t.name: t.kind for t in a.design_terms}
    rows = []
    for t in a.shown_terms():
        cont = kinds.get(t.term) == "continuous"
        n = a.cell(a.n if cont else t.n_level)
        ev = a.cell(a.events if cont else t.events_level)
        withheld = [k for k, v in (("n", n), ("events", ev)) if isinstance(v, str)]
        rows.append(
            {
                "term": t.term,
                "label": labels[t.term],
                "coef": t.coef,
                "se": t.se,
                "hr": t.hr,
                "hr_lower": t.hr_lower,
                "hr_upper": t.hr_upper,
                "p": t.p,
                "n": n if isinstance(n, int) else None,
                "events": ev if isinstance(ev, int) else None,
                "note": f"withheld: {', '.join(withheld)}" if withheld else "",
            }
        )
    frame = pd.DataFrame(rows)
    return frame.astype({"n": "Int64", "events": "Int64"}) if len(frame) else frame


def level_frame(analysis: CoxAnalysis) -> pd.DataFrame:
    """Patients and events per level of each categorical covariate (complete cases)."""
    frame = pd.DataFrame(
        [
            {
                "Covariate": COVARIATES[x.covariate].label,
                "Level": x.level + (" (reference)" if x.reference else ""),
                "n": analysis.cell(x.n, x.n_hidden),
                "Events": analysis.cell(x.events, x.events_hidden),
            }
            for x in analysis.levels
        ]
    )
    return _count_columns(frame, analysis) if len(frame) else frame


def zph_frame(analysis: CoxAnalysis) -> pd.DataFrame:
    """Per-term and global proportional-hazards tests (R ``cox.zph(fit)$table``)."""
    from core.vocab.formatting import fmt_p

    z = analysis.zph
    if z is None:
        return pd.DataFrame()
    rows = [
        {
            "Term": group_label(analysis, t.term),
            "Chi-square": round(t.chi2, 3),
            "df": t.df,
            "p": fmt_p(t.p, prefix=False),
        }
        for t in z.terms
        if t.term not in analysis.withheld_groups
    ]
    g = z.global_test
    rows.append(
        {
            "Term": "Global",
            "Chi-square": round(g.chi2, 3),
            "df": g.df,
            "p": fmt_p(g.p, prefix=False),
        }
    )
    return pd.DataFrame(rows)


def zph_terms(analysis: CoxAnalysis) -> list[str]:
    """Model terms (covariates, interaction) that have a residual column to plot."""
    if analysis.zph is None or not analysis.residual_points:
        return []
    return [t.term for t in analysis.zph.terms if t.term not in analysis.withheld_groups]


def residual_frame(
    analysis: CoxAnalysis, term: str, unit: TimeUnit = TimeUnit.MONTHS
) -> tuple[pd.DataFrame, float, str | None]:
    """Scaled Schoenfeld residuals of ``term`` against time in ``unit``, one row per event
    (an aggregated row stands for ``n_events`` events with the same residual).

    Returns (frame with columns time, residual; the constant-effect level to draw as a
    reference line: the coefficient for a one-column term, 1 for a multi-column term; a note
    when more than :data:`MAX_RESIDUAL_POINTS` events were thinned to a random sample of
    that many, fixed seed, for drawing). Not under disclosure control (one point per event:
    its day and, from the residual's sign, the patient's covariate): raises ValueError.
    """
    if not analysis.residual_points:
        raise ValueError("residual points are not shown under disclosure control")
    res = analysis.zph.residuals
    sub = res[["time", "n_events", term]].dropna()
    rows = np.repeat(np.arange(len(sub)), sub["n_events"].to_numpy())
    note = None
    if rows.size > MAX_RESIDUAL_POINTS:
        note = (
            f"A random sample of {MAX_RESIDUAL_POINTS} of the {rows.size} events is drawn; the "
            "test uses them all."
        )
        pick = np.random.default_rng(0).choice(rows.size, MAX_RESIDUAL_POINTS, replace=False)
        rows = rows[np.sort(pick)]
    cols = dict(analysis.fit.groups)[term]
    level = analysis.fit.term(cols[0]).coef if len(cols) == 1 else 1.0
    out = pd.DataFrame(
        {
            "time": sub["time"].to_numpy()[rows] / TIME_UNIT_DAYS[unit],
            "residual": sub[term].to_numpy()[rows],
        }
    )
    return out, float(level), note


def time_axis_title(spec: CoxSpec, unit: TimeUnit = TimeUnit.MONTHS) -> str:
    """'Time from first radionuclide treatment (months)', or from the landmark."""
    if spec.landmark_months is not None and spec.origin is Origin.INDEX:
        return f"Time from the {spec.landmark_months:g}-month landmark ({unit.label})"
    return f"Time from {spec.origin.label.lower()} ({unit.label})"


def to_json_dict(analysis: CoxAnalysis, cohort: str | None = None) -> dict:
    """The CLI's JSON shape (see core/commands/cox.py): counts and terms as they may be shown."""
    a = analysis
    d = a.disclosure
    out: dict = {"cohort": cohort, "disclosure": d.json()}
    if a.notices:
        out["notices"] = list(a.notices)
    if a.withheld:
        out["error"] = a.withheld
        out["withheld"] = True
        return out
    fit = a.fit
    out |= {
        "description": a.filters.describe(a.cell(a.n)),
        "endpoint": a.spec.endpoint.value,
        "origin": a.spec.origin.value,
        "ties": a.spec.ties.value,
        "strata": a.spec.strata,
        "model": model_text(a.spec),
        "n": a.cell(a.n),
        "events": a.cell(a.events),
        "n_selected": a.count("n_selected"),
        "n_no_time": a.count("n_no_time"),
        "n_missing_covariates": a.count("n_missing_covariates"),
        "n_landmark_excluded": a.count("n_landmark_excluded"),
        "references": dict(a.references),
        "fit_path": a.fit_path.value,
    }
    if fit is None:
        out["error"] = a.error
        return out
    out["terms"] = [
        {
            "term": t.term,
            "coef": t.coef,
            "se": t.se,
            "hr": t.hr,
            "hr_ci": [t.hr_lower, t.hr_upper],
            "p": t.p,
            "n": a.cell(t.n_level),
            "events": a.cell(t.events_level),
        }
        for t in a.shown_terms()
    ]
    if a.withheld_terms:
        out["withheld_terms"] = list(a.withheld_terms)
        out["disclosure_notes"] = list(a.disclosure_notes)
    for key, test in (
        ("lr_test", fit.lr_test),
        ("score_test", fit.score_test),
        ("wald_test", fit.wald_test),
    ):
        out[key] = {"chi2": test.chi2, "df": test.df, "p": test.p}
    out["concordance"] = fit.concordance.value
    out["concordance_se"] = fit.concordance.se
    z = a.zph
    out["ph_test"] = (
        [
            {"term": t.term, "chi2": t.chi2, "df": t.df, "p": t.p}
            for t in z.terms
            if t.term not in a.withheld_groups
        ]
        if z
        else []
    )
    out["ph_global"] = (
        {"chi2": z.global_test.chi2, "df": z.global_test.df, "p": z.global_test.p} if z else None
    )
    out["warnings"] = list(a.warnings)
    return out


def not_analysed_text(analysis: CoxAnalysis) -> str | None:
    """Why selected patients are not in the model, with counts; None when all are."""
    a = analysis
    if a.withheld:
        return None
    c = a.count
    missing = a.n_selected - a.n
    if missing <= 0:
        return None
    parts = []
    if a.n_no_time:
        parts.append(
            f"{c('n_no_time')} without {a.spec.endpoint.label.lower()} follow-up from "
            f"{a.spec.origin.label.lower()}"
        )
    if a.n_landmark_excluded:
        parts.append(
            f"{c('n_landmark_excluded')} with an event or censoring by the landmark "
            f"({c('n_landmark_excluded_events')} events)"
        )
    if a.n_missing_covariates:
        by = ", ".join(
            f"{k}: {a.cell(v, f'dropped_by:{k}' in a.hidden)}" for k, v in a.dropped_by.items()
        )
        parts.append(f"{c('n_missing_covariates')} with a missing or not assessed value ({by})")
    return (
        f"{a.cell(missing)} of {c('n_selected')} selected patients are not in the model: "
        + "; ".join(parts)
        + "."
    )


def fit_summary_text(analysis: CoxAnalysis) -> str:
    """n, events, parameters, events per parameter and how the fit was computed."""
    a = analysis
    rows = "" if a.disclosure.active else f"{a.rows_fitted} "
    how = (
        f"fitted exactly on {rows}aggregated rows (one per covariate pattern, stratum, entry "
        "and day)"
        if a.fit_path is FitPath.AGGREGATED
        else f"fitted on {rows}patient rows"
    )
    epv = a.events_per_parameter
    return (
        f"{a.cell(a.n)} patients, {a.cell(a.events)} events, {a.n_parameters} parameters"
        + (f" ({epv:.1f} events per parameter)" if epv is not None else "")
        + (f", {a.n_strata} strata" if a.n_strata > 1 else "")
        + f"; {how}."
    )


def tests_text(fit: CoxResult) -> str:
    """Markdown line: likelihood-ratio, score and Wald tests, and the concordance."""
    from core.vocab.formatting import fmt_p

    tests = (
        ("Likelihood ratio", fit.lr_test),
        ("Score (log-rank)", fit.score_test),
        ("Wald", fit.wald_test),
    )
    line = " · ".join(
        f"**{name} test** χ² = {t.chi2:.2f}, df = {t.df}, {fmt_p(t.p)}" for name, t in tests
    )
    c = fit.concordance
    return f"{line} · **Concordance** (Harrell's C) {c.value:.3f} (SE {c.se:.3f})"


def ph_ok_text(analysis: CoxAnalysis) -> str:
    from core.vocab.formatting import fmt_p

    return (
        "No evidence against proportional hazards "
        f"(global {fmt_p(analysis.zph.global_test.p)}): the hazard ratios can be read as "
        "constant over follow-up."
    )
