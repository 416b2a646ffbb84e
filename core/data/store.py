"""Writing to the cohort database without ever exposing a partial state.

The app's readers hold read-only connections, and DuckDB lets one process write a file only
when no other connection has it open. Writers therefore work on a copy: ``write_transaction``
copies the file, opens the copy read-write, runs the caller's statements inside one
transaction, checkpoints, and atomically renames the copy over the original. Readers that are
mid-query keep the old file (their open handle still points at it) and new connections see the
new one: a reader sees the old database or the new one, never a mix. If anything fails the copy
is deleted and the original is untouched. Writers are serialised by an exclusive lock file.

Faults: a folder that cannot be written (read-only, permissions) or a full disk raise
:class:`WriteFailed` (a :class:`~core.data.db.DatabaseUnavailable`: the CLI prints its sentence
and exits 3) after deleting any partial copy. Copies left by a writer that was killed (its pid
no longer runs, or the copy is older than :data:`STALE_AFTER_S`) are deleted by the next
writer. Read-only connections retired when a writer replaced the file are closed by the next
writer's publish (one generation later, so a reader still on the previous file can finish).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb

from core.data import db as core_db
from core.data.db import DatabaseUnavailable, default_db_path

STALE_AFTER_S = 6 * 3600
"""A writer's copy older than this is stale even if a process with its pid runs (pid reuse)."""


class WriteLocked(RuntimeError):
    """Another writer holds the database; try again when it has finished."""


class WriteFailed(DatabaseUnavailable):
    """The database could not be written (read-only folder, no space, permissions).

    Nothing was written: the original file is as it was and no partial copy is left.
    """


def unique_id(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base-2``, ``base-3``, ... : the first not in ``taken``."""
    taken = set(taken)
    ident, k = base, 2
    while ident in taken:
        ident, k = f"{base}-{k}", k + 1
    return ident


_REFUSED = ("no space left", "read-only file system", "permission denied", "could not write")
"""How DuckDB's own errors (a failed commit or checkpoint is a TransactionException or a
FatalException, not an IOException) say that the file system refused a write."""


def _refused_write(exc: BaseException) -> bool:
    """The file system refused to write (full disk, read-only folder, permissions)."""
    if isinstance(exc, WriteFailed):
        return False
    if isinstance(exc, OSError | duckdb.IOException):
        return True
    return isinstance(exc, duckdb.Error) and any(m in str(exc).lower() for m in _REFUSED)


def _why(exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code == errno.ENOSPC or "no space left" in text:
        return "the disk is full"
    if (
        code in (errno.EROFS, errno.EACCES, errno.EPERM)
        or isinstance(exc, PermissionError)
        or "read-only file system" in text
        or "permission denied" in text
    ):
        return "its folder is read-only or not writable by this user"
    return f"the file system refused ({type(exc).__name__})"


def _failed(target: Path, exc: BaseException) -> WriteFailed:
    return WriteFailed(
        f"cannot write the database {target.name}: {_why(exc)}; nothing was written and the "
        "database is unchanged.",
        "Free space or make the database's folder writable (docs/DEPLOY.md), then try again.",
    )


def _open_lock(lock_path: Path) -> int:
    return os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o644)


def _pid_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2**22  # runs under another user (or an impossible pid: not running)
    return True


def clean_stale_copies(path: Path | str) -> list[Path]:
    """Delete copies (``<db>.tmp<pid>`` and their ``.wal``) left by killed writers.

    A copy is stale when its pid no longer runs or it is older than :data:`STALE_AFTER_S`.
    Returns the files deleted. Safe to call at any time: a live writer's copy is kept.
    """
    target = Path(path)
    pattern = re.compile(re.escape(target.name) + r"\.tmp(\d+)(?:\.wal)?")
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for p in target.parent.iterdir():
            m = pattern.fullmatch(p.name)
            if not m:
                continue
            pid = int(m.group(1))
            try:
                old = time.time() - p.stat().st_mtime > STALE_AFTER_S
            except OSError:
                continue
            if pid == os.getpid() or not _pid_runs(pid) or old:
                with contextlib.suppress(OSError):
                    p.unlink()
                    removed.append(p)
    return removed


def close_retired_connections() -> int:
    """Close read-only connections retired by earlier writers (see the module docstring)."""
    with core_db._lock:
        retired = list(core_db._retired)
        core_db._retired.clear()
    for con in retired:
        with contextlib.suppress(duckdb.Error):
            con.close()
    return len(retired)


@contextlib.contextmanager
def _writer_lock(path: Path, wait: bool) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = _open_lock(lock_path)
    except OSError as exc:
        raise _failed(path, exc) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise WriteLocked(
                f"{path.name} is being written by another import; wait for it to finish."
            ) from exc
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextlib.contextmanager
def write_transaction(
    path: Path | str | None = None, *, wait: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection on a copy of the database; publish it only on success.

    A path that is a symlink is followed: the copy is made beside the file it points to and
    renamed over that file, so the link stays a link and shows the new version."""
    target = (Path(path) if path is not None else default_db_path()).resolve()
    if not target.exists():
        raise FileNotFoundError(f"{target} does not exist; build it first")
    with _writer_lock(target, wait):
        clean_stale_copies(target)
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        wal = Path(f"{tmp}.wal")

        def discard() -> None:
            for p in (tmp, wal):
                with contextlib.suppress(OSError):
                    p.unlink(missing_ok=True)

        discard()
        try:
            shutil.copy2(target, tmp)
            con = duckdb.connect(str(tmp))
        except (OSError, duckdb.IOException) as exc:
            discard()
            raise _failed(target, exc) from exc
        try:
            # The commit checkpoints at once: the rows are written to the copy's blocks once,
            # not first to a write-ahead log and then again by the CHECKPOINT below.
            con.execute("SET checkpoint_threshold = '0b'")
            con.begin()
            yield con
            con.commit()
            con.execute("CHECKPOINT").fetchall()
            con.close()
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            with contextlib.suppress(duckdb.Error):
                con.close()
            discard()
            if _refused_write(exc):
                raise _failed(target, exc) from exc
            raise
        try:
            os.replace(tmp, target)
        except OSError as exc:
            discard()
            raise _failed(target, exc) from exc
        with contextlib.suppress(OSError):
            wal.unlink(missing_ok=True)
        close_retired_connections()
