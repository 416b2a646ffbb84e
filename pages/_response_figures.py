"""What the Response page builds from a cached analysis, once per view (pages._data.view):
the gate (disclosure, notices, refusal), the rates figure, the swimmer figure and the adverse
events. Each figure comes with its on-screen Vega-Lite spec (autosize fit-x, validated once,
its tables as Arrow: pages._shown); nothing here is changed after it is made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt

from core.analyses.responses import adverse_event_view, swimmer
from core.present.charts import on_screen
from core.present.charts_response import response_chart, swimmer_chart
from core.vocab.methods import BinomialCI
from pages._shown import Shown, of_spec, table


@dataclass(frozen=True)
class Gate:
    """The parts of the response inputs a rerun needs before any figure."""

    disclosure: Any
    notices: tuple[str, ...]
    refused: bool
    refusal: str


def gate(inputs: Any) -> Gate:
    return Gate(inputs.disclosure, tuple(inputs.notices), bool(inputs.refused), inputs.refusal)


def rates(result: Any, synthetic: tuple[str, ...] = ()) -> tuple[alt.TopLevelMixin, Shown]:
    """The response-rates figure (for exports) and its on-screen spec."""
    chart = response_chart(result.table, result.protection, synthetic=synthetic)
    return chart, of_spec(on_screen(chart))


def rates_table(result: Any) -> Any:
    """The response-rates table as sent (Arrow)."""
    return table(result.frame())


def swimmer_figure(inputs: Any, synthetic: tuple[str, ...] = ()) -> tuple[Any, Any, Shown]:
    """The swimmer lanes, their figure (for exports) and its on-screen spec."""
    sw = swimmer(inputs)
    chart = swimmer_chart(sw, synthetic=synthetic)
    return sw, chart, of_spec(on_screen(chart))


def adverse_events(inputs: Any, ci: BinomialCI) -> Any:
    return adverse_event_view(inputs, ci)
