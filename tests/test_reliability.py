"""Faults a session must survive, bad input that must be refused, and privacy guarantees.

The Reliability page of the docs (docs/methods/reliability.md) points at these tests.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import importorneed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mimicry.cli import main
from mimicry.errors import MimicryError, SessionError
from mimicry.schema import TRACK
from mimicry.session.engine import create_session_folder
from mimicry.session.folder import repair_session, trim_partial_line
from mimicry.stimuli.library import default_library, load_library
from mimicry.stimuli.protocol import load_protocol
from mimicry.writers import CsvWriter

CAMERA = default_library() / "clips" / "smile-man-real.mp4"
INJECTION = '=HYPERLINK("x")'
CSVS = ("frames.csv", "stimulus_log.csv", "events_log.csv")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _protocol(tmp_path: Path, name: str = "one") -> Path:
    p = tmp_path / "one.toml"
    p.write_text(
        f"[protocol]\nname = {json.dumps(name)}\nbaseline_s = 1.0\n[[block]]\nstimulus = 'smile-short'\n",
        encoding="utf-8",
    )
    return p


def _start_run(tmp_path: Path, library: Path, name: str = "one", preexec=None) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "sessions"
    cmd = [
        sys.executable,
        "-m",
        "mimicry",
        "run",
        "--protocol",
        str(_protocol(tmp_path, name)),
        "--camera",
        str(CAMERA),
        "--no-window",
        "--out",
        str(out),
        "--library",
        str(library),
        "--surrogates",
        "20",
    ]
    p = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=preexec
    )
    return p, out


def _session_folder(out: Path, timeout_s: float = 60) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("no session folder appeared")


@pytest.mark.slow
def test_sigkill_loses_about_a_second_and_the_session_is_repaired(tmp_path, short_library):
    p, out = _start_run(tmp_path, short_library, name=INJECTION)
    folder = _session_folder(out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the clip has played for ~2.5 s
        log = (folder / "stimulus_log.csv").read_text() if (folder / "stimulus_log.csv").exists() else ""
        if log.count("\n") > 1 + 60:
            break
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    assert json.loads((folder / "session.json").read_text())["status"] == "running"
    for name in CSVS:  # whole lines only, readable as they are
        raw = (folder / name).read_bytes()
        assert raw.endswith(b"\n"), name
        read(folder / name)
    frames, stim = read(folder / "frames.csv"), read(folder / "stimulus_log.csv")
    lost_s = float(stim.t_s.max() - frames.t_s.max())
    print(
        f"\nSIGKILL: last stimulus row at {stim.t_s.max():.2f} s, last camera row at {frames.t_s.max():.2f} s: "
        f"{lost_s:.2f} s of camera rows lost (1 s of it is the yawn filter's look-ahead)"
    )
    assert frames.t_s.max() > 2.0 and lost_s <= 1.0 + 0.25 + 0.35
    # the protocol name is text from the user: guarded in the CSV
    events = read(folder / "events_log.csv").set_index("event")
    assert events.loc["session_start", "detail"] == "'" + INJECTION

    r = run("sessions", "repair", folder)
    assert r.exit_code == 0 and "marked crashed" in r.output, r.output
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "crashed" and meta["duration_s"] == pytest.approx(stim.t_s.max(), abs=0.5)
    assert read(folder / "events_log.csv").event.iloc[-1] == "session_end"
    assert run("sessions", "repair", folder).output.endswith("crashed, nothing to repair\n")
    r = run("report", folder)
    assert r.exit_code == 0, r.output
    assert "Incomplete session (crashed)" in (folder / "report.html").read_text(encoding="utf-8")
    r = run("summary", out)
    assert r.exit_code == 0
    cell = read(out / "summary.csv").protocol.iloc[0]
    assert cell == "'" + INJECTION


def test_analyze_repairs_a_killed_session(tmp_path):
    from mimicry.session.folder import write_session
    from mimicry.session.simulate import simulate_session

    s = simulate_session(blocks=("smile", "control"), seed=2, end_s=40.0)
    meta = {
        **s.meta,
        "status": "running",
        "pid": 2**22 + 7,
        "host": socket.gethostname(),
        "start_time": "2026-11-25T14:00:00+00:00",
    }
    folder = write_session(tmp_path / "s", s.frames, s.stimulus_log, meta)
    with open(folder / "frames.csv", "a") as f:
        f.write("39.99,1199,0,1,1,0.2")  # half a row: the process died mid-write
    r = run("analyze", folder, "--surrogates", "20")
    assert r.exit_code == 0, r.stderr
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "crashed" and meta["end_time"] == "2026-11-25T14:00:39+00:00"
    assert (folder / "frames.csv").read_bytes().endswith(b"\n")
    assert "'crashed'" in r.stderr  # analyze says the session is incomplete


def test_repair_refuses_a_session_still_recording(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    meta = {
        "session_id": "x",
        "participant": "P",
        "status": "running",
        "camera_fps": 30.0,
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }
    (folder / "session.json").write_text(json.dumps(meta))
    with pytest.raises(SessionError, match="still recording"):
        repair_session(folder)
    r = run("sessions", "repair", folder)
    assert r.exit_code == 1 and "still recording" in r.stderr


def test_trim_partial_line(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"a,b\n1,2\n3,")
    assert trim_partial_line(p) == 2 and p.read_bytes() == b"a,b\n1,2\n"
    assert trim_partial_line(p) == 0
    p.write_bytes(b"no newline at all")
    assert trim_partial_line(p) == 17 and p.read_bytes() == b""


def _limit_file_size(limit_bytes: int):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return preexec


@pytest.mark.slow
def test_disk_full_stops_with_a_clear_message_and_keeps_whole_lines(tmp_path, short_library):
    # every file may grow to 60 kB: frames.csv (~0.6 kB a tracked frame) hits it after ~100 frames,
    # which even a busy machine that tracks half of the 7 s session's 210 frames reaches
    p, out = _start_run(tmp_path, short_library, preexec=_limit_file_size(60_000))
    _stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 1, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cannot write" in errors[0] and "frames.csv" in errors[0] and "intact" in errors[0]
    assert "Traceback" not in stderr
    folder = _session_folder(out)
    for name in CSVS:
        assert (folder / name).read_bytes().endswith(b"\n"), name
        read(folder / name)
    frames = read(folder / "frames.csv")
    assert len(frames) > 30 and (folder / "frames.csv").stat().st_size <= 60_000
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "crashed" and "cannot write" in meta["error"]


def test_writer_cuts_back_to_whole_lines_when_a_write_fails(tmp_path):
    code = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))
from mimicry.writers import CsvWriter
from mimicry.schema import TRACK
from mimicry.errors import OutputError
w = CsvWriter(sys.argv[1], TRACK, flush_s=0.0, partial=False)
try:
    for i in range(1000):
        w.write({"t_s": i / 30, "frame": i, "face": 0, "detected": 1, "smile": 0.5})
except OutputError as e:
    print("refused after", w.rows, "rows:", e)
w.close()
"""
    out = tmp_path / "t.csv"
    r = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60)
    assert "refused after" in r.stdout and "intact" in r.stdout, r.stdout + r.stderr
    raw = out.read_bytes()
    assert raw.endswith(b"\n") and len(raw) <= 5000
    df = read(out)
    assert list(df.frame) == list(range(len(df))) and len(df) > 5


