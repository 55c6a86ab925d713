"""Yawn counting and crediting, and event-locked averages (the tests are in :mod:`.verdicts`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ContagionConfig:
    """Windows of the event-based measures (seconds)."""

    response_window_s: tuple[float, float] = (0.0, 15.0)
    """A viewer yawn starting this long after a stimulus yawn's onset counts as its response
    (Provine 1986 counted yawns within minutes; 15 s keeps responses tied to one stimulus yawn)."""
    smile_baseline_s: tuple[float, float] = (-1.0, 0.0)
    """Viewer smile baseline window around each actor smile onset."""
    smile_response_s: tuple[float, float] = (0.5, 3.0)
    """Viewer smile response window after each actor smile onset (facial mimicry appears
    within about 0.5-1 s, Dimberg et al. 2000, and lasts a few seconds)."""
    smile_full_response: float = 0.3
    """Smile response (0-1 units) that earns the full smile half of the mimicry index."""


DEFAULT_CONTAGION = ContagionConfig()


def block_of(times_s: np.ndarray, spans: pd.DataFrame) -> np.ndarray:
    """Block index containing each time (``start_s <= t < end_s``), or -1."""
    out = np.full(len(times_s), -1, dtype=int)
    for sp in spans.itertuples(index=False):
        inside = (times_s >= sp.start_s) & (times_s < sp.end_s)
        out[inside] = sp.block
    return out


def yawn_contagion(
    viewer_yawns: pd.DataFrame,
    stimulus_yawns: pd.DataFrame,
    spans: pd.DataFrame,
    config: ContagionConfig = DEFAULT_CONTAGION,
) -> dict:
    """Yawn counts per condition and latencies from stimulus yawns to viewer yawns.

    Parameters
    ----------
    viewer_yawns, stimulus_yawns : pd.DataFrame
        Events (``onset_s`` at least) of one viewer face and of the actor, session clock.
    spans : pd.DataFrame
        :func:`~mimicry.analysis.alignment.block_spans` of the session.
    """
    kind_of = dict(zip(spans["block"], spans["kind"]))
    blocks = block_of(viewer_yawns["onset_s"].to_numpy(float), spans)
    kinds = np.array([kind_of.get(b, "") for b in blocks])
    minutes = {k: float((spans.end_s - spans.start_s)[spans.kind == k].sum() / 60.0) for k in ("yawn", "control")}
    latencies = credited_latencies(
        viewer_yawns["onset_s"].to_numpy(float), stimulus_yawns["onset_s"].to_numpy(float), config.response_window_s
    )
    n_y, n_c = int((kinds == "yawn").sum()), int((kinds == "control").sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_y = n_y / minutes["yawn"] if minutes["yawn"] > 0 else np.nan
        rate_c = n_c / minutes["control"] if minutes["control"] > 0 else np.nan
    return {
        "yawns_yawn_blocks": n_y,
        "yawns_control_blocks": n_c,
        "yawns_other": int(len(kinds) - n_y - n_c),
        "minutes_yawn_blocks": minutes["yawn"],
        "minutes_control_blocks": minutes["control"],
        "yawns_per_min_yawn": rate_y,
        "yawns_per_min_control": rate_c,
        "stimulus_yawns": int(len(stimulus_yawns)),
        "contagious_yawns": len(latencies),
        "latency_mean_s": float(np.mean(latencies)) if latencies else np.nan,
        "latency_median_s": float(np.median(latencies)) if latencies else np.nan,
        "latencies_s": ";".join(f"{x:.3f}" for x in latencies),
    }


def credited_latencies(
    viewer_onsets_s: np.ndarray, stimulus_onsets_s: np.ndarray, window_s: tuple[float, float]
) -> list[float]:
    """Latencies of the stimulus yawns that a viewer yawn followed (see :func:`credit`), in order."""
    lat = credit(viewer_onsets_s, stimulus_onsets_s, window_s)
    return [float(x) for x in lat[np.isfinite(lat)]]


def credit(viewer_onsets_s: np.ndarray, stimulus_onsets_s: np.ndarray, window_s: tuple[float, float]) -> np.ndarray:
    """Per stimulus onset (in the given order): the latency of the viewer yawn credited to it, or NaN.

    Each viewer yawn is credited at most once, to the latest stimulus yawn whose onset lies
    ``window_s`` (from, to; seconds) before it; a stimulus yawn credited by several viewer yawns
    keeps the latency of the earliest. So one viewer yawn never makes several stimulus yawns
    contagious.
    """
    s_raw = np.asarray(stimulus_onsets_s, float)
    order = np.argsort(s_raw, kind="stable")
    s_on = s_raw[order]
    lo, hi = window_s
    out = np.full(s_on.size, np.nan)
    for v in np.sort(np.asarray(viewer_onsets_s, float)):
        i = int(np.searchsorted(s_on, v - lo, side="right")) - 1  # latest stimulus onset with v - s >= lo
        if i >= 0 and v - s_on[i] <= hi and not np.isfinite(out[i]):
            out[i] = float(v - s_on[i])
    result = np.full(s_on.size, np.nan)
    result[order] = out
    return result


def event_locked(
    t_s: np.ndarray, values: np.ndarray, onsets_s: np.ndarray, window_s: tuple[float, float], fps: float
) -> pd.DataFrame:
    """Average of a signal around events (an event-related average).

    Parameters
    ----------
    t_s, values : np.ndarray
        The signal on a uniform grid at ``fps`` (NaN = missing).
    onsets_s : np.ndarray
        Event times, same clock, seconds.
    window_s : (float, float)
        From and to, seconds relative to each onset.

    Returns
    -------
    pd.DataFrame
        ``t_rel_s`` (seconds from onset), ``mean``, ``ci_lo`` and ``ci_hi`` (mean +- 1.96 SE over
        onsets, NaN with fewer than 2) and ``n`` (onsets with data at that time).
    """
    t, v = np.asarray(t_s, float), np.asarray(values, float)
    onsets = np.asarray(onsets_s, float)
    rel = np.arange(int(np.floor(window_s[0] * fps)), int(np.ceil(window_s[1] * fps)) + 1)
    if t.size and onsets.size:
        idx = np.rint((onsets - t[0]) * fps).astype(int)[:, None] + rel[None, :]
        ok = (idx >= 0) & (idx < t.size)
        vals = np.where(ok, v[np.clip(idx, 0, t.size - 1)], np.nan)
    else:
        vals = np.full((0, rel.size), np.nan)
    present = np.isfinite(vals)
    n = present.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, vals, 0.0).sum(axis=0) / n
        dev = np.where(present, vals - mean, 0.0)
        se = np.sqrt((dev**2).sum(axis=0) / np.maximum(n - 1, 1) / n)
    se = np.where(n >= 2, se, np.nan)
    return pd.DataFrame(
        {
            "t_rel_s": rel / fps,
            "mean": np.where(n > 0, mean, np.nan),
            "ci_lo": mean - 1.96 * se,
            "ci_hi": mean + 1.96 * se,
            "n": n,
        }
    )
