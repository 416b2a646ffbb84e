"""Sidebar filters bound to the URL.

On a session's first run the URL's query parameters seed the widgets (untrusted values are
dropped with a notice by ``Filters.from_query_params``); afterwards the widgets are the
truth and every change is written back to the URL, so a copied link reproduces the view.
Page controls' and defined groups' URL keys are left alone; keys nobody reads are reported once
and removed from the URL, so a copied link never passes them on.

A link naming a cohort this database does not have (deleted, renamed, or never here) shows an
error in the main area and no figures until the viewer chooses cohorts: it never falls back to
another cohort's numbers.
"""

from __future__ import annotations

import re

import streamlit as st

from core.data.filters import CODE_FILTERS, PRIOR_CODES, URL_KEYS, Filters
from core.vocab.schema import PATIENTS, PRIOR_THERAPIES
from pages import _data, _ui

_SEEDED = "_filters_seeded"
_NOTICES = "_filters_notices"
_MISSING = "_filters_missing_cohorts"
"""(the cohorts a link named that the database lacks, the selection the link left) or absent"""
K = "flt_"  # widget key prefix

AGE_SLIDER = (0, 90)
PRIOR_LABELS = {name.removeprefix("prior_"): label for name, label in PRIOR_THERAPIES}


def _seed_from_url() -> None:
    cohorts = [c.cohort_id for c in _data.cohorts()]
    raw = {k: st.query_params.get_all(k) for k in st.query_params if k in URL_KEYS}
    unknown = [k for k in st.query_params if k not in URL_KEYS and not k.startswith("v_")]
    filters, notices = Filters.from_query_params(raw, cohorts)
    for key in unknown:
        if not page_key(key):
            notices.append(f"Ignored unknown link parameter {_ui.inert(repr(key[:40]))}.")
    named = [p.strip() for v in raw.get("cohort", []) for p in str(v).split(",") if p.strip()]
    missing = [v for v in dict.fromkeys(named) if v not in cohorts]
    if missing:
        st.session_state[_MISSING] = (tuple(missing), tuple(filters.cohorts))
    elif not filters.cohorts and cohorts:
        filters = filters.with_cohorts([cohorts[0]])
    st.session_state[K + "cohorts"] = list(filters.cohorts)
    for name in CODE_FILTERS:
        st.session_state[K + name] = list(getattr(filters, name))
    st.session_state[K + "age"] = (
        filters.age_min if filters.age_min is not None else AGE_SLIDER[0],
        min(filters.age_max, AGE_SLIDER[1]) if filters.age_max is not None else AGE_SLIDER[1],
    )
    st.session_state[K + "tx_min"] = filters.treatments_min
    st.session_state[K + "tx_max"] = filters.treatments_max
    st.session_state[K + "prior_yes"] = list(filters.prior_yes)
    st.session_state[K + "prior_no"] = list(filters.prior_no)
    st.session_state[_NOTICES] = notices
    st.session_state[_SEEDED] = True


PAGE_URL_KEYS: frozenset[str] = frozenset(
    # survival; overview and response; benchmarks and cox
    {"endpoint", "origin", "by", "ci", "lt", "lm", "lm_months", "unit", "times", "rmst", "bands"}
    | {"medline", "overlay", "na", "split", "domain", "denominator", "ci_method", "rby"}
    | {"bench", "therapy", "bendpoint", "covariates", "ties", "strata", "arm", "sg", "cif"}
)
"""Every page control kept in the URL; anything else in a link is reported and ignored."""
_STORED = "_filters_stored"
_WIDGET_KEYS = ("cohorts", *CODE_FILTERS, "age", "tx_min", "tx_max", "prior_yes", "prior_no")


def page_key(key: str) -> bool:
    """A page control's URL key, or a user-defined group's (grp1, grp1.route, ...)."""
    return key in PAGE_URL_KEYS or bool(re.fullmatch(r"grp[1-6](\.[a-z_]{1,20})?", key))


def _restore_widgets() -> None:
    """Page-level widgets lose their state on a page switch: put the last values back."""
    stored = st.session_state.get(_STORED, {})
    for name in _WIDGET_KEYS:
        if K + name not in st.session_state and name in stored:
            st.session_state[K + name] = stored[name]


