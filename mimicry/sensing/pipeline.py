"""From frames to rows: capture -> tracking -> signals, one stream at a time.

:func:`iter_track_rows` is the streaming core used by ``mimicry track`` (and later by live
sessions): it yields one finished row per face per frame ``yawn_latency_s`` (1 s) after the
frame, because the yawn decision and the confirmation of new faces need a short look-ahead.
:func:`track_video` writes those rows to CSV.
"""

from __future__ import annotations

import queue
import sys
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..schema import BLENDSHAPE_NAMES, LANDMARKS, N_LANDMARKS, TRACK
from ..writers import CsvWriter
from .capture import FrameSource
from .history import MouthVisibility, NeutralWidth
from .signals import DEFAULT_CONFIG, SignalConfig, below_floor, frame_signals, is_neutral_mouth, lip_contrast
from .tracking import FaceIdTracker, FaceLandmarker
from .yawn import yawn_signal

_SIGNAL_KEYS = ("smile", "blink", "mouth_open", "mouth_visible", "yaw_deg", "pitch_deg", "roll_deg", "face_px")


MAX_FACES = 30
"""Most faces any command tracks at once."""
CROWD_FROM = 9
"""From this many faces on, the classroom tracker finds and follows small faces (see :mod:`.crowd`)."""


@dataclass(frozen=True)
class TrackConfig:
    """Options of a tracking run.

    Attributes
    ----------
    max_faces : int
        Faces tracked at once (1-30). Up to :data:`CROWD_FROM` - 1, MediaPipe's own detector on
        the whole frame (faces wider than about 150 px in 1280x720); from :data:`CROWD_FROM`, the
        classroom tracker :class:`~mimicry.sensing.crowd.CrowdLandmarker` (faces down to about 32 px).
    model : Path | None
        Model bundle; ``None`` for the bundled one.
    signals : SignalConfig
        Signal constants.
    min_hits : int
        Consecutive detections before a new face is reported (suppresses one-frame false faces).
    memory_s : float
        Seconds a lost face keeps its id.
    """

    max_faces: int = 1
    model: Path | None = None
    signals: SignalConfig = DEFAULT_CONFIG
    min_hits: int = 3
    memory_s: float = 5.0

    def __post_init__(self):
        if not 1 <= int(self.max_faces) <= MAX_FACES:
            raise ValueError(f"max_faces must be between 1 and {MAX_FACES}, got {self.max_faces}")


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
            for k in _SIGNAL_KEYS:
                row[k] = f.signals[k]
            row["yawn"] = self._yawn(f.key, p)
            for name, small in below_floor(row["face_px"], self.config).items():
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

    def _forget(self, p: _Pending) -> None:
        """Drop the history no later row will ask for (older than ``yawn_history_s`` before ``p``)."""
        cut = bisect_left(self._ts, p.t_s - self.config.yawn_history_s - 1e-6)
        for s in self._seqs[:cut]:
            for hist in self._hist.values():
                hist.pop(s, None)
        del self._seqs[:cut], self._ts[:cut]


def open_landmarker(source: FrameSource, config: TrackConfig) -> FaceLandmarker:
    """A landmarker for ``source``'s frames: MediaPipe's VIDEO mode, for cameras as for files.

    The tracking thread hands MediaPipe one frame at a time and waits for its result, and a
    camera's capture thread already drops frames that went stale meanwhile, so LIVE_STREAM mode
    would add only its callback hand-over (whose results cannot be read natively, see
    :mod:`mimicry.sensing.native`); with VIDEO mode a webcam runs the same code as the
    file-backed camera the tests use. From :data:`CROWD_FROM` faces on, the classroom tracker
    (:class:`~mimicry.sensing.crowd.CrowdLandmarker`, the same interface)."""
    return make_landmarker(config.max_faces, model=config.model)


def make_landmarker(max_faces: int, *, model=None, model_buffer: bytes | None = None) -> FaceLandmarker:
    """MediaPipe's VIDEO mode for up to :data:`CROWD_FROM` - 1 faces, the classroom tracker
    (:class:`~mimicry.sensing.crowd.CrowdLandmarker`, the same interface) for more."""
    if max_faces >= CROWD_FROM:
        from .crowd import CrowdLandmarker

        return CrowdLandmarker(max_faces, model=model, model_buffer=model_buffer)  # type: ignore[return-value]
    return FaceLandmarker("video", max_faces=max_faces, model=model, model_buffer=model_buffer)


