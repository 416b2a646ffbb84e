"""Chart builders: long curves are drawn from the exact step values and stay exportable."""

from __future__ import annotations

import numpy as np

from core.filters import Filters
from core.methods import TimeUnit
from core.plots import _display_rows, km_chart
from core.survival import counts_from_arrays, kaplan_meier
from core.survival_data import GroupResult, SurvivalAnalysis, SurvivalSpec


def _analysis(n_groups: int, n: int) -> SurvivalAnalysis:
    rng = np.random.default_rng(5)
    groups = []
    for i in range(n_groups):
        t = rng.integers(1, 5000, size=n)
        c = counts_from_arrays(t, rng.random(n) < 0.7)
        groups.append(GroupResult(f"g{i}", c, kaplan_meier(c)))
    return SurvivalAnalysis(SurvivalSpec(), Filters(), tuple(groups), None)


def test_display_rows_are_exact_step_values():
    t = np.arange(10_000, dtype=float)
    rows = _display_rows(t, 1000)
    assert rows[0] == 0 and rows[-1] == t.size - 1 and len(rows) <= 1002
    assert np.all(np.diff(rows) > 0)


def test_short_curves_are_drawn_whole():
    assert list(_display_rows(np.arange(5.0), 1000)) == [0, 1, 2, 3, 4]


def test_many_long_curves_stay_under_altairs_row_limit():
    spec = km_chart(_analysis(14, 8000), TimeUnit.MONTHS).to_dict()  # raises past 5000 rows
    sizes = [len(v) for v in spec["datasets"].values()]
    assert max(sizes) <= 5000
