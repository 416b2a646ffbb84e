"""core.data.store: the copy-on-write writer every import, delete, build and upgrade goes
through. A write the file system refuses is a sentence and leaves the database as it was, byte
for byte, with no copy left behind; the commit writes the copy's rows once (no write-ahead log).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.data import store
from core.data.db import close_all

ROOT = Path(__file__).resolve().parents[3]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def strays(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if ".tmp" in p.name)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (
            duckdb.TransactionException,
            'Failed to commit: Could not write file "x.wal": No space left on device',
        ),
        (
            duckdb.FatalException,
            'Failed to create checkpoint because of error: Could not write file "x": No space '
            "left on device",
        ),
    ],
)
def test_a_commit_or_checkpoint_refused_by_a_full_disk_is_a_sentence(db, kind, text):
    before = sha(db)
    full = pytest.raises(store.WriteFailed, match="the disk is full; nothing was written")
    with full, store.write_transaction(db):
        raise kind(text)  # made here: a raised error kept by the module would keep its frames
    assert sha(db) == before and strays(db) == []


def test_other_database_errors_are_not_called_a_full_disk(db):
    with pytest.raises(duckdb.ConstraintException), store.write_transaction(db) as con:
        con.execute("INSERT INTO cohorts SELECT * FROM cohorts LIMIT 1")
    assert strays(db) == []


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from core.cohorts.importer import import_file
from core.data.store import WriteFailed

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
size = Path(sys.argv[1]).stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 200_000, size + 200_000))
rows = "".join(f"p{i},{i % 5000},1,{i % 90}\\n" for i in range(60_000))
data = ("patient_id,os_days,os_event,age\\n" + rows).encode()
try:
    import_file(data, "big", filename="p.csv", db=sys.argv[1])
except WriteFailed as exc:
    print(exc)
"""


def test_the_file_system_refusing_the_commit_leaves_the_database_and_no_copy(db):
    """A real refusal while the commit writes the copy (the file-size limit stands in for a full
    disk): DuckDB raises from inside its checkpoint, the writer says so in one sentence."""
    before = sha(db)
    out = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stdout.startswith("cannot write the database cohorts.duckdb: ")
    assert "nothing was written and the database is unchanged" in out.stdout
    assert sha(db) == before and strays(db) == []


def test_the_commit_checkpoints_the_copy_without_a_write_ahead_log(db):
    with store.write_transaction(db) as con:
        (threshold,) = con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()
        con.execute("CREATE TABLE t AS SELECT range AS i FROM range(200000)")
    assert threshold.startswith("0")
    assert not Path(f"{db}.wal").exists() and strays(db) == []
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (200000,)
    finally:
        con.close()


def test_a_database_reached_through_a_symlink_stays_a_symlink(db, tmp_path):
    """A deployment that points at its database through a symlink (a release folder, a mounted
    volume) keeps the link: the copy is made beside the file the link points to and renamed
    over that file, so the link shows the new version (it was replaced by a regular file,
    leaving the real file stale)."""
    link = tmp_path / "current.duckdb"
    link.symlink_to(db)
    with store.write_transaction(link) as con:
        con.execute("CREATE TABLE marker AS SELECT 42 AS answer")
    assert link.is_symlink() and link.resolve() == db.resolve()
    assert strays(db) == [] and not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT answer FROM marker").fetchone() == (42,)
    finally:
        con.close()


def test_a_build_through_a_symlink_keeps_the_link(tmp_path):
    from core.data.build import build_synthetic

    real = tmp_path / "real" / "synth.duckdb"
    real.parent.mkdir()
    real.write_bytes(b"")  # an empty placeholder the link points at
    link = tmp_path / "link.duckdb"
    link.symlink_to(real)
    build_synthetic(60, link)
    close_all()
    assert link.is_symlink() and real.stat().st_size > 0
    con = duckdb.connect(str(real), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM patients").fetchone() == (60,)
    finally:
        con.close()