def _store_widgets() -> None:
    st.session_state[_STORED] = {
        name: st.session_state[K + name] for name in _WIDGET_KEYS if K + name in st.session_state
    }


def current_filters() -> Filters:
    """Render the sidebar filters and return the current selection (call once per page).

    Pages the selection does not apply to (Validation, Data dictionary) do not call it: they
    show no picker, and the next page that calls it puts the last selection back.
    """
    if not st.session_state.get(_SEEDED):
        _seed_from_url()
    else:
        _restore_widgets()
    infos = _data.cohorts()
    ids = [c.cohort_id for c in infos]
    titles = {c.cohort_id: c for c in infos}
    sb = st.sidebar
    sb.header("Patients")
    chosen = sb.multiselect(
        "Cohort",
        ids,
        key=K + "cohorts",
        format_func=lambda cid: f"{cid} ({titles[cid].provenance})",
        help="Empty means every cohort in the database.",
    )
    scope = tuple(chosen) or tuple(ids)
    in_scope = [titles[c] for c in scope]
    values: dict = {"cohorts": tuple(chosen)}
    for name in CODE_FILTERS:
        field = PATIENTS[name]
        present = _data.codes(name, scope)
        current = [v for v in st.session_state.get(K + name, []) if v in field.codes]
        options = [c for c in field.codes if c in present or c in current]
        st.session_state[K + name] = current
        label = _ui.field_label(field.label, name, in_scope)
        values[name] = tuple(
            sb.multiselect(
                label, options, key=K + name, format_func=field.label_of, placeholder="All"
            )
        )
    lo, hi = sb.slider(
        "Age at index, years", *AGE_SLIDER, key=K + "age", help="Ages over 89 are stored as 90."
    )
    values["age_min"] = lo if lo > AGE_SLIDER[0] else None
    values["age_max"] = hi if hi < AGE_SLIDER[1] else None
    c1, c2 = sb.columns(2)
    values["treatments_min"] = c1.number_input(
        "Treatments ≥", min_value=0, max_value=50, step=1, key=K + "tx_min"
    )
    values["treatments_max"] = c2.number_input(
        "Treatments ≤", min_value=0, max_value=50, step=1, key=K + "tx_max"
    )
    for key, label in (("prior_yes", "Prior therapy: had"), ("prior_no", "Prior therapy: not had")):
        values[key] = tuple(
            sb.multiselect(
                label,
                list(PRIOR_CODES),
                key=K + key,
                format_func=lambda c: PRIOR_LABELS[c],
                placeholder="Any",
            )
        )
    raw = Filters(**values).to_query_params()
    filters, notices = Filters.from_query_params(raw, ids)
    for msg in st.session_state.get(_NOTICES, []) + notices:
        sb.warning(msg, icon=":material/warning:")
    _missing_cohort_stop(tuple(chosen))
    _write_url(filters)
    _store_widgets()
    return filters


def missing_cohort_message(missing: tuple[str, ...]) -> str:
    names, one = ", ".join(_ui.inert(repr(m[:40])) for m in missing), len(missing) == 1
    return (
        f"This link names {'a cohort' if one else 'cohorts'} ({names}) that "
        f"{'is' if one else 'are'} not in this database: deleted, renamed, or from another "
        "instance. No figures are shown, so none can be mistaken for the linked ones. Choose "
        "cohorts in the sidebar to continue."
    )


def _missing_cohort_stop(chosen: tuple[str, ...]) -> None:
    """While the selection is still the one a link with a missing cohort left: error, stop."""
    state = st.session_state.get(_MISSING)
    if not state:
        return
    missing, left = state
    if chosen != left:  # the viewer chose cohorts: the link's selection is gone
        del st.session_state[_MISSING]
        return
    st.error(missing_cohort_message(missing), icon=":material/block:")
    st.stop()


def _write_url(filters: Filters) -> None:
    wanted = filters.to_query_params()
    for key in list(st.query_params):
        unknown = key not in URL_KEYS and not page_key(key) and not key.startswith("v_")
        if unknown or (key in URL_KEYS and key not in wanted):
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
