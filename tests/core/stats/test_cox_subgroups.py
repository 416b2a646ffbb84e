"""core.stats.cox_subgroups against R 4.x, survival 3.5.x (values frozen; R not needed to run).

Data: R's own ``lung`` and ``veteran`` (tests/data/r_datasets, written out from R's
``survival`` package). Every value was printed with ``sprintf("%.17g", x)`` by::

    library(survival)
    lung_e <- transform(lung, entry = pmin(time - 1, (seq_len(nrow(lung)) %% 5) * 30))
    d <- subset(lung_e, !is.na(ph.ecog)); d$trt <- as.integer(d$sex == 2)
    # interaction, Efron (and ties = "breslow" in both fits)
    a <- anova(coxph(Surv(time, status) ~ trt + factor(ph.ecog), d),
               coxph(Surv(time, status) ~ trt * factor(ph.ecog), d))
    a$Chisq[2]; a$Df[2]; a[["Pr(>|Chi|)"]][2]
    # delayed entry: Surv(entry, time, status) in both fits
    # per subgroup: s <- summary(coxph(Surv(time, status) ~ trt, subset(d, ph.ecog == l)))
    s$conf.int[1, c(1, 3, 4)]; s$coefficients[1, 5]
    v <- veteran; v$trt2 <- as.integer(v$trt == 2)
    anova(coxph(Surv(time, status) ~ trt2 + celltype, v),
          coxph(Surv(time, status) ~ trt2 * celltype, v))

In lung, ph.ecog 3 holds one patient (male): R reports ``trt:factor(ph.ecog)3`` as NA, so the
interaction has 2 df, not 3; here that column is aliased the same way. Tolerance 1e-9
relative (Newton-Raphson to R's eps = 1e-9 on the log-likelihood; observed ~1e-12).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.stats.cox_subgroups import interaction_lr_test, subgroup_hr
from core.vocab.methods import Ties

DATA = Path(__file__).resolve().parents[2] / "data" / "r_datasets"
REL = 1e-9


def _lung(entry: bool = False):
    d = pd.read_csv(DATA / "lung.csv")
    d["entry"] = np.minimum(d["time"] - 1, (np.arange(1, len(d) + 1) % 5) * 30)
    d = d[d["ph.ecog"].notna()]
    return (
        d["time"].to_numpy(float),
        (d["status"] == 2).astype(int).to_numpy(),
        np.ones(len(d), dtype=int),
        (d["sex"] == 2).astype(int).to_numpy(),
        d["ph.ecog"].astype(int).to_numpy(),
        d["entry"].to_numpy(float) if entry else None,
    )


LUNG_SUB = {  # ph.ecog level: (HR, lower, upper, p), Surv(time, status)
    0: (0.540610471673793, 0.253093771924288, 1.15474861297966, 0.112199035531547),
    1: (0.530880404890386, 0.33348253884347, 0.845123721541737, 0.00760073778424654),
    2: (0.695049905087286, 0.372032836579547, 1.298526159689, 0.253968111855638),
}
LUNG_E_SUB = {  # Surv(entry, time, status)
    0: (0.53611902055461458, 0.25089450125769969, 1.1455954704452436, 0.10759100107010498),
    1: (0.53125475658364685, 0.3336808107319188, 0.84581314632292859, 0.0076827240326381389),
    2: (0.79233662993222631, 0.41821134363010809, 1.5011485094665926, 0.47525316532914341),
}
VETERAN_SUB = {
    "squamous": (0.54438130802289475, 0.25082946601575484, 1.1814840306924057, 0.12401570953646431),
    "smallcell": (1.6520636308866561, 0.86296336251010708, 3.1627231920479542, 0.12973426238443272),
    "adeno": (1.2295533476851277, 0.52702720348423493, 2.8685453517560733, 0.63257559260618601),
    "large": (1.5356237580737409, 0.69170691976780263, 3.4091611041741738, 0.29182310173620585),
}  # fmt: skip


@pytest.mark.parametrize("entry,ref", [(False, LUNG_SUB), (True, LUNG_E_SUB)])
def test_subgroup_hazard_ratios_equal_r(entry, ref):
    t, e, c, arm, sub, ent = _lung(entry)
    for level, want in ref.items():
        m = sub == level
        got = subgroup_hr(t[m], e[m], c[m], arm[m], entry=None if ent is None else ent[m])
        assert got.estimable
        assert (got.hr, got.lower, got.upper, got.p) == pytest.approx(want, rel=REL)
        assert got.n == (int((arm[m] == 0).sum()), int((arm[m] == 1).sum()))


@pytest.mark.parametrize(
    "entry,ties,chi2,df,p",
    [
        (False, Ties.EFRON, 0.561407449410126, 2, 0.755252064864096),
        (True, Ties.EFRON, 0.84819570444847159, 2, 0.65435984820939175),
        (True, Ties.BRESLOW, 0.85196110610127107, 2, 0.65312904336460975),
    ],
)
def test_interaction_lr_equals_r_anova_with_aliased_level(entry, ties, chi2, df, p):
    t, e, c, arm, sub, ent = _lung(entry)
    got = interaction_lr_test(t, e, c, arm, sub, entry=ent, ties=ties)
    assert got.df == df  # ph.ecog 3 has one arm only: its interaction is NA in R
    assert got.aliased == ("trt:sub3",)
    assert got.chi2 == pytest.approx(chi2, rel=REL)
    assert got.p == pytest.approx(p, rel=REL)


def test_veteran_celltype_interaction_and_subgroups_equal_r():
    v = pd.read_csv(DATA / "veteran.csv")
    cells = ["squamous", "smallcell", "adeno", "large"]  # R's factor level order
    t = v["time"].to_numpy(float)
    e = v["status"].to_numpy(int)
    c = np.ones(len(v), dtype=int)
    arm = (v["trt"] == 2).astype(int).to_numpy()
    sub = v["celltype"].map(cells.index).to_numpy()
    got = interaction_lr_test(t, e, c, arm, sub)
    assert (got.df, got.aliased) == (3, ())
    assert got.chi2 == pytest.approx(8.2162290406562306, rel=REL)
    assert got.p == pytest.approx(0.041748017515801067, rel=REL)
    for k, name in enumerate(cells):
        m = sub == k
        h = subgroup_hr(t[m], e[m], c[m], arm[m])
        assert (h.hr, h.lower, h.upper, h.p) == pytest.approx(VETERAN_SUB[name], rel=REL)


def test_aggregated_rows_give_the_patient_level_answer():
    """Frequency rows (c patients, d events per row) are the expanded patients exactly."""
    t, e, c, arm, sub, _ = _lung()
    df = pd.DataFrame({"t": t, "e": e, "arm": arm, "sub": sub})
    g = df.groupby(["t", "arm", "sub"], as_index=False).agg(d=("e", "sum"), c=("e", "size"))
    a = interaction_lr_test(*(g[k].to_numpy() for k in ("t", "d", "c", "arm", "sub")))
    b = interaction_lr_test(t, e, c, arm, sub)
    assert a.chi2 == pytest.approx(b.chi2, rel=1e-10) and a.df == b.df


def test_not_estimable_subgroups_say_why():
    t = np.array([1.0, 2, 3, 4, 5, 6])
    c = np.ones(6, dtype=int)
    arm = np.array([0, 0, 0, 1, 1, 1])
    names = ("IV", "IA")
    assert subgroup_hr(t, np.zeros(6, int), c, arm, arm_names=names).reason == "no events"
    r = subgroup_hr(t, np.array([1, 1, 0, 0, 0, 0]), c, arm, arm_names=names)
    assert not r.estimable and "no events in the IA" in r.reason and r.hr is None
    r = subgroup_hr(t[:4], np.array([1, 1, 0, 1]), c[:4], arm[:4], arm_names=names)
    assert r.reason == "fewer than 2 patients in the IA"
    r = subgroup_hr(t[:3], np.array([1, 1, 0]), c[:3], arm[:3], arm_names=names)
    assert r.reason == "no patients in the IA"
    one = interaction_lr_test(t, np.array([1, 1, 0, 1, 0, 1]), c, arm, np.zeros(6, int))
    assert one.p is None and one.reason == "fewer than two subgroups"
