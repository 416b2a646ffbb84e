"""The Response page's duration of response, time to response, and the swimmer plot's exports.

:func:`duration_section`: among imaging responders (CR/PR), the Kaplan-Meier of the duration of
response with its risk table, the median with its CI, the numbers of responders and events, time
to response, and CSV/figure downloads, from :func:`core.analyses.duration.duration_of_response`
through the page cache (which decides what this viewer may see).

:func:`swimmer_downloads`: the swimmer plot as CSV (every lane's markers, numeric, with the
provenance lines) and as SVG/PNG with the caption stamped in; called only where the page draws
the plot (never for imported data under protection).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from core.analyses.duration import (
    METHOD,
    RULE,
    SWIMMER_COLUMNS_NOTE,
    duration_table,
    summary_text,
    swimmer_export_frame,
)
from core.data.filters import Filters
from core.present import export
from core.present.charts_duration import dor_chart
from pages import _data, _export, _ui
from pages._shown import Shown, of_spec


def _downloads(chart: Any, lines: list[str], csv: Any, name: str, stem: str) -> None:
    """SVG, PNG (drawn on click, caption stamped in) and CSV buttons in one row."""
    svg, png = _export.figure_makers(chart, lines, _export.share_link("response"))
    cols = st.columns(3)
    for col, (kind, data, ext, mime) in zip(
        cols,
        (("SVG", svg, "svg", "image/svg+xml"), ("PNG, 300 dpi", png, "png", "image/png"),
         ("CSV", csv, "csv", "text/csv")),
        strict=True,
    ):  # fmt: skip
        col.download_button(
            f"{name} ({kind})", data, f"{stem}.{ext}", mime, key=f"{stem}_{ext}", on_click="ignore"
        )


def _lines(filters: Filters, description: str, method: str, disclosure: Any) -> list[str]:
    infos = _ui.selected_infos(filters)
    link = _export.share_link("response")
    return export.caption_lines(description, infos, method, link=link, disclosure=disclosure)


DOR = "duration:duration_of_response"


def _figure(r: Any) -> tuple[Any, Shown | None, pd.DataFrame]:
    """The analysis, its figure as sent when it may be drawn, and its numeric table."""
    drawn = r.shown and r.group is not None and not r.group.suppressed
    shown = of_spec(dor_chart(r).streamlit_spec()) if drawn and not r.refused else None
    return r, shown, duration_table(r)


def duration_section(filters: Filters) -> pd.DataFrame:
    """Duration of response and time to response (nothing but the reason when withheld);
    returns the numeric table for the page's export (empty when nothing may be shown)."""
    st.subheader("Duration of response (imaging CR/PR)")
    r, shown, table = _data.view(partial(_figure), _data.analysis, DOR, filters)  # once per view
    if r.refused:
        return table
    for line in summary_text(r):
        st.markdown(_ui.inert(line))
    if shown is not None:
        shown.draw()
        caption = _ui.caption(filters, r.show(r.n_analysed), f"{METHOD}. {RULE}")
        st.caption(caption + (f" · {r.disclosure.stamp()}" if r.disclosure.stamp() else ""))
    return table


def swimmer_downloads(
    sw: Any, chart: Any, filters: Filters, n: Any, method: str, disclosure: Any = None
) -> None:
    """CSV and figure downloads of a drawn swimmer plot (``sw`` None: nothing)."""
    if sw is None:
        return
    lines = _lines(filters, filters.describe(n), method, disclosure)
    csv = partial(export.to_csv_bytes, swimmer_export_frame(sw), [*lines, SWIMMER_COLUMNS_NOTE])
    _downloads(chart, lines, csv, "Swimmer plot", "swimmer")
