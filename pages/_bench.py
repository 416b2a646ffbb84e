"""The Benchmarks page's forest plots, its comparison box and its exports (issue 19, 11 and 13).

Forest plots mark the figures of another population than the view's (e.g. pancreatic-only
trials beside a small-bowel selection) and carry the synthetic-data marker; the comparison box
offers the benchmarks of the page's endpoint only; figures from diagnosis are compared on the
published basis (no delayed entry, :data:`core.analyses.comparison.PUBLISHED_BASIS`). The
exports are those of the Survival and Response pages: the figure (the forest plots with their
caption stamped in), numeric CSVs with provenance lines, the results and methods paragraphs
and the share link.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import streamlit as st

from core.analyses.comparison import (
    NotComparable,
    benchmark_label,
    cohort_label,
    comparison_export_frame,
    forest_export_frame,
    forest_frame,
    forest_groups,
    forest_methods,
    not_comparable_reason,
    short_study,
)
from core.data.filters import Filters
from core.literature.registry import Benchmark
from core.present import export
from core.present.charts import KEEP_SIZE, forest_chart
from core.present.paragraphs import benchmark_methods, benchmark_results
from pages import _controls as ctl
from pages import _data, _export, _ui


def forests(filters: Filters, rows: Sequence[Benchmark], banner) -> list | None:
    """The forest plots; returns [(measure, frame, chart, own)] or None when refused."""
    groups = forest_groups(rows)
    if not groups:
        st.info("No median or rate to plot for this therapy class and endpoint.")
    synthetic = _ui.synthetic_ids(filters)
    ids = tuple(b.id for g in groups for b in g.benchmarks)
    flags = dict(_data.analysis("comparison:population_flags", filters, ids)) if ids else {}
    out = []
    for i, group in enumerate(groups):
        own = _data.analysis("comparison:cohort_measure", filters, group.measure)
        if i == 0:
            with banner:
                _ui.disclosure_banner(own.disclosure)
                for msg in own.notices:
                    st.caption(msg)
        if own.refusal:
            st.info(own.refusal)
            return None
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
        st.markdown(f"**{title}**")
        st.altair_chart(chart.properties(autosize="fit-x"), width="stretch")
        st.caption(_ui.caption(own.filters or filters, own.n_text, forest_methods(group, own)))
        out.append((group.measure, frame, chart, own))
    if flags:
        st.caption(
            "⚠ marks a published figure whose population left out primary sites this view "
            "holds (grey points): prognosis differs by primary site."
        )
    return out


def _title(text: str, synthetic: Sequence[str]) -> alt.TitleParams:
    from core.present.charts import chart_title

    return alt.TitleParams(**chart_title(text, synthetic))


def comparison(filters: Filters, rows: Sequence[Benchmark], banner, banner_shown: bool):
    """The comparison box, offering the benchmarks of the page's endpoint; returns
    (benchmark, ViewComparison) or None."""
    st.subheader("Compare this view with one benchmark")
    by_id = {b.id: b for b in rows}  # the page's therapy class and endpoint
    if not by_id:
        st.info("No published figure for this therapy class and endpoint.")
        return None
    ids = list(by_id)
    fits = [i for i in ids if not not_comparable_reason(by_id[i])] or ids
    default = "kane-os-median" if "kane-os-median" in by_id else fits[0]
    bench_id = ctl.select("Benchmark", "bench", ids, default, lambda i: benchmark_label(by_id[i]))
    for msg in ctl.notices():
        st.warning(msg if len(msg) < 200 else msg[:200] + "…", icon="⚠️")
    bench = by_id[bench_id]
    try:
        vc = _data.benchmark_comparison(filters, bench_id)
    except NotComparable as exc:
        st.info(f"Cannot compare: {exc}")
        return None
    if not banner_shown:
        with banner:
            _ui.disclosure_banner(vc.disclosure)
    if vc.refusal:
        st.info(vc.refusal)
        return None
    c = vc.comparison
    unit = bench.unit.value
    left, right = st.columns(2)
    left.markdown(f"**This view** (n = {vc.cohort.n_text}): {vc.cohort.text(unit)}")
    left.caption(vc.cohort.description)
    right.markdown(f"**Benchmark** (n = {bench.n or '?'}): {_ui.plain(bench.value_text())}")
    right.caption(_ui.plain(f"{bench.study} · {bench.arm} · {bench.time_origin.label}"))
    for w in c.warnings:
        st.warning(f"**{w.severity.label}** · {w.category.label}: {w.message}", icon="⚠️")
    if not c.warnings:
        st.success("No known reason for caution in this comparison.")
    st.markdown(vc.test_text())
    method = c.test.method.label if c.test else "no test"
    stamp = "; " + vc.disclosure.stamp() if vc.disclosure.stamp() else ""
    shown = vc.cohort.filters or filters
    st.caption(_ui.caption(shown, vc.cohort.n_text, f"{method}; {vc.cohort.description}{stamp}"))
    return bench, vc


def exports(filters: Filters, plots: list, compared) -> None:
    """Figure (the forest plots), numeric CSVs, paragraphs and the share link."""
    if not plots:
        return
    infos = _ui.selected_infos(filters)
    charts = [chart for _m, _f, chart, _o in plots]
    if len(charts) > 1:  # one figure: the plots stacked (autosize belongs to the whole)
        parts = [c.copy(deep=True) for c in charts]
        for c in parts:
            c.autosize = alt.Undefined
        figure = alt.vconcat(*parts, spacing=24).properties(autosize=KEEP_SIZE)
    else:
        figure = charts[0]
    own = plots[0][3]
    description = (own.filters or filters).describe(own.n_text)
    tables = {"Forest plots": forest_export_frame([(m, f) for m, f, _c, _o in plots])}
    flagged = sorted(
        {
            short_study(b.study)
            for _m, f, _c, _o in plots
            for b in _data.benchmarks()
            if b.id in set(f.loc[f["population"] != "", "id"])
        }
    )
    if compared is not None:
        bench, vc = compared
        tables["Comparison"] = comparison_export_frame(vc, bench)
        results = benchmark_results(vc, bench, cohorts=infos, flagged=flagged)
        methods = benchmark_methods(vc, cohorts=infos, description=description)
        d = vc.disclosure
    else:
        d = own.disclosure
        results = " ".join(x for x in (_ui.provenance_note(infos), d.sentence()) if x)
        methods = d.sentence()
    method = forest_methods(forest_groups_of(plots)[0], own) if plots else ""
    _export.render(
        figure,
        export.caption_lines(description, infos, method, disclosure=d),
        tables,
        results,
        methods,
        file_stem="benchmarks",
        page_path="benchmarks",
        key="export_benchmarks",
        disclosure=d,
    )


def forest_groups_of(plots: list) -> list:
    """The forest groups behind the plots (for the caption's method line)."""
    from core.analyses.comparison import ForestGroup

    return [ForestGroup(m, ()) for m, _f, _c, _o in plots]
