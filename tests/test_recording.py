"""`mimicry run` end to end with a file-backed camera and no window (real time)."""

import html
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import assert_numbers_only, need, start_xvfb

from mimicry.cli import main
from mimicry.stimuli.library import default_library

CLIP = default_library() / "clips" / "smile-man-real.mp4"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def only_session(out):
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert len(folders) == 1
    return folders[0]


@pytest.fixture(autouse=True)
def no_connection_at_all(monkeypatch):
    """Sessions make no network connection, not even on loopback: any attempt fails the test."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    def refuse_inet(original):  # a Unix socket (the X server of the window tests) is no network
        def connect(self, *args):
            if self.family == socket.AF_UNIX:
                return original(self, *args)
            refuse(self, *args)

        return connect

    monkeypatch.setattr(socket.socket, "connect", refuse_inet(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_inet(socket.socket.connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.slow
@pytest.mark.mediapipe
def test_loopback_clocks_are_aligned(tmp_path):
    """The stimulus replayed as the camera: the viewer equals the actor at lag 0."""
    proto = tmp_path / "loop.toml"
    proto.write_text(
        "[protocol]\nname = 'loopback'\nbaseline_s = 0\nisi_s = 0\n[[block]]\nstimulus = 'smile-man-real'\n"
    )
    out = tmp_path / "sessions"
    r = run("run", "--protocol", proto, "--camera", CLIP, "--no-window", "--out", out, "--surrogates", "100")
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    scores = pd.read_csv(folder / "scores.csv")
    row = scores[(scores.block.astype(str) == "all") & (scores.signal == "smile")].iloc[0]
    # the viewer is the actor, frame for frame, from session time 0 on; the clip started when the
    # session got to it (at once when idle, later on a busy machine), so the viewer leads it by that
    ev = pd.read_csv(folder / "events_log.csv")
    start_s = float(ev.loc[ev.event == "block_start", "t_s"].iloc[0])
    assert abs(row.lag_s + start_s) <= 1 / 30 + 1e-9 and row.r_peak >= 0.99
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["camera"] == {"file": str(CLIP)}
    # a busy machine may skip camera frames: each is counted and listed (the rule), never silent
    assert meta["camera_frames_dropped"] == meta["timing"]["frames_skipped"] == events_skipped(folder)
    for name in ("frames.csv", "stimulus_log.csv", "events_log.csv", "contagion.csv", "events.csv", "report.html"):
        assert (folder / name).is_file()
    assert_numbers_only(folder)


def test_two_blocks_with_baseline_and_pause_follow_the_protocol(tmp_path, short_library):
    proto = tmp_path / "two.toml"
    proto.write_text(
        "[protocol]\nbaseline_s = 1.5\nisi_s = 2.0\n[[block]]\nstimulus = 'smile-short'\n"
        "[[block]]\nstimulus = 'control-short'\n"
    )
    out = tmp_path / "sessions"
    r = run(
        "run",
        "--protocol",
        proto,
        "--camera",
        CLIP,
        "--no-window",
        "--out",
        out,
        "--library",
        short_library,
        "--surrogates",
        "20",
        "--participant",
        "T-01",
    )
    assert r.exit_code == 0, r.stderr
    assert "note: every clip here is synthetic" in r.stderr  # the short library's clips are animated
    folder = only_session(out)
    assert "_T-01_" in folder.name
    log = pd.read_csv(folder / "stimulus_log.csv")
    ev = pd.read_csv(folder / "events_log.csv")
    (s0, s1), (e0, e1) = (ev.loc[ev.event == e, "t_s"].to_numpy() for e in ("block_start", "block_end"))
    # on schedule: after the 1.5 s baseline, the second 2 s after the first clip's 6 s (a busy machine
    # starts a clip late, never early)
    assert s0 >= 1.5 - 1 / 30 and s1 - e0 >= 2.0 - 1 / 30 and e0 - s0 >= 6.0 - 1 / 30
    assert log.groupby("block").stimulus_frame.max().tolist() == [149, 149]
    dropped = events_drops(folder, per_block=True)
    assert all(len(log[log.block == k]) + dropped.get(k, 0) == 150 for k in (0, 1))  # shown or logged as dropped
    frames = pd.read_csv(folder / "frames.csv")
    t, b = frames.t_s, frames.block
    assert b[(t > s0 + 0.05) & (t < e0 - 0.05)].eq(0).all() and b[(t > s1 + 0.05) & (t < e1 - 0.05)].eq(1).all()
    assert b[(t > e0 + 0.05) & (t < s1 - 0.05)].isna().all() and b[t < s0 - 0.05].isna().all()
    meta = json.loads((folder / "session.json").read_text())
    assert [x["stimulus_id"] for x in meta["blocks"]] == ["smile-short", "control-short"]
    assert [x["synthetic"] for x in meta["blocks"]] == [True, True]
    assert meta["protocol"]["baseline_s"] == 1.5 and "model_sha256" in meta and meta["participant"] == "T-01"


def test_interrupted_session_is_aborted_with_data_kept(tmp_path, short_library):
    proto = tmp_path / "two.toml"
    proto.write_text("[protocol]\nbaseline_s = 1\nisi_s = 1\n[[block]]\nkind = 'smile'\n[[block]]\nkind = 'control'\n")
    out = tmp_path / "sessions"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mimicry",
            "run",
            "--protocol",
            str(proto),
            "--camera",
            str(CLIP),
            "--no-window",
            "--out",
            str(out),
            "--library",
            str(short_library),
            "--surrogates",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        folders = list(out.glob("*/frames.csv")) if out.exists() else []
        try:
            if folders and len(pd.read_csv(folders[0])) > 60:
                break
        except pd.errors.EmptyDataError:  # header not flushed yet
            pass
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130, proc.stderr.read().decode()  # interrupted, as a shell expects
    assert re.search(r"session aborted \(interrupted\): what was recorded is kept in", proc.stderr.read().decode())
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "aborted"
    assert len(pd.read_csv(folder / "frames.csv")) > 60
    assert "abort" in set(pd.read_csv(folder / "events_log.csv").event)


@pytest.mark.parametrize(
    "case, pattern",
    [
        ("missing_protocol", "protocol not found"),
        ("broken_protocol", "TOML syntax error"),
        ("negative", "baseline_s"),
        ("unknown_id", "unknown stimulus"),
        ("camera", "camera 7"),
        ("corrupt_video", "corrupt"),
        ("participant", "participant id"),
        ("out_is_file", "not a folder"),
        ("window", "no display .*--no-window"),
    ],
)
def test_bad_input_one_line_no_session_folder(tmp_path, case, pattern, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    good = tmp_path / "p.toml"
    good.write_text("[protocol]\n[[block]]\nkind = 'smile'\n")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(20000))
    out = tmp_path / "sessions"
    args = {"protocol": good, "camera": CLIP, "out": out, "participant": "P-1"}
    extra = ["--no-window"]
    if case == "missing_protocol":
        args["protocol"] = tmp_path / "none.toml"
    elif case == "broken_protocol":
        (tmp_path / "b.toml").write_text("[protocol\n")
        args["protocol"] = tmp_path / "b.toml"
    elif case == "negative":
        (tmp_path / "n.toml").write_text("[protocol]\nbaseline_s = -1\n[[block]]\nkind = 'smile'\n")
        args["protocol"] = tmp_path / "n.toml"
    elif case == "unknown_id":
        (tmp_path / "u.toml").write_text("[protocol]\n[[block]]\nstimulus = 'nope'\n")
        args["protocol"] = tmp_path / "u.toml"
    elif case == "camera":
        args["camera"] = "7"
    elif case == "corrupt_video":
        args["camera"] = junk
    elif case == "participant":
        args["participant"] = "../etc"
    elif case == "out_is_file":
        out.write_text("not a folder")
    elif case == "window":
        extra = []
    r = run("run", *[x for k, v in args.items() for x in (f"--{k}", v)], *extra)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code != 0 and lines and lines[-1].startswith("Error:"), r.stderr
    assert len([x for x in lines if x.startswith("Error:")]) == 1 and "Traceback" not in r.stderr
    import re

    assert re.search(pattern, lines[-1]), lines[-1]
    assert not out.is_dir() or not any(out.iterdir())


@pytest.fixture
def xvfb():
    """A virtual X screen for window tests (Xvfb and xdotool from Debian; .ci/run installs them)."""
    import shutil

    need(
        bool(shutil.which("Xvfb") and shutil.which("xdotool")),
        "Xvfb and xdotool are needed for window tests (apt-get install xvfb xdotool)",
    )
    proc, display = start_xvfb("1280x800x24")
    yield display
    proc.terminate()
    proc.wait(10)


def _xdo(display, *args):
    return subprocess.run(["xdotool", *args], env=dict(os.environ, DISPLAY=display), capture_output=True, text=True)


def test_window_session_pauses_resumes_and_aborts_on_a_key(tmp_path, short_library, xvfb):
    proto = tmp_path / "w.toml"
    proto.write_text(
        "[protocol]\nbaseline_s = 1\nisi_s = 1\n[[block]]\nstimulus = 'smile-short'\n"
        "[[block]]\nstimulus = 'control-short'\n"
    )
    out = tmp_path / "sessions"
    env = dict(os.environ, DISPLAY=xvfb, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mimicry",
            "run",
            "--protocol",
            str(proto),
            "--camera",
            str(CLIP),
            "--out",
            str(out),
            "--library",
            str(short_library),
            "--surrogates",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 120  # a cap for a hang: a busy machine opens the window late
    win = ""
    while time.monotonic() < deadline and not win:
        win = _xdo(xvfb, "search", "--name", "mimicry").stdout.strip().split("\n")[0]
        time.sleep(0.3)
    assert win, "no mimicry window appeared"
    _xdo(xvfb, "windowfocus", win)
    shown = _stimulus_rows_once(out, at_least=10)  # into the first clip, however slow the machine
    _xdo(xvfb, "key", "space")
    time.sleep(1.5)
    _xdo(xvfb, "key", "space")
    _stimulus_rows_once(out, at_least=shown + 20)  # the clip plays on after the pause
    _xdo(xvfb, "key", "q")
    assert proc.wait(60) == 0, proc.stderr.read().decode()
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "aborted" and meta["window"]["size"] == [1280, 720]
    events = pd.read_csv(folder / "events_log.csv")
    assert ["pause", "resume", "key", "abort"] == [e for e in events.event if e in ("pause", "resume", "key", "abort")]
    t_pause, t_resume = (float(events.loc[events.event == e, "t_s"].iloc[0]) for e in ("pause", "resume"))
    pause = float(events.loc[events.event == "resume", "detail"].iloc[0].split()[0])
    assert pause == pytest.approx(t_resume - t_pause, abs=0.01) and pause > 0.1
    log = pd.read_csv(folder / "stimulus_log.csv")
    assert len(log) > 25 and len(pd.read_csv(folder / "frames.csv")) > 60  # data kept
    # the pause shifted the clip: the frame shown after it follows the last one shown before it
    # (had the clip run on, it would jump by the pause's length, pause * 30 frames)
    before = log[log.t_s < t_pause].iloc[-1]
    after = log[log.t_s > t_resume].iloc[0]
    assert after.block == before.block and before.kind == "smile"
    assert 0 < after.stimulus_frame - before.stimulus_frame < max(2, pause * 30 / 2)
    assert not log.t_s.between(t_pause, t_resume).any()  # nothing shown during the pause


def events_drops(folder, *, per_block: bool = False):
    """The stimulus frames a session's events_log.csv says the display dropped (or, ``per_block``,
    a dict of them by block)."""
    events = pd.read_csv(folder / "events_log.csv")
    drops = events[events.event == "stimulus_drop"].assign(n=lambda d: d.detail.astype(int))
    if per_block:
        return {int(k): int(v) for k, v in drops.groupby("block").n.sum().items()}
    return int(drops.n.sum())


def events_skipped(folder) -> int:
    """The camera frames a session's events_log.csv lists as skipped (``frames_skipped`` events)."""
    events = pd.read_csv(folder / "events_log.csv", keep_default_na=False)
    details = events.loc[events.event == "frames_skipped", "detail"]
    return sum(int(d.split(" camera frames skipped")[0]) for d in details)


