"""The demo's calibration phase: which cue is on screen when, the rows measured meanwhile, and each
face's smile range at its end (:mod:`mimicry.analysis.calibration`). Pure: times and rows in."""

from __future__ import annotations

import pandas as pd

from ..analysis.calibration import calibration_schedule, face_ranges, phase_duration_s

ROW_KEYS = ("t_s", "face", "detected", "smile", "jawOpen")


class CuePhase:
    """The cues of ``mimicry run --calibrate`` from ``start_s`` (session s)."""

    def __init__(self, start_s: float):
        self.start_s = start_s
        self.cues = calibration_schedule()
        self.end_s = start_s + phase_duration_s()
        self.rows: list[dict] = []
        self.shown = -1

    def add(self, row: dict) -> None:
        """A row measured during the phase (never counted)."""
        self.rows.append({k: row.get(k) for k in ROW_KEYS})

    def cue_at(self, t_s: float) -> tuple[int, bool]:
        """The cue on screen at ``t_s`` and whether it is new since the last call."""
        i = max(k for k, c in enumerate(self.cues) if self.start_s + c.start_s <= t_s)
        new, self.shown = i != self.shown, i
        return i, new

    def timed(self) -> list[dict]:
        """Each cue's name and times on the session clock."""
        return [
            {"cue": c.name, "start_s": self.start_s + c.start_s, "end_s": self.start_s + c.end_s} for c in self.cues
        ]

    def ranges(self) -> pd.DataFrame:
        """:func:`~mimicry.analysis.calibration.face_ranges` of the rows measured."""
        return face_ranges(pd.DataFrame(self.rows, columns=list(ROW_KEYS)), self.timed())
