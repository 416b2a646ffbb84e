"""The duration-of-response figure: the project's Kaplan-Meier chart, clocked from the response.

:func:`core.present.charts.km_chart` draws the curve as the analysis decided it (exact steps and
censor marks, or protected whole-month steps, and the KMunicate risk table under it); only the
time axis is renamed here, since the clock starts at the response assessment.
"""

from __future__ import annotations

from typing import Any

from core.analyses.duration import DurationOfResponse
from core.present.charts import VegaLiteChart, km_chart
from core.vocab.methods import TimeUnit

Y_TITLE = "Probability of remaining in response"


def _retitle(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        return {k: (new if k == "title" and v == old else _retitle(v, old, new))
                for k, v in node.items()}  # fmt: skip
    if isinstance(node, list):
        return [_retitle(v, old, new) for v in node]
    return node


def dor_chart(result: DurationOfResponse, unit: TimeUnit = TimeUnit.MONTHS) -> VegaLiteChart:
    """Kaplan-Meier of the duration of response with its risk table (time from response)."""
    sa = result.as_survival()
    n = result.show(result.n_analysed)
    chart = km_chart(sa, unit, title=f"Duration of response · n = {n}", y_title=Y_TITLE)
    old = f"Time from {sa.spec.origin.label.lower()} ({unit.label})"
    new = f"Time from response ({unit.label})"
    screen = None if chart.screen is None else _retitle(dict(chart.screen), old, new)
    return chart.with_spec(_retitle(dict(chart.spec), old, new)).with_screen(screen)
