"""The Survival page's benchmark overlay: the comparability warnings of every benchmark drawn
(the Benchmarks page's checks) and the difference of basis, on the page and on the figure."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.analyses.comparison import overlay_note
from core.analyses.survival import SurvivalSpec
from core.data.filters import Filters
from pages import _data, _ui


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
