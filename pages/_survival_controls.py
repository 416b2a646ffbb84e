"""The Survival page's controls, all kept in the URL (keys, defaults and ranges from the URL
contract in core/analyses/survival_url.py, which `report` uses for its share link too)."""

from __future__ import annotations

import streamlit as st

from core.analyses import survival_url as url
from core.analyses.survival import GROUPINGS
from core.analyses.survival import SurvivalSpec as Spec
from core.vocab.methods import ConfType, Endpoint, Origin, TimeUnit
from pages import _controls as ctl


def survival_controls() -> tuple[Spec, TimeUnit, bool, bool]:
    """Render endpoint, origin, grouping, CI and analysis options; return (spec, unit, CI
    bands shown, median lines shown)."""
    c1, c2, c3, c4 = st.columns(4)
    endpoint = Endpoint.parse(
        ctl.select(
            "Endpoint",
            "endpoint",
            Endpoint.codes(),
            "os",
            lambda c: Endpoint.parse(c).label,
            where=c1,
        )
    )
    origin = Origin.parse(
        ctl.select(
            "Time origin",
            "origin",
            Origin.codes(),
            "index",
            lambda c: Origin.parse(c).label,
            where=c2,
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
            url.DEFAULT.left_truncation,
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
            "Landmark L, months",
            "lm_months",
            url.LANDMARK_DEFAULT,
            *url.LANDMARK_RANGE,
            0.5,
            where=o2,
            disabled=not landmark_on,
        )
        unit = TimeUnit.parse(
            ctl.select("Time unit", "unit", ["months", "years"], "months", where=o3)
        )
        times = ctl.number_list(
            "Survival at (months)", "times", url.DEFAULT.times_months, *url.TIMES_RANGE, where=o1
        )
        rmst_h = ctl.number(
            "RMST horizon, months", "rmst", url.DEFAULT.rmst_months, *url.RMST_RANGE, 1.0, where=o3
        )
        show_ci = ctl.toggle("CI bands", "bands", True, where=o2)
        show_median = ctl.toggle("Median lines", "medline", False, where=o2)
        na_group = ctl.toggle(
            "Show 'not assessed' group", "na", url.DEFAULT.include_not_assessed, where=o1
        )

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
    return spec, unit, show_ci, show_median
