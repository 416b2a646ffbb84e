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
