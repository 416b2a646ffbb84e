"""Overview: cohort cards with provenance, n after filtering, and Table 1."""

from __future__ import annotations

import streamlit as st

from core.analyses.table1 import SPLITTABLE
from core.present import export
from core.vocab.schema import PATIENTS
from pages import _controls as ctl
from pages import _data, _rdownloads, _ui
from pages._filters import current_filters
from pages._overview_groups import groups_view, table_and_notes
from pages._shell import enter

enter()  # run inside the app shell (login gate, navigation, database guard)

filters = current_filters()
n = _data.count(filters)

st.title("NET Outcomes Explorer")
_ui.provenance_banner(filters)
st.caption(
    "Survival and response after radionuclide therapy for neuroendocrine tumours. "
    "Choose patients in the sidebar; every page recomputes from the same selection."
)

st.subheader("Cohorts")
cards = _data.cohort_cards()
cols = st.columns(min(len(cards), 4) or 1)
for i, card in enumerate(cards):
    info = card.info
    with cols[i % len(cols)].container(border=True):
        _ui.provenance_badge(info)
        st.markdown(f"**{_ui.plain(info.title)}**")
        in_view = not filters.cohorts or info.cohort_id in filters.cohorts
        st.metric(
            "Patients",
            card.n_text,
            help=f"`{info.cohort_id}` · data version {info.data_version}"
            + (f" · {card.disclosure.stamp()}" if card.disclosure.active else ""),
        )
        st.caption(("In view" if in_view else "Not selected") + f" · `{info.cohort_id}`")
        with st.popover("About this cohort"):
            st.markdown(_ui.plain(card.description))  # user text: shown as typed
            st.caption(f"Source: {_ui.plain(info.citation)}")
            synth = [PATIENTS[f].label for f, k in card.fields.items() if k == "synthetic"]
            if synth:
                st.caption("Synthetic, reported nowhere: " + ", ".join(synth) + ".")


groups_view(filters)  # two or more user-defined groups: Table 1 by group, then stop
heading = st.empty()
if n == 0:
    heading.subheader("Baseline characteristics · n = 0")
    st.caption(filters.describe(0))
    _ui.empty_state(filters)
    st.stop()

SPLIT_LABELS = {"cohort_id": "Cohort", "n_treatments_group": "Single vs multiple treatments"}
split_code = ctl.select(
    "Split by",
    "split",
    ["none", *SPLITTABLE],
    "none",
    lambda f: (
        "No split" if f == "none" else (PATIENTS[f].label if f in PATIENTS else SPLIT_LABELS[f])
    ),
)
split = None if split_code == "none" else split_code
for msg in ctl.notices():
    st.warning(msg, icon="⚠️")
with st.spinner("Computing Table 1 and its tests (exact tests can take a few seconds)…"):
    t1 = _data.analysis("table1:baseline_table", filters, split)
_ui.disclosure_banner(t1.disclosure)
for notice in t1.notices:
    st.info(notice)
if t1.refused:
    heading.subheader("Baseline characteristics")
    st.info(t1.refusal, icon="🛡️")
    st.stop()
shown_n = t1.group_n["All"]
heading.subheader(f"Baseline characteristics · n = {shown_n:,}")
st.caption(t1.description)
method = (
    "Categorical: n (% of patients with a known value); continuous: "
    "mean (SD) and median (IQR, R type-7 quantiles)."
)
if t1.disclosure.active:
    method += (
        " Under disclosure control, 'suppressed' marks a count withheld so that a hidden one "
        "cannot be worked out, and a count without a percentage has its denominator withheld."
    )
frame, notes = table_and_notes(t1)
st.caption(_ui.caption(filters, shown_n, method))
lines = (
    export.caption_lines(
        t1.description, _ui.selected_infos(filters), method, disclosure=t1.disclosure
    )
    + notes
)
st.download_button(
    "Download Table 1 (CSV)",
    export.to_csv_bytes(frame, lines),
    file_name="table1.csv",
    mime="text/csv",
)
_rdownloads.table1_r(filters, split, t1, lines)  # R script for the tests, and its data
