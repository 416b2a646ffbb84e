"""From a selection to what the Response page shows: tables, chart frames, swimmer lanes, AEs.

The arithmetic (rates, exact intervals, group tests, adverse-event counts) lives in
:mod:`core.stats.responses`; this module selects, groups, labels, lays out and decides what
may be shown. Everything is pure Python; nothing imports streamlit.

Entries (each takes ``mode``, opens the selection with :func:`core.analyses.view.open_view` and
computes on the exact rows): :func:`analyse` (the ``responses`` command: one
:class:`ResponseResult`), :func:`load_inputs` (the Response page: the selection's rows, from
which :func:`response_result`, :func:`swimmer` and :func:`adverse_event_view` are made).

* Grouping reuses the baseline groupings of :data:`core.analyses.survival.GROUPINGS` (fields known
  at the index date, plus cohort). Patients with a missing grouping value are in no group and
  are counted in the "All" row (``ResponseTable.n_by_missing``).
* The swimmer plot is drawn for at most :data:`SWIMMER_MAX_PATIENTS` patients. A lane runs from
  the first treatment (day 0) to death or last follow-up (``os_days``); administrations are
  drawn at ``treatments.day`` (cycles with an unknown day are listed, not drawn); the imaging
  response at ``imaging_response_days``; imaging progression at ``pfs_imaging_days`` when
  ``pfs_imaging_event`` is 1, unless that event is the death itself (same day as a death).
* Adverse events: patients counted once per term at their worst grade, over the patients in
  view from cohorts that record adverse events (all patients in view when every cohort does).
* Disclosure (:mod:`core.analyses.disclosure`; active in protected mode when an imported cohort
  is in view). Every count of the response table is a cell tied to others by additive lines
  (CR + PR + SD + PD = evaluable; evaluable + NE + missing = patients; ORR = CR + PR; each
  group's cells plus those of the patients in no group add up to "All"), and
  :func:`core.analyses.suppression.protect_lines` hides counts below the threshold and
  complementary ones so that none can be worked out. A percentage and its interval are shown
  only when both the count and its denominator are; a chart row only when all its counts are.
  The group test is withheld when a group in it has a hidden count. Adverse events: per term
  the any-grade, grade >= 3 and implied grade 1-2 and "no event" counts are protected the same
  way; the table is withheld when its denominator (or the patients left out of it) is small.
  No swimmer plot (patient-level timelines).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.suppression import Line, protect_lines
from core.analyses.survival import GROUPINGS, Grouping
from core.analyses.view import open_view
from core.data import queries
from core.data.filters import Filters
from core.stats.responses import (
    NOT_EVALUABLE_CODE,
    NOT_EVALUABLE_OR_MISSING_LABEL,
    OVERALL_LABEL,
    RESPONSE_DOMAINS,
    AERow,
    GroupResponse,
    GroupTestMethod,
    Proportion,
    ResponseTable,
    adverse_event_table,
    response_table,
    to_json_dict,
)
from core.vocab.formatting import fmt_num, fmt_p
from core.vocab.methods import DAYS_PER_MONTH, BinomialCI, Denominator, ResponseDomain
from core.vocab.schema import PATIENTS

RESPONSE_GROUPINGS: dict[str, Grouping] = {
    key: g for key, g in GROUPINGS.items() if not g.post_baseline
}
"""Group-by choices for responses: baseline fields and cohort (no post-baseline status)."""

SWIMMER_MAX_PATIENTS = 100
"""Largest selection drawn as a swimmer plot (one lane per patient)."""

SUPPRESSED = "suppressed"
NO_GROUP = "\x00no group"
"""Row key of the patients with no grouping value (never shown as a row)."""


# ------------------------------------------------------------------ specification and inputs
@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """Everything that defines a response view besides the patient filter."""

    domain: ResponseDomain = ResponseDomain.IMAGING
    denominator: Denominator = Denominator.EVALUABLE
    ci: BinomialCI = BinomialCI.CLOPPER_PEARSON
    by: str | None = None
    conf_level: float = 0.95

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", ResponseDomain.parse(self.domain))
        object.__setattr__(self, "denominator", Denominator.parse(self.denominator))
        object.__setattr__(self, "ci", BinomialCI.parse(self.ci))
        if self.by is not None and self.by not in RESPONSE_GROUPINGS:
            allowed = ", ".join(RESPONSE_GROUPINGS)
            raise ValueError(f"cannot group responses by {self.by!r}; allowed: {allowed}")


@dataclass(frozen=True)
class ResponseInputs:
    """The rows of one selection the Response page needs (one query each).

    When the selection is refused under disclosure control (``refusal``), every frame is
    empty.
    """

    patients: pd.DataFrame
    treatments: pd.DataFrame
    adverse_events: pd.DataFrame
    case_notes: pd.DataFrame
    ae_cohorts: tuple[str, ...] = ()
    """Cohorts in view that record any adverse event (in the whole cohort, not the view)."""
    disclosure: Disclosure = EXEMPT
    """What this viewer may see (active when an imported cohort is in view, protected mode)."""
    refusal: str = ""
    """Non-empty: the selection may not be shown (query-set-size restriction), and why."""
    notices: tuple[str, ...] = ()
    description: str = ""
    """The selection in words, with its n as it may be shown."""

    @property
    def n(self) -> int:
        return len(self.patients)

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def cohorts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.patients["cohort_id"]))


def load_inputs(
    filters: Filters, path: Path | str | None = None, *, mode: Mode = Mode.PROTECTED
) -> ResponseInputs:
    """Patients, treatments, adverse events and case notes of the selection, for ``mode``."""
    view = open_view(filters, mode, path)
    f = view.filters
    patients = queries.patients_frame(f, path=path)
    cohort_ae = queries.adverse_events_frame(Filters(cohorts=filters.cohorts), path)
    in_view = set(patients["cohort_id"])
    ae_cohorts = tuple(sorted({c for c in cohort_ae["cohort_id"] if c in in_view}))
    frames = {
        "patients": patients,
        "treatments": queries.treatments_frame(f, path),
        "adverse_events": queries.adverse_events_frame(f, path),
        "case_notes": queries.case_notes_frame(f, path),
    }
    if view.refused:  # fail closed: nothing of the selection leaves this function
        frames = {k: v.iloc[0:0] for k, v in frames.items()}
        ae_cohorts = ()
    return ResponseInputs(
        **frames,
        ae_cohorts=ae_cohorts,
        disclosure=view.disclosure,
        refusal=view.refusal,
        notices=view.notices,
        description=f.describe() if view.refused else f.describe(view.n_selected),
    )


# ------------------------------------------------------------------ response tables
def _py(v: object) -> object:
    return v.item() if hasattr(v, "item") else v


def grouped_frame(patients: pd.DataFrame, spec: ResponseSpec) -> pd.DataFrame:
    """The domain's column, plus the group labels in a categorical column named ``spec.by``.

    Missing grouping values stay missing (those patients are in no group).
    """
    col = RESPONSE_DOMAINS[spec.domain].column
    out = pd.DataFrame({col: patients[col].astype(object)}, index=patients.index)
    if spec.by is None:
        return out
    g = RESPONSE_GROUPINGS[spec.by]
    raw = patients[g.column]
    labels = [None if pd.isna(v) else g.labels(_py(v)) for v in raw]
    present = list(dict.fromkeys(lab for lab in labels if lab is not None))
    order = [lab for lab in g.order if lab in present]
    order += sorted(lab for lab in present if lab not in order)
    out[spec.by] = pd.Categorical(labels, categories=order)
    return out


def response_analysis(patients: pd.DataFrame, spec: ResponseSpec) -> ResponseTable:
    """The exact :class:`ResponseTable` of ``spec`` over the given patient rows."""
    return response_table(
        grouped_frame(patients, spec),
        spec.domain,
        spec.denominator,
        spec.ci,
        by=spec.by,
        conf_level=spec.conf_level,
    )


def method_line(spec_or_table: ResponseSpec | ResponseTable) -> str:
    """One line naming domain, denominator and interval: the Response page's caption text."""
    s = spec_or_table
    ci = s.ci if isinstance(s, ResponseSpec) else s.ci_method
    text = (
        f"{s.domain.label}; n (%) over {s.denominator.label}; "
        f"{round(100 * s.conf_level)}% CI {ci.label}"
    )
    by = s.by
    if by is not None:
        text += (
            f"; by {RESPONSE_GROUPINGS[by].label.lower()}, compared with Fisher's exact test "
            "(2 x 2), Fisher-Freeman-Halton (larger tables; network algorithm as R's "
            "fisher.test) or, when even that is too large, its Monte Carlo p from 100,000 "
            "random tables with a fixed seed"
        )
    return text


