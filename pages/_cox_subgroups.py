"""The Cox page's subgroup forest: one comparison's hazard ratio within each level of other
fields, with the interaction test per field, its table and its exports.

The choice lives in one URL key, ``sg``: ``FIELD=LEVEL[,LEVEL][;vs=LEVEL,...][;by=F,G,...]``,
e.g. ``sg=treatments=Multiple;by=sex,grade``.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses import cox as cd
from core.analyses import ledger
from core.analyses import subgroups as sg
from core.data.filters import Filters
from core.present import export
from core.present.charts_forest import hr_forest
from core.present.paragraphs_cox import subgroup_methods, subgroup_results
from pages import _data, _export, _ledger, _shown, _ui

K = "cox_sg_"
URL_KEY = "sg"
NONE = "none"


def _levels(field: str, filters: Filters) -> list[str]:
    order = list(sg.FIELDS[field].order)
    if field == "cohort_id":
        order = list(filters.cohorts) or [c.cohort_id for c in _data.cohorts()]
    return order


def parse_url(raw: str) -> tuple[str, list[str], list[str], list[str]]:
    """``sg`` text -> (field, arm levels, vs levels, by fields); raises SubgroupSpecError."""
    head, *rest = raw.split(";")
    opts = dict(p.partition("=")[::2] for p in rest)
    field, levels, vs = sg.parse_compare(head, opts.get("vs", ""))
    by = [b for b in opts.get("by", "").split(",") if b]
    sg.SubgroupSpec(field, levels, vs, tuple(by))  # validates
    return field, list(levels), list(vs), by


def url_text(field: str, arm: list[str], vs: list[str], by: list[str]) -> str:
    out = f"{field}={','.join(arm)}"
    return out + (f";vs={','.join(vs)}" if vs else "") + (f";by={','.join(by)}" if by else "")


def _seed() -> None:
    if K + "field" in st.session_state:
        return
    st.session_state[K + "field"] = NONE
    raw = st.query_params.get(URL_KEY)
    if not raw:
        return
    try:
        field, arm, vs, by = parse_url(raw)
    except sg.SubgroupSpecError as exc:
        st.warning(f"Ignored {URL_KEY}={raw[:80]!r}: {exc}.", icon=":material/warning:")
        return
    st.session_state[K + "field"] = field
    st.session_state[K + "arm"] = arm
    st.session_state[K + "vs"] = vs
    st.session_state[K + "by"] = by or [b for b in sg.DEFAULT_BY if b != field]


def _write(text: str | None) -> None:
    if text is None:
        if URL_KEY in st.query_params:
            del st.query_params[URL_KEY]
    elif st.query_params.get(URL_KEY) != text:
        st.query_params[URL_KEY] = text


def _forest(s: sg.SubgroupAnalysis, *, title: str, synthetic: tuple[str, ...]):
    """(the forest chart, as the page shows it): built once per subgroup analysis."""
    chart = hr_forest(
        sg.forest_frame(s),
        title=title,
        description=f"Subgroup forest: {title}",
        synthetic=synthetic,
    )
    return chart, _shown.shown(chart)


def render(filters: Filters, spec: cd.CoxSpec) -> None:
    """Controls, forest, table and exports of the subgroup forest (time basis from ``spec``)."""
    st.subheader("Subgroup forest")
    _seed()
    fmt = lambda k: "None" if k == NONE else sg.field_label(k)  # noqa: E731
    c1, c2, c3 = st.columns(3)
    field = c1.selectbox("Compare", [NONE, *cd.CATEGORICAL], key=K + "field", format_func=fmt)
    if field == NONE:
        _write(None)
        st.caption(
            "Choose a field and the level(s) to compare (e.g. Route: IA against IV, or "
            "treatments: Multiple against Single): the hazard ratio within each subgroup, "
            "with the likelihood-ratio test of the interaction."
        )
        return
    levels = _levels(field, filters)
    for k in ("arm", "vs"):  # drop levels of another field (after a change of field)
        st.session_state[K + k] = [v for v in st.session_state.get(K + k, []) if v in levels]
    arm = c2.multiselect("Comparison arm", levels, key=K + "arm")
    vs = c3.multiselect(
        "Against (empty: every other level)", [v for v in levels if v not in arm], key=K + "vs"
    )
    choices = [f for f in sg.FIELDS if f != field]
    st.session_state.setdefault(K + "by", [b for b in sg.DEFAULT_BY if b != field])
    st.session_state[K + "by"] = [b for b in st.session_state[K + "by"] if b in choices]
    by = st.multiselect("Subgroups by", choices, key=K + "by", format_func=fmt)
    if not arm or not by:
        _write(None)
        st.info("Choose the level(s) of the comparison arm and at least one subgroup field.")
        return
    default_by = [b for b in sg.DEFAULT_BY if b != field]
    _write(url_text(field, arm, vs, [] if by == default_by else by))
    try:
        sspec = sg.SubgroupSpec(
            field, tuple(arm), tuple(vs), tuple(by), spec.endpoint, spec.origin, spec.ties,
            spec.left_truncation, spec.landmark_months,
        )  # fmt: skip
    except sg.SubgroupSpecError as exc:
        st.info(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        return
    with st.spinner("Fitting the subgroups…"):
        s = _data.analysis("subgroups:analyse", filters, sspec)
    for msg in s.notices:
        st.info(msg, icon=":material/shield:")
    if s.withheld or s.overall is None:
        st.info(s.withheld or s.error or "No subgroup analysis.", icon=":material/shield:")
        return
    for w in s.warnings:
        st.warning(w, icon=":material/warning:")
    if s.error:
        st.warning(s.error, icon=":material/warning:")
    title = f"{spec.endpoint.label}: {sg.comparison_text(s)} by subgroup"
    made = partial(_forest, title=title, synthetic=_ui.synthetic_ids(s.filters))
    chart, shown = _data.view(made, _data.analysis, "subgroups:analyse", filters, sspec)
    shown.draw()
    for note in s.disclosure_notes:
        st.info(note, icon=":material/shield:")
    st.dataframe(sg.table_frame(s), hide_index=True, width="stretch")
    st.caption(
        _ui.caption(s.filters, s.cell(s.n), sg.method_text(sspec))
        + "".join(f" · {x}" for x in (s.disclosure.stamp(),) if x)
        + ". Subgroup analyses are exploratory: interaction p-values are not adjusted for "
        "multiplicity here (the session's tests, adjusted, are in the sidebar)."
    )
    infos = _ui.selected_infos(s.filters)
    description = s.filters.describe(s.cell(s.n))
    multiplicity = _ledger.record_all(ledger.subgroup_tests(s))
    _export.render(
        chart,
        export.caption_lines(description, infos, sg.method_text(sspec), disclosure=s.disclosure),
        {"Subgroup hazard ratios": sg.export_frame(s)},
        " ".join(filter(None, (subgroup_results(s, infos), multiplicity))),
        subgroup_methods(s, cohorts=infos, description=description),
        file_stem=f"subgroups_{field}",
        page_path="cox",
        key="export_cox_subgroups",
        disclosure=s.disclosure,
    )
