"""The import at DuckDB speed (issue 16 item 4, second pass): blank lines through the Arrow
reader, unbalanced quotes to the pandas reader, the file's fields only held in memory, the
duplicate query only when ids repeat, and the checks that make study pseudonyms unique without
a key index. Messages, row numbers and masking are those of tests/core/cohorts/test_importer*.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from core.cohorts import importer
from core.cohorts.importer import import_file, messages, prepare, read_input
from core.data import import_sql
from core.data.db import query_rows
from core.vocab.schema import PATIENT_FIELDS

HEAD = "patient_id,os_days,os_event"


def csv(*lines: str, head: str = HEAD) -> bytes:
    return ("\n".join([head, *lines]) + "\n").encode()


def check(data: bytes, **kw) -> importer.Prepared:
    return prepare(read_input(data, "t.csv"), **kw)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _spy_fast(monkeypatch) -> list[bool]:
    read: list[bool] = []
    real = importer._fast_csv

    def spy(*a, **k):
        sheet = real(*a, **k)
        read.append(sheet is not None)
        return sheet

    monkeypatch.setattr(importer, "_fast_csv", spy)
    return read


def test_blank_lines_between_rows_are_read_by_the_arrow_reader_with_spreadsheet_rows(
    monkeypatch,
):
    read = _spy_fast(monkeypatch)
    for nl in ("\n", "\r\n"):
        data = nl.join([HEAD, "p1,10,1", "", "p2,-1,1", "", "", "p3,x,0", "", ""]).encode()
        p = check(data)
        assert messages(p.problems) == [
            'os_days row 4: value "-1": days must be >= 0',
            'os_days row 7: value "x": days must be a whole number',
        ]
        assert p.n_rows == 3 and p.row_numbers.tolist() == [2, 4, 7]
    assert read == [True, True]


def test_a_blank_line_in_a_one_column_file_is_skipped_and_counted(monkeypatch):
    read = _spy_fast(monkeypatch)
    p = check(b"patient_id\np1\n\np2\n")
    assert p.row_numbers.tolist() == [2, 4] and read == [True]


def test_an_unbalanced_quote_goes_to_the_pandas_reader_which_names_it(monkeypatch):
    read = _spy_fast(monkeypatch)
    got = messages(check(b'patient_id,os_days,os_event\np1,10,1\np2,20,"0\n').problems)
    assert read == []  # not even tried: Arrow would have taken the quote to the end of file
    assert len(got) == 1 and got[0].startswith("file: could not be read as CSV")


def test_only_the_files_fields_are_held_and_the_frame_still_has_every_field():
    p = check(csv("p1,10,1", "p2,20,0"))
    assert set(p.typed.column_names) == {"_row", "_seq", "patient_id", "os_days", "os_event"}
    frame = p.patients
    assert list(frame.columns) == [f.name for f in PATIENT_FIELDS]
    want = {"int": "Int64", "days": "Int64", "event": "Int64", "float": "Float64"}
    want |= {"bool": "boolean", "code": "object", "text": "object"}
    for f in PATIENT_FIELDS:
        assert str(frame[f.name].dtype) == want[f.kind], f.name
        if f.name not in ("patient_id", "os_days", "os_event"):
            assert frame[f.name].isna().all(), f.name


def test_derived_treatment_summaries_are_added_to_the_files_fields():
    tx = b"patient_id,cycle,activity_mbq,agent\np1,1,7400,lutathera\np1,2,7000,lutathera\n"
    p = prepare(
        read_input(csv("p1,100,1", "p2,50,0"), "p.csv", treatments=tx, treatments_filename="t.csv")
    )
    assert p.ok, messages(p.problems)
    assert p.patients["n_treatments"].tolist() == [2, 0]
    assert p.patients["cumulative_activity_mbq"].tolist() == [14400.0, pd.NA]
    assert p.patients["agent"].tolist() == ["lu177_dotatate", None]
    assert p.patients["sex"].isna().all()


def test_the_duplicate_query_runs_only_when_ids_repeat(monkeypatch):
    calls: list[int] = []
    real = import_sql.duplicate_ids

    def spy(st):
        calls.append(1)
        return real(st)

    monkeypatch.setattr(import_sql, "duplicate_ids", spy)
    assert check(csv("p1,10,1", " p2 ,20,0", "NA,5,1")).n_errors == 1  # the missing id
    assert calls == []
    got = messages(check(csv("p1,10,1", " p1 ,20,0", "p2,5,1")).problems)
    assert got == ['patient_id row 3: value "p1": duplicate patient_id (first seen in row 2)']
    assert calls == [1]


def test_staged_rows_must_be_numbered_one_to_n_in_file_order():
    con = duckdb.connect()
    try:
        rows = pa.table({"_seq": [1, 3], "patient_id": ["a", "b"]})
        with pytest.raises(ValueError, match="not numbered 1..n"):
            import_sql.stage(con, rows, importer._empty_treatments())
    finally:
        con.close()


def test_staging_refuses_a_column_outside_the_schema():
    con = duckdb.connect()
    try:
        rows = pa.table({"_seq": [1], 'x" FROM y; --': ["a"]})
        with pytest.raises(ValueError, match="not a staged column"):
            import_sql.register_patients(con, "_stage_patients", rows)
    finally:
        con.close()


def test_each_checks_rows_are_private_to_its_connection():
    a = import_sql.Staging(pa.table({"_row": [2], "_seq": [1], "patient_id": ["a"]}))
    b = import_sql.Staging(pa.table({"_row": [2, 3], "_seq": [1, 2], "patient_id": ["b", "c"]}))
    try:
        sql = f"SELECT list(patient_id ORDER BY _seq) FROM {import_sql.TYPED}"
        assert a.con.execute(sql).fetchone() == (["a"],)
        assert b.con.execute(sql).fetchone() == (["b", "c"],)
    finally:
        a.close()
        b.close()


def test_rows_left_in_patients_without_their_cohort_stop_the_import_untouched(db):
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "INSERT INTO patients (cohort_id, patient_id, os_days, os_event) "
            "VALUES ('orphan', 'orphan-9999', 10, 1)"
        )
    finally:
        con.close()
    before = sha(db)
    with pytest.raises(importer.StagingCheckFailed, match="already holds 1 patient rows"):
        import_file(csv("a1,10,1", "a2,20,0"), "orphan", filename="p.csv", db=db)
    assert sha(db) == before
    assert [p.name for p in db.parent.iterdir() if ".tmp" in p.name] == []


def test_a_replace_writes_exactly_the_new_rows(db):
    assert import_file(csv("a1,10,1", "a2,20,0", "a3,5,1"), "rep", filename="p.csv", db=db).ok
    r = import_file(csv("b1,7,0", "b2,8,1"), "rep", filename="p.csv", db=db, replace=True)
    assert r.ok and r.action == "replace"
    rows = query_rows(
        "SELECT patient_id, os_days FROM patients WHERE cohort_id = 'rep' ORDER BY 1", path=db
    )
    assert rows == [("rep-0001", 7), ("rep-0002", 8)]


def test_the_report_times_every_stage(db):
    r = import_file(csv("a1,10,1"), "timed", filename="p.csv", db=db)
    stages = dict(r.timings)
    assert list(stages) == ["read", "check", "open", "write", "publish"]
    assert all(0 <= s < r.seconds for s in stages.values())


def test_a_large_file_takes_the_threaded_path_with_the_same_result(monkeypatch):
    rows = [f"p{i},{i % 400},{i % 2},{'M' if i % 3 else 'x@y.org'}" for i in range(3000)]
    data = csv(*rows, "p7,1,1,F", head=HEAD + ",sex")
    small = check(data)
    monkeypatch.setattr(importer, "PARALLEL_ROWS", 100)
    large = check(data)
    pd.testing.assert_frame_equal(small.problems, large.problems)
    pd.testing.assert_frame_equal(small.patients, large.patients)
    assert len(small.problems) == 1001  # 1000 masked emails and the duplicate


def test_a_whole_number_too_large_to_store_is_an_error_not_a_failed_insert(db):
    data = csv("p1,10,1,3000000000", "p2,5000000000,0,2", head=HEAD + ",n_treatments")
    r = import_file(data, "huge", filename="p.csv", db=db)
    assert not r.ok
    assert messages(r.problems) == [
        'n_treatments row 2: value "3000000000": must be at most 2147483647 (the largest whole '
        "number stored)",
        'os_days row 3: value "5000000000": days must be at most 43830 (120 years)',
    ]
    tx = b"patient_id,cycle\np1,1e12\n"
    r = import_file(
        csv("p1,10,1"), "huge", filename="p.csv", db=db, treatments=tx, treatments_filename="t.csv"
    )
    assert messages(r.problems) == [
        'treatments.cycle row 2: value "1e12": must be at most 2147483647 (the largest whole '
        "number stored)"
    ]


def test_stored_types_are_the_tables_and_codes_stay_text_in_the_frame(db):
    p = check(csv("p1,10,dead,M,3", head=HEAD + ",sex,n_treatments"))
    types = {c: str(p.typed.schema.field(c).type) for c in p.typed.column_names}
    assert types["os_days"] == "int32" and types["os_event"] == "int8"
    assert types["sex"].startswith("dictionary<values=string")
    assert p.patients["sex"].tolist() == ["male"] and str(p.patients["sex"].dtype) == "object"
    r = import_file(
        csv("p1,10,dead,M,3", head=HEAD + ",sex,n_treatments"), "ty", filename="p.csv", db=db
    )
    assert r.ok
    assert query_rows(
        "SELECT sex::VARCHAR, os_event, n_treatments FROM patients WHERE cohort_id = 'ty'", path=db
    ) == [("male", 1, 3)]


# Third pass (issue 16 item 4): cheaper exact checks, the target's check while reading.


def test_rising_ids_are_distinct_without_hashing_and_other_ids_are_hashed(monkeypatch):
    import pyarrow.compute as pc

    calls: list[int] = []
    real = pc.unique

    def spy(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(pc, "unique", spy)
    assert importer._all_distinct(pa.array(["a1", "a2", "b1"])) and calls == []
    assert not importer._all_distinct(pa.array(["a", "b", "b"])) and calls == [1]
    assert importer._all_distinct(pa.array(["b", "a", "c"]))
    assert not importer._all_distinct(pa.array(["b", "a", "b"]))
    assert importer._all_distinct(pa.array(["a", None, "b"]))
    assert not importer._all_distinct(pa.array(["a", None, "a"]))
    got = messages(check(csv("p1,10,1", "p2,20,0", "p1,5,1")).problems)
    assert got == ['patient_id row 4: value "p1": duplicate patient_id (first seen in row 2)']


@pytest.mark.parametrize(
    ("seq", "dup"), [([1, 2, 3], 0), ([2, 1, 3], 0), ([1, 3, 3, 2], 1), ([5, 5, 5], 2), ([], 0)]
)
def test_staged_numbers_are_checked_exactly_in_any_order(seq, dup):
    con = duckdb.connect()
    try:
        con.register("_stage_patients", pa.table({"_seq": pa.array(seq, pa.int64())}))
        got, lo, hi = import_sql._seq_duplicates(con)
        assert got == dup
        assert (lo, hi) == ((min(seq), max(seq)) if seq else (None, None))
        con.register("_stage_patients", pa.table({"_seq": pa.array([1, None], pa.int64())}))
        with pytest.raises(ValueError, match="without a number"):
            import_sql._seq_duplicates(con)
    finally:
        con.close()


def test_the_target_is_checked_while_the_file_is_read_with_the_same_messages(db, tmp_path):
    bad = csv("p1,10,1", "p2,-5,1")
    assert import_file(bad, "kept", filename="p.csv", db=db).ok is False
    assert import_file(csv("p1,10,1"), "kept", filename="p.csv", db=db).ok
    before = sha(db)
    r = import_file(bad, "kept", filename="p.csv", db=db)
    assert messages(r.problems) == [
        'cohort_id: value "kept": cohort "kept" already exists; use --replace (on the page: '
        "'Replace the existing cohort') to replace it",
        'os_days row 3: value "-5": days must be >= 0',
    ]
    assert sha(db) == before
    with pytest.raises(importer.core_db.DatabaseUnavailable, match="does not exist"):
        import_file(csv("p1,10,1"), "x", filename="p.csv", db=tmp_path / "missing.duckdb")
    given = importer._Problems()
    given.add("cohort_id", "refused by the caller's check", "error", None, "kept2")
    r = importer.commit(check(csv("p1,10,1")), "kept2", db=db, target=given.frame())
    assert not r.ok and messages(r.problems) == [
        'cohort_id: value "kept2": refused by the caller\'s check'
    ]
    assert sha(db) == before


def test_every_cross_field_rule_comes_from_one_scan_in_the_rules_order(monkeypatch):
    head = (
        HEAD + ",pfs_imaging_days,pfs_imaging_event,imaging_response_days,"
        "first_activity_mbq,cumulative_activity_mbq,death_cause"
    )
    data = csv(
        "p1,400,1,401,,500,7400,7000,",  # pfs after os, event missing, response after os, cum
        "p2,10,0,,1,,1000,2000,net_related",  # event without time, cause for an alive patient
        "p3,50,1,20,0,30,,,",
        head=head,
    )
    scans: list[int] = []
    real = import_sql.rows_where_each

    def spy(st, checks):
        scans.append(len(checks))
        return real(st, checks)

    monkeypatch.setattr(import_sql, "rows_where_each", spy)
    got = messages(check(data).problems)
    assert scans == [6]  # 2 pfs_imaging rules, 2 after os_days, the cause, cumulative: 1 scan
    assert got == [
        'pfs_imaging_days row 2: value "401": time given without pfs_imaging_event',
        'pfs_imaging_days row 2: value "401": must not be after os_days (400)',
        'imaging_response_days row 2: value "500": must not be after os_days (400)',
        'cumulative_activity_mbq row 2: value "7000": must not be less than first_activity_mbq '
        "(7400)",
        'pfs_imaging_event row 3: value "1": event given without pfs_imaging_days',
        'death_cause row 3: value "net_related": ' + importer.death_cause.RULE,
    ]
