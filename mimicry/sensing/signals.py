"""Expression signals from one face's landmarks and blendshapes: the measuring instrument.

Every signal is a number in [0, 1]. The maths works on arrays with a leading frame axis, so one
function serves a single frame in the live pipeline and a whole recording offline.

Physiology behind the signals
-----------------------------
*Smile* (FACS AU12, zygomaticus major) pulls the lip corners **up** and back towards the
cheekbones. Several other actions widen the mouth or fool a learned "mouthSmile" score: crying
(AU15 lip-corner depressor, AU20 lip stretcher, AU16 lower lip down), grimaces and pain
(AU20, AU9 nose wrinkle), talking, surprise and yawns (AU26/27 jaw drop: MediaPipe's
``mouthSmile`` reaches 0.4-0.7 in some real yawns). So ``smile`` needs two independent kinds of
evidence at once: MediaPipe's ``mouthSmile`` scores *and* geometry: with the mouth closed, lip
corners above the lip line in a frontalised face; with the mouth open (a laugh is a smile with
the mouth open), where the lip line moves with the jaw, a mouth pulled wider than the face's own
neutral width (the "back" of AU12, which a jaw drop does not do). Antagonist actions (stretch,
frown, sneer) then scale it down.

*Yawn*: the widest jaw opening people make (AU26/27), reached by a slow opening (the deep
inspiration, a second or more) inside a 4-8 s rise and fall. Talking, chewing, grimacing and
surprise open the jaw as wide but within a few hundred milliseconds and for a syllable or a
moment at a time; a laugh opens it with the corners pulled up. So ``yawn`` judges each *run* of
open-mouth frames as a whole (:func:`yawn_signal`): it becomes a yawn once the geometric mean of
how long the mouth has been open and how long it took to open reaches ``yawn_time_scale_s``, the
run is wide enough and it is not a laugh; inside a yawn the signal follows the opening.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import BLENDSHAPE_NAMES

_BS = {name: i for i, name in enumerate(BLENDSHAPE_NAMES)}

# MediaPipe Face Mesh landmark indices (image-left / image-right).
EYE_OUTER = (33, 263)
LIP_CORNERS = (61, 291)
LIP_INNER_UPPER, LIP_INNER_LOWER = 13, 14
#: The landmarks the geometry uses, in this order, for :func:`frontalize` on a subset.
GEOMETRY_POINTS = (EYE_OUTER[0], EYE_OUTER[1], LIP_CORNERS[0], LIP_CORNERS[1], LIP_INNER_UPPER, LIP_INNER_LOWER)
_SUBSET = {p: i for i, p in enumerate(GEOMETRY_POINTS)}


def _index(n_points: int):
    """Map a Face Mesh landmark index to a column of an array of all 478 or of GEOMETRY_POINTS."""
    if n_points == len(GEOMETRY_POINTS):
        return _SUBSET.__getitem__
    return lambda i: i


SMILE_MIN_FACE_PX = 40.0
"""Narrowest face whose ``smile`` is given, px. Rule: the narrowest width measured at which the
signal agrees frame by frame with the same face at full size, median r >= 0.9 over real smiles,
grins and smiling speech (``benchmarks/classroom_signals.py``, widths 40, 48, 64: r 0.92-0.99 at
40 px). A wide-open laugh reads weaker at every measured width (r 0.35 at 40 px, 0.57 at 64)."""
YAWN_MIN_FACE_PX = 64.0
"""Narrowest face whose ``yawn`` is given, px. Rule: the narrowest width measured at which no
false yawn comes from the hard cases (grimaces, talking, laughs) and at least 80 % of the yawns
found at full size are found (``benchmarks/classroom_signals.py``): at 48 px and 40 px grimaces
gave false yawns and half the yawns were found; at 64 px 8 of 10, and the one false yawn (at
ten tracked frames a second) came from frames where the grimacing face measured under 64 px,
which this minimum, applied to the median width, leaves out. The yawn rule times the mouth's
opening, and a small face's opening reads weaker and shorter than it is."""