class _FaceSignals:
    """Per-frame signals of every detected face, with the per-face state they need (face ids,
    neutral mouth width, lip-contrast history)."""

    def __init__(self, tracker: FaceIdTracker, config: SignalConfig):
        self.tracker, self.config = tracker, config
        self.visibility = MouthVisibility(config)
        self.neutral = NeutralWidth(config)

    def __call__(self, frame, faces: list) -> list[TrackedFace]:
        if not faces:
            self.tracker.update(np.empty((0, 4)), frame.t_s)
            return []
        h, w = frame.image.shape[:2]
        keys = self.tracker.update(np.array([f.bbox for f in faces]), frame.t_s)
        mats = None if any(f.matrix is None for f in faces) else np.stack([f.matrix for f in faces])
        blendshapes = np.stack([f.blendshapes for f in faces])
        neutral_width = np.array([self.neutral.get(k) for k in keys])
        landmarks = np.stack([f.landmarks for f in faces])
        sig = frame_signals(blendshapes, landmarks, mats, w, h, self.config, neutral_width)
        calm = is_neutral_mouth(blendshapes)
        tracked = []
        for i, (key, f) in enumerate(zip(keys, faces)):
            values = {k: float(v[i]) for k, v in sig.items()}
            self.neutral.update(key, frame.t_s, values["mouth_width"], bool(calm[i]))
            visible = self.visibility.update(key, frame.t_s, lip_contrast(frame.image, f.landmarks))
            values["mouth_visible"] = visible
            values["smile"] *= visible  # a covered mouth gives no smile evidence
            tracked.append(TrackedFace(key, values, f.landmarks, f.blendshapes))
        return tracked


def iter_track_rows(
    source: FrameSource,
    config: TrackConfig = TrackConfig(),
    landmarker: FaceLandmarker | None = None,
    stop: Callable[[], bool] | None = None,
    on_faces: Callable | None = None,
) -> Iterator[tuple[dict, TrackedFace | None]]:
    """Track every frame of ``source``; yield ``(row, face)`` in frame order.

    ``row`` is a dict with the :data:`mimicry.schema.TRACK` columns; ``face`` is the
    :class:`TrackedFace` behind a detected row (``None`` for ``detected = 0`` rows). The
    landmarker is created (MediaPipe's VIDEO mode, cameras included) unless one is given.
    Rows come out ``yawn_latency_s`` (1 s) after their frame; ``on_faces(frame, faces)`` is called
    at once for every frame, with ``(face_id or None, bbox, values)`` per face (``bbox`` in
    pixels ``x0, y0, x1, y1``; ``face_id`` None until the face is confirmed), for live displays.
    If the source fails (a camera unplugged, a corrupt file), the rows of the frames already
    tracked still come out before the error is raised.
    """
    own = landmarker is None
    lm = open_landmarker(source, config) if landmarker is None else landmarker
    single = config.max_faces == 1
    tracker = FaceIdTracker(min_hits=config.min_hits, memory_s=config.memory_s, single=single)
    assembler = RowAssembler(tracker, config.signals.yawn_latency_s, single, config.memory_s, config.signals)
    signals = _FaceSignals(tracker, config.signals)
    # MediaPipe runs in its own thread, a frame ahead: while it infers frame n (its C++ graph
    # runs without the GIL), this thread turns frame n-1 into signals and rows. The tracking
    # thread needs the GIL after every inference, so the switch interval is shortened while
    # tracking: with Python's default 5 ms, a busy second thread slowed detection from 10 to
    # 40 ms per frame (measured); with 0.5 ms, to 12 ms even against a spinning thread.
    source.prepare = lm.prepare  # colour, size and MediaPipe's wrapper in the decoding thread
    detections = _Detections(source, lm)
    old_switch = sys.getswitchinterval()
    sys.setswitchinterval(min(old_switch, 0.0005))
    try:
        try:
            for frame, faces in detections:
                tracked = signals(frame, faces)
                if on_faces is not None:
                    h, w = frame.image.shape[:2]
                    boxes = [faces[i].bbox * [w, h, w, h] for i in range(len(tracked))]
                    on_faces(frame, [(tracker.face_id(tf.key), b, tf.signals) for tf, b in zip(tracked, boxes)])
                yield from assembler.push(frame.index, frame.t_s, tracked)
                if stop is not None and stop():
                    break
        except Exception:
            yield from assembler.flush()  # what was tracked before the failure is kept
            raise
        yield from assembler.flush()
    finally:
        detections.close()
        sys.setswitchinterval(old_switch)
        if own:
            lm.close()


