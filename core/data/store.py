"""Writing to the cohort database without ever exposing a partial state.

The app's readers hold read-only connections, and DuckDB lets one process write a file only
when no other connection has it open. Writers therefore work on a copy: ``write_transaction``
copies the file, opens the copy read-write, runs the caller's statements inside one
transaction, checkpoints, and atomically renames the copy over the original. Readers that are
mid-query keep the old file (their open handle still points at it) and new connections see the
new one: a reader sees the old database or the new one, never a mix. If anything fails the copy
is deleted and the original is untouched. Writers are serialised by an exclusive lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from core.data.db import default_db_path


class WriteLocked(RuntimeError):
    """Another writer holds the database; try again when it has finished."""


@contextlib.contextmanager
def _writer_lock(path: Path, wait: bool) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise WriteLocked(
                f"{path} is being written by another import; wait for it to finish."
            ) from exc
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def write_transaction(
    path: Path | str | None = None, *, wait: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection on a copy of the database; publish it only on success."""
    target = Path(path) if path is not None else default_db_path()
    if not target.exists():
        raise FileNotFoundError(f"{target} does not exist; build it first")
    with _writer_lock(target, wait):
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        wal = Path(f"{tmp}.wal")
        tmp.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
        shutil.copy2(target, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.begin()
            yield con
            con.commit()
            con.execute("CHECKPOINT").fetchall()
            con.close()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            con.close()
            tmp.unlink(missing_ok=True)
            wal.unlink(missing_ok=True)
            raise
        os.replace(tmp, target)
        wal.unlink(missing_ok=True)
