"""Whether a viewer looks at the screen, from head pose.

A viewer watching the clips holds their head in one usual pose, whatever the camera's place (above
the screen, beside it); looking away (at a phone, a neighbour, the window) turns the head out of
it. So a frame counts as *attending* when the head's yaw and pitch lie within ``cone_deg`` of the
face's own median pose over the session (angular distance ``sqrt(dyaw^2 + dpitch^2)``). Eyes can
look away without the head; that is not seen here. Frames without pose (older files, no
transformation matrix) count as attending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class AttentionConfig:
    """Head-pose rule for looking at the screen (documented in the docs' methods page)."""

    cone_deg: float = 30.0
    """Largest angular distance, degrees, between a frame's head pose and the face's median pose
    for the frame to count as looking at the screen (a screen 50 cm wide seen from 60 cm spans
    about +-23 degrees; the rest is head movement while watching)."""
    exclude: bool = False
    """Leave frames where the viewer looked away out of every statistic (as if the face were lost)."""
    min_frames: int = 10
    """Frames with pose needed to know a face's usual pose; with fewer, every frame attends."""


DEFAULT_ATTENTION = AttentionConfig()


def attending(frames: pd.DataFrame, config: AttentionConfig = DEFAULT_ATTENTION) -> pd.Series:
    """Per row of ``frames`` (a session's ``frames.csv``): True if that face looked at the screen.

    Rows of undetected faces and rows without pose are True (nothing says they looked away).
    """
    out = pd.Series(True, index=frames.index)
    if not {"yaw_deg", "pitch_deg"} <= set(frames.columns):
        return out
    seen = frames[(frames["detected"] == 1) & frames["face"].notna()]
    for _, g in seen.groupby("face"):
        yaw = pd.to_numeric(g["yaw_deg"], errors="coerce").to_numpy(float)
        pitch = pd.to_numeric(g["pitch_deg"], errors="coerce").to_numpy(float)
        ok = np.isfinite(yaw) & np.isfinite(pitch)
        if ok.sum() < config.min_frames:
            continue
        dev = np.hypot(yaw - np.median(yaw[ok]), pitch - np.median(pitch[ok]))
        out.loc[g.index] = ~(ok & (dev > config.cone_deg))
    return out
