"""Fixes of the red team's import findings (notes-redteam.md, findings 1-4 and 6-8): focused
unit tests beside the attack tests in tests/security/test_import_attacks.py."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from core.cohorts import importer
from core.cohorts.importer import (
    MAX_VALUE_SHOWN,
    DeleteReport,
    ImportReport,
    delete_cohort,
    import_file,
    messages,
    prepare,
    problems_text,
    read_input,
)
from core.data.db import close_all, query_rows
from core.data.store import WriteLocked
from core.vocab.methods import Provenance

HEAD = b"patient_id,os_days,os_event"


def csv(*rows: str, head: bytes = HEAD, eol: str = "\n") -> bytes:
    return eol.join([head.decode(), *rows]).encode() + eol.encode()


def check(data: bytes) -> importer.Prepared:
    return prepare(read_input(data, "p.csv"))


def said(data: bytes) -> list[str]:
    return messages(check(data).problems)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- 1: one value more than the header on every row -------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_every_row_one_value_too_many_is_refused_naming_row_2(eol):
    got = said(csv("a1,10,1,0", "a2,20,0,1", eol=eol))
    assert got == ["file: row 2 has 4 values but the header has 3 columns"]


def test_some_rows_one_value_too_many_keeps_its_message():
    assert said(csv("a1,10,1", "a2,20,0,1")) == [
        "file: row 3 has 4 values but the header has 3 columns"
    ]


def test_too_many_values_after_a_leading_blank_line_names_the_spreadsheet_row():
    assert said(HEAD + b"\n\na1,10,1,5\n") == [
        "file: row 3 has 4 values but the header has 3 columns"
    ]


def test_too_many_values_on_the_pandas_path_too():
    """A comment line sends the file to the pandas reader: the same refusal and row."""
    got = said(HEAD + b"\n# note\na1,10,1,0\na2,20,0,1\n")
    assert got == ["file: row 3 has 4 values but the header has 3 columns"]


def test_a_title_line_above_the_header_is_named():
    got = said(b"Exported from the registry\n" + csv("a1,10,1"))
    assert len(got) == 1 and "Exported from the registry" in got[0] and "title" in got[0]


def test_every_row_too_many_leaves_the_database_byte_identical(db):
    before = sha(db)
    r = import_file(csv("a1,10,1,0", "a2,20,0,1"), "shift", filename="p.csv", db=db)
    assert not r.ok and "row 2" in r.summary()
    close_all()
    assert sha(db) == before


# --- 2: CR-only line ends ---------------------------------------------------------------------


def test_cr_only_line_ends_are_read_like_crlf():
    cr, crlf = (
        check(csv("a1,10,1", "a2,5,0", eol="\r")),
        check(csv("a1,10,1", "a2,5,0", eol="\r\n")),
    )
    assert cr.ok and cr.problems.empty
    pd.testing.assert_frame_equal(cr.patients, crlf.patients)
    assert list(cr.row_numbers) == [2, 3]


def test_cr_only_bad_value_names_its_row():
    assert said(csv("a1,10,1", "a2,-3,0", eol="\r")) == [
        'os_days row 3: value "-3": days must be >= 0'
    ]


def test_a_stray_cr_in_the_header_line_is_a_sentence_not_a_traceback():
    got = said(b"patient_id,os\rdays,os_event\na1,10,1\n")
    assert got and all("Error" not in m for m in got)


def test_cli_cr_only_imports(db, tmp_path, capsys):
    from core.cli import main

    f = tmp_path / "mac.csv"
    f.write_bytes(csv("a1,10,1", "a2,5,0", eol="\r"))
    assert main(["import", str(f), "--cohort", "mac", "--db", str(db)]) == 0
    capsys.readouterr()
    assert query_rows("SELECT count(*) FROM patients WHERE cohort_id = 'mac'", path=db) == [(2,)]


# --- 3: tab, CR or LF inside a cell ------------------------------------------------------------


@pytest.mark.parametrize(("ch", "name"), [("\n", "U+000A"), ("\r", "U+000D"), ("\t", "U+0009")])
def test_a_break_inside_a_quoted_cell_is_a_control_character_error(ch, name):
    got = said(csv(f'a1,10,1,"ma{ch}le"', head=HEAD + b",sex"))
    assert got[0] == (
        f'sex row 2: value "ma\\x{ord(ch):02x}le": contains a control character ({name}); '
        "remove it (cells hold plain text only)"
    )
    assert all(ch not in m for m in got)


def test_an_unquoted_tab_inside_a_cell_is_refused_surrounding_tabs_are_trimmed():
    got = said(csv("a1,\t10\t,1,male", "a2,10,1,ma\tle", head=HEAD + b",sex"))
    assert len(got) == 1 and got[0].startswith("sex row 3:") and "U+0009" in got[0]


def test_surrounding_breaks_in_a_quoted_cell_are_trimmed_like_spaces():
    p = check(csv('a1,10,1," male\n"', head=HEAD + b",sex"))
    assert p.ok and p.patients["sex"].tolist() == ["male"]


def test_a_break_inside_a_number_shows_no_raw_newline():
    got = said(csv('a1,"1\n0",1'))
    assert any("os_days row 2" in m and "control character" in m for m in got)
    assert all("\n" not in m for m in got)


def test_a_break_inside_a_cell_on_the_pandas_path():
    """Windows-1252 bytes send the file to the pandas reader: the same error."""
    got = said(csv('a1,10,1,"ma\nle","Ã©"', head=HEAD + b",sex,x").replace(b"\xc3\xa9", b"\xe9"))
    assert any(m.startswith('sex row 2: value "ma\\x0ale": contains a control') for m in got)


def test_an_all_quoted_file_is_still_accepted():
    p = check(csv('"a1","10","1","male"', '"a2","20","0","female"', head=HEAD + b",sex"))
    assert p.ok and p.patients["sex"].tolist() == ["male", "female"]


def test_a_line_break_in_an_xlsx_cell_is_refused(tmp_path):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["patient_id", "os_days", "os_event", "sex"])
    ws.append(["a1", 10, 1, "ma\nle"])
    buf = io.BytesIO()
    wb.save(buf)
    got = messages(prepare(read_input(buf.getvalue(), "p.xlsx")).problems)
    assert any(m.startswith("sex row 2:") and "U+000A" in m for m in got)


# --- 4: huge values are cut short everywhere ---------------------------------------------------


def test_a_huge_value_is_cut_in_the_table_messages_and_summary(db):
    r = import_file(csv("a1,10,1", "b" * 2_000_000 + ",5,0"), "huge", filename="p.csv", db=db)
    assert not r.ok
    assert max(len(str(v)) for v in r.problems["value"]) == MAX_VALUE_SHOWN
    assert "b" * (MAX_VALUE_SHOWN - 1) + "…" in r.summary()
    assert len(r.summary()) < 1_000
    assert all(len(m) < 1_000 for m in messages(r.problems))


def test_a_huge_column_name_is_cut():
    head = HEAD + b"," + b"n" * 100_000
    got = said(csv("a1,10,1,x", head=head))
    assert got and all(len(m) < 1_000 for m in got)


def test_short_values_are_unchanged_and_problems_text_agrees():
    p = check(csv("a1,-3,1"))
    assert p.problems["value"].tolist() == ["-3"]
    assert importer.shorten("x" * MAX_VALUE_SHOWN) == "x" * MAX_VALUE_SHOWN
    assert importer.shorten("x" * 61) == "x" * 59 + "…"
    assert "-3" in problems_text(p.problems)


# --- 6: the locked database names the file only ------------------------------------------------


def test_write_locked_names_the_file_not_the_folder(db):
    assert import_file(csv("a1,10,1"), "mine", filename="p.csv", db=db).ok
    fd = os.open(db.with_name(db.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(WriteLocked) as exc:
            delete_cohort("mine", db, wait=False)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert str(exc.value) == (
        "cohorts.duckdb is being written by another import; wait for it to finish."
    )
    assert str(db.parent) not in str(exc.value)


# --- 7: the removed or replaced cohort's size as the viewer may see it -------------------------


def test_delete_and_replace_summaries_take_the_shown_size():
    d = DeleteReport("tiny", Provenance.IMPORTED.value, 8, "abc")
    assert "(imported, 8 patients," in d.summary()
    assert "(imported, <11 patients," in d.summary("<11")
    r = ImportReport(
        True,
        "tiny",
        importer.empty_problems(),
        action="replace",
        n_patients=30,
        replaced_n=8,
        replaced_provenance="imported",
    )
    assert "(8 patients before): 30 patients" in r.summary()
    assert "(<11 patients before): 30 patients" in r.summary("<11")


def test_page_helper_hides_a_small_imported_cohort_in_protected_mode(monkeypatch):
    from core.analyses.disclosure import Mode
    from pages import _import_text

    monkeypatch.setattr(_import_text, "mode", lambda: Mode.PROTECTED)
    d = DeleteReport("tiny", Provenance.IMPORTED.value, 8, "abc")
    assert "<11 patients" in _import_text.delete_summary(d)
    assert "8 patients" not in _import_text.delete_summary(d)
    big = DeleteReport("big", Provenance.IMPORTED.value, 40, "abc")
    assert "40 patients" in _import_text.delete_summary(big)
    synth = DeleteReport("syn", Provenance.SYNTHETIC.value, 8, "abc")
    assert "8 patients" in _import_text.delete_summary(synth)
    rep = ImportReport(
        True,
        "tiny",
        importer.empty_problems(),
        action="replace",
        n_patients=8,
        replaced_n=8,
        replaced_provenance="imported",
    )
    text = _import_text.import_summary(rep)
    assert "(<11 patients before): 8 patients" in text  # the uploader's own file stays exact
    monkeypatch.setattr(_import_text, "mode", lambda: Mode.EXACT)
    assert "(imported, 8 patients," in _import_text.delete_summary(d)
    assert "(8 patients before)" in _import_text.import_summary(rep)


def test_commit_records_the_replaced_provenance(db):
    assert import_file(csv("a1,10,1"), "mine", filename="p.csv", db=db).ok
    r = import_file(csv("a1,10,1", "a2,5,0"), "mine", filename="p.csv", db=db, replace=True)
    assert r.ok and r.replaced_n == 1 and r.replaced_provenance == "imported"


# --- 8: more than 1,000 columns ----------------------------------------------------------------


@pytest.mark.parametrize("extra", [997, 998, 1_500])
def test_a_csv_wider_than_1000_columns_is_refused_at_once(extra):
    head = HEAD + b"," + b",".join(b"c%d" % i for i in range(extra))
    got = said(csv("a1,10,1" + ",x" * extra, head=head))
    if extra + 3 > 1_000:
        assert got == ["file: has more than 1,000 columns; refused"]
    else:
        assert "has more than" not in " ".join(got)


def test_a_wide_csv_on_the_pandas_path_is_refused_too():
    head = b"# comment\n" + HEAD + b"," + b",".join(b"c%d" % i for i in range(1_500))
    assert said(csv("a1,10,1" + ",x" * 1_500, head=head)) == [
        "file: has more than 1,000 columns; refused"
    ]


# --- observations: UTF-16, identifier-shaped column names, short rows --------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(encoding):
    data = (HEAD.decode() + "\na1,10,1\n").encode(encoding)
    assert said(data) == [
        "file: the file looks like UTF-16; save it as UTF-8 (CSV UTF-8) or as XLSX"
    ]


def test_only_nul_bytes_is_still_a_control_character_error():
    assert "control character (NUL)" in said(b"\x00" * 64)[0]


def test_a_column_name_shaped_like_an_identifier_is_masked():
    head = HEAD + b",jane@example.org,0123456789,2014-03-12,c12,treatment2"
    got = said(csv("a1,10,1,x,y,z,w,v", head=head))
    assert [m.split(":")[0] for m in got] == [
        "xxxx@xxxxxxx.xxx",
        "##########",
        "####-##-##",
        "c12",
        "treatment2",
    ]
    assert not any("jane" in m or "0123456789" in m for m in got)


def test_a_duplicated_identifier_shaped_column_name_is_masked_in_the_rule():
    got = said(csv("a1,10,1,x,y", head=HEAD + b",jane@example.org,jane@example.org"))
    assert any('column "xxxx@xxxxxxx.xxx" appears twice' in m for m in got)
    assert not any("jane" in m for m in got)


def test_a_row_with_fewer_values_is_padded_with_missing_values():
    """Decision (documented in docs/IMPORT.md): a short row is read with its last fields
    missing, as spreadsheets write rows whose trailing cells are empty; too many values are
    refused."""
    p = check(csv("a1,10,1,male", "a2,20,0", head=HEAD + b",sex"))
    assert p.ok and p.patients["sex"].tolist() == ["male", None]


def test_a_line_break_in_a_dropped_column_does_not_block_the_import():
    """A multi-line comment in a column the user drops is not read; kept, it is refused; other
    control characters in a dropped column are still refused (as before)."""
    raw = read_input(csv('a1,10,1,"first line\nsecond line"', head=HEAD + b",notes"), "p.csv")
    assert prepare(raw, {"notes": None}).ok
    kept = messages(prepare(raw).problems)
    assert any(m.startswith("notes row 2:") and "U+000A" in m for m in kept)
    esc = read_input(csv('a1,10,1,"x\x1by"', head=HEAD + b",notes"), "p.csv")
    assert not prepare(esc, {"notes": None}).ok


def test_an_activity_above_10_tbq_is_an_error_naming_row_and_column():
    """1e308 MBq (a unit slip or an attack) must not reach the derived sums as infinity."""
    from core.cohorts.importer import MAX_ACTIVITY_MBQ

    got = said(csv("p1,10,1,7400", "p2,20,0,1e308", head=HEAD + b",first_activity_mbq"))
    errors = [m for m in got if f"at most {MAX_ACTIVITY_MBQ:.0f} MBq" in m]
    assert len(errors) == 1 and errors[0].startswith("first_activity_mbq row 3"), got