def test_flush_if_due_hands_buffered_rows_to_the_os(tmp_path):
    w = CsvWriter(tmp_path / "t.csv", TRACK, flush_s=0.2, partial=False)
    w.write({"t_s": 0.0, "frame": 0})
    assert (tmp_path / "t.csv").read_text().count("\n") == 1  # header only, the row is buffered
    time.sleep(0.25)
    w.flush_if_due()  # what the session's timer calls (tested in a real session below)
    assert (tmp_path / "t.csv").read_text().count("\n") == 2
    w.close()


def test_concurrent_session_folders_never_collide(tmp_path):
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor

    now = dt.datetime(2026, 11, 25, 14, 0, 0)
    with ThreadPoolExecutor(8) as pool:
        folders = list(pool.map(lambda _: create_session_folder(tmp_path, "P01", now), range(40)))
    assert len(set(folders)) == 40 and all(f.is_dir() for f in folders)
    mode = stat.S_IMODE(folders[0].stat().st_mode)
    assert mode & 0o077 == 0  # user-only


# -- bad input: parsers never crash ----------------------------------------------------------------

_toml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "name",
        "baseline_s",
        "isi_s",
        "order",
        "seed",
        "stimulus",
        "kind",
        "repeat",
        "id",
        "file",
        "fps",
        "duration_s",
        "width",
        "height",
        "sha256",
        "source",
        "license",
        "description",
        "x",
    ]
)


