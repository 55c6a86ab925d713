"""An OpenFace-2 CSV from mimicry's frames: every column OpenFace 2.2's ``FeatureExtraction``
writes (:func:`openface_columns`, in its order, the header's names separated by ", " as
OpenFace's are), so scripts and readers written for OpenFace (py-feat's ``read_openface``, R
scripts that index ``' AU12_r'``) read mimicry's output. Columns mimicry does not measure (gaze,
eye landmarks, 3D face landmarks, OpenFace's own shape model) are present and empty; the 2D face
landmarks ``x_0 .. y_67`` (pixels) come from a ``mimicry track --landmarks`` file through a
documented mapping of MediaPipe's mesh to the 68 points (:mod:`.ibug68`).

Gaze (``gaze_*``) stays empty: MediaPipe's iris landmarks place the iris in the image, but a
gaze direction from them needs an eyeball model whose error has not been measured on any video
with known gaze, and an unmeasured direction would read as a measurement. ``X_ .. Z_`` (mm in
camera space) stay empty too: MediaPipe's depth is relative to the head, in image widths.

The action units are an **approximation**: MediaPipe's 52 blendshapes (ARKit-style) are not
FACS action units, though most are named after one muscle movement. :data:`AU_MAP` gives the
blendshapes behind each AU (a mean of left and right); intensity ``AUxx_r`` = 5 x that mean
(OpenFace's 0-5 scale), presence ``AUxx_c`` = 1 when the intensity is at least
:data:`PRESENCE_R` (OpenFace uses separate classifiers; no such classifier is calibrated here);
``AU28_c`` (lip suck, presence only in OpenFace) from :data:`PRESENCE_ONLY`.
The mapping has not been validated against FACS-coded video; use it to compare time courses
within a study, not to compare intensities with OpenFace's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MimicryError, OutputError
from ..schema import BLENDSHAPE_NAMES, N_LANDMARKS
from .ibug68 import N_POINTS, points_68

#: OpenFace 2 action unit -> the blendshapes whose mean stands for it.
AU_MAP: dict[str, tuple[str, ...]] = {
    "AU01": ("browInnerUp",),
    "AU02": ("browOuterUpLeft", "browOuterUpRight"),
    "AU04": ("browDownLeft", "browDownRight"),
    "AU05": ("eyeWideLeft", "eyeWideRight"),
    "AU06": ("cheekSquintLeft", "cheekSquintRight"),
    "AU07": ("eyeSquintLeft", "eyeSquintRight"),
    "AU09": ("noseSneerLeft", "noseSneerRight"),
    "AU10": ("mouthUpperUpLeft", "mouthUpperUpRight"),
    "AU12": ("mouthSmileLeft", "mouthSmileRight"),
    "AU14": ("mouthDimpleLeft", "mouthDimpleRight"),
    "AU15": ("mouthFrownLeft", "mouthFrownRight"),
    "AU17": ("mouthShrugLower",),
    "AU20": ("mouthStretchLeft", "mouthStretchRight"),
    "AU23": ("mouthPressLeft", "mouthPressRight"),
    "AU25": ("mouthLowerDownLeft", "mouthLowerDownRight"),
    "AU26": ("jawOpen",),
    "AU45": ("eyeBlinkLeft", "eyeBlinkRight"),
}
PRESENCE_ONLY: dict[str, tuple[str, ...]] = {"AU28": ("mouthRollLower", "mouthRollUpper")}
"""OpenFace 2 action units with a presence column only (``AU28_c``, lips sucked in) -> the
blendshapes whose mean stands for them."""
PRESENCE_R = 1.0
"""``AUxx_c`` is 1 from this intensity (a blendshape mean of 0.2) on."""
POSE_COLUMNS = ("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz")
EYE_LANDMARKS, FACE_LANDMARKS, SHAPE_MODES = 56, N_POINTS, 34
"""OpenFace 2's eye landmarks (both eyes), face landmarks and non-rigid shape parameters."""


def openface_columns() -> list[str]:
    """Every column of OpenFace 2.2's ``FeatureExtraction`` CSV, in its order: frame and face,
    gaze (two eye vectors and two angles), 2D and 3D eye landmarks, head pose, 2D and 3D face
    landmarks, shape-model parameters, then the action units' intensities and presences
    (sorted by name, as OpenFace writes them)."""
    cols = ["frame", "face_id", "timestamp", "confidence", "success"]
    cols += [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x", "gaze_angle_y"]
    cols += [f"eye_lmk_{a}_{i}" for a in "xyXYZ" for i in range(EYE_LANDMARKS)]
    cols += list(POSE_COLUMNS)
    cols += [f"{a}_{i}" for a in "xyXYZ" for i in range(FACE_LANDMARKS)]
    cols += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(SHAPE_MODES)]
    cols += [f"{au}_r" for au in sorted(AU_MAP)]
    return cols + [f"{au}_c" for au in sorted([*AU_MAP, *PRESENCE_ONLY])]


