"""Adversarial disclosure suite (issue 14): attacks on every output path, on imported cohorts.

Data (``cohort.py``): a 120-patient synthetic cohort (exempt) plus two *imported* cohorts built
by code with a fixed seed and written through the real importer (``python -m core import``):
``real-60`` with planted small cells (8 men, 4 lung primaries, one patient aged 67 who died
and nobody aged 65-66, 3 G3 + 2 missing grades, 6 with multiple treatments, 2 CR, 2 NE,
3 missing symptomatic responses, 2 missing diagnosis dates, 4 OS times under 3 months) and
``tiny-8``, a whole cohort of 8.

Output paths (``outputs.py``; run once each, in protected mode with
``NET_EXPLORER_DISCLOSURE`` unset, and in exact mode where a test needs it):

- 65 CLI invocations in-process: ``cohorts``, ``table1``, ``survival``, ``responses``,
  ``cox``, ``compare`` (text, ``--json``, ``--csv``; groupings, landmark, from diagnosis,
  days, filters, the tiny cohort), plus 3 through ``python -m core`` in a fresh process;
- 4 ``report`` folders (every CSV, txt, json and svg file: about 40 files);
- 32 page views through AppTest (Overview, Survival, Response, Cox, Benchmarks, Import,
  Dictionary): markdown, captions, metrics, tables, widget text, chart titles and the
  datasets sent to the Vega-Lite frontend.

That is about 140 protected output paths; with the exact-mode runs the differencing and mode
tests need, a run executes about 180 outputs. The terminal summary prints the numbers of each
run. Attacks: 42 attack families (test functions), 263 attack cases (parametrised tests).

Not covered: the Survival page's deferred download buttons (figures and CSVs are rendered
on click, which AppTest cannot do); they share the export code the ``report`` folder uses.

Attack families:

``test_scan.py``
    count-shaped text ("n = 6", "6 of 60", "(6)", "6/60", "6 patients", "O = 6", "2 (3.3%)"),
    count-named JSON members 1..10, statistics of a hidden group, percentages of a hidden cell,
    notes narrowing "<11" ("fewer than 5"), count columns of tables and aligned text tables.
``test_differencing.py``
    Table 1 split columns vs All, "Single" from "Multiple", hidden "Missing" from percentages,
    a hidden column size from percentages; a hidden Cox level from the model total; counts side
    by side (n_selected - n); hazard ratio / pairwise / log-rank rows for suppressed groups
    (pages, report CSVs, Cox page and forest chart); two allowed views differing by 1..10
    (age 67 vs 68, age bands 65 vs 70, a sweep of nested age bounds, all sites vs all but
    lung, pancreas vs pancreas+lung, G1 vs G1+G3, landmark and from-diagnosis exclusions;
    CLI and pages); query-set
    restriction; KM deaths per step from tooltips, whole-month steps, curves stopping where
    fewer than 11 remain at risk, censor ticks, Cox residual points, swimmer lanes; medians
    and quantiles to whole months and not from the hidden tail; response categories derived
    from ORR/DCR/evaluable arithmetic; All-row margins of grouped response tables; overall n
    and events minus the shown groups of a grouped view.
``test_modes.py``
    exact mode (``--disclosure exact`` and the environment) shows the planted counts and the
    scanner finds them; every JSON, report file and page states its mode; the page cache and
    the URL cannot carry exact figures to a protected viewer; protected statistics equal exact.
"""
