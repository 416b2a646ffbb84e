"""The left-out rule, on patients and on their events (docs/PRIVACY.md, rule 6).

An analysis that leaves out some of the selected patients (no usable origin, an endpoint on
or before the first treatment, follow-up ending by the landmark, a missing covariate) shows
its analysed n and events; another view of the same selection that keeps them (from the index
date, without the landmark or the covariate) shows theirs. The differences are the left-out
patients, and the deaths and the censored among them. So each must be 0 or at least the
threshold: the patients left out, and, among those whose time and event status are known (and
so counted in another view), their events and their non-events.
"""

from __future__ import annotations

from core.analyses import disclosure
from core.analyses.disclosure import Disclosure


def left_out_small(d: Disclosure, n_left: int, n_known: int = 0, events: int = 0) -> bool:
    """Protected mode: True when the analysis must be refused by the left-out rule.

    ``n_left``: selected patients not analysed; ``n_known``: those of them with a time and an
    event status (their events are shown by another view); ``events``: their events.
    """
    return d.active and (d.hidden(n_left) or d.hidden(events) or d.hidden(n_known - events))


def events_refusal(d: Disclosure) -> str:
    """Why an analysis is not shown when its left-out patients hold 1 .. threshold-1 events
    or non-events (no count)."""
    return (
        f"Among the selected patients left out of this analysis (no data for this origin, or "
        f"follow-up ending before the landmark), fewer than {d.threshold} had an event, or "
        "fewer than that had none; under disclosure control it is not shown, because its "
        "events beside those of the same selection from the index date (or without the "
        "landmark) would reveal them. Choose another origin or landmark, or widen the selection."
    )


def left_out_refusal(d: Disclosure, n_left: int, n_known: int = 0, events: int = 0) -> str:
    """'' when the left-out rule allows the analysis, else why not (never a count)."""
    if not left_out_small(d, n_left, n_known, events):
        return ""
    if d.hidden(n_left):
        return disclosure.left_out_refusal(d)
    return events_refusal(d)
