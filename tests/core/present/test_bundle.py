"""core.present.bundle: one export bundle for the Survival page and ``report``."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import replace

import pytest

from core.analyses.disclosure import Disclosure, Mode
from core.analyses.survival import SurvivalSpec, analyse, hazard_ratios
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.present import bundle, export
from core.present.charts import km_chart

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
PGEP = Filters(cohorts=("pgep-mibg-211",))
PROTECTED = Disclosure(11, Mode.PROTECTED, True)


@pytest.fixture(scope="module")
def view(default_db):
    spec = SurvivalSpec(by="primary_site")
    analysis = analyse(PGEP, spec, default_db)
    hrs = hazard_ratios(PGEP, spec, analysis.groups[0].label, default_db)
    infos = [c for c in list_cohorts(default_db) if c.cohort_id == "pgep-mibg-211"]
    return analysis, hrs, infos


def _bundle(view, **kw):
    analysis, hrs, infos = view
    kw.setdefault("when", WHEN)
    return bundle.survival_bundle(analysis, cohorts=infos, hazard_ratios=hrs, **kw)


def test_the_bundle_names_its_files_and_the_manifest_lists_them(view):
    b = _bundle(view, link="http://h/survival?cohort=pgep-mibg-211")
    assert b.names == (
        "km.svg",
        "km.png",
        "summary.csv",
        "survival_at.csv",
        "pairwise.csv",
        "hazard_ratios.csv",
        "results.txt",
        "methods.txt",
        "manifest.json",
    )
    files = b.render()
    manifest = json.loads(files["manifest.json"])
    assert [f["name"] for f in manifest["files"]] == list(b.names[:-1])
    for entry in manifest["files"]:
        assert entry["sha256"] == export.sha256(files[entry["name"]])
    assert manifest["disclosure"] == b.disclosure.json()
    assert manifest["created_utc"] == "2026-03-04T05:06:07Z"
    assert manifest["selection"]["n_analysed"] == view[0].n_analysed
    assert files["results.txt"].decode() == b.results + "\n"
    with zipfile.ZipFile(io.BytesIO(b.zip_bytes())) as zf:
        assert sorted(zf.namelist()) == sorted(b.names)
        assert zf.read("summary.csv") == files["summary.csv"]


def test_a_page_chart_changes_only_the_figure(view):
    analysis = view[0]
    page = _bundle(view, chart=km_chart(analysis, show_ci=False), figure_stem="km_os")
    report = _bundle(view)
    assert page.names[2:] == report.names[2:] and page.names[0] == "km_os.svg"
    for name in report.names[2:-1]:
        assert page.file(name).make() == report.file(name).make(), name
    assert page.caption == report.caption


def test_every_csv_opens_with_provenance_and_the_mode(view):
    analysis, hrs, infos = view
    b = bundle.survival_bundle(
        replace(analysis, disclosure=PROTECTED), cohorts=infos, hazard_ratios=hrs, when=WHEN
    )
    assert b.tables()
    for f in b.tables():
        provenance, frame = export.read_csv_bytes(f.make())
        assert provenance[0].startswith("Selection: pgep-mibg-211 · n=")
        assert PROTECTED.stamp() in provenance and len(frame)
    assert PROTECTED.stamp() in b.caption
    assert b.results.endswith(PROTECTED.sentence()) and b.methods.endswith(PROTECTED.sentence())


def test_a_view_with_every_group_withheld_gets_a_figure_that_says_so(view):
    analysis, _hrs, infos = view
    hidden = tuple(
        replace(g, suppressed=True, km=None, quantiles=(), at=(), display=None)
        for g in analysis.groups
    )
    a = replace(analysis, groups=hidden, disclosure=PROTECTED, pairwise=(), logrank=None)
    b = bundle.survival_bundle(a, cohorts=infos, chart=km_chart(analysis), when=WHEN)
    svg = b.file("km.svg").make().decode()
    assert "No curve shown" in svg and "withheld" in svg
    png = b.file("km.png").make()
    assert min(export.png_size(png)) > 100


def test_withheld_response_counts_show_as_withheld(default_db):
    from core.analyses.responses import ResponseResult, ResponseSpec, protection
    from core.analyses.responses import analyse as response_analyse

    exact = response_analyse(PGEP, ResponseSpec(by="grade"), default_db)
    prot = protection(exact.table, PROTECTED)  # as if the synthetic cohort were real
    assert prot.hidden  # it has small grade groups
    frame = bundle.response_frame(exact.table, prot)
    assert not bundle.response_frame(exact.table).isin(["suppressed", "<11"]).any().any()
    counted = [c for c in frame.columns if c.endswith(", n (%)") or c in ("n", "Evaluable")]
    for _, row in frame.iterrows():
        for col in counted:
            v = str(row[col])
            assert v in ("<11", "suppressed") or int(v.split()[0]) >= 11 or int(v.split()[0]) == 0
    if prot.test_withheld:
        assert "p" not in frame.columns
    part = bundle.response_part(replace(exact, disclosure=PROTECTED, protection=prot))
    assert part.shown is None or all(
        g.label not in prot.hidden_rows | prot.hidden_sizes for g in part.shown.groups
    )
    refused = ResponseResult(exact.spec, PROTECTED, None, prot, "refused")
    assert bundle.response_part(refused) is None