# ------------------------------------------------------------------ disclosure
@dataclass(frozen=True)
class Protection:
    """Which counts of a response table may be shown.

    ``hidden`` holds ``(row label, cell)`` pairs; cells are ``"n"`` (patients), ``"eval"``,
    ``"ne"``, ``"miss"``, ``"nem"`` (not evaluable or missing), the domain's codes and its
    derived rates. ``test_withheld``: the group test includes a group with a hidden count.
    """

    disclosure: Disclosure = EXEMPT
    hidden: frozenset[tuple[str, str]] = frozenset()
    test_withheld: bool = False

    @property
    def active(self) -> bool:
        return self.disclosure.active

    def hides(self, row: str, cell: str) -> bool:
        return (row, cell) in self.hidden

    @property
    def hidden_rows(self) -> frozenset[str]:
        """Rows with any hidden count besides their size."""
        return frozenset(r for r, c in self.hidden if c != "n" and r != NO_GROUP)

    @property
    def hidden_sizes(self) -> frozenset[str]:
        return frozenset(r for r, c in self.hidden if c == "n" and r != NO_GROUP)

    @property
    def by_missing_hidden(self) -> bool:
        return (NO_GROUP, "n") in self.hidden

    def text(self, n: int) -> str:
        """A hidden count as shown."""
        return self.disclosure.show(n) if self.disclosure.hidden(n) else SUPPRESSED

    def count(self, row: str, cell: str, n: int) -> str | int:
        """A count as it may be shown (text when protection is active)."""
        if not self.active:
            return n
        return self.text(n) if self.hides(row, cell) else str(n)


NO_PROTECTION = Protection()


def _denominator_key(table: ResponseTable) -> str:
    return "eval" if table.denominator is Denominator.EVALUABLE else "n"


def _row_cells(g: GroupResponse, table: ResponseTable) -> dict[str, int]:
    spec = RESPONSE_DOMAINS[table.domain]
    cells = {
        "n": g.n,
        "eval": g.n_evaluable,
        "ne": g.n_not_evaluable,
        "miss": g.n_missing,
        "nem": g.n_not_evaluable_or_missing,
    }
    cells.update({code: p.n for code, p in g.categories.items()})
    for d in spec.derived:
        cells.setdefault(d.name, g.derived[d.name].n)
    return cells


def _row_lines(row: str, table: ResponseTable) -> list[Line]:
    spec = RESPONSE_DOMAINS[table.domain]
    lines = [
        Line((row, "eval"), tuple((row, c) for c in spec.codes)),
        Line((row, "n"), ((row, "eval"), (row, "ne"), (row, "miss"))),
        Line((row, "nem"), ((row, "ne"), (row, "miss"))),
    ]
    for d in spec.derived:
        if len(d.members) > 1:
            lines.append(Line((row, d.name), tuple((row, c) for c in d.members)))
    return lines


