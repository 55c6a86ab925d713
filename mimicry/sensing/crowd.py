"""Many small faces: a classroom seen from one laptop webcam.

MediaPipe Face Landmarker finds faces with its short-range detector, which squeezes the whole
frame to 128x128: in a 1280x720 frame a face narrower than about 140-160 px is missed
(``benchmarks/classroom.py``). :class:`CrowdLandmarker` keeps the same model and the same outputs
and changes only where it looks:

- a **search** about once a second: the landmarker on the whole frame (large faces) and on
  overlapping tiles of :attr:`CrowdConfig.tile_px` pixels (each tile squeezed 128/tile_px as
  much less, so faces down to about a seventh of a tile are found), the duplicates of faces seen
  by two tiles merged by overlap;
- between searches, each face **followed in its own crop**: a square about
  :attr:`CrowdConfig.crop_faces` face widths wide around its last box, resized to
  :attr:`CrowdConfig.crop_px`, where the face is large again. The face nearest the crop's centre
  is that face's observation; a face not found in its crop is kept for
  :attr:`CrowdConfig.hold_s` (a yawn, a hand) before it waits for the next search.

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
    crop_px: int = 192
    """Side the crop is resized to before the landmarker sees it, px."""
    hold_s: float = 1.0
    """A face not found in its crop is kept this long, s, before only a search can bring it back."""
    same_face_iou: float = 0.3
    """Boxes overlapping this much are one face (tile duplicates, a search finding a followed face)."""
    workers: int = 2
    """Threads that follow faces in their crops, each with its own landmarker (MediaPipe runs without the GIL)."""


@dataclass
class _Followed:
    box: np.ndarray
    """x0, y0, x1, y1 in frame pixels."""
    seen_s: float
    """When it was last found, s."""


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

    mode = "image"

    def __init__(
        self,
        max_faces: int = 30,
        model: str | Path | None = None,
        config: CrowdConfig = CrowdConfig(),
        model_buffer: bytes | None = None,
    ):
        self.max_faces, self.config = int(max_faces), config
        self._search = FaceLandmarker("image", max_faces=4, model=model, model_buffer=model_buffer)
        # MediaPipe runs without the GIL: one landmarker per worker follows its share of the faces
        self._crops = [
            FaceLandmarker("image", max_faces=2, model=model, model_buffer=model_buffer) for _ in range(config.workers)
        ]
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="crowd") if config.workers > 1 else None
        self.model_path = self._search.model_path
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
        if due or not self._faces:
            if due:
                self._last_search_s = t_s
            found = self.search(image_bgr)
            return self._adopt(found, image_bgr.shape[1::-1], t_s)
        return self._follow(image_bgr, t_s)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._search.close()
        for lm in self._crops:
            lm.close()

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

    def _adopt(self, found: list[FaceObservation], size: tuple[int, int], t_s: float) -> list[FaceObservation]:
        """A search's faces become the followed ones (the widest first, at most ``max_faces``); a
        followed face the search missed (mid-yawn, turned away) is held until ``hold_s``."""
        w, h = size
        found = sorted(found, key=lambda ob: -(ob.bbox[2] - ob.bbox[0]))[: self.max_faces]
        boxes = np.array([ob.bbox * (w, h, w, h) for ob in found]).reshape(-1, 4)
        faces = [_Followed(b, t_s) for b in boxes]
        for f in self._faces:
            held = t_s - f.seen_s <= self.config.hold_s and len(faces) < self.max_faces
            if held and (not len(boxes) or iou(f.box[None, :], boxes).max() < self.config.same_face_iou):
                faces.append(f)
        self._faces = faces
        return found

    def _follow(self, image_bgr: np.ndarray, t_s: float) -> list[FaceObservation]:
        h, w = image_bgr.shape[:2]
        n = len(self._crops)
        shares = [self._faces[i::n] for i in range(n)]
        if self._pool is None:
            results = [self._follow_share(self._crops[0], image_bgr, shares[0])]
        else:
            results = list(self._pool.map(lambda k: self._follow_share(self._crops[k], image_bgr, shares[k]), range(n)))
        out = []
        for share, obs in zip(shares, results):
            for f, ob in zip(share, obs):
                if ob is not None:
                    f.box, f.seen_s = ob.bbox * (w, h, w, h), t_s
                    out.append(ob)
        self._faces = [f for f in self._faces if t_s - f.seen_s <= self.config.hold_s]
        return out

    def _follow_share(self, lm: FaceLandmarker, image_bgr: np.ndarray, faces: list[_Followed]) -> list:
        return [self._in_crop(lm, image_bgr, f.box) for f in faces]

    def _in_crop(self, lm: FaceLandmarker, image_bgr: np.ndarray, box: np.ndarray) -> FaceObservation | None:
        """The face nearest the centre of a crop around ``box``, in frame coordinates."""
        h, w = image_bgr.shape[:2]
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = max(self.config.crop_faces * (box[2] - box[0]) / 2, 8.0)
        x0, y0 = int(max(cx - half, 0)), int(max(cy - half, 0))
        x1, y1 = int(min(cx + half, w)), int(min(cy + half, h))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        crop = cv2.resize(
            image_bgr[y0:y1, x0:x1], (self.config.crop_px, self.config.crop_px), interpolation=cv2.INTER_LINEAR
        )
        found = lm.detect(crop)
        if not found:
            return None
        centre = np.array([0.5, 0.5])
        best = min(found, key=lambda ob: float(np.linalg.norm(ob.bbox.reshape(2, 2).mean(0) - centre)))
        return _in_frame(best, x0, y0, x1 - x0, y1 - y0, (w, h))


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