@dataclass(frozen=True)
class SignalConfig:
    """Constants of the signals. Geometric lengths are in units of the outer-eye-corner distance
    (inter-ocular distance, IOD, about 9 cm in adults), measured in the frontalised face."""

    smile_lift_full: float = 0.06
    """Lip-corner elevation above the lip line (IOD) that counts as full geometric smile evidence
    for a closed mouth. Neutral faces measure -0.04 to 0; smiles 0.05 to 0.11."""
    smile_lift_per_gap: float = 0.15
    """Extra elevation required per unit of lip gap: opening the jaw lowers the lip midline, which
    alone raises the corners above it by up to half the gap (a yawn's oval mouth about a third)."""
    smile_for_laugh: tuple[float, float] = (0.3, 0.7)
    """``smile`` range over which ``yawn`` is faded out frame by frame; a run whose mean ``smile``
    reaches the lower bound is a laugh, never a yawn."""
    stretch_weight: float = 1.5
    """Penalty per unit of ``mouthStretch`` (AU20: crying, fear, grimace), scaled by how far the
    lip corners are *not* lifted."""
    frown_weight: float = 1.5
    """Penalty per unit of ``mouthFrown`` (AU15: crying, sadness)."""
    sneer_weight: float = 1.0
    """Penalty per unit of ``noseSneer`` (AU9: disgust, pain)."""
    open_mouth: tuple[float, float] = (0.3, 0.5)
    """Lip gap / mouth width over which the smile's geometric evidence moves from the lip-corner
    lift (closed mouth) to the mouth's widening (open mouth: the lip line is no reference)."""
    smile_widening: tuple[float, float] = (1.1, 1.3)
    """Mouth width / the face's neutral width over which an open mouth counts as pulled wide by
    AU12. Smiles and laughs widen the mouth by 10-40 %; a yawn's jaw drop keeps or narrows it
    (0.9-1.09 on real yawns, 1.36 in a wide-open laugh, measured with benchmarks/validate_real.py)."""
    smile_au12_full: float = 0.6
    """Mean ``mouthSmile`` that counts as full learned evidence for an open-mouthed smile."""
    neutral_width: float = 0.58
    """Neutral mouth width (IOD) assumed until the face's own is known (adults: 0.52-0.65)."""
    neutral_history_s: float = 30.0
    """A face's neutral mouth width: median over its closed, non-smiling frames in this many seconds."""
    neutral_min_frames: int = 10
    """Closed, non-smiling frames needed before a face's own neutral width is used."""
    yawn_gap_full: float = 0.55
    """Inner-lip gap (IOD) of a wide-open yawning mouth, counted as full geometric opening."""
    yawn_open: float = 0.3
    """Combined opening (:func:`mouth_opening`) at or above which the mouth counts as open: a
    yawn is judged on one run of open frames (jawOpen about 0.3 with the lips 0.16 IOD apart)."""
    yawn_wide: float = 0.45
    """Combined opening a run must reach somewhere to be a yawn."""
    yawn_full: float = 0.5
    """Combined opening at which ``yawn`` reaches 1 inside a yawn (``yawn_open`` gives 0)."""
    yawn_time_scale_s: float = 0.7
    """A run becomes a yawn once the geometric mean of its open time and its opening time (from
    the mouth opening to 90 % of its widest so far) reaches this, seconds. A yawn opens over a
    second or more and stays open (0.80-1.85 s on the development yawns); speech, grimaces and
    surprise open within 0.1-0.4 s (other openings at most 0.67 s on the development clips:
    ``benchmarks/validate_real.py --runs``). Chosen on those clips, so a narrow margin."""
    yawn_smooth_s: float = 0.1
    """Running median of the opening before runs are found, seconds: removes a one-frame dropout
    at 30 fps but not a syllable's closure (50-100 ms), which must end a run."""
    yawn_latency_s: float = 1.0
    """Look-ahead of the live yawn decision, seconds: rows are final this long after their frame."""
    smile_min_face_px: float = SMILE_MIN_FACE_PX
    """Narrowest face whose ``smile`` is given, px of the frame; narrower, ``smile`` is missing
    (``benchmarks/classroom_signals.py``: real smiles and laughs shrunk into a classroom)."""
    yawn_min_face_px: float = YAWN_MIN_FACE_PX
    """Narrowest face whose ``yawn`` is given, px of the frame; narrower, ``yawn`` is missing
    (``benchmarks/classroom_signals.py``: real yawns, talking and grimaces shrunk into a classroom)."""
    floor_window_s: float = 2.0
    """The minimum face widths are applied to the face's median width over this many seconds
    around the row (centred; the rows' look-ahead covers it), not frame by frame: a face near a
    floor measures a few px more or less from frame to frame (a head turn, a yawn's long face),
    and a signal that came and went with it would begin a yawn at a single frame."""
    yawn_history_s: float = 30.0
    """How far back the live pipeline looks for the start of a run, seconds (a longer opening is
    judged as if it began then)."""
    visibility_ratio: tuple[float, float] = (0.1, 0.3)
    """Lip contrast as a fraction of the face's own recent 90th percentile over which
    ``mouth_visible`` goes from 0 to 1. A hand over the mouth leaves almost no contrast (a
    synthetic hand: 0.005); lips that move change it by up to about 2.5x (a broad smile that
    thins the lips: 0.43 of the closed mouth's on single_face.mp4)."""
    visibility_history_s: float = 30.0
    """Length of the lip-contrast history that gives a face's usual contrast, seconds."""
    mouth_open_full: float = 0.6
    """``jawOpen`` mapped to ``mouth_open = 1``."""
    blink_low: float = 0.35
    """Mean ``eyeBlink`` at which ``blink`` starts to rise above 0 (open eyes score 0.05-0.34 on
    the test photos, the highest when a smile narrows the eyes)."""
    blink_high: float = 0.6
    """Mean ``eyeBlink`` at which ``blink`` reaches 1 (synthetic shut eyes score 0.58)."""


