"""Per-case numbers for the expression signals on the real and synthetic test faces.

    python benchmarks/validate_signals.py

Prints, for each case, the quantity the tests assert on (and a few more), so that a change to
`mimicry/sensing/signals.py` can be judged case by case. Cases: real photos (posed expressions), the
real smiling clip, synthetic yawn / talking / grimace / crying / tilted faces made by warping a
real neutral face (tests/synth.py).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import synth  # noqa: E402

from mimicry.sensing.capture import VideoFileSource  # noqa: E402
from mimicry.sensing.pipeline import TrackConfig, track_video  # noqa: E402
from mimicry.sensing.signals import frame_signals  # noqa: E402
from mimicry.sensing.tracking import FaceLandmarker  # noqa: E402
from mimicry.sensing.yawn import yawn_signal  # noqa: E402

DATA = ROOT / "tests" / "data"


def still(lm, img, name):
    h, w = img.shape[:2]
    rows = []
    for i, f in enumerate(lm.detect(img)):
        s = frame_signals(f.blendshapes[None], f.landmarks[None], f.matrix[None], w, h)
        t = np.arange(120) / 30  # 1 s at rest, then this expression, suddenly, held for 3 s
        held = yawn_signal(t, np.where(t >= 1, s["opening"][0], 0.0), np.where(t >= 1, s["smile"][0], 0.0)).max()
        au12 = float(f.blendshapes[44:46].mean())
        rows.append(
            dict(
                case=name if i == 0 else f"{name} #{i}",
                smile=s["smile"][0],
                mouthSmile=au12,
                mouth_open=s["mouth_open"][0],
                yawn_if_held_3s=held,
                blink=s["blink"][0],
            )
        )
    return rows


def track(path, out):
    with VideoFileSource(path) as src:
        track_video(src, out, TrackConfig())
    return pd.read_csv(out)


def main() -> None:
    pd.set_option("display.width", 160)
    rows = []
    img, xy = synth.neutral_face()
    with FaceLandmarker("image", max_faces=4) as lm:
        for name in (
            "0-f15-hao-ph.jpg",
            "single_face.jpg",
            "astronaut.jpg",
            "multi_face.jpg",
            "0-f1-su-ph.jpg",
            "15-f13-anc-ph.jpg",
            "45-m7-di-ph.jpg",
        ):
            rows += still(lm, cv2.imread(str(DATA / name)), name)
        rows += still(lm, img, "synthetic: neutral")
        for name, kw in (
            ("synthetic: grimace (corners out)", dict(jaw=0.0, corners=(0.15, 0.0))),
            ("synthetic: grimace, lips apart", dict(jaw=0.1, corners=(0.15, 0.0))),
            ("synthetic: crying (corners out+down, jaw)", dict(jaw=0.2, corners=(0.12, -0.03))),
            # known failures: an open mouth with the lips stretched sideways (AU20 + AU26, the
            # square mouth of sobbing) reads as a laugh (see docs/methods/signals.md)
            ("synthetic: sobbing, lips stretched out, jaw 0.3", dict(jaw=0.3, corners=(0.15, 0.0))),
            ("synthetic: sobbing, corners out+down, jaw 0.4", dict(jaw=0.4, corners=(0.2, -0.04))),
            ("synthetic: yawn peak (jaw 0.55 IOD, eyes half)", dict(jaw=0.55, eyes=0.5)),
        ):
            rows += still(lm, synth.warp_face(img, xy, **kw), name)
        h, w = img.shape[:2]
        src = np.float32([[0, 0], [w, 0], [0, h], [w, h]])
        dst = np.float32([[0, 0], [w, 0], [w * 0.08, h * 0.92], [w * 0.92, h * 0.92]])
        tilted = cv2.warpPerspective(
            img, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE
        )
        rows += still(lm, tilted, "synthetic: neutral, tilted down")
        anger = cv2.imread(str(DATA / "15-f13-anc-ph.jpg"))
        f = lm.detect(anger)[0]
        covered = synth.cover_mouth(anger, f.landmarks[:, :2] * anger.shape[1::-1])
        rows += still(lm, covered, "anger + synthetic hand (per frame, before the visibility veto)")
    print(
        "Still images (yawn_if_held_3s: the yawn signal if the face took this expression from rest at once and held it 3 s)"
    )
    print(pd.DataFrame(rows).set_index("case").round(3).to_string())

    print("\nClips")
    clips = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        df = track(DATA / "single_face.mp4", tmp / "sf.csv")
        onset = int(np.argmax(df.smile.to_numpy() > 0.5))
        clips.append(
            dict(
                case="single_face.mp4 (real smile)",
                smile_before=df.smile[df.t_s < 0.55].max(),
                smile_during=df.smile[(df.t_s > 0.8) & (df.t_s < 2.25)].mean(),
                onset_frame=onset,
                yawn_max=df.yawn.max(),
            )
        )
        t = np.arange(210) / 30
        course = synth.yawn_course(t)
        df = track(synth.write_clip(tmp / "y.mp4", course, 0.5 * course, jaw_max=0.55), tmp / "y.csv")
        clips.append(
            dict(
                case="synthetic yawn (onset 1.0 s, rise to 3.5 s)",
                yawn_max=df.yawn.max(),
                yawn_onset_s=df.t_s[df.yawn > 0.5].min(),
                smile_max=df.smile.max(),
                mouth_open_max=df.mouth_open.max(),
            )
        )
        t = np.arange(180) / 30
        df = track(synth.write_clip(tmp / "t.mp4", synth.talking_course(t), jaw_max=0.55), tmp / "t.csv")
        clips.append(
            dict(
                case="synthetic talking (4 Hz, as wide as the yawn)",
                yawn_max=df.yawn.max(),
                smile_max=df.smile.max(),
                mouth_open_max=df.mouth_open.max(),
            )
        )
        path = tmp / "hand.mp4"
        vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, anger.shape[1::-1])
        for i in range(120):
            vw.write(anger if i < 60 else covered)
        vw.release()
        df = track(path, tmp / "hand.csv")
        clips.append(
            dict(
                case="anger 2 s, then hand over the mouth 2 s",
                mouth_visible_uncovered=df.mouth_visible[:60].min(),
                mouth_visible_covered=df.mouth_visible[60:].max(),
                smile_covered=df.smile[60:].max(),
            )
        )
        df = track(DATA / "single_face.mp4", tmp / "sf2.csv")
        clips.append(dict(case="single_face.mp4: mouth_visible", mouth_visible_uncovered=df.mouth_visible.min()))
        for name in ("face_noface.mov", "noface_face.mov", "no_face.mp4"):
            df = track(DATA / name, tmp / "d.csv")
            clips.append(dict(case=name, frames=len(df), detected_frames=int(df.detected.sum())))
    print(pd.DataFrame(clips).set_index("case").round(3).to_string())


if __name__ == "__main__":
    main()
