"""Property tests for core.stats.survival: small random data against lifelines and invariants.

Hypothesis runs derandomized (fixed seed) so every run sees the same examples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.exceptions import StatError
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import restricted_mean_survival_time

from core.stats.survival import (
    at_risk_table,
    counts_from_arrays,
    counts_from_frame,
    kaplan_meier,
    km_quantiles,
    logrank_test,
    rmst,
)
from core.vocab.methods import ConfType

SETTINGS = settings(
    max_examples=40,
    deadline=None,  # no timing assertions
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def survival_data(draw, min_n=1, max_n=25, max_time=15, allow_zero=True):
    """Integer-day times with many ties, 0/1 events."""
    n = draw(st.integers(min_n, max_n))
    lo = 0 if allow_zero else 1
    time = draw(st.lists(st.integers(lo, max_time), min_size=n, max_size=n))
    event = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return np.asarray(time, dtype=float), np.asarray(event)


@st.composite
def grouped_data(draw, max_groups=4):
    k = draw(st.integers(2, max_groups))
    return [draw(survival_data(max_n=15)) for _ in range(k)]


@SETTINGS
@given(survival_data())
def test_km_matches_lifelines(data):
    """Product-limit estimate equals lifelines KaplanMeierFitter to 1e-12 absolute."""
    time, event = data
    km = kaplan_meier(counts_from_arrays(time, event))
    kmf = KaplanMeierFitter().fit(time, event)
    ref = kmf.survival_function_["KM_estimate"].reindex(km.time).to_numpy()
    np.testing.assert_allclose(km.surv, ref, rtol=0, atol=1e-12)


@SETTINGS
@given(survival_data(allow_zero=False), st.data())
def test_km_delayed_entry_matches_lifelines(data, draw):
    """Left-truncated KM equals lifelines KaplanMeierFitter(entry=...) to 1e-12 absolute."""
    time, event = data
    frac = np.asarray(draw.draw(st.lists(st.sampled_from([0.0, 0.3, 0.5, 0.9]),
                                         min_size=time.size, max_size=time.size)))  # fmt: skip
    entry = np.floor(time * frac)
    km = kaplan_meier(counts_from_arrays(time, event, entry=entry))
    try:
        kmf = KaplanMeierFitter().fit(time, event, entry=entry)
    except StatError:  # lifelines refuses an empty risk set between entries; we do not
        reject()
    ref = kmf.survival_function_["KM_estimate"].reindex(km.time).to_numpy()
    np.testing.assert_allclose(km.surv, ref, rtol=0, atol=1e-12)


@SETTINGS
@given(grouped_data())
def test_logrank_matches_lifelines(groups):
    """k-group log-rank chi2 equals lifelines multivariate_logrank_test (1e-9); p as well when
    every group has expected > 0 (lifelines keeps df = k - 1 where R drops E = 0 groups)."""
    counts = [counts_from_arrays(t, e) for t, e in groups]
    res = logrank_test(counts)
    durations = np.concatenate([t for t, _ in groups])
    events = np.concatenate([e for _, e in groups])
    labels = np.concatenate([np.full(t.size, i) for i, (t, _) in enumerate(groups)])
    ref = multivariate_logrank_test(durations, labels, events)
    assert res.chi2 == pytest.approx(ref.test_statistic, rel=1e-9, abs=1e-9)
    if events.sum() > 0 and np.all(res.expected > 0):
        assert res.df == len(groups) - 1
        assert res.p == pytest.approx(ref.p_value, rel=1e-9, abs=1e-12)
    assert res.observed.sum() == pytest.approx(res.expected.sum(), abs=1e-9)


@SETTINGS
@given(survival_data(), st.floats(0.5, 20.0))
def test_rmst_estimate_matches_lifelines(data, tau):
    """RMST point estimate equals lifelines restricted_mean_survival_time (1e-9)."""
    time, event = data
    km = kaplan_meier(counts_from_arrays(time, event))
    kmf = KaplanMeierFitter().fit(time, event)
    ref = restricted_mean_survival_time(kmf, t=tau)
    assert rmst(km, tau).estimate == pytest.approx(ref, rel=1e-9, abs=1e-12)


@SETTINGS
@given(survival_data(), st.sampled_from(list(ConfType)))
def test_km_invariants(data, conf_type):
    """Monotone curve, CI brackets S where defined, n_risk equals at-risk table at row times,
    quantile estimates are data times or midpoints of two data times."""
    time, event = data
    counts = counts_from_arrays(time, event)
    km = kaplan_meier(counts, conf_type=conf_type)
    assert np.all(np.diff(km.surv) <= 0)
    ok = ~np.isnan(km.lower)
    assert np.all(km.lower[ok] <= km.surv[ok] + 1e-15)
    assert np.all(km.upper[ok] >= km.surv[ok] - 1e-15)
    np.testing.assert_array_equal(at_risk_table(counts, km.time), km.n_risk)
    assert km.n == time.size and km.events == int(event.sum())
    candidates = set(np.concatenate(([0.0], km.time)))
    for q in km_quantiles(km):
        if q.estimate is not None:
            assert q.estimate in candidates or any(
                abs(q.estimate - (a + b) / 2) < 1e-12 for a in candidates for b in candidates
            )


@SETTINGS
@given(survival_data())
def test_frame_roundtrip_and_zero_entry(data):
    """counts -> frame -> counts is the identity; entry 0 for all (with times > 0) changes no
    estimate."""
    time, event = data
    a = counts_from_arrays(time, event)
    frame = pd.DataFrame({"t": a.time, "d": a.n_event, "c": a.n_censor, "e": a.n_enter})
    b = counts_from_frame(frame.sample(frac=1.0, random_state=0))
    for f in ("time", "n_event", "n_censor", "n_enter"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    pos = time > 0
    if pos.any():
        plain = kaplan_meier(counts_from_arrays(time[pos], event[pos]))
        entered = kaplan_meier(
            counts_from_arrays(time[pos], event[pos], entry=np.zeros(int(pos.sum())))
        )
        np.testing.assert_array_equal(plain.surv, entered.surv)
        np.testing.assert_array_equal(plain.n_risk, entered.n_risk)


@SETTINGS
@given(survival_data(), st.sampled_from([7.0, 30.4375, 365.25]))
def test_scale_invariance(data, unit):
    """KM and log-rank do not depend on the time unit; quantiles scale with it."""
    time, event = data
    half = time.size // 2
    if half == 0:
        return
    days = [
        counts_from_arrays(time[:half], event[:half]),
        counts_from_arrays(time[half:], event[half:]),
    ]
    units = [counts_from_arrays(time[:half] / unit, event[:half]),
             counts_from_arrays(time[half:] / unit, event[half:])]  # fmt: skip
    ka, kb = kaplan_meier(days[0]), kaplan_meier(units[0])
    np.testing.assert_array_equal(ka.surv, kb.surv)
    assert logrank_test(days).chi2 == pytest.approx(logrank_test(units).chi2, rel=1e-12, abs=0)
    for qa, qb in zip(km_quantiles(ka), km_quantiles(kb), strict=True):
        assert (qa.estimate is None) == (qb.estimate is None)
        if qa.estimate is not None:
            assert qa.estimate / unit == pytest.approx(qb.estimate, rel=1e-12, abs=1e-15)
