"""Data dictionary: every field of the data model, its codes and meaning."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.vocab.schema import FIELD_PROVENANCE, PATIENT_FIELDS
from pages import _data
from pages._shell import enter

enter()  # run inside the app shell (login gate, navigation, database guard)

# no current_filters(): the sidebar selection does not apply here (it is kept for later)
st.title("Data dictionary")
st.caption(
    "One row per patient. Times are whole days from the index date (the first radionuclide "
    "administration); the only calendar field is the index year; ages over 89 are stored as 90. "
    "Events: 1 = event, 0 = censored, empty where not assessed."
)
cards = _data.cohort_cards()
rows = [
    {
        "Field": f.name,
        "Label": f.label,
        "Type": f.kind,
        "Unit": f.unit,
        "Codes": "; ".join(f"{c} = {lbl}" for c, lbl in zip(f.codes, f.code_labels, strict=True)),
        "Meaning": f.description,
        "Required on import": "yes" if f.required else "",
        "Source by cohort": "; ".join(f"{c.info.cohort_id}: {c.fields[f.name]}" for c in cards),
    }
    for f in PATIENT_FIELDS
]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=700)
st.caption(
    "Source by cohort: " + " · ".join(FIELD_PROVENANCE.values()) + ". An imported cohort's "
    "fields are all reported (from its file)."
)
st.subheader("Other tables")
st.markdown(
    "- **treatments**: one row per administration: patient, cycle, day from index, route, "
    "agent, activity (MBq), and whether the day was approximated from a publication.\n"
    "- **adverse_events**: patient, CTCAE term, CTCAE grade (1-5), note.\n"
    "- **cohorts**: id, title, description, provenance (synthetic, published-cases, imported), "
    "citation, number of patients, data version (a content hash), creation time."
)
