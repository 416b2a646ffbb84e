"""Named queries over the cohort database, all built from the allow-list with bound values."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from core.data.db import list_cohorts, query_df, query_rows
from core.data.filters import Filters
from core.vocab.methods import Provenance
from core.vocab.schema import AE_COLUMNS, PATIENTS, TREATMENT_COLUMNS, column


def provenance_split(
    cohorts: Sequence[str], path: Path | str | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(protected, exempt) cohort ids among ``cohorts`` (every cohort when empty).

    Protected: imported (real) data, under disclosure control in protected mode; exempt:
    synthetic and published cohorts. Ids not in the database are in neither.
    """
    wanted = set(cohorts)
    infos = [c for c in list_cohorts(path) if not wanted or c.cohort_id in wanted]
    real = tuple(c.cohort_id for c in infos if c.provenance == Provenance.IMPORTED.value)
    return real, tuple(c.cohort_id for c in infos if c.cohort_id not in real)


def count_patients(filters: Filters, path: Path | str | None = None) -> int:
    where, params = filters.where()
    return int(query_rows(f"SELECT count(*) FROM patients WHERE {where}", params, path)[0][0])


def patients_frame(
    filters: Filters, columns: Sequence[str] | None = None, path: Path | str | None = None
) -> pd.DataFrame:
    """Patients in the selection with the given columns (all data-model columns by default)."""
    names = list(columns) if columns is not None else ["cohort_id", *PATIENTS]
    if "cohort_id" not in names:
        names = ["cohort_id", *names]
    cols = ", ".join(column(c) for c in names)
    where, params = filters.where()
    return query_df(
        f"SELECT {cols} FROM patients WHERE {where} ORDER BY cohort_id, patient_id", params, path
    )


def _selected_ids(filters: Filters) -> tuple[str, list]:
    """A sub-query of the selected (cohort_id, patient_id) pairs and its parameters.

    Child tables share column names with ``patients`` (route, agent): joining on the selected
    ids instead of the whole patients row keeps every filter column unambiguous.
    """
    where, params = filters.where()
    return f"SELECT cohort_id, patient_id FROM patients WHERE {where}", params


def treatments_frame(filters: Filters, path: Path | str | None = None) -> pd.DataFrame:
    sel, params = _selected_ids(filters)
    cols = ", ".join(f"t.{column(c, 'treatments')}" for c in TREATMENT_COLUMNS)
    return query_df(
        f"SELECT {cols} FROM treatments t JOIN ({sel}) s USING (cohort_id, patient_id) "
        "ORDER BY t.cohort_id, t.patient_id, t.cycle",
        params,
        path,
    )


def adverse_events_frame(filters: Filters, path: Path | str | None = None) -> pd.DataFrame:
    sel, params = _selected_ids(filters)
    cols = ", ".join(f"a.{column(c, 'adverse_events')}" for c in AE_COLUMNS)
    return query_df(
        f"SELECT {cols} FROM adverse_events a JOIN ({sel}) s USING (cohort_id, patient_id) "
        "ORDER BY a.cohort_id, a.patient_id, a.term",
        params,
        path,
    )


def case_notes_frame(filters: Filters, path: Path | str | None = None) -> pd.DataFrame:
    sel, params = _selected_ids(filters)
    return query_df(
        "SELECT n.cohort_id, n.patient_id, n.note FROM case_notes n "
        f"JOIN ({sel}) s USING (cohort_id, patient_id)",
        params,
        path,
    )


def distinct_codes(field: str, cohorts: Sequence[str], path: Path | str | None = None) -> list:
    """Codes of ``field`` present in the given cohorts (for building filter choices)."""
    col = column(field)
    marks = ", ".join("?" * len(cohorts)) or "NULL"
    rows = query_rows(
        f"SELECT DISTINCT {col} FROM patients WHERE cohort_id IN ({marks}) AND {col} IS NOT NULL",
        list(cohorts),
        path,
    )
    present = {r[0] for r in rows}
    order = PATIENTS[field].codes
    return [c for c in order if c in present] if order else sorted(present)


def value_counts(filters: Filters, field: str, path: Path | str | None = None) -> dict[object, int]:
    """Patients per stored value of ``field`` (None for missing) within the selection."""
    col = column(field)
    where, params = filters.where()
    rows = query_rows(
        f"SELECT {col}, count(*) FROM patients WHERE {where} GROUP BY {col}", params, path
    )
    return {r[0]: int(r[1]) for r in rows}


def first_values(
    filters: Filters, columns: Sequence[str], path: Path | str | None = None
) -> dict[str, tuple[str, ...]]:
    """The distinct non-missing values of each patient column in the selection, as text, in
    the order of each value's first patient by (cohort_id, patient_id).

    The same values in the same order as ``pd.unique`` over the column of
    :func:`core.data.queries.patients_frame` (which orders its rows so), from one ``GROUP BY``
    of the columns' combinations with each one's first patient: no row per patient is fetched.
    (Python orders the ids by code point, DuckDB by UTF-8 bytes: the same order.)
    """
    names = list(columns)
    if not names:
        return {}
    cols = [column(name) for name in names]
    text = ", ".join(f"CAST({c} AS VARCHAR)" for c in cols)
    where, params = filters.where()
    rows = query_rows(
        f"SELECT {text}, cohort_id, min(patient_id) FROM patients WHERE {where} "
        f"GROUP BY {', '.join(cols)}, cohort_id",
        params,
        path,
    )
    out: dict[str, tuple[str, ...]] = {}
    for j, name in enumerate(names):
        first: dict[str, tuple[str, str]] = {}
        for row in rows:
            v, key = row[j], (row[-2], row[-1])
            if v is not None and (v not in first or key < first[v]):
                first[v] = key
        out[name] = tuple(str(v) for v in sorted(first, key=first.__getitem__))
    return out
