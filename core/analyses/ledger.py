"""The session's multiplicity ledger: every test a person has run, with adjusted p values.

A tumour board that looks at twenty subgroups will find a p under 0.05 by chance. The ledger
records each hypothesis test shown in a session (log-rank, pairwise log-rank, Fisher, Cox,
one-sample comparisons with a benchmark, subgroup interactions, Gray's test, ...) once per
distinct hypothesis (the same test on the same view, re-shown, is not a new test), and gives
every p value adjusted over the whole session by Holm (family-wise error) and
Benjamini-Hochberg (false discovery rate), R's ``p.adjust``.

The ledger belongs to the person's session: a shared link reproduces the view, never the
ledger. It holds only p values that were shown to the viewer (so it discloses nothing new).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from core.stats.multiplicity import p_adjust

SHARE_NOTE = (
    "A shared link reproduces the view, not this ledger: the tests counted here are the ones "
    "run in this browser session."
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One hypothesis test as shown on a page."""

    kind: str
    """The test's name ('log-rank', 'Fisher exact', 'Cox Wald', ...)."""
    hypothesis: str
    """What was compared, with the selection (identifies the test within a session)."""
    page: str
    p: float

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.hypothesis)


@dataclass(frozen=True, slots=True)
class Row:
    """A recorded test with its session-wide adjusted p values."""

    number: int
    test: Entry
    holm: float
    bh: float


@dataclass(frozen=True, slots=True)
class Ledger:
    """The tests of one session in the order first run (immutable; :meth:`record` returns a
    new ledger)."""

    tests: tuple[Entry, ...] = ()

    def __len__(self) -> int:
        return len(self.tests)

    def record(self, test: Entry) -> Ledger:
        """The ledger with ``test`` in it: a test already recorded (same kind and hypothesis)
        keeps its place and takes the latest p value; a p value that is not a number is not a
        test and is not recorded."""
        if test.p is None or not np.isfinite(test.p) or not 0.0 <= test.p <= 1.0:
            return self
        for i, t in enumerate(self.tests):
            if t.key == test.key:
                if t == test:
                    return self
                return replace(self, tests=(*self.tests[:i], test, *self.tests[i + 1 :]))
        return replace(self, tests=(*self.tests, test))

    def rows(self) -> tuple[Row, ...]:
        """Every test with Holm and Benjamini-Hochberg p values adjusted over the session."""
        if not self.tests:
            return ()
        p = np.array([t.p for t in self.tests], dtype=float)
        holm, bh = p_adjust(p, "holm"), p_adjust(p, "BH")
        return tuple(
            Row(i + 1, t, float(h), float(b))
            for i, (t, h, b) in enumerate(zip(self.tests, holm, bh, strict=True))
        )

    def row(self, kind: str, hypothesis: str) -> Row | None:
        """The recorded row of one test (None when it is not in the ledger)."""
        for r in self.rows():
            if r.test.key == (kind, hypothesis):
                return r
        return None


# ------------------------------------------------------------------ the tests each page shows
def _ok(p: object) -> bool:
    return isinstance(p, int | float) and bool(np.isfinite(p)) and 0.0 <= float(p) <= 1.0


def survival_tests(analysis: Any, page: str = "Survival") -> list[Entry]:
    """The log-rank test and the pairwise log-rank tests a survival view shows."""
    if analysis is None or getattr(analysis, "refused", False):
        return []
    where = analysis.describe()
    endpoint = analysis.spec.endpoint.label
    by = analysis.spec.by or "groups"
    out: list[Entry] = []
    if analysis.logrank is not None and _ok(analysis.logrank.p):
        out.append(Entry("log-rank", f"{endpoint} by {by} · {where}", page, analysis.logrank.p))
    for pw in analysis.pairwise:
        if _ok(pw.p):
            h = f"{endpoint}: {pw.a} vs {pw.b} · {where}"
            out.append(Entry("pairwise log-rank", h, page, pw.p))
    return out


