"""``scores.csv`` and ``xcorr.csv``: the secondary, descriptive synchrony measures.

Per block x face x signal, and pooled per block kind (``block = 'all'``): the peak lagged
cross-correlation with a circular-shift p-value, and the windowed lagged cross-correlation (WLCC)
as a z against its own circular-shift surrogates (its raw mean is about 0.5 on independent series,
so only the z says anything). Pooled rows add the blocks' lagged sums; each block's surrogates are
pooled with the other blocks' surrogates of the same index.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema import SCORES, XCORR
from .surrogates import p_value, random_shifts
from .synchrony import (
    XcorrParts,
    lag_frames,
    peak,
    peaks,
    summarize_wlcc,
    wlcc_null,
    xcorr_parts,
    xcorr_parts_shifted,
)

SIGNALS = ("smile", "yawn")


def _varies(a: np.ndarray) -> bool:
    a = a[np.isfinite(a)]
    return a.size > 2 and float(a.std()) > 1e-6


@dataclass
class BlockTest:
    """The lagged sums of one block (or of pooled blocks), observed and circular-shift surrogates,
    and the WLCC windows with the surrogates' window sums."""

    obs: XcorrParts
    circ: XcorrParts
    windows: tuple[np.ndarray, np.ndarray]
    wlcc_null: tuple[np.ndarray, np.ndarray]
    """Per WLCC surrogate: sum and count of the per-window peak r."""

    def __add__(self, other: BlockTest) -> BlockTest:
        return BlockTest(
            self.obs + other.obs,
            self.circ + other.circ,
            (np.concatenate([self.windows[0], other.windows[0]]), np.concatenate([self.windows[1], other.windows[1]])),
            (self.wlcc_null[0] + other.wlcc_null[0], self.wlcc_null[1] + other.wlcc_null[1]),
        )


def block_test(x: np.ndarray, y: np.ndarray, lags: np.ndarray, fps: float, config, rng) -> BlockTest:
    """Observed and surrogate sums of actor ``x`` and viewer ``y`` (one block, uniform grid)."""
    # Shifts are drawn from the whole circle. Leaving out shifts shorter than the lag range (so
    # that no surrogate re-creates the real alignment) looks natural but made the test
    # anti-conservative: 11-19 % false positives at alpha = 0.05 on 30 s blocks, because the
    # observed peak is then compared with too few independent stretches.
    shifts = random_shifts(y.size, config.n_surrogates, rng, min_shift=1)
    windows, null = wlcc_null(x, y, fps, config.lags, shifts[: config.n_wlcc_surrogates])
    # lags as long as the block itself (a short block, the yawn's +15 s) have no pairs: zero sums
    ok = np.abs(lags) < y.size
    return BlockTest(
        _widen(xcorr_parts(x, y, lags[ok]), ok), _widen(xcorr_parts_shifted(x, y, lags[ok], shifts), ok), windows, null
    )


def _widen(parts: XcorrParts, ok: np.ndarray) -> XcorrParts:
    """Sums over the lags where ``ok``, put back on the full lag axis with zeros elsewhere."""
    if ok.all():
        return parts

    def wide(a):
        out = np.zeros(a.shape[:-1] + (ok.size,))
        out[..., ok] = a
        return out

    return XcorrParts(*(wide(getattr(parts, k)) for k in XcorrParts._FIELDS))


def score_row(test: BlockTest, lags: np.ndarray, fps: float, min_pairs: int, n_samples: int) -> dict:
    r_peak, lag_s = peak(test.obs.r(min_pairs), lags, fps)
    return {
        "r_peak": r_peak,
        "lag_s": lag_s,
        "p_value": p_value(r_peak, peaks(test.circ.r(min_pairs))),
        "n_samples": int(n_samples),
        **summarize_wlcc(*test.windows),
        "wlcc_z": wlcc_z(test),
    }


def wlcc_z(test: BlockTest) -> float:
    """(observed mean window peak r - surrogates' mean) / surrogates' SD; NaN if undefined."""
    r = test.windows[0][np.isfinite(test.windows[0])]
    sums, counts = test.wlcc_null
    ok = counts > 0
    if r.size == 0 or ok.sum() < 2:
        return float("nan")
    means = sums[ok] / counts[ok]
    sd = float(means.std(ddof=1))
    return float((r.mean() - means.mean()) / sd) if sd > 1e-12 else float("nan")


