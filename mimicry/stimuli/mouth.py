"""The inside of a real open mouth for synthetic yawns (:func:`mimicry.stimuli.synth.warp_face`):
cut from a photo along the inner lip contour, then stretched column by column into the opening
that the warp makes, at the face's brightness."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..sensing.signals import LIPS_INNER, LIPS_OUTER


@dataclass(frozen=True)
class MouthInterior:
    """The inside of a real open mouth (teeth, tongue, throat), for :func:`~mimicry.stimuli.synth.warp_face`.

    ``image`` is the BGR crop of the inner-lip contour's bounding box; ``top`` and ``bottom`` give,
    for each of its columns, the first and last row inside the contour (NaN outside it).
    """

    image: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    lip_bgr: np.ndarray
    """Mean colour of the photo's lips: the interior is dimmed by another face's lip brightness
    relative to this."""


def lip_colour(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Mean BGR colour of the lips (outer contour minus the inner one) of ``img``."""
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(xy[list(LIPS_OUTER)]).astype(np.int32)], 1)
    cv2.fillPoly(mask, [np.round(xy[list(LIPS_INNER)]).astype(np.int32)], 0)
    return np.array(cv2.mean(img, mask=mask)[:3])


def mouth_interior(photo: np.ndarray, xy: np.ndarray) -> MouthInterior:
    """Cut the inside of the open mouth of ``photo`` along its inner lip contour.

    Parameters
    ----------
    photo : np.ndarray
        BGR photo of a face with the mouth open.
    xy : np.ndarray
        (478, 2) landmarks of ``photo`` in pixels.
    """
    poly = np.round(xy[list(LIPS_INNER)]).astype(np.int32)
    x0, y0 = poly.min(axis=0)
    x1, y1 = poly.max(axis=0) + 1
    mask = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillPoly(mask, [poly], 1)
    mask = mask[y0:y1, x0:x1].astype(bool)
    rows = np.arange(mask.shape[0])[:, None]
    inside = mask.any(axis=0)
    top = np.where(inside, np.where(mask, rows, np.inf).min(axis=0), np.nan)
    bottom = np.where(inside, np.where(mask, rows, -np.inf).max(axis=0), np.nan)
    if inside.sum() < 4 or np.nanmax(bottom - top) < 3:
        raise ValueError("the photo's mouth is not open")
    return MouthInterior(np.ascontiguousarray(photo[y0:y1, x0:x1]), top, bottom, lip_colour(photo, xy))


def shipped_mouth_interior(landmarker) -> MouthInterior:
    """The inside of the real open mouth shipped with the stimulus library (``sources/open_mouth.jpg``),
    found with ``landmarker`` (a :class:`~mimicry.sensing.tracking.FaceLandmarker` in image mode)."""
    from .library import default_library

    photo = cv2.imread(str(default_library() / "sources" / "open_mouth.jpg"))
    if photo is None:
        raise FileNotFoundError("the stimulus library's sources/open_mouth.jpg is missing")
    h, w = photo.shape[:2]
    return mouth_interior(photo, landmarker.detect(photo)[0].landmarks[:, :2] * [w, h])


def _fill_mouth(img, xx, yy, interior: MouthInterior, gain, m_lens, cx, half, seam, up, down):
    """The oval opened by :func:`warp_face` filled with a real mouth's inside, each column of the
    opening stretched from the upper to the lower lip onto the same column of ``interior``."""
    top, bottom = seam - up * m_lens, seam + down * m_lens
    cavity = (yy > top) & (yy < bottom) & (np.abs(xx - cx) < half)
    if not cavity.any():
        return img
    cols = np.flatnonzero(np.isfinite(interior.top))
    u = np.clip((xx - (cx - half)) / (2 * half), 0, 1)
    col = cols[0] + u * (cols[-1] - cols[0])  # source column, across the opening
    ci = np.clip(np.round(col).astype(int), 0, interior.top.size - 1)
    s_top, s_bot = np.nan_to_num(interior.top[ci]), np.nan_to_num(interior.bottom[ci])
    v = np.clip((yy - top) / np.maximum(bottom - top, 1e-3), 0, 1)
    map_x, map_y = col.astype(np.float32), (s_top + v * (s_bot - s_top)).astype(np.float32)
    fill = cv2.remap(interior.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) * gain
    soft = cv2.GaussianBlur(cavity.astype(np.float32), (3, 3), 0)[..., None]
    return np.clip(img * (1 - soft) + fill * soft, 0, 255).astype(np.uint8)
