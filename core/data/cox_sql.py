"""The query of the Cox model: one pass over stored values, aggregated or one row per patient.

:func:`cox_sql` builds it and :func:`cox_arrays` runs it; :mod:`core.analyses.cox` turns the
columns into labels, origins, entry times and the fit. Nothing here knows about covariates or
levels: the caller names the stored columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.data.db import query_arrays
from core.data.filters import Filters
from core.vocab.schema import PATIENTS, column


@dataclass(frozen=True, slots=True)
class CoxColumns:
    """The stored columns one Cox model reads."""

    values: tuple[str, ...]
    """Covariates then the stratum, returned as ``v0``, ``v1``, ..."""
    days: str
    """Days from the index date to the event or censoring."""
    event: str
    """Event indicator (NULL: status unknown)."""
    offset: str | None = None
    """Days from the time origin to the index date (None: the origin is the index date)."""
    known: tuple[tuple[int, str], ...] = ()
    """``(i, day column)``: value ``i`` is a status that became known on that day."""
    known_by: float | None = None
    """Landmark in days: a status in ``known`` assessed after it (or on an unrecorded day) is
    NULL, not yet known at the landmark."""


def _value(name: str) -> str:
    """A stored value as the query returns it: an ENUM as its position in the field's codes
    (a small integer, ``PATIENTS[name].codes[i]``; no string per row), else as stored."""
    f = PATIENTS.get(name)
    return f"enum_code({column(name)})" if f is not None and f.kind == "code" else column(name)


def cox_sql(filters: Filters, cols: CoxColumns, aggregate: bool) -> tuple[str, list]:
    """One query over stored values: ``v0..``, [``off``], ``t``, ``d``, ``c``, ``lk``, ``ld``.

    ENUM values come back as their code positions (see :func:`_value`).

    Rows with a missing time, event or origin offset come back with ``t`` NULL so they are
    counted without a second query. ``aggregate``: ``GROUP BY`` every non-count column, with
    ``d`` events and ``c`` patients per row; else one row per patient (``c`` = 1).
    """
    where, params = filters.where()
    days, ev = column(cols.days), column(cols.event)
    valid = f"{days} IS NOT NULL AND {ev} IS NOT NULL"
    days_of = dict(cols.known) if cols.known_by is not None else {}
    out = [
        f"CASE WHEN {column(days_of[i])} <= {float(cols.known_by)!r} THEN {_value(name)} END "
        f"AS v{i}"
        if i in days_of
        else f"{_value(name)} AS v{i}"
        for i, name in enumerate(cols.values)
    ]
    if cols.offset:
        off = column(cols.offset)
        valid += f" AND {off} IS NOT NULL AND {off} >= 0"
        out.append(f"CASE WHEN {valid} THEN {off} END AS off")
    out.append(f"CASE WHEN {valid} THEN {days} END AS t")
    # left out with a time and an event status (no usable origin): ``lk`` patients, ``ld``
    # events (shown from the index date, so under the left-out rule too)
    timed = f"NOT ({valid}) AND {days} IS NOT NULL AND {ev} IS NOT NULL"
    lk, ld = f"CASE WHEN {timed} THEN 1 ELSE 0 END", f"CASE WHEN {timed} THEN {ev} ELSE 0 END"
    if aggregate:
        out += [f"sum(CASE WHEN {valid} THEN {ev} END)::BIGINT AS d", "count(*)::BIGINT AS c"]
        out += [f"sum({lk})::BIGINT AS lk", f"sum({ld})::BIGINT AS ld"]
        tail = " GROUP BY ALL ORDER BY ALL"  # a fixed row order: the same sums every run
    else:
        out += [f"CASE WHEN {valid} THEN {ev} END AS d", "1 AS c"]
        out += [f"({lk})::BIGINT AS lk", f"({ld})::BIGINT AS ld"]
        tail = ""
    return f"SELECT {', '.join(out)} FROM patients WHERE {where}{tail}", params


def cox_arrays(
    filters: Filters, cols: CoxColumns, aggregate: bool, path: Path | str | None = None
) -> dict[str, np.ndarray]:
    """Run :func:`cox_sql`: a dict of column arrays (masked where NULLs occur)."""
    sql, params = cox_sql(filters, cols, aggregate)
    return query_arrays(sql, params, path)
