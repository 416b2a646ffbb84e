"""Duration of response and time to response (core.analyses.duration): equal to R on a data set
built by code with a fixed seed, the timing rule, protected mode, the CLI, the swimmer export."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.duration import (
    NOT_SHOWN_RESPONDERS,
    DurationSpec,
    duration_from_patients,
    duration_json,
    duration_of_response,
    duration_table,
    responder_rows,
    summary_text,
    swimmer_export_frame,
)
from core.analyses.responses import ResponseSpec, protection, response_analysis, swimmer_data
from core.data.filters import Filters
from core.stats.responses import OVERALL_LABEL
from core.vocab.methods import DAYS_PER_MONTH

RTOL = 1e-9
PROT = Disclosure(11, Mode.PROTECTED, True)
F = Filters()


def dor_patients(seed: int = 17, n: int = 120) -> pd.DataFrame:
    """120 patients: responses drawn CR/PR/SD/PD/NE, response day 40-299, imaging PFS from
    the response day -60 to +899 (some end on or before it), 70% events, 3 days unknown."""
    rng = np.random.default_rng(seed)
    resp = rng.choice(["CR", "PR", "SD", "PD", "NE"], size=n, p=[0.1, 0.3, 0.3, 0.2, 0.1])
    day = rng.integers(40, 300, size=n).astype(float)
    pfs = (day + rng.integers(-60, 900, size=n)).clip(1)
    ev = (rng.random(n) < 0.7).astype(float)
    day[rng.choice(n, 3, replace=False)] = np.nan
    return pd.DataFrame({"imaging_response": resp, "imaging_response_days": day,
                         "pfs_imaging_days": pfs, "pfs_imaging_event": ev})  # fmt: skip


def test_rule_counts():
    """R: responders 46, no day 1, PFS ending on or before the response day 4, analysed 41."""
    r = responder_rows(dor_patients())
    assert (r.n_responders, r.n_no_day, r.n_no_pfs, r.n_ended_by_response) == (46, 1, 0, 4)
    assert (r.n_analysed, int(r.event.sum())) == (41, 33)
    assert (r.dor > 0).all()


def test_duration_of_response_equals_r():
    """The data set above written with ``to_csv(na_rep="NA")``, then in R 4.2.2, survival
    3.5.3 (rtol 1e-9)::

        d <- read.csv("dor.csv"); r <- d[d$imaging_response %in% c("CR", "PR"), ]
        r <- r[!is.na(r$imaging_response_days), ]
        r$dor <- r$pfs_imaging_days - r$imaging_response_days; r <- r[r$dor > 0, ]
        fit <- survfit(Surv(dor, pfs_imaging_event) ~ 1, data = r, conf.type = "log-log")
        fit                                  # n 41, events 33, median 417 (300, 538)
        quantile(fit, c(.25, .75))           # 251 (131, 335), 621 (476, 866)
        s <- summary(fit, times = c(6, 12, 24) * 30.4375); s$surv; s$lower; s$upper; s$n.risk
        ttr <- d$imaging_response_days[d$imaging_response %in% c("CR", "PR") &
                                       !is.na(d$imaging_response_days)]
        quantile(ttr, c(.25, .5, .75)); range(ttr)     # 128 191 256; 42 284
    """
    r = duration_from_patients(dor_patients(), DurationSpec((6.0, 12.0, 24.0)), F)
    assert (r.n_responders, r.n_analysed, r.events, r.n_ended_by_response) == (46, 41, 33, 4)
    q = {x.p: x for x in r.group.quantiles}
    assert (q[0.5].estimate, q[0.5].lower, q[0.5].upper) == (417, 300, 538)
    assert (q[0.25].estimate, q[0.25].lower, q[0.25].upper) == (251, 131, 335)
    assert (q[0.75].estimate, q[0.75].lower, q[0.75].upper) == (621, 476, 866)
    at = r.group.at
    np.testing.assert_allclose(
        [a.surv for a in at], [0.850871080139373, 0.548949083960885, 0.231136456404583],
        rtol=RTOL,
    )  # fmt: skip
    np.testing.assert_allclose(
        [a.lower for a in at], [0.697548613074077, 0.377189812432262, 0.109704487250124],
        rtol=RTOL,
    )  # fmt: skip
    np.testing.assert_allclose(
        [a.upper for a in at], [0.930150316072741, 0.691480670444416, 0.378771355731057],
        rtol=RTOL,
    )  # fmt: skip
    assert [a.n_risk for a in at] == [32, 20, 7]
    t = r.ttr
    assert (t.n, t.q1, t.median, t.q3, t.minimum, t.maximum) == (45, 128, 191, 256, 42, 284)
    js = duration_json(r)
    assert js["duration_of_response"]["median"] == pytest.approx(417 / DAYS_PER_MONTH, rel=RTOL)
    assert js["duration_of_response"]["excluded"]["n_pfs_ends_on_or_before_response"] == 4
    assert js["time_to_response"]["range"] == pytest.approx([42 / DAYS_PER_MONTH,
                                                            284 / DAYS_PER_MONTH])  # fmt: skip
    text = " ".join(summary_text(r))
    assert "46 responders, 41 analysed, 33 progressions" in text and "on or before" in text


def _frame(cr: int, pr: int, sd: int, pd_: int, *, ended: int = 0, seed: int = 1):
    """Patients with the given imaging responses; responders' PFS 100-1200 days after a
    response day of 90, except ``ended`` responders whose PFS ends on the response day."""
    rng = np.random.default_rng(seed)
    resp = ["CR"] * cr + ["PR"] * pr + ["SD"] * sd + ["PD"] * pd_
    n = len(resp)
    pfs = 90 + rng.integers(100, 1200, size=n)
    pfs[:ended] = 90
    return pd.DataFrame({"imaging_response": resp, "imaging_response_days": [90.0] * n,
                         "pfs_imaging_days": pfs.astype(float),
                         "pfs_imaging_event": (rng.random(n) < 0.6).astype(float)})  # fmt: skip


def test_protected_mode_whole_months_rounded_risk_no_range():
    df = _frame(20, 30, 20, 20)
    exact = duration_from_patients(df, DurationSpec(), F, EXEMPT)
    prot = duration_from_patients(df, DurationSpec(), F, PROT)
    assert prot.shown and prot.group.display.whole_months
    assert prot.group.display.censor_time is None and prot.group.display.n_risk is None
    m = prot.median
    assert m.estimate is None or m.estimate / DAYS_PER_MONTH == round(m.estimate / DAYS_PER_MONTH)
    assert all(a.n_risk % 5 == 0 for a in prot.group.at)
    assert prot.ttr.minimum is None and prot.ttr.maximum is None and prot.ttr_note
    assert exact.ttr.minimum == 90 and exact.group.display.censor_time is not None
    # the exact estimate is kept; what is shown is whole months
    assert prot.group.km.surv.tolist() == exact.group.km.surv.tolist()


def test_protected_mode_withholds_few_responders_and_a_small_left_out_group():
    few = duration_from_patients(_frame(2, 3, 30, 30), DurationSpec(), F, PROT)
    assert few.withheld == NOT_SHOWN_RESPONDERS and few.group is None
    assert duration_json(few)["time_to_response"] is None
    assert duration_table(few).empty
    left = duration_from_patients(_frame(15, 20, 20, 20, ended=3), DurationSpec(), F, PROT)
    assert "fewer than 11 responders are left out" in left.withheld and left.group is None
    exact = duration_from_patients(_frame(15, 20, 20, 20, ended=3), DurationSpec(), F, EXEMPT)
    assert exact.n_ended_by_response == 3 and exact.n_analysed == 32


def test_no_responder_count_the_response_table_hides():
    """SD 4 and PD 4 are hidden in the response table, and with them (complementary) the ORR
    numerator (CR + PR = 26): then the duration is withheld, else its number of responders
    would give back what the response table protects."""
    df = _frame(12, 14, 4, 4)
    prot_table = protection(response_analysis(df, ResponseSpec()), PROT)
    r = duration_from_patients(df, DurationSpec(), F, PROT)
    assert prot_table.hides(OVERALL_LABEL, "orr") and r.withheld == NOT_SHOWN_RESPONDERS
    assert "26" not in " ".join(summary_text(r)) + json.dumps(duration_json(r))
    shown = duration_from_patients(_frame(20, 30, 20, 20), DurationSpec(), F, PROT)
    assert not protection(response_analysis(_frame(20, 30, 20, 20), ResponseSpec()), PROT).hides(
        OVERALL_LABEL, "orr"
    )
    assert shown.shown


def test_default_database_and_cli(default_db):
    r = duration_of_response(Filters(cohorts=("pgep-mibg-211",)), path=default_db)
    assert not r.disclosure.active and r.n_responders > 11 and r.group is not None
    out = subprocess.run(
        [sys.executable, "-m", "core", "responses", "--cohort", "pgep-mibg-211", "--db",
         str(default_db), "--duration", "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    js = json.loads(out)
    dor = js["duration_of_response"]
    assert dor["n_responders"] == r.n_responders and dor["events"] == r.events
    assert dor["median"] == pytest.approx(r.median.estimate / DAYS_PER_MONTH, rel=RTOL)
    assert [a["time"] for a in dor["at"]] == [6, 12, 24, 36]
    assert js["time_to_response"]["n"] == r.ttr.n and js["disclosure"]["mode"] == "protected"
    plain = subprocess.run(
        [sys.executable, "-m", "core", "responses", "--cohort", "pgep-mibg-211", "--db",
         str(default_db), "--json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "duration_of_response" not in json.loads(plain)


def test_swimmer_export_frame(default_db):
    from core.analyses.responses import load_inputs

    inputs = load_inputs(Filters(cohorts=("ia-hepatic-6",)), default_db)
    sw = swimmer_data(inputs.patients, inputs.treatments, inputs.case_notes)
    frame = swimmer_export_frame(sw)
    assert len(frame) == len(sw.events) and set(frame["patient_id"]) == set(sw.lanes["patient_id"])
    assert pd.api.types.is_numeric_dtype(frame["months"])
    assert pd.api.types.is_numeric_dtype(frame["lane_end_months"])
    assert swimmer_export_frame(None).empty
