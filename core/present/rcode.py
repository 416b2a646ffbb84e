"""R code that reproduces a survival view from its analysis data set.

The script reads the CSV written by :func:`analysis_csv` (``# `` provenance lines, then one row
per patient: ``group``, ``entry_days``, ``exit_days``, ``status``) and fits with R's ``survival``
exactly what the page shows: the Kaplan-Meier curves with the page's confidence-interval
transform, survival at the page's times, medians, the log-rank test (the Cox score test under
delayed entry, where ``survdiff`` does not apply), hazard ratios against the page's reference
group (Cox, Efron ties), the restricted mean survival time and median follow-up (reverse
Kaplan-Meier). Times are fitted in days; months are days / 30.4375, as in the app.

The tests run this script with ``Rscript`` on exported data and compare every number with the
app's (tests/core/present/test_rcode.py).

:func:`cox_script` does the same for the Cox page: ``coxph`` with the app's covariates,
reference levels, steps, interaction, strata and ties, then ``cox.zph``, from the rows of
:func:`core.analyses.rdata.cox_data` (tests/core/present/test_rcode_cox.py).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import pandas as pd

from core.analyses.cox import COVARIATES, CoxAnalysis, has_delayed_entry
from core.vocab.methods import DAYS_PER_MONTH, ConfType, Ties

DATA_FILE = "analysis_data.csv"
SCRIPT_FILE = "reproduce.R"


def _r_string(s: str) -> str:
    """A double-quoted R string literal (backslashes and quotes escaped, no raw newlines)."""
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{out}"'


def _r_num(x: float) -> str:
    """A number as R reads it back exactly (shortest round-trip repr)."""
    return repr(float(x))


def _comment(lines: Sequence[str]) -> str:
    return "".join(f"# {ln}\n".replace("\r", " ") for ln in lines)


def _opening(what: str, title: str, provenance: Sequence[str]) -> list[str]:
    """The lines every script opens with: what it reproduces, the title, the provenance."""
    return [
        f"# R code reproducing a NET Outcomes Explorer {what}.",
        f"# {title}".replace("\n", " "),
        _comment(provenance).rstrip("\n"),
    ]


def _read(data_file: str, col_classes: str = "") -> list[str]:
    """The read.csv line(s) of the analysis data set (``# `` lines skipped)."""
    head = f'd <- read.csv({_r_string(data_file)}, comment.char = "#", stringsAsFactors = FALSE'
    if not col_classes:
        return [head + ")"]
    return [head + ",", f"              colClasses = c({col_classes}))"]


def analysis_csv(frame: pd.DataFrame, provenance: Sequence[str]) -> str:
    """The analysis data set as CSV: ``# `` provenance lines, then the rows (NA for missing;
    the survival set's columns ``group, entry_days, exit_days, status``, the cumulative
    incidence set's ``group, time_days, status``)."""
    buf = io.StringIO()
    buf.write(_comment(provenance))
    frame.to_csv(buf, index=False, na_rep="NA", float_format="%.17g", lineterminator="\n")
    return buf.getvalue()


def survival_script(
    *,
    title: str,
    groups: Sequence[str],
    reference: str | None,
    times_days: Sequence[float],
    rmst_days: float | None,
    conf_type: ConfType,
    delayed_entry: bool,
    provenance: Sequence[str],
    data_file: str = DATA_FILE,
) -> str:
    """R code reproducing a survival view from :func:`analysis_csv`'s file.

    Parameters
    ----------
    title
        What the script reproduces (the page's figure title).
    groups
        The group labels in the app's order (R factor levels); empty for an ungrouped view.
    reference
        The hazard ratios' reference group (first level when None).
    times_days
        The times of the survival table, in days.
    rmst_days
        The RMST horizon in days (None: no RMST).
    conf_type
        The curve's confidence-interval transform (R ``conf.type``).
    delayed_entry
        True when patients enter after time 0 (counting-process ``Surv(entry, exit, status)``).
    provenance
        Lines for the script's header (selection, data version, mode, date, link).
    data_file
        The CSV's file name.

    Returns
    -------
    str
        The script (runs with ``Rscript reproduce.R`` in the folder holding the CSV).
    """
    grouped = len(groups) > 0
    levels = list(groups)
    if grouped and reference in levels:
        levels.remove(reference)
        levels.insert(0, reference)
    surv = "Surv(entry_days, exit_days, status)" if delayed_entry else "Surv(exit_days, status)"
    rhs = "group" if grouped else "1"
    times = ", ".join(_r_num(t) for t in times_days)
    months = ", ".join(_r_num(t / DAYS_PER_MONTH) for t in times_days)
    lines = [
        *_opening("view from its analysis data set", title, provenance),
        "# Times are in days; months = days / 30.4375.",
        "# Run: Rscript reproduce.R (in the folder holding the CSV). Needs R's survival package.",
        "",
        "library(survival)",
        *_read(data_file),
    ]
    if grouped:
        lv = ", ".join(_r_string(g) for g in levels)
        lines += [
            "# Missing grouping values are NA: R leaves them out of every curve, test and model,",
            "# as the app does (the app shows their curve only as a labelled extra).",
            f"d$group <- factor(d$group, levels = c({lv}))",
        ]
    lines += [
        "",
        "# Kaplan-Meier curves (the figure) with the page's confidence interval",
        f"fit <- survfit({surv} ~ {rhs}, data = d, conf.type = {_r_string(conf_type.value)})",
        "print(fit)",
        "# Medians with their CI in months, by quantile() as the app computes them (print(fit)'s",
        "# table can place the lower limit differently under delayed entry).",
        "med <- quantile(fit, probs = 0.5)",
        "print(data.frame(median = c(med$quantile), lower = c(med$lower), upper = c(med$upper),",
        '                 row.names = if (is.null(dim(med$quantile))) "All" else rownames(med$quantile)) / 30.4375)',
        "",
        f"# Survival at the page's times (months {months})",
        f"at <- summary(fit, times = c({times}), extend = TRUE)",
        'print(data.frame(strata = if (is.null(at$strata)) "All" else as.character(at$strata),',
        "                 months = at$time / 30.4375, surv = at$surv,",
        "                 lower = at$lower, upper = at$upper))",
    ]
    if delayed_entry:
        lines += [
            "# Under delayed entry the app counts at risk at t as entry < t <= exit; R's",
            "# summary(times=) reports the risk set of the next event time instead.",
        ]
    if len(levels) >= 2:
        lines += [
            "",
            "# Log-rank test"
            + (" (Cox score test: survdiff has no delayed entry)" if delayed_entry else ""),
        ]
        if delayed_entry:
            lines += [
                "# (the log-rank statistic with counting-process risk sets is the score test at 0",
                "# with exact ties; iter.max = 0: only the test is needed)",
                "sc <- coxph(Surv(entry_days, exit_days, status) ~ group, data = d,",
                '            ties = "exact", control = coxph.control(iter.max = 0))$score',
                "lr <- c(chisq = sc, df = nlevels(droplevels(d$group)) - 1)",
                "print(lr)",
                "",
                "# Hazard ratios against the reference group (Cox, Efron ties)",
                'cox <- coxph(Surv(entry_days, exit_days, status) ~ group, data = d, ties = "efron")',
            ]
        else:
            lines += [
                "lr <- survdiff(Surv(exit_days, status) ~ group, data = d)",
                "print(lr)",
                "",
                "# Hazard ratios against the reference group (Cox, Efron ties)",
                'cox <- coxph(Surv(exit_days, status) ~ group, data = d, ties = "efron")',
            ]
        lines += ["print(summary(cox)$conf.int)"]
    if rmst_days:
        lines += [
            "",
            f"# Restricted mean survival time to {_r_num(rmst_days / DAYS_PER_MONTH)} months",
            f"rmst <- summary(fit, rmean = {_r_num(rmst_days)})$table",
            "print(rmst)",
        ]
    lines += [
        "",
        "# Median follow-up (reverse Kaplan-Meier)",
        f"fu <- survfit({surv.replace('status)', 'I(1 - status))')} ~ 1, data = d,",
        f"              conf.type = {_r_string(conf_type.value)})",
        "print(quantile(fu, probs = 0.5))",
        "",
    ]
    return "\n".join(lines)


def cuminc_script(
    *,
    title: str,
    groups: Sequence[str],
    causes: Sequence[str],
    times_days: Sequence[float],
    provenance: Sequence[str],
    data_file: str = DATA_FILE,
) -> str:
    """R code reproducing a cumulative-incidence view (``cmprsk``) from its analysis data set.

    Parameters
    ----------
    title
        What the script reproduces.
    groups
        The group labels in the app's order (the first is the Fine-Gray reference); empty for
        an ungrouped view.
    causes
        The causes of death shown (codes as in the CSV's ``status`` column).
    times_days
        The times of the table, in days.
    provenance
        Lines for the script's header.
    data_file
        The CSV's file name (columns ``group``, ``time_days``, ``status``).

    Returns
    -------
    str
        The script: Aalen-Johansen cumulative incidence with the app's log(-log) CI
        (``cuminc`` + ``timepoints``), Gray's test and the Fine-Gray model (``crr``) per cause.
    """
    grouped = len(groups) > 0
    times = ", ".join(_r_num(t) for t in times_days)
    months = ", ".join(_r_num(t / DAYS_PER_MONTH) for t in times_days)
    lines = [
        *_opening("cumulative-incidence view", title, provenance),
        "# Times are in days; months = days / 30.4375. Needs R's cmprsk package.",
        "",
        "library(cmprsk)",
        *_read(data_file),
    ]
    if grouped:
        lv = ", ".join(_r_string(g) for g in groups)
        lines += [
            "# Missing grouping values (NA) are left out of the tests and models, as in the app.",
            f"d$group <- factor(d$group, levels = c({lv}))",
            "d <- d[!is.na(d$group), ]",
            'fit <- cuminc(d$time_days, d$status, group = d$group, cencode = "censored")',
        ]
    else:
        lines += ['fit <- cuminc(d$time_days, d$status, cencode = "censored")']
    lines += [
        "",
        f"# Cumulative incidence at the page's times (months {months}) with the app's CI:",
        "# log(-log) transform: F^exp(-/+ 1.96 sqrt(var) / (F log F)) for lower/upper",
        f"tp <- timepoints(fit, times = c({times}))",
        "z <- qnorm(0.975)",
        "ci_lower <- tp$est^exp(-z * sqrt(tp$var) / (tp$est * log(tp$est)))",
        "ci_upper <- tp$est^exp(z * sqrt(tp$var) / (tp$est * log(tp$est)))",
        "print(tp$est)",
        "print(ci_lower)",
        "print(ci_upper)",
    ]
    if grouped and len(groups) >= 2:
        lines += [
            "",
            "# Gray's test per cause",
            "print(fit$Tests)",
            "",
            f"# Fine-Gray subdistribution hazard ratios against {groups[0]}",
            "X <- model.matrix(~ group, data = d)[, -1, drop = FALSE]",
            "fg <- list()",
        ]
        for c in causes:
            lines += [
                f"fg[[{_r_string(c)}]] <- crr(d$time_days, d$status, cov1 = X,",
                f'                          failcode = {_r_string(c)}, cencode = "censored")',
                f"print(summary(fg[[{_r_string(c)}]]))",
            ]
    lines.append("")
    return "\n".join(lines)


def _r_term(cov: str, step: float | None) -> str:
    """A covariate as a formula term: ``age`` or, per ``step`` units, ``I(age / 10)``."""
    return cov if step is None or step == 1 else f"I({cov} / {step:g})"


def cox_script(
    *,
    title: str,
    covariates: Sequence[str],
    levels: Mapping[str, Sequence[str]],
    steps: Mapping[str, float],
    interaction: tuple[str, str] | None,
    strata: str | None,
    ties: Ties,
    delayed_entry: bool,
    provenance: Sequence[str],
    data_file: str = DATA_FILE,
) -> str:
    """R code reproducing a Cox model (``survival::coxph``) from its analysis data set.

    Parameters
    ----------
    title
        What the script reproduces.
    covariates
        The model's covariates in the app's order (the CSV's column names).
    levels
        Per categorical covariate, its levels with the app's reference level first (R factor
        levels: treatment contrasts against the first).
    steps
        Per continuous covariate, the step its hazard ratio is given per (``I(age / 10)``
        for 10 years; 1 enters the value as it is).
    interaction
        Two covariates whose product terms the model adds (R ``a:b``), or None.
    strata
        The stratification field (R ``strata(x)``: its own baseline hazard), or None.
    ties
        Efron or Breslow (R ``ties =``).
    delayed_entry
        True when patients enter after time 0 (counting-process ``Surv(entry, exit, status)``).
    provenance
        Lines for the script's header (selection, data version, mode, date, link).
    data_file
        The CSV's file name (columns ``entry_days``, ``exit_days``, ``status``, the covariates
        and the stratification field).

    Returns
    -------
    str
        The script: ``summary(coxph(...))`` (coefficients, SE, hazard ratios with Wald 95% CI,
        p, the likelihood-ratio, score and Wald tests) and ``cox.zph(fit)``.
    """
    terms = {c: _r_term(c, steps.get(c)) for c in covariates}
    rhs = [terms[c] for c in covariates]
    if interaction is not None:
        rhs.append(f"{terms[interaction[0]]}:{terms[interaction[1]]}")
    if strata:
        rhs.append(f"strata({strata})")
    surv = "Surv(entry_days, exit_days, status)" if delayed_entry else "Surv(exit_days, status)"
    lines = [
        *_opening("Cox model from its analysis data set", title, provenance),
        "# One row per patient in the model (patients with a missing covariate are not in the",
        "# data, as they are not in the app's model). Times are in days from the model's origin",
        "# (after the landmark, if any); entry_days > 0 is delayed entry.",
        "# Run: Rscript reproduce_cox.R (in the folder holding the CSV). Needs R's survival package.",
        "",
        "library(survival)",
        *_read(data_file),
    ]
    factors = [c for c in [*covariates, *([strata] if strata else [])] if c in levels]
    if factors:
        lines.append("# Categorical covariates: the app's reference level first")
    for c in factors:
        lv = ", ".join(_r_string(x) for x in levels[c])
        lines.append(f"d${c} <- factor(d${c}, levels = c({lv}))")
    lines += [
        "",
        f"fit <- coxph({surv} ~ {' + '.join(rhs)},",
        f"             data = d, ties = {_r_string(ties.value)})",
        "# Coefficients, SE, hazard ratios with Wald 95% CI, p; likelihood-ratio, score and",
        "# Wald tests",
        "print(summary(fit))",
        "",
        "# Proportional-hazards test (scaled Schoenfeld residuals, KM time transform)",
        "zph <- cox.zph(fit)",
        "print(zph)",
        "",
    ]
    return "\n".join(lines)


def cox_script_of(a: CoxAnalysis, *, title: str, provenance: Sequence[str]) -> str:
    """:func:`cox_script` for an analysed model: its covariates, levels with the reference
    first, steps, interaction, strata, ties and time scale."""
    spec = a.spec
    levels: dict[str, list[str]] = {}
    for cov, names in a.level_names().items():
        ref = a.references.get(cov)
        levels[cov] = [ref, *(n for n in names if n != ref)] if ref in names else list(names)
    steps = {c: spec.step(c) for c in spec.covariates if COVARIATES[c].continuous}
    return cox_script(
        title=title,
        covariates=spec.covariates,
        levels=levels,
        steps=steps,
        interaction=spec.interaction,
        strata=spec.strata,
        ties=spec.ties,
        delayed_entry=has_delayed_entry(spec),
        provenance=provenance,
    )


_R_CI = {
    "clopper-pearson": (
        "# Clopper-Pearson (exact): binom.test",
        "binom.test(x, n, conf.level = CONF)$conf.int",
    ),
    "wilson": (
        "# Wilson score interval: prop.test without continuity correction",
        "suppressWarnings(prop.test(x, n, conf.level = CONF, correct = FALSE))$conf.int",
    ),
    "jeffreys": (
        "# Jeffreys: equal-tailed Beta(x + 1/2, n - x + 1/2) quantiles, 0 at x = 0, 1 at x = n",
        "c(if (x == 0) 0 else qbeta((1 - CONF) / 2, x + 0.5, n - x + 0.5),\n"
        "      if (x == n) 1 else qbeta((1 + CONF) / 2, x + 0.5, n - x + 0.5))",
    ),
}


def _r_test_call(method: str, mc_tables: int | None, seed: int | None) -> list[str]:
    """R lines setting ``p`` from table ``m`` for a group-test method code."""
    if method == "chi-square":
        return ["p <- chisq.test(m, correct = FALSE)$p.value"]
    if "monte-carlo" in method:
        return [
            "# Monte Carlo p-value: R's random tables are not the app's, so p differs from the",
            "# app's by simulation error (about sqrt(p (1 - p) / B)).",
            f"set.seed({int(seed or 1)})",
            f"p <- fisher.test(m, simulate.p.value = TRUE, B = {int(mc_tables or 100000)})$p.value",
        ]
    return ["p <- fisher.test(m, workspace = 2e7)$p.value"]


def response_script(
    *,
    title: str,
    codes: Sequence[str],
    derived: Sequence[tuple[str, Sequence[str]]],
    groups: Sequence[str],
    evaluable_denominator: bool,
    ci_method: str,
    conf_level: float,
    test_method: str | None,
    mc_tables: int | None = None,
    seed: int | None = None,
    provenance: Sequence[str],
    data_file: str = DATA_FILE,
) -> str:
    """R code reproducing a response table from :func:`core.analyses.rdata.response_data`'s rows.

    Parameters
    ----------
    title
        What the script reproduces.
    codes
        The domain's evaluable response codes in display order (e.g. CR, PR, SD, PD).
    derived
        The derived rates as (name, member codes), e.g. ("orr", ("CR", "PR")).
    groups
        The group labels in the app's order; empty for an ungrouped view.
    evaluable_denominator
        True: rates over evaluable patients; False: over all patients.
    ci_method
        ``clopper-pearson`` (``binom.test``), ``wilson`` (``prop.test(correct = FALSE)``) or
        ``jeffreys`` (``qbeta``).
    conf_level
        The intervals' confidence level.
    test_method
        The app's group-test method code (``fisher-2x2``, ``fisher-freeman-halton``,
        ``fisher-freeman-halton-monte-carlo``, ``chi-square``), None when no test is given.
    mc_tables, seed
        The Monte Carlo test's number of tables and seed.
    provenance
        Lines for the script's header.
    data_file
        The CSV's file name.

    Returns
    -------
    str
        The script: prints each group's (and "All") count, denominator, percentage and CI of
        every category and derived rate, then the group test's p-value.
    """
    note, ci_call = _R_CI[ci_method]
    code_v = ", ".join(_r_string(c) for c in codes)
    der = ", ".join(
        f"{_r_string(name)} = c({', '.join(_r_string(c) for c in members)})"
        for name, members in derived
    )
    lines = [
        *_opening("view from its analysis data set", title, provenance),
        "# Run: Rscript reproduce_responses.R (in the folder holding the CSV). Base R only.",
        "",
        *_read(data_file, 'group = "character", response = "character"'),
        f"CONF <- {_r_num(conf_level)}",
        f"codes <- c({code_v})",
        f"derived <- list({der})",
        note,
        "ci <- function(x, n) {",
        "  if (n == 0) return(c(NA, NA))",
        f"  {ci_call}",
        "}",
        "rates <- function(s, label) {",
        "  n <- nrow(s)",
        (
            "  den <- sum(s$evaluable)  # rates over evaluable patients"
            if evaluable_denominator
            else "  den <- n  # rates over all patients (not evaluable and missing: non-responders)"
        ),
        "  sets <- c(as.list(setNames(codes, codes)), derived)",
        "  out <- do.call(rbind, lapply(names(sets), function(k) {",
        "    x <- sum(s$response %in% sets[[k]])",
        "    lim <- ci(x, den)",
        "    data.frame(group = label, rate = k, x = x, n = den, pct = if (den) 100 * x / den else NA,",
        "               lower = 100 * lim[1], upper = 100 * lim[2])",
        "  }))",
        "  x <- n - sum(s$evaluable)  # not evaluable or missing, over all patients",
        "  lim <- ci(x, n)",
        "  rbind(out, data.frame(group = label, rate = 'not_evaluable_or_missing', x = x, n = n,",
        "                        pct = if (n) 100 * x / n else NA,",
        "                        lower = 100 * lim[1], upper = 100 * lim[2]))",
        "}",
    ]
    if groups:
        lv = ", ".join(_r_string(g) for g in groups)
        lines += [
            "# Patients with a missing group are NA: counted in All only, as in the app.",
            f"d$group <- factor(d$group, levels = c({lv}))",
            "tab <- rbind(do.call(rbind, lapply(levels(d$group), function(g)",
            "  rates(d[!is.na(d$group) & d$group == g, ], g))), rates(d, 'All'))",
        ]
    else:
        lines += ["tab <- rates(d, 'All')"]
    lines += ["print(tab, digits = 15, row.names = FALSE)"]
    if groups and test_method:
        lines += [
            "",
            "# Group test: evaluable categories across the groups with evaluable patients",
            "e <- d[d$evaluable == 1 & !is.na(d$group), ]",
            "m <- table(e$group, factor(e$response, levels = codes))",
            "m <- m[rowSums(m) > 0, colSums(m) > 0, drop = FALSE]",
            "if (min(dim(m)) < 2) {",
            "  p <- 1  # one table has these margins (R's fisher.test refuses it)",
            "} else {",
            *("  " + ln for ln in _r_test_call(test_method, mc_tables, seed)),
            "}",
            'cat("Group test p-value:", format(p, digits = 15), "\\n")',
        ]
    return "\n".join(lines) + "\n"


def response_script_of(result: object, *, title: str, provenance: Sequence[str]) -> str:
    """:func:`response_script` for an analysed response view (``ResponseResult``)."""
    from core.stats.responses import RESPONSE_DOMAINS
    from core.vocab.methods import Denominator

    spec = result.spec  # type: ignore[attr-defined]
    table = result.table  # type: ignore[attr-defined]
    dom = RESPONSE_DOMAINS[spec.domain]
    test = table.test if table is not None else None
    return response_script(
        title=title,
        codes=dom.codes,
        derived=[(d.name, d.members) for d in dom.derived],
        groups=[g.label for g in table.groups] if table is not None and spec.by else [],
        evaluable_denominator=spec.denominator is Denominator.EVALUABLE,
        ci_method=spec.ci.value,
        conf_level=spec.conf_level,
        test_method=test.method.value if test is not None else None,
        mc_tables=test.n_tables if test is not None else None,
        seed=test.seed if test is not None else None,
        provenance=provenance,
    )


def table1_script(
    *,
    title: str,
    groups: Sequence[str],
    tests: Sequence[tuple[str, str, str | None]],
    mc_tables: int | None = None,
    seed: int | None = None,
    provenance: Sequence[str],
    data_file: str = DATA_FILE,
) -> str:
    """R code reproducing Table 1's p-values from :func:`core.analyses.rdata.table1_data`.

    Parameters
    ----------
    title
        What the script reproduces.
    groups
        The compared split groups in the app's order (patients with a missing split value are
        ``NA`` and not compared).
    tests
        Per characteristic: (column key, label, the app's test code: ``wilcoxon-exact``,
        ``wilcoxon``, ``kruskal-wallis``, ``chi-square``, ``fisher``, ``fisher-monte-carlo``;
        None when the app gives no p-value).
    mc_tables, seed
        The Monte Carlo Fisher test's number of tables and seed.
    provenance
        Lines for the script's header.
    data_file
        The CSV's file name.

    Returns
    -------
    str
        The script: per characteristic, the test the app chose on the patients with a known
        value, printing its p-value.
    """
    lv = ", ".join(_r_string(g) for g in groups)
    lines = [
        *_opening("view from its analysis data set", title, provenance),
        "# Run: Rscript reproduce_table1.R (in the folder holding the CSV). Base R only.",
        "# Each test leaves out the patients with a missing value of its characteristic and",
        "# those with a missing split value, as gtsummary's add_p() and the app do.",
        "",
        *_read(data_file, 'split_group = "character"'),
        f"d$split_group <- factor(d$split_group, levels = c({lv}))",
        "tab_of <- function(v) {",
        "  k <- !is.na(d[[v]]) & !is.na(d$split_group)",
        "  table(d$split_group[k], as.character(d[[v]][k]))",
        "}",
        "res <- data.frame(variable = character(), test = character(), p = numeric())",
        "put <- function(v, test, p) res[nrow(res) + 1, ] <<- list(v, test, p)",
    ]
    for key, label, method in tests:
        v = _r_string(key)
        lines.append(f"# {label}".replace("\n", " "))
        if method is None:
            lines.append(f"# (no p-value in the app for {key})")
        elif method.startswith("wilcoxon"):
            exact = "TRUE" if method == "wilcoxon-exact" else "FALSE"
            lines.append(
                f"put({v}, {_r_string(method)}, wilcox.test(d[[{v}]] ~ d$split_group, "
                f"exact = {exact}, correct = TRUE)$p.value)"
            )
        elif method == "kruskal-wallis":
            lines.append(
                f"put({v}, {_r_string(method)}, kruskal.test(d[[{v}]] ~ d$split_group)$p.value)"
            )
        elif method == "chi-square":
            lines.append(
                f"put({v}, {_r_string(method)}, chisq.test(tab_of({v}), correct = FALSE)$p.value)"
            )
        else:
            lines.append(f"m <- tab_of({v}); m <- m[rowSums(m) > 0, colSums(m) > 0, drop = FALSE]")
            if method == "fisher-monte-carlo":
                lines += [
                    "# Monte Carlo p: R's random tables are not the app's (p differs by",
                    "# simulation error, about sqrt(p (1 - p) / B)).",
                    f"set.seed({int(seed or 1)})",
                    f"put({v}, {_r_string(method)}, fisher.test(m, simulate.p.value = TRUE, "
                    f"B = {int(mc_tables or 100000)})$p.value)",
                ]
            else:
                lines.append(
                    f"put({v}, {_r_string(method)}, fisher.test(m, workspace = 2e7)$p.value)"
                )
    lines.append("print(res, digits = 15, row.names = FALSE)")
    return "\n".join(lines) + "\n"


def table1_script_of(t1: object, *, title: str, provenance: Sequence[str]) -> str:
    """:func:`table1_script` for Table 1 as analysed (``core.analyses.table1.Table1``)."""
    from core.stats.fisher import MONTE_CARLO_SEED, MONTE_CARLO_TABLES

    return table1_script(
        title=title,
        groups=list(t1.compared),  # type: ignore[attr-defined]
        tests=[
            (v.family, v.label, v.method.value if v.method and v.p is not None else None)
            for v in t1.tests  # type: ignore[attr-defined]
        ],
        mc_tables=MONTE_CARLO_TABLES,
        seed=MONTE_CARLO_SEED,
        provenance=provenance,
    )
