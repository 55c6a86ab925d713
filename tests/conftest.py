"""Shared fixtures: real clips in tests/data and synthetic clips made once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import synth  # noqa: E402
from mimicry.capture import read_frames  # noqa: E402

DATA = Path(__file__).parent / "data"
FPS = 30.0


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def landmarker():
    from mimicry.tracking import FaceLandmarker

    with FaceLandmarker("image", max_faces=4) as lm:
        yield lm


def track_file(path: Path, out: Path, **kw) -> pd.DataFrame:
    from mimicry.capture import VideoFileSource
    from mimicry.pipeline import TrackConfig, track_video

    with VideoFileSource(path) as src:
        track_video(src, out, TrackConfig(**kw))
    return pd.read_csv(out)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("synthetic")


@pytest.fixture(scope="session")
def yawn_track(synthetic_dir) -> tuple[pd.DataFrame, np.ndarray]:
    """A 7 s synthetic yawn (1 s rest, 2.5 s rise, 1.5 s hold, 1 s fall, 1 s rest) and its course."""
    t = np.arange(int(7 * FPS)) / FPS
    course = synth.yawn_course(t, onset_s=1.0)
    eyes = 0.5 * course  # eyes narrow with the yawn
    clip = synth.write_clip(synthetic_dir / "yawn.mp4", course, eyes, fps=FPS, jaw_max=0.55)
    return track_file(clip, synthetic_dir / "yawn.csv"), course


@pytest.fixture(scope="session")
def talking_track(synthetic_dir) -> tuple[pd.DataFrame, np.ndarray]:
    """6 s of syllable-rate (4 Hz) openings as wide as the yawn's."""
    t = np.arange(int(6 * FPS)) / FPS
    course = synth.talking_course(t, rate_hz=4.0)
    clip = synth.write_clip(synthetic_dir / "talking.mp4", course, fps=FPS, jaw_max=0.55)
    return track_file(clip, synthetic_dir / "talking.csv"), course


@pytest.fixture(scope="session")
def side_by_side(synthetic_dir, data_dir) -> Path:
    """Two faces: single_face.mp4 on the left, its mirror image shifted by 0.5 s on the right."""
    frames, _ = read_frames(data_dir / "single_face.mp4")
    shift = int(0.5 * FPS)
    h, w = frames[0].shape[:2]
    path = synthetic_dir / "two_faces.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (2 * w, h))
    for i in range(len(frames)):
        right = cv2.flip(frames[max(i - shift, 0)], 1)
        vw.write(np.hstack([frames[i], right]))
    vw.release()
    return path


@pytest.fixture(scope="session")
def short_library(tmp_path_factory):
    """A library with a 6 s smile clip and a 6 s control clip (25 fps)."""
    import cv2

    from mimicry.stimuli import add_stimulus, default_library
    from mimicry.synth import make_stimulus_clip
    from mimicry.tracking import FaceLandmarker

    d = tmp_path_factory.mktemp("lib")
    img = cv2.imread(str(default_library() / "sources" / "man_neutral.png"))
    with FaceLandmarker("image") as lm:
        xy = lm.detect(img)[0].landmarks[:, :2] * img.shape[1::-1]
    for kind in ("smile", "control"):
        make_stimulus_clip(img, xy, kind, d / f"{kind}.mp4", seconds=6.0, seed=3, size=256)
        add_stimulus(d / f"{kind}.mp4", kind, d / "library", f"{kind}-short", "test", "MIT", "short test clip")
    return d / "library"
