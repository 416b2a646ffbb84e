"""Disclosure control: who sees exact figures, and the rules for everyone else.

Every statistic is computed on the exact data. What a viewer is *shown* is decided here, once,
in the analysis layer, from who is looking (:class:`Mode`); presentation code receives a result
that has already been protected and never decides anything itself.

Two modes (docs/PRIVACY.md):

- ``exact``: for the data owner. No coarsening, no suppression: figures equal R on the same
  rows. Every output says "Exact figures: not for sharing".
- ``protected`` (the default): when any imported (real) cohort is in view, the small-cell policy
  applies: no count 1 .. threshold-1 shown or derivable (CMS cell-size rule, threshold 11 by
  default), primary and complementary suppression, query-set-size restriction (a selection is
  shown only when it and its complement within the cohorts in view both hold at least the
  threshold), age filters in 5-year bands, no patient-level marks, curves on whole-month steps
  from the exact estimate and stopped where fewer than the threshold remain at risk, medians to
  whole months, no test or model term for a suppressed group. Synthetic and published cohorts
  are exempt (nothing real to protect) and labelled so.

How the mode is chosen (:func:`viewer_mode`): the environment variable
``NET_EXPLORER_DISCLOSURE`` or the hosting setting ``[disclosure] mode`` sets it for an open
instance; with the login gate on, ``exact`` is given only to users on the analyst allow-list
(``[disclosure] analysts`` / ``analyst_domains``) and everyone else is ``protected``. A shared
link never carries the mode.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from core.vocab.methods import DAYS_PER_MONTH, Provenance
from core.vocab.schema import CohortInfo

DEFAULT_THRESHOLD = 11
THRESHOLD_ENV = "NET_EXPLORER_SMALL_CELL"
MODE_ENV = "NET_EXPLORER_DISCLOSURE"
AGE_BAND = 5
"""Protected mode: age filter bounds move to 5-year bands (65-69, 70-74, ...)."""


class Mode(StrEnum):
    PROTECTED = "protected"
    EXACT = "exact"


def configured_threshold() -> int:
    """The threshold from ``NET_EXPLORER_SMALL_CELL`` (default 11; at least 2)."""
    raw = os.environ.get(THRESHOLD_ENV, "")
    try:
        value = int(raw) if raw else DEFAULT_THRESHOLD
    except ValueError:
        value = DEFAULT_THRESHOLD
    return max(value, 2)


def parse_mode(value: object) -> Mode:
    """A mode from configuration text; anything unknown is ``protected`` (fail closed)."""
    try:
        return Mode(str(value).strip().lower())
    except ValueError:
        return Mode.PROTECTED


def configured_mode(
    env: Mapping[str, str] | None = None, hosting: Mapping[str, Any] | None = None
) -> Mode:
    """The instance's mode for an open (no-login) deployment.

    ``NET_EXPLORER_DISCLOSURE`` wins over the hosting setting ``[disclosure] mode``; with
    neither, ``protected``.
    """
    env = os.environ if env is None else env
    raw = env.get(MODE_ENV, "")
    if raw.strip():
        return parse_mode(raw)
    section = (hosting or {}).get("disclosure") or {}
    return parse_mode(section.get("mode", Mode.PROTECTED.value))


@dataclass(frozen=True, slots=True)
class AnalystList:
    """The analyst allow-list of a hosted instance: who may see exact figures when logged in."""

    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def from_hosting(cls, hosting: Mapping[str, Any] | None) -> AnalystList:
        section = (hosting or {}).get("disclosure") or {}
        return cls(
            frozenset(
                str(e).strip().lower() for e in section.get("analysts", []) if str(e).strip()
            ),
            frozenset(
                str(d).strip().lower().lstrip("@")
                for d in section.get("analyst_domains", [])
                if str(d).strip()
            ),
        )

    def includes(self, email: str | None) -> bool:
        if not email:
            return False
        email = email.strip().lower()
        return email in self.emails or email.rpartition("@")[2] in self.domains


def viewer_mode(
    *,
    login_required: bool,
    email: str | None = None,
    email_verified: bool = True,
    hosting: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Mode:
    """The one decision of what a viewer may see.

    With the login gate on, ``exact`` only for a verified address on the analyst allow-list,
    whatever the instance setting says; without it, the instance's configured mode.
    """
    if login_required:
        if email_verified and AnalystList.from_hosting(hosting).includes(email):
            return Mode.EXACT
        return Mode.PROTECTED
    return configured_mode(env, hosting)


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What may be shown in the current view.

    ``threshold`` None means nothing is suppressed: exact mode, or no imported cohort in view.
    """

    threshold: int | None = None
    mode: Mode = Mode.PROTECTED
    real_data: bool = False
    """An imported (real) cohort is in view."""

    @property
    def active(self) -> bool:
        return self.threshold is not None

    @property
    def exact(self) -> bool:
        return self.mode is Mode.EXACT

    def hidden(self, n: int) -> bool:
        return self.active and 0 < n < self.threshold

    def show(self, n: int | None) -> str:
        """A count as it may be displayed: '<11' when suppressed."""
        if n is None:
            return "–"
        return f"<{self.threshold}" if self.hidden(int(n)) else str(int(n))

    def json(self) -> dict[str, Any]:
        """The ``"disclosure"`` member of every JSON output."""
        return {"mode": self.mode.value, "threshold": self.threshold, "real_data": self.real_data}

    def stamp(self) -> str:
        """A short line for figure stamps, CSV provenance and captions ('' when nothing to say)."""
        if self.exact and self.real_data:
            return "Exact figures: not for sharing"
        if self.active:
            return f"Protected figures: counts below {self.threshold} withheld"
        return ""

    def sentence(self) -> str:
        """One sentence for paragraphs and reports ('' when nothing to say)."""
        if self.exact and self.real_data:
            return (
                "Figures are exact (disclosure mode 'exact') and include counts of fewer than "
                f"{configured_threshold()} patients: not for sharing outside the data owner's team."
            )
        if self.active:
            return (
                f"Under disclosure control, counts below {self.threshold} are withheld, groups "
                "smaller than that are not shown, and curves move in whole months."
            )
        return ""

    def note(self) -> str:
        if not self.active:
            return ""
        return (
            f"Small-cell protection (imported data): counts below {self.threshold} are shown "
            f"as <{self.threshold}, smaller groups get no curve, curves move in whole "
            f"months and stop where fewer than {self.threshold} remain at risk, numbers at risk "
            "after time 0 are rounded up to a multiple of 5."
        )


