"""Surrogate viewer series that keep the viewer's own dynamics but break its timing relative to
the stimulus. Seeded with :class:`numpy.random.Generator` for reproducible p-values."""

from __future__ import annotations

import numpy as np


def circular_shifts(y: np.ndarray, n: int, rng: np.random.Generator, min_shift: int = 1) -> np.ndarray:
    """``n`` copies of ``y`` rotated by random amounts in ``[min_shift, len - min_shift]``.

    Keeps the autocorrelation and the amplitude distribution exactly: the null of "no lagged
    coupling". The analysis uses ``min_shift = 1`` (see :func:`mimicry.analysis.analyze`): rotations
    shorter than the lag range re-create the real alignment somewhere in the lag window, which costs
    power on short blocks but keeps the false-positive rate at its nominal level.
    """
    y = np.asarray(y, float)
    shifts = random_shifts(y.size, n, rng, min_shift)
    idx = (np.arange(y.size)[None, :] - shifts[:, None]) % y.size
    return y[idx]


def random_shifts(size: int, n: int, rng: np.random.Generator, min_shift: int = 1) -> np.ndarray:
    """The rotations :func:`circular_shifts` applies (row k is ``y[(j - shift_k) % size]``)."""
    lo = min(max(1, min_shift), max(size // 2, 1))
    hi = max(size - lo, lo + 1)
    return rng.integers(lo, hi, size=n)


def p_value(observed: float, surrogate_stats: np.ndarray) -> float:
    """One-sided p: ``(1 + #{surrogate >= observed}) / (1 + #surrogates)``; NaN if undefined."""
    s = np.asarray(surrogate_stats, float)
    s = s[np.isfinite(s)]
    if not np.isfinite(observed) or s.size == 0:
        return float("nan")
    return float((1 + np.count_nonzero(s >= observed)) / (1 + s.size))
