"""Red team: the import attacked through its public entry points only (see __init__.py).

Every refusal must be a clear sentence naming the column, row and rule, never a traceback, and
must leave the database byte-identical with no stray copy. Nothing untrusted may reach SQL
unbound; formula cells are neutralised in the CSVs the import writes; identifier-shaped values
are masked in every message; readers in another process see the old or the new data.
"""

from __future__ import annotations

import csv as csvmod
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.cohorts.importer import commit, import_file, messages, prepare, read_input
from core.data.db import DB_ENV, close_all, list_cohorts, query_rows
from core.vocab.formatting import FORMULA_LEADS

ROOT = Path(__file__).resolve().parents[2]
HEAD = "patient_id,os_days,os_event"
NEW = "rt-new"
SQL = "'); DROP TABLE patients; --"
MODE_ENV = "NET_EXPLORER_DISCLOSURE"


# ------------------------------------------------------------------------------ helpers


def csv(*lines: str, head: str = HEAD, eol: str = "\n") -> bytes:
    return (eol.join([head, *lines]) + eol).encode()


def rows(n: int, seed: int = 16) -> list[str]:
    """``n`` valid data lines (fixed seed): id, os_days, os_event."""
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 4000, n)
    events = rng.integers(0, 2, n)
    return [f"s{i:05d},{d},{e}" for i, (d, e) in enumerate(zip(days, events, strict=True))]


def state(db: Path) -> tuple[str, list[str]]:
    """The database's bytes (hash) and every file beside it that belongs to it (copies, WAL);
    the writer's lock file is allowed to exist."""
    close_all()
    files = sorted(
        p.name
        for p in db.parent.iterdir()
        if p.name.startswith(db.name) and not p.name.endswith(".lock")
    )
    return hashlib.sha256(db.read_bytes()).hexdigest(), files


def versions(db: Path) -> dict[str, str]:
    """Cohort id -> data version (the stamp shown with every figure)."""
    close_all()
    return {c.cohort_id: c.data_version for c in list_cohorts(db)}


