"""The camera's backlog: frames captured and not yet tracked, and the one rule that skips a frame.

A live source (a webcam, or a file replayed as one) stamps every frame when it is captured and
queues it here; tracking takes the oldest and catches up behind the camera. Only when the backlog
is full is a frame skipped, by one rule: the queued frame whose neighbours are closest in time
(ties: the older; never the newest). Under a steady overload the frames kept are then evenly
spaced (a tracker at 20 frames/s behind a 30-frame/s camera keeps 2 of every 3), and after a
stall longer than the backlog they are spread over the whole stall instead of leaving a hole as
long as the stall less the backlog. Each skip is recorded with the frame's index and time.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Stamped(Protocol):
    index: int
    t_s: float


F = TypeVar("F", bound=Stamped)


@dataclass(frozen=True)
class BacklogConfig:
    """How much of the camera a live source holds for a tracker that falls behind.

    Attributes
    ----------
    seconds : float
        Camera time the backlog holds, s (at the camera's nominal rate).
    max_mb : float
        Memory the backlog may use, MiB (the images and the tracker's copies of them); a large
        camera image gets fewer seconds.
    late_s : float
        A frame that waits longer than this, s, between capture and tracking counts as *late*
        (its signals reach a live display or an LSL stream that much later; its time stamp,
        and so the analysis, is unaffected).
    """

    seconds: float = 2.0
    max_mb: float = 512.0
    late_s: float = 0.5

    def __post_init__(self) -> None:
        for name in ("seconds", "max_mb", "late_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"backlog {name} must be a positive number, got {value!r}")

    def capacity(self, fps: float, frame_bytes: int) -> int:
        """Frames the backlog holds: ``seconds`` at ``fps``, at most ``max_mb`` of frames of
        ``frame_bytes`` each, and never fewer than 2."""
        by_time = math.ceil(self.seconds * (fps if math.isfinite(fps) and fps > 0 else 30.0))
        by_memory = int(self.max_mb * 2**20 // max(int(frame_bytes), 1))
        return max(2, min(by_time, by_memory))


DEFAULT_BACKLOG = BacklogConfig()


class Backlog(Generic[F]):
    """A first-in first-out queue of at most ``capacity`` frames (not thread-safe: the source
    holds its lock around it)."""

    def __init__(self, capacity: int):
        if capacity < 2:
            raise ValueError(f"a backlog holds at least 2 frames, got {capacity}")
        self.capacity = int(capacity)
        self._frames: deque[F] = deque()
        self._last_taken_s: float | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def push(self, frame: F) -> F | None:
        """Queue ``frame``; if that overfills the backlog, remove and return the skipped frame."""
        self._frames.append(frame)
        if len(self._frames) <= self.capacity:
            return None
        i = self._densest()
        skipped = self._frames[i]
        del self._frames[i]
        return skipped

    def pop(self) -> F | None:
        """The oldest frame, or None when the backlog is empty."""
        if not self._frames:
            return None
        frame = self._frames.popleft()
        self._last_taken_s = frame.t_s
        return frame

    def _densest(self) -> int:
        """The queued frame (not the newest) whose removal leaves the shortest gap; ties: the
        older. The oldest frame's earlier neighbour is the last frame taken (none yet: it stays)."""
        t = [f.t_s for f in self._frames]
        best, best_span = -1, math.inf
        for i in range(len(t) - 1):
            left = t[i - 1] if i > 0 else self._last_taken_s
            if left is None:
                continue
            span = t[i + 1] - left
            if span < best_span:
                best, best_span = i, span
        return best
