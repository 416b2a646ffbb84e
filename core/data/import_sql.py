"""The importer's SQL: staging, re-checking and writing a validated cohort, and deleting one.

Every function takes the read-write connection of :func:`core.data.store.write_transaction`,
so all of an import (or a delete) is one transaction published atomically by the store.
Table and column names come from :mod:`core.vocab.schema`; values are bound parameters.
"""

from __future__ import annotations

import atexit
import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from core.data.db import query_df, query_rows
from core.vocab.schema import PATIENT_FIELDS, TABLES, TREATMENT_COLUMNS, column, table

Connection = duckdb.DuckDBPyConnection

_P_COLS = ", ".join(column(c) for c in TABLES["patients"][1:])
_T_COLS = ", ".join(column(c, "treatments") for c in TREATMENT_COLUMNS[1:])
COHORT_TABLES = ("patients", "treatments", "adverse_events", "case_notes", "cohorts")
"""Every table holding a cohort's rows (``cohorts`` last: its row goes after its children)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_STAGE_TYPES = {
    "code": "VARCHAR",
    "text": "VARCHAR",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "int": "BIGINT",
    "days": "BIGINT",
    "event": "BIGINT",
}
"""SQL types of the checked rows (as the importer types them, before the table's own)."""
_FIELD_NAMES = frozenset(f.name for f in PATIENT_FIELDS)
_HELPER_COLUMNS = frozenset(
    {"_row", "_seq"} | {f"{x}_{f}" for f in _FIELD_NAMES for x in ("k", "m")}
)


def register_patients(con: Connection, name: str, rows: pa.Table) -> None:
    """Register checked patient rows (Arrow, scanned without a copy) as the view ``name``
    with every patient field: a field the file does not have is a typed NULL column in the
    view, never an array built in memory.

    ``rows`` holds patient fields and the importer's helper columns (``_row``, ``_seq``,
    ``k_<field>``, ``m_<field>``); any other column name is refused (ValueError), so every
    identifier in the view comes from the schema's allow-list.
    """
    if not name.isidentifier() or not name.startswith(("_stage", "typed", "_typed")):
        raise ValueError(f"not a staging view name: {name!r}")
    unknown = [c for c in rows.column_names if c not in _FIELD_NAMES | _HELPER_COLUMNS]
    if unknown:
        raise ValueError(f"not a staged column: {unknown[0]!r}")
    have = set(rows.column_names)
    helpers = [f'"{c}"' for c in rows.column_names if c in _HELPER_COLUMNS]
    fields = [
        column(f.name)
        if f.name in have
        else f"CAST(NULL AS {_STAGE_TYPES[f.kind]}) AS {column(f.name)}"
        for f in PATIENT_FIELDS
    ]
    con.register(f"{name}_arrow", rows)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(helpers + fields)} "
        f"FROM {name}_arrow"
    )


def stage(con: Connection, patients: pa.Table, treatments: pd.DataFrame) -> None:
    """Register the checked rows (Arrow, zero-copy) as this transaction's staging tables.

    ``patients`` holds ``_seq`` (1..n in file order) and every patient field, with the
    file's patient ids; :func:`insert_from_stage` replaces them by study pseudonyms, which are
    unique because ``_seq`` is checked here to be exactly 1..n in order (ValueError if not).
    """
    seq = patients.column("_seq").to_numpy()
    if seq.size and not (seq[0] == 1 and bool((np.diff(seq) == 1).all())):
        raise ValueError("staged patients are not numbered 1..n in file order; nothing written")
    register_patients(con, "_stage_patients", patients)
    con.register("_stage_treatments", pa.Table.from_pandas(treatments, preserve_index=False))