DEFAULT_CONFIG = SignalConfig()


def below_floor(face_px: float, config: SignalConfig = DEFAULT_CONFIG) -> dict[str, bool]:
    """Which signals a face ``face_px`` wide (px of the frame) is too small for: ``smile``, ``yawn``."""
    return {"smile": face_px < config.smile_min_face_px, "yawn": face_px < config.yawn_min_face_px}


def median_width(t_s: np.ndarray, face_px: np.ndarray, config: SignalConfig = DEFAULT_CONFIG) -> np.ndarray:
    """One face's median width, px, over ``config.floor_window_s`` centred on each sample (what
    :func:`below_floor` is given; the live rows compute the same as they go)."""
    t, px = np.asarray(t_s, float), np.asarray(face_px, float)
    half = config.floor_window_s / 2 + 1e-6
    lo, hi = np.searchsorted(t, t - half, "left"), np.searchsorted(t, t + half, "right")
    return np.array([np.median(px[a:b]) for a, b in zip(lo, hi)])


def _clip01(x):
    # two ufuncs: the same values as np.clip (NaN stays NaN) at a third of its call overhead,
    # which counts at ~40 calls per frame in the live pipeline
    return np.minimum(np.maximum(x, 0.0), 1.0)


def _bs(blendshapes: np.ndarray, *names: str) -> np.ndarray:
    """Mean of the named blendshape columns of an (N, 52) array."""
    if len(names) == 2:  # left and right: the same value as .mean(axis=1), without its overhead
        return (blendshapes[:, _BS[names[0]]] + blendshapes[:, _BS[names[1]]]) / 2
    return blendshapes[:, [_BS[n] for n in names]].mean(axis=1)


def head_pose(matrices: np.ndarray) -> np.ndarray:
    """Yaw, pitch and roll in degrees from facial transformation matrices.

    Parameters
    ----------
    matrices : np.ndarray
        (N, 4, 4) MediaPipe facial transformation matrices (canonical face to camera space,
        right-handed, y up, camera looking down -z).

    Returns
    -------
    np.ndarray
        (N, 3): ``yaw_deg`` (positive: face turned towards the image's right), ``pitch_deg``
        (positive: chin up), ``roll_deg`` (positive: counter-clockwise in the image).
    """
    m = np.asarray(matrices, dtype=float).reshape(-1, 4, 4)
    r = m[:, :3, :3] / np.linalg.norm(m[:, :3, :3], axis=1, keepdims=True)
    fwd, up = r[:, :, 2], r[:, :, 1]
    yaw = np.degrees(np.arctan2(fwd[:, 0], fwd[:, 2]))
    pitch = np.degrees(np.arctan2(fwd[:, 1], np.hypot(fwd[:, 0], fwd[:, 2])))
    roll = np.degrees(np.arctan2(-up[:, 0], up[:, 1]))
    return np.stack([yaw, pitch, roll], axis=1)


