"""User-defined groups on the Cox page: each group's hazard ratio against the first group.

The groups are built with the Survival page's sidebar builder
(:func:`pages._survival_groups.group_controls`, the same session state and link keys
``grp1=<name>&grp1.<filter key>=...``). With two or more groups the page shows, above its own
model, the group-only Cox model of the groups (core.analyses.defined_groups.compare_cox).
"""

from __future__ import annotations

import streamlit as st

from core.analyses.cox import CoxSpec
from core.analyses.defined_groups import COX_METHOD
from core.analyses.ledger import defined_cox_tests
from core.data.filters import Filters
from pages import _data, _ledger, _ui
from pages._survival_groups import group_controls, header


def render(filters: Filters, spec: CoxSpec) -> None:
    """The sidebar group builder; with two or more groups, their hazard ratios."""
    gs = group_controls(filters)
    if gs is None:
        return
    cmp = _data.analysis("defined_groups:compare_cox", gs, spec)
    if not header(gs, cmp, overlap_note=": no model is fitted."):
        return
    for note in cmp.notes:
        st.info(_ui.plain(note))
    if cmp.hazard_ratios:
        ref = _ui.plain(gs.groups[0].name)
        st.markdown(f"Hazard ratios against **{ref}** (Cox, group only, Efron ties)")
    st.dataframe(cmp.frame(), hide_index=True)
    stamp = f" · {cmp.disclosure.stamp()}" if cmp.disclosure.stamp() else ""
    st.caption(f"{COX_METHOD}{stamp}")
    if sentence := _ledger.record_all(defined_cox_tests(cmp)):
        st.caption(sentence)
    st.divider()
