"""Survival: Kaplan-Meier curves, medians, log-rank, hazard ratios, RMST, survival at times."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses.comparison import benchmark_label
from core.analyses.ledger import survival_tests
from core.analyses.survival import (
    CONVENTIONS_MORE,
    exclusion_notes,
    followup_text,
    hr_frame,
    pairwise_frame,
    reference_group,
    summary_frame,
    survival_at_frame,
)
from core.present.paragraphs import method_line
from core.vocab.formatting import fmt_p
from core.vocab.methods import CONVENTIONS
from pages import _controls as ctl
from pages import _data, _ledger, _shown, _survival_export, _ui
from pages._filters import current_filters
from pages._overlay import choices, figure, overlay_warnings
from pages._shell import enter
from pages._survival_arm import arm_section
from pages._survival_cif import cif_section
from pages._survival_controls import survival_controls
from pages._survival_effects import effects_section
from pages._survival_groups import group_controls
from pages._survival_groups import render as render_groups

enter()  # run inside the app shell (login gate, navigation, database guard)

filters = current_filters()
st.title("Survival")
_ui.provenance_banner(filters)

spec, unit, show_ci, show_median = survival_controls()
if (groups := group_controls(filters)) is not None:  # the user's own groups (in the link)
    render_groups(groups, spec, unit)
    st.stop()
endpoint = spec.endpoint
for msg in ctl.notices():
    st.warning(msg, icon="⚠️")
analysis = _data.survival(filters, spec, wait="Computing…")  # a spinner while computed
_ui.disclosure_banner(analysis.disclosure)
for notice in analysis.notices:
    st.info(notice)
if analysis.refused:
    st.info(analysis.refusal, icon="🛡️")
    st.stop()
if analysis.n_selected == 0:
    _ui.empty_state(filters)
    st.stop()

for w in analysis.warnings:
    st.warning(w, icon="⚠️")
for note in exclusion_notes(analysis):
    st.info(note)
if not analysis.groups:
    st.info("No patient in this selection has data for this endpoint and origin.")
    st.stop()
if all(g.suppressed for g in analysis.groups):
    st.info(
        "Under disclosure control no group here is large enough to be shown: widen the "
        "selection or choose another grouping."
    )
    st.stop()

options = {b.id: b for b in _data.view(partial(choices), _data.survival, filters, spec)}
chosen = ctl.multi(
    "Benchmark overlay",
    "overlay",
    list(options),
    lambda i: benchmark_label(options[i]),
    help="Published medians or landmark rates drawn as approximate curves.",
)
for msg in ctl.notices():
    st.warning(msg, icon="⚠️")
note = overlay_warnings(filters, spec, chosen)  # comparability, basis (issue 19 item 11)
methods = method_line(spec)
caption = _ui.caption(analysis.filters, analysis.n_shown, methods)
if analysis.disclosure.stamp():
    caption = f"{caption} · {analysis.disclosure.stamp()}"
chart, shown = _data.view(  # built once per view and display options (and as sent)
    partial(
        _shown.drawn,
        figure,
        unit=unit,
        overlays=chosen,
        show_ci=show_ci,
        show_median=show_median,
        title=f"{endpoint.label} · n = {analysis.n_shown}",
        y_title=f"{endpoint.label} probability",
        synthetic=_ui.synthetic_ids(filters),
        overlay_note=note,
    ),
    _data.survival,
    filters,
    spec,
)
shown.draw()
st.caption(caption)

st.subheader("Summary")
table = _data.view(partial(_shown.tables, summary_frame, unit=unit), _data.survival, filters, spec)
st.dataframe(table, hide_index=True, width="stretch")
if followup := followup_text(analysis, unit):
    st.markdown(followup)
multiplicity = ""  # the session ledger's sentence on this view's test, for the exports
if analysis.logrank is not None:
    lr = analysis.logrank
    st.markdown(f"**Log-rank test**: χ² = {lr.chi2:.2f}, df = {lr.df}, {fmt_p(lr.p)}")
    tests = _data.view(partial(survival_tests), _data.survival, filters, spec)
    multiplicity = _ledger.record_all(tests)
    if analysis.pairwise:
        st.markdown("Pairwise log-rank tests (Holm-adjusted)")
        pairs = _data.view(partial(_shown.tables, pairwise_frame), _data.survival, filters, spec)
        st.dataframe(pairs, hide_index=True)
    ref = reference_group(analysis)  # first group that can have a hazard ratio
    hrs = _data.hazard_ratios(filters, spec, ref)
    st.markdown(f"Hazard ratios against **{ref}** (Cox proportional hazards, Efron ties)")
    if hrs.rows:
        st.dataframe(  # the table kept per view and reference (as Arrow)
            _data.view(partial(_shown.tables, hr_frame), _data.hazard_ratios, filters, spec, ref),
            hide_index=True,
        )
    if hrs.note:
        st.caption(hrs.note)
elif len(analysis.groups) == 1 and spec.by:
    st.info("Only one group has patients: no comparison is possible.")
elif spec.by and sum(not g.suppressed for g in analysis.groups) == 1:
    st.info("Only one group is large enough to be shown under disclosure control: no comparison.")

if spec.times_months:
    st.subheader("Survival at chosen times")
    at_times = _data.view(partial(_shown.tables, survival_at_frame), _data.survival, filters, spec)
    st.dataframe(at_times, hide_index=True)
effects_section(filters, spec, unit)  # group vs reference: survival and RMST differences
arm_section(filters, spec)  # the view against a reconstructed trial arm
cif_section(filters, spec, unit)  # competing risks: death by cause
with st.expander("Conventions"):
    st.markdown(CONVENTIONS)
    st.markdown(CONVENTIONS_MORE)
    st.markdown(
        "Without delayed entry, a from-diagnosis curve counts patients as at risk "
        "before anyone could observe them, which biases it upward."
    )
_survival_export.render(chart, analysis, unit, multiplicity)
