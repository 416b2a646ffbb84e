"""User-defined groups on the Overview page: Table 1 with one column per group.

The groups are built with the Survival page's sidebar builder
(:func:`pages._survival_groups.group_controls`, the same session state and link keys
``grp1=<name>&grp1.<filter key>=...``), so groups defined on one page carry over to the others.
With two or more groups Table 1 is split by them
(:func:`core.analyses.table1.baseline_table_by_groups`) instead of by a field.
"""

from __future__ import annotations

import streamlit as st

from core.analyses import ledger
from core.analyses.defined_groups import GroupSet
from core.analyses.table1 import Table1
from core.data.filters import Filters
from core.present import export
from core.present import table1 as table1_view
from pages import _data, _ledger, _ui
from pages._survival_groups import group_controls, header

METHOD = (
    "Your groups, each its own selection; categorical: n (% of patients with a known value); "
    "continuous: mean (SD) and median (IQR, R type-7 quantiles); tests only when no patient "
    "is in two groups."
)


def table_and_notes(t1: Table1):
    """Draw Table 1 and its footnotes (each test named, then the ledger's sentence); return
    the table and the notes for the CSV."""
    frame = table1_view.frame(t1)
    st.dataframe(frame, hide_index=True, width="stretch", height=600)
    notes = table1_view.footnotes(t1)
    if multiplicity := _ledger.record_all(ledger.table1_tests(t1)):
        notes = [*notes, multiplicity.replace("This ", "The first ", 1)]
    if notes:
        st.caption("  \n".join(_ui.plain(n) for n in notes))
    return frame, notes


def groups_view(filters: Filters) -> None:
    """The sidebar group builder; with two or more groups, their Table 1, and the page stops."""
    gs = group_controls(filters)
    if gs is None:
        return
    render(gs)
    st.stop()


def render(gs: GroupSet) -> None:
    """Table 1 by group, overlaps, footnotes naming each test, CSV with provenance lines."""
    with st.spinner("Computing Table 1 of your groups and its tests…"):
        t1: Table1 = _data.analysis("table1:baseline_table_by_groups", gs)
    if not header(gs, t1, "Baseline characteristics · your groups"):
        return
    for notice in t1.notices:
        st.info(_ui.plain(notice))
    method = METHOD
    if t1.disclosure.active:
        method += (
            " Under disclosure control each group is protected as its own selection: "
            "'suppressed' marks a count withheld so that a hidden one cannot be worked out, "
            "and a count without a percentage has its denominator withheld."
        )
    frame, notes = table_and_notes(t1)
    stamp = f" · {t1.disclosure.stamp()}" if t1.disclosure.stamp() else ""
    st.caption(f"{_ui.plain(method)}{stamp}")
    cohorts = tuple(dict.fromkeys(c for g in gs.groups for c in g.filters.cohorts))
    infos = _ui.selected_infos(Filters(cohorts=cohorts))
    lines = export.caption_lines(
        "your groups: " + t1.description, infos, method, disclosure=t1.disclosure
    )
    st.download_button(
        "Download Table 1 of your groups (CSV)",
        export.to_csv_bytes(frame, [*lines, *notes]),
        file_name="table1_groups.csv",
        mime="text/csv",
        on_click="ignore",
        key="table1_groups_csv",
    )
