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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..schema import LANDMARKS, N_LANDMARKS, TRACK
from ..writers import CsvWriter
from .capture import FrameSource
from .history import MouthVisibility, NeutralWidth
from .rows import RowAssembler, TrackedFace
from .signals import DEFAULT_CONFIG, SignalConfig, frame_signals, is_neutral_mouth, lip_contrast
from .tracking import FaceIdTracker, FaceLandmarker

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
    crowd_hz : float
        From :data:`CROWD_FROM` faces on, frames tracked a second, at most (the others are read
        and skipped): every face then has a row this often, on any machine and from files as from
        a webcam. Each face costs its own landmarker about 12 ms a frame (``benchmarks/classroom.py``),
        so 30 faces on 2 cores cannot be measured at a webcam's 30 frames/s; 10 a second is twice
        the rate the slowest signal needs (a yawn opens over a second or more; a smile's onset
        over 0.25-0.5 s).
    """

    max_faces: int = 1
    model: Path | None = None
    signals: SignalConfig = DEFAULT_CONFIG
    min_hits: int = 3
    memory_s: float = 5.0
    crowd_hz: float = 10.0

    def __post_init__(self):
        if not 1 <= int(self.max_faces) <= MAX_FACES:
            raise ValueError(f"max_faces must be between 1 and {MAX_FACES}, got {self.max_faces}")
        if not self.crowd_hz > 0:
            raise ValueError(f"crowd_hz must be positive, got {self.crowd_hz}")

    @property
    def every_s(self) -> float:
        """Least time between tracked frames, s: 0 (every frame) below :data:`CROWD_FROM` faces."""
        return 1.0 / self.crowd_hz if self.max_faces >= CROWD_FROM else 0.0


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
    detections = _Detections(source, lm, every_s=config.every_s)
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
    """Iterate ``(frame, faces)`` with the landmarker running in its own thread, ahead; with
    ``every_s``, only frames at least that far apart on average (the others are skipped)."""

    _END = object()

    def __init__(self, source: FrameSource, landmarker: FaceLandmarker, depth: int = 2, *, every_s: float = 0.0):
        self._source, self._landmarker = source, landmarker
        self._every_s = every_s
        self._next_s: float | None = None
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
                if not self._due(frame.t_s):
                    continue
                faces = self._landmarker.detect(frame.image, frame.t_s, prepared=frame.prepared)
                if not self._put((frame, faces)):
                    return
            self._put(self._END)
        except BaseException as e:  # handed to the consumer's thread
            self._put(e)

    def _due(self, t_s: float) -> bool:
        """Whether the frame at ``t_s`` is tracked: on a grid ``every_s`` apart (a 15-fps file at
        10 Hz keeps 2 frames of 3), restarted after a gap longer than a step."""
        if not self._every_s:
            return True
        due = self._next_s
        if due is not None and t_s < due - 1e-3:
            return False
        self._next_s = (t_s if due is None or t_s - due >= self._every_s else due) + self._every_s
        return True

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
    delivered = getattr(source, "delivered", frames) + dropped  # frames read, tracked or skipped (crowd_hz)
    warnings = [] if stopped else short_video_warning(getattr(source, "frame_count", 0), delivered)
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
