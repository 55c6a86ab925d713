"""Many small faces: a classroom seen from one laptop webcam.

MediaPipe Face Landmarker finds faces with its short-range detector, which squeezes the whole
frame to 128x128: in a 1280x720 frame a face narrower than about 140-160 px is missed
(``benchmarks/classroom.py``). :class:`CrowdLandmarker` keeps the same model and the same outputs
and changes only where it looks:

- a **search** about once a second: MediaPipe's face detector (the short-range BlazeFace inside
  ``face_landmarker.task``, boxes only) on the whole frame (large faces) and on overlapping tiles
  of :attr:`CrowdConfig.tile_px` pixels (each tile squeezed 128/tile_px as much less, so faces
  down to about a seventh of a tile are found), the duplicates of faces seen by two tiles merged
  by overlap (:class:`FaceFinder`; a third of the cost of the whole landmarker on every tile, and
  the cost does not grow with the faces found);
- every frame, each face **followed in its own crop**: a square about
  :attr:`CrowdConfig.crop_faces` face widths wide around it, enlarged to at least
  :attr:`CrowdConfig.crop_px`, where the face is large again, by a landmarker of its own in
  VIDEO mode, which tracks the face from frame to frame as it does for one close face (its
  IMAGE mode, detecting anew in every frame, reads other blendshapes: a laugh's mouthSmile 0.3
  instead of 0.5). The crop stays put while the face stays near its centre. A face not found in
  its crop is kept for :attr:`CrowdConfig.hold_s` (a yawn, a hand) before only a search can
  bring it back.

Landmarks come back in the whole frame's normalised coordinates (z in frame widths), so the
signals, the face ids and every file are as for one close face. It is a drop-in for
:class:`~mimicry.sensing.tracking.FaceLandmarker` in the pipeline (``prepare``, ``detect``,
``close``).
"""

from __future__ import annotations

import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np

from ..errors import ModelError
from . import tracking
from .model import resolve_model
from .tracking import FaceLandmarker, FaceObservation, iou

MAX_CROP_PX = 640
"""A crop larger than this (a face close to the camera) is shrunk to it."""


@dataclass(frozen=True)
class CrowdConfig:
    """How :class:`CrowdLandmarker` searches and follows."""

    tile_px: int = 240
    """Side of the search tiles, px of the frame: faces down to about 32 px are found in 1280x720."""
    overlap: float = 0.3
    """Share of a tile that overlaps its neighbour (a face on a tile edge is whole in one)."""
    search_every_s: float = 1.0
    """Seconds between searches of the whole frame (new faces appear within this)."""
    crop_faces: float = 2.4
    """Side of a face's crop, in face widths."""
    crop_px: int = 256
    """Side a small face's crop is enlarged to before the landmarker sees it, px (the face then
    spans about crop_px / crop_faces px, near the 256-px input of MediaPipe's landmark model)."""
    hold_s: float = 1.0
    """A face not found in its crop is kept this long, s, before only a search can bring it back."""
    same_face_iou: float = 0.3
    """Boxes overlapping this much are one face (tile duplicates, a search finding a followed face)."""
    workers: int = 2
    """Threads that search the tiles and follow the faces in their crops (MediaPipe runs without
    the GIL)."""
    min_confidence: float = 0.5
    """The face detector's threshold (MediaPipe's default)."""
    stray_s: float = 10.0
    """A box the search found but no face was ever found in its crop (a poster, a pattern) is not
    followed again for this long, s: building a landmarker for it costs about 0.1 s."""


@dataclass
class _Followed:
    """One face followed in its own crop by its own landmarker in VIDEO mode (MediaPipe's
    tracking from frame to frame, as for one close face: its IMAGE mode, which detects anew in
    every frame, reads other blendshapes, e.g. a laugh's mouthSmile 0.3 instead of 0.5)."""

    box: np.ndarray
    """x0, y0, x1, y1 in frame pixels."""
    seen_s: float
    """When it was last found, s."""
    graph: FaceLandmarker
    found: bool = False
    """Whether its landmarker has found the face in its crop yet."""
    window: tuple[int, int, int] = (0, 0, 0)
    """The crop: x0, y0 and side, frame px; kept while the face stays near its centre, so that
    MediaPipe's tracking sees a steady picture."""

    def place_window(self, crop_faces: float) -> None:
        """Centre the crop on the face unless it is still well inside the current one."""
        cx, cy = (self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2
        width = self.box[2] - self.box[0]
        x0, y0, n = self.window
        if n:
            off = max(abs(cx - (x0 + n / 2)), abs(cy - (y0 + n / 2))) / n
            if off < 0.12 and 0.8 <= crop_faces * width / n <= 1.25:
                return
        n = int(round(max(crop_faces * width, 16.0)))
        self.window = (int(round(cx - n / 2)), int(round(cy - n / 2)), n)


def tiles(width: int, height: int, side: int, overlap: float) -> list[tuple[int, int]]:
    """Top-left corners of overlapping ``side``-px tiles that cover a ``width`` x ``height`` frame."""
    side = min(side, width, height)
    step = max(int(side * (1 - overlap)), 1)

    def starts(n: int) -> list[int]:
        out = list(range(0, n - side + 1, step))
        if out[-1] + side < n:
            out.append(n - side)
        return out

    return [(x, y) for y in starts(height) for x in starts(width)]


def merge(boxes: np.ndarray, same_iou: float) -> list[int]:
    """Indices of ``boxes`` (px) to keep: of boxes that overlap by ``same_iou`` or more, the widest."""
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]), kind="stable")
    keep: list[int] = []
    for i in order:
        if not keep or iou(boxes[i : i + 1], boxes[keep]).max() < same_iou:
            keep.append(int(i))
    return sorted(keep)


