"""Effect differences of a grouped survival view (core.analyses.effects): equal to R on R's lung
imported as a real cohort, protected mode, the horizon rule, the CLI's JSON and text.

R values (R 4.2.2, survival 3.5.3; lung as exported in tests/data/r_datasets) are those of
tests/core/stats/test_effects.py, with the groups swapped (here the reference is the first group
shown, Female = sex 2, so each difference is Male - Female, the negative of R's sex 2 - sex 1)::

    t <- summary(survfit(Surv(time, status) ~ sex, data = lung), rmean = 365)$table
    s <- summary(survfit(Surv(time, status) ~ sex, data = lung), times = c(180, 365, 730))

Tolerance 1e-9 (closed forms).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from core.analyses.disclosure import Mode
from core.analyses.effects import (
    effect_differences,
    effects_frame,
    effects_json,
    effects_of,
    effects_table,
)
from core.analyses.survival import SurvivalSpec, analyse
from core.vocab.methods import DAYS_PER_MONTH, TimeUnit
from tests.core.analyses.test_survival import LUNG, build_imported_lung

RTOL = 1e-9
SPEC = SurvivalSpec(
    by="sex",
    times_months=tuple(t / DAYS_PER_MONTH for t in (180, 365, 730)),
    times_in_days=(180.0, 365.0, 730.0),
    rmst_months=365 / DAYS_PER_MONTH,
    rmst_in_days=365.0,
)
# sex 2 - sex 1 in R (tests/core/stats/test_effects.py), negated below
R_RMST = (55.9703243399798, 14.9581258604241, 26.6529363773313, 85.2877123026282,
          0.000182706461311161)  # fmt: skip
R_RATIO = (1.2317658940987, 1.10334339056206, 1.37513600103398, 0.000206761222503229)
R_SURV = (0.197936704046001, 0.190375195546527, 0.109108406638036)
R_SURV_SE = (0.0562116451910808, 0.0738518773801789, 0.0679471063519934)
R_SURV_P = (0.000429475725504781, 0.00994322069068124, 0.108321278949389)


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory, r_dataset):
    from core.data.db import close_all

    yield build_imported_lung(tmp_path_factory.mktemp("eff") / "lung.duckdb", r_dataset,
                              plain=True)  # fmt: skip
    close_all()


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=RTOL, atol=0)


def test_exact_mode_equals_r(plain_db):
    eff = effect_differences(LUNG, SPEC, path=plain_db, mode=Mode.EXACT)
    assert eff.reference == "Female" and not eff.disclosure.active
    (row,) = eff.rmst
    c = row.contrast
    assert row.group == "Male" and c is not None
    close([c.difference, c.se, c.p], [-R_RMST[0], R_RMST[1], R_RMST[4]])
    close([c.lower, c.upper], [-R_RMST[3], -R_RMST[2]])
    close([c.ratio, c.ratio_lower, c.ratio_upper, c.ratio_p],
          [1 / R_RATIO[0], 1 / R_RATIO[2], 1 / R_RATIO[1], R_RATIO[3]])  # fmt: skip
    diffs = [r.difference for r in eff.survival]
    assert [d.time for d in diffs] == [180.0, 365.0, 730.0]
    close([d.estimate for d in diffs], [-x for x in R_SURV])
    close([d.diff_se for d in diffs], R_SURV_SE)
    close([d.p for d in diffs], R_SURV_P)


def test_same_as_the_survival_views_rmst_difference(plain_db):
    """The RMST difference equals the one the survival analysis already carries."""
    a = analyse(LUNG, SPEC, plain_db, mode=Mode.EXACT)
    ((label, ref, rd),) = a.rmst_differences
    (row,) = effects_of(a).rmst
    assert (row.group, row.reference) == (label, ref)
    assert row.contrast.difference == pytest.approx(rd.estimate, rel=RTOL)
    assert row.contrast.se == pytest.approx(rd.se, rel=RTOL)


def test_protected_mode_shows_exact_values_where_the_page_shows_survival(plain_db):
    exact = effect_differences(LUNG, SPEC, path=plain_db, mode=Mode.EXACT)
    prot = effect_differences(LUNG, SPEC, path=plain_db, mode=Mode.PROTECTED)
    assert prot.disclosure.active
    assert prot.rmst[0].contrast == exact.rmst[0].contrast  # shown RMSTs: the exact contrast
    a = analyse(LUNG, SPEC, plain_db, mode=Mode.PROTECTED)
    shown = {g.label: {x.time for x in g.at if x.surv is not None} for g in a.groups}
    for p, e in zip(prot.survival, exact.survival, strict=True):
        t = p.difference.time
        if t in shown["Male"] and t in shown["Female"]:
            assert p.difference == e.difference and not p.note
        else:
            assert p.difference.estimate is None and "withheld" in p.note
    # at 730 days fewer than 11 women remain at risk: the difference there is withheld
    assert any("withheld" in p.note for p in prot.survival)


def test_a_suppressed_group_is_in_no_comparison(plain_db):
    """Grade: G3 8 and GX 6 patients (tests/core/analyses/test_survival.py) are suppressed in
    protected mode: no row for them, their names in a note without a count; exact mode has
    them."""
    spec = SurvivalSpec(by="grade", rmst_months=12.0)
    prot = effect_differences(LUNG, spec, path=plain_db, mode=Mode.PROTECTED)
    groups = {r.group for r in prot.rmst} | {r.group for r in prot.survival}
    assert groups and not any(g.startswith(("G3", "GX")) for g in groups)
    assert any("G3" in n for n in prot.notes)
    assert not any(str(k) in " ".join(prot.notes) for k in (6, 8))
    exact = effect_differences(LUNG, spec, path=plain_db, mode=Mode.EXACT)
    assert {"G3", "GX"} <= {r.group[:2] for r in exact.rmst}
    hidden_ref = effect_differences(LUNG, spec, "G3", path=plain_db, mode=Mode.PROTECTED)
    assert hidden_ref.empty and "reference" in hidden_ref.note


def test_horizon_past_a_groups_follow_up_is_refused(plain_db):
    """lung: last follow-up 1022 days (sex 1) and 965 (sex 2): a 1000-day horizon is past the
    women's, whose curve has not reached 0 (survRM2 refuses it)."""
    spec = SurvivalSpec(by="sex", rmst_months=1000 / DAYS_PER_MONTH, rmst_in_days=1000.0)
    eff = effect_differences(LUNG, spec, path=plain_db, mode=Mode.EXACT)
    (row,) = eff.rmst
    assert row.contrast is None and "Female" in row.note and "survRM2" in row.note
    frame = effects_frame(eff, TimeUnit.DAYS)
    assert frame["Estimate (95% CI)"].iloc[0] == "–"


