"""Hostile input to the importer (issue 18): each test is an attack recipe made into code.

Identifier-shaped patient ids, control characters, undecodable bytes, leading '-' ids, an XLSX
zip bomb, a read-only folder, a full disk, killed imports, leaked connections, formula cells in
the problems CSV, the example file's provenance, markdown in titles, the server path in the
summary. Every refusal must be a sentence (no traceback) and leave the database unchanged.
"""

from __future__ import annotations

import csv as csvmod
import errno
import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

import core.data.db as core_db
from core.cli import main
from core.cohorts import importer
from core.cohorts.importer import delete_cohort, import_file, messages, prepare, read_input
from core.data import store
from core.data.db import list_cohorts, query_rows

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "data" / "import_example.csv"
HEAD = "patient_id,os_days,os_event"


def csv(*lines: str, head: str = HEAD) -> bytes:
    return ("\n".join([head, *lines]) + "\n").encode()


def msgs(data: bytes, filename: str = "t.csv") -> list[str]:
    return messages(prepare(read_input(data, filename)).problems)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def strays(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if ".tmp" in p.name)


# ------------------------------------------------------------------ pseudonyms, not file ids

IDENTIFIER_IDS = [
    "123456789",  # SSN without dashes
    "5551234567",  # unseparated phone number
    "Jane.Doe",
    "19650312",  # date of birth
    "MRN-00123456",
    "12345-6789",  # ZIP+4
    "9434765919",  # NHS number
]


def test_the_file_patient_id_is_never_stored_only_a_study_pseudonym(db):
    lines = [f"{pid},{100 + i},1" for i, pid in enumerate(IDENTIFIER_IDS)]
    tx = csv(
        f"{IDENTIFIER_IDS[2]},1,0,7400",
        f"{IDENTIFIER_IDS[0]},1,0,7400",
        head="patient_id,cycle,day,activity_mbq",
    )
    report = import_file(
        csv(*lines), "ids", filename="p.csv", db=db, treatments=tx, treatments_filename="t.csv"
    )
    assert report.ok, messages(report.problems)
    stored = [
        r[0]
        for r in query_rows(
            "SELECT patient_id FROM patients WHERE cohort_id = 'ids' ORDER BY 1", path=db
        )
    ]
    assert stored == [f"ids-{i:04d}" for i in range(1, len(IDENTIFIER_IDS) + 1)]
    everything = repr(
        query_rows("SELECT * FROM patients WHERE cohort_id = 'ids'", path=db)
        + query_rows("SELECT * FROM treatments WHERE cohort_id = 'ids'", path=db)
    )
    for pid in IDENTIFIER_IDS:
        assert pid not in everything
    # the user keeps the mapping: file id -> pseudonym, in file order, with the row number
    m = report.pseudonyms
    assert list(m.columns) == ["row", "patient_id_in_file", "study_id"]
    assert m["patient_id_in_file"].tolist() == IDENTIFIER_IDS
    assert m["row"].tolist() == list(range(2, 2 + len(IDENTIFIER_IDS)))
    # treatments follow their patient
    tx_rows = query_rows(
        "SELECT patient_id FROM treatments WHERE cohort_id = 'ids' ORDER BY 1", path=db
    )
    assert tx_rows == [("ids-0001",), ("ids-0003",)]


