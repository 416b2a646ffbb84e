"""The Benchmarks page's forest plots (issue 19, 11 and 13), built once per view.

Forest plots mark the figures of another population than the view's (e.g. pancreatic-only
trials beside a small-bowel selection) and carry the synthetic-data marker. The plots, their
on-screen specs and captions, and what the exports need (the plots stacked as one figure, the
numeric table, the flagged studies, the method line) are kept per view (pages._data.view), so
a rerun that changes nothing draws them without building them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from core.analyses.comparison import (
    Measure,
    cohort_label,
    filter_benchmarks,
    forest_export_frame,
    forest_frame,
    forest_groups,
    forest_methods,
    short_study,
)
from core.data.filters import Filters
from core.present.charts import KEEP_SIZE, chart_title, forest_chart
from pages import _data, _ui
from pages._shown import Shown, shown


@dataclass(frozen=True)
class Plot:
    """One forest plot of the view (``frame`` None: the view's measure is refused)."""

    measure: Measure
    own: Any  # CohortMeasure
    frame: pd.DataFrame | None = None
    shown: Shown | None = None
    title: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Forests:
    """The page's forest plots and what their exports need, built once per view."""

    plots: tuple[Plot, ...]
    flags: bool  # a figure's population differs from the view's
    figure: Any = None  # the plots stacked, for the exports
    table: pd.DataFrame | None = None
    flagged: tuple[str, ...] = ()
    method: str = ""


def _forests(pool, *, filters: Filters, therapy: str, endpoint: str) -> Forests:
    """Every forest plot of the therapy class and endpoint, up to the first refused one."""
    groups = forest_groups(filter_benchmarks(pool, therapy, endpoint))
    synthetic = _ui.synthetic_ids(filters)
    ids = tuple(b.id for g in groups for b in g.benchmarks)
    flags = dict(_data.analysis("comparison:population_flags", filters, ids)) if ids else {}
    plots, charts = [], []
    for group in groups:
        own = _data.analysis("comparison:cohort_measure", filters, group.measure)
        if own.refusal:
            return Forests((*plots, Plot(group.measure, own)), bool(flags))
        label = cohort_label(filters, own, group.measure.unit)
        frame = forest_frame(group, own, label, flags)
        title = group.measure.title()
        x_title = "Median, months" if group.measure.unit == "months" else "Rate, %"
        chart = forest_chart(
            frame,
            x_title=x_title,
            ref_line=None,
            log_scale=False,
            highlight=label,
            synthetic=synthetic,
            description=f"Forest plot of {title.lower()}: this view among published figures.",
        ).properties(title=_title(title, synthetic))
        caption = _ui.caption(own.filters or filters, own.n_text, forest_methods(group, own))
        plots.append(Plot(group.measure, own, frame, shown(chart), title, caption))
        charts.append(chart)
    if not plots:
        return Forests((), bool(flags))
    if len(charts) > 1:  # one figure: the plots stacked (autosize belongs to the whole)
        parts = [c.copy(deep=True) for c in charts]
        for c in parts:
            c.autosize = alt.Undefined
        figure = alt.vconcat(*parts, spacing=24).properties(autosize=KEEP_SIZE)
    else:
        figure = charts[0]
    marked = {i for p in plots for i in p.frame.loc[p.frame["population"] != "", "id"]}
    flagged = sorted({short_study(b.study) for b in pool if b.id in marked})
    table = forest_export_frame([(p.measure, p.frame) for p in plots])
    method = forest_methods(groups[0], plots[0].own)
    return Forests(tuple(plots), bool(flags), figure, table, tuple(flagged), method)


def forests(filters: Filters, therapy: str, endpoint: str, banner) -> Forests | None:
    """Draw the forest plots (kept per view); None when the selection is refused."""
    made = partial(_forests, filters=filters, therapy=therapy, endpoint=endpoint)
    f = _data.view(made, _data.benchmarks)
    if not f.plots:
        st.info("No median or rate to plot for this therapy class and endpoint.")
    for i, p in enumerate(f.plots):
        if i == 0:
            with banner:
                _ui.disclosure_banner(p.own.disclosure)
                for msg in p.own.notices:
                    st.caption(msg)
        if p.own.refusal:
            st.info(p.own.refusal)
            return None
        st.markdown(f"**{p.title}**")
        p.shown.draw()
        st.caption(p.caption)
    if f.flags:
        st.caption(
            "⚠ marks a published figure whose population left out primary sites this view "
            "holds (grey points): prognosis differs by primary site."
        )
    return f


def _title(text: str, synthetic: Sequence[str]) -> alt.TitleParams:
    return alt.TitleParams(**chart_title(text, synthetic))


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
