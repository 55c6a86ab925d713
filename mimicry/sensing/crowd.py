"""Many small faces: a classroom seen from one laptop webcam.

MediaPipe Face Landmarker finds faces with its short-range detector, which squeezes the whole
frame to 128x128: in a 1280x720 frame a face narrower than about 140-160 px is missed
(``benchmarks/classroom.py``). :class:`CrowdLandmarker` keeps the same model and the same outputs
and changes only where it looks:

- a **search** about once a second: the landmarker on the whole frame (large faces) and on
  overlapping tiles of :attr:`CrowdConfig.tile_px` pixels (each tile squeezed 128/tile_px as
  much less, so faces down to about a seventh of a tile are found), the duplicates of faces seen
  by two tiles merged by overlap;
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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

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
    """Threads that follow the faces in their crops (MediaPipe runs without the GIL)."""


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
        self._search = FaceLandmarker("image", max_faces=4, model=model, model_buffer=model_buffer)
        self.model_path = self._search.model_path
        self._model = model_buffer if model_buffer is not None else Path(self.model_path).read_bytes()
        # MediaPipe runs without the GIL: the faces are followed by a few threads at once
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="crowd") if config.workers > 1 else None
        self._faces: list[_Followed] = []
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
            self._adopt(self.search(image_bgr), image_bgr.shape[1::-1], t_s)
        return self._follow(image_bgr, t_s)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._search.close()
        for f in self._faces:
            f.graph.close()
        self._faces = []

    def __enter__(self) -> CrowdLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- search and follow --------------------------------------------------------------------
    def search(self, image_bgr: np.ndarray) -> list[FaceObservation]:
        """Every face in the frame: the whole frame, then each tile; duplicates merged."""
        h, w = image_bgr.shape[:2]
        self.searches += 1
        found = list(self._search.detect(image_bgr))
        side = min(self.config.tile_px, w, h)
        for x, y in tiles(w, h, self.config.tile_px, self.config.overlap):
            for ob in self._search.detect(np.ascontiguousarray(image_bgr[y : y + side, x : x + side])):
                found.append(_in_frame(ob, x, y, side, side, (w, h)))
        if not found:
            return []
        boxes = np.array([ob.bbox * (w, h, w, h) for ob in found])
        return [found[i] for i in merge(boxes, self.config.same_face_iou)]

    def _adopt(self, found: list[FaceObservation], size: tuple[int, int], t_s: float) -> None:
        """A face the search found that no followed face covers is followed from now on (the
        widest first, up to ``max_faces``), with a landmarker of its own."""
        w, h = size
        for ob in sorted(found, key=lambda ob: -(ob.bbox[2] - ob.bbox[0])):
            if len(self._faces) >= self.max_faces:
                return
            box = ob.bbox * (w, h, w, h)
            known = np.array([f.box for f in self._faces]).reshape(-1, 4)
            if len(known) and iou(box[None, :], known).max() >= self.config.same_face_iou:
                continue
            graph = FaceLandmarker("video", max_faces=1, model_buffer=self._model)
            self._faces.append(_Followed(box, t_s, graph))

    def _follow(self, image_bgr: np.ndarray, t_s: float) -> list[FaceObservation]:
        h, w = image_bgr.shape[:2]
        if self._pool is None:
            found = [self._in_crop(f, image_bgr, t_s) for f in self._faces]
        else:
            found = list(self._pool.map(lambda f: self._in_crop(f, image_bgr, t_s), self._faces))
        out, kept = [], []
        for f, ob in zip(self._faces, found):
            if ob is not None:
                f.box, f.seen_s = ob.bbox * (w, h, w, h), t_s
                out.append(ob)
            if t_s - f.seen_s <= self.config.hold_s:
                kept.append(f)
            else:  # gone (left, turned away) for hold_s: only a search brings it back
                f.graph.close()
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
