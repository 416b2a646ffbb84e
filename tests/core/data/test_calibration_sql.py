"""The calibration's in-memory database holds a frame exactly as the app stores it."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.data.calibration_sql import FrameDB
from core.data.db import query_arrays
from core.data.filters import Filters
from core.data.queries import patients_frame

PGEP = Filters(cohorts=("pgep-mibg-211",))
SQL = "SELECT cohort_id, grade, count(*) AS n, sum(os_event) AS d FROM patients GROUP BY ALL ORDER BY ALL"


def test_a_frame_answers_the_apps_sql_as_the_database_does(default_db):
    frame = patients_frame(PGEP, path=default_db)
    with FrameDB(frame) as db:
        got = db.arrays(SQL)
    want = query_arrays(
        SQL.replace("FROM patients", "FROM patients WHERE cohort_id = ?"),
        ["pgep-mibg-211"],
        default_db,
    )
    for col in want:
        np.testing.assert_array_equal(
            np.asarray(got[col], dtype=object), np.asarray(want[col], dtype=object)
        )


def test_a_frame_without_cohort_ids_is_one_calibration_cohort():
    frame = pd.DataFrame({"patient_id": ["a", "b"], "os_days": [10, 20], "os_event": [1, 0]})
    with FrameDB(frame) as db:
        got = db.arrays("SELECT DISTINCT cohort_id FROM patients")
    assert list(got["cohort_id"]) == ["calibration"]


def test_codes_outside_the_schema_are_refused():
    frame = pd.DataFrame({"patient_id": ["a"], "os_days": [10], "os_event": [1], "grade": ["G9"]})
    with pytest.raises(duckdb.ConversionException):
        FrameDB(frame)
