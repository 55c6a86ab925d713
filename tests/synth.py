"""Synthetic faces with known ground truth, made by warping a real neutral face along its landmarks.

The neutral face is frame 0 of ``data/single_face.mp4`` (a real man, neutral, frontal). The lower
jaw is moved down by a chosen amount, opening an elliptical mouth between fixed lip corners, and
the upper eyelids can be lowered. What this proves: the signals respond to the geometry and time
course of a wide jaw opening (a yawn) versus short openings (talking, chewing). What it does not:
a real yawn also changes skin, tongue, teeth and head pose in ways a warp does not reproduce.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=None)
def neutral_face() -> tuple[np.ndarray, np.ndarray]:
    """A neutral face crop (BGR) and its landmarks in pixels (478, 2)."""
    from mimicry.tracking import FaceLandmarker

    cap = cv2.VideoCapture(str(DATA / "single_face.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    with FaceLandmarker("image") as lm:
        face = lm.detect(frame)[0]
    h, w = frame.shape[:2]
    xy = face.landmarks[:, :2] * [w, h]
    # square crop around the face, upscaled so the face is ~300 px wide
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    cx, cy, side = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0), 1.9 * max(x1 - x0, y1 - y0)
    scale = 480 / side
    m = np.array([[scale, 0, 240 - scale * cx], [0, scale, 240 - scale * cy]])
    crop = cv2.warpAffine(frame, m, (480, 480), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    xy2 = xy * scale + m[:, 2]
    return crop, xy2


def warp_face(img: np.ndarray, xy: np.ndarray, jaw: float, eyes: float = 0.0,
              corners: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Open the jaw by ``jaw`` inter-ocular distances (IOD), close the eyes by ``eyes`` (0-1), and
    move both lip corners by ``corners = (outward, up)`` IOD (a smile pulls them up and out, a
    grimace straight out, crying out and down)."""
    h, w = img.shape[:2]
    iod = np.linalg.norm(xy[263] - xy[33])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x, map_y = xx.copy(), yy.copy()
    if corners != (0.0, 0.0):
        out_px, up_px = corners[0] * iod, corners[1] * iod
        for idx, side in ((61, -1.0), (291, 1.0)):
            c = xy[idx]
            # moved point sits at c + shift: pull the field from there (inverse map)
            shift = np.array([side * out_px, -up_px])
            r2 = ((xx - c[0] - shift[0]) ** 2 + (yy - c[1] - shift[1]) ** 2) / (0.3 * iod) ** 2
            wgt = np.exp(-r2).astype(np.float32)
            map_x -= shift[0] * wgt
            map_y -= shift[1] * wgt
    out_cavity = np.zeros((h, w), bool)
    if jaw > 0:
        # The jaw carries the lower lip down (70 % of the opening) and the stretched upper lip
        # rises (30 %); the lip corners stay put, so the mouth opens as a tall oval with the
        # corners a third of the way down, as in a yawn (not the flat-topped "D" of a laugh).
        d = jaw * iod
        lc, rc = xy[61], xy[291]
        cx, half = (lc[0] + rc[0]) / 2, (rc[0] - lc[0]) / 2
        seam = (xy[13, 1] + xy[14, 1]) / 2
        chin, nose = xy[152, 1], xy[2, 1]
        jaw_half = (xy[397, 0] - xy[172, 0]) / 2
        m_lens = np.sqrt(np.clip(1 - ((xx - cx) / half) ** 2, 0, None))  # 0 at the corners
        wx = np.clip(1 - ((xx - cx) / (jaw_half * 1.15)) ** 4, 0, None)
        down, up = 0.7 * d, 0.3 * d
        s = np.clip((yy - seam) / (chin - seam + down), 0, 1)
        g = m_lens * (1 - s) + wx * s
        below_chin = np.clip(1 - (yy - (chin + down)) / (0.8 * iod), 0, 1)
        g = np.where(yy > chin + down, wx * below_chin, g)
        dy = np.where(yy > seam, down * g, 0.0)
        w_up = np.clip((yy - nose) / (seam - nose), 0, 1)
        dy = np.where(yy <= seam, -up * m_lens * w_up, dy)
        map_y = yy - dy.astype(np.float32)
        out_cavity = (yy > seam - up * m_lens) & (yy < seam + down * m_lens)
    if eyes > 0:
        for upper, lower, inner, outer in ((159, 145, 133, 33), (386, 374, 362, 263)):
            ex = (xy[inner, 0] + xy[outer, 0]) / 2
            ew = abs(xy[outer, 0] - xy[inner, 0]) * 0.75
            top = xy[upper, 1] - 0.35 * iod
            lid = xy[upper, 1]
            drop = eyes * (xy[lower, 1] - xy[upper, 1])
            wxe = np.clip(1 - ((xx - ex) / ew) ** 2, 0, None)
            wye = np.where(yy < lid + drop, np.clip((yy - top) / (lid - top), 0, 1), np.clip(1 - (yy - lid - drop) / (0.1 * iod), 0, 1))
            map_y = map_y - (drop * wxe * wye).astype(np.float32)
    out = cv2.remap(img, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if out_cavity.any():
        depth = np.clip((yy - ((xy[13, 1] + xy[14, 1]) / 2)) / max(0.7 * jaw * iod, 1) + 0.5, 0, 1)
        cav = np.stack([25 + 10 * depth, 15 + 8 * depth, 45 + 25 * depth], axis=-1).astype(np.uint8)
        out[out_cavity] = cav[out_cavity]
        out = np.where(out_cavity[..., None], cv2.GaussianBlur(out, (3, 3), 0), out)
    return out


# Face Mesh eye contours (upper lid then lower lid, corner to corner)
_EYE_CONTOURS = (
    (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7),
    (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249),
)


def close_eyes(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Both eyes shut: the eye opening painted with eyelid skin, lashes along the lower lid."""
    out = img.copy()
    iod = np.linalg.norm(xy[263] - xy[33])
    for contour in _EYE_CONTOURS:
        pts = xy[list(contour)].astype(np.int32)
        mask = np.zeros(img.shape[:2], np.uint8)
        cv2.fillPoly(mask, [pts], 255)
        mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
        top = int(pts[:, 1].min() - 0.12 * iod)
        x0, x1 = pts[:, 0].min(), pts[:, 0].max()
        lid = img[max(top - 4, 0):top + 1, x0:x1 + 1].reshape(-1, 3).mean(axis=0)
        out[mask > 0] = lid.astype(np.uint8)
        lower = xy[list(contour[8:]) + [contour[0]]].astype(np.int32)
        cv2.polylines(out, [lower], False, (40, 35, 35), 2, cv2.LINE_AA)
    blurred = cv2.GaussianBlur(out, (5, 5), 0)
    return blurred


def yawn_course(t_s: np.ndarray, onset_s: float = 1.0, rise_s: float = 2.5, hold_s: float = 1.5,
                fall_s: float = 1.0) -> np.ndarray:
    """Yawn time course in [0, 1]: slow cosine rise, hold, faster fall."""
    t = np.asarray(t_s, float) - onset_s
    out = np.zeros_like(t)
    r = (t >= 0) & (t < rise_s)
    out[r] = 0.5 - 0.5 * np.cos(np.pi * t[r] / rise_s)
    out[(t >= rise_s) & (t < rise_s + hold_s)] = 1.0
    f = (t >= rise_s + hold_s) & (t < rise_s + hold_s + fall_s)
    out[f] = 0.5 + 0.5 * np.cos(np.pi * (t[f] - rise_s - hold_s) / fall_s)
    return out


def talking_course(t_s: np.ndarray, rate_hz: float = 4.0, onset_s: float = 0.5) -> np.ndarray:
    """Syllable-like openings in [0, 1]: |sin| cycles at ``rate_hz`` with varying amplitude."""
    t = np.asarray(t_s, float)
    amp = 0.6 + 0.4 * np.abs(np.sin(2 * np.pi * 0.37 * t))
    return np.where(t >= onset_s, amp * np.abs(np.sin(np.pi * rate_hz * (t - onset_s))), 0.0)


def write_clip(path: Path, jaw: np.ndarray, eyes: np.ndarray | None = None, fps: float = 30.0,
               jaw_max: float = 0.6) -> Path:
    """Write an MP4 of the neutral face warped frame by frame."""
    img, xy = neutral_face()
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (img.shape[1], img.shape[0]))
    assert vw.isOpened()
    eyes = np.zeros_like(jaw) if eyes is None else eyes
    for j, e in zip(jaw, eyes):
        vw.write(warp_face(img, xy, jaw_max * float(j), float(e)))
    vw.release()
    return path


def cover_mouth(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """A skin-coloured hand (an ellipse with finger creases, colour from the forehead) over the mouth."""
    iod = np.linalg.norm(xy[263] - xy[33])
    fore = img[int(xy[10, 1] + 0.1 * iod):int(xy[10, 1] + 0.25 * iod),
               int(xy[10, 0] - 0.2 * iod):int(xy[10, 0] + 0.2 * iod)].reshape(-1, 3).mean(axis=0)
    out = img.copy()
    c = ((xy[61] + xy[291]) / 2).astype(int)
    cv2.ellipse(out, (int(c[0]), int(c[1])), (int(0.75 * iod), int(0.45 * iod)), 0, 0, 360,
                tuple(int(v * 0.95) for v in fore), -1)
    for k in range(-2, 3):
        y = int(c[1] + k * 0.16 * iod)
        cv2.line(out, (int(c[0] - 0.7 * iod), y), (int(c[0] + 0.7 * iod), y), tuple(int(v * 0.75) for v in fore), 2)
    return cv2.GaussianBlur(out, (3, 3), 0)
