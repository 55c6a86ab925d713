"""The command line: help, version, the track command, and every kind of bad input."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mimicry import __version__
from mimicry.cli import main
from mimicry.schema import BLENDSHAPE_NAMES, TRACK


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, pattern):
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error:") and re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.output + result.stderr


def test_help_and_version():
    r = run("--help")
    assert r.exit_code == 0 and "track" in r.output
    r = run("--version")
    assert r.exit_code == 0 and __version__ in r.output
    r = run("track", "--help")
    assert r.exit_code == 0 and "mimicry track clip.mp4 --out clip.csv" in r.output


@pytest.mark.mediapipe
def test_track_writes_schema_and_landmarks(data_dir, tmp_path):
    out, lms = tmp_path / "clip.csv", tmp_path / "lm.csv"
    r = run("track", data_dir / "single_face.mp4", "--out", out, "--landmarks", lms, "--quiet")
    assert r.exit_code == 0, r.output + r.stderr
    df = pd.read_csv(out)
    assert list(df.columns) == TRACK.names
    for col in (
        "t_s",
        "frame",
        "face",
        "detected",
        "smile",
        "yawn",
        "blink",
        "mouth_open",
        "yaw_deg",
        "pitch_deg",
        "roll_deg",
        "jawOpen",
        "mouthSmileLeft",
    ):
        assert col in df.columns
    assert list(df.columns[-52:]) == list(BLENDSHAPE_NAMES)
    assert len(df) == 72
    lm = pd.read_csv(lms)
    assert len(lm) == 72 and lm.shape[1] == 3 + 478 * 3
    xs = lm[[f"x{i}" for i in range(478)]].to_numpy()
    assert 0.2 < xs.mean() < 0.8
    assert not list(tmp_path.glob("*.partial"))
    # never overwritten without --force
    r = run("track", data_dir / "single_face.mp4", "--out", out)
    assert_one_line_error(r, "exists")
    assert run("track", data_dir / "single_face.mp4", "--out", out, "--force", "-q").exit_code == 0


@pytest.mark.mediapipe
def test_default_output_name(data_dir, tmp_path):
    import shutil

    clip = tmp_path / "my clip é.mp4"  # spaces and non-ASCII in the path
    shutil.copy(data_dir / "single_face.mp4", clip)
    r = run("track", clip, "-q")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "my clip é.csv").exists()


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "directory",
        "empty",
        "corrupt",
        "out_dir_missing",
        "out_is_dir",
        "camera",
        "no_input",
        "both_inputs",
        "bad_model",
        "max_faces",
        "landmarks_same",
    ],
)
@pytest.mark.mediapipe
def test_bad_input_gives_one_clear_line(case, data_dir, tmp_path):
    clip = data_dir / "single_face.mp4"
    out = tmp_path / "o.csv"
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(50000))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    bad_model = tmp_path / "m.task"
    bad_model.write_bytes(b"nope" * 1000)
    args, pattern = {
        "missing": ((tmp_path / "nope.mp4", "--out", out), "not found"),
        "directory": ((tmp_path, "--out", out), "directory"),
        "empty": ((empty, "--out", out), "empty"),
        "corrupt": ((junk, "--out", out), "corrupt"),
        "out_dir_missing": ((clip, "--out", tmp_path / "no" / "o.csv"), "does not exist"),
        "out_is_dir": ((clip, "--out", tmp_path), "directory"),
        "camera": (("--camera", "7", "--out", out), "camera 7"),
        "no_input": (("--out", out), "VIDEO file or --camera"),
        "both_inputs": ((clip, "--camera", "0", "--out", out), "VIDEO file or --camera"),
        "bad_model": ((clip, "--out", out, "--model", bad_model), "cannot load model"),
        "max_faces": ((clip, "--out", out, "--max-faces", "31"), "max-faces"),
        "landmarks_same": ((clip, "--out", out, "--landmarks", out), "must differ"),
    }[case]
    r = run("track", *args)
    assert_one_line_error(r, pattern)
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def _spawn(args, tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "mimicry", "track", *map(str, args)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def _wait_for_rows(partial: Path, rows: int, timeout_s: float = 120.0) -> None:
    """Until the partial file has ``rows`` rows: a cap for a hang, generous for a busy machine
    (a process that starts MediaPipe beside others can take half a minute to write a row)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if partial.exists() and partial.read_text().count("\n") > rows:
            return
        time.sleep(0.1)
    raise AssertionError(f"{partial} did not get {rows} rows in {timeout_s} s")


def test_killed_run_keeps_rows_and_does_not_look_complete(yawn_track, synthetic_dir, tmp_path):
    out = tmp_path / "k.csv"
    proc = _spawn([synthetic_dir / "yawn.mp4", "--out", out, "--realtime", "-q"], tmp_path)
    _wait_for_rows(tmp_path / "k.csv.partial", 20)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert not out.exists()
    df = pd.read_csv(tmp_path / "k.csv.partial")
    assert len(df) >= 20 and list(df.columns) == TRACK.names
    assert (df.frame.diff().dropna() > 0).all()


def test_sigterm_ends_cleanly_with_a_complete_file(yawn_track, synthetic_dir, tmp_path):
    out = tmp_path / "t.csv"
    proc = _spawn([synthetic_dir / "yawn.mp4", "--out", out, "--realtime", "-q"], tmp_path)
    _wait_for_rows(tmp_path / "t.csv.partial", 5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 0, proc.stderr.read().decode()
    df = pd.read_csv(out)
    assert 5 < len(df) < 210 and df.frame.is_monotonic_increasing
    assert not (tmp_path / "t.csv.partial").exists()


@pytest.mark.mediapipe
def test_seconds_option_stops_early(data_dir, tmp_path):
    out = tmp_path / "s.csv"
    assert run("track", data_dir / "single_face.mp4", "--out", out, "--seconds", "1", "-q").exit_code == 0
    df = pd.read_csv(out)
    assert df.t_s.max() == pytest.approx(1.0, abs=0.05)


def test_run_finds_a_shipped_protocol_by_name(tmp_path, monkeypatch):
    """`--protocol smile-mimicry` is the shipped protocols/smile-mimicry.toml: it loads, and the run
    gets as far as the (missing) camera; an unknown name fails on the protocol, naming the file."""
    monkeypatch.chdir(tmp_path)
    r = run("run", "--protocol", "smile-mimicry", "--camera", tmp_path / "missing.mp4", "--no-window")
    assert_one_line_error(r, "video not found: .*missing.mp4")
    r = run("run", "--protocol", "no-such-protocol", "--camera", tmp_path / "missing.mp4", "--no-window")
    assert_one_line_error(r, "protocol not found: no-such-protocol")
    assert not (tmp_path / "sessions").exists()
