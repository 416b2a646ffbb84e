"""Queries of the reconstructed arms users add (tables ``user_arms`` and ``user_arm_rows``).

The tables are declared in :mod:`core.vocab.schema` (created by :mod:`core.data.ddl`). A
database built before they existed has none: reading gives no arms, and the first write
creates them inside the write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from core.data.db import query_df, query_rows
from core.data.ddl import USER_ARMS_DDL
from core.data.filters import Filters
from core.data.store import unique_id, write_transaction
from core.vocab.schema import USER_ARM_COLUMNS, column

_COLS = ", ".join(column(c, "user_arms") for c in USER_ARM_COLUMNS)


def user_arms_exist(path: Path | str | None = None) -> bool:
    """Whether the database has both arm tables (older builds may not)."""
    rows = query_rows(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name IN ('user_arms', 'user_arm_rows')",
        (),
        path,
    )
    return int(rows[0][0]) == 2


def user_arm_frames(path: Path | str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored arms (text columns, oldest first) and their rows (arm_id, time_months, event)."""
    if not user_arms_exist(path):
        return (
            pd.DataFrame(columns=list(USER_ARM_COLUMNS)),
            pd.DataFrame(columns=["arm_id", "time_months", "event"]),
        )
    arms = query_df(f"SELECT {_COLS} FROM user_arms ORDER BY added_at, id", (), path)
    rows = query_df(
        "SELECT arm_id, time_months, event FROM user_arm_rows ORDER BY arm_id, time_months",
        (),
        path,
    )
    return arms, rows


def insert_user_arm(
    record: Mapping[str, str | None],
    time_months: Sequence[float] | np.ndarray,
    event: Sequence[int] | np.ndarray,
    reserved: Iterable[str],
    path: Path | str | None = None,
) -> str:
    """Store one arm and its rows in one transaction; the id is made unique (suffix -2, -3,
    ...) against ``reserved`` and the stored ids. Returns the id written."""
    taken = set(reserved)
    with write_transaction(path) as con:
        for stmt in USER_ARMS_DDL:
            con.execute(stmt)
        taken |= {r[0] for r in con.execute("SELECT id FROM user_arms").fetchall()}
        ident = unique_id(str(record["id"]), taken)
        values = [ident if c == "id" else record.get(c) for c in USER_ARM_COLUMNS]
        marks = ", ".join("?" * len(USER_ARM_COLUMNS))
        con.execute(f"INSERT INTO user_arms ({_COLS}) VALUES ({marks})", values)
        rows = pd.DataFrame(
            {
                "arm_id": ident,
                "time_months": np.asarray(time_months, dtype=float),
                "event": np.asarray(event, dtype=np.int8),
            }
        )
        con.register("_new_arm_rows", rows)
        con.execute(
            "INSERT INTO user_arm_rows SELECT arm_id, time_months, event FROM _new_arm_rows"
        )
        con.unregister("_new_arm_rows")
    return ident


def delete_user_arm(ident: str, path: Path | str | None = None) -> bool:
    """Remove one stored arm and its rows; True when it existed."""
    if not user_arms_exist(path):
        return False
    with write_transaction(path) as con:
        found = con.execute("SELECT count(*) FROM user_arms WHERE id = ?", [ident]).fetchone()[0]
        con.execute("DELETE FROM user_arm_rows WHERE arm_id = ?", [ident])
        con.execute("DELETE FROM user_arms WHERE id = ?", [ident])
    return bool(found)
