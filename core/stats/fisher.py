"""Fisher-Freeman-Halton test of an r x c contingency table: exact (network algorithm) or
Monte Carlo.

Pure numpy/scipy; nothing here knows about responses, pages or disclosure.

Exact p-value (as R ``fisher.test(m)$p.value``, FEXACT)
--------------------------------------------------------
Under independence with both margins fixed, a table has probability
``prod(r_i!) prod(c_j!) / (n! prod(n_ij!))``. The two-sided p-value is the total probability of
the tables with the observed margins that are at most as probable as the observed table. As in
R's FEXACT (Mehta & Patel 1983, 1986; ACM TOMS 643), "at most as probable" means
``-sum log n_ij! <= -sum log m_ij! + 3.45254e-7`` (a log-scale tolerance, so that tables tied
with the observed one in exact arithmetic are never lost to rounding).

The tables are counted with the network algorithm. The smaller dimension is taken as rows and
the columns are filled one at a time in ascending order of their totals. A node of the network
is (columns filled, sorted remaining row totals): rows with equal remaining totals are
interchangeable, so sorting merges their subtrees. A first pass lists every node and its arcs
(the ways to fill the next column, each weighted by ``-sum log n_ij!``); a backward pass gives
each node the largest and smallest weight of its completions. The tables are then enumerated as
paths carrying (node, weight so far, number of paths), paths with equal node and weight merged.
For one arc (weight w to child j) the paths of a node, sorted by weight, fall into three runs:
the lightest, whose every completion through j is at most as probable as the observed table,
add the closed-form total of their completions at once (``sum prod 1/n_ij! = N! / (prod r_i!
prod c_j!)`` over the tables with the remaining margins, times cumulative sums of the paths);
the heaviest, none of whose completions through j qualifies, are dropped; only the middle run
is extended. The last two columns are resolved at once: every node with two columns left keeps
its completion weights sorted with their cumulative probabilities, and a path is finished with
one binary search.

Weights are compared on a grid of at most 2**-34 (about 6e-11) on the log scale, far below
R's tolerance of 3.45e-7; merged paths differ by less than one grid step. On the tables of the
tests the p-value agrees with R to 1e-10 relative or better (R's own result moves by 4e-11 with
its ``workspace`` on the 13 x 4 table; on very large problems R's merging of paths within
3.45e-7 moves it further: 4e-9 relative on a 4 x 4 table of 211, which takes R 220 s).

Feasibility
-----------
The work is counted, never timed, so a table always gets the same answer. Every arc of the
network costs one unit per row (it is a column filling of r cells; counted for a whole stage
before the stage is built, so an oversized stage is refused at once), and every path extended
along an arc, and every arc visited by the enumeration, costs 1. When the count would exceed ``max_work`` (default
:data:`EXACT_WORK_LIMIT`, 2 x 10^7), the path weights no longer fit a 2**-30 grid in 62-bit
keys, or a node key would not fit in 62 bits, the exact computation stops and
:func:`fisher_freeman_halton` falls back to the Monte Carlo p-value. This plays the part of R's
"FEXACT error 6/7 ... consider using 'simulate.p.value=TRUE'". At the default budget the exact
computation takes about 1-2 s and a few hundred MB at most on one core; giving up takes at most
about as long (measured in speed/fisher.py and on random tables up to 10 x 4).

Monte Carlo p-value (as R ``fisher.test(m, simulate.p.value=TRUE, B=B)``)
--------------------------------------------------------------------------
``B`` tables are drawn from the distribution of tables with the observed margins under
independence (the multiple hypergeometric law, drawn cell by cell with numpy's hypergeometric
sampler from a fixed seed). With ``S = -sum log n_ij!`` (summed over the sorted cells, so that
rearranged tables tie exactly) the p-value is ``(1 + #{S_b <= S_obs / (1 + 64 eps)}) / (B +
1)``, R's formula. The random stream differs from R's ``r2dtable``, so the p-value agrees with
R's only within Monte Carlo error; it is reproducible from (B, seed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

FEXACT_LOG_TOL = 3.45254e-7
"""R's FEXACT: tables with -sum log n_ij! <= observed + 3.45254e-7 count as "at most as
probable"."""

