"""Synthetic faces with known ground truth, made by warping a real neutral face along its landmarks.

The neutral face is frame 0 of ``data/single_face.mp4`` (a real man, neutral, frontal). The lower
jaw is moved down by a chosen amount, opening an elliptical mouth between fixed lip corners, and
the upper eyelids can be lowered. What this proves: the signals respond to the geometry and time
course of a wide jaw opening (a yawn) versus short openings (talking, chewing). What it does not:
a real yawn also changes skin, tongue, teeth and head pose in ways a warp does not reproduce.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np

from mimicry.stimuli.synth import face_crop, talking_course, warp_face, yawn_course  # noqa: F401

# Face Mesh eye contours (upper lid then lower lid, corner to corner)
_EYE_CONTOURS = (
    (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7),
    (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249),
)

DATA = Path(__file__).parent / "data"


@cache
def neutral_face() -> tuple[np.ndarray, np.ndarray]:
    """A neutral face crop (BGR) and its landmarks in pixels (478, 2)."""
    from mimicry.sensing.tracking import FaceLandmarker

    cap = cv2.VideoCapture(str(DATA / "single_face.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok
    with FaceLandmarker("image") as lm:
        face = lm.detect(frame)[0]
    h, w = frame.shape[:2]
    return face_crop(frame, face.landmarks[:, :2] * [w, h], size=480)


def write_clip(
    path: Path, jaw: np.ndarray, eyes: np.ndarray | None = None, fps: float = 30.0, jaw_max: float = 0.6
) -> Path:
    """Write an MP4 of the neutral face warped frame by frame."""
    img, xy = neutral_face()
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (img.shape[1], img.shape[0]))
    assert vw.isOpened()
    eyes = np.zeros_like(jaw) if eyes is None else eyes
    warped: dict = {}  # the warp is slow; rests and holds repeat a frame exactly
    for j, e in zip(jaw, eyes):
        key = (float(j), float(e))
        if key not in warped:
            warped[key] = warp_face(img, xy, jaw_max * key[0], key[1])
        vw.write(warped[key])
    vw.release()
    return path


def cover_mouth(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """A skin-coloured hand (an ellipse with finger creases, colour from the forehead) over the mouth."""
    iod = np.linalg.norm(xy[263] - xy[33])
    fore = (
        img[
            int(xy[10, 1] + 0.1 * iod) : int(xy[10, 1] + 0.25 * iod),
            int(xy[10, 0] - 0.2 * iod) : int(xy[10, 0] + 0.2 * iod),
        ]
        .reshape(-1, 3)
        .mean(axis=0)
    )
    out = img.copy()
    c = ((xy[61] + xy[291]) / 2).astype(int)
    cv2.ellipse(
        out,
        (int(c[0]), int(c[1])),
        (int(0.75 * iod), int(0.45 * iod)),
        0,
        0,
        360,
        tuple(int(v * 0.95) for v in fore),
        -1,
    )
    for k in range(-2, 3):
        y = int(c[1] + k * 0.16 * iod)
        cv2.line(out, (int(c[0] - 0.7 * iod), y), (int(c[0] + 0.7 * iod), y), tuple(int(v * 0.75) for v in fore), 2)
    return cv2.GaussianBlur(out, (3, 3), 0)


def close_eyes(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Both eyes shut, painted (ground truth for ``blink``; the stimuli close eyes by warping): the eye
    openings painted with eyelid skin, lashes along the lower lids."""
    out = img.copy()
    iod = np.linalg.norm(xy[263] - xy[33])
    for contour in _EYE_CONTOURS:
        pts = xy[list(contour)].astype(np.int32)
        mask = np.zeros(img.shape[:2], np.uint8)
        cv2.fillPoly(mask, [pts], 255)
        mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
        # eyelid skin: the band just above the upper lid (below the brow), median colour
        upper = xy[list(contour[:9])]
        band = np.zeros(img.shape[:2], np.uint8)
        cv2.fillPoly(band, [np.vstack([upper - [0, 0.05 * iod], (upper - [0, 0.11 * iod])[::-1]]).astype(np.int32)], 1)
        band[mask > 0] = 0
        lid = np.median(img[band > 0], axis=0) if band.any() else img[mask > 0].mean(axis=0)
        out[mask > 0] = lid.astype(np.uint8)
        lower = xy[list(contour[8:]) + [contour[0]]].astype(np.int32)
        cv2.polylines(out, [lower], False, (40, 35, 35), 2, cv2.LINE_AA)
    return cv2.GaussianBlur(out, (5, 5), 0)
