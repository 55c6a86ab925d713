"""The yawn model: each run of open-mouth frames judged as a whole (see :mod:`mimicry.sensing.signals`
for the physiology and the docs, Methods: Signals, for its margins and failures).

A yawn opens slowly (the deep inspiration, a second or more) and stays open; speech, grimaces and
surprise open within a few hundred milliseconds. :func:`yawn_signal` turns a face's per-frame
mouth opening (:func:`~mimicry.sensing.signals.mouth_opening`) into ``yawn``; the live pipeline
calls it on a sliding window and gets the same values.
"""

from __future__ import annotations

import numpy as np

from ..series import true_runs
from .signals import DEFAULT_CONFIG, SignalConfig, _clip01


def median_t(t_s: np.ndarray, x: np.ndarray, window_s: float) -> np.ndarray:
    """Running median of ``x`` over the samples within ``window_s / 2`` of each sample's time
    (``t_s`` increasing; the window is in seconds, whatever the frame rate)."""
    t, v = np.asarray(t_s, float), np.asarray(x, float)
    if window_s <= 0 or v.size == 0:
        return v.copy()
    h = window_s / 2 + 1e-6  # timestamps k / fps land on the window's edge up to rounding
    lo, hi = np.searchsorted(t, t - h, side="left"), np.searchsorted(t, t + h, side="right")
    idx = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    win = np.where(idx < hi[:, None], v[np.minimum(idx, v.size - 1)], np.nan)
    return np.nanmedian(win, axis=1)


def _run_times(t: np.ndarray, o: np.ndarray, censored: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widest opening so far, open time and opening time (s) of one run at each of its samples
    (see :func:`yawn_onset_time`)."""
    widest = np.maximum.accumulate(o)
    open_s = t - t[0]
    rise_s = open_s if censored else t[np.searchsorted(widest, 0.9 * widest, side="left")] - t[0]
    return widest, open_s, rise_s


def yawn_onset_time(
    t_s: np.ndarray, opening: np.ndarray, smile: np.ndarray, censored: bool, config: SignalConfig = DEFAULT_CONFIG
) -> float | None:
    """When one run of open-mouth samples becomes a yawn (s), or ``None``.

    At each sample the run so far is judged: its widest opening (``yawn_wide``), the geometric
    mean of its open time and its opening time (from its first sample to the first that reached
    90 % of its widest so far; ``yawn_time_scale_s``) and its mean ``smile`` (a laugh at
    ``smile_for_laugh[0]`` or more). Both times only grow, so a run that qualified stays a yawn.
    ``censored``: the run was already open when the face appeared, its opening time is unknown and
    taken as its open time.
    """
    t, o = np.asarray(t_s, float), np.asarray(opening, float)
    widest, open_s, rise_s = _run_times(t, o, censored)
    mean_smile = np.cumsum(smile) / np.arange(1, o.size + 1)
    ok = (
        (widest >= config.yawn_wide)
        & (np.sqrt(open_s * rise_s) >= config.yawn_time_scale_s - 1e-9)
        & (mean_smile < config.smile_for_laugh[0])
    )
    return float(t[np.argmax(ok)]) if ok.any() else None


def _runs(t: np.ndarray, opening: np.ndarray, config: SignalConfig):
    """Smoothed opening and ``(start, stop, censored)`` of each run of open samples."""
    missing = ~np.isfinite(opening)
    o = median_t(t, np.where(missing, 0.0, opening), config.yawn_smooth_s)
    runs = [(a, b, bool(a == 0 or missing[a - 1])) for a, b in zip(*true_runs(o >= config.yawn_open))]
    return o, runs


def yawn_runs(t_s: np.ndarray, opening: np.ndarray, smile: np.ndarray, config: SignalConfig = DEFAULT_CONFIG):
    """Every run of open-mouth samples with what :func:`yawn_signal` judged it on, for checking
    the model on real recordings (``benchmarks/validate_real.py --runs``).

    Returns
    -------
    pandas.DataFrame
        One row per run: ``start_s``, ``end_s``, ``widest`` (smoothed opening), ``open_s`` and
        ``rise_s`` (its open and opening times at its end), ``time_scale_s`` (their geometric
        mean), ``mean_smile``, ``censored``, ``yawn_onset_s`` (when it became a yawn; NaN if
        never) and ``decided_after_s`` (that moment after the run began).
    """
    import pandas as pd

    t = np.asarray(t_s, float)
    o, runs = _runs(t, np.asarray(opening, float), config)
    s = np.nan_to_num(np.asarray(smile, float), nan=0.0)
    rows = []
    for a, b, censored in runs:
        _, open_s, rise_s = _run_times(t[a:b], o[a:b], censored)
        onset = yawn_onset_time(t[a:b], o[a:b], s[a:b], censored, config)
        rows.append(
            {
                "start_s": t[a],
                "end_s": t[b - 1],
                "widest": float(o[a:b].max()),
                "open_s": float(open_s[-1]),
                "rise_s": float(rise_s[-1]),
                "time_scale_s": float(np.sqrt(open_s[-1] * rise_s[-1])),
                "mean_smile": float(s[a:b].mean()),
                "censored": censored,
                "yawn_onset_s": np.nan if onset is None else onset,
                "decided_after_s": np.nan if onset is None else onset - t[a],
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "start_s",
            "end_s",
            "widest",
            "open_s",
            "rise_s",
            "time_scale_s",
            "mean_smile",
            "censored",
            "yawn_onset_s",
            "decided_after_s",
        ],
    )


def yawn_signal(
    t_s: np.ndarray, opening: np.ndarray, smile: np.ndarray, config: SignalConfig = DEFAULT_CONFIG
) -> np.ndarray:
    """The ``yawn`` signal of one face, in [0, 1] per sample.

    Parameters
    ----------
    t_s : np.ndarray
        Sample times, s, increasing (any frame rate, dropped frames allowed).
    opening : np.ndarray
        Combined mouth opening (:func:`mouth_opening`); NaN where the face was not found.
    smile : np.ndarray
        ``smile`` of the same samples.

    Returns
    -------
    np.ndarray
        0 outside yawns. The opening, smoothed by a ``yawn_smooth_s`` running median, is split into
        runs at or above ``yawn_open``; a run is judged by :func:`yawn_onset_time`, and a sample of
        it is in the yawn if the run qualified at most ``yawn_latency_s - yawn_smooth_s / 2`` after
        the sample (the look-ahead the live pipeline has). There ``yawn`` = the opening mapped from
        0 at ``yawn_open`` to 1 at ``yawn_full``, faded out as ``smile`` crosses ``smile_for_laugh``.
        A run that starts at the first sample or right after the face was missing is censored.
    """
    t = np.asarray(t_s, float)
    o, runs = _runs(t, np.asarray(opening, float), config)
    s = np.nan_to_num(np.asarray(smile, float), nan=0.0)
    out = np.zeros(t.size)
    look_s = config.yawn_latency_s - config.yawn_smooth_s / 2
    lo, hi = config.smile_for_laugh
    for a, b, censored in runs:
        onset = yawn_onset_time(t[a:b], o[a:b], s[a:b], censored, config)
        if onset is None:
            continue
        level = _clip01((o[a:b] - config.yawn_open) / (config.yawn_full - config.yawn_open))
        level *= 1.0 - _clip01((s[a:b] - lo) / (hi - lo))
        out[a:b] = np.where(t[a:b] + look_s >= onset - 1e-9, level, 0.0)
    return out
