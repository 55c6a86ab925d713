"""Recording while another program shows the clips (mimicry.session.recorder, mimicry record): the
markers become blocks, the clip frames and the actor's onsets; nothing a presenter sends is
dropped; bad markers and bad options are one line."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.errors import SessionError
from mimicry.session.onsets import PSYCHOPY_VOCABULARY, MarkerVocabulary, read_vocabulary
from mimicry.session.recorder import Recorder


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def only_session(out):
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


@pytest.mark.parametrize(
    ("vocabulary", "text", "parsed"),
    [
        (MarkerVocabulary(), "onset:yawn-man-a", ("onset", "yawn-man-a")),
        (MarkerVocabulary(), " OFFSET:clips/yawn-man-a.mp4 ", ("offset", "clips/yawn-man-a.mp4")),
        (MarkerVocabulary(), "end", ("end", "")),
        (MarkerVocabulary(), "fixation", (None, "")),
        (PSYCHOPY_VOCABULARY, "yawn-man-a.started", ("onset", "yawn-man-a")),
        (PSYCHOPY_VOCABULARY, "yawn-man-a.stopped", ("offset", "yawn-man-a")),
        (PSYCHOPY_VOCABULARY, "experiment.ended", ("end", "")),
        (MarkerVocabulary(onset="S {stimulus} on", offset="S {stimulus} off"), "S 12 on", ("onset", "12")),
    ],
)
def test_a_vocabulary_names_each_marker_s_action_and_clip(vocabulary, text, parsed):
    assert vocabulary.parse(text) == parsed


def test_a_vocabulary_is_read_from_a_small_toml_file(tmp_path):
    p = tmp_path / "markers.toml"
    p.write_text('[markers]\nstyle = "psychopy"\nend = "goodbye"\n', encoding="utf-8")
    v = read_vocabulary(p)
    assert v.parse("clip.started") == ("onset", "clip") and v.parse("goodbye") == ("end", "")
    p.write_text('[markers]\nbegin = "x"\n', encoding="utf-8")
    with pytest.raises(SessionError, match="unknown key"):
        read_vocabulary(p)


@pytest.mark.mediapipe
def test_the_recorder_api_turns_marks_into_blocks_and_keeps_every_other_marker(data_dir, tmp_path):
    """A PsychoPy code component's calls: a clip's onset and offset, a marker the library does not
    know, an offset of a clip not on screen, a second clip never stopped (it ends with the session)."""
    with Recorder(data_dir / "single_face.mp4", participant="P01", out=tmp_path / "s") as rec:
        rec.mark("onset", "clips/smile-man-real.mp4", t_s=0.2)
        rec.mark("fixation", t_s=0.4)
        rec.mark("onset", "my-own-clip.mp4", t_s=0.5)
        rec.mark("offset", "yawn-man-a", t_s=0.6)
        rec.mark("offset", "smile-man-real", t_s=1.2)
        rec.mark("onset", "yawn-man-a", t_s=1.5)
        while not rec.camera_ended:
            time.sleep(0.05)
    folder = rec.folder
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete"
    assert [(b["stimulus_id"], b["onset_s"]) for b in meta["blocks"]] == [("smile-man-real", 0.2), ("yawn-man-a", 1.5)]
    assert meta["blocks"][0]["duration_s"] == pytest.approx(1.0)
    assert any("'my-own-clip.mp4'" in w for w in meta["warnings"])
    log = pd.read_csv(folder / "events_log.csv", keep_default_na=False)
    markers = log[log.event == "marker"].detail.tolist()
    assert markers == ["fixation", "onset:my-own-clip.mp4", "offset:yawn-man-a (that clip is not on screen)"]
    assert log[log.event == "block_end"].t_s.iloc[0] == pytest.approx(1.2)
    stim = pd.read_csv(folder / "stimulus_log.csv")
    first = stim[stim.block == 0]
    assert len(first) == 30 and first.t_s.iloc[0] == pytest.approx(0.2)  # 1.0 s of a 30-fps clip
    assert stim[stim.block == 1].t_s.iloc[0] == pytest.approx(1.5)
    frames = pd.read_csv(folder / "frames.csv")
    inside = frames[(frames.t_s >= 0.25) & (frames.t_s < 1.15)]
    assert (inside.block == 0).all() and frames[(frames.t_s > 1.25) & (frames.t_s < 1.45)].block.isna().all()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.mediapipe
def test_record_takes_markers_over_tcp_and_ends_on_an_end_marker(cued_viewer, short_library, tmp_path):
    """E-Prime and Presentation send lines over a socket: each is stamped as it arrives."""
    port, out = free_port(), tmp_path / "s"

    def presenter():
        while not list(out.glob("*/session.json")):
            time.sleep(0.02)
        for _ in range(100):
            try:
                conn = socket.create_connection(("127.0.0.1", port))
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
        with conn:
            for text, pause in (("onset:smile-short", 1.0), ("hello", 0.5), ("offset:smile-short", 4.0), ("end", 0.0)):
                time.sleep(pause)
                conn.sendall(text.encode() + b"\n")

    thread = threading.Thread(target=presenter, daemon=True)
    thread.start()
    r = run("record", "--camera", cued_viewer, "--markers", f"tcp:{port}", "--out", out, "--library", short_library,
            "--surrogates", "50")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    folder = only_session(out)
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "complete" and meta["markers"]["source"] == "tcp"
    log = pd.read_csv(folder / "events_log.csv", keep_default_na=False)
    start, end = log[log.event == "block_start"].t_s.iloc[0], log[log.event == "block_end"].t_s.iloc[0]
    assert end - start == pytest.approx(4.5, abs=0.3)
    assert log[log.event == "marker"].detail.tolist() == ["hello", "end"]
    assert log.t_s.iloc[-1] < 15.0  # ended by the end marker, not by the 22-s camera


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (["--markers", "serial:COM3"], r"--markers 'serial:COM3': lsl, tcp:PORT or udp:PORT"),
        (["--markers", "lsl", "--marker-stream", "nobody", "--wait-s", "0.3"], r"no LSL Markers stream named 'nobody'"),
    ],
)
def test_record_refuses_a_marker_source_it_cannot_use_in_one_line(tmp_path, data_dir, args, pattern):
    if "lsl" in args:
        pytest.importorskip("pylsl")
    r = run("record", "--camera", data_dir / "single_face.mp4", "--out", tmp_path / "s", *args)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and re.search(pattern, lines[0]), r.stderr
    assert not (tmp_path / "s").exists()
