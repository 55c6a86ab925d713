"""`mimicry stimuli record`: a guided recording of a volunteer, from a file-backed camera here;
the clips come from the yawns the actor made (found by the signals), with consent recorded."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import YAWNS_S

from mimicry.cli import main
from mimicry.stimuli.library import load_library
from mimicry.stimuli.record import CUES, READY_S, _SlotWriter, cue_at, record_schedule


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_schedule_counts_down_then_alternates_cues():
    cues = record_schedule("yawn")
    assert cues[0].text == "get ready" and cues[0].end_s == READY_S
    assert [c.text for c in cues[1:]] == ["yawn now", "rest"] * 3
    assert all(a.end_s == b.start_s for a, b in zip(cues, cues[1:]))
    assert cues[-1].end_s == READY_S + sum(s for _, s in CUES["yawn"])
    assert cue_at(cues, READY_S + 0.1).text == "yawn now" and cue_at(cues, cues[-1].end_s) is None
    assert [c.text for c in record_schedule("control")][1:] == ["rest: look at the camera, relaxed"]


def test_slot_writer_keeps_the_camera_clock(tmp_path):
    """Frames that come late are held, frames that come early are dropped: the video lasts as
    long as the camera ran."""
    import cv2

    w = _SlotWriter(tmp_path / "v.mp4", 10.0, (32, 24))
    times = [0.0, 0.1, 0.2, 0.5, 0.52, 0.54, 0.6, 0.7]  # a stall after 0.2 s, a burst at 0.5 s
    for k, t in enumerate(times):
        w.add(np.full((24, 32, 3), 30 * k, np.uint8), t)
    w.close()
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    shades = []
    while (got := cap.read())[0]:
        shades.append(int(round(got[1].mean() / 30)))
    assert shades == [0, 1, 2, 2, 2, 3, 6, 7]  # 0.3 and 0.4 hold frame 2; 0.52 and 0.54 dropped


def test_a_camera_that_ends_before_the_cues_adds_nothing(tmp_path, yawning_video):
    lib_dir = tmp_path / "lib"
    r = run(
        "stimuli", "record", "--kind", "yawn", "--camera", yawning_video, "--actor", "V03", "--consent",
        "--license", "lab use", "--library", lib_dir, "--no-window", "--fps", 12, "--size", 160,
    )  # fmt: skip
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1, r.stderr
    assert re.search(r"camera ended at 29\.\d s, before the cues did \(59 s\): 4 of 7 cues", lines[0]), lines[0]
    assert not lib_dir.exists() or not load_library(lib_dir).stimuli


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["--actor", "V03", "--license", "lab use"], "no --consent"),
        (["--actor", "V03", "--license", " ", "--consent"], "--license is required"),
        (["--actor", "Jane Doe", "--license", "lab use", "--consent"], "--actor \\(a pseudonym\\) must be"),
    ],
)
def test_record_refusals_come_before_the_camera_and_add_nothing(tmp_path, args, pattern):
    lib_dir = tmp_path / "lib"
    r = run("stimuli", "record", "--kind", "yawn", "--camera", tmp_path / "none.mp4", "--library", lib_dir, *args)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and re.search(pattern, lines[0]), r.stderr
    assert not lib_dir.exists()


def _twice(video, out):
    """``video`` played twice in a row: 60 s, long enough for the 59 s of yawn cues."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while (got := cap.read())[0]:
        frames.append(got[1])
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames + frames:
        vw.write(f)
    vw.release()
    return out, len(frames) / fps


def test_record_from_a_file_camera_adds_the_yawns_made_with_consent(tmp_path, yawning_video):
    lib_dir = tmp_path / "lib"
    camera, length_s = _twice(yawning_video, tmp_path / "camera.mp4")
    r = run(
        "stimuli", "record", "--kind", "yawn", "--camera", camera, "--actor", "V03", "--consent",
        "--license", "lab use, consent form V03", "--library", lib_dir, "--no-window", "--fps", 12, "--size", 160,
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    clips = load_library(lib_dir).stimuli
    onsets = [*YAWNS_S, *(y + length_s for y in YAWNS_S)]
    assert [s.kind for s in clips] == ["yawn"] * 4  # the four yawns made, not the three cues
    for s, onset in zip(sorted(clips, key=lambda c: c.cut_start_s), onsets):
        assert s.actor == "V03" and s.consent is True and re.fullmatch(r"\d{4}-\d\d-\d\dT.*", s.recorded_at)
        assert s.license == "lab use, consent form V03" and not s.synthetic and "actor V03" in s.source
        assert s.cut_start_s < onset + 0.8 and s.cut_end_s > onset + 5.0
        assert s.id.startswith("yawn-v03-")
    assert run("stimuli", "check", "--library", lib_dir).exit_code == 0
    videos = sorted(p.relative_to(lib_dir).as_posix() for p in lib_dir.rglob("*.mp4"))
    assert videos == sorted(s.file for s in clips)  # the full recording is not kept
