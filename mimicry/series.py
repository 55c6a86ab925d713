"""Small helpers over per-sample series shared by the stages (sensing, analysis, stimuli)."""

from __future__ import annotations

import numpy as np


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, stops)`` of the runs of consecutive true samples in ``mask``: run ``i`` is
    ``mask[starts[i]:stops[i]]`` (stops exclusive), in order."""
    d = np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)
