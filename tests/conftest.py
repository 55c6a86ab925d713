"""Shared fixtures: real clips in tests/data and synthetic clips made once per test session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import synth  # noqa: E402
from guard.sitecustomize import local  # noqa: E402

from mimicry.sensing.capture import read_frames  # noqa: E402

DATA = Path(__file__).parent / "data"
FPS = 30.0
LSL_CONFIG = Path(__file__).parent / "lsl_api.cfg"
# liblsl, in this process and every process a test starts, discovers streams on loopback only
# (no multicast on the local network): set before anything can load it
os.environ["LSLAPICFG"] = str(LSL_CONFIG)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def landmarker():
    from mimicry.sensing.tracking import FaceLandmarker

    with FaceLandmarker("image", max_faces=4) as lm:
        yield lm


def track_file(path: Path, out: Path, **kw) -> pd.DataFrame:
    from mimicry.sensing.capture import VideoFileSource
    from mimicry.sensing.pipeline import TrackConfig, track_video

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

    from mimicry.sensing.tracking import FaceLandmarker
    from mimicry.stimuli.adding import add_stimulus
    from mimicry.stimuli.library import default_library
    from mimicry.stimuli.synth import make_stimulus_clip

    d = tmp_path_factory.mktemp("lib")
    img = cv2.imread(str(default_library() / "sources" / "man_neutral.png"))
    with FaceLandmarker("image") as lm:
        xy = lm.detect(img)[0].landmarks[:, :2] * img.shape[1::-1]
    for kind in ("smile", "control"):
        make_stimulus_clip(img, xy, kind, d / f"{kind}.mp4", seconds=6.0, seed=3, size=256)
        add_stimulus(
            d / f"{kind}.mp4", kind, d / "library", f"{kind}-short", "test", "MIT", "short test clip", synthetic=True
        )
    return d / "library"


@pytest.fixture(scope="session")
def cued_viewer(tmp_path_factory):
    """A synthetic viewer who follows the calibration cues: a broad smile 0.5-4.8 s, a wide-open
    mouth 5.6-9.8 s (opened over 1 s), then a neutral face (22 s, 25 fps: the 15 s of cues and 7 s after)."""
    import cv2
    import numpy as np

    from mimicry.sensing.tracking import FaceLandmarker
    from mimicry.stimuli.library import default_library
    from mimicry.stimuli.synth import prepare_face, render_stimulus

    img = cv2.imread(str(default_library() / "sources" / "man_neutral.png"))
    with FaceLandmarker("image") as lm:
        xy = lm.detect(img)[0].landmarks[:, :2] * img.shape[1::-1]
    face, xy, _ = prepare_face(img, xy, size=256)
    t = np.arange(0, 22, 1 / 25)
    smile = ((t > 0.5) & (t < 4.8)).astype(float)
    jaw = 0.6 * np.clip((t - 5.6) / 1.0, 0, 1) * (t < 9.8)  # opened over a second, as people do
    zero = np.zeros_like(t)
    plan = {
        "t_s": t,
        "jaw": jaw,
        "eyes": zero,
        "corners_out": 0.2 * smile,
        "corners_up": 0.2 * smile,
        "dx": zero,
        "dy": zero,
        "roll_deg": zero,
    }
    path = tmp_path_factory.mktemp("viewer") / "cued.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (256, 256))
    for frame in render_stimulus(face, xy, plan):
        vw.write(frame)
    vw.release()
    return path


YAWNS_S = (13.0, 21.5)
"""Onsets of the yawn courses in ``yawning_video`` (2.5 s rise, 1.5 s hold, 1 s fall)."""
TALK_S = (8.5, 11.0)
"""When the face in ``yawning_video`` talks, s."""


@pytest.fixture(scope="session")
def yawning_video(tmp_path_factory) -> Path:
    """30 s at 12 fps: rest, talking 8.5-11 s, yawns from 13 s and 21.5 s (a warped real face)."""
    fps = 12.0
    t = np.arange(int(30 * fps)) / fps
    jaw = sum(synth.yawn_course(t, y) for y in YAWNS_S)
    talking = (t >= TALK_S[0]) & (t < TALK_S[1])
    jaw = np.maximum(jaw, np.where(talking, 0.35 * synth.talking_course(t, 4.0, TALK_S[0]), 0.0))
    eyes = 0.5 * sum(synth.yawn_course(t, y) for y in YAWNS_S)
    img, xy = synth.neutral_face()
    path = tmp_path_factory.mktemp("cut") / "yawns.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (img.shape[1], img.shape[0]))
    warped: dict = {}  # the warp is slow; rest and hold frames repeat
    for j, e in zip(np.round(jaw, 3), np.round(eyes, 3)):
        if (j, e) not in warped:
            warped[(j, e)] = synth.warp_face(img, xy, 0.55 * float(j), float(e))
        vw.write(warped[(j, e)])
    vw.release()
    return path


# -- guards and markers shared by every test -------------------------------------------------------

GUARD = Path(__file__).parent / "guard"
STRICT = bool(os.environ.get("MIMICRY_TEST_STRICT"))
"""Set by .ci/run: a test whose tool (Xvfb, xdotool, Chromium, ffmpeg, Dask) is missing fails
instead of being skipped."""


def need(ok: bool, reason: str) -> None:
    """Skip the test with ``reason`` unless ``ok``; under ``MIMICRY_TEST_STRICT`` fail instead."""
    if not ok:
        if STRICT:
            pytest.fail(f"MIMICRY_TEST_STRICT is set and a test needs what is missing: {reason}")
        pytest.skip(reason)


def pytest_configure(config):
    # every Python process a test starts loads tests/guard/sitecustomize.py: network refused, logged
    log = Path(tempfile.mkdtemp(prefix="mimicry-netlog-")) / "net.log"
    os.environ["MIMICRY_TEST_NET_LOG"] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(GUARD), os.environ.get("PYTHONPATH")) if p)


# tests that use these fixtures are marked: slow fixtures make the test slow; the others say
# which part of the machine it needs (python -m pytest -m "not slow" is the fast tier)
FIXTURE_MARKS = {
    "landmarker": ("mediapipe",),
    "yawn_track": ("mediapipe", "slow"),
    "talking_track": ("mediapipe", "slow"),
    "side_by_side": ("mediapipe",),
    "short_library": ("mediapipe", "slow"),
    "xvfb": ("gui", "slow"),
    "browser": ("browser", "slow"),
    "recorded_session": ("mediapipe", "slow"),
    "local_out": ("mediapipe", "slow"),
    "inputs": ("mediapipe", "slow"),
    "classroom": ("mediapipe", "slow"),
    "cued_viewer": ("mediapipe", "slow"),
    "pylsl": ("lsl",),
    "yawning_video": ("mediapipe", "slow"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name in item.fixturenames:
            for mark in FIXTURE_MARKS.get(name, ()):
                item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test, and no process a test starts, connects beyond this machine (loopback is allowed:
    Dask's local cluster and the browser driver use it)."""
    import socket

    def guard(original):
        def connect(self, address, *args):
            if self.family in (socket.AF_INET, socket.AF_INET6) and not local(address):
                raise AssertionError(f"network access attempted: {address!r}")
            return original(self, address, *args)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex))
    log = Path(os.environ["MIMICRY_TEST_NET_LOG"])
    log.unlink(missing_ok=True)
    yield
    if log.exists():
        pytest.fail("a process started by this test attempted network access:\n" + log.read_text())