def test_cli_writes_the_mapping_file_only_when_asked(db, tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("Jane.Doe,10,1", "x2,20,0"))
    out = tmp_path / "keep" / "mapping.csv"
    out.parent.mkdir()
    assert (
        main(["import", str(f), "--cohort", "c1", "--db", str(db), "--mapping-out", str(out)]) == 0
    )
    rows = list(csvmod.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["row", "patient_id_in_file", "study_id"]
    assert rows[1:] == [["2", "Jane.Doe", "c1-0001"], ["3", "x2", "c1-0002"]]
    assert "pseudonym" in capsys.readouterr().out


# ------------------------------------------------------------------ control characters, bytes


def test_nul_inside_a_cell_is_refused_naming_row_and_column(db):
    data = b"patient_id,os_days,os_event\np1,1\x002559,1\np2,30,0\n"
    got = msgs(data)
    assert any(m.startswith("os_days row 2:") and "control character" in m for m in got), got
    before = sha(db)
    assert not import_file(data, "nul", filename="n.csv", db=db).ok
    assert sha(db) == before


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f"])
def test_control_characters_anywhere_are_refused(char):
    data = f"patient_id,os_days,os_event,notes\np1,10,1,a{char}b\n".encode()
    got = msgs(data)
    assert any(m.startswith("notes row 2:") and "control character" in m for m in got), got


def test_bytes_neither_utf8_nor_cp1252_give_a_message_not_a_crash(db):
    data = b"patient_id,os_days,os_event\np\x81x,10,1\n"
    got = msgs(data)
    assert any("neither UTF-8 nor Windows-1252" in m for m in got), got
    before = sha(db)
    r = import_file(data, "enc", filename="e.csv", db=db)
    assert not r.ok and sha(db) == before


def test_ids_must_start_with_a_letter_or_digit(db):
    got = msgs(csv("-A1,10,1", "_b,10,1", "ok1,10,1"))
    assert [m.split(":")[0] for m in got] == ["patient_id row 2", "patient_id row 3"]
    assert all("start with a letter or digit" in m for m in got)
    for bad in ("-", "-abc"):
        r = import_file(csv("a1,10,1"), bad, filename="p.csv", db=db)
        assert not r.ok
        assert "start with a letter or digit" in messages(r.problems)[0]


# ------------------------------------------------------------------ XLSX zip bomb


def _bomb(tmp_path: Path, rows: int, same: bool = True) -> bytes:
    """A valid XLSX whose one sheet inflates to ``rows`` rows (identical rows: a zip bomb)."""
    wb = openpyxl.Workbook()
    wb.active.append(["patient_id", "os_days", "os_event"])
    wb.active.append(["p1", 10, 1])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    cells = '<c t="inlineStr"><is><t>{}</t></is></c><c><v>10</v></c><c><v>1</v></c>'
    body = "".join(
        f"<row>{cells.format('p1' if same else f'p{r}')}</row>" for r in range(2, rows + 2)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>patient_id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>os_days</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>os_event</t></is></c></row>'
        f"{body}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet.encode()
            z.writestr(info.filename, data)
    return out.getvalue()


def test_xlsx_zip_bomb_is_refused_from_the_archive_sizes_within_seconds(db, tmp_path, monkeypatch):
    data = _bomb(tmp_path, 200_000)  # ~20 MB of XML in well under 1 MB of zip
    assert len(data) < 200_000
    monkeypatch.setattr(importer, "MAX_XLSX_UNCOMPRESSED", 5_000_000)
    t0 = time.perf_counter()
    got = msgs(data, "bomb.xlsx")
    assert time.perf_counter() - t0 < 3
    assert any("uncompressed" in m and "refused" in m for m in got), got
    before = sha(db)
    assert not import_file(data, "bomb", filename="bomb.xlsx", db=db).ok
    assert sha(db) == before


def test_xlsx_row_count_is_limited_while_streaming(tmp_path, monkeypatch):
    data = _bomb(tmp_path, 5_000, same=False)
    monkeypatch.setattr(importer, "MAX_ROWS", 1_000)
    got = msgs(data, "rows.xlsx")
    assert any("more than 1,000 rows" in m for m in got), got


def test_xlsx_compression_ratio_is_checked(tmp_path):
    data = _bomb(tmp_path, 200_000)
    got = msgs(data, "ratio.xlsx")  # default limits: the ratio gives it away
    assert any("compression" in m for m in got), got


# ------------------------------------------------------------------ disk faults


def _half_then_enospc(src: Path, dst: Path) -> None:
    with open(src, "rb") as a, open(dst, "wb") as b:
        b.write(a.read(os.path.getsize(src) // 2))
    raise OSError(errno.ENOSPC, "No space left on device")


def _read_only(src: Path, dst: Path) -> None:
    raise OSError(errno.EROFS, "Read-only file system", str(dst))


@pytest.mark.parametrize("fault", [_half_then_enospc, _read_only])
def test_full_disk_or_read_only_folder_exit_3_with_a_sentence_and_no_copy(
    db, tmp_path, monkeypatch, capsys, fault
):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("a1,10,1", "a2,20,0"))
    before = sha(db)
    monkeypatch.setattr(store.shutil, "copy2", fault)
    code = main(["import", str(f), "--cohort", "disk", "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 3
    assert "Traceback" not in err and err.startswith("error: ")
    assert "nothing was written" in err
    assert sha(db) == before
    assert strays(db) == []


def test_read_only_folder_at_the_lock_file(db, tmp_path, monkeypatch, capsys):
    f = tmp_path / "p.csv"
    f.write_bytes(csv("a1,10,1"))

    def no(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(store, "_open_lock", no)
    assert main(["import", str(f), "--cohort", "ro", "--db", str(db)]) == 3
    assert main(["delete-cohort", "--cohort", "nguyen-2004", "--db", str(db), "--force"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "cannot write" in err


def test_a_killed_import_leaves_no_copy_behind_after_the_next_import(db):
    dead = db.with_name(db.name + ".tmp999999")  # pid far above pid_max: not running
    dead.write_bytes(b"x" * 1000)
    Path(f"{dead}.wal").write_bytes(b"x")
    live = db.with_name(db.name + f".tmp{os.getppid()}")  # a running process, recent: kept
    live.write_bytes(b"y")
    assert import_file(csv("a1,10,1"), "after", filename="p.csv", db=db).ok
    assert strays(db) == [live.name]


def test_retired_connections_are_closed_after_imports(db):
    for i in range(4):
        query_rows("SELECT count(*) FROM cohorts", path=db)
        assert import_file(csv(f"a{i},10,1"), f"c{i}", filename="p.csv", db=db).ok
    query_rows("SELECT count(*) FROM cohorts", path=db)
    assert len(core_db._retired) <= 1


# ------------------------------------------------------------------ formula cells in CSVs


def test_problems_csv_neutralises_formula_cells(db, tmp_path):
    f = tmp_path / "evil.csv"
    f.write_bytes(
        b"patient_id,os_days,os_event,sex,@SUM(A1)\n"
        b'p1,"=HYPERLINK(""http://x"")",1,+cmd,1\n'
        b"p2,-3,1,\tx,1\n"
    )
    out = tmp_path / "problems.csv"
    assert (
        main(["import", str(f), "--cohort", "e", "--db", str(db), "--problems-csv", str(out)]) == 2
    )
    cells = [
        c for row in csvmod.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))) for c in row
    ]
    assert any("HYPERLINK" in c for c in cells) and any("cmd" in c for c in cells)
    assert [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")] == []
    assert [c for c in cells if c.startswith("-") and c != "-3"] == []


# ------------------------------------------------------------------ provenance of the example


def test_the_project_example_file_keeps_provenance_synthetic(db):
    r = import_file(EXAMPLE, "example", db=db)
    assert r.ok and r.provenance == "synthetic"
    info = {c.cohort_id: c for c in list_cohorts(db)}["example"]
    assert info.provenance == "synthetic"
    assert "synthetic" in r.summary()
    # imported by a user, so it can be removed again without --force
    assert "example" in importer.removable_cohorts(db)
    delete_cohort("example", db)


def test_a_real_file_cannot_claim_synthetic_provenance(db):
    data = EXAMPLE.read_bytes().replace(b",1765,", b",1766,")  # one value changed
    assert data.rstrip().splitlines()[-1].startswith(b"# provenance: synthetic")
    r = import_file(data, "claims", filename="mine.csv", db=db)
    assert r.ok and r.provenance == "imported"
    assert any("provenance" in m for m in messages(r.problems))
    forged = b"# provenance: synthetic\n" + csv("a1,10,1", "a2,20,0")
    r2 = import_file(forged, "forged", filename="f.csv", db=db)
    assert r2.ok and r2.provenance == "imported"
    assert {c.cohort_id: c.provenance for c in list_cohorts(db)}["forged"] == "imported"


# ------------------------------------------------------------------ summary


def test_summary_never_shows_the_server_path(db):
    r = import_file(csv("a1,10,1"), "pathless", filename="p.csv", db=db)
    assert r.ok and str(db) not in r.summary() and str(db.parent) not in r.summary()


# ------------------------------------------------------------------ the catalogue (SECURITY.md)


def _catalogue(tmp_path: Path) -> list[tuple[str, bytes, str, str, str]]:
    """(what, file bytes, file name, cohort id, words of the expected refusal): every one must
    be refused for that reason."""
    ok = csv("a1,10,1")
    wb = openpyxl.Workbook()
    wb.active.append(["patient_id", "os_days", "os_event"])
    buf = io.BytesIO()
    wb.save(buf)
    xlsx = buf.getvalue()
    ctrl = "control character"
    bad = "neither UTF-8 nor Windows-1252"
    start = "start with a letter or digit"
    sex = HEAD + ",sex"
    items = [
        ("NUL inside a number", b"patient_id,os_days,os_event\np1,1\x002559,1\n", "a.csv", ctrl),
        ("NUL inside an id", b"patient_id,os_days,os_event\np\x001,10,1\n", "a.csv", ctrl),
        ("ESC in a cell", b"patient_id,os_days,os_event\np1,10,\x1b1\n", "a.csv", ctrl),
        ("DEL in a cell", b"patient_id,os_days,os_event\np1,10\x7f,1\n", "a.csv", ctrl),
        (
            "control character in a header",
            b"patient_id,os_days,os_event\x01\np1,10,1\n",
            "a.csv",
            ctrl,
        ),
        (
            "bytes neither UTF-8 nor cp1252",
            b"patient_id,os_days,os_event\np\x81,10,1\n",
            "a.csv",
            bad,
        ),
        (
            "undefined cp1252 byte 0x9D",
            b"patient_id,os_days,os_event\np\x9d\xff,10,1\n",
            "a.csv",
            bad,
        ),
        ("patient id -A1", csv("-A1,10,1"), "a.csv", start),
        ("patient id .x", csv(".x,10,1"), "a.csv", start),
        ("cohort id -", ok, "a.csv", start),
        ("cohort id -abc", ok, "a.csv", start),
        ("XLSX zip bomb", _bomb(tmp_path, 200_000), "bomb.xlsx", "compression ratio"),
        ("truncated XLSX", xlsx[: len(xlsx) // 2], "cut.xlsx", "could not be read as an XLSX"),
        ("zip that is no workbook", _zip_of({"a.txt": b"x"}), "z.xlsx", "could not be read"),
        ("SSN-shaped id", csv("123-45-6789,10,1"), "a.csv", "social security number"),
        ("email id", csv("jane@example.org,10,1"), "a.csv", "email address"),
        (
            "date-of-birth column",
            csv("a1,10,1,1965-03-12", head=HEAD + ",dob"),
            "a.csv",
            "date of birth",
        ),
        (
            "formula in a code",
            csv('a1,10,1,"=HYPERLINK(""http://x"")"', head=sex),
            "a.csv",
            "not a valid code",
        ),
    ]
    return [
        (what, data, name, what.split()[-1] if what.startswith("cohort id") else f"c{i}", words)
        for i, (what, data, name, words) in enumerate(items)
    ]


def _zip_of(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def test_every_bad_input_is_refused_with_a_sentence_and_the_database_unchanged(db, tmp_path):
    before = sha(db)
    refused = 0
    for what, data, name, cohort, words in _catalogue(tmp_path):
        t0 = time.perf_counter()
        r = import_file(data, cohort, filename=name, db=db)
        assert not r.ok, what
        assert time.perf_counter() - t0 < 5, what
        first = r.summary()
        assert first.startswith("Nothing was imported") and "Traceback" not in first, what
        assert any(words in m for m in messages(r.problems)), (what, messages(r.problems))
        refused += 1
    assert refused == len(_catalogue(tmp_path))
    assert sha(db) == before and strays(db) == []


def test_faults_inside_the_transaction_become_a_sentence_and_leave_nothing(db, monkeypatch):
    before = sha(db)

    def enospc(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importer, "_insert_from_stage", enospc)
    with pytest.raises(store.WriteFailed, match="the disk is full; nothing was written"):
        import_file(csv("a1,10,1"), "tx", filename="p.csv", db=db)
    monkeypatch.undo()
    monkeypatch.setattr(store.os, "replace", enospc)
    with pytest.raises(store.WriteFailed, match="the disk is full"):
        import_file(csv("a1,10,1"), "tx", filename="p.csv", db=db)
    monkeypatch.undo()
    assert sha(db) == before and strays(db) == []


KILLED = """
import os, sys, time
from core.data import store
from core.cohorts.importer import import_file
real = store.shutil.copy2
def slow(a, b):
    real(a, b)
    print("copied", flush=True)
    time.sleep(60)
store.shutil.copy2 = slow
import_file(b"patient_id,os_days,os_event\\na1,10,1\\n", "killed", filename="p.csv", db=sys.argv[1])
"""


def test_kill_9_during_an_import_leaves_the_database_old_and_the_next_import_cleans(db):
    import signal
    import subprocess
    import sys

    before = sha(db)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "copied"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert strays(db) == [f"{db.name}.tmp{proc.pid}"]  # the killed writer's copy
    assert sha(db) == before
    assert import_file(csv("a1,10,1"), "next", filename="p.csv", db=db).ok
    assert strays(db) == []