def _dump(doc) -> str:
    import tomli_w

    def clean(v):  # TOML has no null
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [clean(x) for x in v if x is not None]
        return v

    try:
        return tomli_w.dumps(clean(doc))
    except (TypeError, ValueError):
        return "[protocol]\n"


_protocol_docs = st.fixed_dictionaries(
    {
        "protocol": st.dictionaries(_keys, _toml_values, max_size=6),
        "block": st.lists(st.dictionaries(_keys, _toml_values, max_size=4), max_size=4),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_protocol_docs)
def test_protocol_parser_never_crashes_on_structured_input(tmp_path, doc):
    p = tmp_path / "p.toml"
    p.write_text(_dump(doc), encoding="utf-8")
    try:
        load_protocol(p)
    except MimicryError as e:
        assert "\n" not in str(e) and str(p) in str(e)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_protocol_parser_never_crashes_on_any_text(tmp_path, text):
    p = tmp_path / "p.toml"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_protocol(p)
    except MimicryError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(st.dictionaries(_keys, _toml_values, max_size=10), max_size=3), junk=st.text(max_size=40))
def test_manifest_parser_never_crashes(tmp_path, entries, junk):
    lib = tmp_path / "lib"
    lib.mkdir(exist_ok=True)
    text = _dump({"stimulus": entries}) if not junk.startswith("!") else junk
    (lib / "manifest.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_library(lib)
    except MimicryError as e:
        assert "\n" not in str(e)


def test_the_fuzzer_reaches_valid_and_invalid_protocols(tmp_path):
    """The strategies are not vacuous: one structured document loads, one is refused."""
    p = tmp_path / "p.toml"
    p.write_text(_dump({"protocol": {"name": "x", "baseline_s": 1.0}, "block": [{"kind": "smile"}]}))
    assert load_protocol(p).baseline_s == 1.0
    p.write_text(_dump({"protocol": {"baseline_s": -1.0}, "block": [{"kind": "smile"}]}))
    with pytest.raises(MimicryError, match="baseline_s"):
        load_protocol(p)
    assert tomllib.loads(_dump({"protocol": {"a": None}})) == {"protocol": {}}


# -- awkward videos ----------------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"


@pytest.mark.mediapipe
def test_non_ascii_and_space_paths(tmp_path):
    d = tmp_path / "vidéo ünï 😀 dir"
    d.mkdir()
    clip = d / "clip é 1.mp4"
    clip.write_bytes((DATA / "single_face.mp4").read_bytes())
    r = run("track", clip, "--quiet")
    assert r.exit_code == 0, r.output
    df = read(d / "clip é 1.csv")
    assert len(df) == 72 and df.detected.all()


@pytest.mark.slow
@pytest.mark.mediapipe
def test_truncated_video_with_its_index_at_the_start_keeps_the_frames_it_has(tmp_path):
    """A recording cut short (copy interrupted, disk full) whose index comes first (faststart MP4,
    as phones and streaming write): the frames that are there are tracked."""
    whole = tmp_path / "whole.mp4"
    subprocess.run(
        [
            _ffmpeg(),
            "-v",
            "error",
            "-i",
            str(DATA / "face_noface.mov"),
            "-an",
            "-c:v",
            "libx264",
            "-movflags",
            "+faststart",
            str(whole),
        ],
        check=True,
    )
    raw = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    r = run("track", cut, "--quiet")
    assert r.exit_code == 0, r.output
    df = read(tmp_path / "cut.csv")
    assert 40 < df.frame.nunique() < 169 and df.frame.max() == df.frame.nunique() - 1
    assert df.detected.iloc[:20].all()  # the man at the start is there
    # never taken for the whole video: a warning on the console, and a batch does not count it done
    n = df.frame.nunique()
    assert r.stderr.strip() == (
        f"warning: the video ended after {n} of the 169 frames its header announces "
        "(truncated or damaged file?): only those were tracked"
    )
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(cut, inputs / "cut.mp4")
    r = run("batch", inputs, "--out", tmp_path / "out", "--workers", "1", "--surrogates", "20")
    fails = read(tmp_path / "out" / "failures.csv")
    assert fails.input.tolist() == ["cut"] and "ended after" in fails.error.iloc[0], fails
    whole_run = run("track", whole, "--out", tmp_path / "whole.csv")
    assert "warning" not in whole_run.stderr  # the whole file: no warning


def test_truncated_video_with_its_index_at_the_end_fails_in_one_line(tmp_path):
    """The same cut on a QuickTime file whose index (moov) was to come last: nothing to read, so
    one Error line, exit 1, and no output file."""
    raw = (DATA / "face_noface.mov").read_bytes()
    cut = tmp_path / "cut.mov"
    cut.write_bytes(raw[: len(raw) * 2 // 3])
    r = run("track", cut, "--quiet")
    assert r.exit_code == 1 and r.stderr.strip().count("\n") == 0, r.stderr
    assert r.stderr.startswith("Error: cannot open video") and "Traceback" not in r.output
    assert not (tmp_path / "cut.csv").exists() and not list(tmp_path.glob("cut.csv*"))


@pytest.mark.mediapipe
def test_very_large_frames_are_downscaled_for_tracking_only(tmp_path):
    import cv2

    cap = cv2.VideoCapture(str(DATA / "single_face.mp4"))
    big = tmp_path / "big.mp4"
    vw = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (3840, 2160))
    for _ in range(8):
        _ok, f = cap.read()
        vw.write(cv2.resize(f, (3840, 2160), interpolation=cv2.INTER_CUBIC))
    vw.release()
    cap.release()
    r = run("track", big, "--quiet")
    assert r.exit_code == 0, r.output
    df = read(tmp_path / "big.csv")
    assert len(df) == 8 and df.detected.all() and df.smile.notna().all()
    assert list(df.t_s.round(4)) == [round(i / 30, 4) for i in range(8)]  # the file's own times


@pytest.mark.slow
def test_camera_that_ends_early(tmp_path, short_library):
    out = tmp_path / "sessions"
    r = run(
        "run",
        "--protocol",
        _protocol(tmp_path),
        "--camera",
        DATA / "single_face.mp4",
        "--no-window",
        "--out",
        out,
        "--library",
        short_library,
        "--surrogates",
        "20",
    )
    assert r.exit_code == 0, r.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    events = read(folder / "events_log.csv")
    assert "camera_end" in set(events.event)
    t_cam_end = events.loc[events.event == "camera_end", "t_s"].iloc[0]
    # the camera ended one frame after its last frame (on a busy machine a replayed 2.4 s file
    # delivers it later than 2.4 s, and tracking notices the end later still)
    last_frame_s = read(folder / "frames.csv").t_s.max()
    assert t_cam_end == pytest.approx(last_frame_s + 1 / 30, abs=1e-3)
    stim = read(folder / "stimulus_log.csv")
    assert stim.t_s.max() > 6.5 and stim.t_s.max() > t_cam_end + 1.0  # the 6 s clip played on after the camera
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "incomplete"  # never a false 'complete': the rest of the clip had no viewer
    said = rf"camera ended at {t_cam_end:.1f} s, \d+\.\d s before the protocol's end"
    assert [w for w in meta["warnings"] if re.search(said, w)], meta["warnings"]
    assert meta["camera_gaps_s"] == []  # a camera that ended is not a camera gap
    assert "warning: the camera ended at" in r.stderr and "session incomplete" in r.stderr


@pytest.mark.slow
def test_camera_gap_is_logged_and_tracking_resumes(tmp_path, short_library, monkeypatch):
    """A camera that stops delivering for 2.5 s mid-clip (as when a cable is pulled and put back).
    While it is stalled, the session's timer alone must hand every row already written to the OS
    (rows flush every 1 s here, so without the timer up to a second of rows would wait)."""
    import mimicry.session.engine as engine
    from mimicry.sensing.capture import VideoFileSource
    from mimicry.session.run import SessionRun

    class SlowFlushWriter(CsvWriter):  # rows alone flush only once a second; the timer must do the rest
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "flush_s": 1.0})

    monkeypatch.setattr(engine, "CsvWriter", SlowFlushWriter)
    seen = {}

    class StallingCamera(VideoFileSource):
        def _produce(self):
            stalled, back_t = False, 0.0
            for image, t in super()._produce():
                if t > 3.0 and not stalled:
                    stalled, back_t = True, t + 2.5
                    seen["last_t"] = t
                    if self._stop.wait(1.8):
                        return
                    folder = next(p for p in out.iterdir() if p.is_dir())
                    seen["on_disk"] = read(folder / "frames.csv")  # as it is on disk mid-stall
                    if self._stop.wait(0.7):
                        return
                if t < back_t:
                    continue  # an unplugged camera captures nothing: no frame from the gap comes late
                yield image, t

    monkeypatch.setattr(
        SessionRun, "_open_camera", staticmethod(lambda camera, size=None: StallingCamera(camera, realtime=True))
    )
    out = tmp_path / "sessions"
    r = run(
        "run",
        "--protocol",
        _protocol(tmp_path),
        "--camera",
        CAMERA,
        "--no-window",
        "--out",
        out,
        "--library",
        short_library,
        "--surrogates",
        "20",
    )
    assert r.exit_code == 0, r.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    events = read(folder / "events_log.csv")
    lost = events.loc[events.event == "camera_lost", "t_s"]
    back = events.loc[events.event == "camera_back", "t_s"]
    assert len(lost) == 1 and len(back) == 1
    # the gap starts at the last frame before the stall (delivered at its time or after it, never
    # before) and ends with the first frame after it, at least 2.5 s of camera time later
    assert lost.iloc[0] >= seen["last_t"] - 1 / 30 - 0.01 and back.iloc[0] - lost.iloc[0] >= 1.0
    assert back.iloc[0] >= seen["last_t"] + 2.5 - 0.01
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and len(meta["camera_gaps_s"]) == 1 and "camera gap" in meta["warnings"][0]
    frames = read(folder / "frames.csv")
    assert (frames.t_s > back.iloc[0]).sum() >= 5  # tracking went on after the gap (~1.4 s of clip left)
    assert not ((frames.t_s > lost.iloc[0] + 0.2) & (frames.t_s < back.iloc[0] - 0.2)).any()
    # mid-stall, the file held every row released before the stall: all up to the yawn filter's
    # 1 s look-ahead behind the last frame, and exactly the rows the finished file has there
    on_disk = seen["on_disk"]
    assert on_disk.t_s.max() >= seen["last_t"] - 1.0 - 2 / 30
    final = frames[frames.t_s <= on_disk.t_s.max()]
    assert len(on_disk) == len(final)