DETECTOR_FILE = "face_detector.tflite"
"""MediaPipe's short-range face detector, one of the models inside ``face_landmarker.task``."""


def detector_model(landmarker_model: bytes) -> bytes:
    """The face detector inside a (hash-checked) ``face_landmarker.task``'s bytes."""
    with zipfile.ZipFile(BytesIO(landmarker_model)) as bundle:
        return bundle.read(DETECTOR_FILE)


class FaceFinder:
    """Face boxes in a whole frame and its overlapping tiles, by MediaPipe's face detector alone
    (no landmarks: the followed faces get theirs in their crops).

    Parameters
    ----------
    model : bytes
        ``face_landmarker.task``'s bytes, already checked; its detector is used.
    config : CrowdConfig
        Tile side, overlap, threshold, threads.
    """

    def __init__(self, model: bytes, config: CrowdConfig):
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp, self.config = mp, config
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=detector_model(model)),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=config.min_confidence,
        )
        # one detector per thread: a MediaPipe graph runs one image at a time
        with tracking._native_stderr_silenced(tracking.QUIET_NATIVE_LOGS), tracking.c_ctype_locale():
            self._detectors = [vision.FaceDetector.create_from_options(options) for _ in range(max(config.workers, 1))]

    def boxes(self, image_bgr: np.ndarray, pool: ThreadPoolExecutor | None = None) -> np.ndarray:
        """Every face's box, px ``x0, y0, x1, y1`` (N, 4): the whole frame, then each tile;
        duplicates merged."""
        h, w = image_bgr.shape[:2]
        side = min(self.config.tile_px, w, h)
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        views = [(0, 0, rgb)] + [
            (x, y, np.ascontiguousarray(rgb[y : y + side, x : x + side]))
            for x, y in tiles(w, h, self.config.tile_px, self.config.overlap)
        ]
        parts = [views[k :: len(self._detectors)] for k in range(len(self._detectors))]
        if pool is None or len(parts) == 1:
            found = [b for d, part in zip(self._detectors, parts) for b in self._detect(d, part)]
        else:
            found = [b for got in pool.map(self._detect, self._detectors, parts) for b in got]
        if not found:
            return np.zeros((0, 4))
        boxes = np.array(found, float)
        return boxes[merge(boxes, self.config.same_face_iou)]

    def _detect(self, detector, views) -> list[tuple[float, float, float, float]]:
        out = []
        for x, y, view in views:
            image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=view)
            for d in detector.detect(image).detections:
                b = d.bounding_box
                out.append((x + b.origin_x, y + b.origin_y, x + b.origin_x + b.width, y + b.origin_y + b.height))
        return out

    def close(self) -> None:
        for d in self._detectors:
            d.close()
        self._detectors = []


