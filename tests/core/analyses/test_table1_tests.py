"""Table 1 split by a field: p-values by gtsummary's ``add_p()`` defaults and SMDs as R
``smd::smd``, equal to R 4.2.2 on the same rows, and their disclosure rule.

The cohort (:func:`cohort`) is the generator's 90 patients (seed 7) with 7 ages, 3 sexes and 5
liver-metastasis flags set missing (seed 17); its columns are in
tests/data/table1_tests_cohort.csv (the test checks the file still matches). R, on that file::

    d <- read.csv("tests/data/table1_tests_cohort.csv", na.strings = "")
    for (f in c("met_liver", "met_mediastinum", "prior_radiation"))
      d[[f]] <- as.logical(toupper(d[[f]]))
    d$treatments <- ifelse(d$n_treatments == 0, "none",
                           ifelse(d$n_treatments == 1, "single", "multiple"))
    s <- subset(d, !is.na(sex))           # gtsummary drops a missing `by`
    gts_cat <- function(d, v, by) {       # gtsummary 2.x default for a categorical variable
      m <- table(d[[by]], d[[v]]); e <- outer(rowSums(m), colSums(m)) / sum(m)
      if (min(e) >= 5) chisq.test(d[[v]], d[[by]], correct = FALSE)$p.value
      else fisher.test(d[[v]], d[[by]])$p.value }

and ``smd_r`` (smd::smd transcribed, see tests/core/stats/test_tests.py). Tolerance 1e-9
relative (R prints 17 significant digits; the r x c Fisher p-values agree to 1e-13).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.disclosure import Disclosure, Mode
from core.analyses.table1 import NOT_SHOWN, baseline_table, table1
from core.cohorts.generator import generate_pgep
from core.data.filters import Filters
from core.present import table1 as shown
from core.stats.tests import TestMethod
from tests.core.analyses import _small_cohort as sc

TOL = 1e-9
CSV = Path(__file__).resolve().parents[2] / "data" / "table1_tests_cohort.csv"
COLUMNS = ["sex", "grade", "primary_site", "age", "first_activity_mbq", "n_treatments",
           "met_liver", "met_mediastinum", "prior_radiation"]  # fmt: skip


def cohort(missing_sex: bool = True) -> pd.DataFrame:
    p = generate_pgep(n=90, seed=7).patients.copy()
    idx = np.random.default_rng(17).permutation(len(p))
    age = p["age"].astype("Float64")
    age.iloc[idx[:7]] = pd.NA
    p["age"] = age
    if missing_sex:
        p.loc[p.index[idx[7:10]], "sex"] = None
    liver = p["met_liver"].astype("boolean")
    liver.iloc[idx[10:15]] = pd.NA
    p["met_liver"] = liver
    return p


def _close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) <= TOL * abs(b)


@pytest.fixture(scope="module")
def by_sex():
    return table1(cohort(), "sex")


def test_the_r_file_is_this_cohort():
    frozen = pd.read_csv(CSV, keep_default_na=False, na_values=[""])
    mine = cohort()[COLUMNS].reset_index(drop=True)
    assert frozen["sex"].isna().sum() == 3 and frozen["age"].isna().sum() == 7
    for col in COLUMNS:
        a = mine[col].astype(object).where(mine[col].notna(), None).map(str).tolist()
        b = frozen[col].astype(object).where(frozen[col].notna(), None).map(str).tolist()
        if col in ("age", "first_activity_mbq"):
            a = [str(float(x)) if x != "None" else x for x in a]
            b = [str(float(x)) if x != "None" else x for x in b]
        assert a == b, col


# R: wilcox.test(s$age ~ s$sex) -> W 586, p 0.039882989634834498 (ties: normal approximation)
#    wilcox.test(s$first_activity_mbq ~ s$sex) -> W 995, p 0.67989728659422055
#    gts_cat(s, "grade", "sex") -> fisher 0.98257882499824889
#    gts_cat(s, "primary_site", "sex") -> fisher 0.26309840925620925
#    gts_cat(s, "treatments", "sex") -> chisq 0.38755877906369351
#    gts_cat(s, "met_liver", "sex") -> fisher 0.31341926285571164
#    gts_cat(s, "met_mediastinum", "sex") -> fisher 0.4335883086096925
#    gts_cat(s, "prior_radiation", "sex") -> fisher 0.483936014511053
#    smd_r(s$age, s$sex) -0.50389633974451664; smd_r(s$first_activity_mbq, s$sex)
#    0.14940186202760414; smd_r(factor(s$grade), s$sex) 0.078326243554770747;
#    smd_r(factor(s$primary_site), s$sex) 0.87193946880626427; smd_r(factor(s$treatments),
#    s$sex) 0.18593167389243878; smd_r(s$met_liver, s$sex) -0.28406612702240158;
#    smd_r(s$met_mediastinum, s$sex) -0.24923362286040415; smd_r(s$prior_radiation, s$sex)
#    -0.22035988189039954
BY_SEX = {
    "age": (TestMethod.WILCOXON, 0.039882989634834498, -0.50389633974451664),
    "first_activity_mbq": (TestMethod.WILCOXON, 0.67989728659422055, 0.14940186202760414),
    "grade": (TestMethod.FISHER, 0.98257882499824889, 0.078326243554770747),
    "primary_site": (TestMethod.FISHER, 0.26309840925620925, 0.87193946880626427),
    "treatments": (TestMethod.CHI_SQUARE, 0.38755877906369351, 0.18593167389243878),
    "met_liver": (TestMethod.FISHER, 0.31341926285571164, -0.28406612702240158),
    "met_mediastinum": (TestMethod.FISHER, 0.4335883086096925, -0.24923362286040415),
    "prior_radiation": (TestMethod.FISHER, 0.483936014511053, -0.22035988189039954),
}


@pytest.mark.parametrize("family", sorted(BY_SEX))
def test_two_groups_equal_r(by_sex, family):
    method, p, smd = BY_SEX[family]
    v = by_sex.test_for(family)
    assert v.method is method
    assert _close(v.p, p) and _close(v.smd, smd)


def test_wilcoxon_statistics_equal_r(by_sex):
    assert by_sex.test_for("age").statistic == 586
    assert by_sex.test_for("first_activity_mbq").statistic == 995


def test_three_or_more_groups_equal_r():
    """R: ``kruskal.test(age ~ grade, d)``: 2.3066054556199873, df 3, p =
    0.51125665828750888; ``gts_cat(d, "sex", "grade")``: fisher 0.98257882499824889;
    ``gts_cat(d, "met_liver", "grade")``: fisher 0.13242407005040444."""
    t = table1(cohort(), "grade")
    age = t.test_for("age")
    assert age.method is TestMethod.KRUSKAL_WALLIS and age.df == 3
    assert _close(age.statistic, 2.3066054556199873) and _close(age.p, 0.51125665828750888)
    assert _close(t.test_for("sex").p, 0.98257882499824889)
    assert _close(t.test_for("met_liver").p, 0.13242407005040444)
    assert all(v.smd is None for v in t.tests)  # SMDs for two groups only
    assert len(t.compared) == 4


def test_missing_split_values_are_shown_not_compared(by_sex):
    assert "missing" in by_sex.groups and by_sex.group_n["missing"] == 3
    assert by_sex.compared == ("Female", "Male")


def test_the_split_characteristic_is_not_tested(by_sex):
    assert by_sex.test_for("sex") is None
    t = table1(cohort(), "n_treatments_group")
    assert t.test_for("treatments") is None and t.test_for("age") is not None
    assert table1(cohort()).tests == ()  # no split, no tests


def test_one_level_gives_no_p_value(by_sex):
    route = by_sex.test_for("route")  # every patient IV
    assert route.p is None and route.method is None and route.note.startswith("no p-value")


def test_frame_and_footnotes_name_each_test(by_sex):
    frame = shown.frame(by_sex)
    assert list(frame.columns[-2:]) == [shown.P_COLUMN, shown.SMD_COLUMN]
    marks = shown.marks(by_sex)
    rows = {r.key: i for i, r in enumerate(by_sex.rows)}
    age = frame.iloc[rows["age"]]
    assert age[shown.P_COLUMN] == "0.040" + marks[TestMethod.WILCOXON.label]
    assert age[shown.SMD_COLUMN] == "-0.50"
    first_site = next(r.key for r in by_sex.rows if r.family == "primary_site")
    assert frame.iloc[rows[first_site]][shown.P_COLUMN] == "0.3" + marks["Fisher's exact test"]
    second = [r.key for r in by_sex.rows if r.family == "primary_site"][1]
    assert frame.iloc[rows[second]][shown.P_COLUMN] == ""  # once per characteristic
    notes = shown.footnotes(by_sex)
    for label, m in marks.items():
        assert f"{m} {label}" in notes
    assert any("Female minus Male" in n for n in notes)
    assert shown.SMD_COLUMN not in shown.frame(table1(cohort(), "grade")).columns


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.96, ">0.9"), (0.94, "0.9"), (0.5, "0.5"), (0.25, "0.3"), (0.149, "0.15"),
     (0.0995, "0.10"), (0.0398, "0.040"), (0.0012, "0.001"), (0.0009, "<0.001"), (None, "–")],
)  # fmt: skip
def test_p_values_as_gtsummary_style_pvalue(p, text):
    assert shown.p_text(p) == text


# ------------------------------------------------------------------------------ disclosure
def test_protected_withholds_tests_that_derive_a_hidden_count():
    d = Disclosure(11, Mode.PROTECTED, True)
    df = cohort(missing_sex=False)
    exact, prot = table1(df, "sex"), table1(df, "sex", disclosure=d)
    # ages: 7 missing, a group with 1-10 missing ages -> the Wilcoxon n would give them
    missing_age = {g: exact.group_n[g] - exact.cell("age", g).n for g in exact.compared}
    assert any(0 < m < 11 for m in missing_age.values())
    assert prot.test_for("age").p is None and prot.test_for("age").note == NOT_SHOWN
    assert prot.test_for("age").smd is None and prot.test_for("age").method is None
    # first activity: nothing missing, groups of 40+ -> shown, and exactly the exact value
    fa = prot.test_for("first_activity_mbq")
    assert fa.p == exact.test_for("first_activity_mbq").p and fa.smd is not None
    # primary site has cells of 1-10: withheld whole (p, test name and SMD)
    site = prot.test_for("primary_site")
    assert (site.p, site.method, site.smd, site.note) == (None, None, None, NOT_SHOWN)
    for v in prot.tests:  # whatever is shown is the exact figure
        e = exact.test_for(v.family)
        if v.p is not None:
            assert (v.p, v.smd, v.method) == (e.p, e.smd, e.method)
    frame = shown.frame(prot)
    assert NOT_SHOWN in set(frame[shown.P_COLUMN])


def test_a_hidden_missing_split_column_withholds_every_test():
    # 3 patients without a sex: their column is hidden, and with it a compared one
    prot = table1(cohort(), "sex", disclosure=Disclosure(11, Mode.PROTECTED, True))
    assert prot.group_text["missing"] == "<11"
    assert all(v.note == NOT_SHOWN and v.p is None and v.smd is None for v in prot.tests)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    from core.data.db import close_all

    path = sc.build(tmp_path_factory.mktemp("t1tests") / "small.duckdb")
    yield path
    close_all()


def test_a_hidden_column_withholds_every_test(small_db):
    f = Filters(cohorts=(sc.REAL,))
    t = baseline_table(f, "grade", path=small_db)  # G3 (4) and GX (2) are hidden
    assert t.tests and all(v.p is None and v.smd is None for v in t.tests)
    exact = baseline_table(f, "grade", mode=Mode.EXACT, path=small_db)
    assert exact.test_for("age").method is TestMethod.KRUSKAL_WALLIS
    assert exact.test_for("age").p is not None


def _cli(capsys, *argv) -> dict:
    from core.cli import main

    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_json_gains_p_test_and_smd(small_db, capsys):
    args = ("table1", "--cohort", sc.REAL, "--db", str(small_db), "--by", "sex", "--json")
    exact = _cli(capsys, *args, "--disclosure", "exact")
    assert exact["compared"] == ["Female", "Male"]
    assert exact["smd_direction"] == "Female minus Male"
    tests = {v["variable"]: v for v in exact["tests"]}
    assert {"p", "test", "test_label", "smd", "statistic", "df", "r", "note"} <= set(tests["age"])
    assert tests["age"]["test"] == "wilcoxon" and 0 < tests["age"]["p"] < 1
    assert tests["race"]["p"] is not None and tests["race"]["smd"] is not None
    assert all(r["variable"] for r in exact["rows"])
    prot = _cli(capsys, *args)
    tests = {v["variable"]: v for v in prot["tests"]}
    # race: 5 missing (hidden) -> withheld; age: nothing missing, groups of 36 and 44 -> shown
    assert tests["race"] == {**tests["race"], "p": None, "test": None, "smd": None,
                             "note": NOT_SHOWN}  # fmt: skip
    assert tests["age"]["p"] == {v["variable"]: v for v in exact["tests"]}["age"]["p"]


def test_cli_csv_has_the_columns_and_the_footnotes(small_db, capsys):
    from core.cli import main

    args = ["table1", "--cohort", sc.REAL, "--db", str(small_db), "--by", "sex", "--csv"]
    assert main([*args, "--disclosure", "exact"]) == 0
    out, err = capsys.readouterr()
    assert [ln for ln in out.splitlines() if not ln.startswith("# ")][0].endswith(",p-value,SMD")
    assert any(ln.startswith("# Disclosure: exact mode") for ln in out.splitlines())
    assert "note: ᵃ " in err and "gtsummary" in err
