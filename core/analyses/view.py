"""The start of every analysis: a selection opened for one viewer.

:func:`open_view` is where disclosure is decided for a selection: it resolves the mode and the
cohorts in view into a :class:`~core.analyses.disclosure.Disclosure`, applies protected mode's
coarser filter values (age in 5-year bands) and the query-set-size restriction, and hands the
analysis the filters it must query with. Analyses compute on exact data from there and apply
the disclosure to their result; nothing downstream decides again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from core.analyses.disclosure import (
    AGE_BAND,
    Disclosure,
    Mode,
    band_age_bounds,
    disclosure_for_selection,
    query_set_refusal,
)
from core.data import queries
from core.data.filters import CODE_FILTERS, Filters


@dataclass(frozen=True, slots=True)
class View:
    """A selection as one viewer may see it."""

    requested: Filters
    """The filters the viewer asked for."""
    filters: Filters
    """The filters the analysis queries with (protected mode: age bounds on 5-year bands)."""
    disclosure: Disclosure
    n_selected: int
    """Exact number of selected patients (for computation; show it via ``disclosure.show``)."""
    n_in_view: int
    """Exact number of patients in the cohorts in view (no other filter)."""
    refusal: str = ""
    """Non-empty: the selection may not be shown (query-set-size restriction), and why."""
    notices: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusal)


RANGES: tuple[tuple[str, str, str, str, int], ...] = (
    # (field, min attribute, max attribute, label, bin width)
    ("age", "age_min", "age_max", "age", AGE_BAND),
    ("n_treatments", "treatments_min", "treatments_max", "number of treatments", 1),
)


def _cut_points(hist: dict[object, int], width: int, t: int) -> list[int]:
    """Lower edges of bands (in bins of ``width``) each holding at least ``t`` patients.

    Bins are walked upwards and a band closes once it holds ``t``; a short last band joins the
    one before. Bounds placed on these edges can only move whole bands of at least ``t``.
    """
    bins: dict[int, int] = {}
    for v, k in hist.items():
        if v is not None:
            bins[int(v) // width] = bins.get(int(v) // width, 0) + k
    edges: list[int] = []
    acc = 0
    for b in sorted(bins):
        if acc == 0:
            edges.append(b * width)
        acc += bins[b]
        if acc >= t:
            acc = 0
    if acc and len(edges) > 1:  # a short last band joins the previous one
        edges.pop()
    return edges


def _real_part(filters: Filters, path) -> Filters:
    """The selection restricted to its protected (imported) cohorts: what the size, band and
    one-filter rules count. Exempt (synthetic, published) patients are shown exactly on their
    own, so a rule passed on their numbers would give the real part by subtraction."""
    real, exempt = queries.provenance_split(filters.cohorts, path)
    return replace(filters, cohorts=real) if exempt and real else filters


def _snap(filters: Filters, d: Disclosure, path) -> tuple[Filters, tuple[str, ...]]:
    """Range bounds moved down/up to band edges with at least the threshold between them
    (real patients: every band holds at least the threshold of the protected cohorts)."""
    notices: list[str] = []
    for field, lo_attr, hi_attr, label, width in RANGES:
        lo, hi = getattr(filters, lo_attr), getattr(filters, hi_attr)
        if lo is None and hi is None:
            continue
        if field == "age":
            lo, hi = band_age_bounds(lo, hi)
        rest = replace(filters, **{lo_attr: None, hi_attr: None})
        edges = _cut_points(
            queries.value_counts(_real_part(rest, path), field, path), width, d.threshold
        )
        if lo is not None:
            below = [e for e in edges if e <= lo]
            lo = below[-1] if below and below[-1] > edges[0] else None
        if hi is not None:
            above = [e - 1 for e in edges if e - 1 >= hi]
            hi = above[0] if above else None
        if (lo, hi) != (getattr(filters, lo_attr), getattr(filters, hi_attr)):
            span = f"{lo if lo is not None else 'any'}-{hi if hi is not None else 'any'}"
            notices.append(
                f"Under disclosure control, {label} bounds move to bands holding at least "
                f"{d.threshold} patients (5-year bands for age): {label} {span}."
            )
        filters = replace(filters, **{lo_attr: lo, hi_attr: hi})
    return filters, tuple(notices)


def _active_dimensions(filters: Filters) -> list[tuple[str, Filters]]:
    """Each filter other than the cohorts, with the selection it would give if removed."""
    out = []
    for f in fields(Filters):
        if f.name == "cohorts" or getattr(filters, f.name) in ((), None):
            continue
        out.append((f.name, replace(filters, **{f.name: f.default})))
    return out


def _tracker_refusal(filters: Filters, n: int, d: Disclosure, path) -> str:
    """Every filter removes 0 or at least the threshold; chosen categories hold 0 or enough.

    Two views that differ by one filter (with and without it, or one category more) would
    otherwise differ by a few patients. ``filters`` and ``n``: the real part of the selection
    (:func:`_real_part`), so that exempt patients never make up the numbers.
    """
    t = d.threshold
    for name, without in _active_dimensions(filters):
        if 0 < queries.count_patients(without, path) - n < t:
            return (
                f"The {name.replace('_', ' ')} filter leaves out fewer than {t} patients of the "
                "selection without it; under disclosure control this view is not shown (it "
                "would reveal them). Widen or remove that filter."
            )
    for name in CODE_FILTERS:
        values = getattr(filters, name)
        if len(values) < 2:
            continue
        counts = queries.value_counts(filters, name, path)
        if any(0 < counts.get(v, 0) < t for v in values):
            return (
                f"One of the chosen {name.replace('_', ' ')} values holds fewer than {t} "
                "patients of this selection; under disclosure control the view is not shown. "
                "Leave that value out or widen the selection."
            )
    return ""


def protect_filters(
    filters: Filters, d: Disclosure, path: Path | str | None = None
) -> tuple[Filters, tuple[str, ...]]:
    """Protected mode's coarser filter values, with a notice for each change."""
    if not d.active:
        return filters, ()
    return _snap(filters, d, path)


