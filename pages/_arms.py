"""The Benchmarks page's reconstructed-arms section: list, compare, add, remove."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses.arms import TIME_UNITS_PER_MONTH, add_user_arm, remove_user_arm
from core.data.db import DatabaseUnavailable
from core.data.store import WriteLocked
from core.literature.arms import LABEL
from core.literature.digitised import TableFileError, decode, reconstruct_texts
from core.literature.registry import (
    Design,
    Grade,
    LineOfTherapy,
    Site,
    TherapyClass,
    TimeOrigin,
)
from core.present.charts_arms import preview_chart
from pages import _data, _ui
from pages._arms_compare import compare, listed

A = "arm_"  # widget keys of this section
ENDPOINTS = {
    "pfs": "Progression-free survival",
    "os": "Overall survival",
    "ttp": "Time to progression",
}
TEXT = {
    "study": "Trial (author year)",
    "arm": "Arm",
    "citation": "Citation: PMID or DOI",
    "figure": "Figure (e.g. figure 2A)",
    "published_median": "Published median, months",
}
CODES = {"therapy_class": ("Therapy class", TherapyClass), "design": ("Design", Design),
         "line_of_therapy": ("Line of therapy", LineOfTherapy),
         "time_origin": ("Time origin", TimeOrigin)}  # fmt: skip


def _preview(curve, risk, events: int) -> None:
    try:
        rec = reconstruct_texts(
            decode(curve.getvalue(), curve.name),
            decode(risk.getvalue(), risk.name),
            events or None,
            curve_name=curve.name,
            risk_name=risk.name,
        )
    except TableFileError as exc:
        st.session_state[A + "rec"] = None
        st.error(f"Cannot reconstruct: {exc}")
        return
    st.session_state[A + "rec"] = rec
    acc = rec.accuracy

    def med(v: float | None) -> str:
        return "not reached" if v is None else f"{v:.3g}"

    st.altair_chart(preview_chart(rec).properties(autosize="fit-x"), width="stretch")
    st.caption(
        f"{rec.n} patients, {rec.events} events; largest distance between a digitised point "
        f"and the reconstructed curve {acc.max_abs_diff:.3f}; median reconstructed "
        f"{med(acc.median_reconstructed)}, digitised {med(acc.median_digitised)} (unit of "
        f"the figure); numbers at risk within "
        f"{acc.at_risk_max_abs_diff} of the table (Guyot et al. 2012)."
    )
    for note in rec.notes:
        st.caption(f"Note: {note}")


def _add_form() -> None:
    with st.expander("Add a reconstructed arm (digitised curve + numbers at risk)"):
        st.caption(
            "Curve: the CSV WebPlotDigitizer exports for one curve (x,y, no header) or "
            "columns time,survival. Numbers at risk: columns time,at_risk with a row at 0."
        )
        c1, c2 = st.columns(2)
        curve = c1.file_uploader("Digitised curve (CSV)", type=["csv", "txt"], key=A + "curve")
        risk = c2.file_uploader("Numbers at risk (CSV)", type=["csv", "txt"], key=A + "risk")
        events = c1.number_input("Total events, if published (0: unknown)", 0, 100000, 0)
        unit = c2.selectbox("Time axis unit", list(TIME_UNITS_PER_MONTH), key=A + "unit")
        if curve is None or risk is None:
            return
        _preview(curve, risk, int(events))
        rec = st.session_state.get(A + "rec")
        if rec is None:
            return
        with st.form(A + "form"):
            fa, fb = st.columns(2)
            fields = {k: fa.text_input(t, key=A + k) for k, t in TEXT.items()}
            fields["endpoint"] = fb.selectbox(
                "Endpoint", list(ENDPOINTS), format_func=ENDPOINTS.get
            )
            for k, (text, enum) in CODES.items():
                fields[k] = fb.selectbox(
                    text, enum.codes(), key=A + k, format_func=lambda c, e=enum: e.parse(c).label
                )
            sites = fa.multiselect("Primary sites", Site.codes(), key=A + "sites")
            grades = fa.multiselect("Grades", Grade.codes(), key=A + "grades")
            fields.update(population_sites=";".join(sites), population_grades=";".join(grades))
            if st.form_submit_button("Save arm"):
                try:
                    arm, errors = add_user_arm(fields, rec, unit, _data.db_path())
                except (WriteLocked, DatabaseUnavailable) as exc:
                    arm, errors = None, [f"the database could not be written ({exc})"]
                if errors:
                    st.error("The arm was not saved:\n\n" + "\n".join(f"- {e}" for e in errors))
                else:
                    _data.clear()
                    st.session_state[A + "saved"] = arm.id
                    st.rerun()  # the list above shows the new arm


def _remove(arms) -> None:
    mine = [a.id for a in arms if a.user_added]
    if not mine:
        return
    c1, c2 = st.columns([3, 1])
    ident = c1.selectbox("Remove a user-added arm", mine, key=A + "remove")
    if c2.button("Remove", key=A + "remove_btn"):
        try:
            remove_user_arm(ident, _data.db_path())
        except (WriteLocked, DatabaseUnavailable) as exc:
            st.error(f"Not removed: the database could not be written ({exc}).")
            return
        _data.clear()
        st.rerun()


def arms_section(filters) -> None:
    """The section: every arm listed, one compared with the view, uploads and removal."""
    st.subheader("Reconstructed trial arms")
    arms, table = _data.view(partial(listed), _data.analysis, "arms:arm_list")  # once per db
    st.dataframe(table, hide_index=True)
    if saved := st.session_state.pop(A + "saved", None):
        st.success(f"Saved {_ui.plain(saved)}: listed above as user-added, {LABEL}.")
    st.caption(
        f"Patient rows {LABEL} and its numbers at risk (Guyot et al. 2012), not the trials' "
        "own data. RADIANT-4: Yao JC et al., Lancet 2016;387:968-77; rows from kmdata (Redd, "
        "Fell, Rahman, v1.0.1, MIT)."
    )
    _remove(arms)
    _add_form()
    by_id = {a.id: a for a in arms}
    c1, c2, c3 = st.columns([3, 1, 1])
    ident = c1.selectbox(
        "Compare this view with a reconstructed arm",
        ["", *by_id],
        format_func=lambda i: by_id[i].label if i else "Choose an arm",
        key=A + "choice",
    )
    horizon = c2.number_input("RMST horizon, months", 1.0, 240.0, 24.0, 6.0, key=A + "h")
    times_text = c3.text_input("Survival at, months", "12, 24", key=A + "t")
    try:
        times = tuple(float(x) for x in times_text.split(",") if x.strip())
    except ValueError:
        st.warning("Survival at: expected months separated by commas; using 12, 24.")
        times = (12.0, 24.0)
    if not ident or _data.count(filters) == 0:
        return
    compare(filters, by_id[ident], horizon, times)
