"""Groups the user defines with the sidebar's own filters, compared on one survival view.

A tumour board asks "small-bowel patients treated IA vs IV patients of the same sites" or "my
IA patients vs everyone else's": groups that are not the levels of one field. Each group is a
:class:`~core.data.filters.Filters` with a name. Each is opened for the viewer exactly as if it
had been chosen in the sidebar (:func:`core.analyses.view.open_view`: every disclosure rule
applies to it), analysed on its own, and the groups are then compared: log-rank and pairwise
tests, hazard ratios against the first group (the project's Cox engine), effect differences.

Patients in more than one group are never silently counted twice: the overlap of every pair is
computed (the overlap of two filters is itself a filter, :func:`intersection`, opened under the
same rules), shown, and any overlap refuses the tests (they need separate patients) while each
group's own curve is still shown.

The Response page shows the same groups (:func:`compare_responses`): each group's response
rates under the response analysis's own small-cell protection, and Fisher's exact test on
responders vs the rest when no patient is in two groups and no compared count is withheld.

Links: ``grp1=<name>&grp1.primary_site=small_bowel&grp1.route=ia&grp2=...`` (at most
:data:`MAX_GROUPS` groups; each group's filter keys are the sidebar's own, see
:meth:`Filters.to_query_params`), parsed like every untrusted link value: dropped with a notice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.responses import (
    SUPPRESSED,
    ResponseSpec,
    method_line,
    protection,
    response_analysis,
)
from core.analyses.survival import (
    GroupResult,
    SurvivalAnalysis,
    SurvivalSpec,
    analyse,
    few_events,
)
from core.analyses.view import open_view
from core.data import queries
from core.data.filters import CODE_FILTERS, Filters
from core.stats.responses import RESPONSE_DOMAINS, GroupTest, Proportion, compare_groups
from core.stats.survival import GroupHR, cox_group_hr_counts, logrank_with_pairwise
from core.vocab.formatting import fmt_num, fmt_p
from core.vocab.methods import Denominator

MAX_GROUPS = 6
NAME_MAX = 40
_NAME_OK = re.compile(r"[\w .,;:+\-/()=%&'#]+")
_FORMULA_LEAD = ("=", "+", "-", "@")
PREFIX = "grp"


@dataclass(frozen=True, slots=True)
class DefinedGroup:
    """A named selection."""

    name: str
    filters: Filters


@dataclass(frozen=True, slots=True)
class GroupSet:
    """Two or more named selections, in the order shown (the first is the reference)."""

    groups: tuple[DefinedGroup, ...] = ()

    def __len__(self) -> int:
        return len(self.groups)

    def to_query_params(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for i, g in enumerate(self.groups, start=1):
            out[f"{PREFIX}{i}"] = g.name
            for k, v in g.filters.to_query_params().items():
                out[f"{PREFIX}{i}.{k}"] = v
        return out

    @classmethod
    def from_query_params(
        cls, params: Mapping[str, Any], valid_cohorts: Any = None
    ) -> tuple[GroupSet, list[str]]:
        """Parse untrusted link values: every dropped value gets a notice, nothing raises."""
        notices: list[str] = []
        groups: list[DefinedGroup] = []
        for i in range(1, MAX_GROUPS + 1):
            key = f"{PREFIX}{i}"
            if key not in params:
                continue
            raw = params[key]
            name = str(raw[0] if isinstance(raw, list | tuple) and raw else raw).strip()
            problem = name_problem(name)
            if problem:
                notices.append(f"Ignored group {i}: {problem}.")
                continue
            sub = {k[len(key) + 1 :]: v for k, v in params.items() if k.startswith(f"{key}.")}
            f, sub_notices = Filters.from_query_params(sub, valid_cohorts)
            notices += [f"Group '{name}': {n}" for n in sub_notices]
            if any(g.name == name for g in groups):
                notices.append(f"Ignored group {i}: the name '{name}' is used twice.")
                continue
            groups.append(DefinedGroup(name, f))
        extra = sorted(
            {
                k.split(".", 1)[0]
                for k in params
                if k.startswith(PREFIX)
                and k.split(".", 1)[0][len(PREFIX) :].isdigit()
                and not 1 <= int(k.split(".", 1)[0][len(PREFIX) :]) <= MAX_GROUPS
            }
        )
        if extra:
            notices.append(f"Ignored {', '.join(extra)}: at most {MAX_GROUPS} groups.")
        return cls(tuple(groups)), notices


def name_problem(name: str) -> str:
    """Why a group name cannot be used ("" when it can)."""
    if not name:
        return "a group needs a name"
    if len(name) > NAME_MAX:
        return f"a name has at most {NAME_MAX} characters"
    if not _NAME_OK.fullmatch(name):
        return "a name uses letters, digits, spaces and simple punctuation only (no < or >)"
    if name.startswith(_FORMULA_LEAD):
        return "a name may not start with =, +, - or @ (a spreadsheet would run it)"
    return ""


def intersection(a: Filters, b: Filters) -> Filters | None:
    """The filter selecting the patients in both ``a`` and ``b`` (filters are conjunctions, so
    their overlap is one); None when no patient can be in both (disjoint code sets, cohorts or
    ranges, or a prior therapy required by one and excluded by the other)."""
    out: dict[str, Any] = {}
    for name in ("cohorts", *CODE_FILTERS):
        va, vb = getattr(a, name), getattr(b, name)
        if va and vb:
            both = tuple(v for v in va if v in vb)
            if not both:
                return None
            out[name] = both
        else:
            out[name] = va or vb
    for lo, hi in (("age_min", "age_max"), ("treatments_min", "treatments_max")):
        los = [v for v in (getattr(a, lo), getattr(b, lo)) if v is not None]
        his = [v for v in (getattr(a, hi), getattr(b, hi)) if v is not None]
        out[lo] = max(los) if los else None
        out[hi] = min(his) if his else None
        if out[lo] is not None and out[hi] is not None and out[lo] > out[hi]:
            return None
    yes = tuple(dict.fromkeys((*a.prior_yes, *b.prior_yes)))
    no = tuple(dict.fromkeys((*a.prior_no, *b.prior_no)))
    if set(yes) & set(no):
        return None
    out["prior_yes"], out["prior_no"] = yes, no
    assert set(out) == {f.name for f in fields(Filters)}
    return Filters(**out)


@dataclass(frozen=True, slots=True)
class Overlap:
    a: str
    b: str
    n: int
    """Exact number of patients in both (for computation)."""
    shown: str
    """The number as this viewer may see it ("0", "<11", "37", or "not shown")."""


class _Outcome:
    """What every comparison of user-defined groups answers (``refusal`` and ``overlaps``)."""

    refusal: str
    overlaps: tuple[Overlap, ...]

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def overlapping(self) -> bool:
        return any(o.n > 0 for o in self.overlaps)


@dataclass(frozen=True)
class DefinedComparison(_Outcome):
    """A survival view of user-defined groups."""

    groups: GroupSet
    spec: SurvivalSpec
    analysis: SurvivalAnalysis | None
    """The groups as one analysis (each group's curve, tests over the groups); None if refused."""
    hazard_ratios: tuple[GroupHR, ...] = ()
    overlaps: tuple[Overlap, ...] = ()
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    notes: tuple[str, ...] = ()


def _strictest(ds: list[Disclosure]) -> Disclosure:
    active = [d for d in ds if d.active]
    return active[0] if active else (ds[0] if ds else EXEMPT)


def overlaps_of(
    groups: GroupSet, analysed: list[Filters], path: Path | str | None, mode: Mode
) -> tuple[Overlap, ...]:
    """The patients each pair of groups shares: exact (for computation) and as shown.

    ``analysed`` holds each group's filters as analysed (:attr:`open_view(...).filters`):
    protected mode moves range bounds to bands, so two requested ranges that do not meet may
    share patients once banded. The overlap is itself a selection, opened under the same rules:
    its count is shown only as that selection's size may be shown.
    """
    out: list[Overlap] = []
    for i, (ga, fa) in enumerate(zip(groups.groups, analysed, strict=True)):
        for gb, fb in zip(groups.groups[i + 1 :], analysed[i + 1 :], strict=True):
            both = intersection(fa, fb)
            if both is None:
                out.append(Overlap(ga.name, gb.name, 0, "0"))
                continue
            n = queries.count_patients(both, path)
            view = open_view(both, mode, path)
            if n == 0:
                shown = "0"
            elif view.refused or view.filters != both or view.n_selected != n:
                shown = "not shown (disclosure control)"
            else:
                shown = view.disclosure.show(n)
            out.append(Overlap(ga.name, gb.name, n, shown))
    return tuple(out)


def compare_survival(
    groups: GroupSet,
    spec: SurvivalSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> DefinedComparison:
    """Each group's survival (its own selection, every disclosure rule applied to it) and the
    tests between the groups when no patient is in two of them.

    Tests: log-rank over the groups and pairwise (Holm), as R's
    ``survdiff(Surv(time, status) ~ g)`` on the groups' patients; hazard ratios of each group
    against the first by the project's Cox engine (Efron), as ``coxph(... ~ relevel(g, 1))``.
    """
    spec = replace(spec, by=None)
    if len(groups) < 2:
        return DefinedComparison(groups, spec, None, refusal="Define at least two groups.")
    results: list[SurvivalAnalysis] = []
    for g in groups.groups:
        a = analyse(g.filters, spec, path, mode=mode)
        if a.refused:
            return DefinedComparison(
                groups, spec, None, disclosure=a.disclosure, refusal=f"'{g.name}': {a.refusal}"
            )
        results.append(a)
    d = _strictest([a.disclosure for a in results])
    overlaps = overlaps_of(groups, [a.filters for a in results], path, mode)
    members: list[GroupResult] = []
    notes: list[str] = []
    for g, a in zip(groups.groups, results, strict=True):
        kept = [r for r in a.groups if not r.suppressed and r.n > 0]
        if not kept:
            notes.append(f"'{g.name}' has no patients with a valid time in this view.")
            continue
        members.append(replace(kept[0], label=g.name))
    overlap = any(o.n > 0 for o in overlaps)
    lr, pw, hrs = None, (), ()
    if overlap:
        notes.append(
            "Some patients are in more than one group, so the groups are not independent: no "
            "test or hazard ratio is given. Make the groups exclusive to compare them."
        )
    elif len(members) > 1 and sum(m.events for m in members) > 0:
        lr, pairs = logrank_with_pairwise([m.counts for m in members], [m.label for m in members])
        pw = tuple(pairs)
        counts = {m.label: m.counts for m in members if m.events > 0 or m is not members[0]}
        # protected: no HR for a group whose events or non-events are 1 .. t-1 (it stays in
        # the model, so the others' HRs are the exact ones); none at all for such a reference
        few = [m.label for m in members if few_events(m.n, m.events, d)]
        if few:
            notes.append(
                f"No hazard ratio under disclosure control (fewer than {d.threshold} events, "
                "or patients without one): " + ", ".join(f"'{x}'" for x in few) + "."
                + (" It is the reference group." if members[0].label in few else "")
            )  # fmt: skip
        if members[0].events > 0 and members[0].label not in few:
            try:
                hrs = tuple(
                    h for h in cox_group_hr_counts(counts, members[0].label) if h.label not in few
                )
            except ValueError as exc:
                notes.append(f"No hazard ratios: {exc}.")
    base = results[0]
    analysis = replace(
        base,
        groups=tuple(members),
        logrank=lr,
        pairwise=pw,
        rmst_differences=(),
        hazard_ratios=tuple(hrs),
        n_selected=sum(a.n_selected for a in results),
        n_missing_time=sum(a.n_missing_time for a in results),
        n_landmark_excluded=sum(a.n_landmark_excluded for a in results),
        n_landmark_excluded_events=sum(a.n_landmark_excluded_events for a in results),
        disclosure=d,
        warnings=tuple(dict.fromkeys(w for a in results for w in a.warnings)),
        median_followup=None,
    )
    return DefinedComparison(
        groups, spec, analysis, tuple(hrs), tuple(overlaps), d, "", tuple(notes)
    )


# ------------------------------------------------------------------ responses
_RATE_NAMES = {
    "orr": ("Responders (CR + PR)", "ORR"),
    "dcr": ("Disease control (CR + PR + SD)", "DCR"),
    "improved": ("Improved", "Improvement rate"),
    "response": ("Responders", "Response rate"),
    "response_or_stable": ("Response or stable", "Response-or-stable rate"),
}
"""Derived rate -> (count column, rate column) of the per-group table."""


@dataclass(frozen=True, slots=True)
class GroupRate:
    """One group's response counts and rates (exact) and which of them are withheld."""

    name: str
    description: str
    """The group's selection in words, with its n as it may be shown."""
    n: int
    n_evaluable: int
    rate: Proportion
    """The domain's first rate (ORR for imaging) over the spec's denominator."""
    control: Proportion | None
    """The domain's second rate (DCR for imaging), when it has one."""
    hidden: frozenset[str] = frozenset()
    """Withheld cells: ``"n"``, ``"eval"`` and the rates' names (the response analysis's own
    protection of the group's ungrouped table)."""


@dataclass(frozen=True)
class DefinedResponses(_Outcome):
    """The response rates of user-defined groups, and their comparison when it is allowed."""

    groups: GroupSet
    spec: ResponseSpec
    rows: tuple[GroupRate, ...] = ()
    test: GroupTest | None = None
    """Fisher (2 groups) or Fisher-Freeman-Halton on groups x (responder, non-responder)."""
    overlaps: tuple[Overlap, ...] = ()
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    notes: tuple[str, ...] = ()

    @property
    def rate_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in RESPONSE_DOMAINS[self.spec.domain].derived[:2])

    def method(self) -> str:
        """The caption's method line: domain, denominator, interval, test."""
        label = RESPONSE_DOMAINS[self.spec.domain].derived[0].label
        return (
            f"{method_line(self.spec)}; your groups, each its own selection; "
            f"{label[:1].lower()}{label[1:]}"
            " compared across the groups (responders vs the rest of the denominator) with "
            "Fisher's exact test (2 groups) or Fisher-Freeman-Halton, only when no patient is "
            "in two groups"
        )

    def test_text(self) -> str:
        """The comparison with its method, or why there is none."""
        t = self.test
        if t is None:
            return ""
        return f"{t.method.label}: {fmt_p(t.p)} (responders vs non-responders across the groups)."

    def _cell(self, r: GroupRate, key: str, n: int) -> str | int:
        if key not in r.hidden:
            return str(n) if self.disclosure.active else n
        return self.disclosure.show(n) if self.disclosure.hidden(n) else SUPPRESSED

    def _den_key(self) -> str:
        return "eval" if self.spec.denominator is Denominator.EVALUABLE else "n"

    def _rate_text(self, r: GroupRate, key: str, p: Proportion | None) -> str:
        if p is None or key in r.hidden or self._den_key() in r.hidden or p.pct is None:
            return "–"
        return f"{fmt_num(p.pct)}% ({fmt_num(p.lower)}–{fmt_num(p.upper)})"

    def frame(self) -> pd.DataFrame:
        """Group, patients, evaluable, responders, rate (95% CI) and the second rate."""
        ci = f"{round(100 * self.spec.conf_level)}% CI"
        records = []
        for r in self.rows:
            rec: dict[str, object] = {
                "Group": r.name,
                "Patients": self._cell(r, "n", r.n),
                "Evaluable": self._cell(r, "eval", r.n_evaluable),
            }
            for key, p in zip(self.rate_names, (r.rate, r.control), strict=False):
                count, rate = _RATE_NAMES.get(key, (key, key))
                if p is not None:
                    rec[count] = self._cell(r, key, p.n)
                    rec[f"{rate}, % ({ci})"] = self._rate_text(r, key, p)
            records.append(rec)
        return pd.DataFrame.from_records(records)

    def export(self) -> pd.DataFrame:
        """Numeric form for CSV: a withheld count is empty, and so is a rate whose count or
        denominator is withheld; the test (when given) on every row."""
        t = self.test
        records = []
        den = self._den_key()
        for r in self.rows:
            for key, p in zip(self.rate_names, (r.rate, r.control), strict=False):
                if p is None:
                    continue
                off = key in r.hidden or den in r.hidden
                records.append(
                    {
                        "domain": self.spec.domain.value,
                        "group": r.name,
                        "selection": r.description,
                        "n_patients": None if "n" in r.hidden else r.n,
                        "n_evaluable": None if "eval" in r.hidden else r.n_evaluable,
                        "rate": key,
                        "n": None if key in r.hidden else p.n,
                        "denominator": None if den in r.hidden else p.denominator,
                        "denominator_kind": self.spec.denominator.value,
                        "pct": None if off else p.pct,
                        "ci_lower": None if off else p.lower,
                        "ci_upper": None if off else p.upper,
                        "ci_method": self.spec.ci.value,
                        "conf_level": self.spec.conf_level,
                        "test": None if t is None else t.method.value,
                        "test_p": None if t is None else t.p,
                    }
                )
        return pd.DataFrame.from_records(records)


def compare_responses(
    groups: GroupSet,
    spec: ResponseSpec,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> DefinedResponses:
    """Each group's response rates (its own selection, ungrouped, under the response
    analysis's own disclosure control) and the comparison of the groups' first rate (ORR for
    imaging) when no patient is in two groups and no count of a compared group is withheld.

    The test is :func:`core.stats.responses.compare_groups` on the groups x (responders,
    non-responders) table over the spec's denominator, groups with an empty denominator left
    out: Fisher's exact test for two groups, R ``fisher.test(matrix(c(r1, r2, d1 - r1,
    d2 - r2), 2))$p.value``; Fisher-Freeman-Halton for more (``fisher.test`` on the k x 2 table).
    """
    spec = replace(spec, by=None)
    if len(groups) < 2:
        return DefinedResponses(groups, spec, refusal="Define at least two groups.")
    dom = RESPONSE_DOMAINS[spec.domain]
    first, second = dom.derived[0], (dom.derived[1] if len(dom.derived) > 1 else None)
    rows: list[GroupRate] = []
    analysed: list[Filters] = []
    ds: list[Disclosure] = []
    for g in groups.groups:
        view = open_view(g.filters, mode, path)
        if view.refused:
            return DefinedResponses(
                groups, spec, disclosure=view.disclosure, refusal=f"'{g.name}': {view.refusal}"
            )
        table = response_analysis(queries.patients_frame(view.filters, path=path), spec)
        prot = protection(table, view.disclosure)
        o = table.overall
        wanted = ("n", "eval", first.name) + ((second.name,) if second else ())
        rows.append(
            GroupRate(
                g.name,
                view.filters.describe(view.n_selected),
                o.n,
                o.n_evaluable,
                o.derived[first.name],
                o.derived[second.name] if second else None,
                frozenset(k for k in wanted if prot.hides(o.label, k)),
            )
        )
        analysed.append(view.filters)
        ds.append(view.disclosure)
    d = _strictest(ds)
    overlaps = overlaps_of(groups, analysed, path, mode)
    notes: list[str] = []
    den_key = "eval" if spec.denominator is Denominator.EVALUABLE else "n"
    tested = [r for r in rows if r.rate.denominator > 0 or den_key in r.hidden]
    empty = [r.name for r in rows if r not in tested]
    if empty:
        notes.append(
            f"No {spec.denominator.label} in: {', '.join(empty)}; rates there are not estimable."
        )
    test = None
    if any(o.n > 0 for o in overlaps):
        notes.append(
            "Some patients are in more than one group, so the groups are not independent: no "
            "test is given. Make the groups exclusive to compare them."
        )
    elif any(r.hidden & {"n", "eval", first.name} for r in tested):
        notes.append(
            "The comparison across groups is withheld under disclosure control: a group in it "
            "has a count too small to show."
        )
    elif len(tested) < 2:
        notes.append("Fewer than two groups have a denominator: no comparison is possible.")
    else:
        table = [[r.rate.n, r.rate.denominator - r.rate.n] for r in tested]
        test = compare_groups(np.array(table))
    if d.active:
        t = d.threshold
        notes.append(
            f"Small-cell protection (imported data): counts below {t} read <{t}; 'suppressed' "
            "marks a count withheld so that a hidden one cannot be worked out; a rate whose "
            "count or denominator is withheld is not shown."
        )
    return DefinedResponses(groups, spec, tuple(rows), test, overlaps, d, "", tuple(notes))


# ------------------------------------------------------------------ Cox
COX_METHOD = (
    "Cox model of your groups alone (group as the only covariate, reference = the first group, "
    "Efron ties, Wald 95% CI): the page's covariates, strata and interaction are not in this "
    "model; the groups are fitted on their union, only when no patient is in two groups"
)


@dataclass(frozen=True)
class DefinedCox:
    """Hazard ratios of user-defined groups against the first one (group-only Cox model)."""

    groups: GroupSet
    spec: Any
    """The page's :class:`~core.analyses.cox.CoxSpec` (its endpoint, origin, delayed entry and
    landmark are used; its covariates are not)."""
    survival: DefinedComparison
    hazard_ratios: tuple[GroupHR, ...] = ()
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def overlaps(self) -> tuple[Overlap, ...]:
        return self.survival.overlaps

    def frame(self) -> pd.DataFrame:
        """Group, patients, events and the hazard ratio (95% CI) and p against the first group."""
        a = self.survival.analysis
        hrs = {h.label: h for h in self.hazard_ratios}
        ref = self.groups.groups[0].name
        records = []
        for m in a.groups if a is not None else ():
            h = hrs.get(m.label)
            if m.label == ref:
                hr, p = "1 (reference)", ""
            elif h is None or h.hr is None:
                hr, p = "–", ""
            else:
                hr, p = f"{h.hr:.2f} ({h.lower:.2f}–{h.upper:.2f})", fmt_p(h.p)
            records.append(
                {
                    "Group": m.label,
                    "Patients": self.disclosure.show(m.n),
                    "Events": self.disclosure.show(m.events),
                    "HR (95% CI)": hr,
                    "p": p,
                }
            )
        return pd.DataFrame.from_records(records)


def compare_cox(
    groups: GroupSet,
    spec: Any,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> DefinedCox:
    """Hazard ratio of each user-defined group against the first, on the union of the groups.

    The page's Cox analysis (:mod:`core.analyses.cox`) reads its rows from one selection and
    cannot take a per-patient group column without a large change, so the group-only model is
    fitted with the project's engine :func:`core.stats.survival.cox_group_hr_counts` (Efron
    ties) on each group's survival counts from :func:`compare_survival`, with the page spec's
    endpoint, origin, delayed entry and landmark. Every disclosure rule of
    :func:`compare_survival` applies: no model when patients are in two groups, and under
    protected mode no hazard ratio for a group with 1 to threshold-1 events (or non-events).

    R equivalent: ``coxph(Surv(entry, time, status) ~ relevel(factor(group), ref = 1),
    ties = "efron")`` on the groups' patients stacked.
    """
    sspec = SurvivalSpec(
        endpoint=spec.endpoint,
        origin=spec.origin,
        left_truncation=spec.left_truncation,
        landmark_months=spec.landmark_months,
    )
    cmp = compare_survival(groups, sspec, path, mode=mode)
    notes = list(cmp.notes)
    if cmp.refused:
        return DefinedCox(groups, spec, cmp, (), cmp.disclosure, cmp.refusal, tuple(notes))
    if spec.covariates or spec.strata:
        notes.append(
            "The hazard ratios of your groups are from a model with the group alone: the "
            "page's covariates and strata are not adjusted for here."
        )
    return DefinedCox(groups, spec, cmp, cmp.hazard_ratios, cmp.disclosure, "", tuple(notes))
