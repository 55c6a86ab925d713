"""Bad input never makes a false record: the cases a new user and a hostile tester found (issue 28).

Each is refused up front in one ``Error:`` line that names the input, or warned about and the
warning recorded; never a traceback, a false ``complete``, or a user's file overwritten.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import DATA, need

from mimicry.cli import main
from mimicry.session.folder import read_session, write_session
from mimicry.session.simulate import simulate_session
from mimicry.stimuli.library import default_library, load_library

CLIP = default_library() / "clips" / "smile-man-real.mp4"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(r, pattern: str) -> str:
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code not in (0, None) and len(lines) == 1, r.stderr
    assert lines[0].startswith("Error:") and re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in r.output + r.stderr
    return lines[0]


def one_block(tmp_path: Path, kind: str = "smile") -> Path:
    p = tmp_path / "one.toml"
    p.write_text(f"[protocol]\nname = 'one'\n[[block]]\nkind = '{kind}'\n")
    return p


@pytest.fixture
def sim_session(tmp_path):
    s = simulate_session(blocks=("smile", "yawn", "control"), seed=4)
    return s, write_session(tmp_path / "S", s.frames, s.stimulus_log, {**s.meta, "participant": "P01"})


# -- the library clips a session plays --------------------------------------------------------------


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_run_refuses_a_library_clip_that_is_missing_or_changed(damage, tmp_path, short_library):
    lib = tmp_path / "lib"
    shutil.copytree(short_library, lib)
    clip = load_library(lib).clip_path(load_library(lib).get("smile-short"))
    if damage == "missing":
        clip.unlink()
    else:
        clip.write_bytes(clip.read_bytes() + b"\0")
    out = tmp_path / "sessions"
    r = run("run", "--protocol", one_block(tmp_path), "--camera", CLIP, "--no-window", "--library", lib, "--out", out)
    one_line_error(r, "smile-short" + (".*clip missing" if damage == "missing" else ".*sha256 differs"))
    assert not out.exists() or not any(out.iterdir())  # nothing recorded


def test_demo_refuses_a_missing_clip(tmp_path, short_library):
    lib = tmp_path / "lib"
    shutil.copytree(short_library, lib)
    (lib / load_library(lib).get("smile-short").file).unlink()
    r = run("demo", "smile", "--camera", CLIP, "--no-window", "--library", lib, "--save", "--out", tmp_path / "s")
    one_line_error(r, "smile-short.*clip missing")
    assert not (tmp_path / "s").exists()


# -- the machine's locale ----------------------------------------------------------------------------


def _has_locale(name: str) -> bool:
    code = f"import locale; locale.setlocale(locale.LC_ALL, {name!r})"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


@pytest.mark.mediapipe
def test_tracking_works_under_a_turkish_locale(tmp_path):
    """MediaPipe lower-cases its stream names with the C library: under tr_TR the capital I stays
    upper-case and the model would not load ("TAG:index:name is invalid")."""
    need(_has_locale("tr_TR.UTF-8"), "the tr_TR.UTF-8 locale (Debian: locales, locale-gen tr_TR.UTF-8)")
    env = dict(os.environ, LC_ALL="tr_TR.UTF-8", LANG="tr_TR.UTF-8")
    out = tmp_path / "t.csv"
    code = (
        "import locale, sys; locale.setlocale(locale.LC_ALL, '');"
        "assert locale.setlocale(locale.LC_CTYPE).startswith('tr_TR');"
        "from mimicry.cli import main; sys.argv = ['mimicry'] + sys.argv[1:]; main()"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, "track", str(DATA / "single_face.mp4"), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(out).detected.mean() > 0.9


@pytest.mark.mediapipe
@pytest.mark.parametrize("command", ["run", "demo"])
def test_a_model_that_cannot_load_leaves_no_session_folder(command, tmp_path, short_library):
    """The graph is built before the folder: a model MediaPipe cannot load (as under tr_TR before
    the locale fix) made a session folder that said 'crashed' with nothing in it."""
    junk = tmp_path / "m.task"
    junk.write_bytes(b"nope" * 1000)
    out = tmp_path / "s"
    args = ["--protocol", one_block(tmp_path)] if command == "run" else ["smile", "--save"]
    r = run(command, *args, "--camera", CLIP, "--no-window", "--library", short_library, "--model", junk, "--out", out)
    assert r.exit_code == 1 and "Error: cannot load model" in r.stderr and "Traceback" not in r.output, r.stderr
    assert not out.exists() or not any(out.iterdir())


# -- outputs that must not be replaced ---------------------------------------------------------------


def test_track_never_overwrites_its_input_or_a_device_even_with_force(tmp_path):
    video = tmp_path / "v.mp4"
    shutil.copy(DATA / "single_face.mp4", video)
    before = video.read_bytes()
    one_line_error(run("track", video, "-o", video, "--force"), "is the input")
    one_line_error(run("track", video, "-o", tmp_path / "." / "v.mp4", "--force"), "is the input")
    assert video.read_bytes() == before
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    one_line_error(run("track", video, "-o", fifo, "--force"), "not a regular file")
    assert fifo.is_fifo()
    one_line_error(run("track", video, "-o", "/dev/null", "--force"), "not a regular file")


def test_summary_replaces_its_own_summary_but_needs_force_for_another_file(sim_session, tmp_path):
    _, folder = sim_session
    mine = tmp_path / "notes.csv"
    mine.write_text("my,own\n1,2\n")
    one_line_error(run("summary", folder.parent, "--out", mine), "output exists.*--force")
    assert mine.read_text() == "my,own\n1,2\n"
    out = tmp_path / "study.csv"
    assert run("summary", folder.parent, "--out", out).exit_code == 0
    assert run("summary", folder.parent, "--out", out).exit_code == 0  # an earlier summary: replaced
    assert run("summary", folder.parent, "--out", mine, "--force").exit_code == 0
    assert mine.read_text().startswith("folder,")


# -- numeric options and settings --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["analyze", "{s}", "--seed", "-1"], "--seed.*0<=x<=4294967295"),
        (["analyze", "{s}", "--seed", str(2**32)], "--seed"),
        (["analyze", "{s}", "--surrogates", "0"], "--surrogates.*19<=x<=100000"),
        (["analyze", "{s}", "--surrogates", "1"], "--surrogates"),
        (["run", "--camera", "sample", "--seed", "-1"], "--seed"),
        (["run", "--camera", "sample", "--surrogates", "1000000000000"], "--surrogates"),
        (["run", "--camera", "sample", "--surrogates", "0"], "--surrogates"),
        (["batch", "{s}", "--out", "{tmp}/b", "--surrogates", "5"], "--surrogates"),
        (["track", "{v}", "--seconds", "nan"], "--seconds.*not a finite number"),
        (["track", "{v}", "--seconds", "inf"], "--seconds"),
        (["demo", "--minutes", "nan", "--no-window"], "--minutes.*not a finite number"),
        (["demo", "--pause", "inf", "--no-window"], "--pause"),
        (["stimuli", "make", "--photo", "{v}", "--kind", "yawn", "--out", "{tmp}/o.mp4", "--seed", "-3"], "--seed"),
    ],
)
def test_numeric_options_out_of_range_are_one_line(args, pattern, sim_session, tmp_path):
    _, folder = sim_session
    filled = [a.format(s=folder, tmp=tmp_path, v=DATA / "single_face.mp4") for a in args]
    before = sorted(p.name for p in folder.iterdir())
    one_line_error(run(*filled), pattern)
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not (tmp_path / "sessions").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "settings, pattern",
    [
        ({"n_surrogates": -5}, "n_surrogates must be a whole number from 19"),
        ({"n_surrogates": 1e12}, "n_surrogates must be a whole number"),
        ({"n_surrogates": 10**12}, "n_surrogates must be a whole number from 19 to 100,000"),
        ({"max_gap_s": -1}, "max_gap_s must be a number of seconds from 0"),
        ({"seed": -1}, "seed must be a whole number from 0"),
        ({"n_wlcc_surrogates": 0}, "n_wlcc_surrogates"),
    ],
)
def test_analysis_settings_out_of_range_are_one_line(settings, pattern, sim_session, tmp_path):
    _, folder = sim_session
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(settings))
    one_line_error(run("analyze", folder, "--config", cfg), pattern)
    assert not (folder / "verdicts.csv").exists()


# -- what a video, a session folder and session.json may say -----------------------------------------


@pytest.mark.mediapipe
@pytest.mark.parametrize("fps", [1.0, 0.5])
def test_a_face_in_a_slow_video_is_found(fps, tmp_path):
    """A time-lapse at 1 or 0.5 frames/s: the face is in every frame, so it must be found (tentative
    tracks waited only 0.5 s for their next frame, so no face was ever confirmed)."""
    import cv2

    from mimicry.sensing.capture import read_frames

    frames, _ = read_frames(DATA / "single_face.mp4")
    video = tmp_path / "slow.mp4"
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), fps, frames[0].shape[1::-1])
    for f in frames[::8][:9]:
        vw.write(f)
    vw.release()
    r = run("track", video, "-o", tmp_path / "slow.csv")
    assert r.exit_code == 0, r.stderr
    assert "a face found in 100% of them" in r.stderr
    assert pd.read_csv(tmp_path / "slow.csv").detected.sum() == 9


def test_the_face_share_counts_frames_not_faces():
    from mimicry.cli.recording import track_summary
    from mimicry.sensing.pipeline import TrackResult

    two = TrackResult(
        Path("t.csv"), None, frames=72, rows=144, detected_rows=144, complete=True, frames_with_face=72, faces=2
    )
    assert track_summary(two) == "72 frames, a face found in 100% of them, 2 faces in all"
    half = TrackResult(
        Path("t.csv"), None, frames=10, rows=10, detected_rows=5, complete=True, frames_with_face=5, faces=1
    )
    assert track_summary(half) == "10 frames, a face found in 50% of them"


@pytest.mark.mediapipe
def test_two_faces_are_not_two_hundred_percent(side_by_side, tmp_path):
    r = run("track", side_by_side, "--max-faces", "2", "-o", tmp_path / "two.csv")
    assert r.exit_code == 0, r.stderr
    assert re.search(r"a face found in 100% of them, 2 faces in all", r.stderr), r.stderr


def test_a_session_file_cut_mid_row_is_refused(sim_session):
    _, folder = sim_session
    raw = (folder / "frames.csv").read_bytes()
    (folder / "frames.csv").write_bytes(raw[: len(raw) - 7])  # the last row loses its end
    one_line_error(run("analyze", folder), r"frames\.csv: the last row is cut off")
    assert not (folder / "verdicts.csv").exists()


def test_a_session_file_cut_at_a_row_end_is_refused(sim_session):
    _, folder = sim_session
    lines = (folder / "frames.csv").read_bytes().splitlines(keepends=True)
    (folder / "frames.csv").write_bytes(b"".join(lines[: len(lines) // 2]))
    one_line_error(run("analyze", folder), r"frames\.csv: \d+ rows, but \d+ were recorded")


def test_a_hand_made_session_whose_last_row_lost_fields_is_refused(sim_session):
    s, folder = sim_session
    meta = json.loads((folder / "session.json").read_text())
    del meta["files"]  # a folder made by hand or by another program: no record of its rows
    (folder / "session.json").write_text(json.dumps(meta))
    text = (folder / "frames.csv").read_text()
    (folder / "frames.csv").write_text(text[: text.rstrip().rfind(",")])
    one_line_error(run("analyze", folder), r"frames\.csv: the last row has \d+ of \d+ fields")


def test_a_sorted_session_file_is_analysed_with_a_warning(sim_session):
    _, folder = sim_session
    frames = pd.read_csv(folder / "frames.csv")
    frames.sample(frac=1.0, random_state=0).to_csv(folder / "frames.csv", index=False, lineterminator="\r\n")
    r = run("analyze", folder, "--surrogates", "50")
    assert r.exit_code == 0, r.stderr
    assert "warning: frames.csv was changed after recording" in r.stderr
    record = json.loads((folder / "analysis_config.json").read_text())
    assert record["input_warnings"] == [
        "frames.csv was changed after recording (its sha256 differs from session.json's)"
    ]


@pytest.mark.parametrize(
    "change, pattern",
    [
        ("inf_smile", r"frames\.csv: column smile must be from 0 to 1.*row \d+ has inf"),
        ("nan_time", r"frames\.csv: column t_s must be a finite number, row \d+ has an empty cell"),
        ("text_frame", r"frames\.csv: column frame must be numeric"),
        ("duplicate_row", r"frames\.csv: row \d+ repeats frame"),
        ("camera_fps_999", r"camera_fps must be a number above 0 and at most 240, got 999"),
        ("camera_fps_far_off", r"camera_fps 2 disagrees with frames\.csv, whose frames come 30 times a second"),
        ("future_format", r"session format 2 is newer than this mimicry"),
        ("future_mimicry", r"recorded by mimicry 99\.0\.1, newer than this mimicry"),
        ("bad_kind", r"stimulus_log\.csv: column kind must be one of smile, yawn, control"),
    ],
)
def test_impossible_values_in_a_session_are_refused(change, pattern, sim_session):
    _, folder = sim_session
    meta = json.loads((folder / "session.json").read_text())
    meta.pop("files")  # so that the value itself, not the changed file, is what is refused
    frames = pd.read_csv(folder / "frames.csv")
    log = pd.read_csv(folder / "stimulus_log.csv")
    if change == "inf_smile":
        frames.loc[40, "smile"] = np.inf
    elif change == "nan_time":
        frames.loc[40, "t_s"] = np.nan
    elif change == "text_frame":
        frames["frame"] = frames["frame"].astype(object)
        frames.loc[40, "frame"] = "forty"
    elif change == "duplicate_row":
        frames = pd.concat([frames.iloc[:41], frames.iloc[40:]])
    elif change == "camera_fps_999":
        meta["camera_fps"] = 999
    elif change == "camera_fps_far_off":
        meta["camera_fps"] = 2
    elif change == "future_format":
        meta["format"] = 2
    elif change == "future_mimicry":
        meta["versions"] = {"mimicry": "99.0.1"}
    elif change == "bad_kind":
        log.loc[3, "kind"] = "laugh"
    frames.to_csv(folder / "frames.csv", index=False)
    log.to_csv(folder / "stimulus_log.csv", index=False)
    (folder / "session.json").write_text(json.dumps(meta))
    one_line_error(run("analyze", folder), pattern)
    assert not (folder / "verdicts.csv").exists()


def test_a_session_with_no_face_gives_no_verdict_about_one(tmp_path):
    s = simulate_session(blocks=("smile", "yawn"), seed=5)
    frames = s.frames.assign(detected=0, smile=np.nan, yawn=np.nan)  # face 0 on every row, never found
    folder = write_session(tmp_path / "S", frames, s.stimulus_log, s.meta)
    r = run("analyze", folder, "--surrogates", "50")
    assert r.exit_code == 0, r.stderr
    assert "no face was found in the recording" in r.stdout and "face 0" not in r.stdout
    assert pd.read_csv(folder / "verdicts.csv").empty
    r = run("report", folder)
    assert r.exit_code == 0, r.stderr
    page = (folder / "report.html").read_text()
    assert "<th>faces found</th><td>none</td>" in page and "No face was found" in page


# -- camera, participant and protocol ----------------------------------------------------------------


@pytest.mark.parametrize("command", [["run", "--no-window"], ["demo", "--no-window"], ["track"]])
def test_an_empty_camera_is_one_line(command, tmp_path):
    r = run(*command, "--camera", "", *(["--out", tmp_path / "s"] if command[0] != "track" else []))
    one_line_error(r, "--camera is empty: give a webcam index")
    assert not (tmp_path / "s").exists()


def test_a_subcommand_usage_error_points_at_its_own_help():
    r = run("sessions", "repair")
    one_line_error(r, r"Missing argument 'SESSION_DIRS\.\.\.'.*see '.* sessions repair --help'")


@pytest.mark.parametrize("pid, pattern", [("P" * 10_000, r"\(10002 characters\)"), ("", r"got ''")])
def test_participant_ids_that_are_empty_or_huge_are_refused_briefly(pid, pattern, tmp_path):
    r = run("run", "--camera", "sample", "--no-window", "--participant", pid, "--out", tmp_path / "s")
    line = one_line_error(r, "participant id must be 1-40 letters.*" + pattern)
    assert len(line) < 200
    assert not (tmp_path / "s").exists()


def test_a_protocol_of_a_hundred_hours_is_refused(tmp_path, short_library):
    p = tmp_path / "long.toml"
    p.write_text("[protocol]\nisi_s = 3600\n[[block]]\nkind = 'smile'\nrepeat = 100\n")
    r = run(
        "run", "--protocol", p, "--camera", CLIP, "--no-window", "--library", short_library, "--out", tmp_path / "s"
    )
    one_line_error(r, r"would last \d+\.\d h; at most 4 h")
    assert not (tmp_path / "s").exists()


# -- summaries -----------------------------------------------------------------------------------------


def test_summary_counts_a_copied_session_once(sim_session, tmp_path):
    _, folder = sim_session
    for copy in ("copy1", "copy2"):
        shutil.copytree(folder, folder.parent / copy)
    r = run("summary", folder.parent, "--out", tmp_path / "sum.csv")
    assert r.exit_code == 0, r.stderr
    assert len(re.findall(r"skipped copy\d: the same session as S \(session_id sim4\): counted once", r.stderr)) == 2
    summary = pd.read_csv(tmp_path / "sum.csv")
    assert summary.participant.tolist() == ["P01"]
    tests = pd.read_csv(tmp_path / "sum_tests.csv")
    assert (tests.n_participants.dropna() <= 1).all()


def test_summary_names_a_damaged_analysis_file(sim_session, tmp_path):
    _, folder = sim_session
    assert run("analyze", folder, "--surrogates", "50", "-q").exit_code == 0
    verdicts = pd.read_csv(folder / "verdicts.csv").drop(columns=["effect"])
    verdicts.to_csv(folder / "verdicts.csv", index=False)
    r = run("summary", folder.parent, "--out", tmp_path / "sum.csv")
    assert r.exit_code == 0, r.stderr
    assert re.search(
        r"skipped S: .*verdicts\.csv: missing column\(s\) effect \(mimicry analyze .* writes it anew\)", r.stderr
    )
    assert "KeyError" not in r.stderr


# -- the classroom demo and the bundled sample camera ------------------------------------------------------


def test_the_demo_table_has_a_row_for_every_face_seen():
    from mimicry.session.tally import Tally

    tally = Tally("yawn")
    tally.see(0)
    tally.see(1)
    tally.add(1, 12.0, None)
    table = tally.table().set_index("face")
    assert list(table.index) == ["A", "B", "class"]
    assert table.loc["A", "events"] == 0 and table.loc["B", "events"] == 1 and table.loc["class", "events"] == 1


@pytest.mark.mediapipe
def test_camera_sample_works_for_track(tmp_path):
    out = tmp_path / "s.csv"
    r = run("track", "--camera", "sample", "--seconds", "1.5", "--out", out)
    assert r.exit_code == 0, r.stderr
    df = pd.read_csv(out)
    assert df.t_s.max() < 2.6 and df.detected.any()


@pytest.mark.slow
@pytest.mark.mediapipe
def test_camera_sample_works_for_the_demo(tmp_path):
    r = run("demo", "--camera", "sample", "--no-window", "--minutes", "0.1")
    assert r.exit_code == 0, r.stderr
    *lines, sentence = r.stdout.splitlines()
    table = [line.split() for line in lines]
    assert table[0][0] == "face" and [row[0] for row in table[1:]] == ["A", "class"]  # the viewer has a row
    assert sentence.startswith("No baseline") or "baseline" in sentence or "yawn" in sentence, sentence


def test_a_session_read_back_is_the_session_written(sim_session):
    s, folder = sim_session
    data = read_session(folder)
    assert data.warnings == [] and len(data.frames) == len(s.frames)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["files"]["frames.csv"]["rows"] == len(s.frames)
