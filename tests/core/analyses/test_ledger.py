"""The session ledger: each distinct test once, adjusted over the session as R's p.adjust."""

from __future__ import annotations

import math

import numpy as np

from core.analyses.ledger import SHARE_NOTE, Entry, Ledger
from core.present import ledger as text


def _t(h: str, p: float, kind: str = "log-rank") -> Entry:
    return Entry(kind, h, "Survival", p)


def test_records_each_hypothesis_once_and_keeps_order():
    led = Ledger().record(_t("OS by route", 0.01)).record(_t("OS by grade", 0.2))
    led = led.record(_t("OS by route", 0.01))  # shown again: not a new test
    assert [t.hypothesis for t in led.tests] == ["OS by route", "OS by grade"]
    led = led.record(_t("OS by route", 0.03))  # same hypothesis, new p (data changed)
    assert len(led) == 2 and led.tests[0].p == 0.03
    led = led.record(_t("OS by route", 0.5, kind="Cox Wald"))  # another test of it
    assert len(led) == 3


def test_not_a_p_value_is_not_recorded():
    led = Ledger()
    for bad in (math.nan, math.inf, -0.1, 1.5):
        assert led.record(_t("x", bad)) is led


def test_adjusted_values_equal_r():
    """R 3.5.3: p <- c(0.01, 0.04, 0.03, 0.2); p.adjust(p, "holm"); p.adjust(p, "BH")
    -> 0.04 0.09 0.09 0.20 and 0.04 0.05333333 0.05333333 0.2 (tolerance 1e-12)."""
    led = Ledger()
    for i, p in enumerate((0.01, 0.04, 0.03, 0.2)):
        led = led.record(_t(f"h{i}", p))
    rows = led.rows()
    np.testing.assert_allclose([r.holm for r in rows], [0.04, 0.09, 0.09, 0.2], rtol=1e-12)
    np.testing.assert_allclose([r.bh for r in rows], [0.04, 0.16 / 3, 0.16 / 3, 0.2], rtol=1e-12)
    assert [r.number for r in rows] == [1, 2, 3, 4]
    assert led.row("log-rank", "h1").holm == rows[1].holm
    assert led.row("log-rank", "nope") is None


def test_sentence_counts_the_session_and_gives_adjusted_p():
    led = Ledger().record(_t("a", 0.01))
    one = text.sentence(led.row("log-rank", "a"), led)
    assert "only test" in one
    for i in range(13):
        led = led.record(_t(f"b{i}", 0.5))
    s = text.sentence(led.row("log-rank", "a"), led)
    assert "one of 14 tests" in s and "Holm p = 0.14" in s and "Benjamini-Hochberg" in s
    assert text.sentence(None, led) == ""


def test_csv_is_numeric_formula_safe_and_says_links_do_not_carry_it():
    led = Ledger().record(_t('=HYPERLINK("x")', 0.0123456789123))
    out = text.csv(led, "2026-12-06")
    assert SHARE_NOTE in out
    body = [ln for ln in out.splitlines() if not ln.startswith("#")]
    assert body[0].startswith("No.,Page,Test,Hypothesis,p,")
    assert "0.01234567891" in body[1]
    assert ",=HYPERLINK" not in body[1]