def _stimulus_rows_once(out, *, at_least: int) -> int:
    """Wait (up to a minute) until the session's stimulus_log.csv has ``at_least`` rows; their number."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = list(out.glob("*/stimulus_log.csv"))
        rows = len(logs[0].read_text().splitlines()) - 1 if logs else 0
        if rows >= at_least:
            return rows
        time.sleep(0.1)
    raise AssertionError(f"the stimulus log did not reach {at_least} rows")


def test_record_video_only_when_asked(tmp_path, short_library):
    proto = tmp_path / "one.toml"
    proto.write_text("[protocol]\nbaseline_s = 0.5\n[[block]]\nstimulus = 'control-short'\n")
    out = tmp_path / "sessions"
    r = run(
        "run",
        "--protocol",
        proto,
        "--camera",
        CLIP,
        "--no-window",
        "--out",
        out,
        "--library",
        short_library,
        "--surrogates",
        "20",
        "--record-video",
    )
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["record_video"] is True and meta["video_file"] == "camera.mp4"
    import cv2

    cap = cv2.VideoCapture(str(folder / "camera.mp4"))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    # one video frame per tracked camera frame (frames.csv's times are theirs), ~6.5 s at 30 fps; a
    # busy machine's skipped frames (counted in camera_frames_dropped) are in neither
    assert abs(n - meta["camera_frames"]) <= 3 and n > 150 - meta["camera_frames_dropped"]
    images = [p.name for p in folder.iterdir() if p.suffix in (".mp4", ".avi", ".png", ".jpg")]
    assert images == ["camera.mp4"]


@pytest.mark.slow
@pytest.mark.mediapipe
def test_sample_viewer_runs_the_whole_pipeline(tmp_path):
    """`mimicry run --camera sample`: the bundled viewer yawns after the stimulus yawns, smiles
    after the actor's smiles, and does neither during the control clip."""
    out = tmp_path / "sessions"
    r = run("run", "--camera", "sample", "--no-window", "--out", out, "--surrogates", "200")
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    c = pd.read_csv(folder / "contagion.csv").iloc[0]
    assert c.stimulus_yawns == 2 and c.contagious_yawns == 2
    assert c.yawns_yawn_blocks >= 1 and c.yawns_control_blocks == 0
    lat = [float(x) for x in c.latencies_s.split(";")]
    assert all(3.0 < x < 5.5 for x in lat), lat
    assert c.smile_response > 0.2 and c.actor_smiles == 4
    scores = pd.read_csv(folder / "scores.csv")
    row = scores[(scores.block.astype(str) == "all") & (scores.signal == "smile") & (scores.kind == "smile")].iloc[0]
    assert 0.5 <= row.lag_s <= 1.3 and row.r_peak > 0.5
    # the headline: smile mimicry detected by the primary test, and the report's first sentence says so
    v = pd.read_csv(folder / "verdicts.csv").set_index("measure")
    said = re.search(
        r"mimicry index \d+/100 \(95% interval \d+ to \d+; from the smile test(?: alone)? \((\d+) smiles", r.output
    )
    assert said and int(said[1]) == v.loc["smile_mimicry", "n_events"], r.output  # what the index rests on
    assert v.loc["smile_mimicry", "verdict"] == "detected" and v.loc["smile_mimicry", "p_value"] < 0.05
    assert "face 0 smile mimicry: detected" in r.output
    page = (folder / "report.html").read_text(encoding="utf-8")
    first = html.unescape(re.search(r"<div class=\"summary\"><p>(.*?)</p>", page).group(1))
    assert first.startswith("Smiles: You smiled along with the video") and first.endswith("Smile mimicry detected.")


