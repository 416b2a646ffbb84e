"""Queries of the benchmark comparison: the figures users add (table ``user_benchmarks``).

The table is declared in :mod:`core.vocab.schema` (created by :mod:`core.data.ddl`). A database built
before the table existed has none: reading it gives no rows, and the first write creates it
inside the write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from core.data.db import query_df, query_rows
from core.data.ddl import USER_BENCHMARKS_DDL
from core.data.store import unique_id, write_transaction
from core.vocab.schema import BENCHMARK_COLUMNS, column

_TABLE = "user_benchmarks"
_COLS = ", ".join(column(c, _TABLE) for c in BENCHMARK_COLUMNS)


def user_benchmarks_exist(path: Path | str | None = None) -> bool:
    """Whether the database has the ``user_benchmarks`` table (older builds may not)."""
    rows = query_rows(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [_TABLE], path
    )
    return bool(rows[0][0])


def user_benchmark_frame(path: Path | str | None = None) -> pd.DataFrame:
    """The stored rows, oldest first, as text columns :data:`BENCHMARK_COLUMNS`."""
    if not user_benchmarks_exist(path):
        return pd.DataFrame(columns=list(BENCHMARK_COLUMNS))
    return query_df(f"SELECT {_COLS} FROM user_benchmarks ORDER BY added_at, id", (), path)


def insert_user_benchmark(
    record: Mapping[str, str | None],
    reserved: Iterable[str],
    path: Path | str | None = None,
) -> str:
    """Store one figure; its id is made unique (suffix -2, -3, ...) against ``reserved`` and
    the ids already stored. Returns the id written."""
    taken = set(reserved)
    with write_transaction(path) as con:
        con.execute(USER_BENCHMARKS_DDL)
        taken |= {r[0] for r in con.execute("SELECT id FROM user_benchmarks").fetchall()}
        ident = unique_id(str(record["id"]), taken)
        values: Sequence[Any] = [ident if c == "id" else record.get(c) for c in BENCHMARK_COLUMNS]
        marks = ", ".join("?" * len(BENCHMARK_COLUMNS))
        con.execute(f"INSERT INTO user_benchmarks ({_COLS}) VALUES ({marks})", values)
    return ident
