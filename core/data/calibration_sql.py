"""An in-memory database holding one generated patients frame, for the calibration search.

:mod:`core.cohorts.calibration` evaluates hundreds of candidate cohorts; writing each to a file
would dominate the search. :class:`FrameDB` loads the frame into an in-memory DuckDB with the
app's own ``patients`` definition (coded fields are ENUMs, :mod:`core.data.ddl`), so the
app's own survival SQL runs on it unchanged: only the storage differs from the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from core.data.ddl import patients_ddl
from core.vocab.schema import PATIENTS


class FrameDB:
    """A patients frame in an in-memory DuckDB, queried with the app's SQL."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.con = duckdb.connect()
        cols = ", ".join(f'"{c}"' for c in PATIENTS if c in df.columns)
        cohort = "cohort_id" if "cohort_id" in df.columns else "'calibration'"
        try:
            self.con.execute(patients_ddl())
            self.con.register("_frame", df)
            self.con.execute(
                f"INSERT INTO patients (cohort_id, {cols}) SELECT {cohort}, {cols} FROM _frame"
            )
        except BaseException:
            self.con.close()
            raise

    def arrays(self, sql: str, params: Sequence[Any] = ()) -> dict:
        """Run one query and return ``{column: numpy array}`` (as ``core.data.db.query_arrays``)."""
        return self.con.execute(sql, list(params)).fetchnumpy()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> FrameDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
