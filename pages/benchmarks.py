"""Benchmarks: published figures beside the cohort view, on forest plots, and tested."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses.comparison import (
    add_user_benchmark,
    filter_benchmarks,
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
from pages import _bench, _data, _shown, _ui
from pages import _controls as ctl
from pages._arms import arms_section
from pages._bench_forests import forests
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


def _table(pool, *, therapy: str, endpoint: str):
    return _shown.table(table_frame(filter_benchmarks(pool, therapy, endpoint)))


def _notices() -> None:
    for msg in ctl.notices():  # a long list of allowed ids is cut short
        st.warning(msg if len(msg) < 200 else msg[:200] + "…", icon="⚠️")


filters = current_filters()
st.title("Benchmarks")
banner = st.container()  # the disclosure banner, once a result says which mode applies
_ui.provenance_banner(filters)
pool = _data.benchmarks()
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
st.dataframe(  # the table kept per therapy class and endpoint (as Arrow)
    _data.view(partial(_table, therapy=therapy, endpoint=endpoint), _data.benchmarks),
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
plots = forests(filters, therapy, endpoint, banner)  # None: the selection is refused
if plots is None:
    st.stop()
compared = _bench.comparison(filters, rows, banner, banner_shown=bool(plots.plots))
_bench.exports(filters, plots, compared)