def response_tests(result: Any, page: str = "Response") -> list[Entry]:
    """The group comparison of a response view, unless disclosure control withheld it."""
    table = getattr(result, "table", None)
    if table is None or table.by is None or table.test is None:
        return []
    if result.protection.test_withheld or not _ok(table.test.p):
        return []
    h = f"{table.domain.label} by {table.by} · {result.description}"
    return [Entry(table.test.method.label, h, page, table.test.p)]


def cox_tests(analysis: Any, page: str = "Cox model") -> list[Entry]:
    """The model's likelihood-ratio test and each shown term's Wald test."""
    fit = getattr(analysis, "fit", None)
    if fit is None or getattr(analysis, "withheld", ""):
        return []
    where = analysis.filters.describe()
    model = " + ".join(analysis.spec.covariates)
    out = []
    if _ok(fit.lr_test.p):
        out.append(Entry("Cox likelihood-ratio", f"{model} · {where}", page, fit.lr_test.p))
    for t in analysis.shown_terms():
        if _ok(t.p):
            out.append(Entry("Cox Wald", f"{t.term} in {model} · {where}", page, t.p))
    return out


def subgroup_tests(analysis: Any, page: str = "Cox model") -> list[Entry]:
    """The interaction tests of a subgroup forest that are shown."""
    if analysis is None or getattr(analysis, "error", None) or getattr(analysis, "withheld", ""):
        return []
    where = analysis.filters.describe()
    arms = " vs ".join(analysis.arms)
    out = []
    for f in analysis.fields:
        p = f.interaction.p if f.interaction is not None else None
        if not f.interaction_withheld and _ok(p):
            out.append(Entry("interaction (LR)", f"{arms} by {f.field} · {where}", page, p))
    return out


def table1_tests(table: Any, page: str = "Overview") -> list[Entry]:
    """The p values of Table 1 that are shown."""
    if table is None or getattr(table, "refused", False):
        return []
    out = []
    for v in getattr(table, "tests", ()):
        if v.method is not None and _ok(v.p):
            h = f"Table 1: {v.label} across {table.split_by}"
            out.append(Entry(v.method.label, h, page, v.p))
    return out


def competing_tests(analysis: Any, page: str = "Survival") -> list[Entry]:
    """Gray's tests of a cumulative-incidence view that are shown."""
    if analysis is None or getattr(analysis, "refused", False):
        return []
    where = analysis.describe()
    out = []
    for cause, test, _why in analysis.tests:
        if test is not None and _ok(test.p):
            h = f"cumulative incidence of {cause} by {analysis.spec.by} · {where}"
            out.append(Entry("Gray", h, page, test.p))
    return out


def defined_response_tests(result: Any, page: str = "Response") -> list[Entry]:
    """The comparison of user-defined groups' response rates, when it is shown (none when the
    groups overlap or disclosure control withheld it)."""
    test = getattr(result, "test", None)
    if test is None or getattr(result, "refused", False) or not _ok(test.p):
        return []
    rate = result.spec.domain.label
    groups = "; ".join(f"{r.name}: {r.description}" for r in result.rows)
    over = result.spec.denominator.label
    h = f"{rate} ({result.rate_names[0]}) over {over} across your groups · {groups}"
    return [Entry(test.method.label, h, page, test.p)]


def defined_cox_tests(result: Any, page: str = "Cox model") -> list[Entry]:
    """The Wald tests of user-defined groups' hazard ratios against the first group, as shown
    (none when the groups overlap or disclosure control withheld them)."""
    if result is None or getattr(result, "refused", False):
        return []
    ref = result.groups.groups[0].name
    endpoint = result.spec.endpoint.label
    groups = "; ".join(f"{g.name}: {g.filters.describe()}" for g in result.groups.groups)
    return [
        Entry("Cox Wald", f"{endpoint}: {h.label} vs {ref} (your groups) · {groups}", page, h.p)
        for h in result.hazard_ratios
        if h.hr is not None and _ok(h.p)
    ]
