"""Benchmarks: published figures beside the cohort view, on forest plots, and tested."""

from __future__ import annotations

import streamlit as st

from core.analyses.comparison import (
    NotComparable,
    add_user_benchmark,
    benchmark_label,
    cohort_label,
    filter_benchmarks,
    forest_frame,
    forest_groups,
    forest_methods,
    table_frame,
)
from core.literature.registry import (
    BenchmarkEndpoint,
    Design,
    Statistic,
    TherapyClass,
    TimeOrigin,
    Unit,
)
from core.present.charts import forest_chart
from pages import _controls as ctl
from pages import _data, _ui
from pages._arms import arms_section
from pages._filters import current_filters
from pages._shell import enter

enter()  # run inside the app shell (login gate, navigation, database guard)

NEW = "nb_"  # keys of the add-a-benchmark form
TEXT_FIELDS = {
    "study": "Study (author year)",
    "arm": "Arm",
    "n": "Patients (n)",
    "value": "Value",
    "ci_lower": "95% CI lower (optional)",
    "ci_upper": "95% CI upper (optional)",
    "landmark_months": "Landmark, months (rates of survival only)",
    "citation": "Citation: PMID or DOI (required)",
}
CODE_FIELDS = {
    "therapy_class": ("Therapy class", TherapyClass),
    "design": ("Design", Design),
    "endpoint": ("Endpoint", BenchmarkEndpoint),
    "time_origin": ("Time origin", TimeOrigin),
    "statistic": ("Statistic", Statistic),
    "unit": ("Unit", Unit),
}


def _add() -> None:
    """Form callback: runs before the page, so the table below already shows the new row."""
    fields = {k: st.session_state[NEW + k] for k in (*TEXT_FIELDS, *CODE_FIELDS)}
    bench, errors = add_user_benchmark(fields)
    st.session_state["nb_result"] = (bench.id if bench else None, errors)
    if bench:
        _data.clear()


def _notices() -> None:
    for msg in ctl.notices():  # a long list of allowed ids is cut short
        st.warning(msg if len(msg) < 200 else msg[:200] + "…", icon="⚠️")


filters = current_filters()
st.title("Benchmarks")
banner = st.container()  # the disclosure banner, once a result says which mode applies
_ui.provenance_banner(filters)
pool = _data.benchmarks()
by_id = {b.id: b for b in pool}
c1, c2 = st.columns(2)
therapy = ctl.select(
    "Therapy class",
    "therapy",
    ["all", *TherapyClass.codes()],
    "all",
    lambda c: "All therapies" if c == "all" else TherapyClass.parse(c).label,
    where=c1,
)
present = [e.value for e in BenchmarkEndpoint if any(b.endpoint is e for b in pool)]
endpoint = ctl.select(
    "Endpoint", "bendpoint", present, "os", lambda c: BenchmarkEndpoint.parse(c).label, where=c2
)

_notices()
rows = filter_benchmarks(pool, therapy, endpoint)
st.subheader(f"Published figures · {len(rows)}")
st.dataframe(
    table_frame(rows),
    hide_index=True,
    column_config={
        "Link": st.column_config.LinkColumn("Link", display_text=r"https://(pubmed|doi)\.")
    },
)
st.caption(
    "Links only for identifiers seen in a public source; a citation recalled rather than seen "
    "is shown as text with a note, to be checked. 'user-added' rows were typed in by a user "
    "and are not reviewed."
)

with st.expander("Add a published figure"):
    with st.form("add_benchmark"):
        fa, fb = st.columns(2)
        for i, (key, text) in enumerate(TEXT_FIELDS.items()):
            (fa if i % 2 == 0 else fb).text_input(text, key=NEW + key)
        for i, (key, (text, enum)) in enumerate(CODE_FIELDS.items()):
            (fa if i % 2 == 0 else fb).selectbox(
                text, enum.codes(), key=NEW + key, format_func=lambda c, e=enum: e.parse(c).label
            )
        st.form_submit_button("Add benchmark", on_click=_add)
    added, errors = st.session_state.pop("nb_result", (None, []))
    if errors:
        st.error("The figure was not added:\n\n" + "\n".join(f"- {e}" for e in errors))
    elif added:
        st.success(f"Added {added}: it is marked 'user-added' in the table.")

arms_section(filters)  # reconstructed trial arms: list, compare, add, remove

n_sel = _data.count(filters)
if n_sel == 0:
    _ui.empty_state(filters)
    st.stop()

st.subheader("Forest plots: this view among the published figures")
groups = forest_groups(rows)
if not groups:
    st.info("No median or rate to plot for this therapy class and endpoint.")
shown_banner = False
for group in groups:
    own = _data.cohort_measure(filters, group.measure)
    if not shown_banner:
        with banner:
            _ui.disclosure_banner(own.disclosure)
            for msg in own.notices:
                st.caption(msg)
        shown_banner = True
    if own.refusal:
        st.info(own.refusal)
        st.stop()
    label = cohort_label(filters, own, group.measure.unit)
    frame = forest_frame(group, own, label)
    st.markdown(f"**{group.measure.title()}**")
    x_title = "Median, months" if group.measure.unit == "months" else "Rate, %"
    chart = forest_chart(frame, x_title=x_title, ref_line=None, log_scale=False, highlight=label)
    st.altair_chart(chart, width="content")
    st.caption(_ui.caption(own.filters or filters, own.n_text, forest_methods(group, own)))

st.subheader("Compare this view with one benchmark")
ids = list(by_id)
default = "kane-os-median" if "kane-os-median" in by_id else ids[0]
bench_id = ctl.select("Benchmark", "bench", ids, default, lambda i: benchmark_label(by_id[i]))
_notices()
bench = by_id[bench_id]
try:
    vc = _data.benchmark_comparison(filters, bench_id)
except NotComparable as exc:
    st.info(f"Cannot compare: {exc}")
else:
    if not shown_banner:
        with banner:
            _ui.disclosure_banner(vc.disclosure)
    if vc.refusal:
        st.info(vc.refusal)
        st.stop()
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