def curve_rows(test: BlockTest, lags: np.ndarray, fps: float, min_pairs: int, base: dict) -> pd.DataFrame:
    r_obs = test.obs.r(min_pairs)
    r_circ = test.circ.r(min_pairs)
    lo, hi = column_percentiles(r_circ, (2.5, 97.5)) if r_circ.shape[0] else (np.full(lags.size, np.nan),) * 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pk = peaks(r_circ) if r_circ.shape[0] else np.empty(0)
        peak95 = float(np.nanpercentile(pk, 95)) if np.isfinite(pk).any() else np.nan
    return pd.DataFrame({**base, "lag_s": lags / fps, "r": r_obs, "null_lo": lo, "null_hi": hi, "null_peak_95": peak95})


def column_percentiles(a: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """``np.nanpercentile(a, q, axis=0)`` (linear interpolation) for each q, without its
    column-by-column loop; NaN for columns with no finite value."""
    s = np.sort(a, axis=0)  # NaN sorts last
    n = np.isfinite(a).sum(axis=0)
    cols = np.arange(a.shape[1])
    out = []
    for q in qs:
        pos = np.maximum(n - 1, 0) * q / 100.0
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        v = s[lo, cols] + (pos - lo) * (s[hi, cols] - s[lo, cols])
        out.append(np.where(n > 0, v, np.nan))
    return out


def synchrony_tables(aligned: pd.DataFrame, fps: float, config) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``scores.csv`` and ``xcorr.csv`` rows from :func:`~mimicry.analysis.alignment.align_blocks`
    output (``config``: :class:`~mimicry.analysis.AnalysisConfig`)."""
    rows, curves = [], []
    for face in sorted(aligned["face"].unique()):
        for signal_i, signal in enumerate(SIGNALS):
            r, c = _face_signal(aligned[aligned["face"] == face], int(face), signal_i, signal, fps, config)
            rows += r
            curves += c
    xcorr = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=XCORR.names)
    return pd.DataFrame(rows, columns=SCORES.names), xcorr.reindex(columns=XCORR.names)


def _face_signal(aligned: pd.DataFrame, face: int, signal_i: int, signal: str, fps: float, config):
    lags = lag_frames(fps, config.lags, signal)
    min_pairs = int(round(config.lags.min_pairs_s * fps))
    nan_row = {
        "r_peak": np.nan,
        "lag_s": np.nan,
        "p_value": np.nan,
        "wlcc_z": np.nan,
        **summarize_wlcc(np.empty(0), np.empty(0)),
    }
    rows, curves = [], []
    pooled: dict[str, list[tuple[BlockTest, int]]] = {}
    for block, g in aligned.groupby("block", sort=True):
        x, y = g[f"actor_{signal}"].to_numpy(float), g[f"viewer_{signal}"].to_numpy(float)
        n_samples = int((np.isfinite(x) & np.isfinite(y)).sum())
        base = {
            "block": str(block),
            "stimulus_id": g["stimulus_id"].iloc[0],
            "kind": g["kind"].iloc[0],
            "face": face,
            "signal": signal,
        }
        if not (_varies(x) and _varies(y)) or n_samples < min_pairs:
            rows.append({**base, "n_samples": n_samples, **nan_row})  # e.g. an actor who never smiles
            continue
        rng = np.random.default_rng([config.seed, face, signal_i, int(block)])
        test = block_test(x, y, lags, fps, config, rng)
        rows.append({**base, **score_row(test, lags, fps, min_pairs, n_samples)})
        curves.append(curve_rows(test, lags, fps, min_pairs, base))
        pooled.setdefault(base["kind"], []).append((test, n_samples))
    for kind, tests in sorted(pooled.items()):
        total = tests[0][0]
        for t, _ in tests[1:]:
            total = total + t
        base = {"block": "all", "stimulus_id": "all", "kind": kind, "face": face, "signal": signal}
        rows.append({**base, **score_row(total, lags, fps, min_pairs, sum(n for _, n in tests))})
        curves.append(curve_rows(total, lags, fps, min_pairs, base))
    return rows, curves
