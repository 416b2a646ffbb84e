"""Cox page exports: the forest chart, numeric CSVs with provenance, the paragraphs."""

from __future__ import annotations

import pandas as pd
import pytest

from core.analyses import cox as cx
from core.analyses import subgroups as sg
from core.analyses.disclosure import Mode
from core.data.filters import Filters
from core.present import export
from core.present.charts_forest import hr_forest, log_domain
from core.present.paragraphs_cox import (
    cox_methods,
    cox_results,
    subgroup_methods,
    subgroup_results,
)

PGEP = Filters(cohorts=("pgep-mibg-211",))


@pytest.fixture(scope="module")
def model(default_db):
    return cx.analyse(PGEP, cx.spec_from_text("sex,grade,age"), default_db, mode=Mode.EXACT)


@pytest.fixture(scope="module")
def subgroups(default_db):
    spec = sg.SubgroupSpec("treatments", ("Multiple",), by=("sex", "primary_site"))
    return sg.analyse(PGEP, spec, default_db)


def test_log_domain_fits_the_limits_with_a_margin():
    rows = pd.DataFrame({"value": [2.0], "lower": [1.5], "upper": [3.0]})
    lo, hi = log_domain(rows)
    assert lo < 1.0 < 3.0 < hi and hi < 3.5 and lo > 0.9  # includes 1, 8% of the log span
    lo, hi = log_domain(pd.DataFrame({"lower": [], "upper": []}))
    assert 0.4 < lo < 0.5 and 2.0 < hi < 2.5


def test_forest_prints_hr_text_and_renders(model):
    rows, _ = cx.forest_frame(model)
    chart = hr_forest(rows)
    spec = chart.to_dict()
    layers = spec["layer"]  # one view (it can follow a page's width), the text column beside
    assert layers[0]["encoding"]["x"]["scale"]["type"] == "log"
    assert any(ly["encoding"].get("text", {}).get("field") == "text" for ly in layers)
    svg = export.to_svg(chart)
    age = rows[rows["label"].str.startswith("Age (per year) (n=")]
    assert len(age) == 1  # age shows its n
    for t in rows.loc[rows["kind"] == "estimate", "HR (95% CI)"]:
        assert t in svg  # "HR (95% CI)" beside each point


def test_model_csv_is_numeric_with_provenance(model):
    frame = cx.export_frame(model)
    assert list(frame.columns[:8]) == ["term", "label", "coef", "se", "hr", "hr_lower",
                                       "hr_upper", "p"]  # fmt: skip
    age = frame[frame["label"] == "Age (per year)"].iloc[0]
    assert age["n"] == model.n and age["events"] == model.events
    lines = export.caption_lines(
        "sel", [], cx.methods_text(model.spec), disclosure=model.disclosure
    )
    prov, back = export.read_csv_bytes(export.to_csv_bytes(frame, lines))
    assert prov[0] == "Selection: sel" and any("Efron" in p for p in prov)
    assert back["hr"].dtype == float and back["n"].dtype.kind == "i"


def test_subgroup_csv_is_numeric(subgroups):
    frame = sg.export_frame(subgroups)
    prov, back = export.read_csv_bytes(export.to_csv_bytes(frame, ["Selection: x"]))
    assert back["hr"].dtype == float and back["interaction_p"].dtype == float
    cecum = back[back["level"] == "Cecum"].iloc[0]
    assert pd.isna(cecum["hr"]) and "not estimable" in cecum["note"]


def test_paragraphs_name_method_numbers_and_synthetic_data(model, subgroups):
    r = cox_results(model)
    assert "In a Cox model of overall survival with sex, grade, age" in r
    assert "Sex: Male" in r and "95% CI" in r and "Likelihood-ratio test" in r
    m = cox_methods(model, cohorts=[], description="sel")
    assert "Efron" in m and "cox.zph" in m and "Turn on" not in m
    sr = subgroup_results(subgroups)
    assert "Multiple vs Single" in sr and "interaction p" in sr and "exploratory" in sr
    assert "likelihood-ratio test" in subgroup_methods(subgroups, cohorts=[], description="s")
