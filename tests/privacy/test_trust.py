"""Red team for issue 19's trust-pass outputs: the Benchmarks page's exports (forest CSV,
comparison CSV, paragraphs), the comparability warnings now also drawn over the Survival
page's overlay, and the population flags of the forest plots.

``real-60`` holds 4 lung primaries (3 died). A warning naming the view's primary sites outside
a benchmark's population would say "lung" is in view, i.e. that 1-10 lung patients are: in
protected mode no site or grade held by fewer than the threshold is named; in exact mode it is.
"""

from __future__ import annotations

from core.analyses.comparison import (
    all_benchmarks,
    cohort_label,
    cohort_measure,
    compare,
    comparison_export_frame,
    filter_benchmarks,
    forest_export_frame,
    forest_frame,
    forest_groups,
    overlay_checks,
    population_flags,
)
from core.analyses.disclosure import Mode
from core.analyses.survival import SurvivalSpec
from core.data.filters import Filters
from core.present import export
from core.present.paragraphs import benchmark_results
from tests.privacy.cohort import REAL
from tests.privacy.collect import csv_leaks, page_texts, run_page, text_leaks

VIEW = Filters(cohorts=(REAL,))
MIDGUT = "netter1-ctrl-pfs-median"  # a midgut-only population: the view's other sites differ


def _bench(ident: str):
    return next(b for b in all_benchmarks() if b.id == ident)


def _site_text(vc) -> str:
    return " ".join(w.message for w in vc.comparison.warnings)


def test_protected_warnings_name_no_site_held_by_fewer_than_the_threshold():
    protected = compare(VIEW, _bench(MIDGUT), mode=Mode.PROTECTED)
    exact = compare(VIEW, _bench(MIDGUT), mode=Mode.EXACT)
    assert "lung" in _site_text(exact)  # the 4 lung primaries, named in exact mode
    assert "lung" not in _site_text(protected) and "pancreas" in _site_text(protected)
    spec = SurvivalSpec()
    shown = overlay_checks(VIEW, spec, (MIDGUT,), mode=Mode.PROTECTED)
    assert shown and "lung" not in " ".join(w.message for c in shown for w in c.warnings)
    exact_checks = overlay_checks(VIEW, spec, (MIDGUT,), mode=Mode.EXACT)
    assert "lung" in " ".join(w.message for c in exact_checks for w in c.warnings)


def test_population_flags_do_not_reveal_a_small_site():
    """A benchmark whose population covers small bowel and pancreas but not lung is flagged
    against the view in exact mode only because of the 4 lung patients: protected mode must
    not flag it (the flag would say 1-10 lung patients are in view)."""
    ids = tuple(b.id for b in all_benchmarks() if b.population_sites)
    protected = dict(population_flags(VIEW, ids, mode=Mode.PROTECTED))
    exact = dict(population_flags(VIEW, ids, mode=Mode.EXACT))
    assert set(protected) <= set(exact)
    assert set(exact) - set(protected)  # flagged for lung alone: exact mode only


def test_benchmark_exports_show_no_small_count_in_protected_mode():
    rows = filter_benchmarks(all_benchmarks(), "all", "os")
    parts = []
    for g in forest_groups(rows):
        own = cohort_measure(VIEW, g.measure, mode=Mode.PROTECTED)
        parts.append((g.measure, forest_frame(g, own, cohort_label(VIEW, own, g.measure.unit))))
    forest_csv = export.to_csv_bytes(forest_export_frame(parts)).decode("utf-8-sig")
    assert csv_leaks(forest_csv) == [] and text_leaks(forest_csv) == []
    male = Filters(cohorts=(REAL,), sex=("female",))  # 52 women: shown, 8 men withheld
    for ident in ("kane-os-median", "kane-os-rate-60m", "kane-orr"):
        b = _bench(ident)
        vc = compare(male, b, mode=Mode.PROTECTED)
        table = export.to_csv_bytes(comparison_export_frame(vc, b)).decode("utf-8-sig")
        assert csv_leaks(table) == [], ident
        assert text_leaks(benchmark_results(vc, b)) == [], ident


def test_benchmarks_page_in_protected_mode_shows_no_small_count():
    at = run_page("pages/benchmarks.py", {"cohort": REAL, "bench": "kane-os-median"})
    assert not at.exception
    texts = [text for kind, text in page_texts(at) if kind != "DownloadButton"]
    found = [leak for text in texts for leak in text_leaks(text)]
    assert found == []
    sites = [w.value for w in at.warning if "The view includes primary sites" in w.value]
    assert not any("lung" in w.split("(benchmark:")[0] for w in sites)
