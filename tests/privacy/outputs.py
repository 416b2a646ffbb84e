"""The catalogue of output paths the adversarial suite scans, and a memo that runs each once.

Every entry is one output path (CLI command + options, or page + URL). ``report`` entries
expand into one path per file written. Ids are stable so a failure names the path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.privacy.cohort import REAL, TINY
from tests.privacy.collect import (
    disclosure_env,
    page_charts,
    page_tables,
    page_texts,
    report_files,
    run_cli,
    run_page,
)

SEL = ["--cohort", REAL]

CLI_CASES: dict[str, list[str]] = {
    # cohorts (no selection; lists sizes)
    "cohorts": ["cohorts"],
    "cohorts --json": ["cohorts", "--json"],
    # Table 1
    "table1": ["table1", *SEL],
    "table1 --csv": ["table1", *SEL, "--csv"],
    "table1 --by sex": ["table1", *SEL, "--by", "sex"],
    "table1 --by primary_site --csv": ["table1", *SEL, "--by", "primary_site", "--csv"],
    "table1 --by grade --csv": ["table1", *SEL, "--by", "grade", "--csv"],
    "table1 --by n_treatments_group --csv": ["table1", *SEL, "--by", "n_treatments_group", "--csv"],
    "table1 tiny-8": ["table1", "--cohort", TINY],
    # survival
    "survival": ["survival", *SEL],
    "survival --json": ["survival", *SEL, "--json"],
    "survival --by sex": ["survival", *SEL, "--by", "sex"],
    "survival --by sex --json": ["survival", *SEL, "--by", "sex", "--json"],
    "survival --by primary_site": ["survival", *SEL, "--by", "primary_site"],
    "survival --by primary_site --json": ["survival", *SEL, "--by", "primary_site", "--json"],
    "survival --by grade --json": ["survival", *SEL, "--by", "grade", "--json"],
    "survival --by treatments --json": ["survival", *SEL, "--by", "treatments", "--json"],
    "survival --by imaging_response --landmark 3 --json": [
        "survival",
        *SEL,
        "--by",
        "imaging_response",
        "--landmark",
        "3",
        "--json",
    ],
    "survival --landmark 3": ["survival", *SEL, "--landmark", "3"],
    "survival --landmark 3 --json": ["survival", *SEL, "--landmark", "3", "--json"],
    "survival --origin diagnosis": ["survival", *SEL, "--origin", "diagnosis"],
    "survival --origin diagnosis --json": ["survival", *SEL, "--origin", "diagnosis", "--json"],
    "survival --time-unit days --times 30,91,365 --json": [
        "survival",
        *SEL,
        "--time-unit",
        "days",
        "--times",
        "30,91,365",
        "--json",
    ],
    "survival --endpoint pfs_imaging --by sex --json": [
        "survival",
        *SEL,
        "--endpoint",
        "pfs_imaging",
        "--by",
        "sex",
        "--json",
    ],
    "survival tiny-8 --json": ["survival", "--cohort", TINY, "--json"],
    "survival sex=male --json": ["survival", *SEL, "--filter", "sex=male", "--json"],
    "survival age_min=67 --json": ["survival", *SEL, "--filter", "age_min=67", "--json"],
    "survival age_min=68 --json": ["survival", *SEL, "--filter", "age_min=68", "--json"],
    "survival age_max=66 --json": ["survival", *SEL, "--filter", "age_max=66", "--json"],
    "survival age_max=67 --json": ["survival", *SEL, "--filter", "age_max=67", "--json"],
    "survival age_min=65 --json": ["survival", *SEL, "--filter", "age_min=65", "--json"],
    "survival age_min=70 --json": ["survival", *SEL, "--filter", "age_min=70", "--json"],
    "survival primary_site=pancreas --json": [
        "survival",
        *SEL,
        "--filter",
        "primary_site=pancreas",
        "--json",
    ],
    "survival primary_site=pancreas,lung --json": [
        "survival",
        *SEL,
        "--filter",
        "primary_site=pancreas,lung",
        "--json",
    ],
    "survival grade=G1 --json": ["survival", *SEL, "--filter", "grade=G1", "--json"],
    "survival grade=G1,G3 --json": ["survival", *SEL, "--filter", "grade=G1,G3", "--json"],
    "survival sites-but-lung --json": [
        "survival",
        *SEL,
        "--filter",
        "primary_site=small_bowel,pancreas",
        "--json",
    ],
    "survival sites-but-lung": ["survival", *SEL, "--filter", "primary_site=small_bowel,pancreas"],
    # responses
    "responses": ["responses", *SEL],
    "responses --json": ["responses", *SEL, "--json"],
    "responses --by sex": ["responses", *SEL, "--by", "sex"],
    "responses --by sex --json": ["responses", *SEL, "--by", "sex", "--json"],
    "responses --by primary_site --json": ["responses", *SEL, "--by", "primary_site", "--json"],
    "responses --domain symptomatic --json": [
        "responses",
        *SEL,
        "--domain",
        "symptomatic",
        "--json",
    ],
    "responses --domain symptomatic --denominator all": [
        "responses",
        *SEL,
        "--domain",
        "symptomatic",
        "--denominator",
        "all",
    ],
    "responses --denominator all --json": ["responses", *SEL, "--denominator", "all", "--json"],
    "responses tiny-8 --json": ["responses", "--cohort", TINY, "--json"],
    # Cox
    "cox sex,grade": ["cox", *SEL, "--covariates", "sex,grade"],
    "cox sex,grade --json": ["cox", *SEL, "--covariates", "sex,grade", "--json"],
    "cox sex,prior_ssa": ["cox", *SEL, "--covariates", "sex,prior_ssa"],
    "cox sex,prior_ssa --json": ["cox", *SEL, "--covariates", "sex,prior_ssa", "--json"],
    "cox prior_ssa,age --json": ["cox", *SEL, "--covariates", "prior_ssa,age", "--json"],
    "cox primary_site,age --json": ["cox", *SEL, "--covariates", "primary_site,age", "--json"],
    "cox treatments,prior_ssa --json": [
        "cox",
        *SEL,
        "--covariates",
        "treatments,prior_ssa",
        "--json",
    ],
    "cox prior_ssa --landmark 3 --json": [
        "cox",
        *SEL,
        "--covariates",
        "prior_ssa",
        "--landmark",
        "3",
        "--json",
    ],
    "cox prior_ssa --origin diagnosis": [
        "cox",
        *SEL,
        "--covariates",
        "prior_ssa",
        "--origin",
        "diagnosis",
    ],
    "cox tiny-8 --json": ["cox", "--cohort", TINY, "--covariates", "sex", "--json"],
}
"""CLI output paths (``--db`` is added); compare and report paths are added below."""

COMPARE_KINDS = ("os-median", "orr", "cr", "pfs-rate")
REPORT_CASES: dict[str, list[str]] = {
    "report": [],
    "report --by sex": ["--by", "sex"],
    "report --by primary_site": ["--by", "primary_site"],
    "report --landmark 3": ["--landmark", "3"],
}

PAGE_CASES: dict[str, tuple[str, dict[str, str]]] = {
    "overview (all cohorts)": ("pages/overview.py", {}),
    "overview real-60": ("pages/overview.py", {"cohort": REAL}),
    "overview split=sex": ("pages/overview.py", {"cohort": REAL, "split": "sex"}),
    "overview split=n_treatments_group": (
        "pages/overview.py",
        {"cohort": REAL, "split": "n_treatments_group"},
    ),
    "overview tiny-8": ("pages/overview.py", {"cohort": TINY}),
    "overview groups": (  # two groups of at least 11, each holding cells of 1-10
        "pages/overview.py",
        {
            "cohort": REAL,
            "grp1": "Pancreas",
            "grp1.primary_site": "pancreas",
            "grp1.cohort": REAL,
            "grp2": "Small bowel",
            "grp2.primary_site": "small_bowel",
            "grp2.cohort": REAL,
        },
    ),  # fmt: skip
    "survival": ("pages/survival.py", {"cohort": REAL}),
    "survival by=sex": ("pages/survival.py", {"cohort": REAL, "by": "sex"}),
    "survival by=sex cif": ("pages/survival.py", {"cohort": REAL, "by": "sex", "cif": "1"}),
    "survival cif": ("pages/survival.py", {"cohort": REAL, "cif": "1"}),
    "survival groups": (  # two groups of at least 11 (men, 8, would refuse the whole view)
        "pages/survival.py",
        {
            "cohort": REAL,
            "grp1": "Pancreas",
            "grp1.primary_site": "pancreas",
            "grp1.cohort": REAL,
            "grp2": "Small bowel",
            "grp2.primary_site": "small_bowel",
            "grp2.cohort": REAL,
        },
    ),  # fmt: skip
    "survival by=primary_site": ("pages/survival.py", {"cohort": REAL, "by": "primary_site"}),
    "survival landmark": (
        "pages/survival.py",
        {"cohort": REAL, "by": "imaging_response", "lm": "1"},
    ),
    "survival origin=diagnosis": ("pages/survival.py", {"cohort": REAL, "origin": "diagnosis"}),
    "survival age_min=67": ("pages/survival.py", {"cohort": REAL, "age_min": "67"}),
    "survival age_min=68": ("pages/survival.py", {"cohort": REAL, "age_min": "68"}),
    "survival sites-but-lung": (
        "pages/survival.py",
        {"cohort": REAL, "primary_site": "small_bowel,pancreas"},
    ),
    "survival age_min=70": ("pages/survival.py", {"cohort": REAL, "age_min": "70"}),
    "survival pancreas": ("pages/survival.py", {"cohort": REAL, "primary_site": "pancreas"}),
    "survival pancreas,lung": (
        "pages/survival.py",
        {"cohort": REAL, "primary_site": "pancreas,lung"},
    ),
    "overview pancreas": ("pages/overview.py", {"cohort": REAL, "primary_site": "pancreas"}),
    "overview pancreas,lung": (
        "pages/overview.py",
        {"cohort": REAL, "primary_site": "pancreas,lung"},
    ),
    "response": ("pages/response.py", {"cohort": REAL}),
    "response rby=sex": ("pages/response.py", {"cohort": REAL, "rby": "sex"}),
    "response symptomatic": ("pages/response.py", {"cohort": REAL, "domain": "symptomatic"}),
    "response groups": (
        "pages/response.py",
        {
            "cohort": REAL,
            "grp1": "G1",
            "grp1.grade": "G1",
            "grp1.cohort": REAL,
            "grp2": "G2",
            "grp2.grade": "G2",
            "grp2.cohort": REAL,
        },
    ),  # fmt: skip
    "response groups overlapping": (
        "pages/response.py",
        {
            "cohort": REAL,
            "grp1": "All",
            "grp1.cohort": REAL,
            "grp2": "G1",
            "grp2.grade": "G1",
            "grp2.cohort": REAL,
        },
    ),  # fmt: skip
    "cox": ("pages/cox.py", {"cohort": REAL}),
    "cox primary_site": ("pages/cox.py", {"cohort": REAL, "covariates": "primary_site,age"}),
    "cox sex,prior_ssa": ("pages/cox.py", {"cohort": REAL, "covariates": "sex,prior_ssa"}),
    "cox prior_ssa,age": ("pages/cox.py", {"cohort": REAL, "covariates": "prior_ssa,age"}),
    "benchmarks": ("pages/benchmarks.py", {"cohort": REAL}),
    "benchmarks all cohorts": ("pages/benchmarks.py", {}),
    "benchmarks bench=netter1-lu177-orr": (
        "pages/benchmarks.py",
        {"cohort": REAL, "bench": "netter1-lu177-orr"},
    ),
    "overview split=primary_site": ("pages/overview.py", {"cohort": REAL, "split": "primary_site"}),
    "response rby=primary_site": ("pages/response.py", {"cohort": REAL, "rby": "primary_site"}),
    "import (log of imports)": ("pages/import.py", {}),
    "dictionary": ("pages/dictionary.py", {}),
}


@dataclass
class PageRun:
    texts: list[tuple[str, str]]
    charts: list[dict[str, Any]]
    tables: list[Any]


@dataclass
class Outputs:
    """Runs each output path at most once per mode and keeps what it produced."""

    db: Path
    tmp: Path
    _cli: dict[tuple[str, str | None], tuple[int, str, str]] = field(default_factory=dict)
    _pages: dict[tuple[str, str | None], PageRun] = field(default_factory=dict)
    _reports: dict[tuple[str, str | None], tuple[int, str, list[tuple[str, str]]]] = field(
        default_factory=dict
    )
    _bench: dict[str, str] | None = None

    # CLI -------------------------------------------------------------------------------
    def argv(self, case: str) -> list[str]:
        if case.startswith("compare "):
            kind, _, fmt = case.removeprefix("compare ").partition(" ")
            bench = self.benchmarks().get(kind)
            argv = ["compare", *SEL, "--benchmark", bench or f"no-{kind}-benchmark"]
            return [*argv, "--json"] if fmt == "--json" else argv
        return list(CLI_CASES[case])

    def cli(self, case: str, mode: str | None = None, argv: list[str] | None = None):
        key = (case, mode)
        if key not in self._cli:
            args = list(argv) if argv is not None else self.argv(case)
            args[1:1] = ["--db", str(self.db)]
            self._cli[key] = run_cli(args, mode)
        return self._cli[key]

    def cli_json(self, case: str, mode: str | None = None) -> Any:
        rc, out, err = self.cli(case, mode)
        assert rc == 0, f"{case}: exit {rc}\n{err[-2000:]}"
        return json.loads(out)

    def benchmarks(self) -> dict[str, str]:
        """Benchmark ids to compare with, found by what they measure (ids may change)."""
        if self._bench is None:
            rc, out, _ = run_cli(["benchmarks", "--json"])
            rows = json.loads(out) if rc == 0 and out.strip() else []
            pick: dict[str, str] = {}
            for r in rows:
                ep, stat = str(r.get("endpoint")), str(r.get("statistic"))
                if "os-median" not in pick and ep == "os" and stat == "median":
                    pick["os-median"] = r["id"]
                if ep in ("orr", "cr") and ep not in pick:
                    pick[ep] = r["id"]
                if "pfs-rate" not in pick and ep == "pfs" and stat in ("rate", "landmark"):
                    pick["pfs-rate"] = r["id"]
            self._bench = pick
        return self._bench

    # report ----------------------------------------------------------------------------
    def report(self, case: str, mode: str | None = None):
        key = (case, mode)
        if key not in self._reports:
            out = self.tmp / f"report-{len(self._reports)}"
            argv = ["report", "--db", str(self.db), *SEL, *REPORT_CASES[case], "--out", str(out)]
            rc, stdout, err = run_cli(argv, mode)
            self._reports[key] = (rc, stdout + err, report_files(out))
        return self._reports[key]

    # pages -----------------------------------------------------------------------------
    def page(self, case: str, mode: str | None = None) -> PageRun:
        key = (case, mode)
        if key not in self._pages:
            page, query = PAGE_CASES[case]
            with disclosure_env(mode):
                at = run_page(page, query)
                self._pages[key] = PageRun(page_texts(at), page_charts(at), page_tables(at))
            from core.data.db import close_all

            close_all()
        return self._pages[key]


def cli_case_ids() -> list[str]:
    ids = list(CLI_CASES)
    for kind in COMPARE_KINDS:
        ids += [f"compare {kind}", f"compare {kind} --json"]
    return ids
