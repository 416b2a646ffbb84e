"""Baseline characteristics ("Table 1"), optionally split by one field.

Categorical rows give n and the percentage of the group's patients with a known value;
missing values are counted on their own row. Continuous rows give mean (SD) and median (IQR)
with R's default (type 7) quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.analyses.disclosure import EXEMPT, Disclosure, suppressed_cells
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


@dataclass(frozen=True, slots=True)
class Table1:
    groups: tuple[str, ...]
    group_n: dict[str, int]
    rows: tuple[Row, ...]
    split_by: str | None
    disclosure: Disclosure = EXEMPT

    def cell(self, key: str, group: str = "All") -> Cell:
        for r in self.rows:
            if r.key == key:
                return r.cells[group]
        raise KeyError(key)

    def to_frame(self) -> pd.DataFrame:
        records = []
        for r in self.rows:
            rec = {"Section": r.section, "Characteristic": r.label}
            for g in self.groups:
                rec[f"{g} (n={self.disclosure.show(self.group_n[g])})"] = r.cells[g].text()
            records.append(rec)
        return pd.DataFrame.from_records(records)


def treatment_group(n: pd.Series) -> pd.Series:
    return np.where(n.fillna(0) <= 1, "single", "multiple")


def table1(
    df: pd.DataFrame, split_by: str | None = None, disclosure: Disclosure = EXEMPT
) -> Table1:
    """Build Table 1 from a patients frame (columns of the data model).

    Under small-cell protection (imported cohorts) categorical counts below the threshold, and
    a complementary cell in the same characteristic, are shown as '<11' or 'suppressed';
    continuous summaries of groups below the threshold are not shown.
    """
    df = df.copy()
    df["n_treatments_group"] = treatment_group(df["n_treatments"]) if len(df) else []
    groups: dict[str, pd.DataFrame] = {"All": df}
    if split_by:
        if split_by not in SPLITTABLE:
            raise ValueError(f"cannot split Table 1 by {split_by!r}")
        field_def = PATIENTS.get(split_by)
        for value, sub in df.groupby(split_by, dropna=False, sort=True):
            label = (
                "missing"
                if pd.isna(value)
                else (field_def.label_of(value) if field_def else str(value))
            )
            groups[label] = sub
    rows: list[Row] = []

    def add_cat(section: str, key: str, label: str, mask_fn) -> None:
        cells = {}
        for g, sub in groups.items():
            known, hit = mask_fn(sub)
            n_known = int(known.sum())
            n_hit = int(hit.sum())
            cells[g] = Cell(n_hit, 100.0 * n_hit / n_known if n_known else None)
        rows.append(Row(section, label, key, cells))

    for name in CATEGORICAL:
        f = PATIENTS[name]
        present = [c for c in f.codes if (df[name] == c).any()]
        for code in present:
            add_cat(
                f.label,
                f"{name}={code}",
                f.label_of(code),
                lambda s, name=name, code=code: (s[name].notna(), s[name] == code),
            )
        if df[name].isna().any():
            add_cat(
                f.label,
                f"{name}=missing",
                "Missing",
                lambda s, name=name: (pd.Series(True, index=s.index), s[name].isna()),
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
        rows.append(Row("Continuous", label, key, cells))

    ntx = pd.to_numeric(df["n_treatments"], errors="coerce")
    if ntx.notna().any():

        def tx_mask(pred):
            return lambda s: (s["n_treatments"].notna(), pred(pd.to_numeric(s["n_treatments"])))

        add_cat("Treatments", "treatments=single", "Single", tx_mask(lambda v: v == 1))
        add_cat("Treatments", "treatments=multiple", "Multiple", tx_mask(lambda v: v > 1))
        for k in sorted(int(v) for v in ntx.dropna().unique() if v > 1):
            add_cat(
                "Treatments",
                f"treatments={k}",
                f"  {k} administrations",
                tx_mask(lambda v, k=k: v == k),
            )
        if (ntx == 0).any():
            add_cat("Treatments", "treatments=0", "None (untreated)", tx_mask(lambda v: v == 0))

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
                )

    if disclosure.active:
        rows = _protect_rows(rows, tuple(groups), disclosure)
    return Table1(
        tuple(groups), {g: len(s) for g, s in groups.items()}, tuple(rows), split_by, disclosure
    )


def _protect_rows(rows: list[Row], groups: tuple[str, ...], d: Disclosure) -> list[Row]:
    """Primary and complementary suppression within each characteristic, per group column."""
    by_key = {r.key: r for r in rows}
    families: dict[str, list[str]] = {}
    for r in rows:
        family = r.key.split("=")[0] if "=" in r.key else r.key
        families.setdefault(family, []).append(r.key)
    new_cells: dict[str, dict[str, Cell]] = {r.key: dict(r.cells) for r in rows}
    for keys in families.values():
        for g in groups:
            cells = [by_key[k].cells[g] for k in keys]
            if cells[0].median is not None or cells[0].mean is not None or cells[0].n is None:
                if cells[0].n is not None and d.hidden(cells[0].n):
                    new_cells[keys[0]][g] = Cell(hidden=f"n {d.show(cells[0].n)}: not shown")
                continue
            counts = [c.n or 0 for c in cells]
            if len(keys) == 1:  # a yes/no characteristic: the "no" count is implied
                hide = [d.hidden(counts[0]) or d.hidden(_known(cells[0]) - counts[0])]
            else:
                hide = suppressed_cells(counts, d)
            for k, c, h in zip(keys, cells, hide, strict=True):
                if h:
                    new_cells[k][g] = Cell(
                        hidden=d.show(c.n) if d.hidden(c.n or 0) else "suppressed"
                    )
    return [Row(r.section, r.label, r.key, new_cells[r.key]) for r in rows]


def _known(cell: Cell) -> int:
    """Patients with a known value behind a percentage (n / pct)."""
    if cell.n is None or not cell.pct:
        return cell.n or 0
    return round(cell.n * 100 / cell.pct)
