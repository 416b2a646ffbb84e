"""The Survival page's competing-risks view (issue 17, item 1): death by cause.

Below the Kaplan-Meier figure: the cumulative incidence of death by cause (NET-related, other,
unknown) per group of the page's grouping, with its own risk table, Gray's test and the
Fine-Gray subdistribution hazard ratios, each with its method, and a CSV download with `# `
provenance lines. The analysis (:func:`core.analyses.competing.analyse`, through the page
cache) decides disclosure; this module renders its result.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st

from core.analyses.competing import (
    METHODS,
    CompetingSpec,
    comparison_rows,
    notes,
    risk_rows,
    summary_rows,
)
from core.analyses.ledger import competing_tests
from core.analyses.rdata import competing_rows_refusal
from core.analyses.survival import SurvivalSpec
from core.data.filters import Filters
from core.present import export
from core.present.charts_cif import at_frame, cif_chart, has_curves
from core.present.rcode import cuminc_script
from core.vocab.formatting import fmt_p
from core.vocab.methods import TimeUnit
from pages import _controls as ctl
from pages import _data, _ledger, _ui
from pages._rdownloads import buttons
from pages._shown import Shown, shown, table

TITLE = "Cumulative incidence by cause of death (competing risks)"
METHOD_LINE = (
    "Overall survival from the first treatment by cause of death; "
    + "; ".join(METHODS.values())
    + "."
)


@dataclass(frozen=True)
class _Made:
    """What the view shows and offers, made once per view and time unit (pages._data.view):
    the figure and tables as sent, the CSV frames and the ledger's Gray's tests."""

    figure: Shown
    summary: pa.Table
    risk: pa.Table
    tests: pd.DataFrame
    shown_tests: pa.Table | None
    entries: tuple
    at: pd.DataFrame
    tables: pd.DataFrame


def _made(a, *, unit: TimeUnit) -> _Made:
    risk, tests = pd.DataFrame(risk_rows(a, unit)), pd.DataFrame(comparison_rows(a))
    shown_tests = None
    if len(tests):
        shown_tests = tests.copy()
        for col in ("p (Gray)", "p (Wald)"):
            shown_tests[col] = [
                fmt_p(p, prefix=False) if p is not None else "–" for p in tests[col]
            ]
        shown_tests["SHR"] = [f"{x:.2f}" if x is not None and x == x else "–" for x in tests["SHR"]]
        shown_tests = table(shown_tests)
    return _Made(
        shown(cif_chart(a, unit)),
        table(pd.DataFrame(summary_rows(a, unit))),
        table(risk),
        tests,
        shown_tests,
        tuple(competing_tests(a)),
        at_frame(a, unit),
        pd.concat([pd.DataFrame(risk_rows(a, unit)), tests], ignore_index=True),
    )


def cif_section(filters: Filters, spec: SurvivalSpec, unit: TimeUnit) -> None:
    """Render the view for the page's selection, grouping and times."""
    st.subheader(TITLE)
    if not ctl.toggle("Show the cumulative incidence of death by cause", "cif", False):
        return  # computed on request: a Fine-Gray fit per cause is the page's dearest part
    cspec = CompetingSpec.from_survival(spec)
    if why := cspec.unsupported():
        st.info(why)
        return
    a = _data.shared("competing:analyse", filters, cspec)  # kept: no copy per rerun
    if a.refused:
        st.info(a.refusal, icon="🛡️")
        return
    for w in a.warnings:
        st.warning(w, icon="⚠️")
    for note in notes(a):
        st.info(note)
    if not has_curves(a):
        st.info("No death in this selection, or no group large enough to be shown.")
        return
    m = _data.view(partial(_made, unit=unit), _data.shared, "competing:analyse", filters, cspec)
    m.figure.draw()
    caption = _ui.caption(a.filters, a.n_shown, METHOD_LINE)
    if a.disclosure.stamp():
        caption = f"{caption} · {a.disclosure.stamp()}"
    st.caption(caption)
    st.dataframe(m.summary, hide_index=True)
    st.markdown("**Risk table**: at risk, deaths by cause (cumulative) and censored")
    st.dataframe(m.risk, hide_index=True)
    if spec.by and len(m.tests):
        st.markdown(
            "**Gray's test** between the groups, and **Fine-Gray subdistribution hazard "
            "ratios** (SHR) against the first group (robust SE, Wald 95% CI), per cause"
        )
        st.dataframe(m.shown_tests, hide_index=True)
        if sentence := _ledger.record_all(m.entries):
            st.caption(sentence)
    lines = export.caption_lines(
        a.describe(), _ui.selected_infos(filters), METHOD_LINE, disclosure=a.disclosure
    )
    st.download_button(
        "Cumulative incidence (CSV)",
        data=partial(export.to_csv_bytes, m.at, lines),
        file_name="cumulative_incidence.csv",
        mime="text/csv",
        on_click="ignore",
        key="cif_csv",
    )
    st.download_button(
        "Risk table and tests (CSV)",
        data=partial(export.to_csv_bytes, m.tables, lines),
        file_name="cumulative_incidence_tables.csv",
        mime="text/csv",
        on_click="ignore",
        key="cif_tables_csv",
    )
    r_downloads(a, filters, cspec, lines)


def r_downloads(a, filters: Filters, cspec: CompetingSpec, lines: list[str]) -> None:
    """The cmprsk script reproducing the view and, where patient rows may be given, its data."""
    refusal = competing_rows_refusal(a)
    shown = [g.label for g in a.groups if g.in_tests and not g.suppressed]
    causes = [c for c in a.causes if a.test(c)[0] is not None or not cspec.by]
    script = cuminc_script(
        title=TITLE,
        groups=shown if cspec.by else [],
        causes=causes,
        times_days=list(cspec.times_days),
        provenance=[*lines, refusal] if refusal else lines,
    )
    buttons(
        "R script (cmprsk)",
        script,
        "reproduce_cuminc.R",
        refusal,
        "rdata:competing_data",
        (filters, cspec),
        lines,
        "cif_r",
    )
