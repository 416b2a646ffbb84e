"""Database access: one read-only connection per database file, a cursor per query.

Every value reaches DuckDB as a bound parameter; identifiers come from :mod:`core.vocab.schema`.
Problems with the file (missing, not a DuckDB database, written by an unreadable storage
version, locked by a writer) become :class:`DatabaseUnavailable` with a message a person can
act on, never a raw traceback.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from core.vocab.schema import COHORT_COLUMNS, CohortInfo, column

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = ROOT / "data" / "cohorts.duckdb"
DB_ENV = "NET_EXPLORER_DB"
STORAGE_VERSION = "v1.4.0"
"""Storage format written by `core build`, readable by the pinned duckdb (and by 1.4 onwards)."""


def default_db_path() -> Path:
    return Path(os.environ.get(DB_ENV, DEFAULT_DB))


class DatabaseUnavailable(RuntimeError):
    """The database cannot be read; ``hint`` says what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


_connections: dict[str, tuple[tuple[int, int], duckdb.DuckDBPyConnection]] = {}
_retired: list[duckdb.DuckDBPyConnection] = []
_lock = threading.Lock()


def _open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise DatabaseUnavailable(
            f"The database {path} does not exist.",
            "Build the default database with `python -m core build` (the app does it on start).",
        )
    try:
        # An in-memory instance that attaches the file read-only: unlike
        # duckdb.connect(path), this bypasses DuckDB's per-process instance cache, so after a
        # writer swaps in a new file a new connection really opens the new file.
        con = duckdb.connect()
        con.execute("ATTACH ? AS cohortdb (READ_ONLY)", [str(path)])
        con.execute("USE cohortdb")
        con.execute("SELECT count(*) FROM cohorts").fetchone()
    except duckdb.IOException as exc:
        con.close()
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseUnavailable(
                f"The database {path} is locked by another process that is writing to it.",
                "Wait for the import or build to finish, then reload.",
            ) from exc
        raise DatabaseUnavailable(
            f"The database {path} could not be opened: it is damaged or not a DuckDB file.",
            "Rebuild the default database with `python -m core build --force`.",
        ) from exc
    except duckdb.Error as exc:
        con.close()
        raise DatabaseUnavailable(
            f"The database {path} is not a cohort database ({type(exc).__name__}).",
            "Rebuild the default database with `python -m core build --force`.",
        ) from exc
    return con


def connection(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Return the shared read-only connection for ``path`` (opened on first use)."""
    p = Path(path) if path is not None else default_db_path()
    key = str(p.resolve())
    identity = _identity(p)
    with _lock:
        cached = _connections.get(key)
        if cached is not None and cached[0] == identity:
            return cached[1]
        # First use, or the file was replaced by a writer: open the new file. Cursors already
        # running on the old connection finish on the old file (its handle stays valid).
        con = _open_read_only(p)
        _connections[key] = (identity, con)
        if cached is not None:
            _retired.append(cached[1])
        return con


def close_all() -> None:
    """Close every cached connection (tests; before a writer replaces the file)."""
    with _lock:
        for con in [c for _, c in _connections.values()] + _retired:
            with contextlib.suppress(duckdb.Error):
                con.close()
        _connections.clear()
        _retired.clear()
        _cohort_lists.clear()


_DAMAGE = (
    duckdb.IOException,
    duckdb.InternalException,
    duckdb.SerializationException,
    duckdb.FatalException,
)
"""Errors that mean the file itself is unreadable (e.g. truncated after its header)."""


@contextlib.contextmanager
def _guarded(path: Path | str | None):
    try:
        yield
    except _DAMAGE as exc:
        p = Path(path) if path is not None else default_db_path()
        raise DatabaseUnavailable(
            f"The database {p} could not be read: it is damaged ({type(exc).__name__}).",
            "Rebuild the default database with `python -m core build --force`.",
        ) from exc


def cursor(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the shared read-only connection, pointed at the cohort database."""
    cur = connection(path).cursor()
    cur.execute("USE cohortdb").fetchall()
    return cur


def query_df(sql: str, params: Sequence[Any] = (), path: Path | str | None = None) -> pd.DataFrame:
    """Run one query on its own cursor and return a DataFrame.

    Coded columns are stored as ENUMs, which pandas would receive as categoricals (with every
    code as a category, observed or not); they are returned as plain text columns instead.
    """
    cur = cursor(path)
    try:
        with _guarded(path):
            df = cur.execute(sql, list(params)).df()
    finally:
        cur.close()
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


PERFECT_HASH_BITS = 18
"""For :func:`query_arrays` on large selections. DuckDB counts a GROUP BY whose keys span at
most 2^bits values (stored integer/ENUM columns with known ranges, e.g. group code x day in the
survival aggregate) in a directly indexed table instead of a hash table; its default limit is
12 bits. At 18 bits the survival aggregate of 10^6 patients runs about 15% faster, but the
2^18-entry table costs about 2 ms to set up, more than the whole query on small cohorts; so it
is raised only for the query at hand, on its own cursor (a local setting)."""


def query_arrays(
    sql: str,
    params: Sequence[Any] = (),
    path: Path | str | None = None,
    *,
    perfect_hash: bool = False,
) -> dict:
    """Run one query on its own cursor and return ``{column: numpy array}``.

    ``perfect_hash`` raises DuckDB's perfect-hash GROUP BY limit to :data:`PERFECT_HASH_BITS`
    for this query (worth it on large selections only).
    """
    cur = cursor(path)
    try:
        with _guarded(path):
            if perfect_hash:
                cur.execute(f"SET perfect_ht_threshold = {int(PERFECT_HASH_BITS)}").fetchall()
            return cur.execute(sql, list(params)).fetchnumpy()
    finally:
        cur.close()


def query_rows(sql: str, params: Sequence[Any] = (), path: Path | str | None = None) -> list[tuple]:
    cur = cursor(path)
    try:
        with _guarded(path):
            return cur.execute(sql, list(params)).fetchall()
    finally:
        cur.close()


_cohort_lists: dict[str, tuple[tuple[int, int], list[CohortInfo]]] = {}


def _identity(p: Path) -> tuple[int, int]:
    try:
        st = p.stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)


def list_cohorts(path: Path | str | None = None) -> list[CohortInfo]:
    """The cohorts in the database, oldest first (remembered until the file is replaced)."""
    p = Path(path) if path is not None else default_db_path()
    key, identity = str(p.resolve()), _identity(p)
    cached = _cohort_lists.get(key)
    if cached is not None and cached[0] == identity and identity != (0, 0):
        return list(cached[1])
    cols = ", ".join(column(c, "cohorts") for c in COHORT_COLUMNS)
    rows = query_rows(f"SELECT {cols} FROM cohorts ORDER BY created_at, cohort_id", path=path)
    infos = [
        CohortInfo(
            cohort_id=r[0],
            title=r[1],
            description=r[2] or "",
            provenance=r[3],
            citation=r[4] or "",
            n_patients=int(r[5]),
            data_version=r[6],
            created_at=str(r[7]),
        )
        for r in rows
    ]
    with _lock:
        _cohort_lists[key] = (identity, infos)
    return list(infos)


def cohort_info(cohort_id: str, path: Path | str | None = None) -> CohortInfo | None:
    for c in list_cohorts(path):
        if c.cohort_id == cohort_id:
            return c
    return None
