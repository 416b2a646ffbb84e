"""Export furniture for pages: figure and table downloads, the share link, abstract text.

The Survival page's downloads are the export bundle that ``python -m core report`` writes
(:func:`core.present.bundle.survival_bundle`): same files, same numbers, same disclosure.
Figures are stamped and rendered only when a download button is clicked (Streamlit's deferred
download: the callable runs on click, off the script thread), so a page run never waits for
Vega's renderer (about 0.1-0.3 s for an SVG, 0.5-2 s for a 300-dpi PNG). Every figure carries
its caption in the image (core.present.export.stamp), with the disclosure stamp of the mode.
The Survival page's bundle itself is built on click too (pages._survival_export).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import pandas as pd
import streamlit as st

from core.analyses.disclosure import Disclosure
from core.present import export
from core.present.bundle import ExportBundle, mode_line

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


def download_buttons(buttons: Sequence[tuple[str, Callable | bytes, str, str]], key: str) -> None:
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


def link_and_text(link: str, results: str, methods: str) -> None:
    st.caption(
        "Figures are drawn when you click, with the caption below in the image (selection, "
        "data versions, provenance, method, disclosure mode, UTC date, link). PNG at 3× "
        "scale: 300 dpi for a figure about 7 inches wide. CSV files are UTF-8 and open with "
        "the same provenance lines."
    )
    st.markdown("**Share link** (reproduces this view; copy with the button on the right)")
    st.code(link, language=None, wrap_lines=True)
    with st.expander("Text for an abstract"):
        st.markdown("**Results**")
        st.code(results, language=None, wrap_lines=True)
        st.markdown("**Methods**")
        st.code(methods, language=None, wrap_lines=True)


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
    disclosure: Disclosure | None = None,
) -> None:
    """Download buttons (SVG, PNG, CSV per table), the share link, and the abstract text.

    ``disclosure`` (the result's) adds its stamp to the figure caption and the CSV provenance
    when the caption lines do not carry it yet.
    """
    link = share_link(page_path)
    lines = list(caption_lines)
    stamp = disclosure.stamp() if disclosure is not None else ""
    if stamp and stamp not in lines:
        at = next((i for i, ln in enumerate(lines) if ln.startswith("Exported ")), len(lines))
        lines.insert(at, stamp)
    if not any(line.startswith("Link:") for line in lines):
        lines.append(f"Link: {link}")
    svg, png = figure_makers(chart, lines, link)
    st.subheader("Export")
    buttons: list[tuple[str, Callable | bytes, str, str]] = [
        ("Figure (SVG)", svg, f"{file_stem}.svg", "image/svg+xml"),
        ("Figure (PNG, 300 dpi)", png, f"{file_stem}.png", "image/png"),
    ]
    csv_lines = list(lines)
    if disclosure is not None and not stamp:  # every CSV states the mode
        csv_lines.insert(len(csv_lines) - 1, mode_line(disclosure))
    for name, df in tables.items():
        if df is not None and len(df):
            buttons.append(  # written on click, like the figures
                (
                    f"{name} (CSV)",
                    partial(export.to_csv_bytes, df, csv_lines),
                    f"{_slug(name)}.csv",
                    "text/csv",
                )
            )
    download_buttons(buttons, key)
    link_and_text(link, results_paragraph, methods_paragraph)


def in_order(files: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(name, label, mime) of a bundle's files as offered: figures, sidecars, tables."""
    return [
        *(f for f in files if f[2].startswith("image/")),
        *(f for f in files if f[2] == "application/json"),
        *(f for f in files if f[0].endswith(".R")),  # the R script
        *(f for f in files if f[2] == "text/csv"),
    ]


def render_bundle(bundle: ExportBundle, *, key: str, zip_name: str) -> None:
    """The bundle's figures and tables as download buttons, all of it as one ZIP, the link and
    the abstract text (the same files ``python -m core report`` writes)."""
    st.subheader("Export")
    files = in_order([(f.name, f.label, f.mime) for f in bundle.files])
    buttons: list[tuple[str, Callable | bytes, str, str]] = [
        (label, bundle.file(name).make, name, mime) for name, label, mime in files
    ]
    buttons.append(("Everything (ZIP)", bundle.zip_bytes, zip_name, "application/zip"))
    download_buttons(buttons, key)
    link_and_text(bundle.link or "", bundle.results, bundle.methods)
