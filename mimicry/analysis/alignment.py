"""Put viewer and actor signals on one uniform time grid, block by block, without inventing data.

Camera frames arrive at uneven times and faces get lost; stimulus frames are shown at their own
rate. Both are resampled onto a grid at the camera rate by linear interpolation between two
real samples **only if they are at most** ``max_gap_s`` apart; across a longer gap the grid stays
NaN and is excluded downstream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Longest gap between two real samples that may be bridged by interpolation, seconds.
MAX_GAP_S = 0.25


def resample_gapped(
    t_s: np.ndarray, values: np.ndarray, grid_s: np.ndarray, max_gap_s: float = MAX_GAP_S
) -> np.ndarray:
    """Linear interpolation of ``values`` (sampled at ``t_s``) onto ``grid_s``, NaN across gaps.

    Parameters
    ----------
    t_s : np.ndarray
        Sample times, seconds (any order; NaN values are dropped first).
    values : np.ndarray
        Samples; NaN means missing.
    grid_s : np.ndarray
        Times to resample at, seconds.
    max_gap_s : float
        Two neighbouring real samples further apart than this are not bridged. A grid point
        within half a sample interval of a lone sample takes that sample's value.

    Returns
    -------
    np.ndarray
        Values at ``grid_s``; NaN outside the data and inside gaps longer than ``max_gap_s``.
    """
    t = np.asarray(t_s, float)
    v = np.asarray(values, float)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    g = np.asarray(grid_s, float)
    out = np.full(g.shape, np.nan)
    if t.size == 0:
        return out
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    i = np.searchsorted(t, g, side="right")  # t[i-1] <= g < t[i]
    has_prev, has_next = i > 0, i < t.size
    ip, inx = np.clip(i - 1, 0, t.size - 1), np.clip(i, 0, t.size - 1)
    tp, tn = t[ip], t[inx]
    both = has_prev & has_next & (tn - tp <= max_gap_s) & (tn > tp)
    w = np.where(both, (g - tp) / np.where(tn > tp, tn - tp, 1.0), 0.0)
    out[both] = v[ip][both] * (1 - w[both]) + v[inx][both] * w[both]
    # at the ends of the data and next to gaps: take a sample within half a sample interval
    tol = 0.5 * float(np.median(np.diff(t))) if t.size > 1 else 1e-9
    d_prev = np.where(has_prev, g - tp, np.inf)
    d_next = np.where(has_next, tn - g, np.inf)
    near = ~both & (np.minimum(d_prev, d_next) <= tol)
    out[near] = np.where(d_prev[near] <= d_next[near], v[ip][near], v[inx][near])
    return out


def block_spans(stimulus_log: pd.DataFrame) -> pd.DataFrame:
    """One row per block: ``block, kind, stimulus_id, start_s, end_s`` (session clock).

    ``end_s`` is the last stimulus frame's time plus one stimulus frame interval.
    """
    rows = []
    for block, g in stimulus_log.groupby("block", sort=True):
        t = np.sort(g["t_s"].to_numpy(float))
        step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
        rows.append(
            {
                "block": int(block),
                "kind": str(g["kind"].iloc[0]),
                "stimulus_id": str(g["stimulus_id"].iloc[0]),
                "start_s": float(t[0]),
                "end_s": float(t[-1] + step),
            }
        )
    return pd.DataFrame(rows, columns=["block", "kind", "stimulus_id", "start_s", "end_s"])


def viewer_series(frames: pd.DataFrame, face: int, signal: str) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of one face's signal; frames where the face was not detected are NaN."""
    f = frames[frames["face"] == face]
    v = f[signal].to_numpy(float).copy()
    v[f["detected"].to_numpy() != 1] = np.nan
    return f["t_s"].to_numpy(float), v


def align_blocks(
    frames: pd.DataFrame,
    stimulus_log: pd.DataFrame,
    fps: float,
    max_gap_s: float = MAX_GAP_S,
    signals: tuple[str, ...] = ("smile", "yawn"),
) -> pd.DataFrame:
    """Viewer and actor signals on a uniform grid at ``fps``, per face and block.

    Returns
    -------
    pd.DataFrame
        Columns ``face, block, kind, stimulus_id, t_s`` and, per signal, ``viewer_<signal>`` and
        ``actor_<signal>``. The grid of a block runs from its first stimulus frame to its end in
        steps of ``1 / fps``.
    """
    spans = block_spans(stimulus_log)
    faces = sorted(int(f) for f in frames["face"].dropna().unique())
    parts = []
    for span in spans.itertuples(index=False):
        grid = np.arange(span.start_s, span.end_s - 1e-9, 1.0 / fps)
        stim = stimulus_log[stimulus_log["block"] == span.block]
        actor = {s: resample_gapped(stim["t_s"], stim[s], grid, max_gap_s) for s in signals}
        for face in faces:
            d = {"face": face, "block": span.block, "kind": span.kind, "stimulus_id": span.stimulus_id, "t_s": grid}
            for s in signals:
                t, v = viewer_series(frames, face, s)
                d[f"viewer_{s}"] = resample_gapped(t, v, grid, max_gap_s)
                d[f"actor_{s}"] = actor[s]
            parts.append(pd.DataFrame(d))
    cols = ["face", "block", "kind", "stimulus_id", "t_s"] + [f"{w}_{s}" for s in signals for w in ("viewer", "actor")]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