@pytest.fixture
def pylsl():
    """pylsl, loaded with the loopback-only settings of tests/lsl_api.cfg (checked first)."""
    assert os.environ.get("LSLAPICFG") == str(LSL_CONFIG) and LSL_CONFIG.is_file()
    assert "AddressesOverride = {127.0.0.1}" in LSL_CONFIG.read_text()
    try:
        import pylsl
    except ImportError:
        need(False, "pylsl is not installed (pip install -e '.[test]')")
    return pylsl


def assert_numbers_only(folder: Path) -> None:
    """Privacy: a session folder holds numbers and text, no image of the person, in any form
    (``camera.mp4`` only when ``session.json`` says the video was asked for)."""
    try:
        meta = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}  # a broken session.json asks for no video
    allowed = {"camera.mp4"} if isinstance(meta, dict) and meta.get("record_video") else set()
    for p in folder.rglob("*"):
        if p.is_dir() or p.name in allowed:
            continue
        assert p.suffix in (".csv", ".json", ".html"), f"{folder.name}/{p.name}"
        data = p.read_bytes()
        assert b"JFIF" not in data and b"\x89PNG" not in data and b"data:image" not in data, f"{folder.name}/{p.name}"
        if p.suffix == ".html":  # user text may say <img> in a CSV or JSON; a page must not show one
            assert b"<img" not in data, f"{folder.name}/{p.name}"


@pytest.fixture(autouse=True)
def sessions_hold_numbers_only(request):
    """After every test that has a tmp_path: each session folder in it (session.json beside
    frames.csv), written in process or by a subprocess, passes :func:`assert_numbers_only`."""
    root = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if root is None:
        return
    for meta in root.rglob("session.json"):
        if (meta.parent / "frames.csv").exists() and not meta.parent.name.startswith("."):
            assert_numbers_only(meta.parent)


def importorneed(module: str, reason: str):
    """:func:`pytest.importorskip` that fails under ``MIMICRY_TEST_STRICT``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        need(False, f"{module} is not installed: {reason}")


@pytest.fixture(autouse=True)
def mediapipe_is_marked(request, monkeypatch):
    """A test that runs MediaPipe in this process carries the ``mediapipe`` marker (so the markers
    can be trusted to select or leave out those tests)."""
    if request.node.get_closest_marker("mediapipe") is None:
        from mimicry.sensing import tracking

        def refuse(self, *args, **kwargs):
            raise AssertionError(f"{request.node.nodeid} runs MediaPipe: mark it @pytest.mark.mediapipe")

        monkeypatch.setattr(tracking.FaceLandmarker, "__init__", refuse)
    yield


def start_xvfb(size: str, *, fbdir: Path | None = None) -> tuple[subprocess.Popen, str]:
    """A virtual X screen (``WIDTHxHEIGHTxDEPTH``) on a display number Xvfb picks itself, free on
    this machine (two test runs at once never share one); returns when it is ready to draw on."""
    read, write = os.pipe()
    args = ["Xvfb", "-displayfd", str(write), "-screen", "0", size, *(["-fbdir", str(fbdir)] if fbdir else [])]
    proc = subprocess.Popen(args, pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()  # Xvfb writes it once it accepts connections
    if not number:
        proc.kill()
        raise RuntimeError(f"Xvfb did not start ({' '.join(args)})")
    return proc, f":{number}"