def protection(table: ResponseTable, disclosure: Disclosure = EXEMPT) -> Protection:
    """Decide which counts of ``table`` may be shown (see the module notes)."""
    if not disclosure.active:
        return Protection(disclosure)
    values: dict[tuple[str, str], int] = {}
    lines: list[Line] = []
    rows = _rows(table)
    for g in rows:
        for k, v in _row_cells(g, table).items():
            values[(g.label, k)] = int(v)
        lines += _row_lines(g.label, table)
    unknown: list[tuple[str, str]] = []
    if table.by is not None:
        overall = _row_cells(table.overall, table)
        groups = [_row_cells(g, table) for g in table.groups]
        for k, total in overall.items():
            values[(NO_GROUP, k)] = int(total - sum(c[k] for c in groups))
            if k != "n":  # the patients in no group: only their number is ever shown
                unknown.append((NO_GROUP, k))
            parts = tuple((g.label, k) for g in table.groups) + ((NO_GROUP, k),)
            lines.append(Line((OVERALL_LABEL, k), parts))
        lines += _row_lines(NO_GROUP, table)
    sup = protect_lines(
        values, lines, disclosure, unknown=unknown, fixed=[(table.overall.label, "n")]
    )
    hidden = sup.hidden
    if not sup.resolved:  # fail closed: only the selection's size
        hidden = frozenset(k for k in values if k != (table.overall.label, "n"))
    test_withheld = False
    if table.test is not None:
        spec = RESPONSE_DOMAINS[table.domain]
        keys = ["eval", "n", *spec.codes]
        test_withheld = any(
            (g.label, k) in hidden for g in table.groups if g.n_evaluable > 0 for k in keys
        )
    return Protection(disclosure, frozenset(hidden), test_withheld)


def protected_table(table: ResponseTable, prot: Protection) -> ResponseTable | None:
    """The table for text (paragraphs): only rows whose every count is shown, no withheld
    test; None when the "All" row has a hidden count."""
    if not prot.active:
        return table
    if table.overall.label in prot.hidden_rows or table.overall.label in prot.hidden_sizes:
        return None
    shown = prot.hidden_rows | prot.hidden_sizes
    groups = tuple(g for g in table.groups if g.label not in shown)
    test = None if prot.test_withheld else table.test
    return replace(table, groups=groups, test=test)


def _blank_proportion(row: dict | None) -> dict | None:
    return None if row is None else {"n": None, "pct": None, "ci": [None, None]}


def protected_json(data: dict, table: ResponseTable, prot: Protection) -> dict:
    """The CLI's JSON (``core.stats.responses.to_json_dict``) with hidden counts blanked.

    Unchanged when protection is inactive; otherwise each group gets ``"suppressed"`` (any
    count withheld) and a hidden count is null, with its percentage and interval; a
    percentage and interval are null too where the denominator is hidden. A withheld test is
    null.
    """
    if not prot.active:
        return data
    out = dict(data)
    den_key = _denominator_key(table)
    rows = [(g, row) for g, row in zip(table.groups, data["groups"], strict=True)]
    groups = []
    for g, row in rows:
        row = dict(row)
        label = g.label
        row["suppressed"] = label in prot.hidden_rows or label in prot.hidden_sizes
        den_hidden = prot.hides(label, den_key)
        cats = {}
        for code, cell in row["categories"].items():
            if prot.hides(label, code):
                cats[code] = _blank_proportion(cell)
            elif den_hidden and cell is not None:
                cats[code] = {"n": cell["n"], "pct": None, "ci": [None, None]}
            else:
                cats[code] = cell
        row["categories"] = cats
        for name in ("orr", "dcr"):
            cell = row.get(name)
            if cell is None:
                continue
            if prot.hides(label, name):
                row[name] = _blank_proportion(cell)
            elif den_hidden:
                row[name] = {"n": cell["n"], "pct": None, "ci": [None, None]}
        if prot.hides(label, "eval"):
            row["n_evaluable"] = None
        if prot.hides(label, "n"):
            row["n"] = None
        groups.append(row)
    out["groups"] = groups
    if prot.test_withheld:
        out["test"] = None
    return out


def fmt_proportion(p: Proportion) -> str:
    """``'22 (17.6%; 11.4–25.4)'``; ``'0 (–)'`` when the denominator is 0."""
    if p.pct is None:
        return f"{p.n} (–)"
    return f"{p.n} ({fmt_num(p.pct)}%; {fmt_num(p.lower)}–{fmt_num(p.upper)})"


def _rows(table: ResponseTable) -> list[GroupResponse]:
    rows = list(table.groups)
    if table.by is not None:
        rows.append(table.overall)
    return rows


def _denominator(g: GroupResponse, table: ResponseTable) -> int:
    return g.n_evaluable if table.denominator is Denominator.EVALUABLE else g.n


def _proportion_text(label: str, key: str, p: Proportion, den_key: str, prot: Protection) -> str:
    if prot.hides(label, key):
        return prot.text(p.n)
    if prot.hides(label, den_key):
        return str(p.n)  # the percentage would reveal the hidden denominator
    return fmt_proportion(p)


