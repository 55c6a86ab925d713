"""Markers from another process over Lab Streaming Layer (mimicry.interop.markers): a presenter
(tests/presenter.py, a pylsl outlet standing in for PsychoPy) marks the clips while `mimicry
record` films; the session is the one `run` and `import` make of the same viewer. Loopback only
(conftest.py sets LSLAPICFG for this process and those it starts)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_imported import SAMPLE, SAMPLE_ONSETS, events_tsv

from mimicry.cli import main

PRESENTER = Path(__file__).with_name("presenter.py")
DURATIONS_S = {"smile-man-real": 24.0, "yawn-man-a": 24.0, "control-man-real": 26.0}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def only_session(out):
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def presenter(sessions: Path, *markers: str, name: str, vanish_at: float | None = None) -> subprocess.Popen:
    extra = [] if vanish_at is None else ["--vanish-at", str(vanish_at)]
    return subprocess.Popen([sys.executable, str(PRESENTER), str(sessions), *markers, "--name", name, *extra])


def unique_name() -> str:
    """A presenter stream's name no other test (or test run on this machine) uses."""
    return f"presenter-{uuid.uuid4().hex[:8]}"


@pytest.mark.slow
@pytest.mark.mediapipe
def test_a_viewer_recorded_with_live_lsl_markers_gets_the_verdicts_of_the_imported_one(tmp_path, pylsl):
    """The done-when of issue 30: the sample viewer replayed as the camera, another process
    marking the clips over LSL at their true times (stamped like PsychoPy's flips); the verdicts
    are those of the same viewer imported with the same onsets."""
    out = tmp_path / "rec"
    plan = []
    for sid, t in SAMPLE_ONSETS:
        plan += [f"onset:{sid}@{t}", f"offset:{sid}@{t + DURATIONS_S[sid]}"]
    name = unique_name()
    proc = presenter(out, *plan, "end@86", name=name)
    try:
        r = run("record", "--camera", "sample", "--markers", "lsl", "--marker-stream", name, "--out", out,
                "--surrogates", "200")  # fmt: skip
    finally:
        proc.wait(timeout=60)
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["markers"]["stream"] == name
    onsets = [(b["stimulus_id"], b["onset_s"]) for b in meta["blocks"]]
    assert [sid for sid, _ in onsets] == [sid for sid, _ in SAMPLE_ONSETS]
    assert [t for _, t in onsets] == pytest.approx([t for _, t in SAMPLE_ONSETS], abs=0.005)  # the stamps, not arrival
    r = run("import", SAMPLE, "--events", events_tsv(tmp_path / "e.tsv", SAMPLE_ONSETS), "--out", tmp_path / "imp",
            "--surrogates", "200")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    verdicts = (
        pd.read_csv(f / "verdicts.csv").set_index("measure").verdict for f in (folder, only_session(tmp_path / "imp"))
    )
    recorded, imported = verdicts
    assert recorded.to_dict() == imported.to_dict() and recorded["smile_mimicry"] == "detected"


@pytest.mark.mediapipe
def test_a_presenter_that_vanishes_is_logged_and_nothing_is_lost(tmp_path, cued_viewer, short_library, pylsl):
    """PsychoPy-style markers; the presenter dies 3 s in: the recording goes on to the camera's end,
    the clip on screen ends with the session, and session.json says what happened."""
    out = tmp_path / "s"
    name = unique_name()
    proc = presenter(out, "smile-short.started@1.0", "fixation.started@2.0", name=name, vanish_at=3.0)
    try:
        r = run("record", "--camera", cued_viewer, "--markers", "lsl", "--marker-stream", name, "--marker-style",
                "psychopy", "--out", out, "--library", short_library, "--surrogates", "50")  # fmt: skip
    finally:
        proc.wait(timeout=60)
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete"
    assert any("marker stream stopped" in w for w in meta["warnings"])
    assert any("'fixation'" in w for w in meta["warnings"])  # a component that is no clip: kept as a marker
    log = pd.read_csv(folder / "events_log.csv", keep_default_na=False)
    assert "markers_lost" in log.event.tolist() and "fixation.started" in log.detail.tolist()
    assert meta["blocks"][0]["onset_s"] == pytest.approx(1.0, abs=0.005)
    assert meta["blocks"][0]["duration_s"] == pytest.approx(6.0, abs=0.05)  # shown whole: nobody said it stopped
    assert pd.read_csv(folder / "frames.csv").t_s.max() > 20  # the camera's 22 s are all there


XDF_RECORDER = Path(__file__).with_name("xdf_recorder.py")


@pytest.mark.slow
@pytest.mark.mediapipe
def test_an_xdf_recorded_by_labrecorder_imports_to_the_same_session(tmp_path, pylsl):
    """The lab's way: `mimicry record --lsl` streams the viewer's signals, another process marks
    the clips, and LabRecorder's own recorder (the labrecorder package) writes everything to XDF;
    `mimicry import` of that file gives the blocks and the verdicts of the session itself."""
    pytest.importorskip("labrecorder")
    pytest.importorskip("pyxdf")
    out, xdf, stop = tmp_path / "rec", tmp_path / "sub-P01_task-mimicry.xdf", tmp_path / "stop"
    plan = []
    for sid, t in SAMPLE_ONSETS:
        plan += [f"onset:{sid}@{t}", f"offset:{sid}@{t + DURATIONS_S[sid]}"]
    name = unique_name()
    recorder = subprocess.Popen([sys.executable, str(XDF_RECORDER), str(xdf), str(stop), name])
    proc = presenter(out, *plan, "end@86", name=name)
    try:
        r = run("record", "--camera", "sample", "--markers", "lsl", "--marker-stream", name, "--lsl",
                "--out", out, "--surrogates", "200")  # fmt: skip
    finally:
        proc.wait(timeout=60)
        stop.touch()
        recorder.wait(timeout=60)
    assert r.exit_code == 0, r.stderr
    assert recorder.returncode == 0 and xdf.is_file()
    recorded = only_session(out)
    r = run("import", xdf, "--marker-stream", name, "--out", tmp_path / "imp", "--surrogates", "200")
    assert r.exit_code == 0, r.stderr
    imported = only_session(tmp_path / "imp")
    meta = json.loads((imported / "session.json").read_text())
    assert meta["imported"]["marker_stream"] == name and meta["imported"]["face_stream"] == "mimicry"
    live = json.loads((recorded / "session.json").read_text())
    shift = live["markers"]["lsl_time_at_session_0_s"] - meta["imported"]["lsl_time_at_session_0_s"]
    assert [b["stimulus_id"] for b in meta["blocks"]] == [b["stimulus_id"] for b in live["blocks"]]
    onsets = [b["onset_s"] for b in meta["blocks"]]
    assert onsets == pytest.approx([b["onset_s"] + shift for b in live["blocks"]], abs=0.002)  # one clock
    frames = pd.read_csv(imported / "frames.csv")
    assert len(frames) >= 0.95 * len(pd.read_csv(recorded / "frames.csv"))
    verdicts = (pd.read_csv(f / "verdicts.csv").set_index("measure").verdict for f in (recorded, imported))
    assert next(verdicts).to_dict() == next(verdicts).to_dict()
