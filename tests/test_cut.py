"""`mimicry stimuli cut`: yawns found by mimicry's own signals become padded, face-centred
clips; controls come from stretches where the face is at rest; refusals leave the library as
it was. The footage is made by the project (a real face warped along known yawn and talking
courses, tests/synth.py): it proves the cutting finds and frames what the signals see, not
that the signals see every real yawn (docs: Signals)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synth
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.stimuli.cut import CutConfig, control_spans, event_spans
from mimicry.stimuli.library import _entry, load_library

DATA = Path(__file__).parent / "data"
from conftest import TALK_S, YAWNS_S  # noqa: E402  (the yawning_video fixture's courses)

TRACKS = [pytest.mark.slow, pytest.mark.mediapipe]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def course_track(t: np.ndarray, yawn: np.ndarray, jaw: np.ndarray, smile=None) -> pd.DataFrame:
    """A track as :func:`mimicry.stimuli.cut.face_track` gives it, from known courses."""
    smile = np.zeros_like(t) if smile is None else smile
    return pd.DataFrame(
        {"t_s": t, "frame": np.arange(t.size), "detected": 1.0, "smile": smile, "yawn": yawn, "jawOpen": jaw}
    ).assign(mouthSmile=smile, cx=100.0, cy=100.0, side=80.0)


def test_event_spans_cover_the_whole_yawn_with_padding_and_merge_overlaps():
    t = np.arange(0, 40, 1 / 25)
    jaw = 0.7 * (synth.yawn_course(t, 5.0) + synth.yawn_course(t, 20.0) + synth.yawn_course(t, 25.5))
    yawn = np.where(jaw > 0.5, 1.0, 0.0)  # the signal: only while wide open
    spans = event_spans(course_track(t, yawn, jaw), "yawn", CutConfig(pad_before_s=1.5, pad_after_s=1.0))
    rest_before = t[np.flatnonzero((jaw < 0.15) & (t < 6))[-1]]
    assert spans[0].kind == "yawn" and spans[0].events == 1
    assert spans[0].start_s == pytest.approx(rest_before - 1.5, abs=0.05)  # from the jaw at rest, not the signal
    rest_after = t[np.flatnonzero((jaw < 0.15) & (t > 8))[0]]
    assert spans[0].end_s == pytest.approx(rest_after + 1.0, abs=0.05)  # back at rest, + 1 s
    # the second and third yawns are 0.5 s apart at rest: their padded clips overlap and merge
    assert len(spans) == 2 and spans[1].events == 2 and spans[1].start_s < 20.0 and spans[1].end_s > 30.5
    two = event_spans(course_track(t, yawn, jaw), "yawn", CutConfig(per_clip=2, pad_before_s=0, pad_after_s=0))
    assert [s.events for s in two] == [2, 1] and two[0].start_s < 6.0 and two[0].end_s > 24.0


def test_control_spans_keep_away_from_events_and_talking():
    t = np.arange(0, 34, 1 / 25)
    jaw = 0.7 * synth.yawn_course(t, 25.0) + np.where((t > 8) & (t < 12), 0.4 * synth.talking_course(t, 4, 8), 0)
    yawn = np.where(jaw > 0.5, 1.0, 0.0)
    track = course_track(t, yawn, jaw)
    got = control_spans(track, [6.0, 6.0, 6.0], CutConfig(control_gap_s=2.0))
    assert [s.kind for s in got] == ["control", "control"]  # in 0-8 s and 12-23 s; no room for a third
    rest_before = t[np.flatnonzero((jaw < 0.15) & (t < 26))[-1]]
    for s in got:
        assert s.end_s - s.start_s == pytest.approx(6.0)
        assert not (s.start_s < 12 and s.end_s > 8)  # never over the talking
        assert s.end_s <= rest_before - 2.0 + 1e-9  # two seconds clear of the whole yawn
    assert got[0].start_s == 0.0 and got[1].start_s >= 12.0
    smiling = course_track(t, np.zeros_like(t), np.zeros_like(t), smile=np.full_like(t, 0.7))
    assert control_spans(smiling, [6.0]) == []


@pytest.mark.slow
@pytest.mark.mediapipe
def test_cut_adds_verified_yawn_and_control_clips(tmp_path, yawning_video):
    lib_dir = tmp_path / "lib"
    args = ["stimuli", "cut", yawning_video, "--kind", "yawn", "--controls", "--library", lib_dir]
    r = run(*args, "--source", "made by tests", "--license", "MIT", "--fps", 12, "--size", 192, "--synthetic")
    assert r.exit_code == 0, r.output
    lib = load_library(lib_dir)
    yawns, controls = lib.of_kind("yawn"), lib.of_kind("control")
    assert [s.id for s in yawns] == ["yawn-yawns-01", "yawn-yawns-02"] and len(controls) >= 1
    for s, onset in zip(yawns, YAWNS_S):
        assert s.cut_from == "yawns.mp4" and s.synthetic and s.license == "MIT"
        assert s.cut_start_s < onset + 0.8 and s.cut_end_s > onset + 5.0  # the whole yawn is inside
        assert (s.width, s.height, s.fps) == (192, 192, 12.0)
        assert s.duration_s == pytest.approx(s.cut_end_s - s.cut_start_s, abs=0.1)
        events = pd.read_csv(lib.events_path(s))
        assert (events.kind == "yawn").sum() == 1  # the clip's own track finds its yawn again
    for s in controls:
        assert s.cut_end_s <= TALK_S[0] or s.cut_start_s >= TALK_S[1]  # no talking
        assert s.cut_end_s <= YAWNS_S[0]  # nor any yawn
        assert not (pd.read_csv(lib.events_path(s)).kind == "yawn").any()
    assert run("stimuli", "check", "--library", lib_dir).exit_code == 0
    # a second cut of the same video is refused before any tracking, the library untouched
    before = (lib_dir / "manifest.toml").read_bytes(), sorted(p.name for p in lib_dir.rglob("*"))
    r = run(*args, "--source", "again", "--license", "MIT")
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and "already in" in lines[0], r.stderr
    assert ((lib_dir / "manifest.toml").read_bytes(), sorted(p.name for p in lib_dir.rglob("*"))) == before


@pytest.mark.parametrize(
    "video, extra, pattern",
    [
        pytest.param("single_face.mp4", [], "no yawn found by mimicry's yawn signal", marks=TRACKS),
        pytest.param("no_face.mp4", [], "no face found", marks=TRACKS),
        ("README.md", [], "cannot open video"),
        ("missing.mp4", [], "video not found"),
        ("single_face.mp4", ["--license", " "], "--source and --license are required"),
    ],
)
def test_cut_refusals_are_one_line_and_leave_the_library_as_it_was(tmp_path, video, extra, pattern):
    lib_dir = tmp_path / "lib"
    load_library(lib_dir, create=True).save()
    before = sorted(p.name for p in lib_dir.rglob("*")), (lib_dir / "manifest.toml").read_bytes()
    args = ["stimuli", "cut", DATA / video, "--kind", "yawn", "--library", lib_dir, "--source", "s", "--license", "MIT"]
    r = run(*args, *extra)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and re.search(pattern, lines[0]), r.stderr
    assert (sorted(p.name for p in lib_dir.rglob("*")), (lib_dir / "manifest.toml").read_bytes()) == before


def test_manifest_synthetic_and_cut_fields_are_checked(tmp_path):
    from mimicry.errors import StimulusError

    good = load_library().stimuli[0]
    text = load_library().manifest.read_text(encoding="utf-8").split("\n[[stimulus]]")[1]
    for line, pattern in (
        ("synthetic = 'yes'", "field 'synthetic' must be true or false"),
        ("cut_start_s = 'x'", "field 'cut_start_s' must be a number"),
    ):
        body = "\n".join(x for x in text.splitlines() if not x.startswith(line.split(" ")[0])) + f"\n{line}\n"
        (tmp_path / "manifest.toml").write_text("[[stimulus]]" + body)
        with pytest.raises(StimulusError, match=pattern):
            load_library(tmp_path)
    shipped = load_library().stimuli  # the flag agrees with each clip's provenance
    assert all(s.synthetic == ("synthesised by" in s.source) for s in shipped)
    assert {s.id for s in shipped if not s.synthetic} == {"smile-man-real", "control-man-real"}
    assert "cut_from" not in _entry(good) and _entry(good)["synthetic"] is False  # cut fields only when cut


def test_keep_audio_copies_the_sound_and_the_clip_still_plays_silently(tmp_path):
    """--keep-audio muxes the source's sound of the span into the clip; mimicry reads the
    frames and ignores the sound (no audio dependency at play time)."""
    import subprocess

    import cv2

    from mimicry.sensing.capture import VideoFileSource
    from mimicry.stimuli.cut import Span, _add_audio

    ffmpeg = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    src = tmp_path / "talk.mp4"
    cmd = [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=4"]
    cmd += ["-f", "lavfi", "-i", "sine=frequency=440:duration=4", "-c:v", "mpeg4", "-c:a", "aac", "-shortest", str(src)]
    subprocess.run(cmd, check=True)
    clip = tmp_path / "clip.mp4"
    vw = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    for _ in range(20):
        vw.write(np.zeros((120, 160, 3), np.uint8))
    vw.release()
    _add_audio(src, clip, Span("yawn", 1.0, 3.0))
    probe = subprocess.run([ffmpeg, "-i", str(clip)], capture_output=True, text=True).stderr
    assert "Audio: aac" in probe and "Video:" in probe
    with VideoFileSource(clip) as s:
        assert sum(1 for _ in s) == 20


@pytest.fixture
def resting_video(tmp_path):
    """30 s of the same face as ``yawning_video`` at rest (12 fps): room for any control."""
    import cv2

    img, xy = synth.neutral_face()
    still = synth.warp_face(img, xy, 0.0, 0.0)
    path = tmp_path / "rest.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 12.0, (img.shape[1], img.shape[0]))
    for _ in range(360):
        vw.write(still)
    vw.release()
    return path


@pytest.mark.slow
@pytest.mark.mediapipe
def test_with_no_room_for_controls_the_yawns_are_cut_and_the_controls_come_from_another_video(
    tmp_path, yawning_video, resting_video
):
    """Issue 32: 11-s clips (3 s of padding) leave no stretch at rest that long in the yawning
    video: its yawns are cut all the same, with a warning; --controls-from takes the controls
    from another video of the same person."""
    base = ["stimuli", "cut", yawning_video, "--kind", "yawn", "--controls", "--pad-before", 3, "--pad-after", 3]
    rest = ["--source", "made by tests", "--license", "MIT", "--fps", 12, "--size", 192, "--synthetic"]
    r = run(*base, "--library", tmp_path / "a", *rest)
    assert r.exit_code == 0, r.output
    lib = load_library(tmp_path / "a")
    n = len(lib.of_kind("yawn"))  # 3 s of padding merge the two yawns into one clip of 18.5 s
    assert n >= 1 and lib.of_kind("control") == []
    (warning,) = [x for x in r.stderr.splitlines() if x.startswith("warning:")]
    assert f"{n} of {n} control clips not made" in warning and "--controls-from" in warning
    r = run(*base, "--library", tmp_path / "b", "--controls-from", resting_video, *rest)
    assert r.exit_code == 0, r.output
    lib = load_library(tmp_path / "b")
    yawns, controls = lib.of_kind("yawn"), lib.of_kind("control")
    assert [s.id for s in controls] == [f"control-yawns-{k:02d}" for k in range(1, n + 1)]
    assert all(c.cut_from == "rest.mp4" for c in controls) and all(y.cut_from == "yawns.mp4" for y in yawns)
    assert sorted(round(c.duration_s) for c in controls) == sorted(round(y.duration_s) for y in yawns)
    assert "warning:" not in r.stderr
