"""The Arrow/DuckDB import path (issue 16): the fast CSV reader, the SQL row checks, the
pseudonyms written by one INSERT ... SELECT, and the data version.

Every file here goes through ``read_input`` -> ``prepare`` (-> ``import_file``); the cases
where the fast reader hands over to the pandas reader (comments, blank lines, bad rows,
control bytes, Windows-1252) must give the same messages and row numbers as before.
"""

from __future__ import annotations

import pytest

from core.cohorts import importer
from core.cohorts.importer import import_file, messages, prepare, read_input
from core.data.db import query_rows

HEAD = "patient_id,os_days,os_event"


def csv(*lines: str, head: str = HEAD, sep: str = ",", nl: str = "\n") -> bytes:
    return (nl.join([head.replace(",", sep), *lines]) + nl).encode()


def check(data: bytes, **kw) -> importer.Prepared:
    return prepare(read_input(data, "t.csv"), **kw)


def msgs(data: bytes, **kw) -> list[str]:
    return messages(check(data, **kw).problems)


def test_fast_reader_is_used_for_a_plain_file_and_keeps_row_numbers(monkeypatch):
    calls: list[int] = []
    real = importer._fast_csv

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(importer, "_fast_csv", spy)
    data = csv("p1,10,1", "p2,-3,1", "p3,x,0")
    assert msgs(data) == [
        'os_days row 3: value "-3": days must be >= 0',
        'os_days row 4: value "x": days must be a whole number',
    ]
    assert calls == [1]


def test_leading_blank_and_comment_lines_before_the_header_count_in_row_numbers():
    data = b"\n# exported\n" + csv("p1,10,1", "p2,-1,1")
    assert msgs(data) == ['os_days row 5: value "-1": days must be >= 0']


def test_blank_line_inside_the_data_keeps_spreadsheet_rows():
    data = csv("p1,10,1", "", "p2,-1,1")
    assert msgs(data) == ['os_days row 4: value "-1": days must be >= 0']


def test_rows_of_empty_cells_are_skipped_but_counted():
    data = csv("p1,10,1", ",,", "p2,-1,1")
    p = check(data)
    assert p.n_rows == 2
    assert messages(p.problems) == ['os_days row 4: value "-1": days must be >= 0']


def test_crlf_line_ends_and_a_missing_final_newline():
    data = csv("p1,10,1", "p2,-1,1", nl="\r\n").rstrip(b"\r\n")
    assert msgs(data) == ['os_days row 3: value "-1": days must be >= 0']
    assert check(data).patients["os_days"].tolist() == [10, pd_na()]


def pd_na():
    import pandas as pd

    return pd.NA


def test_quoted_newline_in_a_cell_is_a_control_character_error():
    data = b'patient_id,os_days,os_event,sex\np1,"1\n0",1,"ma\nle"\np2,-1,1,male\n'
    p = check(data)
    # the quoted cells span two lines: rows are counted per record, as the docs say
    assert messages(p.problems) == [
        'os_days row 2: value "1\\x0a0": contains a control character (U+000A); remove it '
        "(cells hold plain text only)",
        'sex row 2: value "ma\\x0ale": contains a control character (U+000A); remove it '
        "(cells hold plain text only)",
        'os_days row 2: value "1?0": days must be a whole number',
        'os_days row 3: value "-1": days must be >= 0',
    ]


def test_utf8_bom_and_semicolons_and_tabs():
    for sep in (";", "\t"):
        data = "\ufeff".encode() + csv(
            "p1;10;1".replace(";", sep), "p2;-1;1".replace(";", sep), sep=sep
        )
        assert msgs(data) == ['os_days row 3: value "-1": days must be >= 0'], sep


def test_windows_1252_is_read_with_a_warning_through_the_pandas_reader():
    data = "patient_id,os_days,os_event,sex\np1,10,1,mále\n".encode("cp1252")
    got = msgs(data)
    assert "file: the file is not UTF-8; it was read as Windows-1252 (check accented text)" in got
    assert any(m.startswith('sex row 2: value "mále"') for m in got)


def test_bytes_neither_utf8_nor_cp1252_name_the_line():
    got = msgs(b"patient_id,os_days,os_event\np1,10,1\np\x81,10,1\n")
    assert got[0].startswith(
        "file: the file is neither UTF-8 nor Windows-1252 text (byte 0x81 in line 3)"
    )


def test_malformed_rows_are_named_by_the_pandas_reader():
    assert msgs(csv("p1,10,1", "p2,10,1,9,9")) == [
        "file: row 3 has 5 values but the header has 3 columns"
    ]


def test_unbalanced_quote_is_a_sentence_not_a_traceback():
    got = msgs(b'patient_id,os_days,os_event\np1,"10,1\np2,20,0\n')
    assert got and all("Traceback" not in m for m in got)


