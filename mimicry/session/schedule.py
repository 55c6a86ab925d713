"""Schedules, pure and tested without a window: the plan of a ``mimicry run`` session
(calibration, baseline, blocks and pauses on the session clock; a pause or a late frame moves
everything after it later by the same amount), the classroom demo's :class:`Playlist`, and the
:class:`Timeline` of the blocks as shown."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import MimicryError
from ..stimuli.library import Stimulus
from ..stimuli.protocol import ResolvedBlock


@dataclass(frozen=True)
class PlannedPhase:
    """One stretch of a session as planned, seconds of session time."""

    kind: str
    """``calibration``, ``baseline``, ``block`` or ``pause``."""
    start_s: float
    end_s: float
    block: int | None = None
    stimulus_id: str | None = None


def plan_session(
    blocks: Sequence[ResolvedBlock],
    durations_s: Mapping[str, float],
    baseline_s: float,
    isi_s: float,
    calibration_s: float = 0.0,
) -> list[PlannedPhase]:
    """The phases in order: the calibration phase (if any), the baseline (if any), then each
    block followed by a pause (none after the last).

    Parameters
    ----------
    blocks : sequence of ResolvedBlock
        The protocol's blocks in the order they will be shown.
    durations_s : mapping
        Clip length per stimulus id, s.
    baseline_s, isi_s, calibration_s : float
        Baseline, pause between blocks and calibration phase, s.
    """
    phases: list[PlannedPhase] = []
    t = 0.0
    for kind, length in (("calibration", calibration_s), ("baseline", baseline_s)):
        if length > 0:
            phases.append(PlannedPhase(kind, t, t + length))
            t += length
    for i, b in enumerate(blocks):
        if i > 0 and isi_s > 0:
            phases.append(PlannedPhase("pause", t, t + isi_s))
            t += isi_s
        end = t + float(durations_s[b.stimulus_id])
        phases.append(PlannedPhase("block", t, end, b.index, b.stimulus_id))
        t = end
    return phases


def total_s(phases: Sequence[PlannedPhase]) -> float:
    """Planned length of the whole session, s."""
    return phases[-1].end_s if phases else 0.0


# -- the classroom demo ----------------------------------------------------------------------


@dataclass
class Phase:
    """One stretch of the demo screen: a clip or the pause after it (session clock, seconds)."""

    kind: str  # "baseline" (before the first clip), "clip" or "pause"
    start_s: float
    end_s: float | None = None
    stimulus: Stimulus | None = None
    block: int | None = None


class Playlist:
    """Clips of one kind in turn, each followed by a neutral pause, looping; with pause
    (freezes the clock of the playlist) and skip to the next clip. With ``baseline_s``, a neutral
    screen comes first for that long (the class's base rate, before any clip).

    ``events``: per clip id, the actor's event onsets in clip seconds; :meth:`shown_events`
    reports when each one is actually on screen (after any pause, and never for the rest of a
    skipped clip)."""

    def __init__(
        self,
        clips: list[Stimulus],
        pause_s: float,
        events: dict[str, np.ndarray] | None = None,
        *,
        baseline_s: float = 0.0,
    ):
        if not clips:
            raise MimicryError("no clips for the demo in the library")
        self.clips, self.pause_s, self.baseline_s = clips, pause_s, baseline_s
        self.events = events or {}
        self._pending: list[float] = []
        self.phases: list[Phase] = []
        self._next_clip = 0
        self._blocks = 0
        self.paused_at: float | None = None
        self._frozen = 0.0  # seconds spent paused within the current phase

    @property
    def current(self) -> Phase:
        return self.phases[-1]

    def start(self, t_s: float) -> Phase:
        if self.baseline_s > 0:
            self.phases.append(Phase("baseline", t_s))
            return self.current
        return self._begin_clip(t_s)

    @property
    def first_clip_s(self) -> float | None:
        """When the first clip began (the end of the baseline), session s; None before."""
        return next((ph.start_s for ph in self.phases if ph.kind == "clip"), None)

    def _begin_clip(self, t_s: float) -> Phase:
        stim = self.clips[self._next_clip % len(self.clips)]
        self._next_clip += 1
        if self.phases and self.current.end_s is None:
            self.current.end_s = t_s
        self.phases.append(Phase("clip", t_s, None, stim, self._blocks))
        self._blocks += 1
        self._frozen = 0.0
        self._pending = sorted(float(e) for e in self.events.get(stim.id, ()))
        return self.current

    def shown_events(self, t_s: float) -> list[float]:
        """Session times of the current clip's events that have come on screen by ``t_s`` and
        were not reported before. Call it before :meth:`tick` so that a clip's last events are
        reported before the clip ends."""
        ph = self.current
        if ph.kind != "clip" or not self._pending:
            return []
        elapsed = self.elapsed(t_s)
        stop = self.paused_at if self.paused_at is not None else t_s  # the clip's clock stands still while paused
        out = []
        while self._pending and self._pending[0] <= min(elapsed, ph.stimulus.duration_s):
            out.append(stop - elapsed + self._pending.pop(0))
        return out

    def elapsed(self, t_s: float) -> float:
        """Seconds the current phase has been on screen (pauses excluded)."""
        stop = self.paused_at if self.paused_at is not None else t_s
        return stop - self.current.start_s - self._frozen

    def tick(self, t_s: float) -> Phase | None:
        """Advance to ``t_s``; returns the new phase when one begins."""
        if self.paused_at is not None:
            return None
        ph = self.current
        length = {"clip": ph.stimulus.duration_s if ph.stimulus else 0.0, "pause": self.pause_s}.get(
            ph.kind, self.baseline_s
        )
        if self.elapsed(t_s) < length:
            return None
        end = t_s - (self.elapsed(t_s) - length)
        ph.end_s = end
        if ph.kind == "clip":
            self.phases.append(Phase("pause", end))
            self._frozen = 0.0
            return self.current
        return self._begin_clip(end)

    def toggle_pause(self, t_s: float) -> bool:
        """Pause or resume; True if now paused."""
        if self.paused_at is None:
            self.paused_at = t_s
            return True
        self._frozen += t_s - self.paused_at
        self.paused_at = None
        return False

    def skip(self, t_s: float) -> Phase:
        """Next clip now."""
        if self.paused_at is not None:
            self.toggle_pause(t_s)
        return self._begin_clip(t_s)

    def phase_at(self, t_s: float) -> Phase | None:
        for ph in reversed(self.phases):
            if ph.start_s <= t_s and (ph.end_s is None or t_s < ph.end_s):
                return ph
        return None


@dataclass
class Timeline:
    """Block spans as actually shown (``begin`` and ``end`` from the thread that shows or marks the
    clips, ``block_at`` from the tracker's, for each row's ``block``): ``run``, ``record``, ``import``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    spans: list[tuple[int, float, float]] = field(default_factory=list)  # block, start, end (inf while running)

    def begin(self, block: int, t: float) -> None:
        with self.lock:
            self.spans.append((block, t, math.inf))

    def end(self, block: int, t: float) -> None:
        with self.lock:
            self.spans = [(b, s, t if b == block else e) for b, s, e in self.spans]

    def block_at(self, t: float) -> int | None:
        with self.lock:
            for b, s, e in self.spans:
                if s <= t < e:
                    return b
        return None
