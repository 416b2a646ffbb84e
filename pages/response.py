"""Response: imaging, symptomatic and biochemical response with exact intervals; swimmer; AEs."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses import ledger
from core.analyses.responses import (
    RESPONSE_CONVENTIONS,
    RESPONSE_GROUPINGS,
    ResponseSpec,
    adverse_event_export_frame,
    adverse_event_frame,
    adverse_event_message,
    method_line,
    swimmer_message,
)
from core.present import export
from core.present.paragraphs import methods_paragraph, results_paragraph
from core.vocab.methods import DAYS_PER_MONTH, BinomialCI, Denominator, ResponseDomain
from pages import _controls as ctl
from pages import _data, _export, _ledger, _rdownloads, _ui
from pages import _response_figures as figures
from pages._filters import current_filters
from pages._response_duration import duration_section, swimmer_downloads
from pages._response_groups import groups_view
from pages._shell import enter

enter()  # run inside the app shell (login gate, navigation, database guard)

filters = current_filters()
st.title("Response")
_ui.provenance_banner(filters)
infos = _ui.selected_infos(filters)

c1, c2, c3, c4 = st.columns(4)
domain = ctl.select(
    "Response domain",
    "domain",
    ResponseDomain.codes(),
    ResponseDomain.IMAGING.value,
    lambda c: ResponseDomain.parse(c).label,
    where=c1,
)
denominator = ctl.select(
    "Denominator",
    "denominator",
    Denominator.codes(),
    Denominator.EVALUABLE.value,
    lambda c: Denominator.parse(c).label.capitalize(),
    where=c2,
    help="Rates over evaluable patients, or over all treated patients (not evaluable and "
    "missing assessments then count as non-responders).",
)
ci = ctl.select(
    "95% CI method",
    "ci_method",
    BinomialCI.codes(),
    BinomialCI.CLOPPER_PEARSON.value,
    lambda c: BinomialCI.parse(c).label,
    where=c3,
)
by = ctl.select(
    "Group by",
    "rby",
    ["none", *RESPONSE_GROUPINGS],
    "none",
    lambda c: (
        "No grouping" if c == "none" else _ui.field_label(RESPONSE_GROUPINGS[c].label, c, infos)
    ),
    where=c4,
)
synth = _ui.synthetic_fields_note({by: RESPONSE_GROUPINGS[by].label}, infos) if by != "none" else ""
if synth:  # also in the caption and the CSV's provenance lines
    st.warning(synth, icon=":material/science:")
for msg in ctl.notices():
    st.warning(msg, icon="⚠️")
spec = ResponseSpec(domain, denominator, ci, None if by == "none" else by)
groups_view(filters, spec)  # two or more user-defined groups: their view, then stop

if _data.count(filters) == 0:
    _ui.empty_state(filters)
    st.stop()
# built once per view (pages._data.view): the patient-level inputs are read only on a miss
gate = _data.view(partial(figures.gate), _data.analysis, "responses:load_inputs", filters)
_ui.disclosure_banner(gate.disclosure)
for notice in gate.notices:
    st.info(notice)
if gate.refused:  # query-set-size restriction: no figures at all
    st.info(gate.refusal, icon="🛡️")
    st.stop()
with st.spinner("Computing…"):
    result = _data.response_table(filters, spec)
table, prot = result.table, result.protection
n = result.n
methods = " ".join(filter(None, (method_line(spec), synth)))

st.subheader("Response rates")
ids = tuple(_ui.synthetic_ids(filters))
chart, shown = _data.view(
    partial(figures.rates, synthetic=ids), _data.response_table, filters, spec
)
shown.draw()
st.caption(_ui.caption(filters, n, methods))
st.dataframe(
    _data.view(partial(figures.rates_table), _data.response_table, filters, spec), hide_index=True
)
if text := result.test_text():
    st.markdown(f"**Group comparison**: {text}")
for note in result.notes():
    st.info(note)

dor_table = duration_section(filters)  # duration of response, time to response (CR/PR)
st.subheader("Patient timelines (swimmer plot)")
if msg := swimmer_message(n, disclosure=gate.disclosure):
    st.info(msg)
else:
    made = partial(figures.swimmer_figure, synthetic=ids)
    sw, sw_chart, sw_shown = _data.view(made, _data.analysis, "responses:load_inputs", filters)
    sw_shown.draw()
    lane_method = (
        "lanes from first treatment to death or last follow-up, longest first; "
        f"months = days / {DAYS_PER_MONTH:g}"
    )
    st.caption(_ui.caption(filters, n, lane_method))
    for line in sw.not_drawn:
        st.caption(line)
    swimmer_downloads(sw, sw_chart, filters, n, lane_method, gate.disclosure)

st.subheader("Adverse events")
ae = _data.view(
    partial(figures.adverse_events, ci=spec.ci), _data.analysis, "responses:load_inputs", filters
)
if not ae.has_data or ae.withheld:
    st.info(adverse_event_message(ae))
else:
    st.caption(adverse_event_message(ae))
    if ae.rows:
        st.dataframe(adverse_event_frame(ae), hide_index=True)

with st.expander("Conventions"):
    st.markdown(RESPONSE_CONVENTIONS)

infos = _ui.selected_infos(filters)
description = result.description
multiplicity = _ledger.record_all(ledger.response_tests(result))
d = result.disclosure
_export.render(
    chart,
    export.caption_lines(description, infos, methods, disclosure=d),
    {
        "Response table": result.export(),
        "Adverse events": adverse_event_export_frame(ae),
        "Duration of response": dor_table,
    },
    " ".join(
        filter(
            None,
            (
                results_paragraph(
                    None, responses=[result.shown_table()], disclosure=d, cohorts=infos
                ),
                multiplicity,
            ),
        )
    ),
    methods_paragraph(
        None,
        cohorts=infos,
        description=description,
        responses=[result.shown_table()],
        disclosure=d,
    ),
    file_stem=f"response_{spec.domain.value}",
    page_path="response",
    key="export_response",
    disclosure=d,
)
_rdownloads.response_r(filters, spec, result, methods)  # R script and its data
