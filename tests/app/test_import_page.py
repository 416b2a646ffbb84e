"""AppTest: the Import page (upload -> mapping -> problems -> confirm -> listed; remove)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.data.db import DB_ENV, close_all, list_cohorts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(app_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the app database: imports must not leak into other app tests."""
    path = tmp_path / "cohorts.duckdb"
    shutil.copy(app_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    yield path
    close_all()


def _page():
    from tests.app.conftest import run_page

    at = run_page("pages/import.py")
    assert not at.exception
    return at


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="imp_file").set_value((name, data, "text/csv"))
    at.run()
    assert not at.exception
    return at


TABLE_COLUMN = {"problems": "severity", "preview": "row", "cohorts": "Data version"}


def _frame(at, which: str):
    """The page's problems / preview / cohorts table, told apart by a column of its own."""
    return next(df.value for df in at.dataframe if TABLE_COLUMN[which] in df.value.columns)


def _cohort_ids(at) -> list[str]:
    return list(_frame(at, "cohorts")["Cohort"])


def test_bad_file_shows_the_problem_table_and_cannot_be_imported(db):
    at = _upload(_page(), "bad.csv", b"patient_id,os_days,os_event,MRN\np1,-3,1,9\np1,5,2,8\n")
    problems = _frame(at, "problems")
    assert list(problems.columns) == ["column", "row", "value", "rule", "severity"]
    assert {"days must be >= 0", "duplicate patient_id (first seen in row 2)"} <= set(
        problems["rule"]
    )
    assert any(r.startswith("column name looks like an identifier") for r in problems["rule"])
    assert any("error(s)" in e.value for e in at.error)
    assert at.button(key="imp_go").disabled
    # the mapping step offers one selectbox per column; dropping MRN removes that error
    at.selectbox(key="imp_map_MRN").set_value("(drop: do not import)").run()
    rules = set(_frame(at, "problems")["rule"])
    assert not any(r.startswith("column name looks like") for r in rules)


def test_good_file_confirmed_appears_in_the_cohort_list(db):
    at = _upload(_page(), "example.csv", (ROOT / "data" / "import_example.csv").read_bytes())
    assert "my-import" not in _cohort_ids(at)
    assert any("No problems found in 40 rows" in s.value for s in at.success)
    preview = _frame(at, "preview")
    assert len(preview) == 10 and preview["row"].tolist()[0] == 2
    at.text_input(key="imp_cohort").input("my-import")
    at.text_input(key="imp_title").input("My import")
    at.run()
    assert not at.button(key="imp_go").disabled
    at.button(key="imp_go").click().run()
    assert not at.exception
    assert any(s.value.startswith("Imported cohort my-import: 40 patients") for s in at.success)
    assert "my-import" in _cohort_ids(at)
    info = {c.cohort_id: c for c in list_cohorts(db)}["my-import"]
    # the project's own synthetic example keeps its provenance (issue 18)
    assert (info.provenance, info.n_patients, info.title) == ("synthetic", 40, "My import")
    # importing again without "Replace" is refused, naming the option
    at.button(key="imp_go").click().run()
    assert any("already exists; use --replace" in e.value for e in at.error)


def test_mapping_choices_are_remembered_and_an_imported_cohort_can_be_removed(db):
    data = b"ID,Survival days,status\nq1,100,dead\nq2,200,alive\n"
    at = _upload(_page(), "mine.csv", data)
    # synonyms are pre-selected in the mapping step
    assert at.selectbox(key="imp_map_ID").value == "patient_id"
    assert at.selectbox(key="imp_map_Survival days").value == "os_days"
    assert at.selectbox(key="imp_map_status").value == "os_event"
    assert at.session_state["import_mapping"]["ID"] == "patient_id"
    at.text_input(key="imp_cohort").input("tiny").run()
    at.button(key="imp_go").click().run()
    assert "tiny" in _cohort_ids(at)
    # removal needs the id typed in full
    assert at.button(key="del_go").disabled
    at.text_input(key="del_confirm").input("tiny").run()
    at.button(key="del_go").click().run()
    assert not at.exception
    assert any(s.value.startswith("Deleted cohort tiny") for s in at.success)
    assert "tiny" not in [c.cohort_id for c in list_cohorts(db)]


def test_success_shows_no_server_path_and_offers_the_pseudonym_key_once(db):
    data = b"patient_id,os_days,os_event\nJane.Doe,100,1\n19650312,200,0\n"
    at = _upload(_page(), "ids.csv", data)
    at.text_input(key="imp_cohort").input("keyed").run()
    at.button(key="imp_go").click().run()
    assert not at.exception
    texts = [
        e.value for kind in ("success", "info", "warning", "error", "caption") for e in at.get(kind)
    ]
    assert any(t.startswith("Imported cohort keyed: 2 patients") for t in texts)
    assert not any(str(db.parent) in str(t) for t in texts)  # no server path anywhere

    def keys() -> list:
        return [b for b in at.get("download_button") if "pseudonym" in b.proto.label]

    assert len(keys()) == 1
    stored = [
        r[0]
        for r in __import__("core.data.db", fromlist=["x"]).query_rows(
            "SELECT patient_id FROM patients WHERE cohort_id = 'keyed' ORDER BY 1", path=db
        )
    ]
    assert stored == ["keyed-0001", "keyed-0002"]
    at.run()  # any next interaction: the key is gone from the page
    assert keys() == []


ACTIVE = "![x](http://evil.example/p.png)"


def test_user_text_from_the_file_is_shown_as_text(db):
    """A column named like a markdown image must not load it (labels and messages render
    markdown): the page escapes file text wherever it is rendered as markdown."""
    data = f"patient_id,os_days,os_event,{ACTIVE}\np1,10,1,x\n".encode()
    at = _upload(_page(), "md.csv", data)
    labels = [s.label for s in at.selectbox]
    bodies = [
        e.value
        for kind in ("markdown", "caption", "error", "success", "warning")
        for e in at.get(kind)
    ]
    assert not [t for t in labels + bodies if "](http" in str(t) and "\\]" not in str(t)]


def test_a_markdown_cohort_id_in_the_refusal_is_shown_as_text(db):
    at = _upload(_page(), "ok.csv", b"patient_id,os_days,os_event\np1,10,1\n")
    at.text_input(key="imp_cohort").input(ACTIVE).run()
    at.button(key="imp_go").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("cohort id must be" in e for e in errors)
    assert not [e for e in errors if "](http" in e]