def openface_frame(
    frames: pd.DataFrame, landmarks: pd.DataFrame | None = None, *, frame_size: tuple[int, int] | None = None
) -> pd.DataFrame:
    """OpenFace-2 columns from ``frames.csv`` (or a track CSV) rows of detected or lost faces.

    ``landmarks``, the rows of a ``mimicry track --landmarks`` file of the same track, with
    ``frame_size`` (width, height, px: the landmarks are fractions of the frame) fills ``x_0 ..
    x_67`` and ``y_0 .. y_67`` in pixels for the faces it holds (:func:`landmarks_68`).

    ``frame``, ``face_id``, ``timestamp`` (s), ``confidence`` and ``success`` (1 where MediaPipe
    found the face, 0 where it was lost: MediaPipe gives no per-face confidence), ``pose_Tx/Ty/Tz``
    (empty: mimicry stores no head translation), ``pose_Rx/Ry/Rz`` (pitch, yaw, roll in radians,
    mimicry's signs: see the file-format docs), then ``AUxx_r`` and ``AUxx_c`` per :data:`AU_MAP`
    (and ``AU28_c``, :data:`PRESENCE_ONLY`); every other column of :func:`openface_columns` is
    empty (NaN). Rows without a face id (no face at all in the frame) are left out, as OpenFace
    writes none.
    """
    f = frames[frames["face"].notna()].reset_index(drop=True)
    ok = f["detected"].to_numpy() == 1
    out = pd.DataFrame(
        {
            "frame": f["frame"].astype(int) + 1,  # OpenFace counts frames from 1
            "face_id": f["face"].astype(int),
            "timestamp": f["t_s"].astype(float).round(3),
            "confidence": ok.astype(float),
            "success": ok.astype(int),
        }
    )
    for col in POSE_COLUMNS[:3]:
        out[col] = np.nan
    for col, src in (("pose_Rx", "pitch_deg"), ("pose_Ry", "yaw_deg"), ("pose_Rz", "roll_deg")):
        deg = pd.to_numeric(f[src], errors="coerce") if src in f.columns else pd.Series(np.nan, index=f.index)
        out[col] = np.where(ok, np.deg2rad(deg.to_numpy(float)), np.nan)
    intensity = {au: _au_intensity(f, names, ok) for au, names in AU_MAP.items()}
    for au, r in intensity.items():
        out[f"{au}_r"] = np.round(r, 3)
    presence = {**intensity, **{au: _au_intensity(f, names, ok) for au, names in PRESENCE_ONLY.items()}}
    for au, r in presence.items():
        out[f"{au}_c"] = np.where(np.isfinite(r), (r >= PRESENCE_R).astype(float), np.nan)
    out = out.reindex(columns=openface_columns())
    if landmarks is not None:
        if frame_size is None:
            raise MimicryError("the landmarks need the frame size (width, height in px): they are fractions of it")
        xy = landmarks_68(landmarks, frame_size=frame_size)
        key = pd.MultiIndex.from_arrays([out["frame"] - 1, out["face_id"]])
        found = xy.reindex(key).to_numpy()
        out.loc[:, list(xy.columns)] = np.where(ok[:, None], found, np.nan)
    return out


def landmarks_68(landmarks: pd.DataFrame, *, frame_size: tuple[int, int]) -> pd.DataFrame:
    """OpenFace's ``x_0 .. x_67, y_0 .. y_67`` (px) from the rows of a ``mimicry track
    --landmarks`` file (:data:`mimicry.schema.LANDMARKS`: 478 points as fractions of the frame),
    indexed by ``(frame, face)``; ``frame_size`` is the video's (width, height), px.

    Raises
    ------
    MimicryError
        A landmark column is missing, or the frame size is not positive.
    """
    width, height = frame_size
    if not (width > 0 and height > 0):
        raise MimicryError(f"frame size must be positive, got {width}x{height}")
    names = [f"{a}{i}" for i in range(N_LANDMARKS) for a in "xy"]
    missing = [c for c in ("frame", "face", *names) if c not in landmarks.columns]
    if missing:
        raise MimicryError(f"not a mimicry landmarks CSV: no column {missing[0]!r}")
    mesh = landmarks[names].apply(pd.to_numeric, errors="coerce").to_numpy(float).reshape(-1, N_LANDMARKS, 2)
    pts = points_68(mesh * [width, height])
    index = pd.MultiIndex.from_arrays([landmarks["frame"].astype(int), landmarks["face"].astype(int)])
    if index.has_duplicates:
        raise MimicryError("the landmarks hold two rows for one face in one frame: not one track's landmarks")
    cols = [f"x_{i}" for i in range(N_POINTS)] + [f"y_{i}" for i in range(N_POINTS)]
    return pd.DataFrame(np.round(np.concatenate([pts[:, :, 0], pts[:, :, 1]], axis=1), 3), index=index, columns=cols)


def _au_intensity(f: pd.DataFrame, names: tuple[str, ...], ok: np.ndarray) -> np.ndarray:
    missing = [n for n in names if n not in f.columns]
    if missing:
        raise MimicryError(
            f"no blendshape column {missing[0]!r}: the OpenFace export needs the {len(BLENDSHAPE_NAMES)} "
            "blendshapes that mimicry track and mimicry run write"
        )
    values = f[list(names)].apply(pd.to_numeric, errors="coerce").to_numpy(float).mean(axis=1)
    return np.where(ok, 5.0 * np.clip(values, 0.0, 1.0), np.nan)


