"""The sentences the report and the command line say about a person: each follows from one row of
``verdicts.csv`` (the declared test of its measure), with the counts it rests on."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..analysis.contagion import DEFAULT_CONTAGION
from ..analysis.verdicts import lay_index


def fmt_p(p: float) -> str:
    """p-value for lay text: ``p < 0.001`` below, three decimals otherwise."""
    if not np.isfinite(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _ci(v: pd.Series, fmt: str = "{:.2f}") -> str:
    lo, hi = float(v["ci_lo"]), float(v["ci_hi"])
    if not np.isfinite(lo) or np.isnan(hi):
        return ""
    return f"95% CI {fmt.format(lo)} to {'no upper limit' if hi == math.inf else fmt.format(hi)}; "


def _smiles_counted(n: int, shown: int) -> str:
    """How many of the video's smiles the test used, and why the others were left out (the
    timeline and the onset plot show them all)."""
    if shown <= n:
        return f"{plural(n, 'smile')} in the video"
    left = shown - n
    return f"{n} of the {shown} smiles in the video: {left} without the face in view around {'it' if left == 1 else 'them'}"


def smile_sentence(v: pd.Series, trials: pd.DataFrame, you: str, your: str) -> str:
    """The smile-mimicry sentence of one face, from its ``verdicts.csv`` row."""
    n = int(v["n_events"])
    if v["verdict"] == "insufficient_data":
        return f"Smiles: cannot tell: {v['reason']}."
    eff, p = float(v["effect"]), float(v["p_value"])
    stats = f"({_ci(v)}{fmt_p(p)}; {_smiles_counted(n, len(trials))})"
    if v["verdict"] == "detected":
        lat = trials.loc[trials["responded"] == 1, "latency_s"].to_numpy(float) if len(trials) else np.empty(0)
        when = f", typically {float(np.median(lat)):.1f} s after the person in the video" if lat.size else ""
        return (
            f"Smiles: {you} smiled along with the video{when}: after each smile in the video {your} smile rose "
            f"{eff:.2f} more than after random moments of the same clips {stats}. Smile mimicry detected."
        )
    if isinstance(v["reason"], str) and v["reason"]:
        return (
            f"Smiles: {your} smile rose {eff:.2f} more after the video's smiles than after random moments "
            f"{stats}, but {v['reason']}. No smile mimicry detected."
        )
    return (
        f"Smiles: {your} smile did not rise after the video's smiles more than after random moments "
        f"({eff:+.2f} above chance; {stats[1:-1]}). No smile mimicry detected."
    )


def yawn_sentence(v: pd.Series, c: pd.Series, you: str, them: str) -> str:
    """The yawn-contagion sentence of one face, from its ``verdicts.csv`` and ``contagion.csv`` rows."""
    hi = DEFAULT_CONTAGION.response_window_s[1]
    text = (
        f"Yawns: {you} yawned {plural(int(c['yawns_yawn_windows']), 'time')} within {hi:.0f} s after a yawn "
        f"in the video ({float(c['minutes_yawn_windows']):.1f} min watched) and "
        f"{plural(int(c['yawns_control_windows']), 'time')} in the same windows of the control clips "
        f"({float(c['minutes_control_windows']):.1f} min)."
    )
    if v["verdict"] == "insufficient_data":
        return text + f" Cannot tell whether yawning was contagious: {v['reason']}."
    ratio = float(v["effect"])
    rate = "more than any rate in the control clips" if ratio == math.inf else f"{ratio:.1f} times the control rate"
    if v["verdict"] == "detected":
        return text + f" That is {rate} ({_ci(v, '{:.1f}')}{fmt_p(float(v['p_value']))}). Contagious yawning detected."
    return (
        text + f" That is not more than chance would give ({fmt_p(float(v['p_value']))}). "
        f"No contagious yawning detected."
    )


def yawns_shown(contagion: Mapping) -> bool:
    """Whether a face's session showed yawn or control clips (its ``contagion.csv`` row, a Series
    or a mapping): only
    then is there a yawn sentence, and a yawn test to count in the index."""
    return float(contagion["minutes_yawn_blocks"]) > 0 or float(contagion["minutes_control_blocks"]) > 0


def plain_summary(
    verdicts: pd.DataFrame, contagion: pd.DataFrame, trials: pd.DataFrame | None = None
) -> dict[int, list[str]]:
    """A few plain-language sentences per face, each following from that face's ``verdicts.csv``
    row (the primary test of the measure), with counts from ``contagion.csv``."""
    faces = [int(f) for f in contagion["face"]]
    trials = trials if trials is not None else pd.DataFrame(columns=["face", "event", "responded", "latency_s"])
    out = {}
    for face in faces:
        you, your, them = (
            ("You", "your", "you") if len(faces) == 1 else (f"Face {face}", f"face {face}'s", f"face {face}")
        )
        v = verdicts[verdicts["face"] == face].set_index("measure")
        c = contagion[contagion["face"] == face].iloc[0]
        tr = trials[(trials["face"] == face) & (trials["event"] == "smile")]
        lines = [smile_sentence(v.loc["smile_mimicry"], tr, you, your)]
        if yawns_shown(c):
            lines.append(yawn_sentence(v.loc["yawn_contagion"], c, you, them))
        idx = float(c["mimicry_index"])
        if np.isfinite(idx):
            lines.append(
                f"Mimicry index: {idx:.0f} out of 100 ({index_basis(v, yawns_shown=yawns_shown(c))}): 0 unless "
                f"a test detected mimicry, higher the more {your} smile rose above chance and the larger the "
                f"share of yawns beyond chance. It is a summary for demonstrations; the tests are the measurement."
            )
        out[face] = lines
    return out


_INDEX_TESTS = {
    "smile_mimicry": ("smile", "smile in the video", "smiles in the video"),
    "yawn_contagion": ("yawn", "viewer yawn", "viewer yawns"),
}


def index_interval(verdicts: pd.DataFrame) -> tuple[float, float]:
    """The mimicry index at the ends of its tests' 95 % intervals (the index rises with each
    test's effect): how uncertain it is. NaN where a test has no interval.

    Parameters
    ----------
    verdicts : pd.DataFrame
        One face's ``verdicts.csv`` rows.
    """
    full = DEFAULT_CONTAGION.smile_full_response
    detected = verdicts["verdict"] == "detected"
    lo, hi = (
        lay_index(verdicts.assign(effect=verdicts[end].where(detected, verdicts["effect"])), full)
        for end in ("ci_lo", "ci_hi")
    )
    return lo, hi


def index_basis(verdicts: pd.DataFrame, *, yawns_shown: bool = True) -> str:
    """What one face's mimicry index rests on, in words: its interval, the tests it counts with
    their events, and the tests that could not tell (left out of it).

    Parameters
    ----------
    verdicts : pd.DataFrame
        One face's ``verdicts.csv`` rows, indexed by ``measure`` or with a ``measure`` column.
    yawns_shown : bool
        Whether the session showed yawn or control clips (else the yawn test goes unmentioned).
    """
    v = verdicts.reset_index() if "measure" not in verdicts.columns else verdicts
    lo, hi = index_interval(v)
    used: list[tuple[str, str]] = []
    left: list[str] = []
    for row in v.itertuples(index=False):
        what, one, many = _INDEX_TESTS.get(str(row.measure), (str(row.measure), "event", "events"))
        if row.verdict != "insufficient_data":
            n = int(row.n_events)
            used.append((what, f"{n} {one if n == 1 else many}"))
        elif what != "yawn" or yawns_shown:
            left.append(f"the {what} test could not tell and does not count")
    text = f"95% interval {lo:.0f} to {hi:.0f}; " if np.isfinite(lo) and np.isfinite(hi) else ""
    alone = " alone" if len(used) == 1 and left else ""
    text += (
        "from " + " and ".join(f"the {what} test{alone} ({count})" for what, count in used) if used else "from no test"
    )
    return text + "".join(f"; {x}" for x in left)