def table_frame(table: ResponseTable, prot: Protection = NO_PROTECTION) -> pd.DataFrame:
    """One row per group (and an "All" row when grouped): counts, categories, derived rates.

    Category and rate cells read ``n (%; lo–hi)`` over the explicit denominator column. Count
    columns are text when protection is active (``'<11'``, ``'suppressed'``); a count whose
    denominator is withheld shows without its percentage.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    ci = f"{round(100 * table.conf_level)}% CI"
    den_key = _denominator_key(table)
    records = []
    for g in _rows(table):
        lab = g.label
        rec: dict[str, object] = {"Group": lab, "Patients": prot.count(lab, "n", g.n)}
        rec["Evaluable"] = prot.count(lab, "eval", g.n_evaluable)
        rec["Not evaluable (NE)"] = prot.count(lab, "ne", g.n_not_evaluable)
        rec["Missing"] = prot.count(lab, "miss", g.n_missing)
        rec[f"Denominator ({table.denominator.label})"] = prot.count(
            lab, den_key, _denominator(g, table)
        )
        for code, p in g.categories.items():
            name = f"{spec.code_labels[code]}, n (%; {ci})"
            rec[name] = _proportion_text(lab, code, p, den_key, prot)
        for d in spec.derived:
            p = g.derived[d.name]
            rec[f"{d.label}, n (%; {ci})"] = _proportion_text(lab, d.name, p, den_key, prot)
        records.append(rec)
    return pd.DataFrame.from_records(records)


def export_frame(table: ResponseTable, prot: Protection = NO_PROTECTION) -> pd.DataFrame:
    """Long, numeric form of the table for CSV: one row per group and category or rate.

    Under protection a withheld count is empty, and so are a percentage and interval whose
    count or denominator is withheld; a withheld test is empty.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    test = None if prot.test_withheld else table.test
    den_key = _denominator_key(table)

    def num(label: str, key: str, n: int) -> int | None:
        return None if prot.hides(label, key) else n

    records = []
    for g in _rows(table):
        lab = g.label
        items = [
            ("category", code, code, spec.code_labels[code], p, den_key)
            for code, p in g.categories.items()
        ]
        items += [
            ("rate", d.name, d.name, d.label, g.derived[d.name], den_key) for d in spec.derived
        ]
        items.append(
            ("not_evaluable_or_missing", "NE+missing", "nem", NOT_EVALUABLE_OR_MISSING_LABEL,
             g.not_evaluable_or_missing, "n")
        )  # fmt: skip
        for kind, code, key, label, p, dkey in items:
            withheld = prot.hides(lab, key) or prot.hides(lab, dkey)
            records.append(
                {
                    "domain": table.domain.value,
                    "group": lab,
                    "n_patients": num(lab, "n", g.n),
                    "n_evaluable": num(lab, "eval", g.n_evaluable),
                    "n_not_evaluable": num(lab, "ne", g.n_not_evaluable),
                    "n_missing": num(lab, "miss", g.n_missing),
                    "kind": kind,
                    "code": code,
                    "label": label,
                    "n": num(lab, key, p.n),
                    "denominator": num(lab, dkey, p.denominator),
                    "denominator_kind": "all patients"
                    if kind == "not_evaluable_or_missing"
                    else table.denominator.value,
                    "pct": None if withheld else p.pct,
                    "ci_lower": None if withheld else p.lower,
                    "ci_upper": None if withheld else p.upper,
                    "ci_method": table.ci_method.value,
                    "conf_level": table.conf_level,
                    "test": None if test is None else test.method.value,
                    "test_p": None if test is None else test.p,
                }
            )
    return pd.DataFrame.from_records(records)


def test_text(table: ResponseTable, prot: Protection = NO_PROTECTION) -> str:
    """The group comparison in words, with the method actually used; or why there is none."""
    if table.by is None:
        return ""
    t = table.test
    if t is None:
        return "Fewer than two groups have evaluable patients: no comparison is possible."
    if prot.test_withheld:
        return (
            "The comparison across groups is withheld under disclosure control: a group in "
            "it has a count too small to show."
        )
    text = f"{t.method.label}: {fmt_p(t.p)}"
    if t.method is GroupTestMethod.CHI_SQUARE and t.statistic is not None:
        text += f" (χ² = {t.statistic:.2f}, df = {t.df})"
    return text + " (distribution of evaluable responses across groups)."


test_text.__test__ = False  # not a pytest test despite the name


def table_notes(table: ResponseTable, prot: Protection = NO_PROTECTION) -> list[str]:
    """Sentences a reader needs next to the table (patients in no group, empty groups,
    disclosure control)."""
    notes = []
    if table.by is not None and table.n_by_missing:
        label = RESPONSE_GROUPINGS[table.by].label.lower()
        k = str(table.n_by_missing)
        if prot.by_missing_hidden:
            k = prot.text(table.n_by_missing)
            k = "Some" if k == SUPPRESSED else k
        notes.append(
            f"{k} patient(s) with no recorded {label} are in no group; "
            f"they are counted in the '{OVERALL_LABEL}' row."
        )
    if prot.active:
        notes.append(protection_text(prot))
    den_key = _denominator_key(table)
    if _denominator(table.overall, table) == 0:
        notes.append(
            f"No {table.denominator.label} in this selection for "
            f"{_lower(table.domain.label)}: rates are not estimable."
        )
    else:
        empty = [
            g.label
            for g in table.groups
            if _denominator(g, table) == 0 and not prot.hides(g.label, den_key)
        ]
        if empty:
            notes.append(
                f"No {table.denominator.label} in: {', '.join(empty)}; "
                "rates there are not estimable."
            )
    return notes


