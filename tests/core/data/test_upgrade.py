"""A database built before a field was declared gains it (empty) when the app opens it."""

from __future__ import annotations

import shutil

import duckdb

from core.data.build import missing_patient_fields, upgrade_schema
from core.data.db import close_all, query_rows
from core.vocab.schema import SCHEMA_VERSION


def test_old_file_gains_death_cause_and_keeps_its_rows(default_db, tmp_path):
    path = tmp_path / "old.duckdb"
    shutil.copy(default_db, path)
    con = duckdb.connect(str(path))
    before = con.execute("SELECT count(*), sum(os_days) FROM patients").fetchone()
    con.execute('ALTER TABLE patients DROP COLUMN "death_cause"')
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    assert missing_patient_fields(path) == ["death_cause"]
    assert upgrade_schema(path) == ["death_cause"]
    close_all()
    assert missing_patient_fields(path) == []
    rows = query_rows("SELECT count(*), sum(os_days), count(death_cause) FROM patients", [], path)
    assert rows[0][:2] == before and rows[0][2] == 0
    (version,) = query_rows("SELECT value FROM meta WHERE key = ?", ["schema_version"], path)
    assert version[0] == SCHEMA_VERSION
    assert upgrade_schema(path) == []  # nothing to do: nothing written


def test_current_file_is_not_written(default_db):
    assert missing_patient_fields(default_db) == []