EXACT_WORK_LIMIT = 20_000_000
"""Work budget of the exact network algorithm (units: see the module docstring)."""

MONTE_CARLO_TABLES = 100_000
"""Default number of random tables of the Monte Carlo p-value."""

MONTE_CARLO_SEED = 20_261_206
"""Default seed of the Monte Carlo p-value (numpy ``default_rng``)."""

_GRID_BITS = 34
"""Weights are compared on a grid of 2**-34 (about 6e-11) on the log scale."""

_CHUNK = 1 << 21
"""Column fillings or path extensions handled per numpy step (bounds the memory)."""

_ALMOST_ONE = 1.0 + 64.0 * np.finfo(float).eps
"""R fisher.test (simulate.p.value): ``almost.1 <- 1 + 64 * .Machine$double.eps``."""


class _TooLarge(Exception):
    """The exact computation would exceed its work budget or its integer keys."""


@dataclass(frozen=True, slots=True)
class FisherResult:
    """A Fisher-Freeman-Halton p-value and how it was obtained.

    ``n_tables`` and ``seed`` are set for the Monte Carlo p-value and None for the exact one.
    """

    p: float
    exact: bool
    n_tables: int | None = None
    seed: int | None = None


def _as_table(table: Any) -> np.ndarray:
    t = np.asarray(table)
    if t.ndim != 2:
        raise ValueError(f"contingency table must be 2-D, got shape {t.shape}")
    if t.dtype.kind not in "iuf" or t.dtype.kind == "b":
        raise ValueError(f"contingency table must hold integer counts, got dtype {t.dtype}")
    if t.dtype.kind == "f" and (not np.all(np.isfinite(t)) or np.any(t != np.round(t))):
        raise ValueError("contingency table entries must be whole numbers")
    t = t.astype(np.int64)
    if np.any(t < 0):
        raise ValueError("contingency table entries must be non-negative")
    if t.sum() == 0:
        raise ValueError("contingency table is empty (all zero)")
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def _count_fillings(nodes: np.ndarray, total: int) -> np.ndarray:
    """Number of ways to split ``total`` over the rows of each node without exceeding its row
    totals (inclusion-exclusion over the rows that overflow; float, for budgeting)."""
    m, r = nodes.shape
    out = np.zeros(m)
    for subset in range(1 << r):
        members = [i for i in range(r) if subset >> i & 1]
        over = (nodes[:, members] + 1).sum(axis=1) if members else np.zeros(m, dtype=np.int64)
        sign = -1.0 if len(members) % 2 else 1.0
        out += sign * special.comb(total - over + r - 1, r - 1)
    return np.maximum(np.rint(out), 0.0)


