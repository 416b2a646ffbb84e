"""core.analyses.subgroups: the subgroup forest on the default database.

The statistics are R's (tests/core/stats/test_cox_subgroups.py freezes the engine against
``coxph`` and ``anova``); here the analysis must give exactly what the engine gives on the
selection's patient rows (one row per patient, as R would be called), for every level and
test, and handle arms, missing values, not-estimable subgroups and errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.analyses.disclosure import Mode
from core.analyses.subgroups import (
    MISSING,
    SubgroupSpec,
    SubgroupSpecError,
    analyse,
    export_frame,
    forest_frame,
    parse_compare,
    table_frame,
    to_json_dict,
)
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.stats.cox_subgroups import interaction_lr_test, subgroup_hr

PGEP = Filters(cohorts=("pgep-mibg-211",))
SPEC = SubgroupSpec("treatments", ("Multiple",), by=("sex", "grade"))


@pytest.fixture(scope="module")
def result(default_db):
    return analyse(PGEP, SPEC, default_db, mode=Mode.EXACT)


def _patients(db):
    df = patients_frame(PGEP, ["sex", "grade", "n_treatments", "os_days", "os_event"], db)
    df = df[df["os_days"].notna() & df["os_event"].notna() & (df["n_treatments"] >= 1)]
    return df.assign(arm=(df["n_treatments"] > 1).astype(int))


def test_every_subgroup_equals_the_engine_on_patient_rows(result, default_db):
    df = _patients(default_db)
    t, e = df["os_days"].to_numpy(float), df["os_event"].to_numpy(int)
    one = np.ones(len(df), dtype=int)
    arm = df["arm"].to_numpy()
    o = subgroup_hr(t, e, one, arm)
    assert result.overall.hr.hr == pytest.approx(o.hr, rel=1e-9)
    assert result.overall.hr.n == o.n and result.n == len(df)
    labels = {"sex": {"female": "Female", "male": "Male"}, "grade": None}
    for f in result.fields:
        col = df[f.field].astype(str)
        if labels[f.field]:
            col = col.map(labels[f.field])
        for r in f.rows:
            m = (col == r.level).to_numpy()
            if r.level == "GX (not assessed)":
                m = (df["grade"] == "GX").to_numpy()
            ref = subgroup_hr(t[m], e[m], one[m], arm[m])
            assert r.hr.n == ref.n and r.hr.events == ref.events
            assert r.hr.hr == pytest.approx(ref.hr, rel=1e-9)
            assert (r.hr.lower, r.hr.upper) == pytest.approx((ref.lower, ref.upper), rel=1e-9)
        codes = df[f.field].astype("category").cat.codes.to_numpy()
        test = interaction_lr_test(t, e, one, arm, codes)
        assert f.interaction.df == test.df
        assert f.interaction.p == pytest.approx(test.p, rel=1e-8)


def test_not_estimable_subgroups_are_named_with_their_reason(default_db):
    a = analyse(PGEP, SubgroupSpec("treatments", ("Multiple",), by=("primary_site",)), default_db)
    rows = {r.level: r for r in a.fields[0].rows}
    assert not rows["Cecum"].hr.estimable
    assert "no patients in the comparison arm (Multiple)" in rows["Cecum"].hr.reason
    table = table_frame(a)
    cecum = table[table["Level"] == "Cecum"].iloc[0]
    assert cecum["HR (95% CI)"].startswith("not estimable: no patients")
    forest = forest_frame(a)
    assert forest.loc[forest["label"].str.contains("Cecum"), "kind"].item() == "none"
    assert forest.loc[forest["kind"] == "header", "text"].str.startswith("interaction").all()


def test_missing_subgroup_values_get_a_row_but_no_estimate(default_db):
    a = analyse(Filters(), SubgroupSpec("route", ("IA",), by=("age_band",)), default_db)
    miss = [r for r in a.fields[0].rows if r.level == MISSING]
    assert miss and not miss[0].shows_estimate
    assert a.fields[0].interaction.p is None  # the IA patients' ages are unknown
    assert "does not vary" in a.fields[0].interaction.reason


def test_vs_restricts_the_reference_arm(default_db):
    a = analyse(Filters(), SubgroupSpec("agent", ("i131_mibg",), ("in111_pentetreotide",),
                                        ("sex",)), default_db)  # fmt: skip
    assert a.arms == ("111In-pentetreotide", "I-131 MIBG")
    assert a.n_no_arm > 0  # the untreated and 177Lu patients are in neither arm


def test_unknown_level_is_an_error_naming_the_observed_levels(default_db):
    a = analyse(PGEP, SubgroupSpec("treatments", ("Triple",)), default_db)
    assert a.overall is None and "'Triple'" in a.error and "Single, Multiple" in a.error


@pytest.mark.parametrize(
    "kw,msg",
    [
        (dict(compare="age", levels=("1",)), "unknown comparison field"),
        (dict(compare="sex", levels=()), "name the level"),
        (dict(compare="sex", levels=("male",), vs=("Male",)), "both arms"),
        (dict(compare="sex", levels=("male",), by=("sex",)), "not a subgroup field"),
        (dict(compare="sex", levels=("male",), by=("nope",)), "unknown subgroup field"),
        (dict(compare="sex", levels=("male",), landmark_months=-1), "landmark"),
    ],
)
def test_bad_specs_are_refused(kw, msg):
    with pytest.raises(SubgroupSpecError, match=msg):
        SubgroupSpec(**kw)


def test_parse_compare():
    assert parse_compare("route=IA", "IV") == ("route", ("IA",), ("IV",))
    assert parse_compare("route=IA,IV", "") == ("route", ("IA", "IV"), ())
    assert parse_compare("route=IA", "route=IV") == ("route", ("IA",), ("IV",))
    with pytest.raises(SubgroupSpecError):
        parse_compare("route", "")
    with pytest.raises(SubgroupSpecError):
        parse_compare("route=IA", "sex=male")


def test_landmark_and_delayed_entry_run(default_db):
    spec = SubgroupSpec("treatments", ("Multiple",), by=("sex",), landmark_months=6)
    a = analyse(PGEP, spec, default_db)
    assert a.n_landmark_excluded > 0 and a.overall.hr.estimable
    assert not any("hindsight" in w for w in a.warnings)  # the landmark answers the bias
    d = analyse(PGEP, SubgroupSpec("sex", ("male",), origin="diagnosis", by=("grade",)),
                default_db)  # fmt: skip
    assert d.overall.hr.estimable


def test_export_and_json_are_numeric_and_state_the_mode(result):
    csv = export_frame(result)
    assert {"hr", "hr_lower", "hr_upper", "interaction_p", "n_cmp"} <= set(csv.columns)
    assert csv["hr"].dropna().map(type).eq(float).all()
    js = to_json_dict(result, "pgep-mibg-211")
    assert js["disclosure"]["mode"] == "exact"
    sex = js["subgroups"][0]
    assert sex["field"] == "sex" and 0 < sex["interaction"]["p"] < 1
    assert [r["level"] for r in sex["levels"]] == ["Female", "Male"]
