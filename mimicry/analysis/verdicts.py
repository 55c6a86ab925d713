"""The primary tests: one per measure, behind every sentence the tool prints about a person.

Smile mimicry
    Per actor smile onset (all blocks pooled), the viewer's baseline-corrected response: mean
    smile 0.5-3 s after the onset minus the mean in the second before it. The statistic is the
    mean over onsets; its null distribution comes from the same number of random onsets drawn
    inside the same clips (the viewer's own series, with its own timing and rhythm, is kept whole;
    only the link to the actor's onsets is broken). One-sided p; ``effect`` is the observed mean
    minus the null mean (chance-corrected, 0-1 smile units). A viewer whose smiles start before
    the actor's (median latency < 0) is never ``detected``: leading is not following.
Yawn contagion
    Each viewer yawn is counted once: in a *yawn window* (``response_window_s`` after a stimulus
    yawn's onset, which may run into the pause after the clip) or, failing that, in a *control
    window* (the same window after pseudo-onsets placed in the control clips at the yawn clips'
    onset times). Exposure is the minutes with a face present in each set of windows. The
    statistic is the difference of the two yawn rates (per face-present minute); its null
    distribution comes from shifting the viewer's whole train of yawn onsets, circularly over the
    recording, by random amounts (the viewer's own timing, including how regularly they yawn, is
    kept; only the link to the clips is broken). One-sided p. (A mid-p ran hot, 12 % at alpha
    0.05, for people who yawn rarely; the binomial conditional test, which ignores how regularly
    a person yawns, ran cold, 2 %.) ``effect`` is the incidence rate ratio (yawn / control
    windows) with its exact conditional (Clopper-Pearson) 95 % CI.

``insufficient_data`` (the data cannot answer): fewer than ``min_smile_events`` actor smiles with a
face present; no stimulus yawn, no control clip or less than ``min_exposure_min`` of face-present
exposure in either set of windows; or so few viewer yawns that even all of them in yawn windows
could not reach ``alpha``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .contagion import DEFAULT_CONTAGION, ContagionConfig
from .surrogates import p_value


@dataclass(frozen=True)
class VerdictConfig:
    """Decision rules of the primary tests (documented in the docs' methods page)."""

    alpha: float = 0.05
    """Significance level of every primary test (one-sided)."""
    min_smile_events: int = 3
    """Fewest actor smile onsets with a face present for a smile verdict."""
    min_exposure_min: float = 0.5
    """Fewest face-present minutes in yawn windows and in control windows for a yawn verdict."""
    yawn_baseline_s: tuple[float, float] = (-5.0, 0.0)
    """Viewer yawn baseline window around each (pseudo-)onset, for ``trials.csv``."""


DEFAULT_VERDICT = VerdictConfig()

SMILE_TEST = "random-onset permutation of the mean baseline-corrected smile response (one-sided)"
YAWN_TEST = "circular-shift permutation of the viewer's yawns: rate in yawn minus control windows (one-sided)"


def window_stats(
    t: np.ndarray, v: np.ndarray, onsets: np.ndarray, window_s: tuple[float, float], fps: float, min_share: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per onset: mean and max of ``v`` (uniform grid ``t``) in ``[onset + from, onset + to)`` and
    the share of samples present; mean and max are NaN with less than ``min_share`` present."""
    onsets = np.asarray(onsets, float)
    n = max(1, int(round((window_s[1] - window_s[0]) * fps)))
    if t.size == 0 or onsets.size == 0:
        nan = np.full(onsets.size, np.nan)
        return nan, nan.copy(), np.zeros(onsets.size)
    i0 = np.rint((onsets + window_s[0] - t[0]) * fps).astype(int)
    idx = i0[:, None] + np.arange(n)[None, :]
    ok = (idx >= 0) & (idx < t.size)
    vals = np.where(ok, v[np.clip(idx, 0, t.size - 1)], np.nan)
    present = np.isfinite(vals)
    share = present.sum(axis=1) / n
    enough = share >= min_share
    with np.errstate(invalid="ignore"):
        mean = np.where(enough, np.where(present, vals, 0.0).sum(axis=1) / np.maximum(present.sum(axis=1), 1), np.nan)
        peak = np.where(enough, np.where(present, vals, -np.inf).max(axis=1), np.nan)
    return mean, peak, share


def smile_trials(
    t: np.ndarray,
    smile: np.ndarray,
    onsets_s: np.ndarray,
    viewer_onsets_s: np.ndarray,
    fps: float,
    config: ContagionConfig = DEFAULT_CONTAGION,
    valid: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per actor smile onset: ``onset_s, baseline, response, peak, latency_s, responded,
    valid_share`` for one viewer (``t``, ``smile`` on a uniform grid; ``viewer_onsets_s``: the
    viewer's smile events).

    ``latency_s``: onset of the viewer's first smile starting between the baseline window's start
    and the response window's end, from the actor's onset (negative: the viewer led);
    ``responded``: such a smile started at or after the actor's onset; ``valid_share``: share of
    the trial's samples that are finite in ``valid`` (default: in ``smile``).
    """
    onsets = np.asarray(onsets_s, float)
    base, _, _ = window_stats(t, smile, onsets, config.smile_baseline_s, fps)
    resp, _, _ = window_stats(t, smile, onsets, config.smile_response_s, fps)
    _, peak, _ = window_stats(t, smile, onsets, (0.0, config.smile_response_s[1]), fps)
    _, _, share = window_stats(
        t, smile if valid is None else valid, onsets, (config.smile_baseline_s[0], config.smile_response_s[1]), fps
    )
    v_on = np.sort(np.asarray(viewer_onsets_s, float))
    latency = np.full(onsets.size, np.nan)
    for i, o in enumerate(onsets):
        near = v_on[(v_on >= o + config.smile_baseline_s[0]) & (v_on < o + config.smile_response_s[1])]
        if near.size:
            latency[i] = near[0] - o
    return pd.DataFrame(
        {
            "onset_s": onsets,
            "baseline": base,
            "response": resp,
            "peak": peak,
            "latency_s": latency,
            "responded": (latency >= 0).astype(int),
            "valid_share": share,
        }
    )


def random_onsets(spans: list[tuple[float, float]], n_sets: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_sets, k)`` onsets drawn uniformly over the union of ``spans`` (seconds)."""
    lengths = np.array([e - s for s, e in spans])
    which = rng.choice(len(spans), size=(n_sets, k), p=lengths / lengths.sum())
    starts = np.array([s for s, _ in spans])[which]
    return starts + rng.random((n_sets, k)) * lengths[which]


def smile_null(
    t: np.ndarray,
    smile: np.ndarray,
    eligible: pd.DataFrame,
    k: int,
    fps: float,
    n_surrogates: int,
    rng: np.random.Generator,
    config: ContagionConfig = DEFAULT_CONTAGION,
) -> np.ndarray:
    """Mean baseline-corrected response at ``k`` random onsets inside the ``eligible`` spans
    (``start_s``, ``end_s``), for each of ``n_surrogates`` sets; empty if no span fits a trial."""
    lo_pad, hi_pad = -config.smile_baseline_s[0], config.smile_response_s[1]
    spans = [(s + lo_pad, e - hi_pad) for s, e in zip(eligible.start_s, eligible.end_s) if e - hi_pad > s + lo_pad]
    if not spans or k == 0 or n_surrogates <= 0:
        return np.empty(0)
    onsets = random_onsets(spans, n_surrogates, k, rng).ravel()
    rr = (
        window_stats(t, smile, onsets, config.smile_response_s, fps)[0]
        - window_stats(t, smile, onsets, config.smile_baseline_s, fps)[0]
    ).reshape(n_surrogates, k)
    ok = np.isfinite(rr)
    return np.where(ok.any(axis=1), np.where(ok, rr, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1), np.nan)


def verdict_row(
    face: int,
    measure: str,
    test: str,
    n_events: int,
    effect=np.nan,
    ci=(np.nan, np.nan),
    p=np.nan,
    verdict: str = "insufficient_data",
    reason: str = "",
) -> dict:
    return {
        "face": int(face),
        "measure": measure,
        "test": test,
        "n_events": int(n_events),
        "effect": float(effect),
        "ci_lo": float(ci[0]),
        "ci_hi": float(ci[1]),
        "p_value": float(p),
        "verdict": verdict,
        "reason": reason,
    }


def smile_verdict(face: int, trials: pd.DataFrame, null: np.ndarray, config: VerdictConfig = DEFAULT_VERDICT) -> dict:
    """The smile-mimicry verdict of one face from its smile trials and :func:`smile_null`."""
    d = (trials["response"] - trials["baseline"]).to_numpy(float)
    d = d[np.isfinite(d)]
    k = int(d.size)
    if k < config.min_smile_events:
        why = (
            "no actor smile in the clips shown"
            if len(trials) == 0
            else f"only {k} of {len(trials)} actor smiles with the face in view (need {config.min_smile_events})"
        )
        return verdict_row(face, "smile_mimicry", SMILE_TEST, k, reason=why)
    obs = float(d.mean())
    null = null[np.isfinite(null)]
    if null.size == 0:
        return verdict_row(face, "smile_mimicry", SMILE_TEST, k, reason="clips too short for random onsets")
    p = p_value(obs, null)
    effect = obs - float(null.mean())
    half = float(stats.t.ppf(0.975, k - 1) * d.std(ddof=1) / np.sqrt(k)) if k > 1 else np.nan
    lat = trials["latency_s"].to_numpy(float)
    lat = lat[np.isfinite(lat)]
    if p > config.alpha:
        verdict, why = "not_detected", ""
    elif lat.size and float(np.median(lat)) < 0:  # a rise that the viewer's own smiles led: not following
        verdict, why = (
            "not_detected",
            (
                f"the viewer's smiles started before the actor's (median latency "
                f"{float(np.median(lat)):+.2f} s): not following"
            ),
        )
    else:
        verdict, why = "detected", ""
    return verdict_row(face, "smile_mimicry", SMILE_TEST, k, effect, (effect - half, effect + half), p, verdict, why)


def pseudo_onsets(stimulus_onsets_s: np.ndarray, spans: pd.DataFrame) -> np.ndarray:
    """Pseudo-onsets in the control clips: the i-th control clip (in time order) gets the onset
    times, from its start, of the i-th clip with stimulus yawns (cycling), those inside the clip."""
    on = np.sort(np.asarray(stimulus_onsets_s, float))
    ordered = spans.sort_values("start_s")
    offsets = [on[(on >= sp.start_s) & (on < sp.end_s)] - sp.start_s for sp in ordered.itertuples(index=False)]
    offsets = [o for o in offsets if o.size]
    if not offsets:
        return np.empty(0)
    out: list[float] = []
    for i, sp in enumerate(ordered[ordered["kind"] == "control"].itertuples(index=False)):
        o = offsets[i % len(offsets)]
        out += list(sp.start_s + o[o < sp.end_s - sp.start_s])
    return np.sort(np.array(out, float))


def in_windows(times_s: np.ndarray, onsets_s: np.ndarray, window_s: tuple[float, float]) -> np.ndarray:
    """Whether each time lies in ``[onset + from, onset + to)`` of any onset."""
    t = np.asarray(times_s, float)
    on = np.sort(np.asarray(onsets_s, float))
    if on.size == 0 or t.size == 0:
        return np.zeros(t.size, dtype=bool)
    i = np.searchsorted(on, t - window_s[0], side="right") - 1  # latest onset with t - onset >= from
    ok = i >= 0
    out = np.zeros(t.size, dtype=bool)
    out[ok] = t[ok] - on[i[ok]] < window_s[1]
    return out


@dataclass
class YawnExposure:
    """Viewer yawns and face-present minutes in yawn windows and in control windows."""

    yawns_yawn: int
    yawns_control: int
    minutes_yawn: float
    minutes_control: float
    stimulus_yawns: int
    pseudo_onsets: int


def yawn_exposure(
    t: np.ndarray,
    present: np.ndarray,
    fps: float,
    viewer_onsets_s: np.ndarray,
    stimulus_onsets_s: np.ndarray,
    pseudo_s: np.ndarray,
    config: ContagionConfig = DEFAULT_CONTAGION,
) -> YawnExposure:
    """Count each viewer yawn once, in yawn windows first, else in control windows (which exclude
    the yawn windows), and the minutes with a face present (``present`` on the uniform grid ``t``)."""
    w = config.response_window_s
    grid_y = in_windows(t, stimulus_onsets_s, w)
    grid_c = in_windows(t, pseudo_s, w) & ~grid_y
    v = np.asarray(viewer_onsets_s, float)
    v_y = in_windows(v, stimulus_onsets_s, w)
    v_c = in_windows(v, pseudo_s, w) & ~v_y
    return YawnExposure(
        int(v_y.sum()),
        int(v_c.sum()),
        float((grid_y & present).sum() / fps / 60.0),
        float((grid_c & present).sum() / fps / 60.0),
        int(np.size(stimulus_onsets_s)),
        int(np.size(pseudo_s)),
    )


def yawn_null(
    viewer_onsets_s: np.ndarray,
    stimulus_onsets_s: np.ndarray,
    pseudo_s: np.ndarray,
    span_s: tuple[float, float],
    n_surrogates: int,
    rng: np.random.Generator,
    config: ContagionConfig = DEFAULT_CONTAGION,
    *,
    min_shift_s: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Yawns in yawn and in control windows when the viewer's yawn onsets are shifted together,
    circularly over ``span_s`` (the face's recording), by ``n_surrogates`` random amounts.

    Shifting the whole train keeps the viewer's own timing (how often, how regularly, how far
    apart they yawn) and breaks only its link to the clips. ``min_shift_s``: the shortest shift
    either way (default: a response window, at most a quarter of the span); 0 draws shifts over
    the whole circle, which keeps the test exact (``tests/test_tally.py``: with the shortest
    shifts left out, 6.8 % false alarms at alpha 0.05 in a simulated class; over the whole circle,
    4.9 %).
    """
    v = np.asarray(viewer_onsets_s, float)
    lo, length = span_s[0], span_s[1] - span_s[0]
    if v.size == 0 or length <= 0 or n_surrogates <= 0:
        return np.zeros(max(n_surrogates, 0), int), np.zeros(max(n_surrogates, 0), int)
    # shifts shorter than a window (either way) would leave most yawns in the windows they were in
    gap = min(config.response_window_s[1] - config.response_window_s[0], length / 4)
    if min_shift_s is not None:
        gap = min(float(min_shift_s), length / 2)
    shifted = lo + (v[None, :] - lo + rng.uniform(gap, length - gap, (n_surrogates, 1))) % length
    w = config.response_window_s
    in_y = in_windows(shifted.ravel(), stimulus_onsets_s, w).reshape(shifted.shape)
    in_c = in_windows(shifted.ravel(), pseudo_s, w).reshape(shifted.shape) & ~in_y
    return in_y.sum(axis=1), in_c.sum(axis=1)


def yawn_verdict(
    face: int, x: YawnExposure, null: tuple[np.ndarray, np.ndarray], config: VerdictConfig = DEFAULT_VERDICT
) -> dict:
    """The yawn-contagion verdict of one face from its counts and :func:`yawn_null` (see the module
    docstring)."""
    n = x.yawns_yawn + x.yawns_control
    row: dict[str, Any] = dict(face=face, measure="yawn_contagion", test=YAWN_TEST, n_events=n)
    if x.stimulus_yawns == 0:
        return verdict_row(**row, reason="no yawn in the clips shown")
    if x.pseudo_onsets == 0:
        return verdict_row(**row, reason="no control clip to compare with")
    if min(x.minutes_yawn, x.minutes_control) < config.min_exposure_min:
        return verdict_row(
            **row,
            reason=(
                f"{x.minutes_yawn:.1f} min with the face in view in yawn windows and "
                f"{x.minutes_control:.1f} in control windows (need {config.min_exposure_min:g} each)"
            ),
        )

    def rate_diff(n_y, n_c):
        return np.asarray(n_y) / x.minutes_yawn - np.asarray(n_c) / x.minutes_control

    null_t = rate_diff(*null)
    if n == 0 or p_value(float(rate_diff(n, 0)), null_t) > config.alpha:
        return verdict_row(
            **row, reason=(f"{n} viewer yawn(s) in the windows: too few for any split to reach p <= {config.alpha:g}")
        )
    p = p_value(float(rate_diff(x.yawns_yawn, x.yawns_control)), null_t)
    share = x.minutes_yawn / (x.minutes_yawn + x.minutes_control)
    ci = stats.binomtest(x.yawns_yawn, n, share).proportion_ci(0.95, method="exact")
    ratio = x.minutes_control / x.minutes_yawn

    def irr(pi: float) -> float:
        return float("inf") if pi >= 1 else pi / (1 - pi) * ratio

    verdict = "detected" if p <= config.alpha else "not_detected"
    return verdict_row(**row, effect=irr(x.yawns_yawn / n), ci=(irr(ci.low), irr(ci.high)), p=p, verdict=verdict)


def lay_index(verdicts: pd.DataFrame, full_smile_response: float) -> float:
    """Lay 0-100 index of one face from its verdicts, on a chance-corrected scale.

    Each measure with a verdict contributes a part in [0, 1]: 0 unless ``detected``; if detected,
    the smile part is the chance-corrected response over ``full_smile_response``, the yawn part
    the share of yawns in yawn windows beyond chance, ``1 - 1 / IRR``. The index is 100 times the
    mean part; NaN if no measure has a verdict. It cannot read above 0 without a detection.
    """
    parts = []
    for v in verdicts.itertuples(index=False):
        if v.verdict == "insufficient_data":
            continue
        if v.verdict != "detected":
            parts.append(0.0)
        elif v.measure == "smile_mimicry":
            parts.append(float(np.clip(v.effect / full_smile_response, 0.0, 1.0)))
        else:
            parts.append(float(np.clip(1.0 - 1.0 / v.effect, 0.0, 1.0)) if v.effect > 0 else 0.0)
    return 100.0 * float(np.mean(parts)) if parts else float("nan")
