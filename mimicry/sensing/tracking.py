"""Face tracking: MediaPipe Face Landmarker per frame, and stable face ids across frames.

:class:`FaceLandmarker` wraps the MediaPipe tasks API (IMAGE, VIDEO or LIVE_STREAM mode) and
returns :class:`FaceObservation` records. :class:`FaceIdTracker` gives each face a stable id with
the SORT recipe (Bewley et al. 2016): a constant-velocity prediction of each track's box, optimal
assignment (Hungarian algorithm) on 1 - IoU, new tracks confirmed after ``min_hits`` consecutive
detections (so one-frame false detections never become faces), and lost tracks kept for
``memory_s`` seconds and matched back by position and size when the face returns.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError
from ..schema import BLENDSHAPE_NAMES, N_LANDMARKS
from .model import resolve_model
from .native import native_detector

log = logging.getLogger(__name__)

#: Images whose longer side exceeds this are downscaled before tracking (landmarks are
#: normalised to the image size, so outputs do not change units).
MAX_TRACKING_SIDE = 1280


@dataclass
class FaceObservation:
    """One face found in one image.

    Attributes
    ----------
    landmarks : np.ndarray
        (478, 3) normalised landmarks: x, y in [0, 1] of image width/height, z in image widths.
    blendshapes : np.ndarray
        (52,) scores in :data:`mimicry.schema.BLENDSHAPE_NAMES` order.
    matrix : np.ndarray | None
        (4, 4) facial transformation matrix.
    """

    landmarks: np.ndarray
    blendshapes: np.ndarray
    matrix: np.ndarray | None

    @property
    def bbox(self) -> np.ndarray:
        """Landmark bounding box (x0, y0, x1, y1), normalised."""
        xy = self.landmarks[:, :2]
        return np.concatenate([xy.min(axis=0), xy.max(axis=0)])


#: Set by the CLI: silence the C++ INFO/WARNING lines MediaPipe prints to stderr while the
#: landmarker starts (no environment variable turns them off).
QUIET_NATIVE_LOGS = False


@contextlib.contextmanager
def _native_stderr_silenced(enabled: bool):
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_LOCALE_LOCK = threading.Lock()


@contextlib.contextmanager
def c_ctype_locale():
    """Build MediaPipe graphs under the C character classes: MediaPipe lower-cases its stream
    names with the C library's ``tolower``, which under a Turkish or Azeri locale leaves ``I``
    upper-case, and the graph then refuses its own names ("TAG:index:name is invalid")."""
    import locale

    with _LOCALE_LOCK:
        before = locale.setlocale(locale.LC_CTYPE)
        if before in ("C", "POSIX", "C.UTF-8", "C.utf8"):
            yield
            return
        locale.setlocale(locale.LC_CTYPE, "C")
        try:
            yield
        finally:
            locale.setlocale(locale.LC_CTYPE, before)


def _convert(result) -> list[FaceObservation]:
    faces = []
    mats = result.facial_transformation_matrixes or []
    bss = result.face_blendshapes or []
    for i, lms in enumerate(result.face_landmarks):
        lm = np.array([(p.x, p.y, p.z) for p in lms], dtype=np.float32)
        if lm.shape[0] != N_LANDMARKS:
            lm = lm[:N_LANDMARKS]
        bs = np.zeros(len(BLENDSHAPE_NAMES), dtype=np.float32)
        if i < len(bss):
            for c in bss[i]:
                if 0 <= c.index < bs.size:
                    bs[c.index] = c.score
        mat = np.asarray(mats[i], dtype=np.float32) if i < len(mats) else None
        faces.append(FaceObservation(lm, bs, mat))
    return faces


class FaceLandmarker:
    """MediaPipe Face Landmarker as a context manager.

    Parameters
    ----------
    mode : {"video", "live", "image"}
        ``video`` for files (synchronous, temporal tracking), ``live`` for cameras (MediaPipe's
        LIVE_STREAM mode, results through a callback), ``image`` for unrelated stills.
    max_faces : int
        Faces searched per frame.
    model : str | Path | None
        A ``.task`` bundle; ``None`` for the bundled, hash-checked model.
    min_detection_confidence : float
        Face detector threshold.

    Notes
    -----
    Timestamps passed to MediaPipe must strictly increase: :meth:`detect` turns ``t_s`` into
    integer milliseconds and bumps any that do not increase by 1 ms.
    """

    def __init__(
        self,
        mode: str = "video",
        max_faces: int = 1,
        model: str | Path | None = None,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        model_buffer: bytes | None = None,
    ):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        if mode not in ("video", "live", "image"):
            raise ValueError(f"mode must be 'video', 'live' or 'image', got {mode!r}")
        self.mode = mode
        self.max_faces = int(max_faces)
        # model_buffer: the bytes of a model the caller has already checked (a batch worker
        # reads and verifies the file once, then builds a fresh graph per video from memory)
        self.model_path = resolve_model(model) if model_buffer is None else None
        self._mp = mp
        self._last_ms = -1
        self._results: queue.Queue = queue.Queue()
        running = {
            "video": vision.RunningMode.VIDEO,
            "live": vision.RunningMode.LIVE_STREAM,
            "image": vision.RunningMode.IMAGE,
        }[mode]
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path))
            if model_buffer is None
            else BaseOptions(model_asset_buffer=model_buffer),
            running_mode=running,
            num_faces=self.max_faces,
            min_face_detection_confidence=min_detection_confidence,
            min_face_presence_confidence=min_tracking_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
            result_callback=self._on_result if mode == "live" else None,
        )
        self._quiet_first = QUIET_NATIVE_LOGS
        try:
            with _native_stderr_silenced(QUIET_NATIVE_LOGS), c_ctype_locale():
                self._landmarker = vision.FaceLandmarker.create_from_options(options)
        except Exception as e:  # MediaPipe raises RuntimeError/ValueError with long texts
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelError(f"cannot load model {self.model_path}: {first}") from None
        self._lock = threading.Lock()
        # results read straight from MediaPipe's C structs (the same values, ~1.4 ms less per
        # face); the live mode's results arrive through the wrapper's own callback
        self._native = native_detector(self._landmarker, N_LANDMARKS, len(BLENDSHAPE_NAMES)) if mode != "live" else None

    def _on_result(self, result, image, timestamp_ms: int) -> None:
        self._results.put((timestamp_ms, result))

    def _timestamp_ms(self, t_s: float) -> int:
        ms = int(round(t_s * 1000.0))
        if ms <= self._last_ms:
            ms = self._last_ms + 1
        self._last_ms = ms
        return ms

    def prepare(self, image_bgr: np.ndarray):
        """MediaPipe's input for a BGR image: RGB, at most :data:`MAX_TRACKING_SIDE` pixels on its
        longer side, wrapped as ``mediapipe.Image``. Thread-safe, so a decoding thread can do it
        ahead (:attr:`mimicry.sensing.capture.FrameSource.prepare`)."""
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        if max(h, w) > MAX_TRACKING_SIDE:
            scale = MAX_TRACKING_SIDE / max(h, w)
            rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)

    def detect(self, image_bgr: np.ndarray | None, t_s: float = 0.0, prepared=None) -> list[FaceObservation]:
        """Faces in one BGR image taken at ``t_s`` seconds (``prepared``: :meth:`prepare`'s result
        for it, if the caller already has it; then ``image_bgr`` is not used)."""
        mp_image = self.prepare(image_bgr) if prepared is None else prepared
        if self._quiet_first:  # the first inference prints a few more native lines
            self._quiet_first = False
            with _native_stderr_silenced(True):
                return self._detect(mp_image, t_s)
        return self._detect(mp_image, t_s)

    def _detect(self, mp_image, t_s: float) -> list[FaceObservation]:
        with self._lock:
            if self._landmarker is None:
                raise RuntimeError("the face landmarker is closed")
            if self.mode == "image":
                if self._native is not None:
                    return [FaceObservation(*f) for f in self._native.detect(mp_image, None)]
                return _convert(self._landmarker.detect(mp_image))
            ms = self._timestamp_ms(t_s)
            if self.mode == "video":
                if self._native is not None:
                    return [FaceObservation(*f) for f in self._native.detect(mp_image, ms)]
                return _convert(self._landmarker.detect_for_video(mp_image, ms))
            self._landmarker.detect_async(mp_image, ms)
            while True:  # LIVE_STREAM: wait for this frame's result
                try:
                    got_ms, result = self._results.get(timeout=5.0)
                except queue.Empty:
                    log.warning("no result from the landmarker within 5 s (frame at %d ms)", ms)
                    return []
                if got_ms >= ms:
                    return _convert(result)

    def close(self) -> None:
        self._native = None  # never call into a closed graph
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes ``a`` (M, 4) and ``b`` (K, 4) as (M, K)."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


RECENT_S = 0.5
"""A track seen within this many seconds is matched by overlap; a tentative one unseen for longer is dropped."""


@dataclass
class _Track:
    key: int
    bbox: np.ndarray
    velocity: np.ndarray
    last_t_s: float
    hits: int = 1
    face_id: int | None = None

    def predict(self, t_s: float) -> np.ndarray:
        dt = min(max(t_s - self.last_t_s, 0.0), 0.5)
        return self.bbox + self.velocity * dt


def _assign(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-cost one-to-one assignment (Hungarian). One track and one face need no solver, and
    the single-face path then never imports SciPy (about 0.4 s of start-up)."""
    if cost.shape == (1, 1):
        return np.array([0]), np.array([0])
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment(cost)


