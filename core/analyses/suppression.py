"""Cell suppression over linked additive lines: the engine behind Table 1 and response tables.

A shown table is a set of counts tied together by additive relations ("lines"): the levels of a
characteristic add up to the column's n, the split columns of a row add up to its "All" cell,
CR + PR is the objective-response count, and so on. Hiding a small count is not enough when a
line lets a reader recover it from the cells that stay visible (the total minus the others),
or when the hidden cells of a line together add up to a small count. :func:`protect_lines`
extends primary suppression (0 < n < threshold) with complementary cells until, in every line:

* when the line's total is visible: no lone non-zero hidden cell, and the hidden cells do not
  add up to 1 .. threshold-1;
* when the total itself is hidden: at least one of its parts is hidden too.

Cells that a reader cannot see at all (for example the "no" count of a yes/no row when its
percentage is withheld) may be declared as unknown from the start; cells that the output
shows elsewhere (the selection's n) may be declared ``fixed`` and are never chosen as
complements. ``triggers`` hide groups of cells together (a whole split column whose n is
hidden). The per-line rules are the usual iterative heuristic of statistical agencies (CMS
cell-size rule with complementary suppression over rows and columns); because a count can
also follow from several lines together, the whole system is then solved (:func:`determined`)
and, while a small hidden count is still determined, a neighbouring cell is hidden too. Only
hidden cells are ever added, so the procedure terminates; it is not an optimal solver (it may
hide more cells than the fewest needed).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.analyses.disclosure import Disclosure


@dataclass(frozen=True, slots=True)
class Line:
    """``sum(values[p] for p in parts) == values[total]``."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass(frozen=True, slots=True)
class Suppression:
    hidden: frozenset
    """Cells a reader may not see (primary, complementary and declared unknown)."""
    resolved: bool = True
    """False when some line could not be protected: the caller must withhold the table."""

    def __contains__(self, key: object) -> bool:
        return key in self.hidden


def protect_lines(
    values: Mapping[Hashable, int],
    lines: Iterable[Line],
    d: Disclosure,
    *,
    unknown: Iterable[Hashable] = (),
    fixed: Iterable[Hashable] = (),
    triggers: Sequence[tuple[Hashable, Sequence[Hashable]]] = (),
) -> Suppression:
    """Primary plus complementary suppression of ``values`` over ``lines``.

    Parameters
    ----------
    values : mapping of cell key to exact count
        Every cell named in a line must be present.
    lines : iterable of Line
    d : Disclosure
        Inactive: nothing is hidden.
    unknown : cells never shown (they count as hidden in every line).
    fixed : cells shown elsewhere that may not be hidden as complements.
    triggers : ``(key, members)``: when ``key`` is hidden, every member is hidden too.

    Returns
    -------
    Suppression
    """
    if not d.active:
        return Suppression(frozenset())
    t = int(d.threshold)
    lines = list(lines)
    fixed = set(fixed)
    hidden = {k for k, v in values.items() if d.hidden(int(v))} | set(unknown)

    def fire() -> None:
        for key, members in triggers:
            if key in hidden:
                hidden.update(members)

    fire()

    def sweep() -> bool:
        """Per-line rules until nothing changes; False when some line cannot be protected."""
        ok = True
        changed = True
        while changed:
            changed = False
            for line in lines:
                parts = line.parts
                unk = [p for p in parts if p in hidden]
                if line.total in hidden:
                    bad = not unk and int(values[line.total]) > 0
                else:
                    s = sum(int(values[p]) for p in unk)
                    bad = (len(unk) == 1 and s > 0) or 0 < s < t
                if not bad:
                    continue
                pick = _smallest_known((*parts,), values, hidden, fixed)
                if pick is None and line.total not in hidden and line.total not in fixed:
                    pick = line.total
                if pick is None:
                    ok = False
                    continue
                hidden.add(pick)
                changed = True
                fire()
        return ok

    resolved = sweep()
    # the per-line rules do not see derivations across several lines: solve the whole system
    # and, while small hidden counts are still determined, hide a neighbour of each
    while True:
        solved = [k for k in determined(values, lines, hidden) if 0 < int(values[k]) < t]
        if not solved:
            break
        picks = set()
        for k in sorted(solved, key=repr):
            near = [c for line in lines if k in (line.total, *line.parts)
                    for c in (line.total, *line.parts)]  # fmt: skip
            pick = _smallest_known(near, values, hidden | picks, fixed)
            if pick is not None:
                picks.add(pick)
        if not picks:
            resolved = False
            break
        hidden.update(picks)
        fire()
        resolved = sweep() and resolved
    return Suppression(frozenset(hidden), resolved)


def _smallest_known(cells, values, hidden, fixed):
    candidates = [
        (int(values[c]), repr(c), c)
        for c in cells
        if c not in hidden and c not in fixed and int(values[c]) > 0
    ]
    return min(candidates)[2] if candidates else None


def determined(
    values: Mapping[Hashable, int], lines: Sequence[Line], hidden: Iterable[Hashable]
) -> list[Hashable]:
    """Hidden cells whose value follows from the shown ones through the lines.

    Linear algebra over the lines with the shown cells substituted: a hidden cell is
    determined when its coordinate is zero in every null-space vector of the system.
    """
    hidden = set(hidden)
    # lines restricted to their hidden cells, split into independent components
    eqs: list[dict] = []
    for line in lines:
        eq: dict = {}
        for c, coef in [(line.total, 1.0)] + [(p, -1.0) for p in line.parts]:
            if c in hidden:
                eq[c] = eq.get(c, 0.0) + coef
        eq = {c: x for c, x in eq.items() if x}
        if eq:
            eqs.append(eq)
    parent: dict = {}

    def root(c):
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for eq in eqs:
        first, *rest = eq
        for c in rest:
            parent[root(c)] = root(first)
    groups: dict = {}
    for eq in eqs:
        groups.setdefault(root(next(iter(eq))), []).append(eq)
    out = []
    for comp in groups.values():
        keys = sorted({c for eq in comp for c in eq}, key=repr)
        index = {k: i for i, k in enumerate(keys)}
        a = np.zeros((len(comp), len(keys)))
        for j, eq in enumerate(comp):
            for c, x in eq.items():
                a[j, index[c]] = x
        _, s, vt = np.linalg.svd(a, full_matrices=True)
        rank = int((s > 1e-9).sum())
        null = vt[rank:]
        if null.shape[0] == 0:
            out += keys
            continue
        free = np.abs(null).max(axis=0) > 1e-9
        out += [k for k, f in zip(keys, free, strict=True) if not f]
    return out
