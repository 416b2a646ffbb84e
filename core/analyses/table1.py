"""Baseline characteristics ("Table 1"), optionally split by one field.

Categorical rows give n and the percentage of the group's patients with a known value;
missing values are counted on their own row. Continuous rows give mean (SD) and median (IQR)
with R's default (type 7) quantiles.

:func:`baseline_table` is the analysis entry (Overview page, ``table1`` command): it opens the
selection for one viewer (:func:`core.analyses.view.open_view`), computes the table exactly
(:func:`table1`) and applies disclosure (:func:`protect`). Under protected mode with imported
data in view, every count is one cell of a set of additive lines (levels of a characteristic
add up to the column's n, including the implied "no" and "missing" counts of yes/no rows and
the treatments hierarchy; split columns add up to "All"; column sizes add up to the total) and
:func:`core.analyses.suppression.protect_lines` hides small cells and complementary ones over
rows and columns; a split column whose size is hidden is hidden whole; a percentage is shown
only where its denominator (patients with a known value) is not a hidden count; continuous
summaries of fewer than the threshold values are not shown.

Split into two or more groups, every characteristic is compared across the groups by
gtsummary's ``add_p()`` defaults and, for two groups, gets its standardised mean difference as
R ``smd::smd`` (:func:`variable_tests`, :mod:`core.stats.tests`). The column of patients with a
missing split value is shown but not compared, and each test leaves out the patients with a
missing value of its characteristic. Under protected mode a test and SMD are shown only when
they are functions of shown figures (:func:`_test_shown`): no hidden cell of the
characteristic in a compared column and no hidden compared column; for a continuous
characteristic, no compared group with fewer than the threshold known values or with 1 to
threshold - 1 missing values. Otherwise they are withheld whole ("not shown: small counts"),
never recomputed on coarser categories, so a shown p-value is always the exact one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.defined_groups import GroupSet, overlaps_of
from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.suppression import Line, protect_lines
from core.analyses.view import open_view
from core.data import queries
from core.data.filters import CODE_FILTERS, PRIOR_CODES, Filters
from core.stats.tests import (
    TestMethod,
    categorical_test,
    continuous_test,
    smd_categorical,
    smd_numeric,
)
from core.vocab.schema import METASTATIC_SITES, PATIENTS, POST_THERAPIES, PRIOR_THERAPIES

CATEGORICAL = ("sex", "race", "primary_site", "grade", "route", "agent")
CONTINUOUS = (
    ("age", "Age, years"),
    ("first_activity_mbq", "First activity, MBq"),
    ("cumulative_activity_mbq", "Cumulative activity, MBq"),
)
SPLITTABLE = (
    "sex",
    "race",
    "primary_site",
    "grade",
    "route",
    "agent",
    "cohort_id",
    "n_treatments_group",
)
ALL = "All"
SUPPRESSED = "suppressed"
MISSING_GROUP = "missing"
"""The column of patients whose split value is missing (shown, never compared)."""
NOT_SHOWN = "not shown: small counts"
"""Why a test or SMD is withheld under disclosure control."""


@dataclass(frozen=True, slots=True)
class Cell:
    n: int | None = None
    pct: float | None = None
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    hidden: str = ""
    """Small-cell protection: the text shown instead of the count (e.g. '<11')."""
    known: int | None = None
    """Denominator of ``pct``: patients of the group with a known value (None when hidden)."""

    def text(self) -> str:
        if self.hidden:
            return self.hidden
        if self.median is not None or self.mean is not None:
            parts = []
            if self.mean is not None:
                parts.append(
                    f"mean {self.mean:.1f} (SD {self.sd:.1f})"
                    if self.sd is not None
                    else f"mean {self.mean:.1f}"
                )
            if self.median is not None:
                parts.append(f"median {_num(self.median)} (IQR {_num(self.q1)}-{_num(self.q3)})")
            return "; ".join(parts)
        if self.n is None:
            return "–"
        return f"{self.n} ({self.pct:.1f}%)" if self.pct is not None else f"{self.n}"


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}"


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    label: str
    key: str
    cells: dict[str, Cell] = field(default_factory=dict)
    kind: str = "level"
    """'level', 'missing' (a characteristic's missing row), 'flag' (a yes/no row), 'sub'
    (a breakdown of another row: administrations within "Multiple") or 'continuous'."""
    family: str = ""
    """The characteristic the row belongs to (rows of one family add up to the group)."""


@dataclass(frozen=True, slots=True)
class VariableTest:
    """The comparison of one characteristic across the split groups (gtsummary ``add_p()``
    defaults, :mod:`core.stats.tests`) and, for two groups, its standardised mean difference
    (first compared group minus the second, as R ``smd::smd``).

    ``method`` and ``p`` are None when no p-value is given; ``smd`` is None when no SMD is
    given; ``note`` says why (``NOT_SHOWN`` under disclosure control, or why R gives none).
    """

    family: str
    label: str
    kind: str
    """'categorical' (levels), 'flag' (yes/no) or 'continuous'."""
    method: TestMethod | None = None
    p: float | None = None
    statistic: float | None = None
    df: int | None = None
    smd: float | None = None
    note: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "variable": self.family,
            "label": self.label,
            "kind": self.kind,
            "test": self.method.value if self.method else None,
            "test_label": self.method.label if self.method else None,
            "r": self.method.r_equivalent if self.method else None,
            "statistic": self.statistic,
            "df": self.df,
            "p": self.p,
            "smd": self.smd,
            "note": self.note or None,
        }


@dataclass(frozen=True, slots=True)
class Table1:
    groups: tuple[str, ...]
    group_n: dict[str, int | None]
    """Patients per column; None where withheld under disclosure control."""
    rows: tuple[Row, ...]
    split_by: str | None
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    """Non-empty: the selection may not be shown (query-set-size restriction), and why."""
    notices: tuple[str, ...] = ()
    group_text: dict[str, str] = field(default_factory=dict)
    """Column sizes as shown ('<11', 'suppressed' when withheld)."""
    description: str = ""
    """The selection in words, with its n as it may be shown."""
    compared: tuple[str, ...] = ()
    """The split groups that the tests compare (all but "All" and the missing-value column)."""
    tests: tuple[VariableTest, ...] = ()
    """One per characteristic when the table is split into two or more compared groups."""
    overlaps: tuple[Any, ...] = ()
    """Split by user-defined groups: the patients each pair shares
    (:class:`core.analyses.defined_groups.Overlap`, exact and as shown)."""

    def test_for(self, family: str) -> VariableTest | None:
        return next((v for v in self.tests if v.family == family), None)

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    def cell(self, key: str, group: str = ALL) -> Cell:
        for r in self.rows:
            if r.key == key:
                return r.cells[group]
        raise KeyError(key)

    def size_text(self, group: str) -> str:
        if group in self.group_text:
            return self.group_text[group]
        return self.disclosure.show(self.group_n[group])

    def to_frame(self) -> pd.DataFrame:
        records = []
        for r in self.rows:
            rec = {"Section": r.section, "Characteristic": r.label}
            for g in self.groups:
                rec[f"{g} (n={self.size_text(g)})"] = r.cells[g].text()
            records.append(rec)
        cols = ["Section", "Characteristic", *(f"{g} (n={self.size_text(g)})" for g in self.groups)]
        return pd.DataFrame.from_records(records, columns=cols)

    def json(self) -> dict[str, Any]:
        """The ``table1 --json`` object: every cell as shown, and the disclosure."""
        return {
            "split_by": self.split_by,
            "refusal": self.refusal or None,
            "notices": list(self.notices),
            "groups": [
                {"label": g, "n": self.group_n[g], "n_text": self.size_text(g)} for g in self.groups
            ],
            "rows": [
                {
                    "section": r.section,
                    "label": r.label,
                    "key": r.key,
                    "variable": r.family,
                    "cells": {
                        g: {
                            "n": c.n,
                            "pct": c.pct,
                            "mean": c.mean,
                            "sd": c.sd,
                            "median": c.median,
                            "q1": c.q1,
                            "q3": c.q3,
                            "text": c.text(),
                        }
                        for g, c in r.cells.items()
                    },
                }
                for r in self.rows
            ],
            "compared": list(self.compared),
            "smd_direction": (
                f"{self.compared[0]} minus {self.compared[1]}" if len(self.compared) == 2 else None
            ),
            "tests": [v.json() for v in self.tests],
            "disclosure": self.disclosure.json(),
        }


def treatment_group(n: pd.Series) -> pd.Series:
    return np.where(n.fillna(0) <= 1, "single", "multiple")


def table1(
    df: pd.DataFrame, split_by: str | None = None, disclosure: Disclosure = EXEMPT
) -> Table1:
    """Build Table 1 from a patients frame (columns of the data model), exactly.

    With an active ``disclosure`` the exact table goes through :func:`protect`.
    """
    df = df.copy()
    df["n_treatments_group"] = treatment_group(df["n_treatments"]) if len(df) else []
    groups: dict[str, pd.DataFrame] = {ALL: df}
    if split_by:
        if split_by not in SPLITTABLE:
            raise ValueError(f"cannot split Table 1 by {split_by!r}")
        field_def = PATIENTS.get(split_by)
        for value, sub in df.groupby(split_by, dropna=False, sort=True):
            label = (
                MISSING_GROUP
                if pd.isna(value)
                else (field_def.label_of(value) if field_def else str(value))
            )
            groups[label] = sub
    rows = _rows(df, groups)
    compared = tuple(g for g in groups if g not in (ALL, MISSING_GROUP)) if split_by else ()
    exact = Table1(
        tuple(groups),
        {g: len(s) for g, s in groups.items()},
        tuple(rows),
        split_by,
        disclosure,
        compared=compared if len(compared) >= 2 else (),
        tests=variable_tests(groups, compared, rows, split_by) if len(compared) >= 2 else (),
    )
    return protect(exact, disclosure) if disclosure.active else exact


def _rows(df: pd.DataFrame, groups: dict[str, pd.DataFrame]) -> list[Row]:
    """The rows of Table 1 (levels and flags present in ``df``) with one cell per group."""
    rows: list[Row] = []

    def add_cat(section: str, key: str, label: str, mask_fn, kind: str, family: str) -> None:
        cells = {}
        for g, sub in groups.items():
            known, hit = mask_fn(sub)
            n_known = int(known.sum())
            n_hit = int(hit.sum())
            cells[g] = Cell(n_hit, 100.0 * n_hit / n_known if n_known else None, known=n_known)
        rows.append(Row(section, label, key, cells, kind, family))

    for name in CATEGORICAL:
        f = PATIENTS[name]
        present = [c for c in f.codes if (df[name] == c).any()]
        for code in present:
            add_cat(
                f.label,
                f"{name}={code}",
                f.label_of(code),
                lambda s, name=name, code=code: (s[name].notna(), s[name] == code),
                "level",
                name,
            )
        if df[name].isna().any():
            add_cat(
                f.label,
                f"{name}=missing",
                "Missing",
                lambda s, name=name: (pd.Series(True, index=s.index), s[name].isna()),
                "missing",
                name,
            )

    for key, label in CONTINUOUS:
        cells = {}
        for g, sub in groups.items():
            x = pd.to_numeric(sub[key], errors="coerce").dropna().to_numpy(dtype=float)
            if x.size == 0:
                cells[g] = Cell()
            else:
                q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
                cells[g] = Cell(
                    n=int(x.size),
                    mean=float(x.mean()),
                    sd=float(x.std(ddof=1)) if x.size > 1 else None,
                    median=float(med),
                    q1=float(q1),
                    q3=float(q3),
                )
        rows.append(Row("Continuous", label, key, cells, "continuous", key))

    ntx = pd.to_numeric(df["n_treatments"], errors="coerce")
    if ntx.notna().any():

        def tx_mask(pred):
            return lambda s: (s["n_treatments"].notna(), pred(pd.to_numeric(s["n_treatments"])))

        tx = "treatments"
        sec = "Treatments"
        add_cat(sec, "treatments=single", "Single", tx_mask(lambda v: v == 1), "level", tx)
        add_cat(sec, "treatments=multiple", "Multiple", tx_mask(lambda v: v > 1), "level", tx)
        for k in sorted(int(v) for v in ntx.dropna().unique() if v > 1):
            add_cat(
                "Treatments",
                f"treatments={k}",
                f"  {k} administrations",
                tx_mask(lambda v, k=k: v == k),
                "sub",
                tx,
            )
        if (ntx == 0).any():
            add_cat(
                "Treatments",
                "treatments=0",
                "None (untreated)",
                tx_mask(lambda v: v == 0),
                "level",
                tx,
            )

    for section, items in (
        ("Metastatic sites", [(f"met_{c}", lbl) for c, lbl in METASTATIC_SITES]),
        ("Prior therapy", list(PRIOR_THERAPIES)),
        ("Therapy after index", list(POST_THERAPIES)),
    ):
        for col, lbl in items:
            if df[col].notna().any():
                add_cat(
                    section,
                    col,
                    lbl.replace("Metastasis: ", ""),
                    lambda s, col=col: (s[col].notna(), s[col].fillna(False).astype(bool)),
                    "flag",
                    col,
                )
    return rows


# ------------------------------------------------------------------ tests and SMDs
def _family_values(sub: pd.DataFrame, family: str, kind: str) -> pd.Series:
    """The characteristic's known values in one group (missing values left out)."""
    if kind == "continuous":
        return pd.to_numeric(sub[family], errors="coerce").dropna().astype(float)
    if family == "treatments":
        v = pd.to_numeric(sub["n_treatments"], errors="coerce").dropna()
        return v.map(lambda k: "none" if k == 0 else ("single" if k == 1 else "multiple"))
    col = sub[family].dropna()
    return col.astype(bool) if kind == "flag" else col.astype(str)


def variable_tests(
    groups: dict[str, pd.DataFrame],
    compared: tuple[str, ...],
    rows: list[Row] | tuple[Row, ...],
    split_by: str | None = None,
) -> tuple[VariableTest, ...]:
    """Each characteristic of ``rows`` compared across the ``compared`` groups, exactly.

    As gtsummary's ``add_p()`` (and ``smd::smd(na.rm = TRUE)``): patients whose split value is
    missing are not compared, and each test leaves out the patients with a missing value of
    its characteristic (variable by variable). Levels are those occurring among the compared
    groups. The treatments characteristic compares single, multiple and none (the breakdown of
    "multiple" by number is descriptive only). The split characteristic itself is not tested
    (gtsummary leaves the ``by`` variable out of the table).
    """
    out: list[VariableTest] = []
    seen: set[str] = {"treatments"} if split_by == "n_treatments_group" else {str(split_by)}
    for r in rows:
        if r.family in seen:
            continue
        seen.add(r.family)
        kind = r.kind if r.kind in ("continuous", "flag") else "categorical"
        label = r.section if kind == "categorical" else r.label.strip()
        values = [_family_values(groups[g], r.family, kind) for g in compared]
        smd = None
        if kind == "continuous":
            res = continuous_test([v.to_numpy() for v in values])
            if len(values) == 2:
                smd = smd_numeric(values[0].to_numpy(), values[1].to_numpy())
        else:
            levels = sorted(set().union(*(set(v.unique()) for v in values)), key=str)
            table = np.array([[int((v == lv).sum()) for lv in levels] for v in values])
            if table.size == 0:
                table = np.zeros((len(values), 0), dtype=int)
            res = categorical_test(table)
            if len(values) == 2 and kind == "flag":
                smd = smd_numeric(*(v.astype(float).to_numpy() for v in values))
            elif len(values) == 2 and table.shape[1]:
                smd = smd_categorical(table)
        note = f"no p-value: {res.reason}" if res.p is None and res.reason else ""
        out.append(
            VariableTest(r.family, label, kind, res.method, res.p, res.statistic, res.df, smd, note)
        )
    return tuple(out)


# ------------------------------------------------------------------ disclosure
_N = "__n__"


def _cells_and_lines(t: Table1) -> tuple[dict, list[Line], dict[tuple, tuple], list]:
    """Every count of ``t`` as a cell (shown and implied ones) and the lines that tie them.

    Returns values, lines, the cells a percentage of (row, group) reveals, and the whole-column
    triggers.
    """
    groups = t.groups
    splits = [g for g in groups if g != ALL]
    values: dict[tuple[str, str], int] = {(_N, g): int(t.group_n[g]) for g in groups}
    lines: list[Line] = []
    reveals: dict[tuple[str, str], tuple] = {}
    triggers: list[tuple[tuple, list]] = []
    families: dict[str, list[Row]] = {}
    for r in t.rows:
        if r.kind != "continuous":
            families.setdefault(r.family, []).append(r)
    row_keys: list[str] = []
    for fam, rows in families.items():
        for r in rows:
            row_keys.append(r.key)
            for g in groups:
                values[(r.key, g)] = int(r.cells[g].n or 0)
        kinds = {r.kind for r in rows}
        if kinds == {"flag"}:
            (r,) = rows
            no, miss = f"{r.key}=__no__", f"{r.key}=__missing__"
            row_keys += [no, miss]
            for g in groups:
                c = r.cells[g]
                known = int(c.known or 0)
                values[(no, g)] = known - int(c.n or 0)
                values[(miss, g)] = int(t.group_n[g]) - known
                lines.append(Line((_N, g), ((r.key, g), (no, g), (miss, g))))
                reveals[(r.key, g)] = ((_N, g), (no, g), (miss, g))
                # only the row's percentage tells "no" and "missing" apart: both are known
                # together with it, or neither
                implied = [(no, g), (miss, g)]
                triggers += [((r.key, g), implied), ((no, g), implied), ((miss, g), implied)]
            continue
        top = [r for r in rows if r.kind in ("level", "missing")]
        subs = [r for r in rows if r.kind == "sub"]
        explicit_missing = next((r.key for r in rows if r.kind == "missing"), None)
        miss_key = explicit_missing
        if explicit_missing is None:
            miss_key = f"{fam}=__missing__"
            row_keys.append(miss_key)
            for g in groups:
                known = int(top[0].cells[g].known or 0)
                values[(miss_key, g)] = int(t.group_n[g]) - known
        for g in groups:
            parts = [(r.key, g) for r in top]
            if explicit_missing is None:
                parts.append((miss_key, g))
            lines.append(Line((_N, g), tuple(parts)))
            if subs:
                lines.append(Line((f"{fam}=multiple", g), tuple((s.key, g) for s in subs)))
            for r in rows:
                if r.kind == "missing":
                    reveals[(r.key, g)] = ((_N, g),)
                else:
                    reveals[(r.key, g)] = ((_N, g), (miss_key, g))
    if splits:
        for key in [_N, *row_keys]:
            lines.append(Line((key, ALL), tuple((key, g) for g in splits)))
        all_keys = [_N, *row_keys]
        triggers += [((_N, g), [(k, g) for k in all_keys]) for g in splits]
    return values, lines, reveals, triggers


def _hidden(t: Table1, d: Disclosure) -> tuple[frozenset, dict[tuple, tuple]]:
    """The cells of ``t`` that ``d`` hides, and the cells a percentage of (row, group) reveals."""
    values, lines, reveals, triggers = _cells_and_lines(t)
    sup = protect_lines(values, lines, d, fixed=[(_N, ALL)], triggers=triggers)
    hidden = sup.hidden
    if not sup.resolved:  # fail closed: nothing but the total
        hidden = frozenset(k for k in values if k != (_N, ALL))
    return hidden, reveals


def protect(t: Table1, d: Disclosure) -> Table1:
    """Apply disclosure to an exact Table 1 (see the module notes); unchanged when inactive."""
    if not d.active:
        return replace(t, disclosure=d)
    hidden, reveals = _hidden(t, d)
    t_ = d.threshold

    def hidden_text(n: int) -> str:
        return d.show(n) if d.hidden(n) else SUPPRESSED

    rows = []
    for r in t.rows:
        cells = {}
        for g in t.groups:
            c = r.cells[g]
            if r.kind == "continuous":
                if (_N, g) in hidden or (c.n is not None and c.n < t_):
                    cells[g] = Cell(hidden="not shown") if c.n is not None else Cell()
                else:
                    cells[g] = replace(c, n=None)
                continue
            if (r.key, g) in hidden:
                cells[g] = Cell(hidden=hidden_text(int(c.n or 0)))
            elif any(k in hidden for k in reveals[(r.key, g)]):
                cells[g] = Cell(c.n)  # the percentage would reveal a hidden denominator
            else:
                cells[g] = c
        rows.append(replace(r, cells=cells))
    group_n = {g: (None if (_N, g) in hidden else t.group_n[g]) for g in t.groups}
    group_text = {
        g: hidden_text(int(t.group_n[g])) if (_N, g) in hidden else str(t.group_n[g])
        for g in t.groups
    }
    tests = tuple(v if _test_shown(t, v, hidden, t_) else _withheld(v) for v in t.tests)
    return replace(
        t, group_n=group_n, rows=tuple(rows), disclosure=d, group_text=group_text, tests=tests
    )


def _withheld(v: VariableTest) -> VariableTest:
    return VariableTest(v.family, v.label, v.kind, note=NOT_SHOWN)


def _test_shown(t: Table1, v: VariableTest, hidden: frozenset, threshold: int) -> bool:
    """Protected mode: may the exact test and SMD of ``v`` be shown?

    Only when they are functions of shown figures. A categorical or yes/no characteristic:
    every compared group is shown whole, and no cell of the characteristic in a compared
    column is hidden (its levels, its missing row, the implied "no" and "missing" of a yes/no
    row; the descriptive breakdown of "multiple" treatments does not enter the test). A
    continuous one: every compared group is shown, holds at least ``threshold`` known values,
    and has no missing value or at least ``threshold`` of them (the test's sample sizes would
    otherwise give a small missing count back).
    """
    if any((_N, g) in hidden for g in t.compared):
        return False
    rows = [r for r in t.rows if r.family == v.family and r.kind != "sub"]
    if v.kind == "continuous":
        for g in t.compared:
            known = int(rows[0].cells[g].n or 0)
            missing = int(t.group_n[g]) - known
            if 0 < known < threshold or 0 < missing < threshold:
                return False
        return True
    keys = {r.key for r in rows} | {f"{v.family}=__missing__"}
    if v.kind == "flag":
        keys |= {f"{v.family}=__no__", f"{v.family}=__missing__"}
    return not any((k, g) in hidden for k in keys for g in t.compared)


def baseline_table(
    filters: Filters,
    split_by: str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
    path: Path | str | None = None,
) -> Table1:
    """Table 1 of a selection as one viewer may see it (the Overview page and ``table1``)."""
    view = open_view(filters, mode, path)
    d = view.disclosure
    if split_by is not None and split_by not in SPLITTABLE:
        raise ValueError(f"cannot split Table 1 by {split_by!r}")
    if view.refused:
        return Table1(
            (),
            {},
            (),
            split_by,
            d,
            refusal=view.refusal,
            notices=view.notices,
            description=view.filters.describe(),
        )
    exact = table1(queries.patients_frame(view.filters, path=path), split_by)
    shown = protect(exact, d)
    return replace(
        shown,
        notices=view.notices,
        description=view.filters.describe(view.n_selected),
    )


# ------------------------------------------------------------------ user-defined groups
GROUPS_SPLIT = "your groups"
"""``split_by`` of Table 1 split by the user's groups (the ledger reads "across your groups")."""
OVERLAP_NOTE = (
    "Some patients are in more than one group, so the groups are not independent: no test or "
    "SMD is given. Make the groups exclusive to compare them."
)


def baseline_table_by_groups(
    groups: GroupSet,
    *,
    mode: Mode = Mode.PROTECTED,
    path: Path | str | None = None,
) -> Table1:
    """Table 1 split by user-defined groups: one column per group, named by the user.

    Each group's column is Table 1 of that group's own selection, opened for the viewer under
    every rule (:func:`open_view`) and protected on its own (:func:`protect`), over the rows of
    all groups together (a level absent from a group reads 0 there). When no patient is in two
    groups the characteristics are compared across the groups exactly as Table 1 split by a
    field (:func:`variable_tests`, gtsummary ``add_p()`` defaults and R ``smd::smd``), and under
    protected mode a test is shown only when every group's column shows the figures it is
    computed from (:func:`_test_shown` on each group). A characteristic the groups select on
    differently defines them and is not tested (as gtsummary leaves out the ``by`` variable).
    With overlapping groups the columns are shown and no test is given; :attr:`Table1.overlaps`
    names the overlaps as shown.
    """
    names = tuple(g.name for g in groups.groups)
    if len(groups) < 2:
        return Table1((), {}, (), GROUPS_SPLIT, refusal="Define at least two groups.")
    frames: dict[str, pd.DataFrame] = {}
    views = []
    for g in groups.groups:
        view = open_view(g.filters, mode, path)
        if view.refused:
            return Table1(
                (),
                {},
                (),
                GROUPS_SPLIT,
                view.disclosure,
                refusal=f"'{g.name}': {view.refusal}",
                notices=view.notices,
            )
        views.append(view)
        frames[g.name] = queries.patients_frame(view.filters, path=path)
    rows = _rows(pd.concat(list(frames.values()), ignore_index=True), frames)
    ds = [v.disclosure for v in views]
    d = next((x for x in ds if x.active), ds[0])
    overlaps = overlaps_of(groups, [v.filters for v in views], path, mode)
    overlapping = any(o.n > 0 for o in overlaps)
    defining = _defining([v.filters for v in views])
    tests = () if overlapping else variable_tests(frames, names, rows)
    tests = tuple(v for v in tests if v.family not in defining)
    cells: dict[str, dict[str, Cell]] = {r.key: {} for r in rows}
    group_n: dict[str, int | None] = {}
    group_text: dict[str, str] = {}
    for name, view in zip(names, views, strict=True):
        one = Table1(
            (ALL,),
            {ALL: len(frames[name])},
            tuple(replace(r, cells={ALL: r.cells[name]}) for r in rows),
            None,
            view.disclosure,
            compared=(ALL,),
        )
        shown = protect(one, view.disclosure)
        for r in shown.rows:
            cells[r.key][name] = r.cells[ALL]
        group_n[name] = shown.group_n[ALL]
        group_text[name] = shown.size_text(ALL)
        if view.disclosure.active:
            hidden, _ = _hidden(one, view.disclosure)
            tests = tuple(
                v if _test_shown(one, v, hidden, view.disclosure.threshold) else _withheld(v)
                for v in tests
            )
    return Table1(
        names,
        group_n,
        tuple(replace(r, cells=cells[r.key]) for r in rows),
        GROUPS_SPLIT,
        d,
        notices=tuple(dict.fromkeys(n for v in views for n in v.notices))
        + ((OVERLAP_NOTE,) if overlapping else ())
        + (_defining_note(defining, rows) if tests else ()),
        group_text=group_text,
        description="; ".join(
            f"{n}: {v.filters.describe(v.n_selected)}" for n, v in zip(names, views, strict=True)
        ),
        compared=() if overlapping else names,
        tests=tests,
        overlaps=overlaps,
    )


def _defining(filters: list[Filters]) -> set[str]:
    """The characteristics the groups select on differently (they define the groups, so,
    as gtsummary leaves out the ``by`` variable, they are not tested)."""
    out: set[str] = set()
    for name in CODE_FILTERS:
        if len({tuple(getattr(f, name)) for f in filters}) > 1:
            out.add(name)
    if len({(f.age_min, f.age_max) for f in filters}) > 1:
        out.add("age")
    if len({(f.treatments_min, f.treatments_max) for f in filters}) > 1:
        out.add("treatments")
    for code in {c for f in filters for c in (*f.prior_yes, *f.prior_no)}:
        if len({(code in f.prior_yes, code in f.prior_no) for f in filters}) > 1:
            out.add(PRIOR_CODES[code])
    return out


def _defining_note(defining: set[str], rows: list[Row]) -> tuple[str, ...]:
    labels = list(
        dict.fromkeys(
            (r.section if r.kind in ("level", "missing") else r.label.strip())
            for r in rows
            if r.family in defining
        )
    )
    if not labels:
        return ()
    return (
        "Not compared, as they define the groups: " + ", ".join(lb.lower() for lb in labels) + ".",
    )
