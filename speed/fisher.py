"""Benchmark: the Fisher-Freeman-Halton p-value of core.stats.fisher vs R and vs plain enumeration.

For each table it prints the dimensions, the number of patients, the method the app uses
(exact network algorithm, or Monte Carlo beyond the work budget), the median wall time of
``core.stats.fisher.fisher_freeman_halton`` over ``--repeats`` runs, the median time of R's
``fisher.test(m, workspace=2e7)`` measured inside ``Rscript`` (``system.time``, so R's start-up
is not counted) with the ratio R / ours, and the time of a plain enumeration of every table
with the observed margins (pure Python, where the number of tables is at most
``--naive-limit``) with the ratio naive / ours. The p-values are printed next to each other.

Usage: ``python speed/fisher.py [--repeats 5] [--no-r] [--naive-limit 300000]``
"""

from __future__ import annotations

import argparse
import itertools
import math
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.stats.fisher import fisher_freeman_halton  # noqa: E402

TABLES: dict[str, list[list[int]]] = {
    "2x3 small": [[12, 5, 3], [4, 9, 11]],
    "2x6": [[3, 7, 2, 9, 4, 1], [6, 2, 8, 1, 5, 7]],
    "3x3 (a)": [[3, 1, 0], [2, 4, 1], [0, 2, 5]],
    "3x4 flat": [[1, 2, 3, 4], [4, 3, 2, 1], [2, 2, 2, 2]],
    "2x5 n=600": [[60, 70, 55, 48, 67], [65, 58, 62, 50, 65]],
    "3x3 n=200": [[25, 30, 15], [20, 18, 27], [12, 22, 31]],
    "5x4 n=110": [[2, 9, 20, 6], [0, 4, 11, 9], [1, 6, 8, 3], [3, 2, 5, 7], [0, 3, 9, 2]],
    "13x4 imaging by site": [
        [1, 2, 22, 7],
        [0, 0, 1, 3],
        [0, 2, 8, 3],
        [0, 0, 5, 0],
        [0, 2, 2, 0],
        [0, 1, 2, 0],
        [0, 1, 1, 0],
        [0, 1, 3, 0],
        [0, 0, 3, 0],
        [1, 0, 0, 1],
        [0, 0, 0, 1],
        [0, 1, 0, 0],
        [1, 12, 28, 10],
    ],
    "4x4 n=211": [[3, 22, 30, 5], [1, 10, 30, 20], [2, 8, 25, 15], [0, 5, 20, 15]],
}

R_SKIP = {"4x4 n=211": "R exact needs about 220 s (workspace=2e8)"}
"""Tables not timed in R by default (``--slow-r`` times them too)."""


class _TooMany(Exception):
    pass


def naive_p(m: np.ndarray, limit: int) -> float:
    """Plain enumeration of every table with m's margins (FEXACT's log tolerance), or raise
    _TooMany after ``limit`` tables."""
    rows = [int(v) for v in m.sum(axis=1)]
    cols = [int(v) for v in m.sum(axis=0)]
    n = sum(rows)
    lf = [math.lgamma(i + 1) for i in range(n + 1)]
    const = sum(lf[v] for v in rows) + sum(lf[v] for v in cols) - lf[n]
    obs = -sum(lf[int(v)] for v in m.ravel())
    seen = 0
    total = 0.0

    def walk(left: list[int], j: int, w: float) -> None:
        nonlocal seen, total
        if j == len(cols) - 1:
            seen += 1
            if seen > limit:
                raise _TooMany
            w -= sum(lf[v] for v in left)
            if w <= obs + 3.45254e-7:
                total += math.exp(const + w)
            return
        ranges = [range(min(v, cols[j]) + 1) for v in left[:-1]]
        for head in itertools.product(*ranges):
            last = cols[j] - sum(head)
            if 0 <= last <= left[-1]:
                fill = [*head, last]
                walk(
                    [a - b for a, b in zip(left, fill, strict=True)],
                    j + 1,
                    w - sum(lf[v] for v in fill),
                )

    walk(rows, 0, 0.0)
    return min(1.0, total)


def r_times(tables: dict[str, list[list[int]]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median seconds and p of R's fisher.test(m, workspace=2e7) per table (via Rscript)."""
    if shutil.which("Rscript") is None or not tables:
        return {}
    lines = []
    for name, rows in tables.items():
        body = ", ".join("c(" + ",".join(map(str, r)) + ")" for r in rows)
        lines.append(
            f"m <- rbind({body}); p <- fisher.test(m, workspace=2e7)$p.value; "
            f"ts <- replicate({repeats}, system.time(fisher.test(m, workspace=2e7))[['elapsed']]); "
            f'cat("{name}", median(ts), sprintf("%.17g", p), sep="\\t"); cat("\\n")'
        )
    out = subprocess.run(
        ["Rscript", "-e", "\n".join(lines)], capture_output=True, text=True, check=False
    )
    result = {}
    for line in out.stdout.splitlines():
        name, t, p = line.split("\t")
        result[name] = (float(t), float(p))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-r", action="store_true", help="do not time R")
    ap.add_argument("--slow-r", action="store_true", help="also time R where it takes minutes")
    ap.add_argument("--naive-limit", type=int, default=300_000, help="most tables to enumerate")
    args = ap.parse_args()

    r_tables = (
        {} if args.no_r else {k: v for k, v in TABLES.items() if args.slow_r or k not in R_SKIP}
    )
    r = r_times(r_tables, args.repeats)

    head = (
        f"{'table':22} {'r x c':>6} {'n':>5} {'method':11} {'ours ms':>9} {'R ms':>9} "
        f"{'R/ours':>7} {'naive ms':>9} {'naive/ours':>10}  p (ours | R)"
    )
    print(head)
    print("-" * len(head))
    for name, rows in TABLES.items():
        m = np.array(rows)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            res = fisher_freeman_halton(m)
            times.append(time.perf_counter() - t0)
        ours = statistics.median(times)
        method = "exact" if res.exact else f"MC B={res.n_tables:,}"
        r_ms = r_ratio = "-"
        r_p = R_SKIP.get(name, "-") if name not in r else f"{r[name][1]:.10g}"
        if name in r:
            r_ms = f"{1000 * r[name][0]:.0f}"
            r_ratio = f"{r[name][0] / ours:.1f}"
        naive_ms = naive_ratio = "-"
        try:
            t0 = time.perf_counter()
            naive_p(m, args.naive_limit)
            t_naive = time.perf_counter() - t0
            naive_ms = f"{1000 * t_naive:.0f}"
            naive_ratio = f"{t_naive / ours:.1f}"
        except _TooMany:
            naive_ms = f">{args.naive_limit:,} tables"
        dims = f"{m.shape[0]}x{m.shape[1]}"
        print(
            f"{name:22} {dims:>6} {int(m.sum()):>5} {method:11} {1000 * ours:>9.1f} "
            f"{r_ms:>9} {r_ratio:>7} {naive_ms:>9} {naive_ratio:>10}  {res.p:.10g} | {r_p}"
        )


if __name__ == "__main__":
    main()
