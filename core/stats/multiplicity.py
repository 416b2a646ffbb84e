"""Multiplicity adjustment of p values (R's ``p.adjust``).

Pure functions: an array of p values in, adjusted p values out. ``NaN`` entries are left out of
the count of tests and stay ``NaN``, as R's ``NA``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

METHODS: tuple[str, ...] = ("holm", "BH", "bonferroni", "none")
"""Supported methods, spelt as R's ``p.adjust``."""


def p_adjust(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p values.

    Parameters
    ----------
    p
        Unadjusted p values (``NaN`` for a missing one).
    method
        ``"holm"`` (Holm's step-down, controls the family-wise error rate), ``"BH"``
        (Benjamini-Hochberg step-up, controls the false discovery rate), ``"bonferroni"`` or
        ``"none"``.

    Returns
    -------
    numpy.ndarray
        Adjusted p values in the input's order, capped at 1.

    Notes
    -----
    R equivalent: ``p.adjust(p, method = method)``. With ``n`` non-missing p values sorted
    ascending as ``p_(1) <= ... <= p_(n)``: Holm ``max_{j<=i} min(1, (n - j + 1) p_(j))``;
    BH ``min_{j>=i} min(1, n p_(j) / j)``. Ties keep R's order (a stable sort).
    """
    arr = np.asarray(p, dtype=float)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError("p values must lie in [0, 1]")
    out = np.full(arr.size, np.nan)
    ok = ~np.isnan(arr)
    q = arr[ok]
    n = q.size
    if n == 0 or method == "none":
        out[ok] = q
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, n * q)
        return out
    if method == "holm":
        o = np.argsort(q, kind="stable")
        adj = np.minimum(1.0, np.maximum.accumulate((n - np.arange(n)) * q[o]))
    else:  # BH: from the largest p down
        o = np.argsort(q, kind="stable")[::-1]
        rank = np.arange(n, 0, -1)
        adj = np.minimum(1.0, np.minimum.accumulate(n / rank * q[o]))
    res = np.empty(n)
    res[o] = adj
    out[ok] = res
    return out
