"""Per-face histories behind the frame signals: each face's neutral mouth width and its usual
lip contrast, kept over a sliding window of seconds."""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque

import numpy as np

from .signals import DEFAULT_CONFIG, SignalConfig, mouth_visibility


class NeutralWidth:
    """Per-face neutral mouth width (IOD): the median over the face's closed, non-smiling frames of
    the last ``neutral_history_s``; ``config.neutral_width`` until it has ``neutral_min_frames``.
    The median is recomputed when a calm frame arrives or leaves, not on every frame."""

    def __init__(self, config: SignalConfig = DEFAULT_CONFIG):
        self.config = config
        self._hist: dict[int, deque[tuple[float, float]]] = {}
        self._value: dict[int, float] = {}

    def get(self, key: int) -> float:
        if key not in self._value:
            hist = self._hist.get(key, ())
            ok = len(hist) >= self.config.neutral_min_frames
            self._value[key] = float(np.median([w for _, w in hist])) if ok else self.config.neutral_width
        return self._value[key]

    def update(self, key: int, t_s: float, width: float, neutral: bool) -> None:
        hist = self._hist.setdefault(key, deque())
        if neutral and math.isfinite(width):
            hist.append((t_s, width))
            self._value.pop(key, None)
        while hist and hist[0][0] < t_s - self.config.neutral_history_s:
            hist.popleft()
            self._value.pop(key, None)


class MouthVisibility:
    """Per-face history of lip contrast, giving each face's own usual value as reference.

    The history is also kept sorted, so the reference percentile costs a binary search per frame
    instead of a sort (the same value as :func:`numpy.percentile`'s default linear method)."""

    def __init__(self, config: SignalConfig = DEFAULT_CONFIG, percentile: float = 90.0):
        self.config, self.percentile = config, percentile
        self._hist: dict[int, deque[tuple[float, float]]] = {}
        self._sorted: dict[int, list[float]] = {}

    def update(self, key: int, t_s: float, contrast: float) -> float:
        """Add one measurement of face ``key``; return its ``mouth_visible`` in [0, 1]."""
        hist = self._hist.setdefault(key, deque())
        values = self._sorted.setdefault(key, [])
        if math.isfinite(contrast):
            hist.append((t_s, contrast))
            insort(values, contrast)
        while hist and hist[0][0] < t_s - self.config.visibility_history_s:
            _, old = hist.popleft()
            del values[bisect_left(values, old)]
        if not hist or not math.isfinite(contrast):
            return 1.0
        return float(mouth_visibility(contrast, _percentile_sorted(values, self.percentile), self.config))


def _percentile_sorted(values: list[float], q: float) -> float:
    """``numpy.percentile(values, q)`` (linear interpolation) of an already sorted list."""
    pos = (len(values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)