def test_window_session_completes(tmp_path, short_library, xvfb):
    proto = tmp_path / "one.toml"
    proto.write_text("[protocol]\nbaseline_s = 1\n[[block]]\nstimulus = 'smile-short'\n")
    out = tmp_path / "sessions"
    env = dict(os.environ, DISPLAY=xvfb)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mimicry",
            "run",
            "--protocol",
            str(proto),
            "--camera",
            str(CLIP),
            "--out",
            str(out),
            "--library",
            str(short_library),
            "--surrogates",
            "20",
            "--fullscreen",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["window"] == {"size": [1280, 720], "fullscreen": True}
    log = pd.read_csv(folder / "stimulus_log.csv")
    drops = events_drops(folder)
    assert log.stimulus_frame.max() == 149 and len(log) + drops == 150  # every frame shown or logged as dropped
    assert meta["timing"]["stimulus_frames_missed"] == drops
    # the clip after the 1 s baseline (countdown before t = 0), its first frame shown then or, on a busy
    # machine, a little later: never during the baseline
    assert 1.0 - 1 / 30 <= log.t_s.min() <= 2.0


def _close_like_a_window_manager(display: str, title: str) -> int:
    """Send WM_DELETE_WINDOW to every top-level window called ``title``, as a window manager does
    when its close button is clicked (Xvfb has no window manager). Returns how many were asked."""
    from Xlib import X
    from Xlib import display as xdisplay
    from Xlib.protocol import event

    d = xdisplay.Display(display)
    wm_protocols, wm_delete = d.intern_atom("WM_PROTOCOLS"), d.intern_atom("WM_DELETE_WINDOW")
    asked = 0
    stack = [d.screen().root]
    while stack:
        w = stack.pop()
        stack.extend(w.query_tree().children)
        try:
            name = w.get_wm_name()
            protocols = w.get_wm_protocols() or []
        except Exception:  # a window that went away meanwhile
            continue
        if name and title in str(name) and wm_delete in protocols:
            w.send_event(
                event.ClientMessage(window=w, client_type=wm_protocols, data=(32, [wm_delete, X.CurrentTime, 0, 0, 0]))
            )
            asked += 1
    d.flush()
    d.close()
    return asked