def test_huge_field_is_refused_and_shown_shortened_in_the_text_table():
    big = "x" * 200_000
    p = check(csv(f"p1,{big},1"))
    assert p.problems["rule"].tolist() == ["days must be a whole number"]
    text = importer.problems_text(p.problems)
    assert len(text) < 1000 and "…" in text


def test_formula_looking_values_are_refused_and_dates_masked():
    data = csv('p1,=1+2,1,"=HYPERLINK(""x"")"', "p2,2014-03-12,0,@SUM(A1)", head=HEAD + ",sex")
    got = msgs(data)
    assert 'os_days row 2: value "=1+2": days must be a whole number' in got
    assert any(
        m.startswith('sex row 2: value "=HYPERLINK') and "not a valid code" in m for m in got
    )
    assert (
        'os_days row 3: value "####-##-##": calendar dates are not allowed; give days from the '
        "index date" in got
    )


def test_sql_looking_values_are_data_never_sql(db):
    evil = "x'); DROP TABLE patients; --"
    data = csv(f'p1,10,1,"{evil}"', head=HEAD + ",sex")
    assert msgs(data) == [
        f'sex row 2: value "{evil}": not a valid code; allowed: female, male, unknown'
    ]
    r = import_file(csv("a1';--,10,1", "a2,20,0"), "sqlish", filename="s.csv", db=db)
    assert not r.ok  # the id is not a study code; the tables are intact
    assert query_rows("SELECT count(*) > 0 FROM patients", path=db) == [(True,)]


def test_duplicate_ids_after_trimming_name_the_first_row():
    data = csv("p1,10,1", " p1 ,20,0", "p2,5,1", "p1,7,0")
    assert msgs(data) == [
        'patient_id row 3: value "p1": duplicate patient_id (first seen in row 2)',
        'patient_id row 5: value "p1": duplicate patient_id (first seen in row 2)',
    ]


def test_duplicate_of_an_identifier_shaped_id_stays_masked():
    got = msgs(csv("jo@example.org,10,1", "jo@example.org,20,0"))
    assert (
        'patient_id row 3: value "xx@xxxxxxx.xxx": duplicate patient_id (first seen in row 2)'
        in got
    )
    assert all("jo@example" not in m for m in got)


def test_codes_fields_are_checked_from_the_schema_field_list():
    from core.vocab.schema import PATIENT_FIELDS

    for f in PATIENT_FIELDS:
        if f.kind != "code":
            continue
        good = check(csv(f"p1,10,1,{f.codes[0]}", head=f"{HEAD},{f.name}"))
        assert good.ok and good.patients[f.name].tolist() == [f.codes[0]], f.name
        bad = msgs(csv("p1,10,1,zz-not-a-code", head=f"{HEAD},{f.name}"))
        assert bad == [
            f'{f.name} row 2: value "zz-not-a-code": not a valid code; allowed: {", ".join(f.codes)}'
        ]


def test_pseudonyms_are_written_by_sql_in_file_order_and_the_key_matches(db):
    rows = [f"id{i:03d},{i + 1},1" for i in range(12)]
    r = import_file(csv(*rows), "ord", filename="o.csv", db=db)
    assert r.ok
    stored = query_rows(
        "SELECT patient_id, os_days FROM patients WHERE cohort_id = 'ord' ORDER BY os_days", path=db
    )
    assert stored == [(f"ord-{i + 1:04d}", i + 1) for i in range(12)]
    key = r.pseudonyms
    assert key["study_id"].tolist() == [f"ord-{i + 1:04d}" for i in range(12)]
    assert key["patient_id_in_file"].tolist() == [f"id{i:03d}" for i in range(12)]
    assert key["row"].tolist() == list(range(2, 14))


def test_data_version_is_deterministic_and_follows_file_mapping_and_cohort(db):
    data = csv("a1,10,1", "a2,20,0")
    p1, p2 = check(data), check(data)
    v = importer.data_version(p1, "c1")
    assert v == importer.data_version(p2, "c1") and len(v) == 12
    assert importer.data_version(p1, "c2") != v
    assert importer.data_version(check(data, censor_flag=True), "c1") != v
    assert importer.data_version(check(csv("a1,10,1", "a2,21,0")), "c1") != v
    r = import_file(data, "c1", filename="a.csv", db=db)
    assert r.content_hash == v


def test_failed_insert_leaves_the_database_byte_for_byte(db, monkeypatch):
    import hashlib

    before = hashlib.sha256(db.read_bytes()).hexdigest()

    def boom(*_a, **_k):
        raise RuntimeError("injected")

    monkeypatch.setattr(importer.import_sql, "insert_from_stage", boom)
    with pytest.raises(RuntimeError):
        import_file(csv("a1,10,1"), "boom", filename="a.csv", db=db)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_progress_reports_reading_checking_and_writing(db):
    seen: list[str] = []
    r = import_file(
        csv("a1,10,1"), "prog", filename="a.csv", db=db, progress=lambda f, m: seen.append(m)
    )
    assert r.ok
    text = " ".join(seen).lower()
    assert "reading" in text and "checking" in text and "writing" in text
