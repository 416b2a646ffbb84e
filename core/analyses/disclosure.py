"""Small-cell protection for imported (real) cohorts.

Published and synthetic cohorts are exempt and labelled so. When any imported cohort is in
view, counts between 1 and ``threshold - 1`` (default 11, the CMS cell-size rule) are shown
as "<11"; groups below the threshold get no curve and no at-risk row; curves are drawn on
whole-month steps and stop where fewer than ``threshold`` patients remain at risk, so a step
never pins one patient's event day; and complementary suppression stops a shown total minus
the shown cells from revealing a suppressed cell. The rule is applied in core (``protect``
functions here, called by the analysis code) before any result reaches a page or an export.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from core.vocab.methods import DAYS_PER_MONTH, Provenance
from core.vocab.schema import CohortInfo

DEFAULT_THRESHOLD = 11
THRESHOLD_ENV = "NET_EXPLORER_SMALL_CELL"


def configured_threshold() -> int:
    """The threshold from ``NET_EXPLORER_SMALL_CELL`` (default 11; at least 2)."""
    raw = os.environ.get(THRESHOLD_ENV, "")
    try:
        value = int(raw) if raw else DEFAULT_THRESHOLD
    except ValueError:
        value = DEFAULT_THRESHOLD
    return max(value, 2)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Whether, and at which threshold, small cells are suppressed in the current view."""

    threshold: int | None = None
    """None: no suppression (synthetic or published data only)."""

    @property
    def active(self) -> bool:
        return self.threshold is not None

    def hidden(self, n: int) -> bool:
        return self.active and 0 < n < self.threshold

    def show(self, n: int | None) -> str:
        """A count as it may be displayed: '<11' when suppressed."""
        if n is None:
            return "–"
        return f"<{self.threshold}" if self.hidden(int(n)) else str(int(n))

    def note(self) -> str:
        if not self.active:
            return ""
        return (
            f"Small-cell protection (imported data): counts below {self.threshold} are shown "
            f"as <{self.threshold}, smaller groups get no curve, curves move in whole "
            f"months and stop where fewer than {self.threshold} remain at risk."
        )


EXEMPT = Disclosure(None)


def disclosure_for(infos: Iterable[CohortInfo], threshold: int | None = None) -> Disclosure:
    """Active when any cohort in view holds imported (real) data."""
    if any(c.provenance == Provenance.IMPORTED.value for c in infos):
        return Disclosure(threshold or configured_threshold())
    return EXEMPT


def disclosure_for_selection(cohorts: Sequence[str], path=None) -> Disclosure:
    """The rule for a selection of cohort ids (empty = every cohort in the database)."""
    from core.data.db import list_cohorts

    wanted = set(cohorts)
    return disclosure_for(c for c in list_cohorts(path) if not wanted or c.cohort_id in wanted)


def suppressed_cells(counts: Sequence[int], d: Disclosure, total_shown: bool = True) -> list[bool]:
    """Primary plus complementary suppression over cells that add up to a shown total.

    A cell is suppressed when 0 < n < threshold. If that leaves exactly one suppressed cell
    among several while their total is shown, the smallest other non-zero cell is suppressed
    too, so the total minus the shown cells gives only a sum of two unknowns.
    """
    hide = [d.hidden(int(n)) for n in counts]
    if not d.active or not total_shown:
        return hide
    if sum(hide) == 1 and len(counts) > 1:
        others = [(int(n), i) for i, n in enumerate(counts) if not hide[i] and int(n) > 0]
        if others:
            hide[min(others)[1]] = True
    return hide


def coarsen_times(time: np.ndarray, bin_days: float = DAYS_PER_MONTH) -> np.ndarray:
    """Times moved to the end of their whole-month interval (0 stays 0)."""
    return np.ceil(np.asarray(time, dtype=float) / bin_days) * bin_days