def n_log(db: Path) -> int:
    return query_rows("SELECT count(*) FROM import_log", path=db)[0][0]


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``python -m core ARGV`` in-process: exit code, stdout, stderr. An exception escaping
    ``main`` would be a traceback for the user: the test fails on it."""
    capsys.readouterr()
    rc = main(argv)
    out, err = capsys.readouterr()
    close_all()
    return rc, out, err


def is_formula(cell: str) -> bool:
    """A cell a spreadsheet would run: starts with a formula lead and is not a plain number."""
    if not cell.startswith(FORMULA_LEADS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def csv_cells(data: bytes) -> list[str]:
    text = data.decode("utf-8-sig")
    return [c for row in csvmod.reader(io.StringIO(text)) for c in row]


@pytest.fixture
def db(default_db, tmp_path, monkeypatch) -> Path:
    """A private copy of the default database (built by the project's own builder)."""
    path = tmp_path / "dbdir" / "cohorts.duckdb"
    path.parent.mkdir()
    shutil.copy(default_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    monkeypatch.delenv(MODE_ENV, raising=False)
    yield path
    close_all()


@pytest.fixture(scope="module")
def default_id(default_db) -> str:
    ids = [c.cohort_id for c in list_cohorts(default_db)]
    close_all()
    return ids[0]


# ------------------------------------------------------------------------------ the catalogue

BIG = rows(10_000)


def _catalogue() -> list[tuple[str, bytes, str, list[str]]]:
    """(what, file bytes, cohort id, words every one of which the messages must hold)."""
    req = "required column is missing"
    ctl = "control character"
    return [
        (
            "missing required column",
            csv("a1,10", head="patient_id,os_days"),
            NEW,
            ["os_event", req],
        ),
        (
            "misspelt header",
            csv("a1,10,1", head="patient_id,os_dayz,os_event"),
            NEW,
            ["os_dayz", "os_days", req],
        ),
        ("empty file", b"", NEW, ["file", "empty"]),
        ("blank lines only", b"\n\r\n\n", NEW, ["file"]),
        ("comment lines only", b"# nothing here\n# still nothing\n", NEW, ["file"]),
        ("BOM only", b"\xef\xbb\xbf", NEW, ["file"]),
        ("header only", csv(), NEW, ["file", "no data rows"]),
        ("header only, no newline", HEAD.encode(), NEW, ["file", "no data rows"]),
        ("NUL in a value", csv("a1,10,1", "a2,2\x000,0"), NEW, ["os_days row 3", ctl]),
        ("NUL in the header", b"patient_id,os_days\x00,os_event\na1,10,1\n", NEW, [ctl]),
        ("only NUL bytes", b"\x00" * 64, NEW, [ctl]),
        ("ESC in a code", csv("a1,10,1,ma\x1ble", head=HEAD + ",sex"), NEW, ["sex row 2", ctl]),
        (
            "bytes neither UTF-8 nor cp1252",
            HEAD.encode() + b"\na1,10,1\na\x81,5,0\n",
            NEW,
            ["neither UTF-8 nor Windows-1252", "line 3"],
        ),
        ("UTF-16 file", (HEAD + "\na1,10,1\n").encode("utf-16"), NEW, ["file"]),
        (
            "duplicated column name",
            csv("a1,10,1,20", head=HEAD + ",os_days"),
            NEW,
            ["os_days", "twice"],
        ),
        (
            "columns differing only in case",
            csv("a1,10,1,20", head=HEAD + ",OS_Days"),
            NEW,
            ["os_days", "OS_Days"],
        ),
        (
            "columns differing only in spaces",
            csv("a1,10,1,20", head=HEAD + ", os_days "),
            NEW,
            ["os_days"],
        ),
        (
            "pipe delimiter",
            csv("a1|10|1", head="patient_id|os_days|os_event"),
            NEW,
            ["patient_id|os_days|os_event", "not in the data model"],
        ),
        ("row cut in the middle", csv("a1,10,1", "a2,5"), NEW, ["os_event row 3"]),
        ("file cut inside a quote", csv("a1,10,1", '"a2,5,0'), NEW, ["file"]),
        ("one row with an extra value", csv("a1,10,1", "a2,5,0,9"), NEW, ["row 3", "4 values"]),
        (
            "huge field",
            csv("a1,10,1", "b" * 2_000_000 + ",5,0"),
            NEW,
            ["patient_id row 3", "at most 64 characters"],
        ),
        ("huge number", csv("a1,10,1", "a2," + "9" * 100_000 + ",0"), NEW, ["os_days row 3"]),
        (
            "bad value in the last of 10,001 rows",
            csv(*BIG, "z9,-3,1"),
            NEW,
            ["os_days row 10002", "days must be >= 0"],
        ),
        (
            "duplicate id first and last of 10,001 rows",
            csv(*BIG, "s00000,5,1"),
            NEW,
            ["patient_id row 10002", "duplicate patient_id (first seen in row 2)"],
        ),
        (
            "duplicate id differing in spaces",
            csv("a1,10,1", '"a1 ",5,0', " a1,6,1"),
            NEW,
            ["patient_id row 3", "patient_id row 4", "duplicate patient_id (first seen in row 2)"],
        ),
        ("SQL in a value", csv(f'a1,"{SQL}",1'), NEW, ["os_days row 2", "whole number"]),
        ("SQL in a patient id", csv(f'"{SQL}",10,1'), NEW, ["patient_id row 2"]),
        (
            "DuckDB read_csv in a value",
            csv("a1,\"read_csv('/etc/passwd')\",1"),
            NEW,
            ["os_days row 2", "whole number"],
        ),
        (
            "DuckDB getenv in a code",
            csv("a1,10,1,\"getenv('HOME')\"", head=HEAD + ",sex"),
            NEW,
            ["sex row 2", "not a valid code"],
        ),
        (
            "SQL in a column name",
            csv("a1,10,1,2", head=HEAD + ',"x"""); DROP TABLE patients; --"'),
            NEW,
            ['x"); DROP TABLE patients; --', "not in the data model"],
        ),
        (
            "read_csv as a column name",
            csv("a1,10,1,2", head=HEAD + ",\"read_csv('/etc/passwd')\""),
            NEW,
            ["read_csv('/etc/passwd')", "not in the data model"],
        ),
        ("SQL as the cohort id", csv("a1,10,1"), f"x{SQL}", ["cohort id must be"]),
        ("quote in the cohort id", csv("a1,10,1"), "a'b", ["cohort id must be"]),
        ("path in the cohort id", csv("a1,10,1"), "../etc", ["cohort id must"]),
        ("cohort id of 41 characters", csv("a1,10,1"), "a" * 41, ["cohort id must be"]),
        ("cohort id with a trailing newline", csv("a1,10,1"), "abc\n", ["cohort id must be"]),
        ("fullwidth cohort id", csv("a1,10,1"), "\uff41\uff42\uff43", ["cohort id must be"]),
        (
            "MRN column mapped by name",
            csv("a1,10,1,7", head=HEAD + ",MRN"),
            NEW,
            ["MRN", "identifier"],
        ),
        ("date column", csv("a1,10,1,7", head=HEAD + ",visit_date"), NEW, ["visit_date"]),
        ("XLSX bytes named .csv", b"PK\x03\x04" + b"\x00" * 200, NEW, ["file"]),
        ("PNG bytes named .csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, NEW, [ctl]),
    ]


CATALOGUE = _catalogue()


@pytest.mark.parametrize(
    ("what", "data", "cohort", "words"), CATALOGUE, ids=[c[0] for c in CATALOGUE]
)
def test_bad_file_is_refused_with_a_sentence_and_the_database_byte_identical(
    db, what, data, cohort, words
):
    before, log = state(db), n_log(db)
    report = import_file(data, cohort, filename="upload.csv", db=db)
    assert not report.ok
    said = messages(report.problems)
    summary = report.summary()
    assert summary.startswith("Nothing was imported") and "Traceback" not in summary
    for w in words:
        assert any(w in m for m in said), (w, [m[:200] for m in said[:5]])
    assert state(db) == before and n_log(db) == log


def test_an_existing_cohort_id_is_refused_and_the_database_byte_identical(db, default_id):
    before, stamps = state(db), versions(db)
    for replace in (False, True):  # replacing a default cohort needs --force too
        r = import_file(csv("a1,10,1"), default_id, filename="p.csv", db=db, replace=replace)
        assert not r.ok
        assert any(default_id in m and "cohort_id" in m for m in messages(r.problems))
    assert state(db) == before and versions(db) == stamps


def test_a_failed_replace_keeps_the_old_rows_and_version(db):
    """An imported cohort, then a bad file with --replace: the old version stays whole."""
    assert import_file(csv(*rows(30)), "mine", filename="p.csv", db=db).ok
    before, stamps = state(db), versions(db)
    for bad in (csv(*rows(40), "s00001,5,1"), csv(*rows(40), "z9,-3,1"), b"", csv()):
        r = import_file(bad, "mine", filename="p.csv", db=db, replace=True)
        assert not r.ok
    assert state(db) == before and versions(db) == stamps
    got = query_rows("SELECT count(*) FROM patients WHERE cohort_id = 'mine'", path=db)
    assert got == [(30,)]


def test_every_row_with_one_value_too_many_is_refused_not_shifted(db):
    before = state(db)
    r = import_file(csv("a1,10,1,0", "a2,20,0,1"), NEW, filename="p.csv", db=db)
    assert not r.ok, query_rows(
        "SELECT patient_id, os_days, os_event FROM patients WHERE cohort_id = ?", [NEW], path=db
    )
    assert any("row 2" in m for m in messages(r.problems))
    assert state(db) == before


def test_cr_only_line_ends_are_read_or_refused_with_a_sentence(db):
    data = csv("a1,10,1", "a2,5,0", eol="\r")
    r = import_file(data, NEW, filename="p.csv", db=db)  # must not raise
    assert r.ok or messages(r.problems)


def test_a_line_break_inside_a_cell_is_a_control_character_error(db):
    before = state(db)
    for ch in ("\n", "\r"):
        data = csv(f'a1,10,1,"ma{ch}le"', head=HEAD + ",sex")
        r = import_file(data, NEW, filename="p.csv", db=db)
        assert not r.ok
        assert any("sex row 2" in m and "control character" in m for m in messages(r.problems))
    assert state(db) == before


def test_a_huge_field_is_not_echoed_whole(db, tmp_path, capsys):
    data = csv("a1,10,1", "b" * 2_000_000 + ",5,0")
    r = import_file(data, NEW, filename="p.csv", db=db)
    assert not r.ok
    assert len(r.summary()) < 2_000
    assert max(len(str(v)) for v in r.problems["value"]) < 2_000
    f = tmp_path / "huge.csv"
    f.write_bytes(data)
    rc, _out, err = cli(["import", str(f), "--cohort", NEW, "--db", str(db)], capsys)
    assert rc == 2 and len(err) < 20_000


def test_a_line_above_the_header_is_refused_or_rows_keep_their_spreadsheet_numbers(db):
    """A title line above the header (as some exports write): refused, or, if a reader skips
    it, the problems still name the row a spreadsheet shows (here row 4)."""
    data = b"Exported from the registry\n" + csv("a1,10,1", "a2,-3,0")
    before = state(db)
    r = import_file(data, NEW, filename="p.csv", db=db)
    assert not r.ok
    said = messages(r.problems)
    assert not any("row 3" in m for m in said), said[:4]
    assert any("row 4" in m for m in said) or any("Exported" in m for m in said), said[:4]
    assert state(db) == before


def test_large_file_with_one_bad_value_at_the_end_is_refused_whole(db, tmp_path, capsys):
    """200,001 rows, the last one bad (found only after any type sniffing sample), by the CLI:
    exit 2 naming the row, the database byte-identical; then the same file with a duplicate id
    at the end (uniqueness checked late); then one that is fine imports every row."""
    many = rows(200_000, seed=11)
    f = tmp_path / "large.csv"
    before = state(db)
    for last, words in (
        ("z9,forty,1", ("os_days", "200002", "whole number")),
        ("s00007,5,1", ("patient_id", "200002", "first seen in row 9")),
    ):
        f.write_bytes(csv(*many, last))
        rc, out, err = cli(["import", str(f), "--cohort", NEW, "--db", str(db)], capsys)
        assert rc == 2 and out == "" and "Traceback" not in err
        assert all(w in err for w in words), err[-600:]
        assert state(db) == before
    f.write_bytes(csv(*many, "z9,40,1"))
    rc, out, err = cli(["import", str(f), "--cohort", NEW, "--db", str(db)], capsys)
    assert rc == 0, err[-600:]
    assert query_rows("SELECT count(*) FROM patients WHERE cohort_id = ?", [NEW], path=db) == [
        (200_001,)
    ]


def test_a_csv_with_more_columns_than_an_xlsx_may_have_is_refused_at_once(db):
    extra = 1_500
    head = HEAD + "," + ",".join(f"c{i}" for i in range(extra))
    r = import_file(csv("a1,10,1" + ",x" * extra, head=head), NEW, filename="p.csv", db=db)
    assert not r.ok
    said = messages(r.problems)
    assert len(said) <= 5 and any("columns" in m for m in said), (len(said), said[:2])


WRITER = r"""
import sys
from core.cohorts.importer import import_file
ids = [b"mrn%07d" % (4000000 + i) for i in range(2000)]
data = b"patient_id,os_days,os_event\n" + b"".join(
    b"%s,%d,%d\n" % (p, i % 900 + 1, i % 2) for i, p in enumerate(ids)
)
r = import_file(data, "disk", filename="upload.csv", db=sys.argv[1])
print(r.ok)
"""


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_the_upload_is_never_written_to_disk(db, tmp_path):
    """docs/IMPORT.md: the upload is held in memory only. Traced (strace, every process and
    thread): the only files opened for writing are the database's own (its copy, WAL, lock)."""
    trace = tmp_path / "trace"
    p = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-e",
            "trace=openat,open,creat,rename,renameat,renameat2",
            "-o",
            str(trace),
            sys.executable,
            "-c",
            WRITER,
            str(db),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if "Operation not permitted" in p.stderr and not trace.exists():
        pytest.skip("ptrace not permitted here")
    assert p.stdout.strip() == "True", p.stderr[-800:]
    written = set()
    for line in trace.read_text().splitlines():
        if "ENOENT" in line or not any(
            k in line for k in ("O_WRONLY", "O_RDWR", "O_CREAT", "creat(", "rename")
        ):
            continue
        written.update(re.findall(r'"([^"]+)"', line))
    ours = {str(db), f"{db}.lock"}
    others = sorted(
        w
        for w in written
        if w not in ours
        and not re.fullmatch(re.escape(str(db)) + r"\.tmp\d+(\.wal)?", w)
        and not w.startswith(("/dev/", "/proc/"))
        and not w.endswith(".pyc")
        and "__pycache__" not in w
    )
    assert others == []


def test_derived_activity_sums_stay_finite(db):
    tx = csv("a1,1,0,1e308", "a1,2,0,1e308", head="patient_id,cycle,day,activity_mbq")
    r = import_file(
        csv("a1,10,1"), NEW, filename="p.csv", db=db, treatments=tx, treatments_filename="t.csv"
    )
    if r.ok:
        got = query_rows(
            "SELECT first_activity_mbq, cumulative_activity_mbq FROM patients WHERE cohort_id = ?",
            [NEW],
            path=db,
        )
        assert all(np.isfinite(v) for row in got for v in row if v is not None), got


# ------------------------------------------------------------------------------ the same data


def _variants() -> dict[str, bytes]:
    lines = [
        f"p{i:03d},{d},{e},{s},{a}"
        for i, (d, e, s, a) in enumerate(
            zip(
                np.random.default_rng(7).integers(1, 3000, 40),
                np.random.default_rng(8).integers(0, 2, 40),
                np.random.default_rng(9).choice(["male", "female"], 40),
                np.random.default_rng(10).integers(30, 85, 40),
                strict=True,
            )
        )
    ]
    head = HEAD + ",sex,age"
    plain = csv(*lines, head=head)
    text = plain.decode()
    quoted = "\n".join(",".join(f'"{c}"' for c in ln.split(",")) for ln in text.splitlines())
    commented = "# exported by hand\n" + text.replace("\n", "\n\n", 3) + "# end\n"
    return {
        "plain": plain,
        "BOM": b"\xef\xbb\xbf" + plain,
        "CRLF": text.replace("\n", "\r\n").encode(),
        "BOM+CRLF": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        "semicolon": text.replace(",", ";").encode(),
        "tab": text.replace(",", "\t").encode(),
        "all quoted": (quoted + "\n").encode(),
        "comments and blank lines": commented.encode(),
        "Windows-1252 comment": ("# café\n" + text).encode("cp1252"),
        "spaces around cells": text.replace(",", " , ").encode(),
    }


VARIANTS = _variants()


def test_encodings_delimiters_and_line_ends_import_the_same_rows(db):
    """Harmless format differences give the same stored rows (no '\\r' or BOM in a value)."""
    got = {}
    for i, (name, data) in enumerate(VARIANTS.items()):
        cid = f"v{i}"
        r = import_file(data, cid, filename="p.csv", db=db)
        assert r.ok, (name, messages(r.problems)[:3])
        got[name] = query_rows(
            "SELECT os_days, os_event, sex, age FROM patients WHERE cohort_id = ? "
            "ORDER BY patient_id",
            [cid],
            path=db,
        )
        assert r.pseudonyms["patient_id_in_file"].tolist()[:2] == ["p000", "p001"], name
    first = got["plain"]
    assert len(first) == 40
    assert {k: v == first for k, v in got.items()} == dict.fromkeys(got, True)


def test_numeric_looking_ids_stay_text_distinct_and_exact_in_the_key(db):
    """A reader that types columns must not merge '007' with '7' or '7.0', nor round a long
    id: each is its own patient and the key gives the file's text back."""
    ids = ["007", "7", "7.0", "1e3", "1000", "12345678901234567890123", "0x1", "00"]
    r = import_file(
        csv(*(f"{p},{10 + i},{i % 2}" for i, p in enumerate(ids))), NEW, filename="p.csv", db=db
    )
    assert r.ok, messages(r.problems)[:3]
    assert r.pseudonyms["patient_id_in_file"].tolist() == ids
    assert query_rows("SELECT count(*) FROM patients WHERE cohort_id = ?", [NEW], path=db) == [
        (len(ids),)
    ]


def test_rows_are_numbered_as_in_the_spreadsheet_despite_comments_and_blank_lines(db):
    data = b"# exported 2026\n" + csv("a1,10,1", "# note", "", "a2,-3,0", "", "# x", "a3,zz,1")
    said = messages(import_file(data, NEW, filename="p.csv", db=db).problems)
    assert said[:2] == [
        'os_days row 6: value "-3": days must be >= 0',
        'os_days row 9: value "zz": days must be a whole number',
    ]


def test_missing_value_markers_are_missing_in_optional_and_required_fields(db):
    data = csv(
        "a1,10,1,NA,N/A",
        "a2,11,0,NULL,None",
        "a3,12,1,.,nan",
        "a4,13,0,null,",
        "a5,NA,1,,",
        "a6,14,NULL,,",
        head=HEAD + ",age,sex",
    )
    r = import_file(data, NEW, filename="p.csv", db=db)
    assert messages(r.problems) == [
        'os_days row 6: value "NA": a value is required',
        'os_event row 7: value "NULL": a value is required',
    ]
    ok = import_file(
        csv("a1,10,1,NA,N/A", "a2,11,0,NULL,None", head=HEAD + ",age,sex"),
        NEW,
        filename="p.csv",
        db=db,
    )
    assert ok.ok
    got = query_rows("SELECT age, sex FROM patients WHERE cohort_id = ?", [NEW], path=db)
    assert got == [(None, None), (None, None)]


@pytest.mark.parametrize(
    "name",
    ["../../x'; DROP TABLE patients; --.csv", "noext", "x.CSV", "", None, "x.txt", 'a"b.csv'],
)
def test_hostile_upload_names_are_harmless_and_not_stored(db, name):
    r = import_file(csv("a1,10,1"), NEW, filename=name, db=db)
    assert r.ok, messages(r.problems)
    texts = repr(query_rows("SELECT * FROM cohorts WHERE cohort_id = ?", [NEW], path=db))
    texts += repr(query_rows("SELECT * FROM import_log WHERE cohort_id = ?", [NEW], path=db))
    assert "DROP" not in texts and "noext" not in texts and 'a"b' not in texts


TRICKY = {
    "row of empty cells": csv("a1,10,1", ",,", "a2,5,0"),
    "row of spaces": csv("a1,10,1", "   ", "a2,5,0"),
    "blank line then a bad value": csv("a1,10,1", "", "a2,-5,0"),
    "quoted empty id": csv("a1,10,1", '"",5,0'),
    "quoted id with spaces": csv('" a1 ",10,1', "a2,5,0"),
    "space after a closing quote": csv('"a1" ,10,1', "a2,5,0"),
    "doubled quotes in an id": csv('"a""1",10,1'),
    "short row": csv("a1,10,1,male", "a2,5,0", head=HEAD + ",sex"),
    "CRLF and a bad value": csv("a1,10,1", "a2,x,0", eol="\r\n"),
    "NBSP around a number": csv("a1,\u00a010\u00a0,1"),
    "non-ASCII letters in a code": csv("a1,10,1,f\u00e9male", head=HEAD + ",sex"),
    "trailing delimiter on every line": csv("a1,10,1,", "a2,5,0,", head=HEAD + ","),
}


@pytest.mark.parametrize("what", list(TRICKY))
def test_a_comment_line_changes_nothing(db, what):
    """docs/IMPORT.md: a file with a comment line goes through another reader, which gives
    "the same cells and the same row numbers". So adding '# end' at the end of any file must
    not change a single message, the rows stored or the key."""
    data = TRICKY[what]
    got = []
    for cid, body in (("plain", data), ("commented", data + b"# end\n")):
        r = import_file(body, cid, filename="p.csv", db=db)
        stored = query_rows(
            "SELECT * EXCLUDE (cohort_id, patient_id) FROM patients WHERE cohort_id = ? "
            "ORDER BY patient_id",
            [cid],
            path=db,
        )
        key = r.pseudonyms[["row", "patient_id_in_file"]].values.tolist() if r.ok else None
        got.append((r.ok, messages(r.problems), stored, key))
    assert got[0] == got[1]


# ------------------------------------------------------------------------------ CLI


CLI_CASES = [
    c
    for c in CATALOGUE
    if c[0]
    in {
        "missing required column",
        "empty file",
        "header only",
        "NUL in a value",
        "duplicated column name",
        "SQL as the cohort id",
        "duplicate id differing in spaces",
        "bytes neither UTF-8 nor cp1252",
        "file cut inside a quote",
        "SQL in a column name",
    }
]


@pytest.mark.parametrize(
    ("what", "data", "cohort", "words"), CLI_CASES, ids=[c[0] for c in CLI_CASES]
)
def test_cli_refusal_exit_2_problem_table_no_traceback(
    db, tmp_path, capsys, what, data, cohort, words
):
    f = tmp_path / "in.csv"
    f.write_bytes(data)
    before = state(db)
    rc, out, err = cli(["import", str(f), "--cohort", cohort, "--db", str(db)], capsys)
    assert rc == 2, (rc, err[-500:])
    assert out == "" and "Traceback" not in err
    assert "Nothing was imported" in err and "the database was not changed" in err
    for w in words:
        cell = re.fullmatch(r"(\S+) row (\d+)", w)  # in the table: column, then row
        found = re.search(rf"{cell[1]}\s+{cell[2]}\b", err) if cell else w in err
        assert found, (w, err[-500:])
    assert str(db.parent) not in err  # no server path
    assert state(db) == before


def test_cli_in_a_fresh_process_exit_2_and_no_traceback(db, tmp_path):
    """Once through a real ``python -m core`` (no in-process exception handling to lean on)."""
    f = tmp_path / "dup.csv"
    f.write_bytes(csv("a1,10,1", "a1,5,0"))
    before = state(db)
    env = {**os.environ, DB_ENV: str(db)}
    env.pop("NET_EXPLORER_DEBUG", None)
    p = subprocess.run(
        [sys.executable, "-m", "core", "import", str(f), "--cohort", NEW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "patient_id row 3" in p.stderr and "duplicate patient_id" in p.stderr
    assert state(db) == before


def test_cli_file_missing_a_directory_or_a_dangling_link_is_one_sentence(db, tmp_path, capsys):
    before = state(db)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    link = tmp_path / "dangling.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    for path in (tmp_path / "absent.csv", folder, link):
        rc, out, err = cli(["import", str(path), "--cohort", NEW, "--db", str(db)], capsys)
        assert rc in (2, 3) and "Traceback" not in err and err.startswith("error:")
        assert len(err.strip().splitlines()) <= 2
    assert state(db) == before


def test_cli_file_that_vanishes_after_the_check_is_one_sentence(db, tmp_path, capsys, monkeypatch):
    """The file disappears between the command's existence check and the read (a race)."""
    gone = tmp_path / "gone.csv"
    real = Path.is_file
    monkeypatch.setattr(Path, "is_file", lambda self: self == gone or real(self))
    before = state(db)
    rc, out, err = cli(["import", str(gone), "--cohort", NEW, "--db", str(db)], capsys)
    assert rc in (2, 3) and "Traceback" not in err and err.startswith("error:")
    assert state(db) == before


def test_cli_cr_only_line_ends_are_not_an_unexpected_problem(db, tmp_path, capsys):
    f = tmp_path / "mac.csv"
    f.write_bytes(csv("a1,10,1", "a2,5,0", eol="\r"))
    rc, _out, err = cli(["import", str(f), "--cohort", NEW, "--db", str(db)], capsys)
    assert rc in (0, 2), err
    assert "unexpected problem" not in err


def test_cli_quotes_sql_and_path_tricks_in_names_stay_data(db, tmp_path, capsys):
    """Folder, file, --db, --title, --map and output paths holding quotes, semicolons, '--',
    '../' and DuckDB calls: the import works, the text is stored only where it belongs (the
    title, verbatim), and nothing else in the database changed."""
    weird = tmp_path / 'it\'s "x"; DROP TABLE patients; --' / "sub"
    weird.mkdir(parents=True)
    src = weird / ".." / "o'k; read_csv('etc-passwd') --.csv"
    col = f"days{SQL}"
    src.write_bytes(csv("a1,10,1", "a2,20,0", head=f'patient_id,"{col}",os_event'))
    dbdir = tmp_path / "db'; getenv('HOME') --"
    dbdir.mkdir()
    wdb = dbdir / "c'o\"h.duckdb"
    shutil.copy(db, wdb)
    others = query_rows("SELECT cohort_id, count(*) FROM patients GROUP BY 1 ORDER BY 1", path=wdb)
    title = f"=HYPERLINK(\"http://evil\"){SQL} read_csv('/etc/passwd') getenv('HOME')"
    key = weird / "k'ey; --.csv"
    probs = weird / "p'robs.csv"
    rc, out, err = cli(
        [
            "import",
            str(src),
            "--cohort",
            "weird",
            "--db",
            str(wdb),
            "--title",
            title,
            "--map",
            f"{col}=os_days",
            "--mapping-out",
            str(key),
            "--problems-csv",
            str(probs),
        ],
        capsys,
    )
    assert rc == 0, err
    assert "Traceback" not in err and str(dbdir) not in out
    stored = query_rows("SELECT title FROM cohorts WHERE cohort_id = 'weird'", path=wdb)
    assert stored == [(title,)]
    after = query_rows("SELECT cohort_id, count(*) FROM patients GROUP BY 1 ORDER BY 1", path=wdb)
    assert [r for r in after if r[0] != "weird"] == others
    assert ("weird", 2) in after
    assert query_rows(
        "SELECT os_days FROM patients WHERE cohort_id = 'weird' ORDER BY 1", path=wdb
    ) == [(10,), (20,)]
    # neither the file's name nor its folder is stored
    texts = repr(query_rows("SELECT * EXCLUDE (title) FROM cohorts", path=wdb)) + repr(
        query_rows("SELECT * FROM import_log", path=wdb)
    )
    assert [w for w in ("o'k", "etc-passwd", "DROP TABLE", "sub") if w in texts] == []
    assert key.is_file() and probs.is_file()


TX_HEAD = "patient_id,cycle,day,activity_mbq"
TX_CASES = [
    (
        "treatment for a patient not in the file",
        csv("zz,1,0,7400", head=TX_HEAD),
        ["treatments.patient_id", "no such patient_id"],
    ),
    (
        "cycle given twice",
        csv("a1,1,0,7400", "a1,1,5,7400", head=TX_HEAD),
        ["treatments.cycle", "already given"],
    ),
    ("SQL in a treatment value", csv(f'a1,1,"{SQL}",7400', head=TX_HEAD), ["treatments.day"]),
    ("treatment after death", csv("a1,1,99,7400", head=TX_HEAD), ["treatments.day"]),
    ("NUL in the treatments", csv("a1,1,0,74\x0000", head=TX_HEAD), ["control character"]),
    ("empty treatments file", b"", ["treatments"]),
]


@pytest.mark.parametrize(("what", "tx", "words"), TX_CASES, ids=[c[0] for c in TX_CASES])
def test_bad_treatments_file_is_refused_and_the_database_byte_identical(db, what, tx, words):
    before = state(db)
    r = import_file(
        csv("a1,10,1", "a2,20,0"),
        NEW,
        filename="p.csv",
        db=db,
        treatments=tx,
        treatments_filename="t.csv",
    )
    assert not r.ok and "Traceback" not in r.summary()
    said = messages(r.problems)
    for w in words:
        assert any(w in m for m in said), (w, said[:4])
    assert state(db) == before


MAP_CASES = [
    (
        ["--map", "Survival=patient_id", "--map", "id=patient_id"],
        "Survival,id,os_days,os_event",
        "patient_id",
    ),
    (["--map", "MRN=patient_id"], "MRN,os_days,os_event", "MRN"),
    (
        ["--map", "days=os_days'); DROP TABLE patients; --"],
        "patient_id,days,os_event",
        "not a field of the data model",
    ),
    (["--map", "=os_days"], "patient_id,days,os_event", "expected COLUMN=FIELD"),
    (["--drop", "patient_id"], HEAD, "patient_id"),
    (["--map", "nosuchcolumn=os_days"], "patient_id,days,os_event", "days"),
]


@pytest.mark.parametrize(
    ("args", "head", "word"), MAP_CASES, ids=[" ".join(c[0]) for c in MAP_CASES]
)
def test_cli_hostile_mappings_exit_2_with_a_sentence(db, tmp_path, capsys, args, head, word):
    f = tmp_path / "m.csv"
    f.write_bytes(csv("a1,10,1", head=head))
    before = state(db)
    rc, out, err = cli(["import", str(f), "--cohort", NEW, "--db", str(db), *args], capsys)
    assert rc == 2 and out == "" and "Traceback" not in err and word in err, err[-400:]
    assert state(db) == before


def test_cli_db_that_is_not_a_database_is_one_sentence_and_untouched(tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("a1,10,1"))
    fake = tmp_path / "fake.duckdb"
    fake.write_bytes(csv("x1,1,1"))  # a CSV where the database should be
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    for target in (fake, folder, tmp_path / "absent.duckdb"):
        was = fake.read_bytes()
        rc, out, err = cli(["import", str(f), "--cohort", NEW, "--db", str(target)], capsys)
        assert rc in (2, 3) and "Traceback" not in err and err.startswith("error:"), err
        assert fake.read_bytes() == was
    assert not (tmp_path / "absent.duckdb").exists()


OUT_TARGETS = [
    "database",
    "database via a symlink",
    "database via '..'",
    "database's WAL",
    "a writer's copy",
    "input file",
    "input via a hard link",
    "treatments file",
    "default database (no --db)",
]


@pytest.mark.parametrize("good", [False, True], ids=["failed import", "good import"])
@pytest.mark.parametrize("flag", ["--problems-csv", "--mapping-out"])
@pytest.mark.parametrize("which", OUT_TARGETS)
def test_cli_output_files_never_overwrite_the_database_or_the_input(
    db, tmp_path, capsys, flag, which, good
):
    """Found by the red team (fixed in core/commands/import_.py): --problems-csv or
    --mapping-out naming the database overwrote it (a failed import then said 'the database
    was not changed'), or the input file. Any spelling of those paths is refused, exit 2,
    before anything is written."""
    f = tmp_path / "p.csv"
    data = csv("a1,10,1") if good else csv("a1,-3,1")
    f.write_bytes(data)
    t = tmp_path / "t.csv"
    tx = csv("a1,1,0,7400", head="patient_id,cycle,day,activity_mbq")
    t.write_bytes(tx)
    link = tmp_path / "link.duckdb"
    link.symlink_to(db)
    hard = tmp_path / "hard.csv"
    os.link(f, hard)
    target = {
        "database": db,
        "database via a symlink": link,
        "database via '..'": db.parent / ".." / db.parent.name / db.name,
        "database's WAL": Path(f"{db}.wal"),
        "a writer's copy": Path(f"{db}.tmp{os.getpid() + 1}"),
        "input file": f,
        "input via a hard link": hard,
        "treatments file": t,
        "default database (no --db)": db,
    }[which]
    db_args = [] if which.startswith("default") else ["--db", str(db)]
    before = state(db)
    rc, out, err = cli(
        ["import", str(f), "--cohort", NEW, *db_args, "--treatments", str(t), flag, str(target)],
        capsys,
    )
    assert rc == 2 and out == "" and "Traceback" not in err, (rc, err[-300:])
    assert err.startswith("error:") and flag in err
    assert f.read_bytes() == data and t.read_bytes() == tx and hard.read_bytes() == data
    assert state(db) == before
    assert not Path(f"{db}.wal").exists() and link.is_symlink()


def test_cli_problems_csv_and_key_cannot_be_one_file(db, tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("a1,10,1"))
    both = tmp_path / "out.csv"
    before = state(db)
    rc, _out, err = cli(
        [
            "import",
            str(f),
            "--cohort",
            NEW,
            "--db",
            str(db),
            "--problems-csv",
            str(both),
            "--mapping-out",
            str(tmp_path / "." / "out.csv"),
        ],
        capsys,
    )
    assert rc == 2 and "Traceback" not in err and not both.exists()
    assert state(db) == before


# ------------------------------------------------------------------------------ formula cells


FORMULAS = [
    '=HYPERLINK("http://evil.example/?x","click")',
    "+1+1",
    "-1+A1",
    "@SUM(A1)",
    "=cmd|' /C calc'!A0",
]


def test_problems_csv_neutralises_formulas_in_column_names_and_values(db, tmp_path, capsys):
    head = HEAD + ",sex," + ",".join(f'"{f.replace(chr(34), chr(34) * 2)}"' for f in FORMULAS)
    lines = [
        f'a{i},10,1,"{f.replace(chr(34), chr(34) * 2)}"' + ",x" * len(FORMULAS)
        for i, f in enumerate(FORMULAS)
    ]
    f = tmp_path / "f.csv"
    f.write_bytes(csv(*lines, head=head))
    out = tmp_path / "problems.csv"
    before = state(db)
    rc, _o, err = cli(
        ["import", str(f), "--cohort", NEW, "--db", str(db), "--problems-csv", str(out)], capsys
    )
    assert rc == 2
    cells = csv_cells(out.read_bytes())
    assert [c for c in cells if is_formula(c)] == []
    # the formulas are there, neutralised (so the test cannot pass on an empty file)
    assert sum(c.startswith("'") and c[1:] in FORMULAS for c in cells) >= 2 * len(FORMULAS) - 1
    assert state(db) == before


def test_treatment_file_formulas_are_neutralised_too(db, tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("a1,10,1"))
    t = tmp_path / "t.csv"
    t.write_bytes(csv('a1,1,"=1+2"', 'a1,2,"@SUM(1)"', head='patient_id,cycle,"=HYPERLINK(""x"")"'))
    out = tmp_path / "problems.csv"
    rc, _o, _e = cli(
        [
            "import",
            str(f),
            "--cohort",
            NEW,
            "--db",
            str(db),
            "--treatments",
            str(t),
            "--problems-csv",
            str(out),
        ],
        capsys,
    )
    assert rc == 2
    cells = csv_cells(out.read_bytes())
    assert [c for c in cells if is_formula(c)] == []
    assert any("HYPERLINK" in c for c in cells)


def test_pseudonym_key_csv_has_no_formula_cell(db, tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("1-1,10,1", "2E5,5,0", "a.b,3,1", "x_1,4,0"))
    key = tmp_path / "key.csv"
    rc, _o, err = cli(
        ["import", str(f), "--cohort", NEW, "--db", str(db), "--mapping-out", str(key)], capsys
    )
    assert rc == 0, err
    cells = csv_cells(key.read_bytes())
    assert "1-1" in cells and [c for c in cells if is_formula(c)] == []


# ------------------------------------------------------------------------------ privacy


IDENTIFIERS = {
    "os_days": "123-45-6789",
    "sex": "jane.doe@example.org",
    "age": "(555) 123-4567",
    "pfs_imaging_days": "2014-03-12",
    "grade": "12 Mar 2014",
}


def test_identifier_shaped_values_are_masked_in_every_message(db, tmp_path, capsys):
    """Whatever rule a column's own type would fire first, a value shaped like an identifier
    is reported masked: problem table, one-line messages, summary, CLI stderr, problems CSV."""
    cols = list(IDENTIFIERS)
    head = "patient_id," + ",".join(["os_event", *cols])
    line = "a1,1," + ",".join(f'"{IDENTIFIERS[c]}"' for c in cols)
    data = csv(line, "b2,0,10,,,,", head=head)
    r = import_file(data, NEW, filename="p.csv", db=db)
    assert not r.ok
    shown = [repr(r.problems.to_dict("records")), *messages(r.problems), r.summary()]
    f = tmp_path / "id.csv"
    f.write_bytes(data)
    out = tmp_path / "problems.csv"
    rc, o, err = cli(
        ["import", str(f), "--cohort", NEW, "--db", str(db), "--problems-csv", str(out)], capsys
    )
    assert rc == 2
    shown += [o, err, out.read_bytes().decode("utf-8-sig")]
    for col, value in IDENTIFIERS.items():
        assert any(col in m and "row 2" in m for m in messages(r.problems)), col
        for text in shown:
            assert value not in text, (col, value)
    for digits in ("6789", "4567", "2014"):
        assert all(digits not in t for t in shown), digits


def test_identifier_shaped_patient_ids_are_masked_and_not_stored(db):
    ids = ["jane@example.org", "123-45-6789", "555-123-4567"]
    r = import_file(csv(*(f"{p},10,1" for p in ids)), NEW, filename="p.csv", db=db)
    assert not r.ok
    text = repr(r.problems.to_dict("records")) + " ".join(messages(r.problems)) + r.summary()
    assert [p for p in ids if p in text] == []
    assert [m for m in messages(r.problems) if m.startswith("patient_id row ")]


def test_values_of_an_unmapped_free_text_column_are_not_echoed(db):
    data = csv("a1,10,1,Jane Doe 12 Main St", "a2,5,0,John Roe", head=HEAD + ",notes")
    r = import_file(data, NEW, filename="p.csv", db=db)
    assert not r.ok
    text = repr(r.problems.to_dict("records")) + r.summary()
    assert "notes" in text and "Jane" not in text and "Roe" not in text


# ------------------------------------------------------------------------------ readers

READER = r"""
import sys, time, traceback
from core.data.db import query_rows
db, stop = sys.argv[1], sys.argv[2]
import os
seen, errors, n = set(), [], 0
SQL = ("SELECT (SELECT count(*) FROM patients WHERE cohort_id = 'live'), "
       "(SELECT max(n_patients) FROM cohorts WHERE cohort_id = 'live'), "
       "(SELECT count(*) FROM treatments WHERE cohort_id = 'live'), "
       "(SELECT count(*) FROM patients)")
while not os.path.exists(stop):
    try:
        seen.add(tuple(query_rows(SQL, path=db)[0]))
        n += 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.005)
print(repr((sorted(seen, key=repr), errors[:5], n)))
"""


def test_a_reader_in_another_process_sees_old_or_new_never_half(db, tmp_path):
    base = query_rows("SELECT count(*) FROM patients", path=db)[0][0]
    close_all()
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)  # the reader is querying
        tx = csv(
            *(f"s{i:05d},1,0,7400" for i in range(0, 300, 3)),
            head="patient_id,cycle,day,activity_mbq",
        )
        steps = [
            (csv(*rows(300)), False, True),
            (csv(*rows(500, seed=2)), True, True),
            (csv(*rows(800, seed=3), "s00001,5,1"), True, False),  # duplicate: refused
            (csv(*rows(300)), True, True),
        ]
        for data, replace, ok in steps:
            r = import_file(
                data,
                "live",
                filename="p.csv",
                db=db,
                replace=replace,
                treatments=tx if replace and ok else None,
                treatments_filename="t.csv",
            )
            assert r.ok is ok, messages(r.problems)[:3]
            time.sleep(0.3)
        time.sleep(0.3)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    seen, errors, n = eval(out.strip().splitlines()[-1])  # noqa: S307 - our own repr
    assert errors == [] and "Traceback" not in err, (errors, err[-500:])
    assert n > 20
    allowed = {
        (0, None, 0, base),
        (300, 300, 0, base + 300),
        (500, 500, 100, base + 500),
        (300, 300, 100, base + 300),
    }
    assert set(seen) <= allowed, set(seen) - allowed
    assert len(set(seen)) >= 2  # it did see an import happen


# ------------------------------------------------------------------------------ the page


def _page():
    from streamlit import config

    from tests.app.conftest import run_page

    config.set_option("client.showErrorDetails", "full")
    at = run_page("pages/import.py")
    assert not at.exception
    return at


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="imp_file").set_value((name, data, "text/csv"))
    at.run()
    return at


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


PAGE_CASES = [
    ("empty", b"", "empty"),
    ("header only", csv(), "no data rows"),
    ("NUL", csv("a1,1\x000,1"), "error"),
    ("duplicated column", csv("a1,10,1,3", head=HEAD + ",os_days"), "error"),
    ("PNG named csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "error"),
    ("one value too many on every row", csv("a1,10,1,0", "a2,20,0,1"), "row 2"),
]


@pytest.mark.parametrize(
    ("what", "data", "words"), PAGE_CASES, ids=lambda v: v if isinstance(v, str) else ""
)
def test_page_hostile_upload_shows_an_error_not_an_exception(db, what, data, words):
    before = state(db)
    at = _upload(_page(), "upload.csv", data)
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="imp_go").disabled
    errs = " ".join(_errors(at))
    assert "error" in errs and words in errs + " ".join(
        str(df.value.to_dict("records")) for df in at.dataframe
    )
    assert state(db) == before


def test_page_cr_only_line_ends_are_read_not_an_exception(db):
    """Found by the red team (fixed): CR-only line ends raised on the page. Now read like
    any other line ends: rows numbered as in the file, a bad value named."""
    at = _upload(_page(), "mac.csv", csv("a1,10,1", "a2,5,0", eol="\r"))
    assert not at.exception, [e.value for e in at.exception]
    assert any("No problems found in 2 rows" in e.value for e in at.success)
    at = _upload(_page(), "mac.csv", csv("a1,10,1", "a2,x,0", eol="\r"))
    assert not at.exception
    rules = _frame_rows(at)
    assert any(r["column"] == "os_days" and r["row"] == 3 for r in rules), rules


def _frame_rows(at) -> list[dict]:
    return [
        r
        for df in at.dataframe
        if "severity" in df.value.columns
        for r in df.value.to_dict("records")
    ]


def test_page_refused_targets_leave_the_database_byte_identical(db, default_id):
    at = _upload(_page(), "ok.csv", csv(*rows(20)))
    assert not at.exception
    before, stamps = state(db), versions(db)
    clicked = 0
    for cid in (f"x{SQL}", default_id, "a'b", "read_csv('/etc/passwd')"):
        at.text_input(key="imp_cohort").input(cid).run()
        if at.button(key="imp_go").disabled:
            continue
        at.button(key="imp_go").click().run()
        clicked += 1
        assert not at.exception, cid
        assert _errors(at), cid
        assert "Traceback" not in " ".join(_errors(at))
    assert clicked == 4
    assert state(db) == before and versions(db) == stamps


def _texts(at) -> str:
    parts = [
        e.value
        for kind in ("success", "info", "warning", "error", "caption", "markdown")
        for e in at.get(kind)
    ]
    parts += [str(df.value.to_dict("records")) for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_page_protected_cohort_list_hides_a_small_imported_cohort(db):
    """Protected mode (the default): the page's cohort list shows '<11' for an 8-patient
    imported cohort."""
    at = _upload(_page(), "tiny.csv", csv(*rows(8)))
    at.text_input(key="imp_cohort").input("tiny").run()
    at.button(key="imp_go").click().run()
    assert not at.exception
    listed = next(df.value for df in at.dataframe if "Data version" in df.value.columns)
    row = listed[listed["Cohort"] == "tiny"]
    assert row["Patients"].tolist() == ["<11"]


def test_page_protected_removal_shows_no_small_count(db):
    assert import_file(csv(*rows(8)), "tiny", filename="p.csv", db=db).ok
    close_all()
    at = _page()
    at.selectbox(key="del_cohort").set_value("tiny").run()
    at.text_input(key="del_confirm").input("tiny").run()
    at.button(key="del_go").click().run()
    assert not at.exception
    text = _texts(at)
    assert "Deleted cohort tiny" in text
    assert "8 patients" not in text


def test_page_locked_database_is_a_sentence_without_the_server_path(db):
    """Another writer holds the database: the page says so, shows no exception, writes
    nothing; and, like the import summary, it names no server path."""
    import fcntl

    at = _upload(_page(), "ok.csv", csv(*rows(20)))
    at.text_input(key="imp_cohort").input("locked").run()
    before = state(db)
    fd = os.open(db.with_name(db.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        at.button(key="imp_go").click().run()
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert not at.exception
    errs = " ".join(_errors(at))
    assert "another import" in errs
    assert state(db) == before
    assert str(db.parent) not in _texts(at), errs


def test_page_protected_replace_shows_no_small_count_of_the_old_cohort(db):
    assert import_file(csv(*rows(8)), "tiny", filename="p.csv", db=db).ok
    close_all()
    at = _upload(_page(), "new.csv", csv(*rows(30, seed=5)))
    at.text_input(key="imp_cohort").input("tiny").run()
    at.checkbox(key="imp_replace").check().run()
    at.button(key="imp_go").click().run()
    assert not at.exception
    text = _texts(at)
    assert "Replaced cohort tiny" in text
    assert "8 patients" not in text


def test_page_commit_with_the_page_functions_refuses_a_cohort_made_meanwhile(db):
    """The page checks the file, then another import takes the id before the click: the
    commit refuses (the id is re-checked inside the write) and the database keeps the other
    import only."""
    prepared = prepare(read_input(csv(*rows(20)), "p.csv"))
    assert prepared.ok
    assert import_file(csv(*rows(5, seed=4)), "race", filename="q.csv", db=db).ok
    before, stamps = state(db), versions(db)
    r = commit(prepared, "race", db=db)
    assert not r.ok and any("already exists" in m for m in messages(r.problems))
    assert state(db) == before and versions(db) == stamps
