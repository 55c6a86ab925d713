"""The demo's counts: viewer yawns (or smiles) per face and for the class, by phase, and how many
started soon after one in the video. Pure: times in, counts out (a count, not a test of
contagion: that needs control clips, see ``mimicry analyze``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..analysis.contagion import DEFAULT_CONTAGION
from .schedule import Phase

LETTERS = "ABCDEFGH"


def letter(face: int) -> str:
    """A face's short name: A, B, C, ... (then 9, 10, ... past H)."""
    return LETTERS[face] if 0 <= face < len(LETTERS) else str(face + 1)


RESPONSE_WINDOW_S = {"yawn": DEFAULT_CONTAGION.response_window_s, "smile": (0.0, 3.0)}
"""A viewer event starting this long after one in the video is counted as "after the video", seconds
(a count, not a test of contagion: that needs control clips, see ``mimicry analyze``)."""


@dataclass
class FaceTally:
    events: int = 0
    in_clips: int = 0
    in_pauses: int = 0
    after_video: int = 0
    first_s: float | None = None
    onsets: list = field(default_factory=list)


class Tally:
    """Counts of viewer events per face, phase and contagion (pure: times in, counts out)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.faces: dict[int, FaceTally] = {}
        self.stimulus_onsets: list[float] = []
        self.since_s = 0.0

    def reset(self, t_s: float) -> None:
        self.faces.clear()
        self.since_s = t_s

    def add_stimulus(self, onset_s: float) -> None:
        self.stimulus_onsets.append(onset_s)

    def see(self, face: int) -> None:
        """A face is in view: it gets a row of its own, with zero counts until it yawns (or smiles)."""
        self.faces.setdefault(face, FaceTally())

    def add(self, face: int, onset_s: float, phase: Phase | None) -> bool:
        """Count a viewer event; returns True if it started within the window after one in the video."""
        f = self.faces.setdefault(face, FaceTally())
        f.events += 1
        f.onsets.append(onset_s)
        if f.first_s is None:
            f.first_s = onset_s - self.since_s
        if phase is not None and phase.kind == "clip":
            f.in_clips += 1
        elif phase is not None:
            f.in_pauses += 1
        lo, hi = RESPONSE_WINDOW_S[self.kind]
        after = any(lo <= onset_s - s <= hi for s in self.stimulus_onsets if s >= self.since_s)
        f.after_video += int(after)
        return after

    def table(self) -> pd.DataFrame:
        """Per face and for the class (``face = 'class'``); columns of :data:`~mimicry.schema.DEMO_RESULTS`."""

        def row(face, face_id, ts):
            firsts = [t.first_s for t in ts if t.first_s is not None]
            return {
                "face": face,
                "face_id": face_id,
                "kind": self.kind,
                "events": sum(t.events for t in ts),
                "in_clips": sum(t.in_clips for t in ts),
                "in_pauses": sum(t.in_pauses for t in ts),
                "after_video": sum(t.after_video for t in ts),
                "first_s": round(min(firsts), 2) if firsts else None,
            }

        rows = [row(letter(f), f, [t]) for f, t in sorted(self.faces.items())]
        rows.append(row("class", None, list(self.faces.values())))
        return pd.DataFrame(rows)


RELIABLE_FACE_PX = {False: 160, True: 32}
"""Narrowest face found reliably (>= 95 % in ``benchmarks/classroom.py``'s classroom frames), px of a
1280-px frame: MediaPipe's own detector on the whole frame (False), the classroom tracker (True)."""


def reach_text(widths_px: list[float], *, crowd: bool) -> str:
    """What the camera sees: ``in view 12, smallest 38 px`` and, when a face is narrower than the
    tracker finds reliably, what to do about it (a teacher moves the laptop, not the class)."""
    if not widths_px:
        return "no face in view"
    smallest = min(widths_px)
    text = f"in view {len(widths_px)}, smallest {smallest:.0f} px"
    limit = RELIABLE_FACE_PX[crowd]
    if smallest < 1.25 * limit:
        text += f" (faces under {limit} px may be missed: move the camera closer"
        text += ")" if crowd else " or use --max-faces 9 or more)"
    return text