def failed_staging_check(con: Connection, n_patients: int, n_treatments: int) -> str | None:
    """Re-check the staged rows in SQL; the name of the first check that fails, else None.

    Counts, overall survival present and coded, progression not after death or last contact
    (one scan of the patients); with treatments, unique patient ids (the treatments join on
    them), treatments referring to staged patients, one row per patient and cycle. The stored
    patient ids are study pseudonyms numbered in file order (:func:`insert_from_stage`), so
    without treatments the file's ids reach nothing that is stored.
    """
    (checks,) = con.execute(
        "SELECT [count(*) = ?, "
        "count(*) FILTER (WHERE patient_id IS NULL OR os_days IS NULL OR os_days < 0 "
        "OR os_event IS NULL OR os_event NOT IN (0, 1)) = 0, "
        "count(*) FILTER (WHERE pfs_imaging_days > os_days OR pfs_symptom_days > os_days "
        "OR pfs_biochem_days > os_days) = 0] FROM _stage_patients",
        [n_patients],
    ).fetchone()
    names = (
        "patient count",
        "overall survival present and coded",
        "progression not after death or last contact",
    )
    for name, ok in zip(names, checks, strict=True):
        if not ok:
            return name
    tx = {
        "treatment count": ("SELECT count(*) = ? FROM _stage_treatments", [n_treatments]),
    }
    if n_treatments:
        tx |= {
            "unique patient ids": (
                "SELECT count(DISTINCT patient_id) = ? FROM _stage_patients",
                [n_patients],
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
    for name, (sql, params) in tx.items():
        if not con.execute(sql, params).fetchall()[0][0]:
            return name
    return None


def delete_rows(con: Connection, cohort_id: str) -> None:
    """Delete every row of ``cohort_id`` from every cohort table."""
    for t in COHORT_TABLES:
        con.execute(f"DELETE FROM {table(t)} WHERE cohort_id = ?", [cohort_id])


_P_REST = ", ".join(column(c) for c in TABLES["patients"][2:])
_T_REST = ", ".join(f"t.{column(c, 'treatments')}" for c in TREATMENT_COLUMNS[2:])
_STUDY_ID = "? || '-' || lpad(CAST(p._seq AS VARCHAR), ?, '0')"


def _seq_duplicates(con: Connection) -> tuple[int, int | None, int | None]:
    """(number of repeated ``_seq`` values, smallest, largest) of the staged patients.

    The numbers are read once into numpy (one column scan, about 25 ms for 10^6 rows instead
    of 65 ms for a GROUP BY): numbers that rise by one from row to row are distinct with no
    further work (the rows :func:`stage` registers always are); otherwise the distinct values
    are counted.
    """
    got = con.execute("SELECT _seq FROM _stage_patients").fetchnumpy()["_seq"]
    if np.ma.is_masked(got):
        raise ValueError("staged patients without a number; nothing written")
    seq = np.asarray(got, dtype=np.int64)
    if seq.size == 0:
        return 0, None, None
    lo, hi = int(seq.min()), int(seq.max())
    if bool((np.diff(seq) == 1).all()):
        return 0, lo, hi
    return int(seq.size - np.unique(seq).size), lo, hi


def insert_from_stage(
    con: Connection,
    cohort_id: str,
    *,
    title: str,
    description: str,
    provenance: str,
    n_patients: int,
    version: str,
    width: int = 4,
    n_treatments: int | None = None,
) -> None:
    """Insert the staged rows under ``cohort_id`` (one INSERT ... SELECT per table), the file's
    patient ids replaced by study pseudonyms ``<cohort>-<_seq, zero-padded to width>``, and
    the ``cohorts`` row. ``n_treatments``: the staged treatments' count when known (checked by
    :func:`failed_staging_check`); 0 skips the treatments' INSERT and its join."""
    # The table has no key index: (cohort_id, patient_id) is unique because each staged row
    # has its own number (checked here; stage() checks they are 1..n in file order), each
    # number gives one pseudonym that fits the width, and no other row of the cohort is there.
    dup, lo, hi = _seq_duplicates(con)
    if dup:
        raise ValueError(f"{dup} duplicate patient ids in cohort {cohort_id}; nothing written")
    if hi is not None and (lo < 0 or len(str(hi)) > width):
        raise ValueError(f"pseudonym width {width} is too small for {hi} patients; nothing written")
    (inserted,) = con.execute(
        f'INSERT INTO patients ("cohort_id", "patient_id", {_P_REST}) '
        f"SELECT ?, {_STUDY_ID}, {_P_REST} FROM _stage_patients p",
        [cohort_id, cohort_id, width],
    ).fetchone()
    (stored,) = con.execute(
        "SELECT count(*) FROM patients WHERE cohort_id = ?", [cohort_id]
    ).fetchone()
    if inserted != n_patients:
        raise ValueError(f"{inserted} patients written, {n_patients} expected; nothing written")
    if stored != n_patients:
        raise ValueError(
            f'the database already holds {stored - inserted} patient rows of cohort "{cohort_id}" '
            "without its cohorts entry; nothing written"
        )
    if n_treatments != 0:
        con.execute(
            f"INSERT INTO treatments (cohort_id, patient_id, {_T_COLS.split(', ', 1)[1]}) "
            f"SELECT ?, {_STUDY_ID}, {_T_REST} FROM _stage_treatments t "
            "JOIN _stage_patients p USING (patient_id)",
            [cohort_id, cohort_id, width],
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


# ---------------------------------------------------------------------------------------------
# Staging: one import's rows in a private in-memory DuckDB database (issue 16)
# ---------------------------------------------------------------------------------------------

TYPED = "typed_patients"
"""The checked rows, registered from Arrow: ``_row`` (spreadsheet row number), ``_seq``
(1..n in file order), every patient field typed, and for the cross-field checks ``k_<field>``
(the index of the cell's distinct value) and ``m_<field>`` (the cell is missing)."""
TX = "typed_treatments"


_memory: duckdb.DuckDBPyConnection | None = None
_memory_lock = threading.Lock()


def private_connection() -> Connection:
    """A new connection to the process's in-memory DuckDB database (never the cohort
    database). Registered tables and temporary views and tables belong to the connection
    alone, so imports in other sessions never see each other's rows; starting the database
    once saves its start-up (about 20 ms) on every check."""
    global _memory
    with _memory_lock:
        if _memory is None:
            _memory = duckdb.connect(":memory:")
            atexit.register(_close_memory)
        return _memory.cursor()


def _close_memory() -> None:
    """Close the in-memory database before the interpreter's own teardown."""
    global _memory
    with _memory_lock:
        if _memory is not None:
            _memory.close()
            _memory = None


class Staging:
    """One import's checked rows on a private connection (:func:`private_connection`): the
    row-level rules (duplicates, cross-field checks, derivations from treatments) run as SQL
    over :data:`TYPED`, an Arrow table scanned without a copy."""

    def __init__(self, typed: pa.Table) -> None:
        self.con = private_connection()
        register_patients(self.con, TYPED, typed)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def duplicate_ids(st: Staging) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, first row, id) of every later occurrence of a patient id (trimmed, not missing).

    A hash aggregate finds the repeated ids first; the window runs on their rows only.
    """
    res = st.con.execute(
        f"WITH rep AS (SELECT patient_id FROM {TYPED} WHERE patient_id IS NOT NULL "
        "GROUP BY patient_id HAVING count(*) > 1), "
        f"occ AS (SELECT t._row, t.patient_id FROM {TYPED} t SEMI JOIN rep USING (patient_id)) "
        "SELECT _row, f, patient_id FROM (SELECT _row, patient_id, min(_row) OVER "
        "(PARTITION BY patient_id) AS f FROM occ) WHERE _row <> f"
    ).fetchnumpy()
    return (
        np.asarray(res["_row"], dtype=np.int64),
        np.asarray(res["f"], dtype=np.int64),
        np.asarray(res["patient_id"], dtype=object),
    )


def rows_where_each(
    st: Staging, checks: list[tuple[str, tuple[str, ...]]]
) -> list[dict[str, np.ndarray]]:
    """For each ``(condition, columns)`` (conditions built by :func:`cross_condition`), the
    rows of :data:`TYPED` meeting it, in file order, with ``_row`` and those columns: every
    check in one scan of the rows (a flag per check), split in numpy."""
    if not checks:
        return []
    cols = list(dict.fromkeys(c for _, cs in checks for c in cs))
    names = "".join(f', "{c}"' for c in cols)
    flags = "".join(f", coalesce(({cond}), FALSE) AS _hit{i}" for i, (cond, _) in enumerate(checks))
    where = " OR ".join(f"({cond})" for cond, _ in checks)
    res = st.con.execute(
        f"SELECT _row{names}{flags} FROM {TYPED} WHERE {where} ORDER BY _seq"
    ).fetchnumpy()
    out = []
    for i, (_, cs) in enumerate(checks):
        hit = np.asarray(res[f"_hit{i}"], dtype=bool)
        out.append({k: np.asarray(res[k])[hit] for k in ("_row", *cs)})
    return out


_CROSS = {
    "event_without_time": '(NOT "m_{a}") AND {b}',
    "after": "{q_a} > {q_b}",
    "below": "{q_a} < {q_b}",
    "given_when_zero": '(NOT "m_{a}") AND {q_b} = 0',
}


def cross_condition(kind: str, a: str, b: str | None) -> str:
    """A WHERE condition over :data:`TYPED` for a cross-field rule on fields ``a`` and ``b``.

    ``event_without_time``: ``a`` given (not missing) while ``b`` is missing or absent
    (``b`` None). ``after`` / ``below``: the typed value of ``a`` above / below ``b``.
    ``given_when_zero``: ``a`` given while the typed value of ``b`` is 0 (a cause of death for a
    patient recorded alive).
    """
    column(a)
    if kind == "given_when_zero":
        return _CROSS[kind].format(a=column(a).strip(chr(34)), q_b=column(b or ""))
    if kind == "event_without_time":
        rest = f'"m_{column(b).strip(chr(34))}"' if b else "TRUE"
        return _CROSS[kind].format(a=a, b=rest)
    return _CROSS[kind].format(q_a=column(a), q_b=column(b or ""))


def id_and_os(st: Staging) -> pd.DataFrame:
    """Typed patient ids and os_days in file order (for the treatments checks)."""
    return st.con.execute(f"SELECT patient_id, os_days FROM {TYPED} ORDER BY _seq").df()


def derive_from_treatments(
    st: Staging, tx: pa.Table, given: frozenset[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Table | None]:
    """Fill the treatment summaries the patients file leaves out, from the treatments.

    ``n_treatments`` = count of rows (0 when none; NULL when the id is missing),
    ``first_activity_mbq`` / ``route`` / ``agent`` = first non-missing value in cycle order,
    ``cumulative_activity_mbq`` = sum (NULL when every activity is missing). A field in
    ``given`` is kept; for a given ``n_treatments`` that differs from the count the rows
    ``(row, given, count)`` are returned for a warning, with the new typed rows (None when
    every summary was given).
    """
    st.con.register(TX, tx)
    st.con.execute(
        "CREATE TEMP TABLE tx_summary AS SELECT patient_id, count(*) AS n, "
        "first(activity_mbq ORDER BY cycle NULLS LAST) FILTER (WHERE activity_mbq IS NOT NULL) "
        "AS first_activity, sum(activity_mbq) AS cum, "
        "first(route ORDER BY cycle NULLS LAST) FILTER (WHERE route IS NOT NULL) AS route, "
        "first(agent ORDER BY cycle NULLS LAST) FILTER (WHERE agent IS NOT NULL) AS agent "
        f"FROM {TX} WHERE patient_id IS NOT NULL GROUP BY patient_id"
    )
    derived = {
        "n_treatments": "CASE WHEN t.patient_id IS NULL THEN NULL ELSE coalesce(s.n, 0) END",
        "first_activity_mbq": "s.first_activity",
        "cumulative_activity_mbq": "s.cum",
        "route": "s.route",
        "agent": "s.agent",
    }
    repl = ", ".join(f"{expr} AS {column(k)}" for k, expr in derived.items() if k not in given)
    mismatch: dict[str, np.ndarray] = {"_row": np.zeros(0), "g": np.zeros(0), "n": np.zeros(0)}
    if "n_treatments" in given:
        mismatch = st.con.execute(
            f"SELECT t._row, t.n_treatments AS g, coalesce(s.n, 0) AS n FROM {TYPED} t "
            "LEFT JOIN tx_summary s USING (patient_id) "
            "WHERE t.n_treatments IS NOT NULL AND t.n_treatments <> coalesce(s.n, 0)"
        ).fetchnumpy()
    derived = None
    if repl:
        derived = st.con.sql(
            f"SELECT t.* REPLACE ({repl}) FROM {TYPED} t LEFT JOIN tx_summary s USING (patient_id) "
            "ORDER BY t._seq"
        ).to_arrow_table()
    return (
        np.asarray(mismatch["_row"], dtype=np.int64),
        np.asarray(mismatch["g"], dtype=np.int64),
        np.asarray(mismatch["n"], dtype=np.int64),
        derived,
    )


def key_frame(typed: pa.Table, cohort_id: str, width: int) -> pd.DataFrame:
    """The user's key: ``row, patient_id_in_file, study_id`` in file order."""
    con = private_connection()
    try:
        con.register("_typed", typed)
        return con.execute(
            "SELECT _row AS row, patient_id AS patient_id_in_file, "
            "? || '-' || lpad(CAST(_seq AS VARCHAR), ?, '0') AS study_id FROM _typed ORDER BY _seq",
            [cohort_id, width],
        ).df()
    finally:
        con.close()


def sorted_frame(typed: pa.Table) -> pd.DataFrame:
    """The typed rows in file order as pandas (for previews and the Python API)."""
    con = private_connection()
    try:
        register_patients(con, "_typed", typed)
        return (
            con.sql("SELECT * FROM _typed ORDER BY _seq")
            .to_arrow_table()
            .to_pandas(
                types_mapper={
                    pa.int64(): pd.Int64Dtype(),
                    pa.int32(): pd.Int64Dtype(),
                    pa.int8(): pd.Int64Dtype(),
                    pa.float64(): pd.Float64Dtype(),
                    pa.bool_(): pd.BooleanDtype(),
                }.get
            )
        )
    finally:
        con.close()