def export_openface(
    frames: pd.DataFrame,
    out: str | Path,
    *,
    landmarks: pd.DataFrame | None = None,
    frame_size: tuple[int, int] | None = None,
) -> Path:
    """Write :func:`openface_frame` of ``frames`` (and ``landmarks``, ``frame_size``) to the CSV
    ``out`` (RFC 4180, the header as OpenFace writes it; never overwritten).

    Raises
    ------
    OutputError
        ``out`` exists, or its folder cannot be written.
    """
    from ..io import write_csv_atomic

    out = Path(out)
    if out.exists():
        raise OutputError(f"{out} exists already: choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        of = openface_frame(frames, landmarks, frame_size=frame_size)
        # OpenFace's header separates its names with ", " (its values with ","): the names keep
        # the space, so scripts that index ' AU12_r' find it and readers that strip names do too
        of.columns = [of.columns[0], *(f" {c}" for c in of.columns[1:])]
        write_csv_atomic(of, out)
    except OSError as e:
        raise OutputError(f"cannot write {out}: {e.strerror or e}") from None
    return out


# -- OpenFace input ------------------------------------------------------------------------------

OPENFACE_FULL_R = 3.0
"""OpenFace intensity (0-5) read as a full signal: 3 is FACS's "marked" (C/D) level."""


def frames_from_openface(openface: pd.DataFrame, offset_s: float = 0.0) -> pd.DataFrame:
    """``frames.csv`` rows from an OpenFace 2 CSV (``FeatureExtraction`` or
    ``FaceLandmarkVidMulti``), for analysing existing OpenFace recordings.

    ``smile`` = AU12 intensity / :data:`OPENFACE_FULL_R` (clipped 0-1); the mouth opening is the
    larger of AU25 and AU26 / :data:`OPENFACE_FULL_R`, turned into ``yawn`` by mimicry's own rule
    (:func:`mimicry.sensing.yawn.yawn_signal`: a slow, sustained opening that is not a laugh);
    ``blink`` = AU45 / 5; head pose from ``pose_Rx/Ry/Rz`` (radians) to degrees; ``detected`` =
    ``success``. ``t_s`` = OpenFace's ``timestamp`` + ``offset_s`` (the session time at which
    the video started). OpenFace's AU12 also rises in grimaces and its AU26 in talking: the
    signals are coarser than mimicry's own (see the docs: Lab interop).

    Raises
    ------
    MimicryError
        A column the mapping needs is missing.
    """
    from ..sensing.yawn import yawn_signal

    of = openface.rename(columns=lambda c: str(c).strip())  # OpenFace pads its header with spaces
    need = ["frame", "timestamp", "success", "AU12_r", "AU25_r", "AU26_r"]
    missing = [c for c in need if c not in of.columns]
    if missing:
        raise MimicryError(f"not an OpenFace 2 CSV with action units: no column {missing[0]!r}")
    face = of["face_id"].astype(int) if "face_id" in of.columns else pd.Series(0, index=of.index)
    ok = pd.to_numeric(of["success"], errors="coerce").fillna(0).to_numpy() == 1
    num = lambda c: (
        pd.to_numeric(of[c], errors="coerce").to_numpy(float) if c in of.columns else np.full(len(of), np.nan)
    )  # noqa: E731
    smile = np.clip(num("AU12_r") / OPENFACE_FULL_R, 0, 1)
    opening = np.clip(np.fmax(num("AU25_r"), num("AU26_r")) / OPENFACE_FULL_R, 0, 1)
    frames = pd.DataFrame(
        {
            "t_s": num("timestamp") + offset_s,
            "frame": pd.to_numeric(of["frame"], errors="coerce").astype(int) - 1,
            "face": face.to_numpy(),
            "detected": ok.astype(int),
            "smile": np.where(ok, smile, np.nan),
            "yawn": np.nan,
            "blink": np.where(ok, np.clip(num("AU45_r") / 5.0, 0, 1), np.nan),
            "mouth_open": np.where(ok, opening, np.nan),
            "pitch_deg": np.where(ok, np.rad2deg(num("pose_Rx")), np.nan),
            "yaw_deg": np.where(ok, np.rad2deg(num("pose_Ry")), np.nan),
            "roll_deg": np.where(ok, np.rad2deg(num("pose_Rz")), np.nan),
        }
    )
    opening, smile = np.where(ok, opening, np.nan), np.where(ok, smile, np.nan)
    for f in np.unique(frames["face"]):
        m = (frames["face"] == f).to_numpy()
        order = np.argsort(frames.loc[m, "t_s"].to_numpy(), kind="stable")
        t = frames.loc[m, "t_s"].to_numpy()[order]
        y = np.empty(order.size)
        y[order] = yawn_signal(t, opening[m][order], smile[m][order])
        frames.loc[m, "yawn"] = np.where(ok[m], y, np.nan)
    frames["face"] = frames["face"].astype("Int64")
    return frames.sort_values(["t_s", "face"], kind="stable").reset_index(drop=True)
