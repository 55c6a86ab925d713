"""Yawn contagion, event-locked smile mimicry and the lay 0-100 mimicry index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .surrogates import p_value


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


def yawn_contagion(viewer_yawns: pd.DataFrame, stimulus_yawns: pd.DataFrame, spans: pd.DataFrame,
                   config: ContagionConfig = DEFAULT_CONTAGION) -> dict:
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
    latencies = credited_latencies(viewer_yawns["onset_s"].to_numpy(float),
                                   stimulus_yawns["onset_s"].to_numpy(float), config.response_window_s)
    n_y, n_c = int((kinds == "yawn").sum()), int((kinds == "control").sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_y = n_y / minutes["yawn"] if minutes["yawn"] > 0 else np.nan
        rate_c = n_c / minutes["control"] if minutes["control"] > 0 else np.nan
    return {
        "yawns_yawn_blocks": n_y, "yawns_control_blocks": n_c, "yawns_other": int(len(kinds) - n_y - n_c),
        "minutes_yawn_blocks": minutes["yawn"], "minutes_control_blocks": minutes["control"],
        "yawns_per_min_yawn": rate_y, "yawns_per_min_control": rate_c,
        "stimulus_yawns": int(len(stimulus_yawns)), "contagious_yawns": len(latencies),
        "latency_mean_s": float(np.mean(latencies)) if latencies else np.nan,
        "latency_median_s": float(np.median(latencies)) if latencies else np.nan,
        "latencies_s": ";".join(f"{x:.3f}" for x in latencies),
    }


def credited_latencies(viewer_onsets_s: np.ndarray, stimulus_onsets_s: np.ndarray,
                       window_s: tuple[float, float]) -> list[float]:
    """Latencies of the stimulus yawns that a viewer yawn followed, one per such stimulus yawn.

    Each viewer yawn is credited at most once, to the latest stimulus yawn whose onset lies
    ``window_s`` (from, to; seconds) before it; a stimulus yawn credited by several viewer yawns
    counts once, with the latency of the earliest. So one viewer yawn never makes several
    stimulus yawns contagious.
    """
    v_on = np.sort(np.asarray(viewer_onsets_s, float))
    s_on = np.sort(np.asarray(stimulus_onsets_s, float))
    lo, hi = window_s
    first: dict[int, float] = {}
    for v in v_on:
        i = int(np.searchsorted(s_on, v - lo, side="right")) - 1  # latest stimulus onset with v - s >= lo
        if i >= 0 and v - s_on[i] <= hi and i not in first:
            first[i] = float(v - s_on[i])
    return [first[i] for i in sorted(first)]


def _window_means(t: np.ndarray, v: np.ndarray, onsets: np.ndarray, window: tuple[float, float], fps: float) -> np.ndarray:
    """Mean of ``v`` (uniform grid ``t``) in ``[onset + window[0], onset + window[1])`` per onset."""
    if t.size == 0 or onsets.size == 0:
        return np.full(onsets.size, np.nan)
    i0 = np.rint((onsets + window[0] - t[0]) * fps).astype(int)
    n = max(1, int(round((window[1] - window[0]) * fps)))
    idx = i0[:, None] + np.arange(n)[None, :]
    ok = (idx >= 0) & (idx < t.size)
    vals = np.where(ok, v[np.clip(idx, 0, t.size - 1)], np.nan)
    present = np.isfinite(vals)
    count = present.sum(axis=1)
    means = np.where(present, vals, 0.0).sum(axis=1) / np.maximum(count, 1)
    return np.where(count >= 0.5 * n, means, np.nan)


def event_locked(t_s: np.ndarray, values: np.ndarray, onsets_s: np.ndarray, window_s: tuple[float, float],
                 fps: float) -> pd.DataFrame:
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
        se = np.sqrt((dev ** 2).sum(axis=0) / np.maximum(n - 1, 1) / n)
    se = np.where(n >= 2, se, np.nan)
    return pd.DataFrame({"t_rel_s": rel / fps, "mean": np.where(n > 0, mean, np.nan), "ci_lo": mean - 1.96 * se,
                         "ci_hi": mean + 1.96 * se, "n": n})


def smile_response(t_s: np.ndarray, viewer_smile: np.ndarray, actor_onsets_s: np.ndarray, eligible: pd.DataFrame,
                   fps: float, n_surrogates: int, rng: np.random.Generator,
                   config: ContagionConfig = DEFAULT_CONTAGION) -> dict:
    """Event-locked smile mimicry: viewer smile rise after actor smile onsets, vs random onsets.

    Parameters
    ----------
    t_s, viewer_smile : np.ndarray
        The viewer's smile on a uniform grid at ``fps`` over the whole session (NaN = missing).
    actor_onsets_s : np.ndarray
        Actor smile onsets, session clock.
    eligible : pd.DataFrame
        Spans (``start_s``, ``end_s``) where random onsets may fall: the blocks that contain
        actor smiles, so the surrogate shares the viewing context.

    Returns
    -------
    dict
        ``smile_response`` (mean over onsets of response-window mean minus baseline-window
        mean), ``smile_response_p`` (share of ``n_surrogates`` random onset sets of the same size
        with a mean response at least as large) and ``actor_smiles`` (onsets with enough data).
    """
    t = np.asarray(t_s, float)
    v = np.asarray(viewer_smile, float)

    def responses(onsets):
        return (_window_means(t, v, onsets, config.smile_response_s, fps)
                - _window_means(t, v, onsets, config.smile_baseline_s, fps))

    onsets = np.asarray(actor_onsets_s, float)
    r = responses(onsets)
    ok = np.isfinite(r)
    out = {"smile_response": float(r[ok].mean()) if ok.any() else np.nan, "smile_response_p": np.nan,
           "actor_smiles": int(ok.sum())}
    if not ok.any() or eligible.empty or n_surrogates <= 0:
        return out
    lo_pad, hi_pad = -config.smile_baseline_s[0], config.smile_response_s[1]
    spans = [(s + lo_pad, e - hi_pad) for s, e in zip(eligible.start_s, eligible.end_s) if e - hi_pad > s + lo_pad]
    if not spans:
        return out
    lengths = np.array([e - s for s, e in spans])
    k = int(ok.sum())
    which = rng.choice(len(spans), size=(n_surrogates, k), p=lengths / lengths.sum())
    starts = np.array([s for s, _ in spans])[which]
    rand_onsets = starts + rng.random((n_surrogates, k)) * lengths[which]
    rr = responses(rand_onsets.ravel()).reshape(n_surrogates, k)
    ok_rr = np.isfinite(rr)
    sur = np.where(ok_rr.any(axis=1), np.where(ok_rr, rr, 0.0).sum(axis=1) / np.maximum(ok_rr.sum(axis=1), 1), np.nan)
    out["smile_response_p"] = p_value(out["smile_response"], sur)
    return out


def mimicry_index(smile_response_value: float, actor_smiles: int, contagious_yawns: int, stimulus_yawns: int,
                  config: ContagionConfig = DEFAULT_CONTAGION) -> float:
    """Lay 0-100 summary, monotone in each part; NaN if the session had neither smiles nor yawns.

    Smile part: ``smile_response / smile_full_response`` clipped to [0, 1] (a viewer whose smile
    rises by 0.3 on average after the actor smiles gets the full part). Yawn part: the share of
    stimulus yawns followed by a viewer yawn within the response window. The index is 100 times
    the mean of the parts the session has.
    """
    parts = []
    if actor_smiles > 0 and np.isfinite(smile_response_value):
        parts.append(float(np.clip(smile_response_value / config.smile_full_response, 0.0, 1.0)))
    if stimulus_yawns > 0:
        parts.append(float(np.clip(contagious_yawns / stimulus_yawns, 0.0, 1.0)))
    return 100.0 * float(np.mean(parts)) if parts else float("nan")
