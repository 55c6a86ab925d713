"""Synthetic faces: warp a real face photo along its landmarks into smiles, yawns and neutral
movements. Used to build the shipped stimulus clips (``mimicry stimuli make``) and as ground
truth in the tests.

The warps are inverse maps applied with :func:`cv2.remap`: the jaw opens an oval mouth between
fixed lip corners (the jaw takes the lower lip down, the stretched upper lip rises), lip corners
move up and out for a smile, upper eyelids come down, and the head moves by small affine steps.
They reproduce geometry and timing. The opened mouth is filled with the inside of a real open
mouth (:class:`MouthInterior`, cut from a photo along its inner lip contour and stretched to the
opening), or painted as a dark throat with a tongue when none is given; the eyes close by
warping the upper lids down over them, not by drawing.

A photo that smiles with open lips is first brought to a neutral face (:class:`Retouch`): the
lips are closed by inpainting the opening and the corners are warped down and in; its smile
clips then morph back to the photo's own smile (warp plus cross-dissolve, as dynamic-morph
stimuli do), so those smiles show real teeth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..sensing.signals import LIPS_INNER
from .mouth import MouthInterior, _fill_mouth, lip_colour

_SEAM_PAIRS = ((191, 95), (80, 88), (81, 178), (82, 87), (13, 14), (312, 317), (311, 402), (310, 318), (415, 324))


def crop_matrix(landmarks_px: np.ndarray, image_shape: tuple[int, ...], size: int, zoom: float) -> np.ndarray:
    """Affine matrix of a square crop of ``size`` pixels around the face, ``zoom`` face extents
    wide, shrunk and moved as needed to stay inside the image (no smeared borders)."""
    xy = np.asarray(landmarks_px, float)[:, :2]
    h, w = image_shape[:2]
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + 0.1 * (y1 - y0)
    side = min(zoom * max(x1 - x0, y1 - y0), w, h)
    cx = float(np.clip(cx, side / 2, w - side / 2))
    cy = float(np.clip(cy, side / 2, h - side / 2))
    scale = size / side
    return np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])


def face_crop(
    image: np.ndarray,
    landmarks_px: np.ndarray,
    size: int = 480,
    zoom: float = 1.9,
) -> tuple[np.ndarray, np.ndarray]:
    """A square crop of ``size`` pixels around the face (see :func:`crop_matrix`), and the
    landmarks in the crop's pixels."""
    xy = np.asarray(landmarks_px, float)[:, :2]
    m = crop_matrix(xy, image.shape, size, zoom)
    crop = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return crop, xy * m[0, 0] + m[:, 2]


