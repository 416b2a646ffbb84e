"""Figures and tables on screen, converted once.

``st.altair_chart(chart.properties(autosize="fit-x"), width="stretch")`` copies and validates
the chart and serialises its data to Arrow on every rerun (tens of ms for a forest plot).
:func:`shown` does that conversion once, with Streamlit's own converter (so what is sent is the
same, byte for byte: tests/app/test_rerun_cache.py compares the two), and pages keep the result
with the figure they build once per view (pages._data.view); :meth:`Shown.draw` sends it.
Likewise ``st.dataframe(frame)`` converts the frame to Arrow on every rerun; :func:`table`
gives the Arrow table Streamlit would make (the same bytes are sent), kept per view too, and
:func:`of_spec` does for a Vega-Lite dict what ``st.vega_lite_chart`` does to its tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.dataframe_util import (
    convert_anything_to_arrow_bytes,
    convert_pandas_df_to_arrow_table,
)
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec


@dataclass(frozen=True)
class Shown:
    """The on-screen Vega-Lite spec of a figure (JSON) and its named tables (Arrow IPC bytes,
    immutable): shared between sessions, never changed in place."""

    spec_json: str
    datasets: Mapping[str, Any]

    def draw(self, where: Any = st) -> None:
        """The figure at the container's width (a fresh copy of the spec each time)."""
        spec = json.loads(self.spec_json)
        if self.datasets:
            spec["datasets"] = dict(self.datasets)
        where.vega_lite_chart(spec=spec, width="stretch")


def shown(chart: alt.TopLevelMixin) -> Shown:
    """The figure as ``st.altair_chart`` would send it with autosize fit-x (the chart itself
    is not changed)."""
    spec = _convert_altair_to_vega_lite_spec(chart.properties(autosize="fit-x"))
    datasets = spec.pop("datasets", None) or {}
    return Shown(json.dumps(spec), dict(datasets))


def of_spec(spec: Mapping[str, Any]) -> Shown:
    """A Vega-Lite spec as ``st.vega_lite_chart(spec=spec, width="stretch")`` sends it: its
    named tables (records, frames or Arrow tables) serialised to Arrow once, as Streamlit
    does on every call."""
    spec = dict(spec)
    datasets = {
        str(name): data if isinstance(data, bytes) else convert_anything_to_arrow_bytes(data)
        for name, data in (spec.pop("datasets", None) or {}).items()
    }
    return Shown(json.dumps(spec), datasets)


def drawn(make: Callable[..., Any], value: object, **kw: object) -> tuple[Any, Shown]:
    """A figure (``make(value, **kw)``, a core.present VegaLiteChart) and how it is sent."""
    chart = make(value, **kw)
    return chart, of_spec(chart.streamlit_spec())


def table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as ``st.dataframe`` converts it (Arrow tables are immutable: shared safely)."""
    return convert_pandas_df_to_arrow_table(frame)


def tables(make: Callable[..., pd.DataFrame], value: object, **kw: object) -> pa.Table:
    """``table(make(value, **kw))``: for ``pages._data.view(partial(tables, make, ...), ...)``."""
    return table(make(value, **kw))


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
