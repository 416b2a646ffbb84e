"""Export furniture for pages: figure and table downloads, the share link, abstract text.

Figures are stamped and rendered only when a download button is clicked (Streamlit's deferred
download: the callable runs on click, off the script thread), so a page run never waits for
Vega's renderer (about 0.1-0.3 s for an SVG, 0.5-2 s for a 300-dpi PNG). Every figure carries its caption in the image (core.present.export.stamp).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import pandas as pd
import streamlit as st

from core.analyses.survival import (
    SurvivalAnalysis,
    hr_frame,
    pairwise_frame,
    summary_frame,
    survival_at_frame,
)
from core.present import export
from core.present.paragraphs import method_line, methods_paragraph, results_paragraph
from core.vocab.methods import TimeUnit
from pages import _data, _ui

URL_ENV = "NET_EXPLORER_URL"
DEFAULT_URL = "http://localhost:8501"


def share_link(page_path: str = "") -> str:
    """The current page's address with its query string: the link that reproduces the view."""
    base = st.context.url or f"{os.environ.get(URL_ENV, DEFAULT_URL).rstrip('/')}/{page_path}"
    return export.link_with_query(base, st.query_params.to_dict())


def figure_makers(chart: export.Chart, lines: Sequence[str], link: str | None):
    """(svg, png) zero-argument callables that stamp and render the chart when called.

    Nothing is rendered (or even serialised) during the page run: the work happens on click.
    """
    lines = list(lines)

    def svg() -> bytes:
        spec = export.spec_json(export.stamp(chart, lines))
        return export.svg_from_spec(spec).encode("utf-8")

    def png() -> bytes:
        spec = export.spec_json(export.stamp(chart, lines))
        meta = export.png_metadata(lines, link, export.utc_now())
        return export.png_from_spec(spec, export.PNG_SCALE, meta)

    return svg, png


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "table"


def render(
    chart: export.Chart,
    caption_lines: Sequence[str],
    tables: Mapping[str, pd.DataFrame],
    results_paragraph: str,
    methods_paragraph: str,
    *,
    file_stem: str = "figure",
    page_path: str = "",
    key: str = "export",
) -> None:
    """Download buttons (SVG, PNG, CSV per table), the share link, and the abstract text."""
    link = share_link(page_path)
    lines = list(caption_lines)
    if not any(line.startswith("Link:") for line in lines):
        lines.append(f"Link: {link}")
    svg, png = figure_makers(chart, lines, link)
    st.subheader("Export")
    buttons: list[tuple[str, Callable | bytes, str, str]] = [
        ("Figure (SVG)", svg, f"{file_stem}.svg", "image/svg+xml"),
        ("Figure (PNG, 300 dpi)", png, f"{file_stem}.png", "image/png"),
    ]
    for name, df in tables.items():
        if df is not None and len(df):
            buttons.append(  # written on click, like the figures
                (
                    f"{name} (CSV)",
                    partial(export.to_csv_bytes, df),
                    f"{_slug(name)}.csv",
                    "text/csv",
                )
            )
    cols = st.columns(min(len(buttons), 6))
    for i, (label, data, fname, mime) in enumerate(buttons):
        cols[i % len(cols)].download_button(
            label,
            data=data,
            file_name=fname,
            mime=mime,
            on_click="ignore",
            key=f"{key}_{_slug(fname)}",
        )
    st.caption(
        "Figures are drawn when you click, with the caption below in the image (selection, "
        "data versions, provenance, method, UTC date, link). PNG at 3× scale: 300 dpi for "
        "a figure about 7 inches wide. CSV files are UTF-8."
    )
    st.markdown("**Share link** (reproduces this view; copy with the button on the right)")
    st.code(link, language=None, wrap_lines=True)
    with st.expander("Text for an abstract"):
        st.markdown("**Results**")
        st.code(results_paragraph, language=None, wrap_lines=True)
        st.markdown("**Methods**")
        st.code(methods_paragraph, language=None, wrap_lines=True)


def survival(chart: export.Chart, analysis: SurvivalAnalysis, unit: TimeUnit) -> None:
    """The Survival page's exports, built from the page's own results (same numbers)."""
    filters, spec = analysis.filters, analysis.spec
    hrs = None
    if analysis.logrank is not None:
        hrs = _data.hazard_ratios(filters, spec, analysis.groups[0].label)
    infos = _ui.selected_infos(filters)
    description = filters.describe(analysis.n_analysed)
    tables = {
        "Summary": summary_frame(analysis, unit),
        "Survival at times": survival_at_frame(analysis),
        "Pairwise log-rank": pairwise_frame(analysis) if analysis.pairwise else None,
        "Hazard ratios": hr_frame(hrs) if hrs is not None and hrs.rows else None,
    }
    render(
        chart,
        export.caption_lines(description, infos, method_line(spec)),
        tables,
        results_paragraph(analysis, unit=unit, hazard_ratios=hrs),
        methods_paragraph(analysis, cohorts=infos, description=description, hazard_ratios=hrs),
        file_stem=f"km_{spec.endpoint.value}",
        page_path="survival",
        key="export_survival",
    )
