"""Per-person calibration: a broad smile, a wide-open mouth and a relaxed face, on cue.

Faces differ in how far their smile and their jaw go, and in what their face does at rest
(some rest with a slight smile). As facial EMG is expressed as a share of a maximal voluntary
contraction, a calibration phase before the baseline records each face's own range, and the
analysis can express ``smile`` and mouth opening relative to it (``analyze --calibrated``).

The phase is optional (protocol ``calibration = true``, ``mimicry demo --calibrate``). Its cues
follow a fixed schedule (:func:`calibration_schedule`); the first ``settle_s`` of each cue are
ignored (reaction time and the movement itself). Pure functions; the session writes the cue
times and the ranges into ``session.json`` (key ``calibration``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MimicryError

#: Cue name -> what the screen says.
CUE_TEXT = {
    "smile": "Smile as broadly as you can",
    "open": "Open your mouth as wide as you can",
    "relaxed": "Now relax your face and look at the screen",
}
CUES = tuple(CUE_TEXT)


class CalibrationError(MimicryError):
    """A calibrated analysis was asked of a session without a usable calibration."""


@dataclass(frozen=True)
class CalibrationConfig:
    """The calibration phase's schedule and the rules that turn it into a range. Seconds."""

    cue_s: float = 5.0
    """Length of each cue (broad smile, wide-open mouth, relaxed face)."""
    settle_s: float = 1.5
    """Start of each cue left out: reading the cue, reacting and moving (a smile takes ~0.5-1 s to rise)."""
    peak_percentile: float = 90.0
    """Percentile of a cue's values that gives the maximum (robust to a frame or two of mistracking)."""
    min_frames: int = 10
    """Frames with the face found needed in a cue's measured part."""
    min_range: float = 0.15
    """Smallest maximum-minus-rest (0-1 units) taken as a real range: below it the person did not
    do the cue (or the tracker did not see it), and the analysis says so rather than divide by ~0."""


DEFAULT_CALIBRATION = CalibrationConfig()


@dataclass(frozen=True)
class Cue:
    """One cue of the phase, times relative to the phase start, s."""

    name: str
    text: str
    start_s: float
    end_s: float


def calibration_schedule(config: CalibrationConfig = DEFAULT_CALIBRATION) -> list[Cue]:
    """The cues in order: broad smile, wide-open mouth, relaxed face, ``cue_s`` each (relaxed last,
    so that the face is back at rest when the baseline starts)."""
    return [Cue(name, CUE_TEXT[name], i * config.cue_s, (i + 1) * config.cue_s) for i, name in enumerate(CUES)]


def phase_duration_s(config: CalibrationConfig = DEFAULT_CALIBRATION) -> float:
    """Length of the whole phase, s."""
    return len(CUES) * config.cue_s


RANGE_COLUMNS = ("face", "smile_rest", "smile_max", "mouth_open_rest", "mouth_open_max", "usable", "reason")


def _cue_values(frames: pd.DataFrame, cue: dict, column: str, settle_s: float) -> np.ndarray:
    t = frames["t_s"].to_numpy(float)
    inside = (t >= float(cue["start_s"]) + settle_s) & (t < float(cue["end_s"])) & (frames["detected"].to_numpy() == 1)
    v = pd.to_numeric(frames.loc[inside, column], errors="coerce").to_numpy(float)
    return v[np.isfinite(v)]


