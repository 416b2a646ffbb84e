"""The CREATE statements (core/data/ddl.py) follow the declarations in core/vocab/schema.py."""

from __future__ import annotations

import duckdb
import pytest

from core.data.db import query_rows
from core.data.ddl import DDL, USER_BENCHMARKS_DDL, patients_ddl, sql_type, table_ddl
from core.vocab.schema import PATIENTS, TABLES


@pytest.fixture
def con():
    c = duckdb.connect()
    for stmt in DDL:
        c.execute(stmt)
    yield c
    c.close()


def _columns(con, table: str) -> tuple[str, ...]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return tuple(r[0] for r in rows)


def test_every_declared_table_is_created_with_its_declared_columns_in_order(con):
    created = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert created == set(TABLES)
    for name, cols in TABLES.items():
        assert _columns(con, name) == cols, name


def test_the_built_database_has_the_same_tables(default_db):
    rows = query_rows("SELECT table_name FROM information_schema.tables", path=default_db)
    assert {r[0] for r in rows} == set(TABLES)


def test_coded_fields_are_enums_that_refuse_other_values(con):
    assert sql_type(PATIENTS["grade"]) == "ENUM('G1', 'G2', 'G3', 'GX')"
    assert sql_type(PATIENTS["age"]) == "INTEGER"
    con.execute(
        "INSERT INTO patients (cohort_id, patient_id, grade, os_days, os_event) "
        "VALUES ('c', 'p1', 'G2', 10, 1)"
    )
    with pytest.raises(duckdb.ConversionException):
        con.execute(
            "INSERT INTO patients (cohort_id, patient_id, grade, os_days, os_event) "
            "VALUES ('c', 'p2', 'G9', 10, 1)"
        )


def test_required_fields_are_not_null(con):
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO patients (cohort_id, patient_id, os_days) VALUES ('c', 'p', 1)")


def test_undeclared_table_has_no_ddl():
    with pytest.raises(KeyError):
        table_ddl("secrets")
    assert table_ddl("patients") == (patients_ddl(),)


def test_user_benchmarks_can_be_created_again_in_an_older_database(con):
    con.execute(USER_BENCHMARKS_DDL)  # IF NOT EXISTS: no error on a database that has it
    assert _columns(con, "user_benchmarks") == TABLES["user_benchmarks"]


def test_patients_have_no_key_index_but_an_import_refuses_duplicate_ids():
    """The table has no PRIMARY KEY (its index cost 0.7 s per 10^6 imported rows); the insert
    checks uniqueness itself and fails, leaving the transaction to roll back."""
    import pandas as pd

    from core.data import import_sql
    from core.data.build import create_schema

    assert "PRIMARY KEY" not in patients_ddl()
    con = duckdb.connect()
    create_schema(con)
    stage = pd.DataFrame({"_seq": [1, 1], "patient_id": ["a", "b"], "os_days": [1, 2],
                          "os_event": [0, 1]})  # fmt: skip
    for c in PATIENTS:
        if c not in stage:
            stage[c] = None
    con.register("_stage_patients", stage)
    con.register("_stage_treatments", pd.DataFrame({"patient_id": pd.Series([], dtype=str)}))
    con.execute("BEGIN")
    with pytest.raises(ValueError, match="duplicate patient ids"):
        import_sql.insert_from_stage(
            con, "c1", title="t", description="", provenance="imported", n_patients=2, version="v"
        )
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM patients").fetchone() == (0,)
