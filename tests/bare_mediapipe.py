"""An independent check of a clip: MediaPipe Face Landmarker used directly (VIDEO mode), not
through mimicry's tracker. Used by tests/test_stimuli.py and benchmarks/validate_stimuli.py."""

from __future__ import annotations

import itertools

import cv2
import numpy as np


def runs_s(values, fps: float, threshold: float) -> np.ndarray:
    """Lengths in seconds of the runs where ``values >= threshold``."""
    ok = np.concatenate([[0], (np.asarray(values) >= threshold).astype(int), [0]])
    d = np.diff(ok)
    return (np.flatnonzero(d == -1) - np.flatnonzero(d == 1)) / fps


def bare_pass(path, fps: float, stride: int = 1) -> tuple[np.ndarray, np.ndarray, float]:
    """``jawOpen`` and ``mouthSmile`` (mean of left and right) per frame, 0 where no face, and
    the share of frames with a face; with ``stride`` k, every k-th frame only (the arrays are
    then at ``fps / k``)."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from mimicry.sensing.model import bundled_model_path

    opts = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(bundled_model_path())),
        running_mode=vision.RunningMode.VIDEO,
        output_face_blendshapes=True,
    )
    jaw, smile, found, i = [], [], 0, 0
    with vision.FaceLandmarker.create_from_options(opts) as lm:
        cap = cv2.VideoCapture(str(path))
        for k in itertools.count():
            if k % stride:  # skipped frames are only grabbed, not converted
                if not cap.grab():
                    break
                continue
            ok, img = cap.read()
            if not ok:
                break
            res = lm.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)),
                int(k * 1000 / fps),
            )
            i += 1
            d = {c.category_name: c.score for c in res.face_blendshapes[0]} if res.face_blendshapes else {}
            found += bool(d)
            jaw.append(d.get("jawOpen", 0.0))
            smile.append((d.get("mouthSmileLeft", 0.0) + d.get("mouthSmileRight", 0.0)) / 2)
        cap.release()
    return np.array(jaw), np.array(smile), found / max(i, 1)