EXEMPT = Disclosure(None, Mode.PROTECTED, False)
"""Synthetic or published data only: nothing to suppress."""


def disclosure_for(
    infos: Iterable[CohortInfo], mode: Mode = Mode.PROTECTED, threshold: int | None = None
) -> Disclosure:
    """The rule for the cohorts in view: active in protected mode when any holds imported data."""
    real = any(c.provenance == Provenance.IMPORTED.value for c in infos)
    if mode is Mode.EXACT:
        return Disclosure(None, Mode.EXACT, real)
    if real:
        return Disclosure(threshold or configured_threshold(), Mode.PROTECTED, True)
    return EXEMPT


def disclosure_for_selection(
    cohorts: Sequence[str], path=None, mode: Mode = Mode.PROTECTED
) -> Disclosure:
    """The rule for a selection of cohort ids (empty = every cohort in the database)."""
    from core.data.db import list_cohorts

    wanted = set(cohorts)
    return disclosure_for(
        (c for c in list_cohorts(path) if not wanted or c.cohort_id in wanted), mode
    )


# ------------------------------------------------------------------ rules
def query_set_refusal(n_selected: int, n_in_view: int, d: Disclosure) -> str:
    """Query-set-size restriction: '' when the selection may be shown, else why not.

    A selection is shown only when it holds at least the threshold and so does its complement
    within the cohorts in view (an empty complement, i.e. no filter, is fine): otherwise the
    difference between this view and the unfiltered one describes fewer than the threshold.
    """
    if not d.active:
        return ""
    t = d.threshold
    if n_selected < t:
        return (
            f"This selection holds fewer than {t} patients; under disclosure control it is not "
            "shown. Widen the filters."
        )
    rest = n_in_view - n_selected
    if 0 < rest < t:
        return (
            f"This selection leaves out fewer than {t} patients of the cohorts in view; under "
            "disclosure control it is not shown (it would reveal the patients left out). Widen "
            "or remove the filters."
        )
    return ""


def left_out_refusal(d: Disclosure) -> str:
    """Why an analysis that leaves out 1 .. threshold-1 of the selection is not shown.

    The analysed n beside the selection's n (shown on every other page) would give the number
    left out (no data for the endpoint, or an event or censoring before a landmark).
    """
    return (
        f"This analysis leaves out fewer than {d.threshold} of the selected patients (no data "
        "for this endpoint or origin, or follow-up ending before the landmark); under "
        "disclosure control it is not shown, because the difference would reveal them. Choose "
        "another endpoint or landmark, or widen the selection."
    )


AT_RISK_BASE = 5


def round_at_risk(n: int) -> int:
    """Protected mode: a number at risk after time 0, rounded up to a multiple of 5.

    Differences between two shown numbers at risk (or between one and the group's n) are then
    ranges, not counts; rounding up keeps a number of 11 or more from being shown as under 11.
    """
    return int(math.ceil(n / AT_RISK_BASE) * AT_RISK_BASE)


def shown_range(value: int, threshold: int, *, rounded: bool = True) -> tuple[int, int]:
    """What a reader knows of a count from its shown form: '0' is 0, '<11' is 1..10, and a
    shown multiple of 5 (``rounded``, see :func:`round_at_risk`) is itself or up to 4 less,
    never under the threshold; an unrounded shown count is exact."""
    if value == 0:
        return 0, 0
    if 0 < value < threshold:
        return 1, threshold - 1
    return (max(threshold, value - AT_RISK_BASE + 1), value) if rounded else (value, value)