def _fillings(nodes: np.ndarray, total: int, sizes: np.ndarray, max_rows: int):
    """Every way to split ``total`` over the rows without exceeding any node's row totals.

    Yields ``(parent, filling)`` blocks in (parent, filling) lexicographic order: ``parent``
    indexes ``nodes`` (ascending) and ``filling`` is ``(len(parent), r)``. Only valid fillings
    are generated (each row's value is bounded below by what the later rows cannot take).
    ``sizes`` (from :func:`_count_fillings`) splits the parents into blocks of about
    ``max_rows`` fillings.
    """
    m, r = nodes.shape
    suffix = np.cumsum(nodes[:, ::-1], axis=1)[:, ::-1]  # suffix[:, i] = sum(nodes[:, i:])
    block_of = np.floor(np.cumsum(sizes) / max_rows).astype(np.int64)
    bounds = np.flatnonzero(np.r_[True, block_of[1:] != block_of[:-1], True])
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        parent = np.arange(s, e, dtype=np.int64)
        need = np.full(len(parent), total, dtype=np.int64)
        fill = np.empty((0, r), dtype=np.int64)
        for i in range(r - 1):
            low = np.maximum(0, need - suffix[parent, i + 1])
            high = np.minimum(nodes[parent, i], need)
            reps = high - low + 1
            start = np.cumsum(reps) - reps
            x = np.repeat(low - start, reps) + np.arange(int(reps.sum()), dtype=np.int64)
            parent = np.repeat(parent, reps)
            need = np.repeat(need, reps) - x
            if i == 0:
                fill = np.empty((len(x), r), dtype=np.int64)
            else:
                fill = np.repeat(fill, reps, axis=0)
            fill[:, i] = x
        if r == 1:  # pragma: no cover - a table has at least two rows here
            fill = np.empty((len(need), 1), dtype=np.int64)
        fill[:, r - 1] = need
        yield parent, fill


def _sort_rows(a: np.ndarray) -> np.ndarray:
    """Each row of an integer matrix sorted ascending (odd-even transposition network for
    few columns, which numpy's per-row sort is slow at)."""
    r = a.shape[1]
    if r > 8:
        return np.sort(a, axis=1)
    cols = [a[:, i].copy() for i in range(r)]
    for p in range(r):
        for i in range(p % 2, r - 1, 2):
            lo = np.minimum(cols[i], cols[i + 1])
            np.maximum(cols[i], cols[i + 1], out=cols[i + 1])
            cols[i] = lo
    return np.column_stack(cols)


def _grid(span: float, n_keys: int) -> tuple[float, int]:
    """Grid scale (a power of 2, at least 2**30) and key shift for composite (key, value) ints.

    Raises _TooLarge when values spanning ``span`` cannot be put on a 2**-30 grid next to
    ``n_keys`` keys within 62 bits.
    """
    shift = 62 - max(1, int(n_keys).bit_length())
    room = 2.0**shift - 4.0
    bits = min(_GRID_BITS, math.floor(math.log2(room / span)) if span > 0 else _GRID_BITS)
    if bits < 30:
        raise _TooLarge
    return 2.0**bits, shift


@dataclass(slots=True)
class _Stage:
    """Nodes of one stage: completion bounds, closed-form totals and arcs to the next stage."""

    nodes: np.ndarray  # (M, r) sorted remaining row totals
    arc_start: np.ndarray | None = None  # (M + 1,) offsets into the arc arrays (CSR)
    arc_child: np.ndarray | None = None  # child node index in the next stage
    arc_weight: np.ndarray | None = None  # -sum log n_ij! of the column filling
    hi: np.ndarray | None = None  # largest completion weight of each node
    lo: np.ndarray | None = None  # smallest completion weight of each node
    log_total: np.ndarray | None = None  # log P(all completions), without the path so far