def _ffmpeg() -> str:
    imageio_ffmpeg = importorneed("imageio_ffmpeg", "pip install -e '.[test]' (brings an ffmpeg binary)")
    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.mark.slow
@pytest.mark.mediapipe
def test_rotated_phone_video_is_tracked_upright(tmp_path):
    """A phone stores portrait video as landscape frames plus a rotation flag: the face must be
    seen upright (OpenCV applies the flag), not lying on its side."""
    import cv2

    ffmpeg = _ffmpeg()
    cap = cv2.VideoCapture(str(DATA / "single_face.mp4"))
    side = tmp_path / "side.mp4"
    vw = cv2.VideoWriter(str(side), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (360, 640))
    while True:
        ok, f = cap.read()
        if not ok:
            break
        vw.write(cv2.rotate(f, cv2.ROTATE_90_CLOCKWISE))
    vw.release()
    phone = tmp_path / "phone.mp4"
    subprocess.run(
        [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-display_rotation",
            "90",
            "-i",
            str(side),
            "-c",
            "copy",
            str(phone),
        ],
        check=True,
    )
    for clip in (side, phone):
        assert run("track", clip, "--quiet").exit_code == 0
    lying, upright = read(tmp_path / "side.csv"), read(tmp_path / "phone.csv")
    assert abs(lying.roll_deg.mean()) > 60  # without the flag the face lies on its side
    assert upright.detected.all() and abs(upright.roll_deg.mean()) < 15 and upright.smile.max() > 0.6


