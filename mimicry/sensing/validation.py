"""Scoring the signals against hand-marked truth on real recordings (``benchmarks/validate_real.py``).

Pure functions over a track (the ``mimicry track`` CSV of a clip) and the clip's rows of a
``truth.csv`` (``clip, event, start_s, end_s, note``; events ``yawn``, ``ambiguous``, ``laugh``,
``smile``, ``crying``). A yawn *episode* is a run where a signal stays at or above 0.5 for at
least 0.5 s; it *hits* a marked yawn it overlaps, and is a *false yawn* if it overlaps no marked
yawn or ambiguous span.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..series import true_runs

EPISODE_LEVEL = 0.5
EPISODE_MIN_S = 0.5
TRUTH_EVENTS = ("yawn", "ambiguous", "laugh", "smile", "crying")


def episodes(
    t_s: np.ndarray, values: np.ndarray, level: float = EPISODE_LEVEL, min_s: float = EPISODE_MIN_S
) -> list[tuple[float, float]]:
    """``(start_s, end_s)`` of the runs at or above ``level`` lasting at least ``min_s`` (from the
    first to the last sample of the run; missing values end a run)."""
    t = np.asarray(t_s, float)
    above = np.nan_to_num(np.asarray(values, float), nan=-1.0) >= level
    return [(float(t[a]), float(t[b - 1])) for a, b in zip(*true_runs(above)) if t[b - 1] - t[a] >= min_s - 1e-9]


def _overlaps(a: float, b: float, spans: pd.DataFrame) -> np.ndarray:
    return ((spans["start_s"] <= b) & (spans["end_s"] >= a)).to_numpy()


def score_yawns(t_s: np.ndarray, values: np.ndarray, truth: pd.DataFrame) -> dict[str, int]:
    """``yawns`` marked, ``hit`` (marked yawns overlapped by an episode) and ``false`` (episodes
    overlapping no marked yawn or ambiguous span) of one clip."""
    ep = episodes(t_s, values)
    yawns = truth[truth["event"] == "yawn"]
    excused = truth[truth["event"].isin(["yawn", "ambiguous"])]
    hit = sum(any(a <= r.end_s and b >= r.start_s for a, b in ep) for r in yawns.itertuples())
    false = sum(not _overlaps(a, b, excused).any() for a, b in ep)
    return {"yawns": int(len(yawns)), "hit": int(hit), "false": int(false)}


def mean_in_spans(t_s: np.ndarray, values: np.ndarray, spans: pd.DataFrame) -> float:
    """Mean of ``values`` over the samples inside any span (NaN if none)."""
    t = np.asarray(t_s, float)
    inside = np.zeros(t.size, bool)
    for r in spans.itertuples():
        inside |= (t >= r.start_s) & (t <= r.end_s)
    v = np.asarray(values, float)[inside]
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def score_clip(track: pd.DataFrame, truth: pd.DataFrame) -> list[dict]:
    """Two rows for one clip: ``mimicry`` (``yawn`` and ``smile``) and ``mediapipe`` (raw
    ``jawOpen`` and mean ``mouthSmileLeft/Right``), each with the yawn counts of
    :func:`score_yawns` and the mean smile in each kind of marked span (``smile_in_<event>``)."""
    d = track[(track["detected"] == 1)] if "detected" in track else track
    if "face" in d:
        d = d[d["face"] == d["face"].min()] if len(d) else d
    t = d["t_s"].to_numpy(float)
    raw_smile = (
        d[["mouthSmileLeft", "mouthSmileRight"]].mean(axis=1).to_numpy(float)
        if {"mouthSmileLeft", "mouthSmileRight"} <= set(d.columns)
        else np.full(t.size, np.nan)
    )
    signals = {
        "mimicry": (d["yawn"].to_numpy(float), d["smile"].to_numpy(float)),
        "mediapipe": (d["jawOpen"].to_numpy(float) if "jawOpen" in d else np.full(t.size, np.nan), raw_smile),
    }
    rows = []
    for name, (yawn, smile) in signals.items():
        row = {"signal": name, **score_yawns(t, yawn, truth)}
        for event in ("smile", "laugh", "yawn", "crying"):
            spans = truth[truth["event"] == event]
            row[f"smile_in_{event}"] = mean_in_spans(t, smile, spans) if len(spans) else float("nan")
        rows.append(row)
    return rows
