"""core.present.bundle: one export bundle for the Survival page and ``report``."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import replace

import pandas as pd
import pytest

from core.analyses.disclosure import Disclosure, Mode
from core.analyses.survival import SurvivalSpec, analyse, hazard_ratios
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.present import bundle, export
from core.present.charts import km_chart
from core.vocab.methods import DAYS_PER_MONTH, TIME_UNIT_DAYS, TimeUnit

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
        "effects.csv",
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


# ------------------------------------------------------------------ numeric tables (issue 19 #12)
def _read(b, name):
    return export.read_csv_bytes(b.file(name).make())


def _same(value, expected) -> bool:
    if expected is None:
        return pd.isna(value)
    return float(value) == pytest.approx(float(expected), rel=1e-12, abs=1e-12)


def test_survival_csvs_are_numeric_and_equal_the_analysis(view):
    analysis, hrs, _infos = view
    b = _bundle(view)
    s = TIME_UNIT_DAYS[TimeUnit.MONTHS]

    _, summary = _read(b, "summary.csv")
    for col in ("n", "events", "median", "median_lower", "median_upper", "rmst", "rmst_upper"):
        assert pd.api.types.is_numeric_dtype(summary[col]), col
    assert set(summary["unit"]) == {"months"}
    assert list(summary["group"]) == [g.label for g in analysis.groups]
    for (_, row), g in zip(summary.iterrows(), analysis.groups, strict=True):
        assert row["n"] == g.n and row["events"] == g.events
        q = {round(x.p, 2): x for x in g.quantiles}
        for name, p in (("median", 0.5), ("percentile25", 0.25), ("percentile75", 0.75)):
            for suffix, attr in (("", "estimate"), ("_lower", "lower"), ("_upper", "upper")):
                v = getattr(q[p], attr)
                assert _same(row[name + suffix], None if v is None else v / s), name + suffix
        for col, attr in (("rmst", "estimate"), ("rmst_lower", "lower"), ("rmst_upper", "upper")):
            v = None if g.rmst is None else getattr(g.rmst, attr) / s
            assert _same(row[col], v), col
    assert summary["rmst"].notna().any()

    _, at = _read(b, "survival_at.csv")
    for col in ("time", "survival", "lower", "upper", "at_risk"):
        assert pd.api.types.is_numeric_dtype(at[col]), col
    expected = [(g.label, a) for g in analysis.groups for a in g.at]
    assert len(at) == len(expected)
    for (_, row), (label, a) in zip(at.iterrows(), expected, strict=True):
        assert row["group"] == label and row["at_risk"] == a.n_risk
        assert _same(row["time"], a.time / s) and _same(row["survival"], a.surv)
        assert _same(row["lower"], a.lower) and _same(row["upper"], a.upper)

    _, pw = _read(b, "pairwise.csv")
    assert all(pd.api.types.is_numeric_dtype(pw[c]) for c in ("chi2", "df", "p", "p_holm"))
    for (_, row), p in zip(pw.iterrows(), analysis.pairwise, strict=True):
        assert (row["group_a"], row["group_b"]) == (p.a, p.b) and row["df"] == 1
        assert _same(row["chi2"], p.chi2) and _same(row["p"], p.p) and _same(row["p_holm"], p.p_adj)

    _, hr = _read(b, "hazard_ratios.csv")
    assert all(pd.api.types.is_numeric_dtype(hr[c]) for c in ("hr", "lower", "upper", "p"))
    assert set(hr["reference"]) == {hrs.reference}
    for (_, row), h in zip(hr.iterrows(), hrs.rows, strict=True):
        assert row["group"] == h.label
        assert _same(row["hr"], h.hr) and _same(row["lower"], h.lower)
        assert _same(row["upper"], h.upper) and _same(row["p"], h.p)


def test_times_given_in_days_are_written_in_days(default_db):
    spec = SurvivalSpec(times_months=(12.0,), times_in_days=(365.0,))
    analysis = analyse(PGEP, spec, default_db)
    b = bundle.survival_bundle(analysis, cohorts=[], unit=TimeUnit.DAYS, when=WHEN)
    _, at = _read(b, "survival_at.csv")
    assert list(at["time"]) == [365.0] and set(at["unit"]) == {"days"}


def test_every_csv_carries_selection_data_method_mode_date_and_link(view, default_db):
    from core.analyses.responses import ResponseSpec
    from core.analyses.responses import analyse as response_analyse
    from core.analyses.table1 import baseline_table

    analysis, hrs, infos = view
    link = "http://h/survival?cohort=pgep-mibg-211&by=primary_site"
    part = bundle.response_part(response_analyse(PGEP, ResponseSpec(), default_db))
    t1 = baseline_table(PGEP, None, path=default_db)
    b = bundle.survival_bundle(
        replace(analysis, disclosure=PROTECTED),  # a mode stamp to state
        cohorts=infos,
        hazard_ratios=hrs,
        link=link,
        responses=[part],
        table1=t1,
        when=WHEN,
    )
    assert b.disclosure.stamp()
    names = {f.name for f in b.tables()}
    assert {"summary.csv", "survival_at.csv", "pairwise.csv", "hazard_ratios.csv"} <= names
    assert {"responses_imaging.csv", "table1.csv"} <= names
    for f in b.tables():
        provenance, _ = export.read_csv_bytes(f.make())
        assert provenance[0].startswith("Selection: pgep-mibg-211"), f.name
        assert any(ln.startswith("Data: pgep-mibg-211 version") for ln in provenance), f.name
        assert f"Method: {bundle.method_line(analysis.spec)}" in provenance, f.name
        assert b.disclosure.stamp() in provenance, f.name
        assert "Exported 2026-03-04T05:06:07Z from" in " ".join(provenance), f.name
        assert f"Link: {link}" in provenance, f.name


def test_protected_csvs_keep_withheld_counts_as_text_and_say_so(view):
    analysis, hrs, infos = view
    p = replace(analysis, disclosure=PROTECTED)
    b = bundle.survival_bundle(p, cohorts=infos, hazard_ratios=hrs, when=WHEN)
    for f in b.tables():
        provenance, _ = export.read_csv_bytes(f.make())
        assert bundle.counts_note(PROTECTED) in provenance, f.name
    exact = _bundle(view)
    for f in exact.tables():
        provenance, _ = export.read_csv_bytes(f.make())
        assert not any("withheld under disclosure" in ln for ln in provenance), f.name


def test_a_quantile_past_the_shown_curve_goes_in_its_own_column(view):
    from core.analyses.survival import ShownQuantile

    analysis, _hrs, infos = view
    g = analysis.groups[0]
    end = 20 * DAYS_PER_MONTH
    beyond = ShownQuantile(0.5, None, None, None, beyond=end)
    upper_beyond = ShownQuantile(0.25, 6 * DAYS_PER_MONTH, 3 * DAYS_PER_MONTH, None, beyond=end)
    shown = replace(g, quantiles=(upper_beyond, beyond))
    a = replace(analysis, groups=(shown, *analysis.groups[1:]), disclosure=PROTECTED)
    b = bundle.survival_bundle(a, cohorts=infos, when=WHEN)
    _, summary = _read(b, "summary.csv")
    row = summary.iloc[0]
    assert pd.isna(row["median"]) and row["median_beyond"] == pytest.approx(20.0)
    assert row["percentile25"] == pytest.approx(6.0) and pd.isna(row["percentile25_upper"])
    assert row["percentile25_beyond"] == pytest.approx(20.0)
    assert pd.api.types.is_numeric_dtype(summary["median_beyond"])


def test_the_default_figure_is_drawn_only_when_a_figure_file_is_made(view, monkeypatch):
    drawn = []
    plain = bundle.km_chart
    monkeypatch.setattr(bundle, "km_chart", lambda *a, **k: drawn.append(1) or plain(*a, **k))
    b = _bundle(view, clean=True)  # no page figure given: the report's own
    assert drawn == []  # the outline of a view costs no figure
    o = bundle.outline(b)
    assert [f[0] for f in o.files] == [f.name for f in b.files]
    assert (o.results, o.methods) == (b.results, b.methods)
    b.file("km_clean.json").make()
    assert drawn == []
    b.file("km.svg").make()
    b.file("km.svg").make()
    assert drawn == [1]  # drawn once, for every figure file of the bundle