@pytest.mark.mediapipe
def test_variable_frame_rate_keeps_the_container_times(tmp_path):
    """A phone drops to a lower rate in dim light: a 0.5 s hole in the times after frame 36."""
    ffmpeg = _ffmpeg()
    vfr = tmp_path / "vfr.mp4"
    subprocess.run(
        [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(DATA / "single_face.mp4"),
            "-vf",
            "setpts='(N/30+gte(N\\,36)*0.5)/TB'",
            "-fps_mode",
            "passthrough",
            "-c:v",
            "mpeg4",
            "-q:v",
            "3",
            str(vfr),
        ],
        check=True,
    )
    assert run("track", vfr, "--quiet").exit_code == 0
    t = read(tmp_path / "vfr.csv").t_s.to_numpy()
    expected = [n / 30 + (0.5 if n >= 36 else 0.0) for n in range(72)]
    assert len(t) == 72 and max(abs(a - b) for a, b in zip(t, expected)) < 0.002


@pytest.mark.parametrize(
    "pid",
    [
        "../x",
        "a/b",
        "a\\b",
        "..",
        "P\x00",
        "P\n1",
        "P\t",
        '=HYPERLINK("x")',
        "",
        "x" * 41,
        "Jöhn Smith",
        "P 1",
        "P1\n",
        "-rf",
        "_x",
    ],
)
def test_participant_ids_that_could_escape_or_identify_are_refused(pid):
    from mimicry.session.engine import check_participant

    with pytest.raises(MimicryError, match="participant id must be"):
        check_participant(pid)
    assert check_participant("P-017_b") == "P-017_b"


