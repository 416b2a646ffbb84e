"""The session's multiplicity ledger in the sidebar (core.analyses.ledger).

Pages call :func:`record` for every test they show; the shell renders :func:`panel` after the
page. The ledger lives in this browser session only (``st.session_state``): a shared link
reproduces the view, not the ledger.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from core.analyses.ledger import SHARE_NOTE, Entry, Ledger
from core.present import ledger as ledger_text
from pages import _access, _shown

KEY = "_multiplicity_ledger"
_RECORDED = "_multiplicity_ledger_recorded"
"""(ledger, {entries: sentence}): what recording those entries in that ledger gave (it kept it)."""
_TABLE = "_multiplicity_ledger_made"
"""(ledger, date, mode, its table, its CSV): made again only when one of the first three changed."""


def current() -> Ledger:
    led = st.session_state.get(KEY)
    return led if isinstance(led, Ledger) else Ledger()


def record(page: str, kind: str, hypothesis: str, p: float | None) -> str:
    """Record one shown test; returns the sentence its exports carry ("" when p is missing)."""
    if p is None:
        return ""
    led = current().record(Entry(kind, hypothesis, page, float(p)))
    st.session_state[KEY] = led
    return ledger_text.sentence(led.row(kind, hypothesis), led)


def record_all(entries: list[Entry]) -> str:
    """Record the tests a view shows; returns the sentence for its exports (about the first,
    the view's headline test; "" when the view shows no test)."""
    if not entries:
        return ""
    entries, before = tuple(entries), current()
    kept = st.session_state.get(_RECORDED)
    if kept is not None and kept[0] is before and entries in kept[1]:
        return kept[1][entries]  # recorded in this ledger already: it is unchanged
    led = before
    for e in entries:
        led = led.record(e)
    st.session_state[KEY] = led
    first = entries[0]
    sentence = ledger_text.sentence(led.row(first.kind, first.hypothesis), led)
    known = kept[1] if kept is not None and kept[0] is led else {}  # adjusted p values change
    st.session_state[_RECORDED] = (led, {**known, entries: sentence})
    return sentence


def panel(where: Any) -> None:
    """The sidebar list of this session's tests with Holm and Benjamini-Hochberg p values
    (in ``where``, a sidebar container placed before the page ran)."""
    led = current()
    label = f"Tests this session: {len(led)}" if len(led) else "Tests this session: none yet"
    with where.expander(label, icon=":material/functions:"):
        if not len(led):
            st.caption("Every test a page shows (log-rank, Fisher, Cox, ...) is listed here.")
            return
        today = dt.date.today().isoformat()
        table, csv = _made(led, today)
        st.dataframe(
            table,  # (as Arrow, made with the CSV)
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(format="%.4f")
                for c in ("p", "p (Holm)", "p (Benjamini-Hochberg)")
            },
        )
        st.caption(
            "Adjusted over all tests above: Holm controls the chance of any false positive, "
            "Benjamini-Hochberg the expected share of false positives. " + SHARE_NOTE
        )
        st.download_button(
            "Download the ledger (CSV)",
            csv,
            file_name=f"net-explorer-tests-{today}.csv",
            mime="text/csv",
            icon=":material/download:",
        )
        if st.button("Start a new ledger", key="_ledger_clear"):
            st.session_state[KEY] = Ledger()
            st.rerun()


def _made(led: Ledger, today: str) -> tuple[Any, bytes]:
    """The ledger's table (adjusted p values) and CSV, made again only when the ledger, the
    date or the viewer's mode changed (a rerun that records nothing new keeps the ledger
    object: Ledger.record returns itself)."""
    mode = _access.mode()
    kept = st.session_state.get(_TABLE)
    if kept is not None and kept[0] is led and kept[1:3] == (today, mode):
        return kept[3], kept[4]
    columns = ["No.", "Test", "p", "p (Holm)", "p (Benjamini-Hochberg)"]
    table = _shown.table(ledger_text.frame(led)[columns])
    csv = ledger_text.csv(led, today, mode).encode("utf-8-sig")
    st.session_state[_TABLE] = (led, today, mode, table, csv)
    return table, csv