def frontalize(landmarks: np.ndarray, matrices: np.ndarray | None, width: int, height: int) -> np.ndarray:
    """Landmarks in a head-centred, frontal, upright frame, scaled to the inter-ocular distance.

    Parameters
    ----------
    landmarks : np.ndarray
        (N, 478, 3) normalised landmarks (x, y in image width/height, z in image width), or
        (N, 6, 3) holding only :data:`GEOMETRY_POINTS`, in that order.
    matrices : np.ndarray | None
        (N, 4, 4) transformation matrices; ``None`` corrects in-plane roll only.
    width, height : int
        Image size in pixels.

    Returns
    -------
    np.ndarray
        (N, 478, 3) coordinates with x right, y **down**, origin between the outer eye corners,
        1 unit = inter-ocular distance. Removing the head rotation matters: pitching the head
        down by 20 degrees moves the (deeper) lip corners up in the image by about 0.07 IOD
        relative to the lip centre, as much as a smile.
    """
    lm = np.asarray(landmarks, dtype=float)
    lm = lm.reshape(-1, lm.shape[-2], 3)
    ix = _index(lm.shape[1])
    eye0, eye1 = ix(EYE_OUTER[0]), ix(EYE_OUTER[1])
    p = lm * np.array([width, -height, -width], dtype=float)  # to y up, z towards the camera
    centre = p[:, [eye0, eye1], :].mean(axis=1, keepdims=True)
    p = p - centre
    if matrices is not None:
        m = np.asarray(matrices, dtype=float).reshape(-1, 4, 4)
        r = m[:, :3, :3] / np.linalg.norm(m[:, :3, :3], axis=1, keepdims=True)
        p = np.einsum("nji,nkj->nki", r, p)  # R^T p: undo the head rotation
    # remove residual roll so the eye line is horizontal
    eye = p[:, eye1, :2] - p[:, eye0, :2]
    ang = np.arctan2(eye[:, 1], eye[:, 0])
    c, s = np.cos(-ang), np.sin(-ang)
    x = c[:, None] * p[:, :, 0] - s[:, None] * p[:, :, 1]
    y = s[:, None] * p[:, :, 0] + c[:, None] * p[:, :, 1]
    iod = np.hypot(eye[:, 0], eye[:, 1])[:, None]
    iod = np.where(iod > 0, iod, np.nan)
    return np.stack([x / iod, -y / iod, -p[:, :, 2] / iod], axis=2)


def mouth_geometry(front: np.ndarray) -> dict[str, np.ndarray]:
    """Mouth measurements of frontalised landmarks (see :func:`frontalize`), in IOD units.

    Returns
    -------
    dict
        ``mouth_width`` (corner to corner), ``lip_gap`` (inner upper to inner lower lip, >= 0),
        ``corner_lift`` (height of the lip corners above the midpoint of the inner lips; positive
        when the corners are pulled up, as in a smile; about 0 for an O-shaped open mouth).
    """
    ix = _index(front.shape[1])
    lc, rc, up, lo = ix(LIP_CORNERS[0]), ix(LIP_CORNERS[1]), ix(LIP_INNER_UPPER), ix(LIP_INNER_LOWER)
    y = front[:, :, 1]
    corners_y = (y[:, lc] + y[:, rc]) / 2
    mid_y = (y[:, up] + y[:, lo]) / 2
    return {
        "mouth_width": np.linalg.norm(front[:, rc, :2] - front[:, lc, :2], axis=1),
        "lip_gap": np.maximum(y[:, lo] - y[:, up], 0.0),
        "corner_lift": mid_y - corners_y,
    }


