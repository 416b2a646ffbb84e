"""The importer's SQL: staging, re-checking and writing a validated cohort, and deleting one.

Every function takes the read-write connection of :func:`core.data.store.write_transaction`,
so all of an import (or a delete) is one transaction published atomically by the store.
Table and column names come from :mod:`core.vocab.schema`; values are bound parameters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from core.data.db import query_df, query_rows
from core.vocab.schema import TABLES, TREATMENT_COLUMNS, column, table

Connection = duckdb.DuckDBPyConnection

_P_COLS = ", ".join(column(c) for c in TABLES["patients"][1:])
_T_COLS = ", ".join(column(c, "treatments") for c in TREATMENT_COLUMNS[1:])
COHORT_TABLES = ("patients", "treatments", "adverse_events", "case_notes", "cohorts")
"""Every table holding a cohort's rows (``cohorts`` last: its row goes after its children)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def stage(con: Connection, patients: pd.DataFrame, treatments: pd.DataFrame) -> None:
    """Copy the prepared frames into temporary staging tables of this transaction."""
    import pyarrow as pa

    pts = pa.Table.from_pandas(patients, preserve_index=False)
    con.register("_imp_patients", pts)
    con.execute("CREATE TEMP TABLE _stage_patients AS SELECT * FROM _imp_patients")
    con.unregister("_imp_patients")
    tx = pa.Table.from_pandas(treatments, preserve_index=False)
    con.register("_imp_treatments", tx)
    con.execute("CREATE TEMP TABLE _stage_treatments AS SELECT * FROM _imp_treatments")
    con.unregister("_imp_treatments")


def failed_staging_check(con: Connection, n_patients: int, n_treatments: int) -> str | None:
    """Re-check the staged rows in SQL; the name of the first check that fails, else None.

    Counts, unique ids, overall survival present and coded, progression not after death or last
    contact, treatments referring to staged patients, one row per patient and cycle.
    """
    checks = {
        "patient count": (
            "SELECT count(*) = ? AND count(DISTINCT patient_id) = ? FROM _stage_patients",
            [n_patients, n_patients],
        ),
        "treatment count": ("SELECT count(*) = ? FROM _stage_treatments", [n_treatments]),
        "overall survival present and coded": (
            "SELECT count(*) = 0 FROM _stage_patients WHERE patient_id IS NULL OR os_days IS NULL "
            "OR os_days < 0 OR os_event IS NULL OR os_event NOT IN (0, 1)",
            [],
        ),
        "progression not after death or last contact": (
            "SELECT count(*) = 0 FROM _stage_patients WHERE pfs_imaging_days > os_days "
            "OR pfs_symptom_days > os_days OR pfs_biochem_days > os_days",
            [],
        ),
        "treatments reference patients": (
            "SELECT count(*) = 0 FROM _stage_treatments t ANTI JOIN _stage_patients p "
            "USING (patient_id)",
            [],
        ),
        "one row per patient and cycle": (
            "SELECT count(*) = count(DISTINCT (patient_id, cycle)) FROM _stage_treatments",
            [],
        ),
    }
    for name, (sql, params) in checks.items():
        if not con.execute(sql, params).fetchall()[0][0]:
            return name
    return None


def delete_rows(con: Connection, cohort_id: str) -> None:
    """Delete every row of ``cohort_id`` from every cohort table."""
    for t in COHORT_TABLES:
        con.execute(f"DELETE FROM {table(t)} WHERE cohort_id = ?", [cohort_id])


def insert_from_stage(
    con: Connection,
    cohort_id: str,
    *,
    title: str,
    description: str,
    provenance: str,
    n_patients: int,
    version: str,
) -> None:
    """Insert the staged rows under ``cohort_id`` and its ``cohorts`` row."""
    con.execute(
        f'INSERT INTO patients ("cohort_id", {_P_COLS}) SELECT ?, {_P_COLS} FROM _stage_patients',
        [cohort_id],
    )
    con.execute(
        f"INSERT INTO treatments (cohort_id, {_T_COLS}) SELECT ?, {_T_COLS} FROM _stage_treatments",
        [cohort_id],
    )
    con.execute(
        "INSERT INTO cohorts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [cohort_id, title, description, provenance, "", n_patients, version, _now()],
    )


def write_log(con: Connection, cohort_id: str, action: str, n_rows: int, version: str) -> None:
    """Append one row to ``import_log``."""
    con.execute(
        "INSERT INTO import_log (cohort_id, action, n_rows, content_hash, logged_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [cohort_id, action, n_rows, version, _now()],
    )


def cohort_row(con: Connection, cohort_id: str) -> tuple[str, int, str] | None:
    """(provenance, n_patients, data_version) of ``cohort_id``, or None if there is none."""
    rows = con.execute(
        "SELECT provenance, n_patients, data_version FROM cohorts WHERE cohort_id = ?",
        [cohort_id],
    ).fetchall()  # fetch everything: DuckDB 2 refuses new work while a result is open
    return rows[0] if rows else None


_USER_IMPORTED = (
    "c.provenance = 'imported' OR EXISTS (SELECT 1 FROM import_log l WHERE l.cohort_id = "
    "c.cohort_id AND l.content_hash = c.data_version AND l.action IN ('import', 'replace'))"
)


def was_imported(con: Connection, cohort_id: str) -> bool:
    """True when ``cohort_id``'s current rows came from an import (whatever its provenance)."""
    rows = con.execute(
        f"SELECT count(*) FROM cohorts c WHERE c.cohort_id = ? AND ({_USER_IMPORTED})",
        [cohort_id],
    ).fetchall()
    return bool(rows[0][0])


def imported_cohort_ids(path: Path | str | None = None) -> list[str]:
    """Cohorts added by an import (provenance ``imported``, or the project's example file
    imported as ``synthetic``), sorted: the ones a user may replace or delete."""
    sql = f"SELECT c.cohort_id FROM cohorts c WHERE {_USER_IMPORTED} ORDER BY 1"
    return [r[0] for r in query_rows(sql, path=path)]


def cohort_ids(con: Connection) -> list[str]:
    """Every cohort id in the database, sorted."""
    return [r[0] for r in con.execute("SELECT cohort_id FROM cohorts ORDER BY 1").fetchall()]


def import_log_frame(path: Path | str | None = None) -> pd.DataFrame:
    """The import log, oldest first."""
    cols = ", ".join(column(c, "import_log") for c in TABLES["import_log"])
    return query_df(f"SELECT {cols} FROM import_log ORDER BY log_id", path=path)
