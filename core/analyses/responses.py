"""From a selection to what the Response page shows: tables, chart frames, swimmer lanes, AEs.

The arithmetic (rates, exact intervals, group tests, adverse-event counts) lives in
:mod:`core.stats.responses`; this module only selects, groups, labels and lays out. Everything is
pure Python; nothing imports streamlit.

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
* Small-cell protection (:mod:`core.analyses.disclosure`, active when an imported cohort is in view): a
  table row (group) with any count between 1 and threshold - 1 shows only its size and no
  counts, percentages or rates; group sizes get primary and complementary suppression; when
  a single group row is hidden while the "All" row is shown, a second group is hidden so the
  difference reveals nothing; hidden rows are left out of the charts; adverse-event counts
  below the threshold are shown as "<11" without percentages; there is no swimmer plot.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from core.analyses.disclosure import EXEMPT, Disclosure, disclosure_for_selection, suppressed_cells
from core.analyses.survival import GROUPINGS, Grouping
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
    """The rows of one selection the Response page needs (one query each)."""

    patients: pd.DataFrame
    treatments: pd.DataFrame
    adverse_events: pd.DataFrame
    case_notes: pd.DataFrame
    ae_cohorts: tuple[str, ...] = ()
    """Cohorts in view that record any adverse event (in the whole cohort, not the view)."""
    disclosure: Disclosure = EXEMPT
    """Small-cell rule of the selection (active when an imported cohort is in view)."""

    @property
    def n(self) -> int:
        return len(self.patients)

    @property
    def cohorts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.patients["cohort_id"]))


def load_inputs(filters: Filters, path: Path | str | None = None) -> ResponseInputs:
    """Patients, treatments, adverse events and case notes of the selection."""
    patients = queries.patients_frame(filters, path=path)
    cohort_ae = queries.adverse_events_frame(Filters(cohorts=filters.cohorts), path)
    in_view = set(patients["cohort_id"])
    ae_cohorts = tuple(sorted({c for c in cohort_ae["cohort_id"] if c in in_view}))
    return ResponseInputs(
        patients=patients,
        treatments=queries.treatments_frame(filters, path),
        adverse_events=queries.adverse_events_frame(filters, path),
        case_notes=queries.case_notes_frame(filters, path),
        ae_cohorts=ae_cohorts,
        disclosure=disclosure_for_selection(filters.cohorts, path),
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
    """The :class:`ResponseTable` of ``spec`` over the given patient rows."""
    return response_table(
        grouped_frame(patients, spec),
        spec.domain,
        spec.denominator,
        spec.ci,
        by=spec.by,
        conf_level=spec.conf_level,
    )


def analyse(filters: Filters, spec: ResponseSpec, path: Path | str | None = None) -> ResponseTable:
    """Query the selection and build its response table (the CLI's entry point)."""
    return response_analysis(queries.patients_frame(filters, path=path), spec)


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
            "(2 x 2), Fisher-Freeman-Halton (larger tables) or chi-square when the exact "
            "test is too large"
        )
    return text


@dataclass(frozen=True)
class Protection:
    """Which rows of a response table may be shown under the small-cell rule.

    ``hidden_rows`` are labels of rows (groups, or ``"All"``) whose counts, percentages and
    rates are withheld; ``hidden_sizes`` are rows whose size (n) is withheld as well, and
    ``by_missing_hidden`` says whether the number of patients in no group is withheld.
    """

    disclosure: Disclosure = EXEMPT
    hidden_rows: frozenset[str] = frozenset()
    hidden_sizes: frozenset[str] = frozenset()
    by_missing_hidden: bool = False

    @property
    def active(self) -> bool:
        return self.disclosure.active

    def size(self, label: str, n: int) -> str | int:
        """A row's size as it may be shown."""
        if not self.active:
            return n
        if self.disclosure.hidden(n):
            return self.disclosure.show(n)
        return "suppressed" if label in self.hidden_sizes else str(n)

    def cell(self, n: int) -> str:
        """A count inside a hidden row."""
        return self.disclosure.show(n) if self.disclosure.hidden(n) else "suppressed"


