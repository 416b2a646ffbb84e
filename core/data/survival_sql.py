"""Queries of the survival analysis: one GROUP BY over stored values per recompute.

:func:`survival_sql` builds the aggregate ``(group code, days, origin offset) -> counts`` that
:mod:`core.analyses.survival` turns into per-group event tables; :func:`survival_rows` runs it.
Nothing here knows about groupings or labels: the caller names the stored columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from core.data.db import list_cohorts, query_arrays, query_rows
from core.data.filters import Filters
from core.vocab.schema import PATIENTS, column

LARGE = 500_000
"""Patients in the selected cohorts from which the aggregate uses DuckDB's perfect-hash GROUP
BY (see ``core.data.db.PERFECT_HASH_BITS``; measured break-even between 10^5 and 10^6)."""


@dataclass(frozen=True, slots=True)
class SurvivalColumns:
    """The stored columns one survival view reads."""

    days: str
    """Days from the index date to the event or censoring."""
    event: str
    """Event indicator (NULL: status unknown)."""
    offset: str | None = None
    """Days from the time origin to the index date (None: the origin is the index date)."""
    group: str | None = None
    """Stored column to split on (None: one group)."""
    group_day: str | None = None
    """Day (from the index date) on which ``group`` became known, if the schema records it."""
    known_by: float | None = None
    """Landmark in days: a group value known only after it (or on an unrecorded day) is NULL,
    'not yet assessed at the landmark'; ``late`` counts those patients."""


def group_sql(group: str | None) -> tuple[str, str]:
    """(stored column grouped on, expression that turns it into a small integer code).

    Codes: an ENUM's position (``codes[i]``), a boolean as 0/1, integers and cohort ids as they
    are; ``0`` for everyone without a grouping.
    """
    if not group:
        return "0", "g"
    f = PATIENTS.get(group)
    name = column(group)
    if f is not None and f.kind == "code":
        return name, "enum_code(g)"
    if f is not None and f.kind == "bool":
        return name, "g::TINYINT"
    return name, "g"


def survival_sql(
    filters: Filters, cols: SurvivalColumns, *, per_patient: bool = False
) -> tuple[str, list]:
    """One GROUP BY over stored values: (group code, days, origin offset) -> counts.

    Each row holds ``n_all`` patients, ``n`` of them with a known event status and ``d`` of
    those with the event. Rows with a missing time or origin offset come back as NULLs in their
    own aggregate rows, so they are counted without a second query. From the index origin the
    offset is 0 and the aggregate has one row per group value and day.

    The inner GROUP BY keys are stored columns only (no per-row expressions), so DuckDB knows
    their value ranges and can use its perfect-hash aggregate (see ``core.data.db``); the group
    is turned into a small integer code on the aggregate. With ``per_patient`` the same columns
    come back one row per patient (n_all = 1).

    Columns that would be constant are not computed (a per-row ``sum`` of a constant costs an
    aggregate per patient): ``off`` only with an origin offset, ``late`` only with a landmark
    on a grouping with a recorded day; the caller reads them as 0 when absent.
    """
    where, params = filters.where()
    g_inner, g_outer = group_sql(cols.group)
    ev = column(cols.event)
    late = None
    if cols.group and cols.group_day and cols.known_by is not None:
        # the status known at the landmark: later (or undated) assessments are not yet known
        known = f"{column(cols.group_day)} <= {_bound(cols.group_day, cols.known_by)}"
        late = f"({g_inner} IS NOT NULL AND {ev} IS NOT NULL AND NOT coalesce({known}, false))"
        g_inner = f"CASE WHEN {known} THEN {g_inner} END"
    keys = f"{g_inner} AS g, {column(cols.days)} AS t"
    if cols.offset:
        keys += f", {column(cols.offset)} AS off"
    if per_patient:
        counts = f"1 AS n_all, ({ev} IS NOT NULL)::BIGINT AS n, coalesce({ev}, 0)::BIGINT AS d"
        counts += f", ({late})::BIGINT AS late" if late else ""
        group_by = ""
    else:
        counts = f"count(*) AS n_all, count({ev}) AS n, coalesce(sum({ev}), 0)::BIGINT AS d"
        counts += f", sum(({late})::BIGINT)::BIGINT AS late" if late else ""
        group_by = " GROUP BY ALL"
    outer = f"{g_outer} AS g, t{', off' if cols.offset else ''}, n_all, n, d"
    outer += ", late" if late else ""
    sql = f"SELECT {outer} FROM (SELECT {keys}, {counts} FROM patients WHERE {where}{group_by})"
    return sql, params


def _bound(name: str, value: float) -> str:
    """The literal to compare stored column ``name`` with ``value`` (``name <= value``,
    ``name > value``) without a cast per row.

    ``91.3125`` written alone is a DECIMAL in DuckDB, and comparing an INTEGER column with it
    casts every patient's value to DECIMAL (about 5 ms per 10^6 patients). Whole-number
    columns (days, integers) compare exactly with the value rounded down, as an integer
    (``d <= 91.3125`` iff ``d <= 91``, ``d > 91.3125`` iff ``d > 91``); others with a DOUBLE.
    """
    f = PATIENTS.get(name)
    if f is not None and f.kind in ("days", "int") and math.isfinite(value):
        return str(math.floor(value))
    return f"CAST({float(value)!r} AS DOUBLE)"


def split_sql(
    filters: Filters,
    cols: SurvivalColumns,
    *,
    left_truncation: bool = True,
    landmark: float | None = None,
) -> tuple[str, list]:
    """Exits and delayed entries counted apart: the aggregate of a view with an origin offset.

    From a diagnosis origin a patient leaves the risk set at ``offset + days`` and (with
    ``left_truncation``) enters it at ``offset``; grouping on the pair would give about one
    row per patient, so the two are counted in separate aggregates of one query
    (``UNION ALL``; each about as fast as the index-origin aggregate): ``k = 0`` rows count
    patients per (group code, exit day ``x``), ``k = 1`` rows count the analysed patients'
    entries per (group code, entry day ``x`` before any landmark shift: the caller adds the
    landmark, entry = offset + landmark). Exit rows with ``x = -1`` hold patients with a
    missing time, ``x = -3`` those with a time but a missing or negative offset (with
    ``left_truncation`` also an endpoint on or before the first treatment: R needs entry <
    exit; their events are known, and shown from the index date), ``x = -2`` those left out by the
    ``landmark`` (endpoint on or before it, in days from the index date). Columns
    ``g, k, x, n_all, n, d, late`` as :func:`survival_sql`; patients with an unknown event
    status are in ``n_all`` only and have no entry row.
    """
    where, params = filters.where()
    if not cols.offset:
        raise ValueError("split_sql needs an origin offset column")
    off = column(cols.offset)
    days = column(cols.days)
    g_inner, g_outer = group_sql(cols.group)
    ev = column(cols.event)
    late = None  # a constant 0 is not summed per patient
    if cols.group and cols.group_day and cols.known_by is not None:
        known = f"{column(cols.group_day)} <= {_bound(cols.group_day, cols.known_by)}"
        late = f"({g_inner} IS NOT NULL AND {ev} IS NOT NULL AND NOT coalesce({known}, false))"
        g_inner = f"CASE WHEN {known} THEN {g_inner} END"
    ok = f"{days} >= 0 AND {off} >= 0"  # NULL when either is missing
    if left_truncation:
        ok = f"{days} > 0 AND {off} >= 0"
    # the class is folded into the exit day: -1 no time, -3 a time but no usable origin (or
    # an endpoint on or before the first treatment), -2 left out by the landmark
    exit_day = f"CASE WHEN coalesce({ok}, false) THEN {days} + {off} "
    if landmark is not None and landmark >= 0:
        # days > L >= 0 implies the time part of ok: one flat CASE, no nested one
        after = f"{days} > {_bound(cols.days, landmark)} AND {off} >= 0"
        exit_day = (
            f"CASE WHEN coalesce({after}, false) THEN {days} + {off} "
            f"WHEN coalesce({ok}, false) THEN -2 "
        )
    elif landmark is not None:
        exit_day = (
            f"CASE WHEN coalesce({ok}, false) THEN CASE WHEN {days} <= "
            f"{_bound(cols.days, landmark)} THEN -2 ELSE {days} + {off} END "
        )
    exits = (
        f"SELECT {g_inner} AS g, 0 AS k, {exit_day}"
        f"WHEN {days} IS NOT NULL THEN -3 ELSE -1 END AS x, count(*) AS n_all, "
        f"count({ev}) AS n, coalesce(sum({ev}), 0)::BIGINT AS d"
        + (f", sum(({late})::BIGINT)::BIGINT AS late" if late else "")
        + f" FROM patients WHERE {where} GROUP BY ALL"
    )
    sql = exits
    if left_truncation:
        kept = f"{ok} AND {ev} IS NOT NULL"
        if landmark is not None and landmark >= 0:
            kept = f"{days} > {_bound(cols.days, landmark)} AND {off} >= 0 AND {ev} IS NOT NULL"
        elif landmark is not None:
            kept += f" AND {days} > {_bound(cols.days, landmark)}"
        sql += (
            f" UNION ALL SELECT {g_inner} AS g, 1 AS k, {off} AS x, count(*) AS n_all, "
            f"count(*) AS n, 0::BIGINT AS d{', 0::BIGINT AS late' if late else ''} "
            f"FROM patients WHERE {where} AND {kept} GROUP BY ALL"
        )
        params = [*params, *params]
    sql = (
        f"SELECT {g_outer} AS g, k, x, n_all, n, d, {'late' if late else '0::BIGINT'} AS late "
        f"FROM ({sql})"
    )
    return sql, params


def split_rows(
    filters: Filters,
    cols: SurvivalColumns,
    path: Path | str | None = None,
    *,
    left_truncation: bool = True,
    landmark: float | None = None,
    large: int | None = None,
) -> dict:
    """Run :func:`split_sql`: ``{g, k, x, n_all, n, d, late}`` as NumPy arrays.

    As :func:`survival_rows`, a selection reading at least ``large`` patients (default
    :data:`LARGE`) uses DuckDB's perfect-hash GROUP BY: DuckDB knows the range of the exit
    day (days + offset, or a class code) and of the stored offset, so both aggregates qualify
    (10^6 patients from diagnosis: about 15 -> 12 ms).
    """
    sql, params = split_sql(filters, cols, left_truncation=left_truncation, landmark=landmark)
    limit = LARGE if large is None else large
    return query_arrays(sql, params, path, perfect_hash=cohort_rows(filters, path) >= limit)


def cohort_rows(filters: Filters, path: Path | str | None = None) -> int:
    """Patients in the cohorts a selection reads (all cohorts when none is chosen)."""
    chosen = set(filters.cohorts)
    return sum(c.n_patients for c in list_cohorts(path) if not chosen or c.cohort_id in chosen)


def survival_rows(
    filters: Filters,
    cols: SurvivalColumns,
    path: Path | str | None = None,
    *,
    per_patient: bool = False,
    large: int | None = None,
) -> dict:
    """Run :func:`survival_sql`: ``{g, t, off, n_all, n, d, late}`` as NumPy arrays.

    The aggregate of a selection reading at least ``large`` patients (default :data:`LARGE`)
    uses DuckDB's perfect-hash GROUP BY.
    """
    sql, params = survival_sql(filters, cols, per_patient=per_patient)
    limit = LARGE if large is None else large
    big = not per_patient and cohort_rows(filters, path) >= limit
    return query_arrays(sql, params, path, perfect_hash=big)


def group_cohort_counts(
    filters: Filters, group: str | None, path: Path | str | None = None
) -> list[tuple[str, str, object, int]]:
    """Selected patients per (cohort, provenance, group code): ``(cohort_id, provenance, g, n)``.

    The group code is as in :func:`survival_sql` (NULL for a missing value); used to tell
    whether a grouping coincides with cohorts or provenances.
    """
    where, params = filters.where()
    g_inner, g_outer = group_sql(group)
    sql = (
        f"SELECT cohort_id, provenance, {g_outer} AS g, n FROM "
        f"(SELECT cohort_id, {g_inner} AS g, count(*) AS n FROM patients WHERE {where} "
        "GROUP BY ALL) JOIN cohorts USING (cohort_id)"
    )
    return query_rows(sql, params, path)
