"""Shared page furniture: provenance badges, captions, the database guard."""

from __future__ import annotations

import re

import streamlit as st

from core.analyses.cohorts import unreported
from core.analyses.disclosure import Disclosure
from core.data.build import build_default, set_aside
from core.data.db import DatabaseUnavailable
from core.data.filters import Filters
from core.vocab.methods import CONVENTIONS, Provenance
from core.vocab.schema import CohortInfo
from pages import _data

BADGE_COLOR = {
    Provenance.SYNTHETIC.value: "orange",
    Provenance.PUBLISHED_CASES.value: "blue",
    Provenance.IMPORTED.value: "green",
}


_MARKDOWN_CHARS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=\"'/])")


def plain(text: object) -> str:
    """User text (a cohort's title, description or source) for a markdown element, as typed.

    Every character that markdown, Streamlit's directives (``:red[...]``, ``:material/x:``) or
    LaTeX (``$``) would act on is backslash-escaped, so ``![x](https://host/p.png)`` is shown
    as those characters: no image is loaded, no link made, no colour or formula drawn.
    Line breaks are kept as breaks.
    """
    escaped = _MARKDOWN_CHARS.sub(r"\\\1", str(text))
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


_ACTIVE_CHARS = re.compile(r"([\\\[\]()<>!:$`])")


def inert(text: object) -> str:
    """Text from a link for a markdown element: only what could load, link or inject escaped.

    Narrower than :func:`plain`: brackets, parentheses, angle brackets, ``!``, ``:``, ``$`` and
    backticks (images, links, autolinks, HTML, directives, formulas, code) are escaped; the
    rest (``_``, ``'``, ``=``) is left alone, so ordinary notices read as before.
    """
    return _ACTIVE_CHARS.sub(r"\\\1", str(text)).replace("www.", "www\\.")


BADGE_ICON = {
    Provenance.SYNTHETIC.value: ":material/science:",
    Provenance.PUBLISHED_CASES.value: ":material/menu_book:",
    Provenance.IMPORTED.value: ":material/upload_file:",
}


def provenance_badge(info: CohortInfo) -> None:
    prov = Provenance.parse(info.provenance)
    st.badge(prov.label.split(":")[0], icon=BADGE_ICON[prov.value], color=BADGE_COLOR[prov.value])


def field_label(label: str, field: str, infos: list[CohortInfo]) -> str:
    """A field's label naming the cohorts in view where its values are synthetic."""
    synth = unreported(field, infos).get("synthetic", [])
    return f"{label} (synthetic in {', '.join(synth)})" if synth else label


def synthetic_fields_note(fields: dict[str, str], infos: list[CohortInfo]) -> str:
    """A sentence for the fields (name -> label) in use whose values are synthetic, or ''."""
    bits = [
        f"{label} in {', '.join(ids)}"
        for name, label in fields.items()
        if (ids := unreported(name, infos).get("synthetic"))
    ]
    if not bits:
        return ""
    return (
        f"Synthetic values, not reported by any source: {'; '.join(bits)}. A difference by "
        "these fields is an artefact of the generator, not evidence."
    )


def provenance_note(infos: list[CohortInfo]) -> str:
    """A sentence naming the synthetic cohorts in view (empty when there are none)."""
    synth = [c.cohort_id for c in infos if c.provenance == Provenance.SYNTHETIC.value]
    if not synth:
        return ""
    return (
        f"Synthetic data ({', '.join(synth)}): generated to match published aggregates; "
        "not real patients."
    )


def synthetic_ids(filters: Filters) -> tuple[str, ...]:
    """The synthetic cohorts in view: their ids go into every chart's 'SYNTHETIC DATA' marker."""
    return tuple(
        c.cohort_id for c in selected_infos(filters) if c.provenance == Provenance.SYNTHETIC.value
    )


def selected_infos(filters: Filters) -> list[CohortInfo]:
    all_ = _data.cohorts()
    wanted = set(filters.cohorts) or {c.cohort_id for c in all_}
    return [c for c in all_ if c.cohort_id in wanted]


def provenance_banner(filters: Filters) -> None:
    """The 'Synthetic data: not real patients' banner at the top of every analysis page."""
    note = provenance_note(selected_infos(filters))
    if note:
        st.warning(note, icon=":material/science:")


def disclosure_banner(d: Disclosure) -> None:
    """The page banner for the viewer's mode (nothing when no real data are in view)."""
    if d.exact and d.real_data:
        st.warning(
            "Exact figures: not for sharing. Imported (real) data shown without disclosure control.",
            icon=":material/lock:",
        )
    elif d.active:
        st.info(d.note(), icon=":material/shield:")


def caption(filters: Filters, n: int | str, methods: str = "") -> str:
    """The caption every figure carries: selection, data versions, provenance, methods."""
    infos = selected_infos(filters)
    versions = ", ".join(f"{c.cohort_id} v{c.data_version}" for c in infos)
    parts = [filters.describe(n), f"data {versions}"]
    note = provenance_note(infos)
    if note:
        parts.append(note)
    if methods:
        parts.append(methods)
    return " · ".join(parts)


def conventions_expander() -> None:
    with st.expander("Conventions"):
        st.markdown(CONVENTIONS)


def database_guard() -> bool:
    """Show a clear message and a way out when the database cannot be read."""
    try:
        _data.cohorts()
        return True
    except DatabaseUnavailable as exc:
        database_problem(exc)
        return False


def database_problem(exc: DatabaseUnavailable) -> None:
    """The message for an unreadable database, with the way out (rebuild, or wait)."""
    st.error(str(exc))
    if exc.hint:
        st.info(exc.hint)
    if "locked" in str(exc):
        # a writer is at work on a healthy file: never offer to overwrite it, only to wait
        if st.button("Try again"):
            _data.clear()
            st.rerun()
        return
    if st.button("Rebuild the default database", type="primary"):
        with st.spinner("Rebuilding the default database…"):
            _data.clear()
            kept = set_aside(_data.db_path())
            build_default(_data.db_path())
            _data.clear()
        if kept:
            st.session_state["_db_set_aside"] = str(kept)
        st.rerun()


def empty_state(filters: Filters) -> None:
    st.info(
        f"No patients match this selection ({filters.describe(0)}). "
        "Widen the filters in the sidebar."
    )


if __name__ == "__main__":  # run as a page (Streamlit's pages-folder mode): only via the shell
    from pages._shell import enter as _enter

    _enter()