class CrowdLandmarker:
    """Face Landmarker for many small faces (see the module docstring).

    Parameters
    ----------
    max_faces : int
        Faces followed at once.
    model : str | Path | None
        As for :class:`~mimicry.sensing.tracking.FaceLandmarker`.
    config : CrowdConfig
    model_buffer : bytes, optional
        A model already read and checked (batch workers), as for ``FaceLandmarker``.
    """

    def __init__(
        self,
        max_faces: int = 30,
        model: str | Path | None = None,
        config: CrowdConfig = CrowdConfig(),
        model_buffer: bytes | None = None,
    ):
        self.max_faces, self.config = int(max_faces), config
        self.model_path = resolve_model(model) if model_buffer is None else None
        self._model = model_buffer if model_buffer is not None else Path(self.model_path).read_bytes()
        try:
            self._finder = FaceFinder(self._model, config)
        except (zipfile.BadZipFile, KeyError):  # not a Face Landmarker bundle
            raise ModelError(f"cannot load model {self.model_path}: no {DETECTOR_FILE} inside") from None
        # MediaPipe runs without the GIL: the faces are followed by a few threads at once
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="crowd") if config.workers > 1 else None
        self._faces: list[_Followed] = []
        self._strays: list[tuple[np.ndarray, float]] = []  # (box, until_s): boxes with no face
        self._last_search_s: float | None = None
        self.searches = 0

    # -- the pipeline's interface -------------------------------------------------------------
    @staticmethod
    def prepare(image_bgr: np.ndarray):
        """Nothing to prepare ahead: the crops are cut from the frame itself."""
        return None

    def detect(self, image_bgr: np.ndarray, t_s: float = 0.0, prepared=None) -> list[FaceObservation]:
        """The faces in one frame, in its normalised coordinates."""
        due = self._last_search_s is None or t_s - self._last_search_s >= self.config.search_every_s
        if due:
            self._last_search_s = t_s
        if due or not self._faces:
            self._adopt(self.search(image_bgr), t_s)
        return self._follow(image_bgr, t_s)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._finder.close()
        for f in self._faces:
            f.graph.close()
        self._faces = []

    def __enter__(self) -> CrowdLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- search and follow --------------------------------------------------------------------
    def search(self, image_bgr: np.ndarray) -> np.ndarray:
        """Every face's box in the frame, px (N, 4): :meth:`FaceFinder.boxes`."""
        self.searches += 1
        return self._finder.boxes(image_bgr, self._pool)

    def _adopt(self, found: np.ndarray, t_s: float) -> None:
        """A box the search found that no followed face covers is followed from now on (the
        widest first, up to ``max_faces``), with a landmarker of its own; not a recent stray."""
        self._strays = [(box, until) for box, until in self._strays if until > t_s]
        for box in sorted(found, key=lambda b: -(b[2] - b[0])):
            if len(self._faces) >= self.max_faces:
                return
            taken = [f.box for f in self._faces] + [box for box, _ in self._strays]
            if taken and iou(box[None, :], np.array(taken)).max() >= self.config.same_face_iou:
                continue
            graph = FaceLandmarker("video", max_faces=1, model_buffer=self._model)
            self._faces.append(_Followed(np.asarray(box, float), t_s, graph))

    def _follow(self, image_bgr: np.ndarray, t_s: float) -> list[FaceObservation]:
        h, w = image_bgr.shape[:2]
        if self._pool is None:
            found = [self._in_crop(f, image_bgr, t_s) for f in self._faces]
        else:
            found = list(self._pool.map(lambda f: self._in_crop(f, image_bgr, t_s), self._faces))
        out, kept = [], []
        for f, ob in zip(self._faces, found):
            if ob is not None:
                if not f.found:  # the crop was placed on the detector's box: place it on the face's
                    f.window, f.found = (0, 0, 0), True
                f.box, f.seen_s = ob.bbox * (w, h, w, h), t_s
                out.append(ob)
            if t_s - f.seen_s <= self.config.hold_s:
                kept.append(f)
                continue
            # gone (left, turned away) for hold_s: only a search brings it back
            f.graph.close()
            if not f.found:
                self._strays.append((f.box, t_s + self.config.stray_s))
        self._faces = kept
        return out

    def _in_crop(self, f: _Followed, image_bgr: np.ndarray, t_s: float) -> FaceObservation | None:
        """The face in its crop (its own landmarker, VIDEO mode), in frame coordinates."""
        h, w = image_bgr.shape[:2]
        f.place_window(self.config.crop_faces)
        x0, y0, n = f.window
        crop = square_crop(image_bgr, x0, y0, n)
        if crop is None:
            return None
        # small faces are enlarged to crop_px; a large one keeps its own pixels (up to MAX_CROP_PX)
        side = int(np.clip(n, self.config.crop_px, MAX_CROP_PX))
        found = f.graph.detect(cv2.resize(crop, (side, side), interpolation=cv2.INTER_LINEAR), t_s)
        if not found:
            return None
        return _in_frame(found[0], x0, y0, n, n, (w, h))


def square_crop(image: np.ndarray, x0: int, y0: int, n: int) -> np.ndarray | None:
    """The ``n`` x ``n`` square of ``image`` at ``x0, y0``, its part outside the image filled by
    repeating the edge (a face at the border keeps its proportions: a squeezed crop changes the
    blendshapes); None if less than a quarter of it is inside."""
    h, w = image.shape[:2]
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + n, w), min(y0 + n, h)
    if (ix1 - ix0) * (iy1 - iy0) < n * n / 4:
        return None
    part = image[iy0:iy1, ix0:ix1]
    return cv2.copyMakeBorder(part, iy0 - y0, y0 + n - iy1, ix0 - x0, x0 + n - ix1, cv2.BORDER_REPLICATE)


def _in_frame(
    ob: FaceObservation, x0: float, y0: float, crop_w: float, crop_h: float, size: tuple[int, int]
) -> FaceObservation:
    """``ob``, found in the crop at ``x0, y0`` of ``crop_w`` x ``crop_h`` frame px, in the frame's normalised coordinates."""
    w, h = size
    lm = ob.landmarks.astype(np.float64)
    moved = np.empty_like(lm)
    moved[:, 0] = (x0 + lm[:, 0] * crop_w) / w
    moved[:, 1] = (y0 + lm[:, 1] * crop_h) / h
    moved[:, 2] = lm[:, 2] * crop_w / w  # z is in image widths
    return FaceObservation(moved.astype(np.float32), ob.blendshapes, ob.matrix)
