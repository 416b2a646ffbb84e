"""The query of the competing-risks analysis: one GROUP BY per recompute.

:func:`competing_rows` reduces the selected patients to counts per (group code, days, event
status, cause-of-death code); :mod:`core.analyses.competing` turns them into cumulative
incidence curves, Gray's tests and Fine-Gray models. Identifiers come from the schema's
allow-list, every value is bound.
"""

from __future__ import annotations

from pathlib import Path

from core.data.db import query_arrays
from core.data.filters import Filters
from core.data.survival_sql import group_sql
from core.vocab.schema import column


def competing_sql(
    filters: Filters, days: str, event: str, cause: str, group: str | None
) -> tuple[str, list]:
    """(group code, days, event, cause code) -> number of patients, for ``filters``.

    Group codes are those of :func:`core.data.survival_sql.group_sql`; the cause is the ENUM
    position of ``cause`` (NULL when not recorded). Rows with a missing time or event come back
    with NULLs, so they are counted without a second query.
    """
    where, params = filters.where()
    g_inner, g_outer = group_sql(group)
    sql = (
        f"SELECT {g_outer} AS g, t, ev, enum_code(c) AS c, n FROM (SELECT {g_inner} AS g, "
        f"{column(days)} AS t, {column(event)} AS ev, {column(cause)} AS c, count(*) AS n "
        f"FROM patients WHERE {where} GROUP BY ALL)"
    )
    return sql, params


def competing_rows(
    filters: Filters,
    days: str,
    event: str,
    cause: str,
    group: str | None,
    path: Path | str | None = None,
) -> dict:
    """Run :func:`competing_sql`: ``{g, t, ev, c, n}`` as NumPy arrays (masked for NULL)."""
    sql, params = competing_sql(filters, days, event, cause, group)
    return query_arrays(sql, params, path)
