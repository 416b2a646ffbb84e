"""The Survival page's benchmark overlay: the comparability warnings of every benchmark drawn
(the Benchmarks page's checks) and the difference of basis, on the page and on the figure."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.analyses.comparison import Benchmark, overlay_frame, overlay_note, overlay_options
from core.analyses.survival import SurvivalAnalysis, SurvivalSpec, max_time
from core.data.filters import Filters
from core.present.charts import VegaLiteChart, km_chart
from core.vocab.methods import TIME_UNIT_DAYS, TimeUnit
from pages import _data, _ui


def choices(analysis: SurvivalAnalysis) -> tuple[Benchmark, ...]:
    """The benchmarks that can be drawn on the view's chart (its endpoint and time origin)."""
    spec = analysis.spec
    return tuple(overlay_options(spec.endpoint, spec.origin, _data.benchmarks()))


def figure(
    analysis: SurvivalAnalysis, *, unit: TimeUnit, overlays: tuple[str, ...], **options
) -> VegaLiteChart:
    """The page's Kaplan-Meier figure with the benchmark curves ``overlays`` (ids) and
    ``km_chart``'s other options (the page keeps it per view: pages._data.view)."""
    frame = overlay_frame(
        overlays,
        unit,
        benchmarks=_data.benchmarks(),
        max_time=max_time(analysis) / TIME_UNIT_DAYS[unit],
    )
    return km_chart(analysis, unit, overlays=frame, **options)


def overlay_warnings(filters: Filters, spec: SurvivalSpec, chosen: Sequence[str]) -> str:
    """Show the warnings of the chosen overlays; return the note the figure carries under the
    benchmarks' legend ('' when the curve and the figures are on the same basis)."""
    if not chosen:
        return ""
    checks = _data.analysis("comparison:overlay_checks", filters, spec, tuple(chosen))
    for c in checks:
        if c.basis:
            st.warning(_ui.plain(c.basis), icon=":material/compare_arrows:")
    serious = [(c, w) for c in checks for w in c.warnings if w.severity.value != "info"]
    notes = [(c, w) for c in checks for w in c.warnings if w.severity.value == "info"]
    for c, w in serious:
        st.warning(
            f"**{_ui.plain(c.label.split(' · ')[0])}** · {w.severity.label} · "
            f"{w.category.label}: {_ui.plain(w.message)}",
            icon="⚠️",
        )
    if notes:
        with st.expander(f"Notes on the benchmarks drawn ({len(notes)})"):
            for c, w in notes:
                st.caption(f"{c.label.split(' · ')[0]} · {w.category.label}: {w.message}")
    return overlay_note(checks)
