"""The database's table definitions, built from the declarations in :mod:`core.vocab.schema`.

The schema module declares every table, field, kind and code; the SQL text that creates them
lives here, with the rest of the project's SQL. Coded patient fields become DuckDB ENUMs of
their codes, so a value outside the codes cannot be stored.
"""

from __future__ import annotations

from core.vocab.schema import (
    BENCHMARK_COLUMNS,
    PATIENT_FIELDS,
    TABLES,
    USER_ARM_COLUMNS,
    Field,
    Kind,
)

_SQL_TYPES: dict[Kind, str] = {
    "code": "VARCHAR",
    "int": "INTEGER",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "text": "VARCHAR",
    "days": "INTEGER",
    "event": "TINYINT",
}


def sql_type(f: Field) -> str:
    """Coded fields are stored as DuckDB ENUMs of their codes: a value outside the codes cannot
    be stored, and filtering or grouping on them compares small integers, not strings."""
    if f.kind == "code" and f.codes:
        return "ENUM(" + ", ".join(f"'{c}'" for c in f.codes) + ")"
    return _SQL_TYPES[f.kind]


def patients_ddl() -> str:
    """CREATE TABLE text of ``patients``: one column per declared patient field.

    No PRIMARY KEY index: (cohort_id, patient_id) is unique by construction (the importer
    refuses duplicate ids and writes sequential study pseudonyms, checked again after the
    insert; the generator numbers its patients), and maintaining the index cost 0.7 s of every
    10^6-row import."""
    cols = ",\n  ".join(
        f'"{f.name}" {sql_type(f)}' + (" NOT NULL" if f.required else "") for f in PATIENT_FIELDS
    )
    return f"CREATE TABLE patients (\n  cohort_id VARCHAR NOT NULL,\n  {cols}\n)"


_STATEMENTS: dict[str, tuple[str, ...]] = {
    "meta": ("""CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",),
    "cohorts": (
        """CREATE TABLE cohorts (
  cohort_id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, description VARCHAR,
  provenance VARCHAR NOT NULL, citation VARCHAR, n_patients INTEGER NOT NULL,
  data_version VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""",
    ),
    "patients": (patients_ddl(),),
    "treatments": (
        """CREATE TABLE treatments (
  cohort_id VARCHAR NOT NULL, patient_id VARCHAR NOT NULL, cycle INTEGER NOT NULL,
  day INTEGER, route VARCHAR, agent VARCHAR, activity_mbq DOUBLE,
  approximated BOOLEAN NOT NULL DEFAULT FALSE)""",
    ),
    "adverse_events": (
        """CREATE TABLE adverse_events (
  cohort_id VARCHAR NOT NULL, patient_id VARCHAR NOT NULL, term VARCHAR NOT NULL,
  ctcae_grade INTEGER NOT NULL CHECK (ctcae_grade BETWEEN 1 AND 5), note VARCHAR)""",
    ),
    "case_notes": (
        """CREATE TABLE case_notes (cohort_id VARCHAR NOT NULL, patient_id VARCHAR NOT NULL,
  note VARCHAR NOT NULL)""",
    ),
    "import_log": (
        """CREATE SEQUENCE import_log_seq""",
        """CREATE TABLE import_log (
  log_id BIGINT DEFAULT nextval('import_log_seq') PRIMARY KEY, cohort_id VARCHAR NOT NULL,
  action VARCHAR NOT NULL, n_rows INTEGER, content_hash VARCHAR, logged_at TIMESTAMP NOT NULL)""",
    ),
    "user_benchmarks": (
        "CREATE TABLE IF NOT EXISTS user_benchmarks ("
        + ", ".join(
            f'"{c}" VARCHAR' + (" PRIMARY KEY" if c == "id" else "") for c in BENCHMARK_COLUMNS
        )
        + ", added_at TIMESTAMP NOT NULL DEFAULT current_timestamp)",
    ),
    "user_arms": (
        "CREATE TABLE IF NOT EXISTS user_arms ("
        + ", ".join(
            f'"{c}" VARCHAR' + (" PRIMARY KEY" if c == "id" else "") for c in USER_ARM_COLUMNS
        )
        + ", added_at TIMESTAMP NOT NULL DEFAULT current_timestamp)",
    ),
    "user_arm_rows": (
        "CREATE TABLE IF NOT EXISTS user_arm_rows (arm_id VARCHAR NOT NULL, "
        "time_months DOUBLE NOT NULL, event TINYINT NOT NULL)",
    ),
}
USER_BENCHMARKS_DDL = _STATEMENTS["user_benchmarks"][0]
"""Figures users add: the registry's columns (text, as in data/benchmarks.csv) and the time the
row was added. Created with every new database; ``IF NOT EXISTS`` so that writers can also
create it in a database built before it existed."""


USER_ARMS_DDL = _STATEMENTS["user_arms"] + _STATEMENTS["user_arm_rows"]
"""Reconstructed arms users add (description, then one row per patient); ``IF NOT EXISTS`` as
``user_benchmarks``."""


def table_ddl(name: str) -> tuple[str, ...]:
    """The statements that create the declared table ``name`` (KeyError if undeclared)."""
    if name not in TABLES:
        raise KeyError(f"{name!r} is not a table")
    return _STATEMENTS[name]


DDL: tuple[str, ...] = tuple(stmt for name in _STATEMENTS for stmt in table_ddl(name))
"""Every CREATE statement of a new database, in dependency order."""


def add_column_statement(f: Field) -> str:
    """ALTER TABLE text adding the patient field ``f`` (nullable: earlier rows have no value)."""
    return f'ALTER TABLE patients ADD COLUMN "{f.name}" {sql_type(f)}'