@dataclass
class FaceIdTracker:
    """Stable ids for faces across frames (SORT-style; see the module docstring).

    Parameters
    ----------
    min_hits : int
        Consecutive detections before a new track is confirmed and gets an id.
    memory_s : float
        How long a lost track waits for its face to come back, seconds.
    min_iou : float
        Least overlap of a predicted box and a detection to match them directly.
    reid_distance : float
        After a loss, largest centre distance, in face widths, to give a face its old id back.
    single : bool
        Only one face: every confirmed track is face 0.
    """

    min_hits: int = 3
    memory_s: float = 5.0
    min_iou: float = 0.2
    reid_distance: float = 1.5
    single: bool = False
    _tracks: list[_Track] = field(default_factory=list)
    _next_key: int = 0
    _next_id: int = 0

    def update(self, boxes: np.ndarray, t_s: float) -> list[int]:
        """Match this frame's boxes to tracks; return a track key per box.

        A key names a track, confirmed or not; :meth:`face_id` gives the public id of a key once
        the track is confirmed (it stays ``None`` for tracks that never were).
        """
        boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
        # "recently seen" is the last half second, or the last frame and a half of a slow video
        # (a 1 fps time-lapse would otherwise lose every tentative track before it is confirmed)
        recent_s = max(RECENT_S, 1.5 * (t_s - self._last_t_s)) if self._last_t_s is not None else RECENT_S
        self._last_t_s = t_s
        self._tracks = [
            tr
            for tr in self._tracks
            if t_s - tr.last_t_s <= max(self.memory_s, recent_s)
            and (tr.face_id is not None or t_s - tr.last_t_s <= recent_s)
        ]
        keys: list[int] = [-1] * len(boxes)
        unmatched = set(range(len(boxes)))
        recent = [tr for tr in self._tracks if t_s - tr.last_t_s <= recent_s]
        older = [tr for tr in self._tracks if t_s - tr.last_t_s > recent_s]
        # 1) recently seen tracks by overlap with their predicted box
        if recent and boxes.size:
            pred = np.array([tr.predict(t_s) for tr in recent])
            cost = 1.0 - iou(pred, boxes)
            for r, c in zip(*_assign(cost)):
                if cost[r, c] <= 1.0 - self.min_iou:
                    keys[c] = self._hit(recent[r], boxes[c], t_s)
                    unmatched.discard(c)
        # 2) tracks lost for a while (confirmed only) by distance relative to face size
        if older and unmatched:
            cand = sorted(unmatched)
            cost = np.full((len(older), len(cand)), 1e6)
            for i, tr in enumerate(older):
                w = max(tr.bbox[2] - tr.bbox[0], 1e-6)
                c_tr = (tr.bbox[:2] + tr.bbox[2:]) / 2
                for j, k in enumerate(cand):
                    b = boxes[k]
                    d = np.linalg.norm((b[:2] + b[2:]) / 2 - c_tr) / w
                    size = (b[2] - b[0]) / w
                    if d <= self.reid_distance and 0.6 <= size <= 1.67:
                        cost[i, j] = d
            for r, c in zip(*_assign(cost)):
                if cost[r, c] < 1e6:
                    k = cand[c]
                    keys[k] = self._hit(older[r], boxes[k], t_s, reset_velocity=True)
                    unmatched.discard(k)
        # 3) new tentative tracks
        for k in sorted(unmatched):
            tr = _Track(self._next_key, boxes[k].copy(), np.zeros(4), t_s)
            self._next_key += 1
            self._tracks.append(tr)
            self._confirm(tr)
            keys[k] = tr.key
        # a tentative track that missed a frame starts over
        for tr in self._tracks:
            if tr.face_id is None and tr.last_t_s < t_s:
                tr.hits = 0
        return keys

    def _hit(self, tr: _Track, box: np.ndarray, t_s: float, reset_velocity: bool = False) -> int:
        dt = t_s - tr.last_t_s
        if reset_velocity or dt <= 0:
            tr.velocity = np.zeros(4)
        else:
            tr.velocity = 0.5 * tr.velocity + 0.5 * (box - tr.bbox) / dt
        tr.bbox, tr.last_t_s = box.copy(), t_s
        tr.hits += 1
        self._confirm(tr)
        return tr.key

    def _confirm(self, tr: _Track) -> None:
        if tr.face_id is None and tr.hits >= self.min_hits:
            if self.single:
                tr.face_id = 0
                self._ids[tr.key] = 0
                # one face only: a newly confirmed track replaces older ones
                self._tracks = [t for t in self._tracks if t is tr or t.face_id is None]
            else:
                tr.face_id = self._next_id
                self._ids[tr.key] = tr.face_id
                self._next_id += 1

    def face_id(self, key: int) -> int | None:
        """Public id of a track key, or ``None`` while it is unconfirmed (or never was)."""
        return self._ids.get(key)

    def known_ids(self, t_s: float) -> list[int]:
        """Ids of confirmed faces that are present or lost for at most ``memory_s`` at ``t_s``."""
        return sorted(
            {tr.face_id for tr in self._tracks if tr.face_id is not None and t_s - tr.last_t_s <= self.memory_s}
        )

    def __post_init__(self) -> None:
        self._last_t_s: float | None = None
        if not self.single:
            _assign(np.zeros((2, 2)))  # several faces: import SciPy now, not on the first crowded frame
        self._ids: dict[int, int] = {}
