"""Median follow-up (reverse Kaplan-Meier) and the KMunicate cumulative counts, against R.

Frozen from R 4.2.2 with survival 3.5.3 (R is not needed to run the tests), preamble::

    library(survival)
    lung <- survival::lung; veteran <- survival::veteran
    lung$entry <- ifelse(seq_len(nrow(lung)) %% 3 == 0, floor(lung$time * 0.3), 0)
    sc <- function(x) sprintf("%.15g", x)

lung's status is 1 = censored, 2 = dead, so its ``1 - status`` is ``2 - status``.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.stats.survival import (
    counts_from_arrays,
    kaplan_meier,
    median_followup,
    pooled_counts,
    reverse_counts,
    survival_at,
)
from core.vocab.methods import ConfType

RTOL = 1e-9

# for (ct in c("log", "log-log", "plain")) {
#   f <- survfit(Surv(time, 2 - status) ~ 1, data = lung, conf.type = ct)
#   sc(unlist(quantile(f, 0.5)))                                  # lung
#   f <- survfit(Surv(entry, time, 2 - status) ~ 1, data = lung, conf.type = ct)
#   sc(unlist(quantile(f, 0.5)))                                  # lung/entry
#   f <- survfit(Surv(time, 1 - status) ~ 1, data = veteran, conf.type = ct)
#   sc(unlist(quantile(f, 0.5)))                                  # veteran: NA NA NA
# }
FOLLOWUP_R = {
    ("lung", "log"): (588, 511, 1010),
    ("lung", "log-log"): (588, 511, 821),
    ("lung", "plain"): (588, 511, 840),
    ("lung/entry", "log"): (588, 511, 965),
    ("lung/entry", "log-log"): (588, 511, 821),
    ("lung/entry", "plain"): (588, 511, 821),
    ("veteran", "log"): (None, None, None),
    ("veteran", "log-log"): (None, None, None),
    ("veteran", "plain"): (None, None, None),
}


@pytest.fixture(scope="module")
def data(r_dataset):
    lung = r_dataset("lung")
    vet = r_dataset("veteran")
    dead = (lung["status"] == 2).astype(int)
    rownum = np.arange(1, len(lung) + 1)
    entry = np.where(rownum % 3 == 0, np.floor(lung["time"] * 0.3), 0.0)
    return {
        "lung": counts_from_arrays(lung["time"], dead),
        "lung/entry": counts_from_arrays(lung["time"], dead, entry=entry),
        "veteran": counts_from_arrays(vet["time"], vet["status"]),
    }


def _close(a, b) -> bool:
    if b is None:
        return a is None
    return a is not None and abs(a - b) <= RTOL * max(1.0, abs(b))


@pytest.mark.parametrize(("name", "conf"), sorted(FOLLOWUP_R))
def test_median_followup_equals_r(data, name, conf):
    q = median_followup(data[name], conf_type=ConfType(conf))
    want = FOLLOWUP_R[(name, conf)]
    got = (q.estimate, q.lower, q.upper)
    assert all(_close(a, b) for a, b in zip(got, want, strict=True)), (got, want)
    assert q.p == 0.5


def test_median_followup_is_not_the_survival_median(data):
    """The reverse curve, not the survival curve (lung: median survival 310 days)."""
    from core.stats.survival import km_quantiles

    km = kaplan_meier(data["lung"], conf_type=ConfType.LOG)
    assert km_quantiles(km, (0.5,))[0].estimate == pytest.approx(310)
    assert median_followup(data["lung"]).estimate == pytest.approx(588)


def test_reverse_counts_swap_events_and_censorings(data):
    c = data["lung/entry"]
    r = reverse_counts(c)
    assert np.array_equal(r.n_event, c.n_censor)
    assert np.array_equal(r.n_censor, c.n_event)
    assert np.array_equal(r.n_enter, c.n_enter)


def test_pooled_counts_equal_counts_of_all_patients():
    t = np.array([5.0, 3, 3, 8, 1, 5, 9])
    ev = np.array([1, 0, 1, 1, 0, 0, 1])
    en = np.array([0.0, 0, 2, 0, 0, 1, 4])
    split = [counts_from_arrays(t[:3], ev[:3], en[:3]), counts_from_arrays(t[3:], ev[3:], en[3:])]
    whole = counts_from_arrays(t, ev, en)
    pooled = pooled_counts(split)
    for a in ("time", "n_event", "n_censor", "n_enter"):
        assert np.array_equal(getattr(pooled, a), getattr(whole, a)), a


# f <- survfit(Surv(time, status) ~ 1, data = lung)   # lung's status 2 = dead works as is
# s <- summary(f, times = c(0, 90, 180, 365, 730, 1000))
# s$n.risk; cumsum(s$n.event); cumsum(s$n.censor)
# f <- survfit(Surv(time, status) ~ 1, data = veteran)
# s <- summary(f, times = c(0, 30, 100, 365, 999)); same three
KMUNICATE_R = {
    "lung": (
        (0, 90, 180, 365, 730, 1000),
        (228, 201, 160, 65, 13, 2),
        (0, 27, 63, 121, 159, 165),
        (0, 0, 6, 42, 56, 61),
    ),
    "veteran": (
        (0, 30, 100, 365, 999),
        (137, 97, 55, 10, 1),
        (0, 41, 79, 118, 128),
        (0, 1, 5, 9, 9),
    ),
}


@pytest.mark.parametrize("name", sorted(KMUNICATE_R))
def test_cumulative_events_and_censored_equal_r(data, name):
    times, risk, ev, cens = KMUNICATE_R[name]
    at = survival_at(kaplan_meier(data[name]), times)
    assert [a.n_risk for a in at] == list(risk)
    assert [a.events for a in at] == list(ev)
    assert [a.censored for a in at] == list(cens)


def test_cumulative_counts_after_the_last_time_are_the_totals(data):
    c = data["lung"]
    (a,) = survival_at(kaplan_meier(c), [5000])
    assert (a.n_risk, a.events, a.censored) == (0, c.events, c.n - c.events)


def test_at_risk_plus_cumulative_counts_give_n_without_delayed_entry(data):
    """n = at risk just before t + events and censorings before t (none tied at these t)."""
    c = data["veteran"]
    times = np.array([10.5, 50.5, 200.5])
    for a in survival_at(kaplan_meier(c), times):
        assert a.n_risk + a.events + a.censored == c.n
