"""The Benchmarks page's comparison box and its exports (issue 19, 11 and 13); its forest
plots are in pages._bench_forests.

The comparison box offers the benchmarks of the page's endpoint only; figures from diagnosis
are compared on the published basis (no delayed entry,
:data:`core.analyses.comparison.PUBLISHED_BASIS`). The exports are those of the Survival and
Response pages: the figure (the forest plots with their caption stamped in), numeric CSVs with
provenance lines, the results and methods paragraphs and the share link.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.analyses.comparison import (
    NotComparable,
    benchmark_label,
    comparison_export_frame,
    not_comparable_reason,
)
from core.data.filters import Filters
from core.literature.registry import Benchmark
from core.present import export
from core.present.paragraphs import benchmark_methods, benchmark_results
from pages import _controls as ctl
from pages import _data, _export, _ui
from pages._bench_forests import Forests


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


def exports(filters: Filters, f: Forests, compared) -> None:
    """Figure (the forest plots), numeric CSVs, paragraphs and the share link."""
    if not f.plots:
        return
    infos = _ui.selected_infos(filters)
    own = f.plots[0].own
    description = (own.filters or filters).describe(own.n_text)
    tables = {"Forest plots": f.table}
    if compared is not None:
        bench, vc = compared
        tables["Comparison"] = comparison_export_frame(vc, bench)
        results = benchmark_results(vc, bench, cohorts=infos, flagged=list(f.flagged))
        methods = benchmark_methods(vc, cohorts=infos, description=description)
        d = vc.disclosure
    else:
        d = own.disclosure
        results = " ".join(x for x in (_ui.provenance_note(infos), d.sentence()) if x)
        methods = d.sentence()
    _export.render(
        f.figure,
        export.caption_lines(description, infos, f.method, disclosure=d),
        tables,
        results,
        methods,
        file_stem="benchmarks",
        page_path="benchmarks",
        key="export_benchmarks",
        disclosure=d,
    )