class _Network:
    """The network of one table: nodes, arcs, completion bounds and the two-column tails."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, lf: np.ndarray, max_work: int):
        self.r = len(rows)
        self.c = len(cols)
        self.cols = cols
        self.lf = lf
        self.work = 0
        self.max_work = max_work
        radix = rows + 1
        if float(np.prod(radix.astype(float))) >= 2.0**62:
            raise _TooLarge
        self.mult = np.concatenate([[1], np.cumprod(radix[:-1])]).astype(np.int64)
        self.stages: list[_Stage] = [_Stage(rows[None, :].astype(np.int64))]
        for k in range(self.c - 2):
            self._build_arcs(k)
        self._build_tails(self.c - 2)
        self._bounds()

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > self.max_work:
            raise _TooLarge

    def _fillings(self, nodes: np.ndarray, total: int):
        """The valid fillings of a column, charged in full before any is generated."""
        sizes = _count_fillings(nodes, total)
        self.charge(self.r * int(sizes.sum()))
        return _fillings(nodes, total, sizes, _CHUNK)

    def _build_arcs(self, k: int) -> None:
        stage = self.stages[k]
        parents, keys, weights = [], [], []
        for pi, fill in self._fillings(stage.nodes, int(self.cols[k])):
            child = _sort_rows(stage.nodes[pi] - fill)
            parents.append(pi)
            keys.append(child @ self.mult)
            weights.append(-self.lf[fill].sum(axis=1))
        parent = np.concatenate(parents)
        child_keys, child_id = np.unique(np.concatenate(keys), return_inverse=True)
        counts = np.bincount(parent, minlength=len(stage.nodes))
        stage.arc_start = np.concatenate([[0], np.cumsum(counts)])
        stage.arc_child = child_id.astype(np.int64).ravel()
        stage.arc_weight = np.concatenate(weights)
        self.stages.append(_Stage(self._decode(child_keys)))

    def _decode(self, keys: np.ndarray) -> np.ndarray:
        radix = np.concatenate([self.mult[1:] // self.mult[:-1], [np.iinfo(np.int64).max]])
        return (keys[:, None] // self.mult[None, :]) % radix[None, :]

    def _build_tails(self, k: int) -> None:
        """Completion weights of every node with two columns left, sorted within each node,
        with their cumulative probabilities (scaled by the node's most probable completion)."""
        stage = self.stages[k]
        parents, weights = [], []
        for pi, fill in self._fillings(stage.nodes, int(self.cols[k])):
            parents.append(pi)
            weights.append(-self.lf[fill].sum(axis=1) - self.lf[stage.nodes[pi] - fill].sum(axis=1))
        parent = np.concatenate(parents)
        w = np.concatenate(weights)
        m = len(stage.nodes)
        start = np.concatenate([[0], np.cumsum(np.bincount(parent, minlength=m))])
        lo = np.minimum.reduceat(w, start[:-1])
        hi = np.maximum.reduceat(w, start[:-1])
        scale, shift = _grid(float(np.max(hi - lo)), m)
        q = np.floor((w - lo[parent]) * scale).astype(np.int64)
        w = w[np.argsort((parent << shift) | q)]
        rel = np.exp(w - hi[parent])
        cum = np.empty_like(rel)
        for i in range(m):
            np.cumsum(rel[start[i] : start[i + 1]], out=cum[start[i] : start[i + 1]])
        stage.hi, stage.lo = hi, lo
        self.tail_start, self.tail_w, self.tail_cum = start, w, cum

    def _bounds(self) -> None:
        """Backward pass: largest and smallest completion weight of every node."""
        for k in range(self.c - 3, -1, -1):
            stage, nxt = self.stages[k], self.stages[k + 1]
            starts = stage.arc_start[:-1]
            stage.hi = np.maximum.reduceat(stage.arc_weight + nxt.hi[stage.arc_child], starts)
            stage.lo = np.minimum.reduceat(stage.arc_weight + nxt.lo[stage.arc_child], starts)


@dataclass(slots=True)
class _Paths:
    """Partial tables of one stage, merged: sorted by (node, weight) with composite keys."""

    node: np.ndarray
    past: np.ndarray
    count: np.ndarray
    key: np.ndarray
    pmin: float
    scale: float
    shift: int


def _merge(node: np.ndarray, past: np.ndarray, count: np.ndarray, n_nodes: int) -> _Paths:
    """Merge paths with the same node and the same weight on the grid, summing their counts."""
    pmin = float(past.min()) if len(past) else 0.0
    span = float(past.max()) - pmin if len(past) else 0.0
    scale, shift = _grid(span, n_nodes)
    key = (node << shift) | np.rint((past - pmin) * scale).astype(np.int64)
    order = np.argsort(key)
    key = key[order]
    new = np.empty(len(key), dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    count = np.add.reduceat(count[order], starts) if len(starts) else count
    return _Paths(node[order][starts], past[order][starts], count, key[starts], pmin, scale, shift)


def fisher_exact_p(table: Any, max_work: int = EXACT_WORK_LIMIT) -> float | None:
    """Exact Fisher-Freeman-Halton p-value of an r x c table, or None when too large.

    Parameters
    ----------
    table : 2-D array_like of int
        Counts. Rows and columns with a zero total are dropped first.
    max_work : int
        Work budget (see the module docstring); beyond it the result is None.

    Returns
    -------
    float or None
        The p-value as R ``fisher.test(m)$p.value`` (network algorithm, log tolerance
        3.45254e-7); 1.0 when fewer than two rows or columns remain (only one table has these
        margins); None when the computation would exceed ``max_work``.

    Raises
    ------
    ValueError
        If the table is not 2-D, has negative or non-integer entries, or sums to 0.
    """
    t = _as_table(table)
    if min(t.shape) < 2:
        return 1.0
    try:
        return _exact(t, max_work)
    except _TooLarge:
        return None


def _exact(t: np.ndarray, max_work: int) -> float:
    if t.shape[0] > t.shape[1]:
        t = t.T
    rows = np.sort(t.sum(axis=1))
    cols = np.sort(t.sum(axis=0))
    total = int(rows.sum())
    lf = special.gammaln(np.arange(total + 1, dtype=float) + 1.0)
    const = float(lf[rows].sum() + lf[cols].sum() - lf[total])
    # summed column by column as FEXACT does
    threshold = float(-sum(lf[t[:, j]].sum() for j in range(t.shape[1]))) + FEXACT_LOG_TOL
    net = _Network(rows, cols, lf, max_work)
    c = net.c
    # log P(every completion) of a node of stage k, given the path so far: the remaining
    # total is sum(cols[k:]) at every node of the stage
    col_lf_suffix = np.concatenate([np.cumsum(lf[cols][::-1])[::-1], [0.0]])
    rem_total = np.concatenate([np.cumsum(cols[::-1])[::-1], [0]])
    for k, st in enumerate(net.stages):
        st.log_total = const + lf[rem_total[k]] - lf[st.nodes].sum(axis=1) - col_lf_suffix[k]

    terms: list[np.ndarray] = []
    paths = _merge(np.zeros(1, dtype=np.int64), np.zeros(1), np.ones(1), 1)
    for k in range(c - 2):
        if len(paths.node) == 0:
            break
        paths = _advance(net, k, paths, threshold, terms)
    if c == 2 or len(paths.node):
        _finish(net, paths, threshold, const, terms)
    allterms = np.concatenate(terms) if terms else np.zeros(0)
    if np.any(np.isnan(allterms) | (allterms == np.inf)):  # path counts overflowed
        raise _TooLarge
    allterms = allterms[np.isfinite(allterms)]  # -inf: probabilities that underflowed to 0
    if allterms.size == 0:
        return 0.0
    top = float(allterms.max())
    p = math.exp(top) * float(np.sum(np.sort(np.exp(allterms - top))))
    return float(min(1.0, max(0.0, p)))


def _advance(
    net: _Network, k: int, paths: _Paths, threshold: float, terms: list[np.ndarray]
) -> _Paths:
    """Extend the paths of stage k along every arc of their node.

    For one arc (weight w to child j) the paths of a node, sorted by weight, fall into three
    runs: the lightest ones, whose every completion through j counts (past <= threshold - w -
    hi_j), add their closed-form total at once through cumulative sums; the heaviest ones
    (past > threshold - w - lo_j) have no completion through j that counts; only the middle
    run is extended to stage k + 1.
    """
    stage, nxt = net.stages[k], net.stages[k + 1]
    node, past, count, key = paths.node, paths.past, paths.count, paths.key
    seg = np.flatnonzero(np.r_[True, node[1:] != node[:-1], True])
    seg_start, seg_end = seg[:-1], seg[1:]
    seg_node = node[seg_start]
    # cumulative counts of each node's paths, scaled by its heaviest path's weight
    seg_top = past[seg_end - 1]
    rel = count * np.exp(past - np.repeat(seg_top, seg_end - seg_start))
    cum = np.empty_like(rel)
    for a, b in zip(seg_start, seg_end, strict=True):
        np.cumsum(rel[a:b], out=cum[a:b])
    # every arc of every node present
    n_arcs = stage.arc_start[seg_node + 1] - stage.arc_start[seg_node]
    net.charge(int(n_arcs.sum()))
    local = np.cumsum(n_arcs) - n_arcs
    arc = np.repeat(stage.arc_start[seg_node] - local, n_arcs) + np.arange(int(n_arcs.sum()))
    seg_of_arc = np.repeat(np.arange(len(seg_node)), n_arcs)
    child = stage.arc_child[arc]
    w = stage.arc_weight[arc]
    base = seg_node[seg_of_arc] << paths.shift
    qmax = (1 << paths.shift) - 2

    def position(cut: np.ndarray) -> np.ndarray:
        q = np.clip(np.floor((cut - paths.pmin) * paths.scale), -1, qmax).astype(np.int64)
        return np.searchsorted(key, base + q, side="right")

    lo_pos = seg_start[seg_of_arc]
    take_end = np.maximum(position(threshold - w - nxt.hi[child]), lo_pos)
    keep_end = np.maximum(position(threshold - w - nxt.lo[child]), take_end)
    took = take_end > lo_pos
    if took.any():
        terms.append(
            np.log(cum[take_end[took] - 1])
            + seg_top[seg_of_arc[took]]
            + w[took]
            + nxt.log_total[child[took]]
        )
    # the middle runs go on to stage k + 1
    reps = keep_end - take_end
    go = reps > 0
    reps, first, child, w = reps[go], take_end[go], child[go], w[go]
    n_new = int(reps.sum())
    net.charge(n_new)
    # in chunks of about _CHUNK new paths, each merged at once (memory), then merged together
    ends = np.cumsum(reps)
    block = (ends - 1) // _CHUNK
    cuts = np.flatnonzero(np.r_[True, block[1:] != block[:-1], True])
    parts: list[_Paths] = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        rp = reps[a:b]
        local = np.cumsum(rp) - rp
        src = np.repeat(first[a:b] - local, rp) + np.arange(int(rp.sum()))
        parts.append(
            _merge(
                np.repeat(child[a:b], rp),
                past[src] + np.repeat(w[a:b], rp),
                count[src],
                len(nxt.nodes),
            )
        )
        del src
    if len(parts) == 1:
        return parts[0]
    return _merge(
        np.concatenate([q.node for q in parts]),
        np.concatenate([q.past for q in parts]),
        np.concatenate([q.count for q in parts]),
        len(nxt.nodes),
    )


def _finish(
    net: _Network, paths: _Paths, threshold: float, const: float, terms: list[np.ndarray]
) -> None:
    """Paths with two columns left: one binary search each in their node's sorted tail."""
    node, past, count = paths.node, paths.past, paths.count
    seg = np.flatnonzero(np.r_[True, node[1:] != node[:-1], True])
    hi = net.stages[net.c - 2].hi
    for s, e in zip(seg[:-1], seg[1:], strict=True):
        i = node[s]
        a, b = net.tail_start[i], net.tail_start[i + 1]
        idx = np.searchsorted(net.tail_w[a:b], threshold - past[s:e], side="right")
        ok = idx > 0
        terms.append(
            np.log(count[s:e][ok])
            + past[s:e][ok]
            + hi[i]
            + const
            + np.log(net.tail_cum[a:b][idx[ok] - 1])
        )


def _log_factorial_sums(cells: np.ndarray, lf: np.ndarray) -> np.ndarray:
    """``sum log n_ij!`` of each table (rows of ``cells``), summed in a canonical order (cells
    sorted), so that tables with the same cells in another arrangement give the same float."""
    return lf[np.sort(cells, axis=1)].sum(axis=1)


def monte_carlo_p(
    table: Any, n_tables: int = MONTE_CARLO_TABLES, seed: int = MONTE_CARLO_SEED
) -> float:
    """Monte Carlo Fisher-Freeman-Halton p-value, as R ``fisher.test(m, simulate.p.value=TRUE,
    B=n_tables)``.

    Parameters
    ----------
    table : 2-D array_like of int
        Counts. Rows and columns with a zero total are dropped first.
    n_tables : int
        Number of random tables ``B`` (R's default is 2000; here 100,000).
    seed : int
        Seed of numpy's ``default_rng``; the same (table, B, seed) gives the same p-value.

    Returns
    -------
    float
        ``(1 + #{b: S_b <= S_obs / (1 + 64 eps)}) / (B + 1)`` with ``S = -sum log n_ij!``;
        1.0 when fewer than two rows or columns remain.
    """
    t = _as_table(table)
    n_tables = int(n_tables)
    if n_tables < 1:
        raise ValueError("the Monte Carlo p-value needs at least one random table")
    if min(t.shape) < 2:
        return 1.0
    rows = t.sum(axis=1)
    cols = t.sum(axis=0)
    r, c = t.shape
    lf = special.gammaln(np.arange(int(t.sum()) + 1, dtype=float) + 1.0)
    observed = -float(_log_factorial_sums(t.reshape(1, -1), lf)[0])
    rng = np.random.default_rng(seed)
    count = 0
    for s in range(0, n_tables, 20_000):
        b = min(20_000, n_tables - s)
        left = np.tile(rows, (b, 1))  # remaining row totals
        cells = np.empty((b, r * c), dtype=np.int64)
        for j in range(c - 1):
            need = np.full(b, cols[j], dtype=np.int64)
            after = left.sum(axis=1)
            for i in range(r - 1):
                after -= left[:, i]
                x = _hypergeometric(rng, left[:, i], after, need)
                cells[:, i * c + j] = x
                left[:, i] -= x
                need -= x
            cells[:, (r - 1) * c + j] = need
            left[:, r - 1] -= need
        for i in range(r):
            cells[:, i * c + c - 1] = left[:, i]
        sims = -_log_factorial_sums(cells, lf)
        count += int(np.count_nonzero(sims <= observed / _ALMOST_ONE))
    return (1 + count) / (n_tables + 1)


def _hypergeometric(
    rng: np.random.Generator, good: np.ndarray, bad: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """Hypergeometric draws that also allow empty urns and empty samples (result 0)."""
    out = np.zeros(len(n), dtype=np.int64)
    live = (n > 0) & (good > 0)
    full = live & (bad == 0)
    out[full] = n[full]
    draw = live & ~full
    if draw.any():
        out[draw] = rng.hypergeometric(good[draw], bad[draw], n[draw])
    return out


def fisher_freeman_halton(
    table: Any,
    max_work: int = EXACT_WORK_LIMIT,
    n_tables: int = MONTE_CARLO_TABLES,
    seed: int = MONTE_CARLO_SEED,
) -> FisherResult:
    """Fisher-Freeman-Halton p-value: exact when feasible, otherwise Monte Carlo.

    The exact p-value (:func:`fisher_exact_p`) is computed unless its work count would exceed
    ``max_work``; then the p-value is :func:`monte_carlo_p` with ``n_tables`` random tables
    from ``seed``, and the result says so (``exact`` False, ``n_tables``, ``seed``).
    """
    p = fisher_exact_p(table, max_work)
    if p is not None:
        return FisherResult(p, True)
    return FisherResult(monte_carlo_p(table, n_tables, seed), False, int(n_tables), int(seed))
