"""Import: upload a de-identified patient file, map its columns, review problems, import."""

from __future__ import annotations

import re

import streamlit as st

from core.cohorts import importer
from core.data.store import WriteLocked
from core.vocab.formatting import formula_safe_csv
from core.vocab.methods import Provenance
from pages import _data, _import_text
from pages._shell import enter
from pages._ui import plain

enter()  # run inside the app shell (login gate, navigation, database guard)

_ACTIVE = re.compile(r"([\\`*_\[\]()!<>$~:|#])")


def as_text(message: str) -> str:
    """A message quoting the file's text, for a markdown element: every character markdown,
    a directive or LaTeX acts on is escaped (sentences and ``--replace`` stay as they are)."""
    return _ACTIVE.sub(r"\\\1", message)


KEY_CAPTION = (
    "Your file's patient ids are not stored: each patient gets a study pseudonym "
    "(`<cohort>-0001`, ... in file order). The key linking them to your ids is offered once, "
    "right after the import; keep it with your source data."
)
MAP_KEY = "import_mapping"  # user column -> choice, remembered for the session
MEMO_KEY = "import_memo"  # the last read/checked file, so widget changes do not re-read it
DONE_KEY = "import_done"

st.title("Import a cohort")
st.caption(
    "Real de-identified data, one row per patient, with times in days from the first "
    "radionuclide administration. Every problem is listed at once; nothing is written until "
    "you confirm, and nothing at all while an error remains. Your patient ids are replaced "
    "by study pseudonyms on import and never stored."
)
with st.expander("Format, privacy rules and downloads"):
    st.markdown(importer.FORMAT_HELP)
    c1, c2 = st.columns(2)
    c1.download_button(
        "Template (CSV)", importer.TEMPLATE_PATH.read_bytes(), "import_template.csv", "text/csv"
    )
    c2.download_button(
        "Synthetic example (CSV)", importer.EXAMPLE_PATH.read_bytes(), "import_example.csv"
    )


def cohort_list() -> None:
    st.subheader("Cohorts in the database")
    st.dataframe(importer.cohort_rows(_data.cohort_cards()), hide_index=True, key="imp_cohort_list")


def delete_section() -> None:
    try:
        imported = importer.removable_cohorts(_data.db_path())
    except Exception:  # the list is a convenience; the shell reports an unreadable database
        imported = [
            c.cohort_id for c in _data.cohorts() if c.provenance == Provenance.IMPORTED.value
        ]
    st.subheader("Remove an imported cohort")
    if not imported:
        st.caption("No imported cohorts. Default cohorts are removed only by the CLI (--force).")
        return
    victim = st.selectbox("Imported cohort", imported, key="del_cohort")
    typed = st.text_input("Type its id to confirm", key="del_confirm")
    if st.button("Remove this cohort", disabled=typed.strip() != victim, key="del_go"):
        try:
            report = importer.delete_cohort(victim, _data.db_path(), wait=False)
        except (importer.DeleteRefused, WriteLocked, importer.WriteFailed) as exc:
            st.error(str(exc))
        else:
            _data.clear()
            st.session_state[DONE_KEY] = _import_text.delete_summary(report)
            st.rerun()


done = st.session_state.pop(DONE_KEY, None)
if done:
    st.success(done)

up = st.file_uploader("Patients file (CSV or XLSX)", type=["csv", "xlsx"], key="imp_file")
tx = st.file_uploader("Treatments file (optional)", type=["csv", "xlsx"], key="imp_tx")
if up is None:
    st.info("Upload a file to start, or download the template or the synthetic example above.")
    cohort_list()
    delete_section()
    st.stop()

file_sig = (up.file_id, tx.file_id if tx else None)
memo = st.session_state.get(MEMO_KEY) or {}
if memo.get("file") != file_sig:
    with st.status("Reading the file…", expanded=False):  # complete when the block ends
        memo = {"file": file_sig, "raw": importer.read_input(up, treatments=tx)}
raw = memo["raw"]

st.subheader("1 · Map columns")
st.caption("Choose the data-model field for each column of your file, or drop the column.")
remembered = st.session_state.setdefault(MAP_KEY, {})
choices = {}
grid = st.columns(3)
for i, col in enumerate(raw.columns):
    default = importer.default_choice(col, remembered)
    choices[col] = grid[i % 3].selectbox(
        plain(col),  # a label renders markdown: the file's text is shown as text
        importer.FIELD_CHOICES,
        index=importer.FIELD_CHOICES.index(default),
        key=f"imp_map_{col}",
    )
remembered.update(choices)
censor = st.checkbox(
    "Event columns are CDISC censor flags (1 = censored, 0 = event)", key="imp_censor"
)
mapping = importer.mapping_from_choices(choices)

check_sig = (tuple(sorted((k, str(v)) for k, v in mapping.items())), censor)
if memo.get("check") != check_sig:
    with st.status("Checking every row…", expanded=False):
        bar = st.progress(0.0, text="Checking")
        memo["prepared"] = importer.prepare(
            raw, mapping, censor_flag=censor, progress=lambda f, m: bar.progress(f, text=m)
        )
    memo["check"] = check_sig
st.session_state[MEMO_KEY] = memo
prepared = memo["prepared"]

st.subheader("2 · Preview")
st.dataframe(prepared.preview(10), hide_index=True, key="imp_preview")

st.subheader("3 · Problems")
level, status = prepared.status()
getattr(st, level)(status)
if len(prepared.problems):
    st.dataframe(prepared.problems, hide_index=True, key="imp_problems")

if prepared.provenance == Provenance.SYNTHETIC.value:
    st.info(
        "This is the project's synthetic example file: it will be stored with provenance "
        "'synthetic' (generated patients, not real ones)."
    )

st.subheader("4 · Import")
st.caption(KEY_CAPTION)
c1, c2 = st.columns(2)
cohort_id = c1.text_input(
    "Cohort id",
    key="imp_cohort",
    placeholder="my-study",
    help="1-40 lowercase letters, digits and '-'.",
).strip()
title = c2.text_input("Title", key="imp_title", placeholder="My study (years, centre)")
replace = st.checkbox(
    "Replace the existing cohort",
    key="imp_replace",
    help="Needed when an imported cohort with this id already exists.",
)
if st.button("Import", type="primary", disabled=not (prepared.ok and cohort_id), key="imp_go"):
    bar = st.progress(0.0, text="Writing: starting")
    try:
        report = importer.commit(
            prepared,
            cohort_id,
            title=title,
            db=_data.db_path(),
            replace=replace,
            wait=False,
            progress=lambda f, m: bar.progress(min(f, 1.0), text=f"Writing: {m}"),
        )
    except (WriteLocked, importer.WriteFailed, importer.StagingCheckFailed) as exc:
        st.error(str(exc))
    else:
        if report.ok:
            _data.clear()
            st.success(_import_text.import_summary(report))  # the summary names no server path
            if report.pseudonyms is not None:
                st.warning(
                    "Download the key of study pseudonyms now: it is shown only this once and "
                    "is not kept by the app. It holds your file's patient ids: store it with "
                    "your source data, not with shared exports."
                )
                st.download_button(
                    "Key of study pseudonyms (CSV)",
                    formula_safe_csv(report.pseudonyms),
                    f"{report.cohort_id}-pseudonym-key.csv",
                    "text/csv",
                    key="imp_key",
                    on_click="ignore",
                )
        else:
            st.error(as_text(report.summary()))
            st.dataframe(report.problems, hide_index=True, key="imp_commit_problems")

cohort_list()
delete_section()
