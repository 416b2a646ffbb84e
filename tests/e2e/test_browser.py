"""The app in a real browser: pick patients, switch pages, share a link, export a figure.

One scenario a person would follow, step by step, against ``streamlit run app.py`` on a
temporary database (see conftest.py). Between steps the test waits for the app to finish
running (driver.wait_idle: no outstanding rerun, no "Running" indicator, no stale element),
never for a fixed time. A failing step leaves screenshots in test-artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.e2e.driver import rerun_of, wait_idle


# ------------------------------------------------------------------ page helpers
def pick(page, label: str, option: str, typed: str | None = None) -> None:
    """Choose ``option`` in the sidebar multiselect labelled ``label`` (waits for the rerun).

    Types ``typed`` (default: the option) so the list holds that option alone, then clicks it:
    clicking in the full list can hit "Select all" when the list is still settling on a busy
    machine."""
    # a field's label may carry its provenance: "Grade (synthetic in pgep-mibg-211)"
    box = page.get_by_test_id("stSidebar").get_by_label(
        re.compile(rf"^{re.escape(label)}( \(.*\))?$")
    )
    with rerun_of(page):
        box.click()
        box.fill(typed or option)
        choice = page.get_by_role("option", name=option, exact=True)
        choice.wait_for()
        assert page.get_by_role("option").count() == 1, "the typed text picks one option"
        choice.click()
        page.keyboard.press("Escape")


def overview_n(page) -> int:
    heading = page.get_by_role("heading", name=re.compile(r"Baseline characteristics · n = "))
    return int(re.search(r"n = ([\d,]+)", heading.inner_text()).group(1).replace(",", ""))


def summary_rows(page) -> list[dict[str, str]]:
    """The Survival page's summary table (the first st.dataframe), header -> cell text.

    Streamlit draws tables on a canvas; the data grid also keeps an accessible copy of every
    cell (``data-testid="glide-cell-<column>-<row>"``), which is what a screen reader reads.
    """
    grid = page.get_by_test_id("stDataFrame").first
    grid.locator('[data-testid^="glide-cell-"]').first.wait_for(state="attached")
    headers = grid.locator("th").all_inner_texts()
    cells = grid.evaluate(
        """g => Array.from(g.querySelectorAll('[data-testid^="glide-cell-"]'))
               .map(c => [c.getAttribute('data-testid'), c.innerText])"""
    )
    rows: dict[int, dict[str, str]] = {}
    for testid, text in cells:
        col, row = map(int, testid.removeprefix("glide-cell-").split("-"))
        if col < len(headers):
            rows.setdefault(row, {})[headers[col]] = text
    return [rows[r] for r in sorted(rows)]


def chart_text(page) -> str:
    """Text drawn in the Kaplan-Meier chart (Vega renders to SVG here)."""
    chart = page.get_by_test_id("stVegaLiteChart").first
    svg = chart.locator("svg").first
    svg.wait_for(state="attached")
    return " ".join(svg.locator("text").all_text_contents())


def query_of(url: str) -> dict[str, list[str]]:
    return {k: ",".join(v).split(",") for k, v in parse_qs(urlsplit(url).query).items()}


MEDIAN = "Median, months (95% CI)"
MEDIAN_TEXT = re.compile(r"^(\d+\.\d \(\d+\.\d–(\d+\.\d|NR)\)|not reached.*)$")


# ------------------------------------------------------------------ the scenario
def test_filter_survival_share_and_export(new_page, app_server, steps):
    page = new_page()
    steps.pages.append(page)

    with steps("open the app"):
        page.goto(app_server.url + "/")
        wait_idle(page)
        page.get_by_role("heading", name="NET Outcomes Explorer").wait_for()
        n_first = overview_n(page)
        assert query_of(page.url).get("cohort") == ["pgep-mibg-211"]

    with steps("pick a cohort"):
        pick(page, "Cohort", "stage4-unselected-50 (synthetic)", "stage4-unselected-50")
        assert query_of(page.url)["cohort"] == ["pgep-mibg-211", "stage4-unselected-50"]
        n_two = overview_n(page)
        assert n_two == n_first + 50

    with steps("change the primary site"):
        pick(page, "Primary site", "Small bowel")
        assert query_of(page.url)["primary_site"] == ["small_bowel"]
        n_sb = overview_n(page)
        assert 0 < n_sb < n_two

    with steps("switch to Survival"):
        with rerun_of(page):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Survival").click()
        page.get_by_role("heading", name="Survival", exact=True).wait_for()
        assert urlsplit(page.url).path == "/survival"
        q = query_of(page.url)
        assert q["primary_site"] == ["small_bowel"], "the selection follows the page switch"
        before = summary_rows(page)
        assert len(before) == 1 and before[0]["Group"] == "All"
        n_before = int(before[0]["n"])
        assert 0 < n_before <= n_sb
        assert MEDIAN_TEXT.match(before[0][MEDIAN]), before[0][MEDIAN]
        assert f"n = {n_before}" in chart_text(page)
        assert page.get_by_test_id("stVegaLiteChart").locator("svg, canvas").count() >= 1

    with steps("change a filter on Survival"):
        pick(page, "Grade", "G1")
        assert query_of(page.url)["grade"] == ["G1"]
        after = summary_rows(page)
        n_after = int(after[0]["n"])
        assert 0 < n_after < n_before, "the summary table shows the narrower selection"
        assert MEDIAN_TEXT.match(after[0][MEDIAN]), after[0][MEDIAN]
        assert f"n = {n_after}" in chart_text(page), "the chart was redrawn for the selection"
        assert f"n = {n_before}" not in chart_text(page)

    with steps("open the shared link in a fresh browser context"):
        link = page.url
        shown_link = page.get_by_test_id("stCode").first.inner_text().strip()
        assert query_of(shown_link) == query_of(link), "the share link is the page's URL"
        other = new_page()
        steps.pages.append(other)
        other.goto(link)
        wait_idle(other)
        other.get_by_role("heading", name="Survival", exact=True).wait_for()
        assert summary_rows(other) == after
        assert f"n = {n_after}" in chart_text(other)
        assert query_of(other.url) == query_of(link)
        tags = other.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect")
        assert tags.filter(has_text="Grade").filter(has_text="G1").count() == 1
        assert tags.filter(has_text="Primary site").filter(has_text="Small bowel").count() == 1
        assert not other.get_by_test_id("stException").count()

    with steps("export the figure as SVG"):
        button = (
            page.get_by_test_id("stDownloadButton")
            .filter(has_text="Figure (SVG)")
            .get_by_role("button")
        )
        with page.expect_download(timeout=60_000) as info:
            button.click()
        download = info.value
        assert download.suggested_filename == "km_os.svg"
        svg = Path(download.path()).read_text(encoding="utf-8")
        assert svg.lstrip().startswith(("<svg", "<?xml")) and "</svg>" in svg
        flat = re.sub(r"\s+", " ", " ".join(re.findall(r">([^<]*)<", svg)))
        assert "Selection:" in flat
        for piece in ("pgep-mibg-211", "stage4-unselected-50", "small bowel", "G1"):
            assert piece in flat, piece
        assert f"n={n_after}" in flat.replace(" ", "") or f"n = {n_after}" in flat

    with steps("no error anywhere"):
        for p in (page, other):
            state = wait_idle(p)
            assert state["exceptions"] == [] and state["errors"] == [], state


def test_hostile_link_shows_notices_not_a_traceback(new_page, app_server, steps):
    page = new_page()
    steps.pages.append(page)
    with steps("open a link with hostile values"):
        page.goto(
            app_server.url
            + "/survival?cohort=pgep-mibg-211&grade=G9&primary_site=%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E"
            "&age_min=abc&endpoint=dfs&lm_months=999&bogus=1"
        )
        state = wait_idle(page)
        page.get_by_role("heading", name="Survival", exact=True).wait_for()
        warnings = " ".join(page.get_by_test_id("stAlertContentWarning").all_inner_texts())
        for shown in (
            "grade='G9'",
            "age_min='abc'",
            "endpoint='dfs'",
            "lm_months='999'",
            "'bogus'",
        ):
            assert shown in warnings, shown
        assert "primary_site=" in warnings
        assert state["exceptions"] == [] and state["errors"] == [], state
        assert page.get_by_test_id("stException").count() == 0
        assert page.evaluate("() => window.__xss === undefined"), "markup in a link never runs"
        rows = summary_rows(page)
        assert rows and int(rows[0]["n"]) > 0, "the page falls back to a valid view"
    with steps("open a link naming a cohort that is not in the database"):
        page.goto(app_server.url + "/survival?cohort=nope%27%3B--&grade=G1")
        state = wait_idle(page)
        errors = " ".join(page.get_by_test_id("stAlertContentError").all_inner_texts())
        assert "not in this database" in errors and "No figures are shown" in errors
        assert state["exceptions"] == [] and page.get_by_test_id("stException").count() == 0
        assert page.get_by_test_id("stVegaLiteChart").count() == 0, "no other cohort's figures"


def test_a_deep_link_after_start_up_goes_through_app_py(browser, e2e_db, tmp_path):
    """The first visitor of a fresh server follows a shared link to /survival: the page must
    still run inside the app shell (login gate, database guard, the app's navigation), not as
    a bare script of Streamlit's legacy pages-folder mode."""
    from pages._shell import PAGE_SPECS
    from tests.e2e.driver import StreamlitServer, monitor_script

    expected = {"" if default else url for _, _, _, url, default in PAGE_SPECS}
    server = StreamlitServer(e2e_db, tmp_path / "streamlit.log").start()
    try:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.add_init_script(monitor_script())
        page = ctx.new_page()
        page.goto(server.url + "/survival")  # the first visitor follows a shared link
        wait_idle(page)
        page.get_by_role("heading", name="Survival", exact=True).wait_for()
        sidebar = page.get_by_test_id("stSidebar").inner_text()
        links = page.get_by_test_id("stSidebarNav").get_by_role("link")
        paths = {urlsplit(h).path.strip("/") for h in links.evaluate_all("a => a.map(x => x.href)")}
        ctx.close()
    finally:
        server.stop()
    # app.py writes this caption under the navigation; the gate runs just before it
    assert "radionuclide therapy outcomes" in sidebar, "app.py did not run"
    assert paths == expected, paths
