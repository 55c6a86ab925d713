"""A classroom seen from a laptop: real faces from the repository's photos (tests/data) pasted at
known widths into a 1280x720 frame, with sensor noise and JPEG compression, for the tests and
``benchmarks/classroom.py`` (the detector's reach by face size).

A face's width is its landmarks' horizontal extent (cheek to cheek), as the tracker's boxes
measure it; a 15 cm face is about 137/d px wide at d metres in a 1280 px frame of a ~70 degree
laptop webcam.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).parent / "data"
PHOTOS = ("single_face.jpg", "astronaut.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg")
"""One face each (see tests/data/README.md for their licences). Not the posed surprise
(0-f1-su-ph.jpg): a mouth held wide open for the whole clip from the face's first frame is
counted as a yawn by design (its opening is unseen: see ``mimicry.sensing.yawn``), which a still
photo pasted into every frame would make of it."""
FRAME = (1280, 720)
MARGIN = 1.8
"""A pasted crop is this many face widths wide: the face with its hair, neck and some room."""


@dataclass(frozen=True)
class Face:
    """A square crop of one photo with its face centred, and the face's width in the crop, px."""

    image: np.ndarray
    face_px: float


def photo_faces(landmarker) -> list[Face]:
    """The face of every photo in :data:`PHOTOS`, cropped square around its landmarks."""
    faces = []
    for name in PHOTOS:
        img = cv2.imread(str(DATA / name))
        found = landmarker.detect(img)
        if not found:
            raise RuntimeError(f"no face in {name}")
        xy = found[0].landmarks[:, :2] * img.shape[1::-1]
        (x0, y0), (x1, y1) = xy.min(0), xy.max(0)
        width = float(x1 - x0)
        side = int(MARGIN * max(width, y1 - y0))
        cx, cy = int((x0 + x1) / 2), int((y0 + y1) / 2)
        pad = cv2.copyMakeBorder(img, side, side, side, side, cv2.BORDER_REPLICATE)
        crop = pad[cy + side - side // 2 : cy + side + side // 2, cx + side - side // 2 : cx + side + side // 2]
        faces.append(Face(crop.copy(), width * crop.shape[1] / side))
    return faces


def room(rng: np.random.Generator, size: tuple[int, int] = FRAME) -> np.ndarray:
    """A plain room: a vertical gradient (wall, then floor) with blurred blotches (desks, bags)."""
    w, h = size
    base = np.linspace(170, 90, h)[:, None, None] * np.array([1.0, 0.95, 0.85])
    img = np.broadcast_to(base, (h, w, 3)).copy()
    blotches = cv2.GaussianBlur(rng.normal(0, 40, (h // 16, w // 16, 3)), (0, 0), 1.5)
    img += cv2.resize(blotches, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img, 0, 255).astype(np.uint8)


def layout(widths_px: list[float], rng: np.random.Generator, *, size: tuple[int, int] = FRAME) -> np.ndarray:
    """Top-left corners (x, y) of faces of ``widths_px`` on a jittered grid, none overlapping."""
    w, h = size
    cols, rows = grid(len(widths_px), size)
    cell_w, cell_h = w / cols, h / rows
    corners = []
    for k, face_w in enumerate(widths_px):
        side = MARGIN * 1.4 * face_w
        if side > min(cell_w, cell_h):
            raise ValueError(f"{len(widths_px)} faces {face_w:g} px wide do not fit in {w}x{h} (see fits())")
        r, c = divmod(k, cols)
        corners.append((c * cell_w + rng.uniform(0, cell_w - side), r * cell_h + rng.uniform(0, cell_h - side)))
    return np.array(corners, float)


def compose(
    faces: list[Face],
    widths_px: list[float],
    corners: np.ndarray,
    background: np.ndarray,
    rng: np.random.Generator,
    *,
    quality: int = 80,
) -> tuple[np.ndarray, np.ndarray]:
    """``background`` with face ``k % len(faces)`` at ``corners[k]``, ``widths_px[k]`` wide, then
    sensor noise and JPEG. Returns the image and each face's box (x0, y0, x1, y1), px."""
    img = background.copy()
    boxes = []
    for k, (face_w, (x, y)) in enumerate(zip(widths_px, corners)):
        face = faces[k % len(faces)]
        side = max(int(round(face.image.shape[1] * face_w / face.face_px)), 4)
        crop = cv2.resize(face.image, (side, side), interpolation=cv2.INTER_AREA)
        x, y = int(round(x)), int(round(y))
        img[y : y + side, x : x + side] = crop[: img.shape[0] - y, : img.shape[1] - x]
        c, half = (x + side / 2, y + side / 2), face_w / 2
        boxes.append((c[0] - half, c[1] - half, c[0] + half, c[1] + half))
    noisy = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    ok, jpg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(jpg, cv2.IMREAD_COLOR), np.array(boxes, float)


def classroom_frame(
    faces: list[Face],
    widths_px: list[float],
    rng: np.random.Generator,
    *,
    size: tuple[int, int] = FRAME,
    quality: int = 80,
) -> tuple[np.ndarray, np.ndarray]:
    """A frame with one face per width in ``widths_px`` (faces taken in turn), on a jittered grid
    so none overlaps, then noise and JPEG. Returns the image and each face's box (x0, y0, x1, y1), px."""
    return compose(faces, widths_px, layout(widths_px, rng, size=size), room(rng, size), rng, quality=quality)


def classroom_video(
    path: Path, faces: list[Face], widths_px: list[float], *, seconds: float, fps: float, seed: int = 0
) -> np.ndarray:
    """A class sitting still but alive: each face sways a few pixels (its own slow rhythm).
    Writes ``path`` (MP4) and returns the boxes, shape (frames, faces, 4), px."""
    rng = np.random.default_rng(seed)
    corners = layout(widths_px, rng)
    background = room(rng)
    phase = rng.uniform(0, 2 * np.pi, (len(widths_px), 2))
    rate_hz = rng.uniform(0.2, 0.5, len(widths_px))
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, FRAME)
    boxes = []
    for k in range(int(round(seconds * fps))):
        t = k / fps
        sway = 0.08 * np.array(widths_px)[:, None] * np.sin(2 * np.pi * rate_hz[:, None] * t + phase)
        img, b = compose(faces, widths_px, corners + sway, background, rng)
        vw.write(img)
        boxes.append(b)
    vw.release()
    return np.array(boxes)


def grid(n: int, size: tuple[int, int] = FRAME) -> tuple[int, int]:
    """Columns and rows of the grid that places ``n`` faces."""
    cols = int(np.ceil(np.sqrt(n * size[0] / size[1])))
    return cols, int(np.ceil(n / cols))


def fits(n: int, face_w: float, size: tuple[int, int] = FRAME) -> int:
    """How many of ``n`` faces ``face_w`` px wide fit without overlapping (at least 1)."""
    for k in range(n, 0, -1):
        cols, rows = grid(k, size)
        if MARGIN * face_w * 1.4 <= min(size[0] / cols, size[1] / rows):
            return k
    return 1


def hits(truth: np.ndarray, found: np.ndarray) -> np.ndarray:
    """For each true face box, whether a found box (x0, y0, x1, y1) has its centre inside it and a
    width within a factor of 2."""
    found = np.asarray(found, float).reshape(-1, 4)
    out = np.zeros(len(truth), bool)
    for i, (x0, y0, x1, y1) in enumerate(truth):
        cx, cy = (found[:, 0] + found[:, 2]) / 2, (found[:, 1] + found[:, 3]) / 2
        ratio = (found[:, 2] - found[:, 0]) / (x1 - x0)
        out[i] = bool(np.any((cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1) & (ratio > 0.5) & (ratio < 2)))
    return out