def _corner_shifts(xy: np.ndarray, corners: tuple[float, float], iod: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """(position, shift) in pixels of both lip corners moved by ``corners = (outward, up)`` IOD."""
    out_px, up_px = corners[0] * iod, corners[1] * iod
    return [(xy[idx], np.array([side * out_px, -up_px])) for idx, side in ((61, -1.0), (291, 1.0))]


def warp_face(
    img: np.ndarray,
    xy: np.ndarray,
    jaw: float = 0.0,
    eyes: float = 0.0,
    corners: tuple[float, float] = (0.0, 0.0),
    interior: MouthInterior | None = None,
) -> np.ndarray:
    """Open the jaw by ``jaw`` inter-ocular distances (IOD), lower the upper eyelids by ``eyes``
    (0-1 of the eye opening), and move both lip corners by ``corners = (outward, up)`` IOD (a
    smile pulls them up and out, a grimace straight out, crying out and down).

    Parameters
    ----------
    img : np.ndarray
        BGR face image.
    xy : np.ndarray
        (478, 2) landmarks of ``img`` in pixels.
    interior : MouthInterior, optional
        The inside of a real open mouth to show in the opening; painted if not given.
    """
    h, w = img.shape[:2]
    iod = np.linalg.norm(xy[263] - xy[33])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x, map_y = xx.copy(), yy.copy()
    if corners != (0.0, 0.0):
        for c, shift in _corner_shifts(xy, corners, iod):
            r2 = ((xx - c[0] - shift[0]) ** 2 + (yy - c[1] - shift[1]) ** 2) / (0.3 * iod) ** 2
            wgt = np.exp(-r2).astype(np.float32)
            map_x -= shift[0] * wgt
            map_y -= shift[1] * wgt
    mouth = None
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
        map_y = map_y - dy.astype(np.float32)
        mouth = (m_lens, cx, half, seam, up, down)
    if eyes > 0:
        for upper, lower, inner, outer in ((159, 145, 133, 33), (386, 374, 362, 263)):
            ex = (xy[inner, 0] + xy[outer, 0]) / 2
            ew = abs(xy[outer, 0] - xy[inner, 0]) * 0.62  # flat across the eye, so the corners close too
            top = xy[upper, 1] - 0.35 * iod
            lid = xy[upper, 1]
            drop = eyes * (xy[lower, 1] - xy[upper, 1])
            wxe = np.clip(1 - ((xx - ex) / ew) ** 4, 0, None)
            wye = np.where(
                yy < lid + drop,
                np.clip((yy - top) / (lid - top), 0, 1),
                np.clip(1 - (yy - lid - drop) / (0.1 * iod), 0, 1),
            )
            map_y = map_y - (drop * wxe * wye).astype(np.float32)
    out = cv2.remap(
        img, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if mouth is not None:
        if interior is None:
            out = _paint_mouth(out, xx, yy, iod, *mouth)
        else:
            # the face's brightness, the interior's own colours (a mouth's inside is alike in everyone)
            gain = float(lip_colour(img, xy).mean() / max(float(interior.lip_bgr.mean()), 1.0))
            out = _fill_mouth(out, xx, yy, interior, np.clip(gain, 0.5, 1.0), *mouth)  # never lit up
    return out


def _paint_mouth(img, xx, yy, iod, m_lens, cx, half, seam, up, down):
    """The inside of the oval opened by :func:`warp_face`: a dark throat, darkest away from the
    lips, and the tongue as a lit mound on the floor of the mouth (no teeth or saliva)."""
    top, bottom = seam - up * m_lens, seam + down * m_lens
    cavity = (yy > top) & (yy < bottom)
    rim = np.clip(np.minimum(yy - top, bottom - yy) / max(0.08 * iod, 1), 0, 1)  # 0 at the lips
    colour = np.stack([30 - 12 * rim, 20 - 10 * rim, 70 - 35 * rim], axis=-1)
    r2 = ((xx - cx) / (0.62 * half)) ** 2 + ((yy - (seam + 0.95 * down)) / max(0.38 * down, 1)) ** 2
    lit = np.clip(1 - r2, 0, 1)[..., None]
    colour = np.where((r2 < 1)[..., None], np.array([95.0, 95.0, 175.0]) * (0.65 + 0.35 * lit), colour)
    out = img.copy()
    out[cavity] = np.clip(colour[cavity], 0, 255).astype(np.uint8)
    return np.where(cavity[..., None], cv2.GaussianBlur(out, (5, 5), 0), out)


def close_mouth(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """The lips of an open-mouthed (e.g. teeth-showing) smile brought together: the opening
    inside the inner lip contour filled from the surrounding lip (inpainting) and a soft dark
    seam drawn where the lips meet. Geometry is unchanged (see :func:`unsmile_landmarks`)."""
    iod = np.linalg.norm(xy[263] - xy[33])
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(xy[list(LIPS_INNER)]).astype(np.int32)], 255)
    k = 2 * max(1, int(0.03 * iod)) + 1
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    out = cv2.inpaint(img, mask, max(3, int(0.06 * iod)), cv2.INPAINT_TELEA)
    seam = np.array([xy[78]] + [(xy[a] + xy[b]) / 2 for a, b in _SEAM_PAIRS] + [xy[308]])
    line = out.copy()
    cv2.polylines(
        line, [np.round(seam * 4).astype(np.int32)], False, (50, 40, 60), max(1, int(0.012 * iod)), cv2.LINE_AA, shift=2
    )
    return cv2.addWeighted(out, 0.35, line, 0.65, 0)


def unsmile_landmarks(xy: np.ndarray, corners: tuple[float, float]) -> np.ndarray:
    """Where :func:`warp_face` with ``corners`` moves the landmarks (the same Gaussian falloff,
    evaluated at the points), so a retouched face can be animated further."""
    xy = np.asarray(xy, float)
    iod = np.linalg.norm(xy[263] - xy[33])
    out = xy.copy()
    for c, shift in _corner_shifts(xy, corners, iod):
        r2 = ((xy - c) ** 2).sum(axis=1) / (0.3 * iod) ** 2
        out += np.exp(-r2)[:, None] * shift
    return out


@dataclass(frozen=True)
class Retouch:
    """How a source photo is brought to a resting, neutral face before it is animated.

    Attributes
    ----------
    unsmile : tuple of float or None
        For a photo that smiles with open lips: lip-corner shift (outward, up) in IOD, negative,
        that takes the smile away once the lips are closed (:func:`close_mouth`). Smile clips
        then animate from that neutral face back to the photo's own smile (teeth showing);
        yawn and control clips start from the neutral face.
    """

    unsmile: tuple[float, float] | None = None


def hump(t_s: np.ndarray, onset_s: float, rise_s: float, hold_s: float, fall_s: float) -> np.ndarray:
    """0-1 time course: cosine rise, hold, cosine fall."""
    t = np.asarray(t_s, float) - onset_s
    out = np.zeros_like(t)
    r = (t >= 0) & (t < rise_s)
    out[r] = 0.5 - 0.5 * np.cos(np.pi * t[r] / rise_s)
    out[(t >= rise_s) & (t < rise_s + hold_s)] = 1.0
    f = (t >= rise_s + hold_s) & (t < rise_s + hold_s + fall_s)
    out[f] = 0.5 + 0.5 * np.cos(np.pi * (t[f] - rise_s - hold_s) / fall_s)
    return out


def yawn_course(
    t_s: np.ndarray, onset_s: float = 1.0, rise_s: float = 2.5, hold_s: float = 1.5, fall_s: float = 1.0
) -> np.ndarray:
    """Yawn time course in [0, 1]: slow cosine rise, hold, faster fall."""
    return hump(t_s, onset_s, rise_s, hold_s, fall_s)


def talking_course(t_s: np.ndarray, rate_hz: float = 4.0, onset_s: float = 0.5) -> np.ndarray:
    """Syllable-like openings in [0, 1]: |sin| cycles at ``rate_hz`` with varying amplitude."""
    t = np.asarray(t_s, float)
    amp = 0.6 + 0.4 * np.abs(np.sin(2 * np.pi * 0.37 * t))
    return np.where(t >= onset_s, amp * np.abs(np.sin(np.pi * rate_hz * (t - onset_s))), 0.0)


KINDS = ("smile", "yawn", "control")


def _smooth_walk(t: np.ndarray, rng: np.random.Generator, amplitude: float, periods_s=(7.0, 11.0, 17.0)) -> np.ndarray:
    """A slow, smooth wander: a sum of sinusoids with random phases, peak about ``amplitude``."""
    out = np.zeros_like(t)
    for p in periods_s:
        out += np.sin(2 * np.pi * t / (p * rng.uniform(0.8, 1.25)) + rng.uniform(0, 2 * np.pi))
    return amplitude * out / len(periods_s)


def plan_stimulus(kind: str, seconds: float, fps: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-frame parameters of a synthetic stimulus clip (seeded, so a clip can be rebuilt).

    Every kind gets slow head wander (shift up to ~1.5 % of the frame, roll up to ~2 degrees) and
    blinks every 2.5-6 s. ``yawn``: yawns that open over 2-3 s to a wide jaw (0.5-0.6 IOD), hold
    1-2 s and close in about 1 s, with the eyes narrowing and the head tilting back, 3-7 s apart.
    ``smile``: closed-mouth smiles of different intensities (0.6-1) and lengths (0.8-3.5 s held),
    2-5 s apart. ``control``: small lip movements only (jaw under 0.06 IOD), no smile, no yawn.

    Returns
    -------
    dict
        Arrays over frames: ``t_s, jaw, eyes, corners_out, corners_up, dx, dy, roll_deg``
        (shifts as fractions of the frame size) and ``event`` (0-1 course of the kind's events).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    n = int(round(seconds * fps))
    t = np.arange(n) / fps
    jaw, eyes, out_, up_, event = (np.zeros(n) for _ in range(5))
    dx, dy = _smooth_walk(t, rng, 0.015), _smooth_walk(t, rng, 0.01)
    roll = _smooth_walk(t, rng, 2.0)
    # blinks
    tb = rng.uniform(0.8, 2.5)
    while tb < seconds - 0.3:
        eyes = np.maximum(eyes, hump(t, tb, 0.07, 0.05, 0.1))
        tb += rng.uniform(2.5, 6.0)
    if kind == "yawn":
        on = rng.uniform(1.0, 2.5)
        while True:
            rise, hold, fall = rng.uniform(2.0, 3.0), rng.uniform(1.0, 2.0), rng.uniform(0.8, 1.3)
            if on + rise + hold + fall > seconds - 0.5:
                break
            c = hump(t, on, rise, hold, fall)
            event = np.maximum(event, c)
            jaw = np.maximum(jaw, rng.uniform(0.5, 0.6) * c)
            on += rise + hold + fall + rng.uniform(3.0, 7.0)
        eyes = np.maximum(eyes, 0.55 * event)
        dy = dy - 0.02 * event  # the head tilts back: the face rises a little
    elif kind == "smile":
        on = rng.uniform(1.0, 2.5)
        first = True
        while True:
            rise, hold, fall = rng.uniform(0.3, 0.6), rng.uniform(0.8, 3.5), rng.uniform(0.4, 0.8)
            strength = rng.uniform(0.6, 1.0)
            if first:  # at least one clear, long smile in every clip, shortened to fit a short clip
                hold, strength = max(hold, 2.0), max(strength, 0.9)
                hold = min(hold, max(1.2, seconds - 0.5 - on - rise - fall))
            if on + rise + hold + fall > seconds - 0.5 and not first:
                break
            first = False
            c = strength * hump(t, on, rise, hold, fall)
            event = np.maximum(event, c)
            on += rise + hold + fall + rng.uniform(2.0, 5.0)
        out_, up_ = 0.15 * event, 0.15 * event
    else:  # control: small lip movements
        on = rng.uniform(0.5, 2.0)
        while on < seconds - 1.0:
            jaw = np.maximum(jaw, rng.uniform(0.02, 0.06) * hump(t, on, 0.15, rng.uniform(0.1, 0.4), 0.2))
            on += rng.uniform(0.6, 3.0)
    return {
        "t_s": t,
        "jaw": jaw,
        "eyes": eyes,
        "corners_out": out_,
        "corners_up": up_,
        "dx": dx,
        "dy": dy,
        "roll_deg": roll,
        "event": event,
    }


def prepare_face(
    photo: np.ndarray, landmarks_px: np.ndarray, size: int = 360, zoom: float = 1.9, retouch: Retouch = Retouch()
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The square face crop to animate, its landmarks (pixels), and, for a photo that smiles with
    open lips (``retouch.unsmile``), the crop with the photo's own smile (same geometry; the
    neutral crop has its lips closed and the smile warped away)."""
    face, xy = face_crop(photo, landmarks_px, size=size, zoom=zoom)
    if retouch.unsmile is None:
        return face, xy, None
    return close_mouth(face, xy), xy, face


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Smoothstep from 0 at ``lo`` to 1 at ``hi``."""
    u = np.clip((np.asarray(x, float) - lo) / (hi - lo), 0, 1)
    return u * u * (3 - 2 * u)


def render_stimulus(
    face: np.ndarray,
    xy: np.ndarray,
    plan: dict[str, np.ndarray],
    smile_face: np.ndarray | None = None,
    interior: MouthInterior | None = None,
):
    """Yield the BGR frames of a planned clip from a face crop and its landmarks (pixels).

    With ``smile_face`` (the same face smiling with open lips, same geometry) and a ``teeth``
    course in the plan, each frame cross-dissolves from ``face`` to ``smile_face`` by ``teeth``
    before warping, as in dynamic-morph stimuli. ``interior``: the inside of a real open mouth
    shown in the opened jaw (see :func:`warp_face`)."""
    h, w = face.shape[:2]
    for i in range(plan["t_s"].size):
        base = face
        if smile_face is not None and "teeth" in plan and plan["teeth"][i] > 0:
            a = float(plan["teeth"][i])
            base = cv2.addWeighted(face, 1.0 - a, smile_face, a, 0)
        img = warp_face(
            base,
            xy,
            float(plan["jaw"][i]),
            min(float(plan["eyes"][i]), 1.0),
            (float(plan["corners_out"][i]), float(plan["corners_up"][i])),
            interior,
        )
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(plan["roll_deg"][i]), 1.0)
        m[:, 2] += (float(plan["dx"][i]) * w, float(plan["dy"][i]) * h)
        yield cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def make_stimulus_clip(
    photo: np.ndarray,
    landmarks_px: np.ndarray,
    kind: str,
    out_path,
    seconds: float = 24.0,
    seed: int = 0,
    fps: float = 25.0,
    size: int = 360,
    zoom: float = 1.9,
    retouch: Retouch = Retouch(),
    interior: MouthInterior | None = None,
) -> dict[str, np.ndarray]:
    """Synthesise a ``kind`` clip from a photo of a face and write it as MP4 (mp4v).

    ``zoom``: crop side in face extents (framing); ``retouch``: how the photo is brought to a
    neutral resting face first (:class:`Retouch`). The same photo, kind, length, seed, rate,
    size, framing and retouch give the same frames; ``interior`` fills the opened mouth (see
    :func:`warp_face`). Returns the plan.
    """
    face, xy, smile_face = prepare_face(photo, landmarks_px, size, zoom, retouch)
    plan = plan_stimulus(kind, seconds, fps, np.random.default_rng(seed))
    if smile_face is not None:
        rest_out, rest_up = retouch.unsmile
        if kind == "smile":  # from the neutral face back to the photo's own smile
            level = plan["event"]
            plan["corners_out"], plan["corners_up"] = rest_out * (1 - level), rest_up * (1 - level)
            plan["teeth"] = _ramp(level, 0.25, 0.7)
        else:
            face = warp_face(face, xy, corners=(rest_out, rest_up))
            xy, smile_face = unsmile_landmarks(xy, (rest_out, rest_up)), None
    vw = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
    if not vw.isOpened():
        raise OSError(f"cannot write video {out_path}")
    try:
        for frame in render_stimulus(face, xy, plan, smile_face, interior):
            vw.write(frame)
    finally:
        vw.release()
    return plan
