"""Tests for core/present/charts_arms.py: the view against an arm, and the preview chart."""

from __future__ import annotations

import numpy as np
import pytest

from core.analyses.arms import compare_arm
from core.analyses.disclosure import Mode
from core.data.filters import Filters
from core.literature.arms import LABEL, shipped_arms
from core.present.charts_arms import (
    VIEW_LABEL,
    arm_chart,
    arm_frame,
    preview_chart,
    preview_frame,
    risk_table_frame,
)
from core.stats.reconstruct import reconstruct


@pytest.fixture(scope="module")
def result(default_db):
    arm = next(a for a in shipped_arms() if a.id == "radiant4-placebo-pfs")
    return compare_arm(Filters(cohorts=("pgep-mibg-211",)), arm, path=default_db, mode=Mode.EXACT)


def test_both_curves_are_step_curves_named_and_the_arm_as_reconstructed(result):
    df = arm_frame(result)
    labels = set(df["label"])
    assert VIEW_LABEL in labels and any(LABEL in x for x in labels)
    spec = arm_chart(result).to_dict()
    curves = spec["layer"][0]  # one view: the curves, then the table under the time axis
    assert curves["mark"]["interpolate"] == "step-after"
    assert "n_risk" not in str(curves["encoding"]["tooltip"])


def test_risk_table_has_a_row_per_curve_and_time(result):
    rt = risk_table_frame(result)
    assert len(rt) == 2 * len(result.risk_times)
    assert rt[rt["label"] != VIEW_LABEL]["text"].iloc[0] == "97"


def test_preview_shows_the_points_over_the_reconstructed_curve():
    rec = reconstruct([0, 2, 4, 6], [1, 0.8, 0.6, 0.5], [0, 3], [30, 20])
    df = preview_frame(rec)
    pts = df[df["kind"] == "digitised point"]
    assert np.allclose(pts["surv"], rec.curve.survival)
    assert df[df["kind"] == "reconstructed"]["surv"].iloc[0] == 1.0
    preview_chart(rec).to_dict()
