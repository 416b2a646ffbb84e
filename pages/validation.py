"""Validation: the seed papers' published figures against what the app computes."""

from __future__ import annotations

import streamlit as st

from core.analyses.validation import CONVENTIONS_MD, SYNTHETIC_NOTE
from pages import _data
from pages._shell import enter

enter()  # run inside the app shell (login gate, navigation, database guard)

# no current_filters(): the sidebar selection does not apply here (it is kept for later)
st.title("Validation")
st.markdown(SYNTHETIC_NOTE)

rows = _data.validation()
passed, total = int(rows["ok"].sum()), len(rows)
c1, c2, c3 = st.columns(3)
c1.metric("Published figures reproduced", f"{passed} of {total}")
c2.metric("Failing", f"{total - passed}")
c3.metric("Cohorts checked", f"{rows['cohort'].nunique()}")
if passed == total:
    st.success(
        f"All {total} published figures are reproduced within their tolerance.",
        icon=":material/check_circle:",
    )
else:
    st.error(
        f"{total - passed} of {total} published figures are outside their tolerance: the "
        "database differs from the calibrated default cohorts (rebuild it with "
        "`python -m core build --force`).",
        icon=":material/error:",
    )

cohorts = ["All cohorts", *dict.fromkeys(rows["cohort"])]
choice = st.selectbox("Cohort", cohorts, key="val_cohort")
only_failing = st.toggle("Only failing figures", value=False, key="val_failing")
view = rows if choice == "All cohorts" else rows[rows["cohort"] == choice]
if only_failing:
    view = view[~view["ok"]]
table = view.assign(result=view["ok"].map({True: "✅ pass", False: "❌ fail"})).rename(
    columns={
        "cohort": "Cohort",
        "figure": "Figure",
        "source": "Source (seed, place)",
        "published": "Published",
        "computed": "Computed by the app",
        "tolerance": "Tolerance",
        "result": "Result",
    }
)
order = ["Result", "Figure", "Published", "Computed by the app", "Tolerance"]
order += ["Source (seed, place)", "Cohort"]
table = table[order]
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    height=min(38 * (len(table) + 1), 700),
    column_config={"Figure": st.column_config.TextColumn(width="medium")},
)
st.caption(
    "Computed on the whole default cohorts (the sidebar selection does not apply), through "
    "the same code as the other pages: Kaplan-Meier and log-rank as on the Survival page, "
    "response tables, Table 1. The figures checked are listed, with the paper, the place and "
    "the published value, in `data/validation_figures.csv`. Same rows: "
    "`python -m core validate [--json]`."
)
st.download_button(
    "Download the validation table (CSV)",
    table.to_csv(index=False),
    file_name="validation.csv",
    mime="text/csv",
)
with st.expander("How the figures are computed"):
    st.markdown(CONVENTIONS_MD)
