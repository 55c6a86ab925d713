"""Analysis of a session: how much and how soon the viewer follows the stimulus.

Pure functions over DataFrames; no file I/O here (see :mod:`mimicry.session`). Stages, one module
each: :mod:`.alignment` -> :mod:`.synchrony` (lagged and windowed cross-correlation) with
:mod:`.surrogates` (significance) -> :mod:`.events` -> :mod:`.contagion` (yawn contagion, smile
mimicry, mimicry index). :func:`analyze` runs them all.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import CONTAGION, EVENTS, SCORES, XCORR
from .alignment import (
    MAX_GAP_S,
    align_blocks,
    block_spans,
    resample_gapped,
    viewer_series,
)
from .contagion import (
    DEFAULT_CONTAGION,
    ContagionConfig,
    block_of,
    event_locked,
    mimicry_index,
    smile_response,
    yawn_contagion,
)
from .events import DEFAULT_EVENTS, EventConfig, detect_events
from .surrogates import block_shuffles, circular_shifts, p_value, random_shifts
from .synchrony import (
    DEFAULT_LAGS,
    LagConfig,
    XcorrParts,
    lag_frames,
    peak,
    peaks,
    summarize_wlcc,
    wlcc_windows,
    xcorr_parts,
    xcorr_parts_shifted,
)

SIGNALS = ("smile", "yawn")

__all__ = ["AnalysisConfig", "AnalysisResult", "analyze", "synchrony", "event_locked", "align_blocks", "block_spans", "detect_events",
           "xcorr_parts", "circular_shifts", "block_shuffles", "p_value", "EventConfig", "LagConfig",
           "ContagionConfig"]


@dataclass(frozen=True)
class AnalysisConfig:
    """Every choice of the analysis, with its default (all documented in the README)."""

    n_surrogates: int = 1000
    """Surrogates per test (circular shifts and block shuffles each)."""
    seed: int = 0
    """Seed of all surrogates: the same session and seed give the same files."""
    shuffle_segment_s: float = 4.0
    """Segment length of block-shuffle surrogates, seconds (longer than a smile or yawn)."""
    max_gap_s: float = MAX_GAP_S
    lags: LagConfig = DEFAULT_LAGS
    events: EventConfig = DEFAULT_EVENTS
    contagion: ContagionConfig = DEFAULT_CONTAGION


@dataclass
class AnalysisResult:
    """The analysis outputs, one DataFrame per file (columns as in :mod:`mimicry.schema`)."""

    scores: pd.DataFrame
    events: pd.DataFrame
    contagion: pd.DataFrame
    xcorr: pd.DataFrame = field(repr=False)
    aligned: pd.DataFrame = field(repr=False)


def _varies(a: np.ndarray) -> bool:
    a = a[np.isfinite(a)]
    return a.size > 2 and float(a.std()) > 1e-6


@dataclass
class _BlockTest:
    obs: XcorrParts
    circ: XcorrParts
    shuf: XcorrParts
    windows: tuple[np.ndarray, np.ndarray]


def _test_block(x, y, lags, fps, config: AnalysisConfig, rng) -> _BlockTest:
    n = config.n_surrogates
    # Shifts are drawn from the whole circle. Leaving out shifts shorter than the lag range (so
    # that no surrogate re-creates the real alignment) looks natural but made the test
    # anti-conservative: 11-19 % false positives at alpha = 0.05 on 30 s blocks, because the
    # observed peak is then compared with too few independent stretches (measured with
    # tests/benchmarks_calibration.py). With the whole circle: 3.8-6.3 %.
    shifts = random_shifts(y.size, n, rng, min_shift=1)
    segment = int(round(config.shuffle_segment_s * fps))
    # shuffled surrogates in chunks: a few MB at a time instead of S x N arrays of 100+ MB,
    # which spent more time in page faults than in the FFTs
    chunks = [xcorr_parts(x, block_shuffles(y, k, segment, rng), lags, single=True) for k in _chunk_sizes(n, _CHUNK)]
    shuf = XcorrParts(*(np.concatenate([getattr(c, f) for c in chunks]) for f in XcorrParts._FIELDS)) if chunks \
        else xcorr_parts(x, np.empty((0, y.size)), lags)
    return _BlockTest(xcorr_parts(x, y, lags), xcorr_parts_shifted(x, y, lags, shifts), shuf,
                      wlcc_windows(x, y, fps, config.lags))


_CHUNK = 128


def _chunk_sizes(n: int, chunk: int) -> list[int]:
    return [min(chunk, n - i) for i in range(0, n, chunk)]


def _score_row(test: _BlockTest, lags, fps, min_pairs, n_samples) -> dict:
    r_obs = test.obs.r(min_pairs)
    r_peak, lag_s = peak(r_obs, lags, fps)
    return {"r_peak": r_peak, "lag_s": lag_s,
            "p_value": p_value(r_peak, peaks(test.circ.r(min_pairs))),
            "p_value_shuffle": p_value(r_peak, peaks(test.shuf.r(min_pairs))),
            "n_samples": int(n_samples), **summarize_wlcc(*test.windows)}


def _curve_rows(test: _BlockTest, lags, fps, min_pairs, base: dict) -> pd.DataFrame:
    r_obs = test.obs.r(min_pairs)
    r_circ = test.circ.r(min_pairs)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN lags of the surrogates
        lo, hi = (np.nanpercentile(r_circ, q, axis=0) if r_circ.shape[0] else np.full(lags.size, np.nan)
                  for q in (2.5, 97.5))
        pk = peaks(r_circ) if r_circ.shape[0] else np.empty(0)
        peak95 = float(np.nanpercentile(pk, 95)) if np.isfinite(pk).any() else np.nan
    return pd.DataFrame({**base, "lag_s": lags / fps, "r": r_obs, "null_lo": lo, "null_hi": hi,
                         "null_peak_95": peak95})


def synchrony_scores(aligned: pd.DataFrame, fps: float, config: AnalysisConfig = AnalysisConfig()) -> pd.DataFrame:
    """``scores.csv`` rows from :func:`align_blocks` output: per block x face x signal, and pooled
    per kind (``block = 'all'``; sums of the blocks' cross-products, each block's surrogates
    pooled with the other blocks' surrogates of the same index)."""
    return synchrony(aligned, fps, config)[0]


def synchrony(aligned: pd.DataFrame, fps: float,
              config: AnalysisConfig = AnalysisConfig()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scores.csv`` and ``xcorr.csv``: the scores of :func:`synchrony_scores`, and r at every
    lag with the circular-shift null band behind each score's p-value."""
    lags = lag_frames(fps, config.lags)
    min_pairs = int(round(config.lags.min_pairs_s * fps))
    rows, curves = [], []
    nan_row = {"r_peak": np.nan, "lag_s": np.nan, "p_value": np.nan, "p_value_shuffle": np.nan,
               **summarize_wlcc(np.empty(0), np.empty(0))}
    for face, (signal_i, signal) in ((f, s) for f in sorted(aligned["face"].unique()) for s in enumerate(SIGNALS)):
        pooled: dict[str, list[_BlockTest]] = {}
        pooled_n: dict[str, int] = {}
        for block, g in aligned[aligned["face"] == face].groupby("block", sort=True):
            x, y = g[f"actor_{signal}"].to_numpy(float), g[f"viewer_{signal}"].to_numpy(float)
            n_samples = int((np.isfinite(x) & np.isfinite(y)).sum())
            base = {"block": str(block), "stimulus_id": g["stimulus_id"].iloc[0], "kind": g["kind"].iloc[0],
                    "face": int(face), "signal": signal, "n_samples": n_samples}
            if not (_varies(x) and _varies(y)) or n_samples < min_pairs:
                rows.append({**base, **nan_row})  # e.g. an actor who never smiles: r is undefined
                continue
            rng = np.random.default_rng([config.seed, int(face), signal_i, int(block)])
            test = _test_block(x, y, lags, fps, config, rng)
            rows.append({**base, **_score_row(test, lags, fps, min_pairs, n_samples)})
            curves.append(_curve_rows(test, lags, fps, min_pairs, {k: base[k] for k in ("block", "stimulus_id", "kind",
                                                                                      "face", "signal")}))
            pooled.setdefault(base["kind"], []).append(test)
            pooled_n[base["kind"]] = pooled_n.get(base["kind"], 0) + n_samples
        for kind, tests in sorted(pooled.items()):
            total = _BlockTest(sum((t.obs for t in tests[1:]), tests[0].obs), sum((t.circ for t in tests[1:]), tests[0].circ),
                               sum((t.shuf for t in tests[1:]), tests[0].shuf),
                               (np.concatenate([t.windows[0] for t in tests]), np.concatenate([t.windows[1] for t in tests])))
            base = {"block": "all", "stimulus_id": "all", "kind": kind, "face": int(face), "signal": signal}
            rows.append({**base, **_score_row(total, lags, fps, min_pairs, pooled_n[kind])})
            curves.append(_curve_rows(total, lags, fps, min_pairs, base))
    xcorr = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=XCORR.names)
    return pd.DataFrame(rows, columns=SCORES.names), xcorr.reindex(columns=XCORR.names)


def _viewer_events(frames, face, signal, spans, config: AnalysisConfig) -> pd.DataFrame:
    t, v = viewer_series(frames, face, signal)
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    th = config.events.for_signal(signal)
    if config.events.relative_to_baseline and not spans.empty:
        base = v[(t < spans.start_s.min()) & np.isfinite(v)]
        if base.size:
            th = th.relative_to(float(np.median(base)))
    ev = detect_events(t, v, th)
    return ev.assign(source="viewer", face=int(face), kind=signal)


def _stimulus_events(stimulus_log, signal, config: AnalysisConfig) -> pd.DataFrame:
    parts = []
    for block, g in stimulus_log.groupby("block", sort=True):  # an event never spans two blocks
        g = g.sort_values("t_s")
        parts.append(detect_events(g["t_s"].to_numpy(float), g[signal].to_numpy(float), config.events.for_signal(signal)))
    ev = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["onset_s", "peak_s", "offset_s", "peak_value"])
    return ev.assign(source="stimulus", face=pd.NA, kind=signal)