def test_closing_the_window_aborts_the_session_and_keeps_its_data(tmp_path, short_library, xvfb):
    """The window's close button (Alt-F4): the session ends as ``aborted`` like on Esc, data kept."""
    out = tmp_path / "sessions"
    env = dict(os.environ, DISPLAY=xvfb, PYTHONUNBUFFERED="1")
    proto = tmp_path / "one.toml"
    proto.write_text("[protocol]\nbaseline_s = 1\n[[block]]\nstimulus = 'smile-short'\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mimicry",
            "run",
            "--protocol",
            str(proto),
            "--camera",
            str(CLIP),
            "--out",
            str(out),
            "--library",
            str(short_library),
            "--surrogates",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _xdo(xvfb, "search", "--name", "mimicry").stdout.strip():
        time.sleep(0.3)
    deadline = time.monotonic() + 60  # until the clip has played for about a second
    while time.monotonic() < deadline:
        logs = list(out.glob("*/stimulus_log.csv"))
        if logs and logs[0].read_text().count("\n") > 1 + 25:
            break
        time.sleep(0.1)
    assert _close_like_a_window_manager(xvfb, "mimicry") >= 1
    assert proc.wait(60) == 0, proc.stderr.read().decode()
    folder = only_session(out)
    assert json.loads((folder / "session.json").read_text())["status"] == "aborted"
    events = pd.read_csv(folder / "events_log.csv")
    assert "abort" in set(events.event)
    assert len(pd.read_csv(folder / "stimulus_log.csv")) > 10 and len(pd.read_csv(folder / "frames.csv")) > 30


@pytest.mark.slow
@pytest.mark.mediapipe
def test_calibration_phase_records_the_faces_range_and_is_left_out(tmp_path, short_library, cued_viewer):
    proto = tmp_path / "cal.toml"
    proto.write_text("[protocol]\ncalibration = true\nbaseline_s = 0.5\n[[block]]\nstimulus = 'control-short'\n")
    out = tmp_path / "sessions"
    r = run(
        "run",
        "--protocol",
        proto,
        "--camera",
        cued_viewer,
        "--no-window",
        "--out",
        out,
        "--library",
        short_library,
        "--surrogates",
        "20",
    )
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    cal = meta["calibration"]
    assert [c["cue"] for c in cal["cues"]] == ["smile", "open", "relaxed"] and meta["protocol"]["calibration"]
    assert cal["end_s"] == pytest.approx(15.0, abs=0.2)
    face = cal["faces"][0]
    assert face["usable"] == 1, face
    assert face["smile_max"] - face["smile_rest"] > 0.3 and face["mouth_open_max"] - face["mouth_open_rest"] > 0.3
    events = pd.read_csv(folder / "events_log.csv")
    # the session's own events (a busy machine may log frames_skipped or a camera gap between them)
    own = [e for e in events.event if e == "session_start" or e.startswith("calibration")]
    assert own[:6] == [
        "session_start",
        "calibration_start",
        "calibration_cue",
        "calibration_cue",
        "calibration_cue",
        "calibration_end",
    ]
    base = events[events.event == "baseline_start"].t_s.iloc[0]
    block = events[events.event == "block_start"].t_s.iloc[0]
    assert base == pytest.approx(cal["end_s"], abs=0.01) and block == pytest.approx(cal["end_s"] + 0.5, abs=0.05)
    # the wide-open mouth is in frames.csv as a yawn, but not in the analysis
    frames = pd.read_csv(folder / "frames.csv")
    assert frames[(frames.t_s > 6.5) & (frames.t_s < 9)].yawn.max() > 0.5
    ev = pd.read_csv(folder / "events.csv")
    assert not ((ev.source == "viewer") & (ev.onset_s < cal["end_s"])).any()
    assert pd.read_csv(folder / "calibration.csv").usable.tolist() == [1]
    r = run("analyze", folder, "--calibrated", "--surrogates", "20")
    assert r.exit_code == 0, r.stderr
    assert json.loads((folder / "analysis_config.json").read_text())["analysis"]["calibrated"] is True


def test_calibrated_analysis_of_a_session_without_calibration_is_one_line(tmp_path):
    from mimicry.session.folder import write_session
    from mimicry.session.simulate import simulate_session

    s = simulate_session(seed=2)
    folder = write_session(tmp_path / "s", s.frames, s.stimulus_log, s.meta)
    r = run("analyze", folder, "--calibrated")
    assert r.exit_code != 0 and r.output.strip().count("\n") == 0
    assert "no calibration phase" in r.output and not (folder / "verdicts.csv").exists()