NO_PROTECTION = Protection()


def _cells(g: GroupResponse) -> list[int]:
    return [p.n for p in g.categories.values()] + [g.n_not_evaluable, g.n_missing]


def protection(table: ResponseTable, disclosure: Disclosure = EXEMPT) -> Protection:
    """Apply the small-cell rule to a response table (see the module notes)."""
    if not disclosure.active:
        return Protection(disclosure)
    rows = _rows(table)
    hidden = {g.label for g in rows if any(disclosure.hidden(c) for c in _cells(g))}
    sizes: set[str] = set()
    by_missing_hidden = False
    if table.by is not None:
        groups = list(table.groups)
        ns = [g.n for g in groups] + [table.n_by_missing]
        hide = suppressed_cells(ns, disclosure, total_shown=True)
        sizes = {g.label for g, h in zip(groups, hide[:-1], strict=True) if h}
        by_missing_hidden = hide[-1]
        hidden |= sizes
        shown_all = table.overall.label not in hidden
        hidden_groups = [g for g in groups if g.label in hidden]
        if shown_all and table.n_by_missing == 0 and len(hidden_groups) == 1:
            others = sorted((g.n, g.label) for g in groups if g.label not in hidden and g.n > 0)
            if others:
                hidden.add(others[0][1])
    return Protection(disclosure, frozenset(hidden), frozenset(sizes), by_missing_hidden)


def protected_table(table: ResponseTable, prot: Protection) -> ResponseTable | None:
    """The table without its hidden groups (for text); None when the "All" row is hidden."""
    if not prot.active:
        return table
    if table.overall.label in prot.hidden_rows:
        return None
    groups = tuple(g for g in table.groups if g.label not in prot.hidden_rows)
    return replace(table, groups=groups)


def protected_json(data: dict, table: ResponseTable, prot: Protection) -> dict:
    """The CLI's JSON (``core.stats.responses.to_json_dict``) with hidden rows blanked.

    Unchanged when protection is inactive; otherwise each group gets ``"suppressed"`` and a
    hidden group's counts, percentages and intervals are null (its n too when withheld).
    """
    if not prot.active:
        return data
    out = dict(data)
    groups = []
    for g, row in zip(table.groups, data["groups"], strict=True):
        row = dict(row)
        hidden = g.label in prot.hidden_rows
        row["suppressed"] = hidden
        if hidden:
            blank = {"n": None, "pct": None, "ci": [None, None]}
            row["categories"] = {code: dict(blank) for code in row["categories"]}
            row["n_evaluable"] = None
            row["orr"] = dict(blank) if row["orr"] is not None else None
            row["dcr"] = dict(blank) if row["dcr"] is not None else None
        if g.label in prot.hidden_sizes or prot.disclosure.hidden(g.n):
            row["n"] = None
        groups.append(row)
    out["groups"] = groups
    out["small_cell_threshold"] = prot.disclosure.threshold
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


def table_frame(table: ResponseTable, prot: Protection = NO_PROTECTION) -> pd.DataFrame:
    """One row per group (and an "All" row when grouped): counts, categories, derived rates.

    Category and rate cells read ``n (%; lo–hi)`` over the explicit denominator column. Count
    columns are text when small-cell protection is active (``'<11'``, ``'suppressed'``).
    """
    spec = RESPONSE_DOMAINS[table.domain]
    ci = f"{round(100 * table.conf_level)}% CI"
    records = []
    for g in _rows(table):
        hide = g.label in prot.hidden_rows
        counts = {
            "Evaluable": g.n_evaluable,
            "Not evaluable (NE)": g.n_not_evaluable,
            "Missing": g.n_missing,
            f"Denominator ({table.denominator.label})": _denominator(g, table),
        }
        rec: dict[str, object] = {"Group": g.label, "Patients": prot.size(g.label, g.n)}
        for name, n in counts.items():
            rec[name] = prot.cell(n) if hide else (str(n) if prot.active else n)
        for code, p in g.categories.items():
            name = f"{spec.code_labels[code]}, n (%; {ci})"
            rec[name] = prot.cell(p.n) if hide else fmt_proportion(p)
        for d in spec.derived:
            p = g.derived[d.name]
            rec[f"{d.label}, n (%; {ci})"] = prot.cell(p.n) if hide else fmt_proportion(p)
        records.append(rec)
    return pd.DataFrame.from_records(records)


