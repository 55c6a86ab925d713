"""Rows out of per-frame detections: each face's row is final once the yawn decision's look-ahead
has passed (:class:`RowAssembler`), with the signals too small a face cannot give left out."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from ..schema import BLENDSHAPE_NAMES
from .signals import DEFAULT_CONFIG, SignalConfig, below_floor
from .tracking import FaceIdTracker
from .yawn import yawn_signal

SIGNAL_KEYS = ("smile", "blink", "mouth_open", "mouth_visible", "yaw_deg", "pitch_deg", "roll_deg", "face_px")
"""The per-frame signals a row carries (``yawn`` is decided over time)."""


@dataclass
class TrackedFace:
    """One face in one frame, with its signals (before the yawn filter)."""

    key: int
    signals: dict[str, float]
    landmarks: np.ndarray
    blendshapes: np.ndarray


@dataclass
class _Pending:
    seq: int
    frame: int
    t_s: float
    faces: list[TrackedFace] = field(default_factory=list)


class RowAssembler:
    """Turn per-frame detections into finished rows after a fixed look-ahead in seconds.

    Parameters
    ----------
    tracker : FaceIdTracker
        Gives each detection's track key its public id once confirmed.
    latency_s : float
        Look-ahead of the yawn decision, seconds (:func:`~mimicry.sensing.yawn.yawn_signal`). A
        row comes out once a frame ``latency_s`` later has arrived (and at least
        ``tracker.min_hits`` frames later), at any frame rate.
    single : bool
        One face: no-face frames get a ``face = 0, detected = 0`` row.
    memory_s : float
        Lost faces get ``detected = 0`` rows for this long.
    config : SignalConfig
        The yawn constants (its ``yawn_latency_s`` is replaced by ``latency_s``).
    """

    def __init__(
        self,
        tracker: FaceIdTracker,
        latency_s: float,
        single: bool,
        memory_s: float,
        config: SignalConfig = DEFAULT_CONFIG,
    ):
        self.tracker = tracker
        self.config = replace(config, yawn_latency_s=latency_s)
        self.min_frames = tracker.min_hits
        self.single = single
        self.memory_s = memory_s
        self._pending: deque[_Pending] = deque()
        self._hist: dict[int, dict[int, tuple[float, float]]] = {}  # key -> seq -> (opening, smile)
        self._seqs: list[int] = []  # every frame, detected or not, in order
        self._ts: list[float] = []
        self._last_seen: dict[int, float] = {}
        self._widths: dict[int, deque[tuple[float, float]]] = {}  # key -> (t_s, face_px)
        self._seq = 0
        self._last_seq = -1

    def push(self, frame: int, t_s: float, faces: list[TrackedFace]) -> list[tuple[dict, TrackedFace | None]]:
        """Add one frame; return the rows that are now final."""
        seq = self._seq
        self._seq += 1
        self._last_seq = seq
        self._seqs.append(seq)
        self._ts.append(t_s)
        for f in faces:
            self._hist.setdefault(f.key, {})[seq] = (f.signals["opening"], f.signals["smile"])
            self._widths.setdefault(f.key, deque()).append((t_s, f.signals["face_px"]))
        self._pending.append(_Pending(seq, frame, t_s, faces))
        out = []
        while (
            self._pending
            and seq - self._pending[0].seq >= self.min_frames
            and t_s - self._pending[0].t_s >= self.config.yawn_latency_s - 1e-6
        ):
            out.extend(self._finish(self._pending.popleft()))
        return out

    def flush(self) -> list[tuple[dict, TrackedFace | None]]:
        """Finish every pending frame (end of stream)."""
        out = []
        while self._pending:
            out.extend(self._finish(self._pending.popleft()))
        return out

    def _yawn(self, key: int, p: _Pending) -> float:
        """``yawn`` of face ``key`` at frame ``p``: :func:`yawn_signal` over the face's samples
        from before the start of ``p``'s run (at most ``yawn_history_s`` back) up to the
        look-ahead (frames without the face count as missing): the same value as over the whole
        recording."""
        cfg, hist = self.config, self._hist.get(key, {})
        h = cfg.yawn_smooth_s / 2 + 1e-6
        i = bisect_left(self._ts, p.t_s)  # p's index: times increase
        a, b = bisect_left(self._ts, p.t_s - h), bisect_right(self._ts, p.t_s + h)
        if not any(self._opening(hist, s) >= cfg.yawn_open for s in self._seqs[a:b]):
            return 0.0  # the running median cannot reach the open level: no run here
        a = self._closed_before(hist, i)
        b = bisect_right(self._ts, p.t_s + cfg.yawn_latency_s + 1e-6)
        values = np.array([hist.get(s, (np.nan, np.nan)) for s in self._seqs[a:b]], dtype=float)
        y = yawn_signal(np.array(self._ts[a:b]), values[:, 0], values[:, 1], cfg)
        return float(y[i - a])

    @staticmethod
    def _opening(hist: dict[int, tuple[float, float]], seq: int) -> float:
        return hist.get(seq, (0.0, 0.0))[0]  # NaN (no opening measured) compares as closed, as in yawn_signal

    def _closed_before(self, hist: dict[int, tuple[float, float]], i: int) -> int:
        """Index from which :func:`yawn_signal` sees the whole run of sample ``i`` exactly: just
        after the last open sample before a closed sample whose whole smoothing window is closed
        (its smoothed opening is surely below ``yawn_open``, so no run crosses it); at most
        ``yawn_history_s`` back."""
        cfg = self.config
        h = cfg.yawn_smooth_s / 2 + 1e-6  # median_t's half window
        first = bisect_left(self._ts, self._ts[i] - cfg.yawn_history_s)
        open_after = self._ts[i]  # i itself counts as open: its window is never relied on
        closed: list[float] = []  # the closed stretch between the open sample being sought and open_after
        for j in range(i - 1, first - 1, -1):
            t = self._ts[j]
            if self._opening(hist, self._seqs[j]) >= cfg.yawn_open:
                if any(t + h < q < open_after - h for q in closed):
                    return j + 1
                open_after, closed = t, []
            else:
                closed.append(t)
        return first

    def _finish(self, p: _Pending) -> list[tuple[dict, TrackedFace | None]]:
        rows: list[tuple[dict, TrackedFace | None]] = []
        seen_ids: set[int] = set()
        for f in p.faces:
            face_id = self.tracker.face_id(f.key)
            if face_id is None or face_id in seen_ids:
                continue  # never-confirmed track: a false or fleeting detection
            seen_ids.add(face_id)
            self._last_seen[face_id] = p.t_s
            row = {"t_s": p.t_s, "frame": p.frame, "face": face_id, "detected": 1}
            for k in SIGNAL_KEYS:
                row[k] = f.signals[k]
            row["yawn"] = self._yawn(f.key, p)
            for name, small in below_floor(self._width(f.key, p.t_s), self.config).items():
                if small:  # too few pixels for this signal: missing, not guessed
                    row[name] = np.nan
            row.update(zip(BLENDSHAPE_NAMES, np.asarray(f.blendshapes, dtype=float).tolist()))
            rows.append((row, f))
        # faces known but not seen in this frame
        for face_id, last in sorted(self._last_seen.items()):
            if face_id not in seen_ids and p.t_s - last <= self.memory_s:
                rows.append(({"t_s": p.t_s, "frame": p.frame, "face": face_id, "detected": 0}, None))
        if not rows:
            rows.append(({"t_s": p.t_s, "frame": p.frame, "face": 0 if self.single else None, "detected": 0}, None))
        rows.sort(key=lambda r: (r[0]["face"] is None, r[0]["face"] if r[0]["face"] is not None else 0))
        self._forget(p)
        return rows

    def _width(self, key: int, t_s: float) -> float:
        """Face ``key``'s median width, px, over ``floor_window_s`` centred on ``t_s`` (what the
        minimum widths are compared with)."""
        half = self.config.floor_window_s / 2 + 1e-6
        widths = self._widths[key]
        while widths and widths[0][0] < t_s - half:
            widths.popleft()  # rows come in time order: no later row needs it
        return float(np.median([px for t, px in widths if t <= t_s + half]))

    def _forget(self, p: _Pending) -> None:
        """Drop the history no later row will ask for (older than ``yawn_history_s`` before ``p``)."""
        cut = bisect_left(self._ts, p.t_s - self.config.yawn_history_s - 1e-6)
        for s in self._seqs[:cut]:
            for hist in self._hist.values():
                hist.pop(s, None)
        del self._seqs[:cut], self._ts[:cut]
        for key in [k for k, w in self._widths.items() if not w or w[-1][0] < p.t_s - self.config.floor_window_s]:
            del self._widths[key]  # a face gone for a while
