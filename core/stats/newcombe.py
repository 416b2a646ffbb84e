"""Difference of two independent binomial proportions with Newcombe's hybrid score interval.

Pure: integers in, a frozen dataclass out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.stats.responses import binomial_ci
from core.vocab.methods import BinomialCI

METHOD = "Newcombe hybrid score (method 10; Wilson intervals per arm)"
"""How the interval is named in outputs."""

R_CALL = 'DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score")'


@dataclass(frozen=True, slots=True)
class ProportionDifference:
    """``p1 - p2`` on the 0..1 scale with its interval and the arms' Wilson intervals.

    ``estimate``, ``lower`` and ``upper`` are None when an arm has no trials.
    """

    x: tuple[int, int]
    n: tuple[int, int]
    estimate: float | None
    lower: float | None
    upper: float | None
    p: tuple[float | None, float | None]
    wilson: tuple[tuple[float, float] | None, tuple[float, float] | None]
    conf_level: float = 0.95


def newcombe_difference(
    x1: int, n1: int, x2: int, n2: int, conf_level: float = 0.95
) -> ProportionDifference:
    """Newcombe's hybrid score interval for ``x1/n1 - x2/n2`` (Newcombe 1998, method 10).

    With ``(l_i, u_i)`` the Wilson score interval of ``p_i = x_i / n_i`` (no continuity
    correction) and ``d = p1 - p2``::

        lower = d - sqrt((p1 - l1)**2 + (u2 - p2)**2)
        upper = d + sqrt((u1 - p1)**2 + (p2 - l2)**2)

    R: ``DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score")``; equivalently, from base R,
    ``prop.test(x, n, correct = FALSE)$conf.int`` per arm combined by the formula above.

    Parameters
    ----------
    x1, n1 : int
        Successes and trials of the first arm (``0 <= x1 <= n1``).
    x2, n2 : int
        Successes and trials of the second (reference) arm.
    conf_level : float
        Confidence level, default 0.95.

    Returns
    -------
    ProportionDifference
        Estimate and limits on the 0..1 scale; None when ``n1`` or ``n2`` is 0.

    Raises
    ------
    ValueError
        If a count is negative or a success count exceeds its trials.
    """
    x1, n1, x2, n2 = int(x1), int(n1), int(x2), int(n2)
    for x, n in ((x1, n1), (x2, n2)):
        if n < 0 or x < 0 or x > n:
            raise ValueError(f"a proportion needs 0 <= x <= n, got x={x}, n={n}")
    ps = tuple(x / n if n else None for x, n in ((x1, n1), (x2, n2)))
    ws = tuple(
        binomial_ci(x, n, BinomialCI.WILSON, conf_level) if n else None
        for x, n in ((x1, n1), (x2, n2))
    )
    if n1 == 0 or n2 == 0:
        return ProportionDifference((x1, x2), (n1, n2), None, None, None, ps, ws, conf_level)
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = ws  # type: ignore[misc]
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return ProportionDifference((x1, x2), (n1, n2), d, lower, upper, (p1, p2), ws, conf_level)
