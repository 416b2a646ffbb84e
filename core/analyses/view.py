"""The start of every analysis: a selection opened for one viewer.

:func:`open_view` is where disclosure is decided for a selection: it resolves the mode and the
cohorts in view into a :class:`~core.analyses.disclosure.Disclosure`, applies protected mode's
coarser filter values (age in 5-year bands) and the query-set-size restriction, and hands the
analysis the filters it must query with. Analyses compute on exact data from there and apply
the disclosure to their result; nothing downstream decides again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.analyses.disclosure import (
    Disclosure,
    Mode,
    band_age_bounds,
    disclosure_for_selection,
    query_set_refusal,
)
from core.data import queries
from core.data.filters import Filters


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


def protect_filters(filters: Filters, d: Disclosure) -> tuple[Filters, tuple[str, ...]]:
    """Protected mode's coarser filter values, with a notice for each change."""
    if not d.active:
        return filters, ()
    lo, hi = band_age_bounds(filters.age_min, filters.age_max)
    if (lo, hi) == (filters.age_min, filters.age_max):
        return filters, ()
    band = f"{lo if lo is not None else 'any'}-{hi if hi is not None else 'any'}"
    return replace(filters, age_min=lo, age_max=hi), (
        f"Under disclosure control, age filters use 5-year bands: age {band}.",
    )


def open_view(
    filters: Filters, mode: Mode = Mode.PROTECTED, path: Path | str | None = None
) -> View:
    """Decide what this viewer may see of ``filters``: the one disclosure decision."""
    d = disclosure_for_selection(filters.cohorts, path, Mode(mode))
    effective, notices = protect_filters(filters, d)
    n = queries.count_patients(effective, path)
    if not d.active:
        return View(filters, effective, d, n, n, "", notices)
    total = queries.count_patients(Filters(cohorts=filters.cohorts), path)
    return View(filters, effective, d, n, total, query_set_refusal(n, total, d), notices)


def selection_size(
    filters: Filters, mode: Mode = Mode.PROTECTED, path: Path | str | None = None
) -> int:
    """Exact size of the selection as opened for the viewer (age bands in protected mode).

    For empty states only: show it through a result's disclosure, never directly.
    """
    return open_view(filters, mode, path).n_selected
