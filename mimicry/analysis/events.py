"""Smile and yawn events: hysteresis thresholds and a minimum duration.

An event is a maximal run of samples at or above the lower threshold ``off`` that reaches the
upper threshold ``on`` somewhere and lasts at least ``min_duration_s``. Its onset is the first
sample of the run (where the signal rose above ``off``), its offset the first sample after it
(or the last sample, at the end of the data), its peak the maximum inside. Missing samples (no
face) count as below ``off``, except a gap of at most ``max_gap_s`` between two samples at or above
``off``: a face lost for a moment (a hand, a turn, one missed frame) does not cut one smile or
yawn in two. Every duration is in seconds from the timestamps, never in frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..series import true_runs


@dataclass(frozen=True)
class EventThresholds:
    """Hysteresis thresholds of one signal (0-1 units) and the shortest event, seconds."""

    on: float
    off: float
    min_duration_s: float
    max_gap_s: float = 0.5
    """Longest face-loss gap (seconds, from the last sample before to the first after) that an
    event bridges."""

    def relative_to(self, baseline: float) -> EventThresholds:
        """Thresholds rescaled to the range above a baseline level ``b``: ``b + x * (1 - b)``."""
        b = float(np.clip(baseline, 0.0, 0.95)) if np.isfinite(baseline) else 0.0
        return EventThresholds(b + self.on * (1 - b), b + self.off * (1 - b), self.min_duration_s, self.max_gap_s)


@dataclass(frozen=True)
class EventConfig:
    """Event thresholds per signal (documented in the docs: Analysis).

    Smile: a smile is a corner lift that shows clearly (``smile`` >= 0.5) and lasts >= 0.3 s.
    Yawn: ``yawn`` >= 0.5 held for >= 1 s (the signal is already 0 outside yawns).
    ``relative_to_baseline``: rescale the viewer's thresholds above the median of the
    session's baseline period (before the first block), for faces that rest with a slight smile.
    """

    smile: EventThresholds = EventThresholds(on=0.5, off=0.3, min_duration_s=0.3)
    yawn: EventThresholds = EventThresholds(on=0.5, off=0.25, min_duration_s=1.0)
    relative_to_baseline: bool = False

    def for_signal(self, signal: str) -> EventThresholds:
        return {"smile": self.smile, "yawn": self.yawn}[signal]


DEFAULT_EVENTS = EventConfig()
EVENT_COLUMNS = ["onset_s", "peak_s", "offset_s", "peak_value"]


def detect_events(t_s: np.ndarray, values: np.ndarray, thresholds: EventThresholds) -> pd.DataFrame:
    """Events of one signal.

    Parameters
    ----------
    t_s : np.ndarray
        Sample times, seconds, increasing.
    values : np.ndarray
        Signal in [0, 1]; NaN = missing.
    thresholds : EventThresholds

    Returns
    -------
    pd.DataFrame
        ``onset_s, peak_s, offset_s, peak_value``, one row per event, in time order.
    """
    t = np.asarray(t_s, float)
    v = np.asarray(values, float)
    above = np.nan_to_num(v, nan=-1.0) >= thresholds.off
    above |= bridged_gaps(t, above, np.isfinite(v), thresholds.max_gap_s)
    if t.size == 0 or not above.any():
        return pd.DataFrame(columns=EVENT_COLUMNS)
    starts, ends = true_runs(above)  # run = [start, end)
    rows = []
    for s, e in zip(starts, ends):
        seg = v[s:e]
        if np.nanmax(seg) < thresholds.on:
            continue
        offset = t[e] if e < t.size else t[e - 1]
        if offset - t[s] < thresholds.min_duration_s:
            continue
        k = s + int(np.nanargmax(seg))
        rows.append((t[s], t[k], offset, float(v[k])))
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def bridged_gaps(t_s: np.ndarray, above: np.ndarray, present: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Missing samples to count as part of an event: each run of missing samples with a sample at
    or above the lower threshold on both sides, ``t_s`` of the two at most ``max_gap_s`` apart."""
    out = np.zeros(t_s.size, dtype=bool)
    if max_gap_s <= 0 or present.all():
        return out
    for a, b in zip(*true_runs(~present)):  # missing run = [a, b)
        if a > 0 and b < t_s.size and above[a - 1] and above[b] and t_s[b] - t_s[a - 1] <= max_gap_s:
            out[a:b] = True
    return out


class OnlineEvents:
    """Hysteresis events of one signal, confirmed as soon as they qualify.

    An event is a run of samples at or above ``off`` that reaches ``on`` and lasts at least
    ``min_duration_s``; :meth:`update` returns its onset time at the first sample where both
    hold (so a live counter need not wait for the offset), once per event. The events found
    are those of :func:`~mimicry.analysis.events.detect_events` on the same samples.
    """

    def __init__(self, thresholds: EventThresholds):
        self.th = thresholds
        self.start: float | None = None
        self.peak = -1.0
        self.counted = False
        self.last_t: float | None = None
        self.gap_from: float | None = None  # last sample before a face-loss gap inside a run

    def update(self, t_s: float, value: float) -> float | None:
        if not math.isfinite(value):  # face lost: the run waits to see how long the gap is
            if self.start is not None and self.gap_from is None:
                self.gap_from = self.last_t
            return None
        if self.gap_from is not None:
            if t_s - self.gap_from > self.th.max_gap_s:  # too long: the run ended where the gap began
                self.start, self.peak, self.counted = None, -1.0, False
            self.gap_from = None
        self.last_t = t_s
        if value < self.th.off:
            self.start, self.peak, self.counted = None, -1.0, False
            return None
        if self.start is None:
            self.start = t_s
        self.peak = max(self.peak, value)
        if not self.counted and self.peak >= self.th.on and t_s - self.start >= self.th.min_duration_s:
            self.counted = True
            return self.start
        return None
