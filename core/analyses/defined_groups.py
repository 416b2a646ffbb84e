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

from core.analyses.disclosure import EXEMPT, Disclosure, Mode
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
from core.stats.survival import GroupHR, cox_group_hr_counts, logrank_with_pairwise

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


@dataclass(frozen=True)
class DefinedComparison:
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

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def overlapping(self) -> bool:
        return any(o.n > 0 for o in self.overlaps)


def _strictest(ds: list[Disclosure]) -> Disclosure:
    active = [d for d in ds if d.active]
    return active[0] if active else (ds[0] if ds else EXEMPT)


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
    overlaps: list[Overlap] = []
    for i, (ga, ra) in enumerate(zip(groups.groups, results, strict=True)):
        for gb, rb in zip(groups.groups[i + 1 :], results[i + 1 :], strict=True):
            # the overlap of the groups as analysed: protected mode moves range bounds to
            # bands, so two requested ranges that do not meet may share patients once banded
            both = intersection(ra.filters, rb.filters)
            if both is None:
                overlaps.append(Overlap(ga.name, gb.name, 0, "0"))
                continue
            n = queries.count_patients(both, path)
            view = open_view(both, mode, path)
            if n == 0:
                shown = "0"
            elif view.refused or view.filters != both or view.n_selected != n:
                shown = "not shown (disclosure control)"
            else:
                shown = view.disclosure.show(n)
            overlaps.append(Overlap(ga.name, gb.name, n, shown))
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