def protection_text(prot: Protection) -> str:
    """What disclosure control withheld from the table and charts."""
    t = prot.disclosure.threshold
    text = (
        f"Small-cell protection (imported data): counts below {t} read <{t}; 'suppressed' "
        "marks a count withheld so that a hidden one cannot be worked out; a count whose "
        "denominator is withheld has no percentage; rows with a withheld count are not charted."
    )
    rows = sorted(prot.hidden_rows | prot.hidden_sizes)
    if rows:
        text += " Rows with withheld counts: " + ", ".join(rows) + "."
    return text


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _bar_label(g: GroupResponse, denom: int, table: ResponseTable) -> str:
    what = "evaluable" if table.denominator is Denominator.EVALUABLE else "patients"
    return f"{g.label} (n = {denom} {what})"


def bar_frame(table: ResponseTable, prot: Protection = NO_PROTECTION) -> pd.DataFrame:
    """Segments of the 100% stacked bars: one row per group and category.

    Over evaluable patients the segments are the evaluable codes; over all treated patients a
    "Not evaluable/missing" segment is added. Groups with an empty denominator are left out.
    Columns: group, bar (label with n), n_bar, code, category, order, n, pct (0..100). A group
    with any withheld segment or denominator is left out.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    den_key = _denominator_key(table)
    records = []
    for g in _rows(table):
        denom = _denominator(g, table)
        keys = [den_key, *spec.codes] + (["nem"] if table.denominator is Denominator.ALL else [])
        if denom == 0 or any(prot.hides(g.label, k) for k in keys):
            continue
        items = [(code, spec.code_labels[code], p.n) for code, p in g.categories.items()]
        if table.denominator is Denominator.ALL:
            items.append(("NE", NOT_EVALUABLE_OR_MISSING_LABEL, g.n_not_evaluable_or_missing))
        for order, (code, label, n) in enumerate(items):
            records.append(
                {
                    "group": g.label,
                    "bar": _bar_label(g, denom, table),
                    "n_bar": denom,
                    "code": code,
                    "category": label,
                    "order": order,
                    "n": n,
                    "pct": 100.0 * n / denom,
                }
            )
    cols = ["group", "bar", "n_bar", "code", "category", "order", "n", "pct"]
    return pd.DataFrame.from_records(records, columns=cols)


def bar_categories(table: ResponseTable) -> list[str]:
    """Category labels of :func:`bar_frame` in stacking order (legend order)."""
    spec = RESPONSE_DOMAINS[table.domain]
    labels = [spec.code_labels[c] for c in spec.codes]
    if table.denominator is Denominator.ALL:
        labels.append(NOT_EVALUABLE_OR_MISSING_LABEL)
    return labels


def rate_frame(table: ResponseTable, prot: Protection = NO_PROTECTION) -> pd.DataFrame:
    """Derived rates (ORR and DCR for imaging) per group, for the dot-and-interval plot.

    Columns: rate, rate_label, group, row (label with n), n, denominator, pct, lower, upper,
    text. Groups with an empty denominator, or a withheld rate or denominator, are left out.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    den_key = _denominator_key(table)
    records = []
    for d in spec.derived:
        for g in _rows(table):
            p = g.derived[d.name]
            if p.pct is None or prot.hides(g.label, d.name) or prot.hides(g.label, den_key):
                continue
            records.append(
                {
                    "rate": d.name,
                    "rate_label": d.label,
                    "group": g.label,
                    "row": _bar_label(g, p.denominator, table),
                    "n": p.n,
                    "denominator": p.denominator,
                    "pct": p.pct,
                    "lower": p.lower,
                    "upper": p.upper,
                    "text": f"{p.n}/{p.denominator} = {fmt_num(p.pct)}% "
                    f"({fmt_num(p.lower)}–{fmt_num(p.upper)})",
                }
            )
    cols = ["rate", "rate_label", "group", "row", "n", "denominator", "pct", "lower", "upper"]
    return pd.DataFrame.from_records(records, columns=[*cols, "text"])


# ------------------------------------------------------------------ the result
@dataclass(frozen=True)
class ResponseResult:
    """One response view as one viewer may see it: the exact table and what may be shown.

    Every output is made by the methods here (or the frame functions above with
    ``protection``), which apply the decision; ``table`` is None when the selection is
    refused, and then only ``refusal`` may be shown.
    """

    spec: ResponseSpec
    disclosure: Disclosure
    table: ResponseTable | None
    protection: Protection = NO_PROTECTION
    refusal: str = ""
    notices: tuple[str, ...] = ()
    description: str = ""
    """The selection in words, with its n as it may be shown."""

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def n(self) -> int | None:
        """The selection's size (None when refused)."""
        return None if self.table is None else self.table.overall.n

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame() if self.table is None else table_frame(self.table, self.protection)

    def export(self) -> pd.DataFrame:
        return pd.DataFrame() if self.table is None else export_frame(self.table, self.protection)

    def bars(self) -> pd.DataFrame:
        return bar_frame(self.table, self.protection) if self.table is not None else None

    def rates(self) -> pd.DataFrame:
        return rate_frame(self.table, self.protection) if self.table is not None else None

    def test_text(self) -> str:
        return "" if self.table is None else test_text(self.table, self.protection)

    def notes(self) -> list[str]:
        return [] if self.table is None else table_notes(self.table, self.protection)

    def shown_table(self) -> ResponseTable | None:
        """The table for paragraphs (rows with every count shown), or None."""
        return None if self.table is None else protected_table(self.table, self.protection)

    def json(self) -> dict[str, Any]:
        """The ``responses --json`` object, with ``"disclosure"``."""
        if self.table is None:
            data: dict[str, Any] = {
                "domain": self.spec.domain.value,
                "ci_method": self.spec.ci.value,
                "groups": [],
                "test": None,
                "refusal": self.refusal,
            }
        else:
            data = protected_json(to_json_dict(self.table), self.table, self.protection)
        if self.notices:
            data["notices"] = list(self.notices)
        data["disclosure"] = self.disclosure.json()
        return data


