"""Group statistics over participants: the unit of every group test is a participant, never a
face or a session (:func:`participants` pools them). The primary tests: yawn contagion by a
McNemar mid-p test of who yawned in yawn vs control windows (:func:`yawn_contagion_test`, with
Wilson intervals of the shares), smile mimicry by a one-sample t-test of the chance-corrected
responses (:func:`one_sample`); the secondary ones Holm-adjusted (:func:`holm`). Pure functions
over the rows of ``summary.csv`` (:data:`mimicry.schema.SUMMARY`); ``mimicry summary`` renders
their results (:mod:`mimicry.report.summary`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import binomtest

from ..schema import GROUP_TESTS


def participants(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per participant (the unit of every group test): the ``participant`` of
    session.json, or the session folder when it is empty. Several faces or sessions of one
    participant are pooled, never counted as several people.

    Columns: ``unit``, ``n_faces``, ``yawn_windows`` (saw both yawn and control windows),
    ``yawned_yawn``, ``yawned_control`` (any yawn in those windows), ``yawn_rate_diff``
    (yawns per minute, yawn minus control windows), ``smile_effect`` (mean chance-corrected
    smile response over faces with a smile verdict), ``smile_detected`` (any face detected),
    ``smile_wlcc_z`` (mean).
    """
    d = summary[summary["face"].notna()].copy()
    for col in (
        "participant",
        "smile_verdict",
        "yawns_yawn_windows",
        "yawns_control_windows",
        "minutes_yawn_windows",
        "minutes_control_windows",
        "smile_effect",
        "smile_wlcc_z",
    ):
        if col not in d.columns:
            d[col] = np.nan
    if d.empty:
        return pd.DataFrame(
            columns=[
                "unit",
                "n_faces",
                "yawn_windows",
                "yawned_yawn",
                "yawned_control",
                "yawn_rate_diff",
                "smile_effect",
                "smile_detected",
                "smile_wlcc_z",
            ]
        )
    part = d["participant"].astype("string")
    d["unit"] = part.where(part.notna() & (part.str.len() > 0), "folder:" + d["folder"].astype(str))
    num = {
        c: pd.to_numeric(d[c], errors="coerce")
        for c in (
            "yawns_yawn_windows",
            "yawns_control_windows",
            "minutes_yawn_windows",
            "minutes_control_windows",
            "smile_effect",
            "smile_wlcc_z",
        )
    }
    d = d.assign(**{c: v for c, v in num.items()})
    d["smile_effect"] = d["smile_effect"].where(d["smile_verdict"] != "insufficient_data")
    rows = []
    for unit, g in d.groupby("unit", sort=True):
        my, mc = g["minutes_yawn_windows"].fillna(0).sum(), g["minutes_control_windows"].fillna(0).sum()
        ny, nc = g["yawns_yawn_windows"].fillna(0).sum(), g["yawns_control_windows"].fillna(0).sum()
        both = my > 0 and mc > 0
        rows.append(
            {
                "unit": unit,
                "n_faces": len(g),
                "yawn_windows": both,
                "yawned_yawn": bool(ny > 0),
                "yawned_control": bool(nc > 0),
                "yawn_rate_diff": ny / my - nc / mc if both else np.nan,
                "smile_effect": g["smile_effect"].mean(),
                "smile_detected": bool((g["smile_verdict"] == "detected").any()),
                "smile_wlcc_z": g["smile_wlcc_z"].mean(),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class YawnTest:
    """Paired yawn contagion test over participants who had both yawn and control windows."""

    n: int
    yawned_yawn: int
    yawned_control: int
    both: int
    yawn_only: int
    control_only: int
    neither: int
    p_mcnemar: float
    """McNemar mid-p test of the discordant pairs, two-sided: the exact binomial p minus the
    probability of the observed split (Fagerland, Lydersen & Laake 2013: closer to the nominal
    level than the exact test, which with few discordant pairs rejects far less than 5 %)."""
    odds_ratio: float = float("nan")
    """Discordant-pair odds ratio ``yawn_only / control_only`` (inf if no participant yawned only in control)."""
    odds_ratio_ci: tuple[float, float] = (float("nan"), float("nan"))
    """Its exact 95 % CI (Clopper-Pearson on the discordant pairs)."""


def yawn_contagion_test(people: pd.DataFrame) -> YawnTest:
    """Did more participants yawn in yawn windows than in control windows? (as in Provine's
    contagious-yawning studies). Each participant of :func:`participants` with both kinds of
    windows is one pair; the McNemar mid-p test compares ``yawn_only`` with ``control_only``."""
    d = people[people["yawn_windows"].astype(bool)] if len(people) else people
    y = d["yawned_yawn"].astype(bool).to_numpy() if len(d) else np.zeros(0, bool)
    c = d["yawned_control"].astype(bool).to_numpy() if len(d) else np.zeros(0, bool)
    b, cc = int((y & ~c).sum()), int((~y & c).sum())
    if b + cc:
        lo, hi = binomtest(b, b + cc, 0.5).proportion_ci(0.95, method="exact")
        odds = lambda pi: float("inf") if pi >= 1 else pi / (1 - pi)
        or_, ci, p = odds(b / (b + cc)), (odds(lo), odds(hi)), mcnemar_mid_p(b, cc)
    else:
        or_, ci, p = float("nan"), (float("nan"), float("nan")), 1.0
    return YawnTest(len(d), int(y.sum()), int(c.sum()), int((y & c).sum()), b, cc, int((~y & ~c).sum()), p, or_, ci)


def mcnemar_mid_p(b: int, c: int) -> float:
    """Two-sided McNemar mid-p of ``b`` and ``c`` discordant pairs: ``2 * (P(X <= k) - P(X = k) / 2)``
    with ``k = min(b, c)`` and ``X ~ Binomial(b + c, 1/2)``, at most 1 (Fagerland et al. 2013)."""
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    return float(min(1.0, 2 * (stats.binom.cdf(k, n, 0.5) - 0.5 * stats.binom.pmf(k, n, 0.5))))


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def one_sample(values: np.ndarray) -> dict:
    """Mean, 95 % t interval, Cohen's d_z and two-sided one-sample t-test p against 0."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return {
            "n": int(v.size),
            "effect": float(v.mean()) if v.size else np.nan,
            "ci_lo": np.nan,
            "ci_hi": np.nan,
            "d_z": np.nan,
            "p_value": np.nan,
        }
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.975, v.size - 1) * sd / np.sqrt(v.size))
    p = float(stats.ttest_1samp(v, 0.0).pvalue) if sd > 0 else np.nan
    return {
        "n": int(v.size),
        "effect": float(v.mean()),
        "ci_lo": float(v.mean() - half),
        "ci_hi": float(v.mean() + half),
        "d_z": float(v.mean() / sd) if sd > 0 else np.nan,
        "p_value": p,
    }


def group_tests(people: pd.DataFrame) -> pd.DataFrame:
    """``group_tests.csv``: the two primary group tests and the Holm-adjusted secondary ones,
    over participants (:func:`participants`)."""
    yt = yawn_contagion_test(people)
    smile = one_sample(people["smile_effect"].to_numpy(float) if len(people) else np.empty(0))
    wlcc = one_sample(people["smile_wlcc_z"].to_numpy(float) if len(people) else np.empty(0))
    rate = people["yawn_rate_diff"].to_numpy(float) if len(people) else np.empty(0)
    rate = rate[np.isfinite(rate)]
    nonzero = rate[rate != 0]
    p_rate = float(stats.wilcoxon(nonzero).pvalue) if nonzero.size >= 1 else np.nan
    rows = [
        {
            "role": "primary",
            "measure": "yawn_contagion",
            "test": "McNemar mid-p (participants yawning in yawn vs control windows), two-sided",
            "n_participants": yt.n,
            "effect": yt.odds_ratio,
            "effect_unit": "discordant-pair odds ratio",
            "ci_lo": yt.odds_ratio_ci[0],
            "ci_hi": yt.odds_ratio_ci[1],
            "p_value": yt.p_mcnemar,
        },
        {
            "role": "primary",
            "measure": "smile_mimicry",
            "test": "one-sample t-test of participants' chance-corrected smile responses against 0, two-sided",
            "n_participants": smile["n"],
            "effect": smile["effect"],
            "effect_unit": f"smile units above chance (Cohen's d_z {smile['d_z']:.2f})",
            "ci_lo": smile["ci_lo"],
            "ci_hi": smile["ci_hi"],
            "p_value": smile["p_value"],
        },
        {
            "role": "secondary",
            "measure": "smile_synchrony",
            "test": "one-sample t-test of participants' WLCC z against 0, two-sided",
            "n_participants": wlcc["n"],
            "effect": wlcc["effect"],
            "effect_unit": "mean WLCC z",
            "ci_lo": wlcc["ci_lo"],
            "ci_hi": wlcc["ci_hi"],
            "p_value": wlcc["p_value"],
        },
        {
            "role": "secondary",
            "measure": "yawn_rate",
            "test": "Wilcoxon signed-rank of participants' yawn rate "
            "difference (yawn minus control windows), two-sided",
            "n_participants": int(rate.size),
            "effect": float(np.median(rate)) if rate.size else np.nan,
            "effect_unit": "median difference, yawns per min",
            "ci_lo": np.nan,
            "ci_hi": np.nan,
            "p_value": p_rate,
        },
    ]
    df = pd.DataFrame(rows)
    df["p_holm"] = df["p_value"]
    sec = df["role"] == "secondary"
    df.loc[sec, "p_holm"] = holm(df.loc[sec, "p_value"].to_numpy(float))
    return df.reindex(columns=GROUP_TESTS.names)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and does not count)."""
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out
