"""Groups the user defines with the sidebar's own filters, compared on the Survival page.

The sidebar's current selection is saved under a name ("Add the sidebar's selection as a
group"); with two or more groups the page compares them instead of the selection's own
grouping (core.analyses.defined_groups). The groups live in the URL (``grp1=<name>``,
``grp1.<filter key>=...``), so a shared link reproduces them.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses.defined_groups import MAX_GROUPS, DefinedGroup, GroupSet, name_problem
from core.analyses.ledger import survival_tests
from core.analyses.survival import (
    HazardRatios,
    SurvivalSpec,
    hr_frame,
    pairwise_frame,
    summary_frame,
)
from core.data.filters import Filters
from core.present import export
from core.present.charts import km_chart
from core.present.paragraphs import method_line
from core.vocab.formatting import fmt_p
from core.vocab.methods import TimeUnit
from pages import _data, _export, _ledger, _shown, _ui

KEY = "_defined_groups"
_SEEDED = "_defined_groups_seeded"


def _current() -> GroupSet:
    if not st.session_state.get(_SEEDED):
        st.session_state[_SEEDED] = True
        raw = {k: st.query_params.get(k) for k in st.query_params if k.startswith("grp")}
        ids = [c.cohort_id for c in _data.cohorts()]
        groups, notices = GroupSet.from_query_params(raw, ids)
        st.session_state[KEY] = groups
        for n in notices:
            st.warning(_ui.plain(n), icon=":material/warning:")
    gs = st.session_state.get(KEY)
    return gs if isinstance(gs, GroupSet) else GroupSet()


def _store(gs: GroupSet) -> None:
    st.session_state[KEY] = gs
    for k in [k for k in st.query_params if k.startswith("grp")]:
        del st.query_params[k]
    for k, v in gs.to_query_params().items():
        st.query_params[k] = v


def group_controls(filters: Filters) -> GroupSet | None:
    """The sidebar's group builder; returns the groups to compare (None: the page's own view)."""
    gs = _current()
    with st.sidebar.expander("Your groups", icon=":material/group_work:", expanded=len(gs) > 0):
        st.caption(
            "Set the filters above, name the selection and add it; two or more groups are "
            "compared on this page (kept in the link)."
        )
        name = st.text_input("Group name", max_chars=40, key="_grp_name")
        if st.button("Add the sidebar's selection", disabled=len(gs) >= MAX_GROUPS):
            problem = name_problem(name.strip())
            if problem:
                st.warning(problem[:1].upper() + problem[1:] + ".")
            elif any(g.name == name.strip() for g in gs.groups):
                st.warning("A group of that name exists: choose another name.")
            else:
                gs = GroupSet((*gs.groups, DefinedGroup(name.strip(), filters)))
                _store(gs)
        for i, g in enumerate(gs.groups):
            c1, c2 = st.columns([5, 1])
            c1.markdown(f"**{_ui.plain(g.name)}**: {_ui.plain(g.filters.describe())}")
            if c2.button("✕", key=f"_grp_rm_{i}", help=f"Remove {g.name}"):
                gs = GroupSet(tuple(x for x in gs.groups if x is not g))
                _store(gs)
                st.rerun()
    if len(gs) < 2:
        return None
    for k, v in gs.to_query_params().items():  # groups carried over from a page keep their link
        if st.query_params.get(k) != v:
            st.query_params[k] = v
    return gs


def header(gs: GroupSet, result, title: str = "Your groups", overlap_note: str = ".") -> bool:
    """What every page's view of the user's groups opens with: title, disclosure banner, the
    refusal (False: nothing more to show), each group's definition and the overlaps."""
    st.subheader(title)
    _ui.disclosure_banner(result.disclosure)
    if result.refused:
        st.info(_ui.plain(result.refusal), icon=":material/shield:")
        return False
    for g in gs.groups:
        st.caption(f"**{_ui.plain(g.name)}**: {_ui.plain(g.filters.describe())}")
    overlap = [f"{o.a} and {o.b}: {o.shown}" for o in result.overlaps if o.shown != "0"]
    if overlap:
        st.warning(
            "Patients in more than one group ("
            + "; ".join(map(_ui.plain, overlap))
            + ")"
            + overlap_note,
            icon=":material/warning:",
        )
    return True