class _Detections:
    """Iterate ``(frame, faces)`` with the landmarker running in its own thread, ahead."""

    _END = object()

    def __init__(self, source: FrameSource, landmarker: FaceLandmarker, depth: int = 2):
        self._source, self._landmarker = source, landmarker
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="detect", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for frame in self._source:
                if self._stop.is_set():
                    return
                faces = self._landmarker.detect(frame.image, frame.t_s, prepared=frame.prepared)
                if not self._put((frame, faces)):
                    return
            self._put(self._END)
        except BaseException as e:  # handed to the consumer's thread
            self._put(e)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def landmark_row(row: dict, face: TrackedFace) -> dict:
    """The :data:`mimicry.schema.LANDMARKS` row of a detected face."""
    out = {"t_s": row["t_s"], "frame": row["frame"], "face": row["face"]}
    lm = face.landmarks
    for i in range(N_LANDMARKS):
        out[f"x{i}"], out[f"y{i}"], out[f"z{i}"] = float(lm[i, 0]), float(lm[i, 1]), float(lm[i, 2])
    return out


@dataclass
class TrackResult:
    """What a tracking run wrote."""

    path: Path
    landmarks_path: Path | None
    frames: int
    rows: int
    detected_rows: int
    complete: bool
    dropped_frames: int = 0
    frames_with_face: int = 0
    """Frames in which at least one face was found."""
    faces: int = 0
    """Distinct face ids."""
    warnings: list[str] = field(default_factory=list)
    """What the user should know about the input (a video that ends before its announced length)."""


def track_video(
    source: FrameSource,
    out: str | Path,
    config: TrackConfig = TrackConfig(),
    landmarks_out: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    on_row: Callable[[dict], None] | None = None,
) -> TrackResult:
    """Track ``source`` and write the track CSV (and optionally the landmarks CSV).

    Files are written as ``<out>.partial`` while running and renamed when the source ends (or
    ``stop()`` returns true). If anything fails, the ``.partial`` files keep what was done.
    ``on_row(row)`` is called with every row once it is written (e.g. a live stream).
    """
    with open_landmarker(source, config) as landmarker:  # a bad model fails before any file is made
        return _track_to_csv(source, out, config, landmarker, landmarks_out, progress, stop, on_row)


def _track_to_csv(source, out, config, landmarker, landmarks_out, progress, stop, on_row=None) -> TrackResult:
    writer = CsvWriter(out, TRACK)
    lm_writer = CsvWriter(landmarks_out, LANDMARKS) if landmarks_out else None
    frames, rows, detected, with_face, last_frame, last_face_frame = 0, 0, 0, 0, -1, -1
    face_ids: set[int] = set()
    stopped = False

    def stop_asked() -> bool:
        nonlocal stopped
        stopped = stopped or (stop is not None and bool(stop()))
        return stopped

    ok = False
    try:
        for row, face in iter_track_rows(source, config, landmarker=landmarker, stop=stop_asked):
            writer.write(row)
            if on_row is not None:
                on_row(row)
            rows += 1
            if row["frame"] != last_frame:
                last_frame = row["frame"]
                frames += 1
                if progress is not None:
                    progress(1)
            if face is not None:
                if row["frame"] != last_face_frame:
                    with_face, last_face_frame = with_face + 1, row["frame"]
                detected += 1
                face_ids.add(int(row["face"]))
                if lm_writer is not None:
                    lm_writer.write(landmark_row(row, face))
        ok = True
    finally:
        path = writer.close(complete=ok)
        lm_path = lm_writer.close(complete=ok) if lm_writer is not None else None
    dropped = int(getattr(source, "dropped", 0))
    warnings = [] if stopped else short_video_warning(getattr(source, "frame_count", 0), frames + dropped)
    return TrackResult(path, lm_path, frames, rows, detected, ok, dropped, with_face, len(face_ids), warnings)


SHORT_VIDEO_SHARE = 0.98
"""A video that yields fewer than this share of the frames its header announces (less 2) is
reported as truncated or damaged."""


def short_video_warning(announced: int, delivered: int) -> list[str]:
    """A one-line warning when a video delivered clearly fewer frames than its header says."""
    if announced > 0 and delivered < SHORT_VIDEO_SHARE * announced - 2:
        return [
            f"the video ended after {delivered} of the {announced} frames its header announces "
            "(truncated or damaged file?): only those were tracked"
        ]
    return []
