"""The Cox page's model views: the hazard-ratio forest, the PH check and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pandas as pd
import pyarrow as pa
import streamlit as st

from core.analyses import cox as cd
from core.analyses import ledger
from core.analyses.rdata import cox_rows_refusal
from core.present import export
from core.present.charts import on_screen, residual_chart
from core.present.charts_forest import hr_forest
from core.present.paragraphs_cox import cox_methods, cox_results
from core.present.rcode import cox_script_of
from pages import _data, _export, _ledger, _shown, _ui
from pages._rdownloads import buttons

K = "cox_"


def _forest(a: cd.CoxAnalysis, *, synth: tuple[str, ...]):
    """(the forest chart or None, its on-screen spec, the terms left out of it): kept per
    model (pages._data)."""
    rows, left_out = cd.forest_frame(a)
    if not len(rows):  # (empty when disclosure control withholds every term)
        return None, None, left_out
    title = f"{a.spec.endpoint.label}: hazard ratios · n = {a.cell(a.n)}, {a.cell(a.events)} events"
    chart = hr_forest(rows, title=title, description=f"Forest plot of {title}", synthetic=synth)
    return chart, _shown.of_spec(on_screen(chart)), left_out


def forest(a: cd.CoxAnalysis, filters, spec) -> export.Chart | None:
    """Draw the model's forest (HR (95% CI) beside each row, fitted log axis); the chart.
    ``filters`` and ``spec`` are the model's key (``a`` is ``analysis('cox:analyse', ...)``)."""
    synth = _ui.synthetic_ids(a.filters)
    made = partial(_forest, synth=synth)
    chart, shown, left_out = _data.view(made, _data.analysis, "cox:analyse", filters, spec)
    if shown is not None:
        shown.draw()
    if left_out:
        st.caption("Not drawn (the estimate may be infinite): " + "; ".join(left_out) + ".")
    return chart


def _residuals(a: cd.CoxAnalysis, *, term: str):
    """(the residual chart's on-screen spec, the thinning note) of one term: kept per model
    and term."""
    frame, level, thinned = cd.residual_frame(a, term)
    y, x = f"β(t), {cd.group_label(a, term)}", cd.time_axis_title(a.spec)
    chart = residual_chart(frame, x_title=x, y_title=y, ref_value=level)
    return _shown.of_spec(on_screen(chart)), thinned


@dataclass(frozen=True)
class Tables:
    """What the page shows and exports of a model, made once per model (pages._data.view):
    the model, level and PH-test tables as sent (Arrow), the CSV frames and the ledger's tests."""

    model: pa.Table
    levels: pa.Table
    zph: pa.Table | None
    zph_frame: pd.DataFrame | None
    export: pd.DataFrame | None
    tests: tuple


def _tables(a: cd.CoxAnalysis) -> Tables:
    zph = cd.zph_frame(a) if a.zph is not None else None
    return Tables(
        _shown.table(cd.model_frame(a)),
        _shown.table(cd.level_frame(a)),
        None if zph is None else _shown.table(zph),
        zph,
        cd.export_frame(a) if a.fit is not None else None,
        tuple(ledger.cox_tests(a)) if a.fit is not None else (),
    )


def tables(filters, spec) -> Tables:
    """The tables of the model of ``filters`` and ``spec`` (the page's ``cox:analyse`` key)."""
    return _data.view(partial(_tables), _data.shared, "cox:analyse", filters, spec)


def ph_check(a: cd.CoxAnalysis, filters, spec, kept: Tables) -> None:
    """The cox.zph table, its verdict and (exact mode only) the residual plot."""
    st.subheader("Proportional-hazards check")
    if a.zph is None:
        st.info(a.zph_error or "The proportional-hazards test is not available for this fit.")
        return
    st.dataframe(kept.zph, hide_index=True)
    if a.zph.flag:
        st.warning(a.zph.flag, icon=":material/warning:")
    else:
        st.success(cd.ph_ok_text(a))
    if not a.residual_points:  # disclosure control: no point per event
        st.caption(cd.NO_RESIDUALS_NOTE)
    elif terms := cd.zph_terms(a):
        fmt = lambda g: cd.group_label(a, g)  # noqa: E731
        term = st.selectbox("Residuals of", terms, key=K + "zph_term", format_func=fmt)
        made = partial(_residuals, term=term)
        shown, thinned = _data.view(made, _data.analysis, "cox:analyse", filters, spec)
        shown.draw()
        st.caption(cd.RESIDUAL_NOTE + (f" {thinned}" if thinned else ""))


def exports(a: cd.CoxAnalysis, chart: export.Chart | None, kept: Tables, synth: str = "") -> None:
    """Figure (SVG, PNG), the model and PH tables as numeric CSVs with provenance, the share
    link and the abstract text: the same furniture as the Survival and Response pages."""
    if chart is None or a.fit is None:
        return
    infos = _ui.selected_infos(a.filters)
    description = a.filters.describe(a.cell(a.n))
    method = cd.methods_text(a.spec) + (f" · {synth}" if synth else "")
    multiplicity = _ledger.record_all(kept.tests)
    lines = export.caption_lines(description, infos, method, disclosure=a.disclosure)
    _export.render(
        chart,
        lines,
        {"Cox model": kept.export, "Proportional-hazards test": kept.zph_frame},
        " ".join(filter(None, (cox_results(a, infos), multiplicity))),
        cox_methods(a, cohorts=infos, description=description),
        file_stem=f"cox_{a.spec.endpoint.value}",
        page_path="cox",
        key="export_cox",
        disclosure=a.disclosure,
    )
    r_downloads(a, lines)


def r_downloads(a: cd.CoxAnalysis, lines: list[str]) -> None:
    """The survival::coxph script reproducing the model and, where patient rows may be given,
    its analysis data set (built on click)."""
    refusal = cox_rows_refusal(a)
    script = cox_script_of(
        a,
        title=f"{a.spec.endpoint.label}: Cox model ({cd.model_text(a.spec)})",
        provenance=[*lines, refusal] if refusal else lines,
    )
    buttons(
        "R script (survival::coxph)",
        script,
        "reproduce_cox.R",
        refusal,
        "rdata:cox_data",
        (a.filters, a.spec),
        lines,
        K + "r",
    )
