"""Issue 17 items 2-3: the KMunicate risk table (at risk, events, censored) and the median
follow-up by reverse Kaplan-Meier, through the analysis layer and its disclosure.

R 4.2.2, survival 3.5.3, on R's lung imported as ``lung-real`` (index origin, no delayed
entry; ``status`` 2 = dead)::

    lung <- survival::lung
    sc <- function(x) sprintf("%.15g", x)
"""

from __future__ import annotations

import numpy as np
import pytest

from core.analyses.disclosure import Mode
from core.analyses.survival import (
    SurvivalSpec,
    analyse,
    followup_text,
    risk_table_frame,
    to_json_dict,
)
from core.vocab.methods import DAYS_PER_MONTH, ConfType, TimeUnit
from tests.core.analyses.test_survival import LUNG, T
from tests.core.analyses.test_survival_trust import plain_db  # noqa: F401 (fixture)

RTOL = 1e-9
TIMES = (90.0, 180.0, 365.0, 730.0, 1000.0)


# ------------------------------------------------------------------ 2. KMunicate risk table
def test_risk_table_equals_r_in_exact_mode(plain_db):  # noqa: F811
    """R::

    s <- summary(survfit(Surv(time, status) ~ 1, data = lung), times = c(90, 180, 365, 730, 1000))
    s$n.risk            # 201 160 65 13 2
    cumsum(s$n.event)   # 27 63 121 159 165
    cumsum(s$n.censor)  # 0 6 42 56 61
    """
    spec = SurvivalSpec(times_in_days=TIMES)
    a = analyse(LUNG, spec, plain_db, mode=Mode.EXACT)
    js = to_json_dict(a, TimeUnit.DAYS, "lung-real")
    at = js["groups"][0]["at"]
    assert [r["at_risk"] for r in at] == [201, 160, 65, 13, 2]
    assert [r["events"] for r in at] == [27, 63, 121, 159, 165]
    assert [r["censored"] for r in at] == [0, 6, 42, 56, 61]
    frame = risk_table_frame(a, TimeUnit.DAYS)
    assert list(frame.columns[-3:]) == ["At risk", "Events", "Censored"]
    assert frame["Events"].tolist() == [27, 63, 121, 159, 165]


def test_attack_cumulative_events_and_censored_cannot_be_subtracted(plain_db):  # noqa: F811
    """Cumulative events (or censorings) at two times give the events between them, and
    n - events - censored gives the exact number at risk (which protected mode rounds):
    protected mode shows them like numbers at risk, '<11' or rounded up to a multiple of 5."""
    spec = SurvivalSpec(times_in_days=TIMES)
    exact = analyse(LUNG, spec, plain_db, mode=Mode.EXACT).groups[0]
    protected = analyse(LUNG, spec, plain_db)
    shown = protected.groups[0]
    ev = [a.events for a in exact.at]
    assert any(0 < g < T for g in np.diff(ev))  # the attack works on exact numbers (159 -> 165)
    # at risk from n and the two cumulative counts (no delayed entry; exact unless an exit
    # falls on the time itself, as on day 180)
    derived = [exact.n - a.events - a.censored for a in exact.at]
    assert sum(x == a.n_risk for x, a in zip(derived, exact.at, strict=True)) >= 4
    js = to_json_dict(protected, TimeUnit.DAYS, "lung-real")["groups"][0]["at"]
    for e, s, j in zip(exact.at, shown.at, js, strict=True):
        for key in ("events", "censored"):
            true, got = getattr(e, key), getattr(s, key)
            assert got % 5 == 0 and true <= got < true + 5, (key, true, got)
            assert str(j[key]) == (f"<{T}" if 0 < got < T else str(got))
        derived = shown.n - s.events - s.censored
        assert derived != e.n_risk or e.n_risk % 5 == 0 or derived % 5 == 0
    frame = risk_table_frame(protected, TimeUnit.DAYS)
    for col in ("At risk", "Events", "Censored"):
        for v in frame[col]:
            v = str(v)
            assert v == f"<{T}" or int(v) == 0 or (int(v) >= T and int(v) % 5 == 0), (col, v)


def test_risk_table_has_no_row_for_a_suppressed_group(plain_db):  # noqa: F811
    a = analyse(LUNG, SurvivalSpec(by="sex", times_in_days=TIMES), plain_db)
    frame = risk_table_frame(a, TimeUnit.DAYS)
    hidden = {g.label for g in a.groups if g.suppressed}
    assert not hidden & set(frame["Group"])


# ------------------------------------------------------------------ 3. median follow-up
def test_median_followup_equals_r(plain_db):  # noqa: F811
    """R::

    f <- survfit(Surv(time, 2 - status) ~ 1, data = lung, conf.type = "log-log")
    sc(unlist(quantile(f, 0.5)))  # 588 511 821
    f <- survfit(Surv(time, 2 - status) ~ 1, data = lung, conf.type = "log")
    sc(unlist(quantile(f, 0.5)))  # 588 511 1010
    """
    for conf, want in ((ConfType.LOG_LOG, (588, 511, 821)), (ConfType.LOG, (588, 511, 1010))):
        a = analyse(LUNG, SurvivalSpec(conf_type=conf), plain_db, mode=Mode.EXACT)
        fu = a.median_followup
        assert fu is not None
        got = (fu.estimate, fu.lower, fu.upper)
        assert got == pytest.approx(want, rel=RTOL)
        js = to_json_dict(a, TimeUnit.DAYS, "lung-real")["median_followup"]
        assert js["value"] == pytest.approx(588, rel=RTOL)
        assert js["ci"] == pytest.approx(list(want[1:]), rel=RTOL)
        months = to_json_dict(a, TimeUnit.MONTHS, "lung-real")["median_followup"]
        assert months["value"] == pytest.approx(588 / DAYS_PER_MONTH, rel=RTOL)
    assert "reverse Kaplan-Meier" in followup_text(a, TimeUnit.MONTHS)


def test_median_followup_is_whole_months_when_protected(plain_db):  # noqa: F811
    a = analyse(LUNG, SurvivalSpec(), plain_db)
    fu = a.median_followup
    assert fu is not None and fu.estimate is not None
    for v in (fu.estimate, fu.lower, fu.upper):
        if v is not None:
            m = v / DAYS_PER_MONTH
            assert abs(m - round(m)) < 1e-9
    js = to_json_dict(a, TimeUnit.MONTHS, "lung-real")["median_followup"]
    assert js["value"] == round(js["value"])
    assert "Median follow-up" in followup_text(a, TimeUnit.MONTHS)


def test_median_followup_over_all_groups(plain_db):  # noqa: F811
    """Pooled over the groups (the same as without grouping)."""
    one = analyse(LUNG, SurvivalSpec(), plain_db, mode=Mode.EXACT).median_followup
    by = analyse(LUNG, SurvivalSpec(by="sex"), plain_db, mode=Mode.EXACT).median_followup
    assert (by.estimate, by.lower, by.upper) == (one.estimate, one.lower, one.upper)
