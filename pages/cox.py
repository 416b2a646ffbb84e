"""Cox model: multivariable hazard ratios, model tests, concordance, proportional-hazards check."""

from __future__ import annotations

from functools import partial

import streamlit as st

from core.analyses import cox as cd
from core.vocab.methods import Endpoint, Origin, Ties
from pages import _controls as ctl
from pages import _cox_groups, _cox_subgroups, _cox_view, _data, _ui
from pages._filters import current_filters
from pages._shell import enter

enter()  # run inside the app shell (login gate, navigation, database guard)

DEFAULT_MODEL = "sex,grade,prior_ssa"
AUTO = "auto"
K = "cox_"  # widget key prefix


def _pick(label: str, key: str, enum, default: str, where):
    fmt = lambda c: enum.parse(c).label  # noqa: E731
    return enum.parse(ctl.select(label, key, enum.codes(), default, fmt, where=where))


def _labels(infos) -> dict[str, dict[str, str]]:
    """Each covariate's label (and its help text) naming the cohorts in view where it is
    synthetic: made once per selection of cohorts."""

    def label(code: str, text: str = "") -> str:
        cov = cd.COVARIATES.get(code)
        return _ui.field_label(text or cov.label, cov.column, infos) if cov else "None"

    codes = ("none", *cd.COVARIATES, *cd.CATEGORICAL)
    return {
        "label": {c: label(c) for c in codes},
        "help": {c: label(c, cd.covariate_help(c)) for c in cd.COVARIATES},
    }


def _seed_model() -> None:
    """Seed the model widgets from the link (first visit) or from the last model (page switch).

    The whole model (covariates, reference levels, age step, interaction) is one URL key,
    ``covariates=sex,grade=G2,age=10,sex*grade``.
    """
    if K + "model" not in st.session_state:
        raw = st.query_params.get("covariates")
        st.session_state[K + "model"] = DEFAULT_MODEL
        if raw is not None:
            try:
                cd.parse_model(raw)
                st.session_state[K + "model"] = raw
            except cd.CoxSpecError as exc:
                st.warning(f"Ignored covariates={raw[:80]!r}: {exc}.", icon=":material/warning:")
    covs, refs, steps, inter = cd.parse_model(st.session_state[K + "model"])
    st.session_state.setdefault(K + "covs", list(covs))
    st.session_state.setdefault(K + "age10", steps.get("age") == 10)
    st.session_state.setdefault(K + "inter", "*".join(inter) if inter else "none")
    for cov, level in refs.items():
        st.session_state.setdefault(K + "ref_" + cov, level)


def _write_model(text: str) -> None:
    st.session_state[K + "model"] = text
    if text != st.query_params.get("covariates", DEFAULT_MODEL):
        st.query_params["covariates"] = text


filters = current_filters()
st.title("Cox model")
_ui.provenance_banner(filters)
infos = _ui.selected_infos(filters)
labels = _data.view(partial(_labels), _ui.selected_infos, filters)
c1, c2, c3, c4 = st.columns(4)
endpoint = _pick("Endpoint", "endpoint", Endpoint, "os", c1)
origin = _pick("Time origin", "origin", Origin, "index", c2)
ties = _pick("Tied event times", "ties", Ties, "efron", c3)
strata = ctl.select(
    "Stratify by", "strata", ["none", *cd.CATEGORICAL], "none", labels["label"].get, where=c4
)