def export_frame(table: ResponseTable, prot: Protection = NO_PROTECTION) -> pd.DataFrame:
    """Long, numeric form of the table for CSV: one row per group and category or rate.

    Rows hidden by small-cell protection are left out.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    test = table.test
    records = []
    for g in _rows(table):
        if g.label in prot.hidden_rows:
            continue
        items = [("category", code, spec.code_labels[code], p) for code, p in g.categories.items()]
        items += [("rate", d.name, d.label, g.derived[d.name]) for d in spec.derived]
        items.append(
            ("not_evaluable_or_missing", "NE+missing", NOT_EVALUABLE_OR_MISSING_LABEL,
             g.not_evaluable_or_missing)
        )  # fmt: skip
        for kind, code, label, p in items:
            records.append(
                {
                    "domain": table.domain.value,
                    "group": g.label,
                    "n_patients": g.n,
                    "n_evaluable": g.n_evaluable,
                    "n_not_evaluable": g.n_not_evaluable,
                    "n_missing": g.n_missing,
                    "kind": kind,
                    "code": code,
                    "label": label,
                    "n": p.n,
                    "denominator": p.denominator,
                    "denominator_kind": "all patients"
                    if kind == "not_evaluable_or_missing"
                    else table.denominator.value,
                    "pct": p.pct,
                    "ci_lower": p.lower,
                    "ci_upper": p.upper,
                    "ci_method": table.ci_method.value,
                    "conf_level": table.conf_level,
                    "test": None if test is None else test.method.value,
                    "test_p": None if test is None else test.p,
                }
            )
    return pd.DataFrame.from_records(records)


def test_text(table: ResponseTable) -> str:
    """The group comparison in words, with the method actually used; or why there is none."""
    if table.by is None:
        return ""
    t = table.test
    if t is None:
        return "Fewer than two groups have evaluable patients: no comparison is possible."
    text = f"{t.method.label}: {fmt_p(t.p)}"
    if t.method is GroupTestMethod.CHI_SQUARE and t.statistic is not None:
        text += f" (χ² = {t.statistic:.2f}, df = {t.df})"
    return text + " (distribution of evaluable responses across groups)."


test_text.__test__ = False  # not a pytest test despite the name


def table_notes(table: ResponseTable, prot: Protection = NO_PROTECTION) -> list[str]:
    """Sentences a reader needs next to the table (patients in no group, empty groups,
    small-cell protection)."""
    notes = []
    if table.by is not None and table.n_by_missing:
        label = RESPONSE_GROUPINGS[table.by].label.lower()
        k = (
            prot.cell(table.n_by_missing)
            if prot.by_missing_hidden or prot.disclosure.hidden(table.n_by_missing)
            else str(table.n_by_missing)
        )
        k = "Some" if k == "suppressed" else k
        notes.append(
            f"{k} patient(s) with no recorded {label} are in no group; "
            f"they are counted in the '{OVERALL_LABEL}' row."
        )
    if prot.active:
        notes.append(prot.disclosure.note().split(":")[0] + ": " + protection_text(prot))
    if _denominator(table.overall, table) == 0:
        notes.append(
            f"No {table.denominator.label} in this selection for "
            f"{_lower(table.domain.label)}: rates are not estimable."
        )
    else:
        empty = [g.label for g in table.groups if _denominator(g, table) == 0]
        if empty:
            notes.append(
                f"No {table.denominator.label} in: {', '.join(empty)}; "
                "rates there are not estimable."
            )
    return notes


def protection_text(prot: Protection) -> str:
    """What the small-cell rule withheld from the table and charts."""
    t = prot.disclosure.threshold
    text = (
        f"a group with any count below {t} shows only its size; counts below {t} read <{t}, "
        "and a second group or size is withheld where a difference would reveal one."
    )
    if prot.hidden_rows:
        text += (
            " Withheld (not in the table's counts or the charts): "
            + ", ".join(sorted(prot.hidden_rows))
            + "."
        )
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
    Columns: group, bar (label with n), n_bar, code, category, order, n, pct (0..100). Rows
    hidden by small-cell protection are left out.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    records = []
    for g in _rows(table):
        denom = _denominator(g, table)
        if denom == 0 or g.label in prot.hidden_rows:
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
    text. Groups with an empty denominator are left out.
    """
    spec = RESPONSE_DOMAINS[table.domain]
    records = []
    for d in spec.derived:
        for g in _rows(table):
            p = g.derived[d.name]
            if p.pct is None or g.label in prot.hidden_rows:
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
    or imported data under small-cell protection (see :func:`swimmer_message`)."""
    if inputs.n > limit or inputs.n == 0 or inputs.disclosure.active:
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

    @property
    def has_data(self) -> bool:
        return bool(self.cohorts_with_data)

    def text(self, p: Proportion) -> str:
        """A cell as it may be shown: ``'<11'`` without a percentage when suppressed."""
        return self.disclosure.show(p.n) if self.disclosure.hidden(p.n) else fmt_proportion(p)


def adverse_event_view(
    inputs: ResponseInputs, ci: BinomialCI | str = BinomialCI.CLOPPER_PEARSON
) -> AdverseEventView:
    """Per-term counts (any grade, grade >= 3) with exact or chosen intervals."""
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
    return AdverseEventView(rows, n, len(pts), with_data, without, ci, inputs.disclosure)


def adverse_event_message(view: AdverseEventView) -> str:
    """What the adverse-event table covers, or why there is none."""
    if not view.has_data:
        who = ", ".join(view.cohorts_without_data) or "this selection"
        return (
            f"No adverse-event data: {who} record(s) no adverse events (the source reported "
            "none). This is missing information, not evidence that treatment was free of "
            "toxicity."
        )
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
        text += f" Small-cell protection: counts below {t} read <{t}, without a percentage."
    return text


def adverse_event_frame(view: AdverseEventView) -> pd.DataFrame:
    """Display table: term, any grade and grade >= 3 as ``n (%; lo–hi)``."""
    return pd.DataFrame(
        {
            "Term": [r.term for r in view.rows],
            "Any grade, n (%; 95% CI)": [view.text(r.any_grade) for r in view.rows],
            "Grade ≥3, n (%; 95% CI)": [view.text(r.grade3plus) for r in view.rows],
        }
    )


def adverse_event_export_frame(view: AdverseEventView) -> pd.DataFrame:
    """Numeric adverse-event table for CSV (suppressed cells are left out)."""
    records = []
    for r in view.rows:
        for level, p in (("any", r.any_grade), ("grade3plus", r.grade3plus)):
            if view.disclosure.hidden(p.n):
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
    "the Fisher-Freeman-Halton exact test (larger tables), or Pearson's chi-square test when "
    "the exact enumeration is too large; the method used is named next to the p-value. "
    "Swimmer lanes run from the first treatment to death or last follow-up; imaging "
    "progression is marked unless it is the death itself. Adverse events count each patient "
    "once per term, at the worst CTCAE grade."
)
