"""User-defined groups on the Response page: each group's response rates, and their comparison.

The groups are built with the Survival page's sidebar builder
(:func:`pages._survival_groups.group_controls`, the same session state and link keys
``grp1=<name>&grp1.<filter key>=...``), so groups defined on one page carry over to the other.
With two or more groups the page shows the chosen domain's rates per group
(core.analyses.defined_groups.compare_responses) instead of its field grouping.
"""

from __future__ import annotations

import streamlit as st

from core.analyses.defined_groups import GroupSet
from core.analyses.ledger import defined_response_tests
from core.analyses.responses import ResponseSpec
from core.data.filters import Filters
from core.present import export
from pages import _data, _ledger, _ui
from pages._survival_groups import group_controls, header


def groups_view(filters: Filters, spec: ResponseSpec) -> None:
    """The sidebar group builder; with two or more groups, their view, and the page stops."""
    gs = group_controls(filters)
    if gs is None:
        return
    render(gs, spec)
    st.stop()


def render(gs: GroupSet, spec: ResponseSpec) -> None:
    """Per-group table, overlaps, the test with its method, CSV with provenance lines."""
    cmp = _data.analysis("defined_groups:compare_responses", gs, spec)
    if not header(gs, cmp):
        return
    st.dataframe(cmp.frame(), hide_index=True)
    method = cmp.method()
    stamp = f" · {cmp.disclosure.stamp()}" if cmp.disclosure.stamp() else ""
    st.caption(f"{_ui.plain(method)}{stamp}")
    sentence = ""
    if text := cmp.test_text():
        st.markdown(f"**Group comparison**: {text}")
        if sentence := _ledger.record_all(defined_response_tests(cmp)):
            st.caption(sentence)
    for note in cmp.notes:
        st.info(_ui.plain(note))
    cohorts = tuple(dict.fromkeys(c for g in gs.groups for c in g.filters.cohorts))
    infos = _ui.selected_infos(Filters(cohorts=cohorts))
    selection = "your groups: " + "; ".join(f"{r.name}: {r.description}" for r in cmp.rows)
    lines = export.caption_lines(selection, infos, method, disclosure=cmp.disclosure)
    st.download_button(
        "Response rates by group (CSV)",
        data=export.to_csv_bytes(cmp.export(), [*lines, sentence]),
        file_name=f"response_{spec.domain.value}_groups.csv",
        mime="text/csv",
        on_click="ignore",
        key="response_groups_csv",
    )