def face_ranges(
    frames: pd.DataFrame, cues: list[dict], config: CalibrationConfig = DEFAULT_CALIBRATION
) -> pd.DataFrame:
    """Each face's range from the calibration cues.

    Parameters
    ----------
    frames : pd.DataFrame
        ``frames.csv`` rows (``t_s``, ``face``, ``detected``, ``smile``, ``jawOpen``).
    cues : list of dict
        ``{"cue", "start_s", "end_s"}`` in session time (``session.json`` ``calibration.cues``).

    Returns
    -------
    pd.DataFrame
        One row per face: ``smile_rest`` (median in the relaxed cue), ``smile_max``
        (``peak_percentile`` in the smile cue), ``mouth_open_rest`` / ``mouth_open_max`` (the
        same for ``jawOpen`` in the relaxed and open cues), all 0-1; ``usable`` (1 if both
        ranges are at least ``min_range`` wide with enough frames) and ``reason`` otherwise.
    """
    by_name = {c["cue"]: c for c in cues}
    rows = []
    faces = frames.loc[frames["face"].notna(), "face"].astype(int).unique()
    for face in sorted(faces):
        f = frames[frames["face"] == face]
        rest_s = _cue_values(f, by_name.get("relaxed", {"start_s": 0, "end_s": 0}), "smile", config.settle_s)
        smile_s = _cue_values(f, by_name.get("smile", {"start_s": 0, "end_s": 0}), "smile", config.settle_s)
        rest_m = _cue_values(f, by_name.get("relaxed", {"start_s": 0, "end_s": 0}), "jawOpen", config.settle_s)
        open_m = _cue_values(f, by_name.get("open", {"start_s": 0, "end_s": 0}), "jawOpen", config.settle_s)
        row: dict[str, Any] = {
            "face": int(face),
            "smile_rest": np.nan,
            "smile_max": np.nan,
            "mouth_open_rest": np.nan,
            "mouth_open_max": np.nan,
            "usable": 0,
            "reason": "",
        }
        few = [n for n, v in (("relaxed", rest_s), ("smile", smile_s), ("open", open_m)) if v.size < config.min_frames]
        if few:
            row["reason"] = f"face not found long enough during the {', '.join(few)} cue(s)"
            rows.append(row)
            continue
        row.update(
            smile_rest=float(np.median(rest_s)),
            smile_max=float(np.percentile(smile_s, config.peak_percentile)),
            mouth_open_rest=float(np.median(rest_m)),
            mouth_open_max=float(np.percentile(open_m, config.peak_percentile)),
        )
        narrow = [
            n
            for n, lo, hi in (
                ("smile", row["smile_rest"], row["smile_max"]),
                ("open", row["mouth_open_rest"], row["mouth_open_max"]),
            )
            if hi - lo < config.min_range
        ]
        if narrow:
            row["reason"] = f"no clear {' or '.join(narrow)} during its cue (range under {config.min_range:g})"
        else:
            row["usable"] = 1
        rows.append(row)
    return pd.DataFrame(rows, columns=list(RANGE_COLUMNS))


def relative(values: np.ndarray, rest: float, peak: float) -> np.ndarray:
    """``values`` as a share of a face's range: 0 at rest, 1 at its calibrated maximum (clipped to 0-1)."""
    return np.clip((np.asarray(values, dtype=float) - rest) / (peak - rest), 0.0, 1.0)


def normalize_frames(frames: pd.DataFrame, ranges: pd.DataFrame) -> pd.DataFrame:
    """``frames`` with ``smile`` and ``mouth_open`` expressed relative to each face's calibration.

    ``smile`` becomes :func:`relative` to ``smile_rest``-``smile_max``, ``mouth_open`` the
    face's ``jawOpen`` relative to ``mouth_open_rest``-``mouth_open_max``.

    Raises
    ------
    CalibrationError
        A face in ``frames`` has no usable range (the message says why).
    """
    out = frames.copy()
    usable = ranges.set_index("face")
    for face in sorted(out.loc[out["face"].notna(), "face"].astype(int).unique()):
        if face not in usable.index or not usable.at[face, "usable"]:
            why = usable.at[face, "reason"] if face in usable.index else "not in view during the calibration"
            raise CalibrationError(f"face {face}: no usable calibration ({why}); analyse without --calibrated")
        r = usable.loc[face]
        m = out["face"] == face
        out.loc[m, "smile"] = relative(out.loc[m, "smile"].to_numpy(float), r.smile_rest, r.smile_max)
        if "jawOpen" in out.columns:
            out.loc[m, "mouth_open"] = relative(
                out.loc[m, "jawOpen"].to_numpy(float), r.mouth_open_rest, r.mouth_open_max
            )
    return out