def open_view(
    filters: Filters,
    mode: Mode = Mode.PROTECTED,
    path: Path | str | None = None,
    *,
    count: bool = True,
) -> View:
    """Decide what this viewer may see of ``filters``: the one disclosure decision.

    Protected mode with real data in view applies, in order: range bounds on bands of at least
    the threshold (age on 5-year bands first), the query-set-size restriction on the selection
    and its complement within the cohorts in view, and the one-filter-difference rule
    (:func:`_tracker_refusal`). With exempt cohorts in view too, the bands, the size rule and
    the one-filter rule count the protected cohorts' patients (the size rule also the whole
    view's): the exempt part is shown exactly on its own. ``count=False``: an analysis that counts its own patients
    skips the count query where nothing is protected (``n_selected`` and ``n_in_view`` are
    then -1); protected views always count, the rules need it.
    """
    d = disclosure_for_selection(filters.cohorts, path, Mode(mode))
    effective, notices = protect_filters(filters, d, path)
    if not d.active:
        n = queries.count_patients(effective, path) if count else -1
        return View(filters, effective, d, n, n, "", notices)
    n = queries.count_patients(effective, path)
    total = queries.count_patients(Filters(cohorts=filters.cohorts), path)
    refusal = query_set_refusal(n, total, d)
    real = _real_part(effective, path)
    n_real = n
    if real is not effective:  # real and exempt cohorts in view: the rules count real ones
        n_real = queries.count_patients(real, path)
        total_real = queries.count_patients(Filters(cohorts=real.cohorts), path)
        if n_real and not refusal:  # no real patient at all: nothing real is described
            refusal = query_set_refusal(n_real, total_real, d)
    refusal = refusal or _tracker_refusal(real, n_real, d, path)
    return View(filters, effective, d, n, total, refusal, notices)


def selection_size(
    filters: Filters, mode: Mode = Mode.PROTECTED, path: Path | str | None = None
) -> int:
    """Exact size of the selection as opened for the viewer (age bands in protected mode).

    For empty states only: show it through a result's disclosure, never directly.
    """
    return open_view(filters, mode, path).n_selected
