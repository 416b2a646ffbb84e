"""core.data.survival_sql: the survival aggregate, and no SQL left in the survival analysis."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from core.data.filters import Filters
from core.data.queries import patients_frame
from core.data.survival_sql import SurvivalColumns, group_sql, survival_rows, survival_sql

ROOT = Path(__file__).resolve().parents[3]
PGEP = Filters(cohorts=("pgep-mibg-211",))
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP)\b\s", re.IGNORECASE)


def test_group_codes_per_kind():
    assert group_sql(None) == ("0", "g")
    assert group_sql("grade")[1] == "enum_code(g)"
    assert group_sql("prior_ssa")[1] == "g::TINYINT"
    assert group_sql("age")[1] == "g"
    with pytest.raises(KeyError):
        group_sql("no_such_column; DROP TABLE patients")


def test_values_are_bound_not_written_into_the_query():
    f = Filters(cohorts=("x'; DROP TABLE patients; --",), grade=("G1",))
    sql, params = survival_sql(f, SurvivalColumns("os_days", "os_event", None, "grade"))
    assert "DROP" not in sql and f.cohorts[0] in params


@pytest.mark.parametrize("per_patient", [False, True])
@pytest.mark.parametrize("large", [None, 0], ids=["hash", "perfect-hash"])
def test_rows_add_up_to_the_patients(default_db, per_patient, large):
    """The aggregate (or the per-patient rows) count every selected patient once, with the
    events and the missing times of the patient table."""
    cols = SurvivalColumns("pfs_imaging_days", "pfs_imaging_event", None, "grade")
    raw = survival_rows(PGEP, cols, default_db, per_patient=per_patient, large=large)
    df = patients_frame(PGEP, path=default_db)
    assert int(np.sum(raw["n_all"])) == len(df)
    assert int(np.sum(np.ma.getdata(raw["n"]))) == int(df["pfs_imaging_event"].notna().sum())
    assert int(np.sum(np.ma.getdata(raw["d"]))) == int(df["pfs_imaging_event"].sum())
    if per_patient:
        assert len(raw["n_all"]) == len(df)
    else:
        assert len(raw["n_all"]) < len(df)


def _plan(default_db, sql: str, params: list, bits: int | None = None) -> str:
    from core.data.db import cursor

    cur = cursor(default_db)
    try:
        if bits is not None:
            cur.execute(f"SET perfect_ht_threshold = {int(bits)}").fetchall()
        return "\n".join(r[1] for r in cur.execute("EXPLAIN " + sql, params).fetchall())
    finally:
        cur.close()


def test_landmark_comparisons_do_not_cast_every_row_to_decimal(default_db):
    """91.3125 written alone is a DECIMAL literal in DuckDB: comparing the INTEGER day columns
    with it cast every patient's day to DECIMAL (issue 16: about a third of the diagnosis +
    landmark aggregate). Whole-day columns are compared with the landmark rounded down
    (``d <= 91.3125`` iff ``d <= 91`` for whole days), other columns with a DOUBLE."""
    from core.data.survival_sql import _bound

    assert _bound("os_days", 91.3125) == "91" and _bound("imaging_response_days", 30.0) == "30"
    assert _bound("first_activity_mbq", 91.3125) == "CAST(91.3125 AS DOUBLE)"
    from core.data.survival_sql import split_sql

    late = SurvivalColumns(
        "os_days", "os_event", None, "imaging_response", "imaging_response_days", 91.3125
    )
    dx = SurvivalColumns("os_days", "os_event", "dx_to_index_days", "grade")
    for sql, params in (
        survival_sql(PGEP, late),
        split_sql(PGEP, dx, landmark=91.3125),
        split_sql(PGEP, dx, landmark=91.3125, left_truncation=False),
    ):
        assert "91.3125" not in sql and " 91" in sql
        assert "DECIMAL" not in _plan(default_db, sql, params).upper()


def test_the_aggregate_computes_no_constant_columns():
    """From the index origin, without a landmark status, ``off`` and ``late`` would be
    constants summed per patient: they are not computed (the caller reads 0)."""
    sql, _ = survival_sql(PGEP, SurvivalColumns("os_days", "os_event", None, "grade"))
    assert " off" not in sql and "late" not in sql
    sql, _ = survival_sql(PGEP, SurvivalColumns("os_days", "os_event", "dx_to_index_days"))
    assert " off" in sql and "late" not in sql


@pytest.mark.parametrize("landmark", [None, 91.3125])
def test_split_aggregate_of_a_large_selection_uses_the_perfect_hash(
    default_db, monkeypatch, landmark
):
    """The exits-and-entries aggregate (diagnosis origin) raises DuckDB's perfect-hash limit
    on large selections as the index-origin one does: the setting changes its plan, the
    counts stay the same."""
    import core.data.survival_sql as mod
    from core.data.db import PERFECT_HASH_BITS

    cols = SurvivalColumns("os_days", "os_event", "dx_to_index_days", "grade")
    sql, params = mod.split_sql(PGEP, cols, landmark=landmark)
    assert "perfect" not in _plan(default_db, sql, params).lower()
    assert "perfect" in _plan(default_db, sql, params, PERFECT_HASH_BITS).lower()
    seen = []
    real = mod.query_arrays

    def spy(*args, **kwargs):
        seen.append(kwargs.get("perfect_hash"))
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, "query_arrays", spy)
    big = mod.split_rows(PGEP, cols, default_db, landmark=landmark, large=0)
    small = mod.split_rows(PGEP, cols, default_db, landmark=landmark)
    assert seen == [True, False]  # 211 patients: below the default limit

    def rows(raw: dict) -> list:
        keys = ("g", "k", "x", "n_all", "n", "d", "late")
        return sorted(zip(*(np.ma.getdata(raw[c]).tolist() for c in keys), strict=True))

    assert rows(big) == rows(small)
