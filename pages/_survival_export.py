"""The Survival page's exports: the report's bundle (core.present.bundle.survival_bundle), built
from the page's own results, with the R script (and, where patient rows may be given, its
data, made on request).

A rerun draws the buttons and the paragraphs from the view's outline (file names, labels,
results and methods text), kept per view in pages._data; the bundle itself, with the page's
figure and link, is built only when a file is asked for (Streamlit's deferred download), so
its files carry the click's export time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import streamlit as st

from core.analyses.disclosure import Mode
from core.analyses.rdata import rows_refusal
from core.analyses.survival import SurvivalAnalysis, reference_group
from core.present import export
from core.present.bundle import ExportBundle, outline, survival_bundle
from core.vocab.methods import TimeUnit
from core.vocab.schema import CohortInfo
from pages import _access, _data, _export, _ui


def _hazard_ratios(analysis: SurvivalAnalysis):
    ref = reference_group(analysis)
    if analysis.logrank is None or ref is None:
        return None
    return _data.hazard_ratios(analysis.filters, analysis.spec, ref)


def _bundle(
    analysis: SurvivalAnalysis,
    *,
    unit: TimeUnit,
    multiplicity: str,
    hazard_ratios: object,
    cohorts: Sequence[CohortInfo],
    mode: Mode,
    **page: object,
) -> ExportBundle:
    """The view's bundle (``page``: the page's chart and link, when given). Calls no Streamlit
    function, so it may run on click, off the script thread (``mode``: the viewer's, decided
    on the script thread, for the R data rows)."""
    filters, spec = analysis.filters, analysis.spec
    return survival_bundle(
        analysis,
        cohorts=cohorts,
        unit=unit,
        hazard_ratios=hazard_ratios,
        figure_stem=f"km_{spec.endpoint.value}",
        clean=True,  # the figure without its caption, provenance in PNG text and a sidecar
        r_rows=lambda: _data.analysis_as(mode, "rdata:analysis_data", filters, spec).frame,
        r_refusal=rows_refusal(analysis),
        multiplicity=multiplicity,
        **page,  # type: ignore[arg-type]
    )


def _outline(analysis: SurvivalAnalysis, *, unit: TimeUnit, multiplicity: str):
    """What the buttons and paragraphs need (no time, no link, no figure): keyed per view."""
    cohorts = _ui.selected_infos(analysis.filters)
    hrs = _hazard_ratios(analysis)
    mode = _access.mode()
    return outline(
        _bundle(
            analysis,
            unit=unit,
            multiplicity=multiplicity,
            hazard_ratios=hrs,
            cohorts=cohorts,
            mode=mode,
        )
    )


def _made(bundle: Callable[[], ExportBundle], name: str) -> bytes:
    return bundle().file(name).make()


def _zipped(bundle: Callable[[], ExportBundle]) -> bytes:
    return bundle().zip_bytes()


def render(
    chart: export.Chart, analysis: SurvivalAnalysis, unit: TimeUnit, multiplicity: str = ""
) -> None:
    """Download buttons (figures, sidecars, R script, CSVs, ZIP), the share link, the text."""
    filters, spec = analysis.filters, analysis.spec
    plan = _data.view(
        partial(_outline, unit=unit, multiplicity=multiplicity), _data.survival, filters, spec
    )
    link = _export.share_link("survival")
    bundle = partial(  # every input read now, on the script thread; built on click
        _bundle,
        analysis,
        unit=unit,
        multiplicity=multiplicity,
        hazard_ratios=_hazard_ratios(analysis),
        cohorts=tuple(_ui.selected_infos(filters)),
        mode=_access.mode(),
        chart=chart,
        link=link,
    )
    st.subheader("Export")
    buttons: list[tuple[str, Callable | bytes, str, str]] = [
        (label, partial(_made, bundle, name), name, mime)
        for name, label, mime in _export.in_order(plan.files)
    ]
    zip_name = f"survival_{spec.endpoint.value}.zip"
    buttons.append(("Everything (ZIP)", partial(_zipped, bundle), zip_name, "application/zip"))
    _export.download_buttons(buttons, "export_survival")
    _export.link_and_text(link, plan.results, plan.methods)
