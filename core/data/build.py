"""Build the embedded default database from the plain-text sources in ``data/``.

The file is written beside its destination and moved into place only when complete, so a
reader never sees a half-built database. The storage version is pinned (``STORAGE_VERSION``)
so the pinned duckdb, and any reader from 1.4 on, can open it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from core.cohorts.generator import CohortFrames, frames_for, generate_pgep, load_spec
from core.data.db import STORAGE_VERSION, close_all, default_db_path
from core.data.ddl import DDL
from core.vocab.schema import AE_COLUMNS, PATIENTS, SCHEMA_VERSION, TREATMENT_COLUMNS

Progress = Callable[[str], None]


def content_hash(frames: CohortFrames) -> str:
    """A short, deterministic hash of a cohort's rows (its data version)."""
    h = hashlib.sha256()
    for frame in (frames.patients, frames.treatments, frames.adverse_events):
        if len(frame):
            ordered = frame.reindex(sorted(frame.columns), axis=1)
            h.update(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
        h.update(b"|")
    return h.hexdigest()[:12]


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?), ('duckdb_version', ?)",
        [SCHEMA_VERSION, duckdb.__version__],
    )


def insert_cohort(
    con: duckdb.DuckDBPyConnection,
    meta: dict,
    frames: CohortFrames,
    *,
    created_at: datetime | None = None,
) -> str:
    """Insert one cohort's rows and its ``cohorts`` row; return its data version."""
    cid = meta["cohort_id"]
    version = content_hash(frames)
    _insert(con, "patients", frames.patients, cid, ("cohort_id", *PATIENTS))
    _insert(con, "treatments", frames.treatments, cid, TREATMENT_COLUMNS, {"approximated": False})
    _insert(con, "adverse_events", frames.adverse_events, cid, AE_COLUMNS, {"note": None})
    if frames.case_notes is not None:
        _insert(con, "case_notes", frames.case_notes, cid, ("cohort_id", "patient_id", "note"))
    con.execute(
        "INSERT INTO cohorts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            cid,
            meta["title"],
            meta.get("description", ""),
            meta["provenance"],
            meta.get("citation", ""),
            len(frames.patients),
            version,
            created_at or datetime.now(UTC).replace(tzinfo=None),
        ],
    )
    return version


def _insert(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    cohort_id: str,
    columns: tuple[str, ...],
    defaults: dict | None = None,
) -> None:
    """Insert a frame's rows into ``table`` under ``cohort_id`` (missing columns defaulted)."""
    if not len(frame):
        return
    rows = frame.copy()
    rows.insert(0, "cohort_id", cohort_id)
    for col, value in (defaults or {}).items():
        if col not in rows:
            rows[col] = value
    cols = ", ".join(f'"{c}"' for c in columns)
    con.register("_rows", rows)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _rows")
    finally:
        con.unregister("_rows")


def _write(path: Path, fill: Callable[[duckdb.DuckDBPyConnection], None]) -> Path:
    """Write a fresh database to a temporary file via ``fill``, then move it into place (over
    the file a symlink points to, when ``path`` is one: the link stays)."""
    given, path = path, path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    for stale in (tmp, Path(str(tmp) + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH ? AS out (STORAGE_VERSION '{STORAGE_VERSION}')", [str(tmp)])
        con.execute("USE out")
        create_schema(con)
        fill(con)
        con.execute("CHECKPOINT out")
        con.execute("USE memory")
        con.execute("DETACH out")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    close_all()
    os.replace(tmp, path)
    return given


def build_default(path: Path | None = None, progress: Progress | None = None) -> Path:
    """Write the default database with the four seed cohorts (from data/cohorts.json)."""
    path = Path(path) if path is not None else default_db_path()
    spec = load_spec()
    say = progress or (lambda _msg: None)
    epoch = datetime(2026, 1, 1)

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        for i, meta in enumerate(spec["cohorts"]):
            say(f"Generating {meta['cohort_id']} ({meta['n']} patients)")
            frames = frames_for(meta)
            insert_cohort(con, meta, frames, created_at=epoch.replace(minute=i))
        say("Writing the database")

    return _write(path, fill)


def build_synthetic(n: int, path: Path, seed: int = 7, progress: Progress | None = None) -> Path:
    """Write a database with one pgep-like cohort of ``n`` patients (benchmarks, load tests)."""
    say = progress or (lambda _msg: None)
    cid = f"synth-{n}"

    def fill(con: duckdb.DuckDBPyConnection) -> None:
        say(f"Generating {n} patients")
        frames = generate_pgep(n=n, seed=seed)
        meta = {
            "cohort_id": cid,
            "title": f"Synthetic benchmark cohort ({n:,} patients)",
            "provenance": "synthetic",
            "description": "Generated by the pgep-mibg-211 generator at a larger size, for "
            "speed and load measurements only.",
            "citation": "",
        }
        say("Writing the database")
        insert_cohort(con, meta, frames)

    return _write(Path(path), fill)


def set_aside(path: Path) -> Path | None:
    """Rename an unreadable database out of the way (kept for recovery, never deleted)."""
    path = Path(path)
    if not path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    return target


def ensure_default(path: Path | None = None, progress: Progress | None = None) -> bool:
    """Build the default database when it is missing; return True if it was built."""
    p = Path(path) if path is not None else default_db_path()
    if p.exists():
        return False
    build_default(p, progress)
    return True


def missing_patient_fields(path: Path | str | None = None) -> list[str]:
    """Declared patient fields the database's ``patients`` table does not have (a file built by
    an earlier version of the schema)."""
    from core.data.db import query_rows

    have = {
        r[0]
        for r in query_rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
            ["patients"],
            path,
        )
    }
    return [f.name for f in PATIENTS.values() if f.name not in have]


def upgrade_schema(path: Path | str | None = None) -> list[str]:
    """Add the patient fields a database built by an earlier schema lacks (empty for every
    patient already stored: e.g. ``death_cause``, unknown for earlier cohorts) and record the
    schema version; returns the fields added. Nothing is written when nothing is missing; the
    change is published atomically (:func:`core.data.store.write_transaction`)."""
    from core.data.ddl import add_column_statement
    from core.data.store import write_transaction

    missing = missing_patient_fields(path)
    if not missing:
        return []
    with write_transaction(path) as con:
        for name in missing:
            con.execute(add_column_statement(PATIENTS[name]))
        con.execute("DELETE FROM meta WHERE key = ?", ["schema_version"])
        con.execute("INSERT INTO meta VALUES (?, ?)", ["schema_version", SCHEMA_VERSION])
    close_all()
    return missing
