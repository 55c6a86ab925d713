"""Null-pair calibration of the surrogate p-values (used by a test and by
benchmarks/calibrate_surrogates.py)."""

from __future__ import annotations

import numpy as np

from mimicry.analysis.surrogates import block_shuffles, p_value, random_shifts
from mimicry.analysis.synchrony import lag_frames, peak, peaks, xcorr_parts, xcorr_parts_shifted
from mimicry.simulate import bumps, smooth_noise

FPS = 30.0


def null_pair(rng: np.random.Generator, seconds: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """An actor smile series and an independent viewer smile series, 30 Hz."""
    t = np.arange(0, seconds, 1 / FPS)
    actor = bumps(t, np.sort(rng.uniform(0, seconds - 2, 4)), 0.4, rng.uniform(0.8, 2.0), 0.6, rng.uniform(0.6, 1, 4))
    own = np.sort(rng.uniform(0, seconds - 2, rng.integers(1, 5)))
    viewer = 0.6 * bumps(t, own, 0.4, 1.2, 0.6) + 0.08 * smooth_noise(t.size, FPS, rng)
    return actor, np.clip(viewer, 0, 1)


def null_rates(n_pairs: int = 600, n_surrogates: int = 500, seed: int = 0, alpha: float = 0.05) -> dict:
    rng = np.random.default_rng(seed)
    lags = lag_frames(FPS)
    min_pairs = int(3 * FPS)
    hits = {"circular": 0, "shuffle": 0}
    for _ in range(n_pairs):
        x, y = null_pair(rng)
        obs, _ = peak(xcorr_parts(x, y, lags).r(min_pairs), lags, FPS)
        shifts = random_shifts(y.size, n_surrogates, rng, min_shift=1)  # as the analysis does
        shuf = block_shuffles(y, n_surrogates, int(4 * FPS), rng)
        hits["circular"] += p_value(obs, peaks(xcorr_parts_shifted(x, y, lags, shifts).r(min_pairs))) <= alpha
        hits["shuffle"] += p_value(obs, peaks(xcorr_parts(x, shuf, lags, single=True).r(min_pairs))) <= alpha
    return {k: v / n_pairs for k, v in hits.items()}
