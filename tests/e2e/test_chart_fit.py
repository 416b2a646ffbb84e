"""Charts fit an 800 px window with the sidebar open (issue 19, item 16).

Each analysis page is opened in Chromium at 800 x 900 CSS pixels with the sidebar expanded;
every drawn chart (Vega's SVG) must be no wider than the element that holds it and end inside
it, no text of it may run past that element (a legend or label cut off at the edge), and
neither the document nor Streamlit's main column may scroll sideways.
"""

from __future__ import annotations

import pytest

from tests.e2e.driver import wait_idle

C = "cohort=pgep-mibg-211"
PAGES = {  # name: (link, charts drawn at least)
    "survival": (f"/survival?{C}", 1),
    "survival-overlay": (
        f"/survival?{C}&overlay=netter1-ctrl-os-median-2016,promid-oct-os-median-longterm",
        1,
    ),
    "survival-groups": (
        f"/survival?{C}&grp1=Grade%201&grp1.cohort=pgep-mibg-211&grp1.grade=G1"
        "&grp2=Grade%202-3&grp2.cohort=pgep-mibg-211&grp2.grade=G2,G3",
        1,
    ),
    "survival-cif-arm": (f"/survival?{C}&cif=1&arm=radiant4-placebo-os", 3),
    "response": (f"/response?{C}", 2),
    "response-swimmer": ("/response?cohort=ia-hepatic-6", 2),
    "cox": (f"/cox?{C}", 2),
    "benchmarks": (f"/benchmarks?{C}", 7),
}

MEASURE_JS = """() => {
  const box = (el) => el.getBoundingClientRect();
  const main = document.querySelector('[data-testid="stMain"]');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const charts = [];
  for (const el of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const drawn = el.querySelector('svg.marks, canvas.marks, svg, canvas');
    if (!drawn || box(el).width === 0) continue;  // not drawn (a closed expander or tab)
    const holder = el.closest('[data-testid="stElementContainer"]') || el.parentElement;
    const hb = box(holder);
    const outside = Array.from(drawn.querySelectorAll('text'))
      .filter(t => t.textContent.trim() && box(t).width > 0
              && (box(t).right > hb.right + 2 || box(t).left < hb.left - 2))
      .map(t => [t.textContent.slice(0, 40), Math.round(box(t).left), Math.round(box(t).right)]);
    charts.push({
      name: (drawn.getAttribute('aria-label') || '').slice(0, 70), outside,
      chart_left: box(drawn).left, chart_right: box(drawn).right, chart_w: box(drawn).width,
      box_left: box(holder).left, box_right: box(holder).right, box_w: box(holder).width,
      scroll_w: el.scrollWidth, client_w: el.clientWidth,
    });
  }
  return {
    doc_scroll: document.documentElement.scrollWidth,
    doc_client: document.documentElement.clientWidth,
    main_scroll: main ? main.scrollWidth : 0,
    main_client: main ? main.clientWidth : 0,
    sidebar_w: sidebar ? box(sidebar).width : 0,
    charts,
  };
}"""


def measure(page, n_charts: int) -> dict:
    """Wait until the page shows at least ``n_charts`` charts, all drawn; measure them."""
    page.wait_for_function(
        """n => {
          const all = Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'));
          return all.length >= n && all.every(el => el.querySelector('svg, canvas'));
        }""",
        arg=n_charts,
        timeout=60_000,
    )
    page.wait_for_timeout(400)  # Vega's resize pass after the container's width is known
    return page.evaluate(MEASURE_JS)


@pytest.mark.parametrize("name", list(PAGES))
def test_charts_fit_an_800px_window_with_the_sidebar_open(new_page, app_server, steps, name):
    page = new_page()
    steps.pages.append(page)
    page.set_viewport_size({"width": 800, "height": 900})
    with steps(f"open {name}"):
        link, n_charts = PAGES[name]
        page.goto(app_server.url + link)
        state = wait_idle(page)
        assert state["exceptions"] == [], state
        got = measure(page, n_charts)
    with steps(f"measure {name}"):
        assert got["sidebar_w"] >= 250, f"the sidebar is open: {got}"
        assert len(got["charts"]) >= n_charts, f"charts drawn on {name}: {got['charts']}"
        too_wide = [
            c
            for c in got["charts"]
            if c["chart_w"] > c["box_w"] + 1
            or c["chart_right"] > c["box_right"] + 1
            or c["chart_left"] < c["box_left"] - 1
            or c["scroll_w"] > c["client_w"] + 1
            or c["outside"]  # text cut off at the chart's edge
        ]
        assert not too_wide, f"charts wider than their container on {name}: {too_wide}"
        assert got["doc_scroll"] <= got["doc_client"], got
        assert got["main_scroll"] <= got["main_client"], got