@settings(max_examples=300, deadline=None)
@given(pid=st.text(max_size=50))
def test_accepted_participant_ids_are_safe_folder_name_parts(pid):
    from mimicry.session.engine import check_participant

    try:
        ok = check_participant(pid)
    except MimicryError:
        return
    assert ok == pid and "/" not in ok and "." not in ok and ok.isascii() and ok.isprintable() and ok[0] not in "=+-@"


@pytest.mark.slow
def test_unplugged_webcam_is_reopened_until_it_delivers(monkeypatch):
    """The webcam path without a webcam: OpenCV's VideoCapture replaced by a device that dies
    after 10 frames and works again from the third reopening."""

    from mimicry.sensing import capture

    opened = []

    class FakeCapture:
        def __init__(self, index):
            opened.append(index)
            self.n = 0
            self.alive = len(opened) == 1 or len(opened) >= 3

        def isOpened(self):
            return True

        def set(self, *a):
            return True

        def get(self, prop):
            return {
                capture.cv2.CAP_PROP_FPS: 100.0,
                capture.cv2.CAP_PROP_FRAME_WIDTH: 8,
                capture.cv2.CAP_PROP_FRAME_HEIGHT: 6,
            }.get(prop, 0.0)

        def read(self):
            self.n += 1
            time.sleep(0.01)
            if not self.alive or (len(opened) == 1 and self.n > 10):
                return False, None
            return True, np.zeros((6, 8, 3), np.uint8)

        def release(self):
            pass

    monkeypatch.setattr(capture.cv2, "VideoCapture", FakeCapture)
    with capture.CameraSource(0, reconnect=True, reconnect_s=0.2) as cam:
        got = []
        deadline = time.monotonic() + 10
        while len(got) < 20 and time.monotonic() < deadline:
            f = cam.read(timeout_s=0.5)
            if f is not None:
                got.append(f.t_s)
    assert len(got) == 20 and len(opened) >= 3  # frames came back after two reopenings
    assert max(np.diff(got)) > 0.3  # with a gap in camera time where it was unplugged
    monkeypatch.setattr(capture.cv2, "VideoCapture", FakeCapture)
    opened.clear()
    with capture.CameraSource(0) as cam, pytest.raises(capture.CaptureError, match="stopped delivering"):
        while cam.read(timeout_s=5) is not None:  # without reconnect: a clear error, as before
            pass


