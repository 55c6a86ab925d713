"""False-positive rates of every p-value mimicry prints, on sessions without mimicry.

    python benchmarks/calibration.py [--sessions 500] [--surrogates 500] [--seed 0]

Each null session (:func:`mimicry.session.simulate.null_session`) goes through the whole
:func:`mimicry.analysis.analyze`, as `mimicry analyze` runs it:

* smile-like: four smile clips (16 actor smiles) and two control clips of 30 s; the viewer smiles
  on their own at random times;
* yawn-like: six yawn clips (3 min of yawns shown, 18 actor yawns) and six control clips; the
  viewer yawns on their own about once a minute (enough yawns for a person's own test), and
  again with a rarer 0.15 a minute (nearer people's spontaneous yawning; one yawn or none in a
  session, so the group tests see many discordant pairs);

both with AR(1) noise, jittered frame times and one to three face-loss gaps of 0.2-3 s. For each
p-value, the share of sessions with p <= 0.05 among those where the p-value exists is the
false-positive rate. A calibrated test gives 5 %; with 500 sessions, 95 % of calibrated runs fall
within 3.1-6.9 %.

The group tests of `mimicry summary` are run on 500 null studies of 20 participants, each drawn
from those null sessions (one session per participant; :func:`mimicry.analysis.group.group_tests`): the
smile tests from the smile-like sessions, the yawn tests from each kind of yawn-like sessions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from mimicry.analysis import AnalysisConfig, analyze
from mimicry.analysis.group import group_tests
from mimicry.session.simulate import null_session

PVALUES = {
    "smile_verdict": "smile mimicry, primary test (`verdicts.csv`)",
    "yawn_verdict": "yawn contagion, primary test (`verdicts.csv`)",
    "smile_xcorr": "smile cross-correlation in smile clips (`scores.csv` `p_value`)",
    "yawn_xcorr": "yawn cross-correlation in yawn clips (`scores.csv` `p_value`)",
}


GROUP = {
    "yawn_contagion": "yawn contagion, McNemar mid-p (`summary_tests.csv`)",
    "smile_mimicry": "smile mimicry, one-sample t-test (`summary_tests.csv`)",
    "smile_synchrony": "smile WLCC z, one-sample t-test (`summary_tests.csv`)",
    "yawn_rate": "yawn rate difference, Wilcoxon (`summary_tests.csv`)",
}


KINDS = {"smile": ("smile", 0.0), "yawn": ("yawn", 1.0), "rare-yawn": ("yawn", 0.15)}


def session_pvalues(kind: str, seed: int, config: AnalysisConfig) -> tuple[dict[str, float], dict]:
    """The p-values one null session of ``kind`` (a key of :data:`KINDS`) gets (NaN where the
    analysis gives none), and the participant's row of :func:`mimicry.analysis.group.participants`."""
    base, rate = KINDS[kind]
    s = null_session(base, seed, yawns_per_min=rate)
    res = analyze(s.frames, s.stimulus_log, 30.0, config)
    v = res.verdicts.set_index("measure")
    out = {
        "smile_verdict": float(v.loc["smile_mimicry", "p_value"]),
        "yawn_verdict": float(v.loc["yawn_contagion", "p_value"]),
    }
    pooled = res.scores[(res.scores["block"].astype(str) == "all") & (res.scores["kind"] == res.scores["signal"])]
    for row in pooled.itertuples(index=False):
        out[f"{row.signal}_xcorr"] = float(row.p_value)
    c = res.contagion.iloc[0]
    smile = v.loc["smile_mimicry"]
    wlcc = pooled.loc[pooled["signal"] == "smile", "wlcc_z"]
    both = c.minutes_yawn_windows > 0 and c.minutes_control_windows > 0
    person = {
        "unit": f"{kind}{seed}",
        "n_faces": 1,
        "yawn_windows": bool(both),
        "yawned_yawn": bool(c.yawns_yawn_windows > 0),
        "yawned_control": bool(c.yawns_control_windows > 0),
        "yawn_rate_diff": (
            c.yawns_yawn_windows / c.minutes_yawn_windows - c.yawns_control_windows / c.minutes_control_windows
        )
        if both
        else np.nan,
        "smile_effect": smile.effect if smile.verdict != "insufficient_data" else np.nan,
        "smile_detected": smile.verdict == "detected",
        "smile_wlcc_z": float(wlcc.iloc[0]) if len(wlcc) else np.nan,
    }
    return out, person


def _count(counts: dict, name: str, p: float, alpha: float) -> None:
    if np.isfinite(p):
        c = counts.setdefault(name, [0, 0])
        c[0] += int(p <= alpha)
        c[1] += 1


def rates(
    n_sessions: int, config: AnalysisConfig, seed: int = 0, alpha: float = 0.05, group_size: int = 20
) -> dict[str, dict[str, tuple[int, int]]]:
    """``{kind: {p-value: (hits, sessions with that p-value)}}``, and ``group`` for the group tests."""
    out, people = {}, {}
    for kind in KINDS:
        counts: dict[str, list[int]] = {}
        rows = []
        for i in range(n_sessions):
            ps, person = session_pvalues(kind, seed * 100_000 + i, config)
            rows.append(person)
            for name, p in ps.items():
                _count(counts, name, p, alpha)
        out[kind] = {k: (v[0], v[1]) for k, v in counts.items()}
        people[kind] = pd.DataFrame(rows)
    rng = np.random.default_rng([seed, 1])
    counts = {}
    groups = (
        ("smile", ("smile_mimicry", "smile_synchrony")),
        ("yawn", ("yawn_contagion", "yawn_rate")),
        ("rare-yawn", ("yawn_contagion", "yawn_rate")),
    )
    for _ in range(n_sessions):
        for kind, measures in groups:
            study = people[kind].iloc[rng.choice(len(people[kind]), size=group_size, replace=False)]
            tests = group_tests(study).set_index("measure")
            for m in measures:
                _count(counts, (kind, m), float(tests.loc[m, "p_value"]), alpha)
    out["group"] = {k: (v[0], v[1]) for k, v in counts.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument("--surrogates", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t0 = time.perf_counter()
    config = AnalysisConfig(n_surrogates=a.surrogates, n_wlcc_surrogates=20)
    table = rates(a.sessions, config, a.seed)
    print(f"{a.sessions} null sessions of each kind, {a.surrogates} surrogates, seed {a.seed}, alpha = 0.05")
    print("| p-value | null sessions | sessions with this p | false-positive rate |\n| --- | --- | --- | --- |")
    for kind, counts in table.items():
        for name, (hits, n) in counts.items():
            label = GROUP[name[1]] if kind == "group" else PVALUES[name]
            what = f"studies of 20 {name[0]}-like participants" if kind == "group" else f"{kind}-like"
            print(f"| {label} | {what} | {n} | {100 * hits / n:.1f} % |")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