def smile_score(
    blendshapes: np.ndarray,
    geometry: dict[str, np.ndarray],
    config: SignalConfig = DEFAULT_CONFIG,
    neutral_width: np.ndarray | float | None = None,
) -> np.ndarray:
    """Smiling intensity in [0, 1] per frame.

    Two kinds of evidence at once, as a geometric mean: the learned ``au12`` (mean
    ``mouthSmile``) and a geometric one. With the mouth closed, the geometric evidence is the
    lip-corner ``lift`` above the lip line, divided by ``smile_lift_full + smile_lift_per_gap *
    lip_gap`` and clipped to [0, 1]; with the mouth open (lip gap / width across ``open_mouth``)
    it moves to the mouth's widening beyond the face's ``neutral_width`` (``smile_widening``):
    AU12 pulls the corners back in a laugh, a yawn's jaw drop does not. Antagonists scale the
    result down: weighted ``mouthStretch`` (crying, grimace; only as far as the corners are not
    lifted, since a broad smile's sideways pull raises it too), ``mouthFrown`` (crying) and
    ``noseSneer`` (disgust, pain), clipped to [0, 1].
    """
    bs = np.asarray(blendshapes, dtype=float).reshape(-1, len(BLENDSHAPE_NAMES))
    au12 = _bs(bs, "mouthSmileLeft", "mouthSmileRight")
    needed = config.smile_lift_full + config.smile_lift_per_gap * geometry["lip_gap"]
    lifted = _clip01(geometry["corner_lift"] / needed)
    closed = np.sqrt(_clip01(au12) * lifted)
    w0 = config.neutral_width if neutral_width is None else np.asarray(neutral_width, float)
    lo, hi = config.smile_widening
    widen = _clip01((geometry["mouth_width"] / w0 - lo) / (hi - lo))
    opened = np.sqrt(_clip01(au12 / config.smile_au12_full) * widen)
    aspect = geometry["lip_gap"] / np.maximum(geometry["mouth_width"], 1e-6)
    lo, hi = config.open_mouth
    share_open = _clip01((aspect - lo) / (hi - lo))
    # AU20 pulls the corners sideways, AU12 up and back: MediaPipe's mouthStretch also reads the
    # sideways part of a broad smile (0.13-0.19 in real ones), so it counts against a smile only as
    # far as the corners are not lifted.
    antagonists = _clip01(
        config.stretch_weight * _bs(bs, "mouthStretchLeft", "mouthStretchRight") * (1.0 - lifted)
        + config.frown_weight * _bs(bs, "mouthFrownLeft", "mouthFrownRight")
        + config.sneer_weight * _bs(bs, "noseSneerLeft", "noseSneerRight")
    )
    return _clip01(((1 - share_open) * closed + share_open * opened) * (1.0 - antagonists))


def is_neutral_mouth(blendshapes: np.ndarray) -> np.ndarray:
    """Frames whose mouth is closed and not smiling (``jawOpen`` < 0.1, mean ``mouthSmile`` < 0.2):
    the frames that give a face's neutral mouth width."""
    bs = np.asarray(blendshapes, dtype=float).reshape(-1, len(BLENDSHAPE_NAMES))
    return (bs[:, _BS["jawOpen"]] < 0.1) & (_bs(bs, "mouthSmileLeft", "mouthSmileRight") < 0.2)


def mouth_opening(
    blendshapes: np.ndarray, geometry: dict[str, np.ndarray], config: SignalConfig = DEFAULT_CONFIG
) -> np.ndarray:
    """Combined jaw opening in [0, 1]: mean of ``jawOpen`` and the scaled inner-lip gap."""
    bs = np.asarray(blendshapes, dtype=float).reshape(-1, len(BLENDSHAPE_NAMES))
    return 0.5 * (_clip01(bs[:, _BS["jawOpen"]]) + _clip01(geometry["lip_gap"] / config.yawn_gap_full))


# Face Mesh lip contours, corner to corner round the mouth
LIPS_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
LIPS_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)


def lip_contrast(image_bgr: np.ndarray, landmarks: np.ndarray) -> float:
    """Colour difference (CIELAB delta E) between the lips and a band of skin around them.

    Lips differ from the skin around them in colour and lightness (typically 10-60 delta E on
    the test photos); a hand or object over the mouth covers both regions with one surface and
    the difference collapses (0-4 for a synthetic hand). NaN if the mouth is outside the image.
    """
    import cv2

    h, w = image_bgr.shape[:2]
    xy = np.asarray(landmarks)[:, :2] * (w, h)
    iod = float(np.hypot(*(xy[EYE_OUTER[1]] - xy[EYE_OUTER[0]])))
    outer = xy[list(LIPS_OUTER)]
    pad = 0.35 * iod
    x0, y0 = np.floor(outer.min(axis=0) - pad).astype(int)
    x1, y1 = np.ceil(outer.max(axis=0) + pad).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return float("nan")
    lab = cv2.cvtColor(np.ascontiguousarray(image_bgr[y0:y1, x0:x1]), cv2.COLOR_BGR2LAB)
    shift = np.array([x0, y0])
    lips = np.zeros(lab.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(outer - shift).astype(np.int32)], 1)
    inside = lips.copy()
    cv2.fillPoly(lips, [np.round(xy[list(LIPS_INNER)] - shift).astype(np.int32)], 0)
    k_out, k_in = max(3, int(0.25 * iod)), max(3, int(0.08 * iod))
    band = cv2.dilate(inside, np.ones((k_out, k_out), np.uint8)) - cv2.dilate(inside, np.ones((k_in, k_in), np.uint8))
    if cv2.countNonZero(lips) < 4 or cv2.countNonZero(band) < 4:
        return float("nan")
    # masked means in OpenCV: 2.4x faster per frame than boolean indexing, the same value
    lips_lab, band_lab = cv2.mean(lab, mask=lips)[:3], cv2.mean(lab, mask=band)[:3]
    return float(np.linalg.norm(np.subtract(lips_lab, band_lab)))


