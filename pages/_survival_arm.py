"""The Survival page's comparison with a reconstructed trial arm (issue 15, item 4).

Below the page's figure the viewer chooses an arm (URL key ``arm``). When the arm is measured
on the page's endpoint from the page's time origin and the view is ungrouped, the view is set
against it as two samples by :func:`core.analyses.arms.compare_arm`, which decides disclosure:
both step curves with their numbers at risk, every statistic with its method, every warning
(comparability, not randomised, reconstructed data) and the caption with both citations. A
refused selection shows only the refusal. Otherwise the page says why no comparison is made.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses.arms import DEFAULT_HORIZON, DEFAULT_TIMES
from core.analyses.comparison import TTE_ENDPOINTS, cohort_origin
from core.analyses.survival import SurvivalSpec
from core.data.filters import Filters
from core.literature.arms import LABEL, ReconstructedArm
from core.present.charts_arms import arm_chart
from core.vocab.methods import Origin
from pages import _controls as ctl
from pages import _data, _ui
from pages._shown import Shown, shown

KEY = "arm"
NONE = ""
GROUPED = "Choose 'No grouping' to compare the view with an arm."


def why_not(arm: ReconstructedArm, spec: SurvivalSpec) -> str:
    """Why the page's view cannot be compared with ``arm`` (empty when it can)."""
    endpoint = TTE_ENDPOINTS.get(arm.endpoint)
    if endpoint is None:
        return f"the cohort data record no {arm.endpoint.label.lower()}"
    origin = cohort_origin(arm.profile.time_origin)
    if endpoint is not spec.endpoint or origin is not spec.origin:
        return (
            f"the arm is compared on {endpoint.label.lower()} from {origin.label.lower()}; "
            f"this page shows {spec.endpoint.label.lower()} from {spec.origin.label.lower()}. "
            "Choose that endpoint and time origin above to compare"
        )
    if spec.landmark_months is not None:
        return "the arm's clock has no landmark: turn off the landmark analysis to compare"
    if not spec.left_truncation and spec.origin is not Origin.INDEX:
        return (
            "the comparison counts the view's patients at risk from their first treatment: "
            "turn on delayed entry to compare"
        )
    return ""


def _by_id(arms: tuple[ReconstructedArm, ...]) -> dict[str, ReconstructedArm]:
    return {a.id: a for a in arms}


def _compared(r, *, synthetic: tuple[str, ...]) -> tuple[object, Shown | None]:
    """The comparison (or why there is none) and its figure as the page shows it."""
    if isinstance(r, str) or r.refused:
        return r, None
    return r, shown(arm_chart(r, synthetic=synthetic))


def arm_section(filters: Filters, spec: SurvivalSpec) -> None:
    """The arm picker (kept in the URL) and, for a comparable arm, the comparison."""
    st.subheader("Compare with a reconstructed trial arm")
    if spec.by:
        st.info(GROUPED)
        return
    arms = _data.view(partial(_by_id), _data.analysis, "arms:arm_list")  # once per database
    fits = {i for i, a in arms.items() if not why_not(a, spec)}

    def label(i: str) -> str:
        if not i:
            return "No arm"
        return arms[i].label + ("" if i in fits else " (not comparable with this view)")

    ident = ctl.select(
        "Compare with a reconstructed trial arm",
        KEY,
        [NONE, *arms],
        NONE,
        label,
        help=f"Trial arms {LABEL} and its numbers at risk (Guyot et al. 2012), set against "
        "this view as two samples. Survival differences at the times and the RMST horizon "
        "chosen under Analysis options.",
    )
    for msg in ctl.notices():
        st.warning(msg, icon="⚠️")
    if not fits:
        st.caption(
            f"No reconstructed arm is measured on {spec.endpoint.label.lower()} from "
            f"{spec.origin.label.lower()}, so none can be compared with this view."
        )
    if not ident:
        return
    arm = arms[ident]
    if reason := why_not(arm, spec):
        st.info(f"No comparison with {_ui.plain(arm.label)}: {reason}.")
        return
    horizon, times = spec.rmst_months or DEFAULT_HORIZON, spec.times_months or DEFAULT_TIMES
    made = partial(_compared, synthetic=_ui.synthetic_ids(filters))  # once per view and arm
    r, figure = _data.view(
        made, _data.analysis, "arms:compare_arm_by_id", filters, ident, horizon, tuple(times)
    )
    if isinstance(r, str):
        st.info(f"Cannot compare: {_ui.plain(r)}.")
        return
    if r.refused:
        st.info(r.refusal, icon="🛡️")
        return
    figure.draw()
    st.caption(_ui.caption(r.filters or filters, r.view_n, _ui.plain(r.caption())))
    arm_median = "not reached" if r.arm_median is None else f"{r.arm_median:.1f} months"
    st.markdown(
        f"**This view**: n = {r.view_n}, events {r.view_events}, median {r.view_median_text}. "
        f"**{_ui.plain(arm.arm)}** ({LABEL}): n = {arm.n}, median {arm_median}."
    )
    for w in r.warnings:
        st.warning(f"**{w.severity.label}** · {w.category.label}: {_ui.plain(w.message)}", icon="⚠️")
    st.markdown("\n".join(f"- {line}" for line in r.test_lines()))