NASTY = '=Smile, "pilot"\n@1'  # a formula start, a comma, quotes, a line break


def assert_standard_csv(path: Path) -> pd.DataFrame:
    """Every standard reader parses ``path`` with the header's columns on every record."""
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    assert records and all(len(r) == len(records[0]) for r in records), path.name
    for engine in ("c", "python"):
        df = pd.read_csv(path, engine=engine, dtype=str, keep_default_na=False)
        assert list(df.columns) == records[0] and len(df) == len(records) - 1, (path.name, engine)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.slow
def test_session_with_nasty_text_writes_csvs_every_reader_parses(tmp_path, short_library):
    r = run(
        "run",
        "--protocol",
        _protocol(tmp_path, NASTY),
        "--camera",
        CAMERA,
        "--no-window",
        "--out",
        tmp_path / "sessions",
        "--library",
        short_library,
        "--surrogates",
        "20",
    )
    assert r.exit_code == 0, r.output
    folder = _session_folder(tmp_path / "sessions")
    assert run("summary", tmp_path / "sessions", "--out", tmp_path / "summary.csv").exit_code == 0
    written = sorted(folder.glob("*.csv")) + [tmp_path / "summary.csv"]
    assert {p.name for p in written} >= {
        "frames.csv",
        "stimulus_log.csv",
        "events_log.csv",
        "scores.csv",
        "events.csv",
        "contagion.csv",
        "xcorr.csv",
        "summary.csv",
    }
    for p in written:
        assert_standard_csv(p)
    events = assert_standard_csv(folder / "events_log.csv").set_index("event")
    assert events.loc["session_start", "detail"] == "'" + NASTY  # guarded, otherwise as typed
    assert assert_standard_csv(tmp_path / "summary.csv").protocol.tolist() == ["'" + NASTY]


@pytest.mark.slow
def test_batch_with_nasty_file_names_writes_csvs_every_reader_parses(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good, bad = 'clip, "one"\n=2.mp4', '-bad, "two".mp4'
    (src / good).write_bytes((DATA / "single_face.mp4").read_bytes())
    (src / bad).write_bytes(b"not a video")
    r = run("batch", src, "--out", tmp_path / "out", "--workers", "1", "-q")
    assert r.exit_code == 1, r.output  # the bad input failed, the good one is done
    summary = assert_standard_csv(tmp_path / "out" / "summary.csv")
    failures = assert_standard_csv(tmp_path / "out" / "failures.csv")
    assert summary.input.tolist() == [good[:-4]]
    assert failures.input.tolist() == ["'" + bad[:-4]]
    assert_standard_csv(tmp_path / "out" / good[:-4] / "track.csv")