def analyze(frames: pd.DataFrame, stimulus_log: pd.DataFrame, camera_fps: float,
            config: AnalysisConfig = AnalysisConfig()) -> AnalysisResult:
    """Run the whole analysis of one session.

    Parameters
    ----------
    frames : pd.DataFrame
        The session's ``frames.csv`` (:data:`mimicry.schema.FRAMES`).
    stimulus_log : pd.DataFrame
        The session's ``stimulus_log.csv`` (:data:`mimicry.schema.STIMULUS_LOG`).
    camera_fps : float
        Rate of the analysis grid, Hz (the camera's nominal rate).
    config : AnalysisConfig

    Returns
    -------
    AnalysisResult
    """
    frames = frames[frames["face"].notna()].copy()
    frames["face"] = frames["face"].astype(int)
    spans = block_spans(stimulus_log)
    aligned = align_blocks(frames, stimulus_log, camera_fps, config.max_gap_s)
    scores, xcorr = synchrony(aligned, camera_fps, config)

    stim_events = {s: _stimulus_events(stimulus_log, s, config) for s in SIGNALS}
    event_parts = [stim_events["smile"], stim_events["yawn"]]
    contagion_rows = []
    smile_blocks = spans[spans.block.isin(block_of(stim_events["smile"]["onset_s"].to_numpy(float), spans))]
    for face in sorted(frames["face"].unique()):
        viewer = {s: _viewer_events(frames, face, s, spans, config) for s in SIGNALS}
        event_parts += [viewer["smile"], viewer["yawn"]]
        row = {"face": int(face), **yawn_contagion(viewer["yawn"], stim_events["yawn"], spans, config.contagion)}
        t, v = viewer_series(frames, face, "smile")
        if t.size:
            grid = np.arange(np.nanmin(t), np.nanmax(t) + 1e-9, 1.0 / camera_fps)
            vs = resample_gapped(t, v, grid, config.max_gap_s)
        else:
            grid, vs = np.empty(0), np.empty(0)
        rng = np.random.default_rng([config.seed, int(face), 99])
        row.update(smile_response(grid, vs, stim_events["smile"]["onset_s"].to_numpy(float), smile_blocks,
                                  camera_fps, config.n_surrogates, rng, config.contagion))
        row["mimicry_index"] = mimicry_index(row["smile_response"], row["actor_smiles"], row["contagious_yawns"],
                                             row["stimulus_yawns"], config.contagion)
        contagion_rows.append(row)
    events = pd.concat([e for e in event_parts if len(e)], ignore_index=True) if any(len(e) for e in event_parts) \
        else pd.DataFrame(columns=EVENTS.names)
    if len(events):
        b = block_of(events["onset_s"].to_numpy(float), spans)
        events["block"] = pd.array(np.where(b >= 0, b, -1), dtype="Int64")
        events.loc[events["block"] == -1, "block"] = pd.NA
        events = events.sort_values(["source", "face", "kind", "onset_s"], na_position="first", kind="stable")
    events = events.reindex(columns=EVENTS.names).reset_index(drop=True)
    events = events.astype({c: float for c in ("onset_s", "peak_s", "offset_s", "peak_value")})
    events["face"] = events["face"].astype("Int64")
    events["block"] = events["block"].astype("Int64")
    contagion = pd.DataFrame(contagion_rows).reindex(columns=CONTAGION.names)
    return AnalysisResult(scores=scores, events=events, contagion=contagion, xcorr=xcorr, aligned=aligned)
