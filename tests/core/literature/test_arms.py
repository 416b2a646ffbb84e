"""Tests for core/literature/arms.py (the reconstructed arms registry) and
core/literature/digitised.py (reading digitised CSV input).

RADIANT-4 published figures (Yao et al., Lancet 2016;387:968-77): median PFS 11.0 months
(everolimus) and 3.9 months (placebo); hazard ratio 0.48 (95% CI 0.35-0.67). The shipped rows
are a reconstruction (kmdata, Guyot's algorithm): data/reconstructed/README.md gives 11.30 and
4.01 months and an unstratified Cox HR of 0.558 (95% CI 0.406-0.766) from R.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.literature.arms import (
    GUYOT_CITATION,
    KMDATA_CITATION,
    LABEL,
    arm_warnings,
    shipped_arms,
    user_arm,
    validate_user_arm,
)
from core.literature.digitised import (
    CURVE_HEADERS,
    TableFileError,
    parse_two_columns,
    reconstruct_texts,
)
from core.literature.registry import (
    BenchmarkEndpoint,
    LineOfTherapy,
    TimeOrigin,
    WarningCategory,
    WarningCode,
)
from core.stats.survival import counts_from_arrays, cox_group_hr, kaplan_meier, km_quantiles

MEDIAN_TOLERANCE = 0.5
"""Months: the reconstruction's accuracy on the medians (README: 11.30 vs 11.0, 4.01 vs 3.9)."""


@pytest.fixture(scope="module")
def arms():
    return {a.id: a for a in shipped_arms()}


def _median(arm) -> float:
    km = kaplan_meier(counts_from_arrays(arm.time, arm.event))
    return next(q for q in km_quantiles(km) if q.p == 0.5).estimate


def test_four_radiant4_arms_with_their_rows(arms):
    assert set(arms) == {
        "radiant4-everolimus-pfs",
        "radiant4-placebo-pfs",
        "radiant4-everolimus-os",
        "radiant4-placebo-os",
    }
    for a in arms.values():
        assert a.n == (205 if "everolimus" in a.id else 97)
        assert not a.time.flags.writeable and a.profile.time_origin is TimeOrigin.RANDOMISATION
    assert arms["radiant4-everolimus-os"].endpoint is BenchmarkEndpoint.OS


def test_radiant4_pfs_medians_reproduce_the_publication(arms):
    eve, pbo = arms["radiant4-everolimus-pfs"], arms["radiant4-placebo-pfs"]
    assert (eve.published_median, pbo.published_median) == (11.0, 3.9)
    assert _median(eve) == pytest.approx(eve.published_median, abs=MEDIAN_TOLERANCE)
    assert _median(pbo) == pytest.approx(pbo.published_median, abs=MEDIAN_TOLERANCE)
    assert round(_median(eve), 2) == 11.30 and round(_median(pbo), 2) == 4.01


def test_radiant4_pfs_hazard_ratio_inside_the_published_interval(arms):
    eve, pbo = arms["radiant4-everolimus-pfs"], arms["radiant4-placebo-pfs"]
    t = np.concatenate((eve.time, pbo.time))
    e = np.concatenate((eve.event, pbo.event))
    g = ["everolimus"] * eve.n + ["placebo"] * pbo.n
    hr = cox_group_hr(t, e, g, "placebo")[0]
    published, lo, hi = eve.published_hr
    assert (published, lo, hi) == (0.48, 0.35, 0.67)
    assert lo < hr.hr < hi and hr.hr == pytest.approx(0.558, abs=5e-4)
    assert pbo.published_hr == pytest.approx((1 / 0.48, 1 / 0.67, 1 / 0.35))


def test_profile_carries_what_the_comparability_checks_need(arms):
    p = arms["radiant4-everolimus-pfs"].profile
    assert p.design.value == "rct" and p.progression_required is True
    assert p.line_of_therapy is LineOfTherapy.parse("mixed") and p.population_grades
    assert arms["radiant4-placebo-os"].profile.endpoint is BenchmarkEndpoint.OS


def test_provenance_names_the_arm_as_reconstructed_with_both_citations(arms):
    text = arms["radiant4-placebo-pfs"].provenance()
    assert LABEL in text and "Lancet 2016;387:968-77" in text
    assert KMDATA_CITATION in text and GUYOT_CITATION in text
    assert arms["radiant4-placebo-pfs"].citations()[0].startswith("Yao JC")


def test_arm_warnings_not_randomised_and_reconstructed(arms):
    ws = arm_warnings(arms["radiant4-everolimus-pfs"])
    assert [w.code for w in ws] == [WarningCode.NOT_RANDOMISED, WarningCode.RECONSTRUCTED]
    assert ws[0].category is WarningCategory.BIAS and LABEL in ws[1].message


def test_user_arm_validation_and_build():
    fields = {"study": "Doe 2020", "arm": "Control", "therapy_class": "placebo",
              "design": "rct", "endpoint": "pfs", "time_origin": "randomisation",
              "citation": "PMID 123", "published_median": ""}  # fmt: skip
    profile, errors = validate_user_arm(fields)
    assert errors == [] and profile.user_added and not profile.value_not_reached
    bad, errors = validate_user_arm({**fields, "citation": "", "published_median": "-1"})
    assert bad is None and len(errors) >= 2
    arm = user_arm({**fields, "id": "user-x"}, [1.0, 2.0], [1, 0])
    assert arm.user_added and arm.n == 2 and GUYOT_CITATION in arm.reconstruction


def test_two_column_reader_names_the_line():
    with pytest.raises(TableFileError, match=r"curve\.csv, line 3: survival 'x' is not a number"):
        parse_two_columns("time,survival\n0,1\n1,x\n", "curve.csv", CURVE_HEADERS,
                          ("time", "survival"))  # fmt: skip
    a, b, lines = parse_two_columns("0,100\n\n2,80\n", "c", CURVE_HEADERS, ("time", "survival"))
    assert (a, b, lines) == ([0.0, 2.0], [100.0, 80.0], [1, 3])


def test_reconstruct_texts_maps_rows_to_file_lines():
    curve = "x,y\n0,1\n2,0.8\n\n4,0.6\n6,0.2\n8,0.9\n"  # line 7 rises: a second curve?
    with pytest.raises(TableFileError, match=r"pts\.csv, line 7"):
        reconstruct_texts(curve, "time,at_risk\n0,20\n4,10\n", curve_name="pts.csv")
    rec = reconstruct_texts("0,100\n2,80\n4,60\n", "0,20\n2,14\n")
    assert rec.n == 20