def table_pins_a_small_count(
    totals: Sequence[int], at_risk: tuple[int, int], events: tuple[int, int],
    censored: tuple[int, int], threshold: int,
) -> bool:  # fmt: skip
    """Whether a column of a KMunicate table (ranges of the number at risk, the cumulative
    events and the cumulative censorings a reader knows) solves, with a total the reader
    also knows (the group's n, the number at risk at 0), to a count of 1 to threshold-1.

    A reader assumes n = at risk + events + censored (no exit on the column's own day); the
    ranges are narrowed by that sum (interval propagation) until they settle."""
    for n in totals:
        r, e, c = at_risk, events, censored
        for _ in range(4):
            r = (max(r[0], n - e[1] - c[1]), min(r[1], n - e[0] - c[0]))
            e = (max(e[0], n - r[1] - c[1]), min(e[1], n - r[0] - c[0]))
            c = (max(c[0], n - r[1] - e[1]), min(c[1], n - r[0] - e[0]))
        if any(lo > hi for lo, hi in (r, e, c)):
            continue  # the sum does not hold (exits on the day, delayed entry): nothing solved
        if any(lo == hi and 0 < lo < threshold for lo, hi in (r, e, c)):
            return True
    return False


def band_age_bounds(age_min: int | None, age_max: int | None) -> tuple[int | None, int | None]:
    """Protected mode: age bounds on 5-year bands (min down to 65, 70, ...; max up to 69, 74)."""
    lo = None if age_min is None else (age_min // AGE_BAND) * AGE_BAND
    hi = None if age_max is None else (age_max // AGE_BAND) * AGE_BAND + AGE_BAND - 1
    if lo is not None and lo <= 0:
        lo = None
    if hi is not None and hi >= 89:
        hi = None
    return lo, hi


def suppressed_cells(counts: Sequence[int], d: Disclosure, total_shown: bool = True) -> list[bool]:
    """Primary plus complementary suppression over cells that add up to a shown total.

    A cell is suppressed when 0 < n < threshold. If that leaves exactly one suppressed cell
    among several while their total is shown, the smallest other non-zero cell is suppressed
    too, so the total minus the shown cells gives only a sum of two unknowns; and if the
    suppressed cells together still add up to fewer than the threshold, more are suppressed
    until they do not (their sum would otherwise be a small count).
    """
    hide = [d.hidden(int(n)) for n in counts]
    if not d.active or not total_shown:
        return hide
    return complete_suppression(counts, hide, d)


def complete_suppression(counts: Sequence[int], hide: Sequence[bool], d: Disclosure) -> list[bool]:
    """Extend a suppression pattern over cells with a shown total until it protects."""
    hide = list(hide)
    while True:
        n_hidden = sum(hide)
        hidden_sum = sum(int(n) for n, h in zip(counts, hide, strict=True) if h)
        if n_hidden == 0 or n_hidden == len(counts):
            return hide
        if n_hidden >= 2 and hidden_sum >= d.threshold:
            return hide
        others = [(int(n), i) for i, n in enumerate(counts) if not hide[i] and int(n) > 0]
        if not others:
            return hide
        hide[min(others)[1]] = True


def suppress_table(counts: np.ndarray, d: Disclosure) -> np.ndarray:
    """Primary and complementary suppression over a 2-D table whose row and column totals show.

    Returns a boolean mask. Iterates :func:`suppressed_cells` over rows and columns until no
    row or column has a lone or too-small suppressed set.
    """
    counts = np.asarray(counts, dtype=np.int64)
    mask = np.zeros(counts.shape, dtype=bool)
    if not d.active or counts.size == 0:
        return mask
    mask |= (counts > 0) & (counts < d.threshold)
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = counts if axis == 0 else counts.T
            m = mask if axis == 0 else mask.T
            for i in range(lines.shape[0]):
                if not m[i].any():
                    continue
                new = np.asarray(complete_suppression(list(lines[i]), list(m[i]), d))
                if (new != m[i]).any():
                    m[i] = new
                    changed = True
    return mask


def whole_month_grid(max_days: float) -> np.ndarray:
    """Whole-month times (in days) from 0 to ``max_days``: where protected curves may step."""
    n = int(math.floor(max_days / DAYS_PER_MONTH + 1e-9))
    return np.arange(n + 1, dtype=float) * DAYS_PER_MONTH


def round_median_months(value_days: float | None) -> float | None:
    """Protected mode: a median (or other quantile) shown to whole months, in days."""
    if value_days is None or not math.isfinite(value_days):
        return value_days
    return round(value_days / DAYS_PER_MONTH) * DAYS_PER_MONTH
