"""Timing quality: whether a live session tracked enough of its camera frames to be tested.

A live session stamps each camera frame at capture and tracks it behind the camera; a machine
too busy to keep up skips frames (:mod:`mimicry.sensing.backlog`), and ``session.json``'s
``timing`` counts them. Each primary test is held to the rate it was calibrated at:

- the smile tests (a cross-correlation against shifted surrogates) were calibrated on sessions
  that tracked every camera frame: more than :attr:`TimingConfig.max_skipped_share` of the
  frames skipped and the smile is not tested;
- the yawn tests count yawn onsets in windows seconds long; the yawn rule (an opening held for
  its minimum duration, seconds) was validated on faces tracked ten times a second (the
  classroom tracker, ``TrackConfig.crowd_hz``). A session that tracked fewer than
  :attr:`TimingConfig.yawn_min_hz` frames a second (less the same share) is not tested for yawns.

A test that is not run gives ``insufficient_data`` with a reason that starts ``timing:``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class TimingConfig:
    """The timing rule of the primary tests."""

    max_skipped_share: float = 0.03
    """Most camera frames a session may have skipped, as a share of those captured, and still be
    tested. Below 1 % on a machine that keeps up (the docs' figure), 3 % leaves room for a
    webcam's own hiccups; above it the session is tested at a rate it was not calibrated for."""

    yawn_min_hz: float = 10.0
    """Fewest frames a second a session must have tracked for the yawn tests, Hz (the rate the
    yawn rule was validated at; a camera slower than this is held to its own rate)."""

    def __post_init__(self) -> None:
        share = self.max_skipped_share
        if not (isinstance(share, (int, float)) and math.isfinite(share) and 0 <= share <= 1):
            raise ValueError(f"max_skipped_share must be a share from 0 to 1, got {share!r}")
        hz = self.yawn_min_hz
        if not (isinstance(hz, (int, float)) and math.isfinite(hz) and hz > 0):
            raise ValueError(f"yawn_min_hz must be a positive rate, got {hz!r}")


DEFAULT_TIMING = TimingConfig()


def timing_problem(timing: dict | None, config: TimingConfig = DEFAULT_TIMING, *, signal: str = "smile") -> str:
    """Why a session's timing is too poor for the primary test of ``signal`` ("" if it is not,
    or if the session has no ``timing``: an imported recording, a file tracked offline).

    Parameters
    ----------
    timing : dict or None
        ``session.json``'s ``timing`` (``frames_captured``, ``frames_skipped``, ``frames_tracked``,
        ``tracked_s``, ``camera_fps``).
    signal : {"smile", "yawn"}
        The test's signal: the smile tests need every camera frame, the yawn tests a rate.
    """
    if not timing:
        return ""
    if signal == "yawn":
        return _yawn_rate_problem(timing, config)
    captured, skipped = int(timing.get("frames_captured") or 0), int(timing.get("frames_skipped") or 0)
    if captured <= 0 or skipped <= config.max_skipped_share * captured:
        return ""
    return (
        f"timing: {skipped} of {captured} camera frames ({100 * skipped / captured:.1f} %) were skipped, "
        f"more than the {100 * config.max_skipped_share:g} % the tests allow (the computer was too busy)"
    )


def tracked_rate_hz(timing: dict) -> float | None:
    """Frames tracked a second over the span from the first tracked frame to the last, Hz, from
    ``session.json``'s ``timing`` (``frames_tracked``, ``tracked_s``); None where it cannot be
    told (fewer than two frames, or a session recorded before ``tracked_s`` existed)."""
    tracked, span_s = int(timing.get("frames_tracked") or 0), float(timing.get("tracked_s") or 0.0)
    return (tracked - 1) / span_s if tracked > 1 and span_s > 0 else None


def _yawn_rate_problem(timing: dict, config: TimingConfig) -> str:
    rate_hz = tracked_rate_hz(timing)
    camera_hz = float(timing.get("camera_fps") or 0.0)
    if rate_hz is None:
        return ""
    need_hz = min(config.yawn_min_hz, camera_hz) if camera_hz > 0 else config.yawn_min_hz
    if rate_hz >= (1 - config.max_skipped_share) * need_hz:
        return ""
    return (
        f"timing: {rate_hz:.1f} frames a second were tracked, fewer than the {need_hz:g} the yawn "
        "tests need (the computer was too busy)"
    )


def withhold(verdict: dict, reason: str) -> dict:
    """A verdict row (:func:`~mimicry.analysis.verdicts.verdict_row`) with its answer withdrawn:
    ``insufficient_data`` for ``reason``, no effect, interval or p."""
    nan = float("nan")
    return {
        **verdict,
        "verdict": "insufficient_data",
        "reason": reason,
        "effect": nan,
        "ci_lo": nan,
        "ci_hi": nan,
        "p_value": nan,
    }