def render(gs: GroupSet, spec: SurvivalSpec, unit: TimeUnit) -> None:
    """The Survival page for user-defined groups: curves, summary, overlaps, tests."""
    cmp = _data.analysis("defined_groups:compare_survival", gs, spec)
    if not header(gs, cmp):
        return
    a = cmp.analysis
    for note in cmp.notes:
        st.info(_ui.plain(note))
    for w in a.warnings:
        st.warning(w, icon=":material/warning:")
    if not a.groups:
        return
    made = partial(  # the figure, once per groups, view and unit
        _shown.drawn,
        _km,
        unit=unit,
        title=f"{spec.endpoint.label} · your groups",
        y_title=f"{spec.endpoint.label} probability",
        synthetic=_ui.synthetic_ids(Filters(cohorts=_cohorts(gs))),
    )
    chart, shown = _data.view(made, _data.analysis, "defined_groups:compare_survival", gs, spec)
    shown.draw()
    method = method_line(spec)
    stamp = f" · {cmp.disclosure.stamp()}" if cmp.disclosure.stamp() else ""
    st.caption(f"{method}{stamp}")
    st.dataframe(summary_frame(a, unit), hide_index=True, width="stretch")
    if a.logrank is not None:
        lr = a.logrank
        st.markdown(f"**Log-rank test**: χ² = {lr.chi2:.2f}, df = {lr.df}, {fmt_p(lr.p)}")
        if a.pairwise:
            st.dataframe(pairwise_frame(a), hide_index=True)
    sentence = _ledger.record_all(survival_tests(a)) if a.logrank is not None else ""
    if sentence:
        st.caption(sentence)
    tables = {"Summary": summary_frame(a, unit)}
    if cmp.hazard_ratios:
        st.markdown(f"Hazard ratios against **{_ui.plain(gs.groups[0].name)}** (Cox, Efron ties)")
        hrs = HazardRatios(gs.groups[0].name, cmp.hazard_ratios, "", cmp.disclosure)
        st.dataframe(hr_frame(hrs), hide_index=True)
        tables["Hazard ratios"] = hr_frame(hrs)
    if a.pairwise:
        tables["Pairwise log-rank"] = pairwise_frame(a)
    exports(gs, cmp, chart, tables, method, sentence)


def exports(gs: GroupSet, cmp, chart, tables: dict, method: str, sentence: str) -> None:
    """Figure, CSVs with provenance (each group's definition in them), link and a short
    results text: the page's export furniture for the user's groups."""
    definitions = "; ".join(f"{g.name}: {g.filters.describe()}" for g in gs.groups)
    overlaps = "; ".join(f"{o.a} and {o.b}: {o.shown}" for o in cmp.overlaps)
    summary = tables["Summary"]
    median = next((c for c in summary.columns if c.startswith("Median")), None)
    results = " ".join(
        [
            "; ".join(
                f"{row['Group']} (n = {row['n']}): median {row[median]}" if median else ""
                for _, row in summary.iterrows()
            )
            + ".",
            f"Log-rank {fmt_p(cmp.analysis.logrank.p)}." if cmp.analysis.logrank else "",
            sentence,
            cmp.disclosure.sentence(),
        ]
    ).strip()
    infos = _ui.selected_infos(Filters(cohorts=_cohorts(gs)))
    lines = export.caption_lines(
        f"Your groups: {definitions}", infos, method, disclosure=cmp.disclosure
    )
    if overlaps:
        lines = [*lines, f"Patients in both groups: {overlaps}"]
    _export.render(
        chart,
        lines,
        tables,
        results,
        f"{method}. Groups defined by the user: {definitions}.",
        file_stem="km_your_groups",
        page_path="survival",
        key="export_groups",
        disclosure=cmp.disclosure,
    )


def _km(cmp, unit: TimeUnit, **kw):
    return km_chart(cmp.analysis, unit, **kw)


def _cohorts(gs: GroupSet) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for g in gs.groups for c in g.filters.cohorts))