def mouth_visibility(
    contrast: np.ndarray | float, reference: np.ndarray | float, config: SignalConfig | None = None
) -> np.ndarray:
    """How visible the mouth is, in [0, 1], from lip contrast relative to the same face's usual.

    ``reference`` is a high percentile of the face's recent lip contrast (see
    :data:`SignalConfig.visibility_ratio`): a mouth whose contrast falls to a small fraction of
    its own usual value is covered. Relative, so lighting and skin tone do not matter. NaN
    contrast counts as visible.
    """
    lo, hi = (config or DEFAULT_CONFIG).visibility_ratio
    ratio = np.asarray(contrast, float) / np.maximum(np.asarray(reference, float), 1e-6)
    return np.where(np.isfinite(ratio), _clip01((ratio - lo) / (hi - lo)), 1.0)


def blink_score(blendshapes: np.ndarray, config: SignalConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Eye closure in [0, 1]: mean ``eyeBlink`` of both eyes, rescaled (a wink scores about half)."""
    bs = np.asarray(blendshapes, dtype=float).reshape(-1, len(BLENDSHAPE_NAMES))
    b = _bs(bs, "eyeBlinkLeft", "eyeBlinkRight")
    return _clip01((b - config.blink_low) / (config.blink_high - config.blink_low))


def mouth_open_score(blendshapes: np.ndarray, config: SignalConfig = DEFAULT_CONFIG) -> np.ndarray:
    """Jaw opening in [0, 1]: ``jawOpen / mouth_open_full``, clipped."""
    bs = np.asarray(blendshapes, dtype=float).reshape(-1, len(BLENDSHAPE_NAMES))
    return _clip01(bs[:, _BS["jawOpen"]] / config.mouth_open_full)


def frame_signals(
    blendshapes: np.ndarray,
    landmarks: np.ndarray,
    matrices: np.ndarray | None,
    width: int,
    height: int,
    config: SignalConfig = DEFAULT_CONFIG,
    neutral_width: np.ndarray | float | None = None,
) -> dict[str, np.ndarray]:
    """All per-frame signals of N observations of a face.

    Parameters
    ----------
    blendshapes : np.ndarray
        (N, 52) scores in MediaPipe order.
    landmarks : np.ndarray
        (N, 478, 3) normalised landmarks.
    matrices : np.ndarray | None
        (N, 4, 4) facial transformation matrices.
    width, height : int
        Image size, pixels.
    neutral_width : array or float, optional
        The face's neutral mouth width, IOD (:class:`mimicry.sensing.history.NeutralWidth` keeps it
        live); ``config.neutral_width`` if not given.

    Returns
    -------
    dict
        ``smile``, ``blink``, ``mouth_open``, ``opening`` (the combined opening that
        :func:`yawn_signal` turns into ``yawn`` over time), ``yaw_deg``, ``pitch_deg``,
        ``roll_deg``, ``mouth_width`` (IOD) and ``face_px`` (the landmarks' horizontal extent,
        pixels), each an (N,) array. ``smile`` is given at every size: the rows leave it out below
        ``config.smile_min_face_px`` (:func:`below_floor`).
    """
    bs = np.asarray(blendshapes, dtype=float).reshape(-1, len(BLENDSHAPE_NAMES))
    lm = np.asarray(landmarks)
    lm = lm.reshape(-1, lm.shape[-2], 3)
    face_px = np.ptp(lm[:, :, 0], axis=1).astype(float) * width
    lm = lm[:, GEOMETRY_POINTS, :]  # only what the geometry uses
    geo = mouth_geometry(frontalize(lm, matrices, width, height))
    smile = smile_score(bs, geo, config, neutral_width)
    out = {
        "face_px": face_px,
        "mouth_width": geo["mouth_width"],
        "smile": smile,
        "blink": blink_score(bs, config),
        "mouth_open": mouth_open_score(bs, config),
        "opening": mouth_opening(bs, geo, config),
    }
    if matrices is not None:
        pose = head_pose(matrices)
    else:
        pose = np.full((bs.shape[0], 3), np.nan)
    out["yaw_deg"], out["pitch_deg"], out["roll_deg"] = pose[:, 0], pose[:, 1], pose[:, 2]
    return out