def test_user_chosen_reference_and_ungrouped(plain_db):
    eff = effect_differences(LUNG, SPEC, "Male", path=plain_db, mode=Mode.EXACT)
    assert eff.reference == "Male" and eff.rmst[0].group == "Female"
    close([eff.rmst[0].contrast.difference], [R_RMST[0]])
    bad = effect_differences(LUNG, SPEC, "Nobody", path=plain_db, mode=Mode.EXACT)
    assert bad.empty and "Nobody" in bad.note
    none = effect_differences(LUNG, SurvivalSpec(), path=plain_db, mode=Mode.EXACT)
    assert none.empty and effects_json(none, TimeUnit.MONTHS) == {
        "rmst_difference": [], "survival_difference": []
    }  # fmt: skip


def test_tables_and_json_units(plain_db):
    eff = effect_differences(LUNG, SPEC, path=plain_db, mode=Mode.EXACT)
    js = effects_json(eff, TimeUnit.DAYS)
    r = js["rmst_difference"][0]
    assert r["horizon"] == 365 and r["unit"] == "days" and r["reference"] == "Female"
    assert r["estimate"] == pytest.approx(-R_RMST[0], rel=RTOL)
    assert r["ratio"]["estimate"] == pytest.approx(1 / R_RATIO[0], rel=RTOL)
    assert "rmean" in r["method"]
    m = effects_json(eff, TimeUnit.MONTHS)["rmst_difference"][0]
    assert m["estimate"] == pytest.approx(-R_RMST[0] / DAYS_PER_MONTH, rel=RTOL)
    assert m["ratio"]["estimate"] == pytest.approx(r["ratio"]["estimate"], rel=RTOL)
    table = effects_table(eff, TimeUnit.DAYS)
    assert list(table["measure"]) == ["rmst_difference", "rmst_ratio", *["survival_difference"] * 3]
    assert table["estimate"].map(lambda v: isinstance(v, float) and math.isfinite(v)).all()


def test_cli_json_and_text(plain_db):
    argv = [sys.executable, "-m", "core", "survival", "--cohort", "lung-real", "--db",
            str(plain_db), "--by", "sex", "--time-unit", "days", "--times", "180,365,730",
            "--rmst-horizon", "365", "--disclosure", "exact"]  # fmt: skip
    js = json.loads(subprocess.run([*argv, "--json"], capture_output=True, text=True,
                                   check=True).stdout)  # fmt: skip
    (r,) = js["rmst_difference"]
    assert r["estimate"] == pytest.approx(-R_RMST[0], rel=RTOL)
    assert r["ci"] == pytest.approx([-R_RMST[3], -R_RMST[2]], rel=RTOL)
    assert r["p"] == pytest.approx(R_RMST[4], rel=RTOL) and r["horizon"] == 365
    assert [s["time"] for s in js["survival_difference"]] == [180, 365, 730]
    assert js["survival_difference"][0]["estimate"] == pytest.approx(-R_SURV[0], rel=RTOL)
    assert js["disclosure"]["mode"] == "exact"
    text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert "Effect differences against Female" in text and "RMST ratio" in text
