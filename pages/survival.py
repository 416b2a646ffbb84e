"""Survival: Kaplan-Meier curves, medians, log-rank, hazard ratios, RMST, survival at times."""

from __future__ import annotations

import streamlit as st

from core.formatting import fmt_p
from core.methods import CONVENTIONS, ConfType, Endpoint, Origin, TimeUnit
from core.plots import km_chart
from core.survival_data import (
    GROUPINGS,
    hr_frame,
    pairwise_frame,
    summary_frame,
    survival_at_frame,
)
from core.survival_data import SurvivalSpec as Spec
from pages import _controls as ctl
from pages import _data, _export, _ui
from pages._filters import current_filters

filters = current_filters()
st.title("Survival")

c1, c2, c3, c4 = st.columns(4)
endpoint = Endpoint.parse(
    ctl.select(
        "Endpoint", "endpoint", Endpoint.codes(), "os", lambda c: Endpoint.parse(c).label, where=c1
    )
)
origin = Origin.parse(
    ctl.select(
        "Time origin", "origin", Origin.codes(), "index", lambda c: Origin.parse(c).label, where=c2
    )
)
by_code = ctl.select(
    "Group by",
    "by",
    ["none", *GROUPINGS],
    "none",
    lambda c: "No grouping" if c == "none" else GROUPINGS[c].label,
    where=c3,
)
by = None if by_code == "none" else by_code
conf = ConfType.parse(
    ctl.select(
        "95% CI transform",
        "ci",
        ConfType.codes(),
        "log-log",
        lambda c: ConfType.parse(c).label,
        where=c4,
    )
)

with st.expander("Analysis options", expanded=False):
    o1, o2, o3 = st.columns(3)
    left_trunc = ctl.toggle(
        "Delayed entry at first treatment",
        "lt",
        True,
        where=o1,
        help="From diagnosis, patients join the risk set only when treated "
        "(left truncation, as R's Surv(entry, exit, event)).",
    )
    landmark_on = ctl.toggle(
        "Landmark analysis",
        "lm",
        False,
        where=o2,
        help="Re-origin at L months after first treatment; patients with "
        "an event or censoring before L are excluded and counted.",
    )
    landmark = ctl.number(
        "Landmark L, months", "lm_months", 3.0, 0.5, 60.0, 0.5, where=o2, disabled=not landmark_on
    )
    unit = TimeUnit.parse(ctl.select("Time unit", "unit", ["months", "years"], "months", where=o3))
    times = ctl.number_list("Survival at (months)", "times", (12, 24, 36, 60), 0.5, 240, where=o1)
    rmst_h = ctl.number("RMST horizon, months", "rmst", 60.0, 1.0, 240.0, 1.0, where=o3)
    show_ci = ctl.toggle("CI bands", "bands", True, where=o2)
    show_median = ctl.toggle("Median lines", "medline", False, where=o2)
    na_group = ctl.toggle("Show 'not assessed' group", "na", True, where=o1)
for msg in ctl.notices():
    st.warning(msg, icon="⚠️")

spec = Spec(
    endpoint=endpoint,
    origin=origin,
    by=by,
    left_truncation=left_trunc,
    landmark_months=landmark if landmark_on else None,
    conf_type=conf,
    include_not_assessed=na_group,
    times_months=times,
    rmst_months=rmst_h,
)
n_sel = _data.count(filters)
if n_sel == 0:
    _ui.empty_state(filters)
    st.stop()
with st.spinner("Computing…"):
    analysis = _data.survival(filters, spec)

for w in analysis.warnings:
    st.warning(w, icon="⚠️")
if analysis.n_missing_time:
    st.info(
        f"{analysis.n_missing_time} of {analysis.n_selected} selected patients have no "
        f"{endpoint.label.lower()} data for this origin and are not analysed."
    )
if spec.landmark_months is not None:
    st.info(
        f"Landmark at {landmark:g} months: {analysis.n_landmark_excluded} patients excluded "
        f"({analysis.n_landmark_excluded_events} with an event, "
        f"{analysis.n_landmark_excluded - analysis.n_landmark_excluded_events} censored "
        "before the landmark)."
    )
if not analysis.groups:
    st.info("No patient in this selection has data for this endpoint and origin.")
    st.stop()

methods = (
    f"Kaplan-Meier, Greenwood variance, 95% CI {conf.label}; "
    f"{endpoint.label.lower()} from {origin.label.lower()}"
    + ("; delayed entry at first treatment" if origin is not Origin.INDEX and left_trunc else "")
    + (f"; landmark {landmark:g} months" if spec.landmark_months else "")
)
caption = _ui.caption(filters, analysis.n_analysed, methods)
chart = km_chart(
    analysis,
    unit,
    show_ci=show_ci,
    show_median=show_median,
    title=f"{endpoint.label} · n = {analysis.n_analysed}",
    y_title=f"{endpoint.label} probability",
)
st.altair_chart(chart, width="content")
st.caption(caption)

st.subheader("Summary")
st.dataframe(summary_frame(analysis, unit), hide_index=True, width="stretch")
if analysis.logrank is not None:
    lr = analysis.logrank
    st.markdown(f"**Log-rank test**: χ² = {lr.chi2:.2f}, df = {lr.df}, {fmt_p(lr.p)}")
    if analysis.pairwise:
        st.markdown("Pairwise log-rank tests (Holm-adjusted)")
        st.dataframe(pairwise_frame(analysis), hide_index=True)
    ref = analysis.groups[0].label
    hrs = _data.hazard_ratios(filters, spec, ref)
    st.markdown(f"Hazard ratios against **{ref}** (Cox proportional hazards, Efron ties)")
    if hrs.rows:
        st.dataframe(hr_frame(hrs), hide_index=True)
    if hrs.note:
        st.caption(hrs.note)
elif len(analysis.groups) == 1 and by:
    st.info("Only one group has patients: no comparison is possible.")

if times:
    st.subheader("Survival at chosen times")
    st.dataframe(survival_at_frame(analysis), hide_index=True)
with st.expander("Conventions"):
    st.markdown(CONVENTIONS)
    st.markdown(
        "Without delayed entry, a from-diagnosis curve counts patients as at risk "
        "before anyone could observe them, which biases it upward."
    )
_export.survival(chart, analysis, unit)