_seed_model()
covs = st.multiselect(
    "Covariates",
    list(cd.COVARIATES),
    key=K + "covs",
    format_func=labels["help"].get,
    help="A categorical field gets a hazard ratio per level against its reference level; age and "
    "first activity are continuous (HR per step). Post-baseline statuses are known only in "
    "hindsight (immortal-time bias): use a landmark.",
)
opts = st.expander(
    "Model options: reference levels, interaction, age scale, delayed entry, landmark"
)
o1, o2, o3 = opts.columns(3)
age10 = o1.toggle("Age per 10 years", key=K + "age10", disabled="age" not in covs)
pairs = ["none"] + [f"{a}*{b}" for i, a in enumerate(covs) for b in covs[i + 1 :]]
inter = o1.selectbox(
    "Interaction",
    pairs,
    key=K + "inter",
    format_func=lambda p: "None" if p == "none" else " × ".join(map(cd.short_label, p.split("*"))),
)
left_trunc = ctl.toggle(
    "Delayed entry at first treatment",
    "lt",
    True,
    where=o2,
    help="From diagnosis, patients join the risk set only when treated (left truncation).",
)
landmark_on = ctl.toggle("Landmark analysis", "lm", False, where=o2)
landmark = ctl.number(
    "Landmark L, months", "lm_months", 3.0, 0.5, 60.0, 0.5, where=o2, disabled=not landmark_on
)
for msg in ctl.notices():
    st.warning(msg, icon=":material/warning:")
used = {cd.COVARIATES[c].column: cd.COVARIATES[c].label for c in (*covs, strata) if c != "none"}
if synth := _ui.synthetic_fields_note(used, infos):
    st.warning(synth, icon=":material/science:")

refs = {c: st.session_state.get(K + "ref_" + c, AUTO) for c in covs}
try:
    spec = cd.CoxSpec(
        covariates=tuple(covs),
        references=tuple((c, v) for c, v in refs.items() if v != AUTO),
        steps=(("age", 10.0),) if age10 and "age" in covs else (),
        interaction=tuple(inter.split("*")) if inter != "none" else None,
        strata=None if strata == "none" else strata,
        ties=ties,
        endpoint=endpoint,
        origin=origin,
        left_truncation=left_trunc,
        landmark_months=landmark if landmark_on else None,
    )
except cd.CoxSpecError as exc:
    if not covs:
        _write_model("")
    st.info(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    st.stop()
_write_model(cd.model_text(spec))
_cox_groups.render(filters, spec)  # your groups (sidebar builder): their HRs
if _data.count(filters) == 0:
    _ui.empty_state(filters)
    st.stop()
with st.spinner("Fitting…"):
    a = _data.shared("cox:analyse", filters, spec)  # kept: no copy of the model per rerun
_ui.disclosure_banner(a.disclosure)
for msg in a.notices:
    st.info(msg, icon=":material/shield:")
if a.withheld:  # disclosure control: no figure, only why
    st.info(a.withheld, icon=":material/shield:")
    st.stop()
resolved = {c: v for c, v in a.references.items() if c not in a.reference_fallbacks}
_write_model(cd.model_text(spec, resolved))  # references given by stored code -> labels
for i, (cov, names) in enumerate(a.level_names().items()):
    key = K + "ref_" + cov
    if st.session_state.get(key, AUTO) not in (AUTO, *names):  # a code from the link, or stale
        st.session_state[key] = AUTO if cov in a.reference_fallbacks else a.references[cov]
    (o3 if i % 2 == 0 else o1).selectbox(
        f"Reference: {cd.short_label(cov)}",
        [AUTO, *names],
        key=key,
        format_func=lambda v, c=cov: f"Most frequent ({a.references[c]})" if v == AUTO else v,
    )

for w in a.warnings:
    st.warning(w, icon=":material/warning:")
if note := cd.not_analysed_text(a):
    st.info(note)
if a.error:
    st.error(a.error)
    st.stop()
st.caption(cd.fit_summary_text(a))
chart = _cox_view.forest(a, filters, spec)
for note in a.disclosure_notes:
    st.info(note, icon=":material/shield:")
stamp = "".join(f" · {s}" for s in (a.disclosure.stamp(), synth) if s)  # mode, synthetic fields
st.caption(_ui.caption(a.filters, a.cell(a.n), cd.methods_text(spec)) + stamp)

st.subheader("Model")
tables = _cox_view.tables(filters, spec)  # the model's tables, made once per model
st.dataframe(tables.model, hide_index=True, width="stretch")
st.markdown(cd.tests_text(a.fit))
_cox_view.ph_check(a, filters, spec, tables)
with st.expander("Patients and events per level"):
    st.dataframe(tables.levels, hide_index=True)
_cox_view.exports(a, chart, tables, synth)
_cox_subgroups.render(filters, spec)
