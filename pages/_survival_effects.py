"""The Survival page's "Effect differences" table (issue 17, item 4).

When the view is grouped, each group shown in the tests is set against the reference group
(the first group shown, as the hazard ratios): the survival difference at the page's chosen
times and the RMST difference and ratio at the page's RMST horizon (both set under "Analysis
options", so they are in the share link). The numbers come from
:func:`core.analyses.effects.effect_differences` through the page cache, which decides what
this viewer may see; the same table is in the page's export (``effects.csv``).
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses.effects import METHOD_RMST, METHOD_SURVIVAL, effects_frame, horizon_text
from core.analyses.survival import SurvivalSpec
from core.data.filters import Filters
from core.vocab.methods import TimeUnit
from pages import _data, _ui
from pages._shown import table as table_of


def _with_table(eff, *, unit: TimeUnit):
    return eff, None if eff.refused or eff.empty else table_of(effects_frame(eff, unit))


def effects_section(filters: Filters, spec: SurvivalSpec, unit: TimeUnit) -> None:
    """The table, its method lines and notes (nothing for an ungrouped or refused view)."""
    if not spec.by:
        return
    made = partial(_with_table, unit=unit)  # the analysis and its table, once per view
    eff, table = _data.view(made, _data.analysis, "effects:effect_differences", filters, spec)
    if eff.refused:
        return
    st.subheader("Effect differences")
    if eff.empty:
        st.info(eff.note or "Nothing to compare.")
        for note in eff.notes:
            st.caption(note)
        return
    horizon = horizon_text(eff, unit)
    st.markdown(
        f"Each group against **{_ui.inert(eff.reference)}** (the first group shown, as the "
        "hazard ratios)"
        + (f"; RMST to {horizon}" if horizon else "")
        + ". The horizon and the times are set under *Analysis options*."
    )
    st.dataframe(table, hide_index=True)
    st.caption(f"Survival difference: {METHOD_SURVIVAL}. RMST: {METHOD_RMST}.")
    if eff.disclosure.stamp():
        st.caption(eff.disclosure.stamp())
    for note in eff.notes:
        st.caption(note)