def response_result(inputs: ResponseInputs, spec: ResponseSpec) -> ResponseResult:
    """The response view of ``spec`` over loaded inputs: exact table, then disclosure."""
    d = inputs.disclosure
    if inputs.refused:
        return ResponseResult(spec, d, None, Protection(d), inputs.refusal, inputs.notices,
                              inputs.description)  # fmt: skip
    table = response_analysis(inputs.patients, spec)
    return ResponseResult(
        spec, d, table, protection(table, d), "", inputs.notices, inputs.description
    )


def analyse(
    filters: Filters,
    spec: ResponseSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> ResponseResult:
    """The ``responses`` command's entry: open the selection for ``mode``, compute, protect."""
    view = open_view(filters, mode, path)
    d = view.disclosure
    if view.refused:
        return ResponseResult(
            spec, d, None, Protection(d), view.refusal, view.notices, view.filters.describe()
        )
    patients = queries.patients_frame(view.filters, path=path)
    table = response_analysis(patients, spec)
    return ResponseResult(
        spec,
        d,
        table,
        protection(table, d),
        "",
        view.notices,
        view.filters.describe(view.n_selected),
    )


# ------------------------------------------------------------------ swimmer plot
DIED = "Death"
ALIVE = "Alive at last follow-up"
ADMINISTRATION = "Administration"
PROGRESSION = "Imaging progression"


def response_event(code: str) -> str:
    """Swimmer event name of an imaging response code."""
    return f"Imaging response: {code}"


SWIMMER_EVENTS: tuple[str, ...] = (
    ADMINISTRATION,
    *(response_event(c) for c in RESPONSE_DOMAINS[ResponseDomain.IMAGING].allowed_values),
    PROGRESSION,
    DIED,
    ALIVE,
)
"""Every marker of the swimmer plot, in legend order."""


@dataclass(frozen=True)
class Swimmer:
    """Lanes and markers of a swimmer plot (times in months from the first treatment).

    ``lanes``: lane, patient_id, cohort_id, order, months, status, tooltip columns.
    ``events``: lane, event (one of :data:`SWIMMER_EVENTS`), months, day, detail.
    ``not_drawn``: sentences listing what has no day and is therefore not drawn.
    """

    lanes: pd.DataFrame
    events: pd.DataFrame
    not_drawn: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        return len(self.lanes)

    @property
    def event_names(self) -> list[str]:
        present = set(self.events["event"])
        return [e for e in SWIMMER_EVENTS if e in present]


def swimmer_message(
    n: int, limit: int = SWIMMER_MAX_PATIENTS, disclosure: Disclosure = EXEMPT
) -> str | None:
    """Why there is no swimmer plot for ``n`` patients (None when it is drawn)."""
    if disclosure.active:
        return (
            "The swimmer plot shows each patient's own timeline, so it is not drawn when "
            "imported (real) data are in view (small-cell protection). Synthetic and "
            "published-case cohorts can be viewed patient by patient."
        )
    if n <= limit:
        return None
    return (
        f"The swimmer plot draws one lane per patient and is shown for up to {limit} "
        f"patients; this selection has {n}. Narrow the filters in the sidebar (for example "
        "by primary site, grade or number of treatments) to see individual patients."
    )


def _months(days: object) -> float | None:
    return None if pd.isna(days) else float(days) / DAYS_PER_MONTH


def _label(name: str, code: object) -> str:
    return "unknown" if pd.isna(code) else PATIENTS[name].label_of(code)


def _mbq(x: object) -> str:
    return "activity unknown" if pd.isna(x) else f"{float(x):,.0f} MBq"


def swimmer_data(
    patients: pd.DataFrame, treatments: pd.DataFrame, case_notes: pd.DataFrame
) -> Swimmer:
    """Lanes ordered by follow-up (longest first) and their markers."""
    multi = patients["cohort_id"].nunique() > 1
    pts = patients.copy()
    pts["lane"] = [
        (f"{c} · {p}" if multi else str(p)) + (" (untreated)" if a == "none" else "")
        for c, p, a in zip(pts["cohort_id"], pts["patient_id"], pts["agent"], strict=True)
    ]
    pts = pts.sort_values(["os_days", "lane"], ascending=[False, True], kind="stable")
    key = list(zip(pts["cohort_id"], pts["patient_id"], strict=True))
    lane_of = dict(zip(key, pts["lane"], strict=True))
    notes: dict[tuple, list[str]] = {}
    for c, p, note in case_notes[["cohort_id", "patient_id", "note"]].itertuples(index=False):
        if isinstance(note, str) and note.strip():
            notes.setdefault((c, p), []).append(note.strip())

    events: list[dict] = []
    unknown: dict[tuple, list[str]] = {}
    for t in treatments.itertuples(index=False):
        k = (t.cohort_id, t.patient_id)
        if k not in lane_of:
            continue
        if pd.isna(t.day):
            unknown.setdefault(k, []).append(f"cycle {t.cycle} ({_mbq(t.activity_mbq)})")
            continue
        approx = "; day approximated" if bool(t.approximated) else ""
        events.append(
            {
                "lane": lane_of[k],
                "event": ADMINISTRATION,
                "months": _months(t.day),
                "day": int(t.day),
                "detail": f"Cycle {t.cycle}, {_mbq(t.activity_mbq)}, "
                f"{_label('route', t.route)} {_label('agent', t.agent)}{approx}",
            }
        )

    lanes: list[dict] = []
    no_day_response: list[str] = []
    for order, r in enumerate(pts.itertuples(index=False)):
        k = (r.cohort_id, r.patient_id)
        died = bool(r.os_event == 1)
        resp, resp_day = r.imaging_response, r.imaging_response_days
        resp_text = "not assessed"
        if isinstance(resp, str):
            if resp == NOT_EVALUABLE_CODE:
                resp_text = "not evaluable (NE)"
            elif pd.isna(resp_day):
                resp_text = f"{resp} (day unknown, not drawn)"
                no_day_response.append(f"{r.lane} ({resp})")
            else:
                resp_text = f"{resp} at day {int(resp_day)}"
                events.append(
                    {
                        "lane": r.lane,
                        "event": response_event(resp),
                        "months": _months(resp_day),
                        "day": int(resp_day),
                        "detail": RESPONSE_DOMAINS[ResponseDomain.IMAGING].code_labels[resp],
                    }
                )
        pfs_day, pfs_ev = r.pfs_imaging_days, r.pfs_imaging_event
        if not pd.isna(pfs_day) and not pd.isna(pfs_ev) and int(pfs_ev) == 1:
            is_death = died and int(pfs_day) >= int(r.os_days)
            if not is_death:
                events.append(
                    {
                        "lane": r.lane,
                        "event": PROGRESSION,
                        "months": _months(pfs_day),
                        "day": int(pfs_day),
                        "detail": "Imaging progression (first)",
                    }
                )
        approx = bool(r.followup_approximated) if not pd.isna(r.followup_approximated) else False
        events.append(
            {
                "lane": r.lane,
                "event": DIED if died else ALIVE,
                "months": _months(r.os_days),
                "day": int(r.os_days),
                "detail": ("Died" if died else "Alive at last follow-up")
                + (" (time approximated from the source's wording)" if approx else ""),
            }
        )
        lanes.append(
            {
                "lane": r.lane,
                "patient_id": r.patient_id,
                "cohort_id": r.cohort_id,
                "order": order,
                "start": 0.0,
                "months": _months(r.os_days),
                "status": DIED if died else ALIVE,
                "agent": _label("agent", r.agent),
                "route": _label("route", r.route),
                "n_treatments": int(r.n_treatments) if not pd.isna(r.n_treatments) else None,
                "imaging_response": resp_text,
                "unknown_day_cycles": "; ".join(unknown.get(k, [])) or "none",
                "note": " ".join(notes.get(k, [])),
            }
        )
    not_drawn = []
    if unknown:
        listed = "; ".join(
            f"{lane_of[k]}: {', '.join(v)}" for k, v in unknown.items() if k in lane_of
        )
        not_drawn.append(f"Administrations with an unknown day (not drawn): {listed}.")
    if no_day_response:
        not_drawn.append(
            "Imaging responses with an unknown assessment day (not drawn): "
            + ", ".join(no_day_response)
            + "."
        )
    lane_cols = [
        "lane",
        "patient_id",
        "cohort_id",
        "order",
        "start",
        "months",
        "status",
        "agent",
        "route",
        "n_treatments",
        "imaging_response",
        "unknown_day_cycles",
        "note",
    ]
    ev = pd.DataFrame.from_records(events, columns=["lane", "event", "months", "day", "detail"])
    return Swimmer(
        pd.DataFrame.from_records(lanes, columns=lane_cols),
        ev.sort_values(["lane", "day"], kind="stable").reset_index(drop=True),
        tuple(not_drawn),
    )


def swimmer(inputs: ResponseInputs, limit: int = SWIMMER_MAX_PATIENTS) -> Swimmer | None:
    """The swimmer data of the selection; None when it has more than ``limit`` patients, none,
    is refused, or shows imported data under protection (see :func:`swimmer_message`)."""
    if inputs.n > limit or inputs.n == 0 or inputs.disclosure.active or inputs.refused:
        return None
    return swimmer_data(inputs.patients, inputs.treatments, inputs.case_notes)


# ------------------------------------------------------------------ adverse events
@dataclass(frozen=True)
class AdverseEventView:
    """Adverse events of the selection with the denominator made explicit."""

    rows: tuple[AERow, ...]
    n_patients: int
    """Denominator: patients in view from cohorts that record adverse events."""
    n_in_view: int
    cohorts_with_data: tuple[str, ...]
    cohorts_without_data: tuple[str, ...]
    ci: BinomialCI = BinomialCI.CLOPPER_PEARSON
    disclosure: Disclosure = EXEMPT
    hidden: frozenset[tuple[str, str]] = frozenset()
    """``(term, "any" | "grade3plus")`` counts withheld under disclosure control."""
    withheld: str = ""
    """Non-empty: the whole table is withheld under disclosure control, and why."""

    @property
    def has_data(self) -> bool:
        return bool(self.cohorts_with_data)

    def hides(self, term: str, level: str) -> bool:
        return bool(self.withheld) or (term, level) in self.hidden

    def text(self, p: Proportion, term: str = "", level: str = "") -> str:
        """A cell as it may be shown: ``'<11'`` or ``'suppressed'`` without a percentage."""
        hidden = (term, level) in self.hidden if term else self.disclosure.hidden(p.n)
        if hidden:
            return self.disclosure.show(p.n) if self.disclosure.hidden(p.n) else SUPPRESSED
        return fmt_proportion(p)


def _ae_protection(
    rows: tuple[AERow, ...], n: int, n_in_view: int, d: Disclosure
) -> tuple[frozenset, str]:
    if not d.active:
        return frozenset(), ""
    left_out = n_in_view - n
    if d.hidden(n) or d.hidden(left_out):
        return frozenset(), (
            f"Under disclosure control the adverse-event table is not shown: fewer than "
            f"{d.threshold} patients are in its denominator or left out of it."
        )
    values: dict[tuple[str, str], int] = {("", "N"): n}
    lines = []
    for r in rows:
        t = r.term
        any_n, g3 = r.any_grade.n, r.grade3plus.n
        values.update(
            {
                (t, "any"): any_n,
                (t, "grade3plus"): g3,
                (t, "lo"): any_n - g3,
                (t, "none"): n - any_n,
            }
        )
        lines += [
            Line((t, "any"), ((t, "grade3plus"), (t, "lo"))),
            Line(("", "N"), ((t, "any"), (t, "none"))),
        ]
    sup = protect_lines(values, lines, d, fixed=[("", "N")])
    if not sup.resolved:
        return frozenset(), "Under disclosure control the adverse-event table is not shown."
    return frozenset(k for k in sup.hidden if k[1] in ("any", "grade3plus")), ""


def adverse_event_view(
    inputs: ResponseInputs, ci: BinomialCI | str = BinomialCI.CLOPPER_PEARSON
) -> AdverseEventView:
    """Per-term counts (any grade, grade >= 3) with exact or chosen intervals, protected."""
    ci = BinomialCI.parse(ci)
    with_data = tuple(c for c in inputs.cohorts if c in set(inputs.ae_cohorts))
    without = tuple(c for c in inputs.cohorts if c not in set(with_data))
    pts = inputs.patients
    n = int(pts["cohort_id"].isin(with_data).sum())
    ae = inputs.adverse_events
    ae = ae[ae["cohort_id"].isin(with_data)]
    # patient ids are unique within a cohort only
    ae = ae.assign(patient_id=ae["cohort_id"].astype(str) + "/" + ae["patient_id"].astype(str))
    rows = tuple(adverse_event_table(ae, n, ci)) if n else ()
    hidden, withheld = _ae_protection(rows, n, len(pts), inputs.disclosure)
    return AdverseEventView(
        rows, n, len(pts), with_data, without, ci, inputs.disclosure, hidden, withheld
    )


def adverse_event_message(view: AdverseEventView) -> str:
    """What the adverse-event table covers, or why there is none."""
    if not view.has_data:
        who = ", ".join(view.cohorts_without_data) or "this selection"
        return (
            f"No adverse-event data: {who} record(s) no adverse events (the source reported "
            "none). This is missing information, not evidence that treatment was free of "
            "toxicity."
        )
    if view.withheld:
        return view.withheld
    text = (
        f"Patients with each event at any grade and at CTCAE grade 3 or worse (each patient "
        f"counted once per term, at the worst grade), over all {view.n_patients} patients "
        f"in view; {view.ci.label} 95% CIs."
    )
    if view.cohorts_without_data:
        text += (
            f" {', '.join(view.cohorts_without_data)} record(s) no adverse events; their "
            f"{view.n_in_view - view.n_patients} patients are left out of the denominator."
        )
    if not view.rows:
        text += " No patient in this selection had a recorded adverse event."
    if view.disclosure.active:
        t = view.disclosure.threshold
        text += (
            f" Small-cell protection: counts below {t} read <{t}, and 'suppressed' marks a "
            "count withheld so that a hidden one cannot be worked out; neither has a percentage."
        )
    return text


def adverse_event_frame(view: AdverseEventView) -> pd.DataFrame:
    """Display table: term, any grade and grade >= 3 as ``n (%; lo–hi)``."""
    rows = () if view.withheld else view.rows
    return pd.DataFrame(
        {
            "Term": [r.term for r in rows],
            "Any grade, n (%; 95% CI)": [view.text(r.any_grade, r.term, "any") for r in rows],
            "Grade ≥3, n (%; 95% CI)": [
                view.text(r.grade3plus, r.term, "grade3plus") for r in rows
            ],
        }
    )


def adverse_event_export_frame(view: AdverseEventView) -> pd.DataFrame:
    """Numeric adverse-event table for CSV (withheld cells are left out)."""
    records = []
    for r in view.rows:
        for level, p in (("any", r.any_grade), ("grade3plus", r.grade3plus)):
            if view.hides(r.term, level):
                continue
            records.append(
                {
                    "term": r.term,
                    "grade": level,
                    "n": p.n,
                    "denominator": p.denominator,
                    "pct": p.pct,
                    "ci_lower": p.lower,
                    "ci_upper": p.upper,
                    "ci_method": view.ci.value,
                }
            )
    cols = ["term", "grade", "n", "denominator", "pct", "ci_lower", "ci_upper", "ci_method"]
    return pd.DataFrame.from_records(records, columns=cols)


def percentages(table: ResponseTable, group: str = OVERALL_LABEL) -> dict[str, float | None]:
    """Category percentages of one group (``'All'`` = overall), keyed by code."""
    g = (
        table.overall
        if group == OVERALL_LABEL
        else next(x for x in table.groups if x.label == group)
    )
    return {code: p.pct for code, p in g.categories.items()}


RESPONSE_CONVENTIONS = (
    "Responses are the first follow-up assessment in each domain. Evaluable patients have a "
    "response code; 'NE' (not evaluable) and missing assessments are counted and shown "
    "separately and are outside the default denominator. Objective response rate = CR + PR; "
    "disease control rate = CR + PR + SD. Intervals: Clopper-Pearson exact (R binom.test), "
    "Wilson score (R prop.test without continuity correction) or Jeffreys. Groups are "
    "compared on the distribution of evaluable responses with Fisher's exact test (2 x 2), "
    "the Fisher-Freeman-Halton exact test (larger tables; the network algorithm, as R's "
    "fisher.test), or, where even that is too large, a Monte Carlo Fisher-Freeman-Halton p from "
    "100,000 random tables with a stated seed; the method used is named next to the p-value. "
    "Swimmer lanes run from the first treatment to death or last follow-up; imaging "
    "progression is marked unless it is the death itself. Adverse events count each patient "
    "once per term, at the worst CTCAE grade."
)
