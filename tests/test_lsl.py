"""Lab Streaming Layer (``--lsl``): what a pylsl inlet on loopback receives is what the session
files hold, stamped on LSL's clock. Every process here loads liblsl with tests/lsl_api.cfg
(conftest.py sets LSLAPICFG): discovery reaches 127.0.0.1 only."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.interop.lsl import LslConfig, LslStreams, face_channels
from mimicry.stimuli.library import default_library

CLIP = default_library() / "clips" / "smile-man-real.mp4"
T_TOL_S = 5e-5  # t_s is written with 6 significant digits


class Receiver:
    """An inlet pulling in its own thread until the stream ends (recover=False: the end is an error)."""

    def __init__(self, pylsl, prop: str, value: str, timeout_s: float = 10.0):
        found = pylsl.resolve_byprop(prop, value, timeout=timeout_s)
        assert found, f"no stream with {prop} = {value!r} on loopback"
        self.inlet = pylsl.StreamInlet(found[0], recover=False)
        self.inlet.open_stream(timeout=timeout_s)
        self.info = self.inlet.info(timeout=timeout_s)
        self.samples: list = []
        self.stamps: list[float] = []
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._pull, daemon=True)
        self.thread.start()

    def _pull(self) -> None:
        try:
            while True:
                data, ts = self.inlet.pull_chunk(timeout=0.05)
                self.samples += data
                self.stamps += ts
        except Exception:  # LostError: the outlet has gone
            self.ended.set()

    def result(self, timeout_s: float = 10.0) -> tuple[list, np.ndarray]:
        assert self.ended.wait(timeout_s), "the stream did not end"
        return self.samples, np.asarray(self.stamps, float)

    def labels(self) -> list[str]:
        out, ch = [], self.info.desc().child("channels").child("channel")
        while not ch.empty():
            out.append(ch.child_value("label"))
            ch = ch.next_sibling()
        return out


def rows_match(samples: list, frames: pd.DataFrame, names: list[str]) -> None:
    got = np.asarray(samples, float)
    want = frames[names].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_streams_carry_rows_and_events_stamped_on_lsl_clock(pylsl):
    name = f"mimicry-unit-{socket.gethostname()}"
    streams = LslStreams(LslConfig(name=name), 30.0, True, f"{name}-src", {"participant": "P-TEST"})
    signals = Receiver(pylsl, "name", name)
    markers = Receiver(pylsl, "name", f"{name}-markers")
    streams.origin_monotonic = 100.0
    rows = [
        {"t_s": 0.5, "frame": 15, "face": 0, "detected": 1, "block": 2, "smile": 0.25, "yaw_deg": -3.5},
        {"t_s": 0.5333, "frame": 16, "face": None, "detected": 0, "block": None, "smile": None},
    ]
    for row in rows:
        streams.push_row(row)
    streams.push_event(0.0, "session_start", None, "a; protocol")
    streams.push_event(1.25, "block_start", 2, "smile-man-a")
    streams.close()
    samples, stamps = signals.result()
    assert signals.labels() == [c.name for c in face_channels(session=True)]
    assert signals.info.type() == "FaceSignals" and signals.info.nominal_srate() == 30.0
    assert signals.info.desc().child_value("participant") == "P-TEST"
    first, second = np.asarray(samples, float)
    assert first[:5].tolist() == [15, 0, 1, 2, 0.25] and first[-3] == -3.5
    assert second[2] == 0 and np.isnan(second[[1, 3, 4]]).all()  # no face, no block: NaN
    assert np.allclose(stamps, 100.0 + streams.offset_s + np.array([0.5, 0.5333]), atol=1e-9, rtol=0)
    texts, mstamps = markers.result()
    assert [t[0] for t in texts] == ["session_start;;a; protocol", "block_start;2;smile-man-a"]
    assert markers.info.type() == "Markers" and markers.info.channel_format() == pylsl.cf_string
    assert np.allclose(mstamps, 100.0 + streams.offset_s + np.array([0.0, 1.25]), atol=1e-9, rtol=0)
    # the offset is LSL's clock minus Python's monotonic clock
    import time

    before = time.monotonic()
    lsl_now = pylsl.local_clock()
    after = time.monotonic()  # bracketed: a pause between two reads does not count
    assert before + streams.offset_s - 0.005 <= lsl_now <= after + streams.offset_s + 0.005


def test_channels_with_and_without_blendshapes():
    session = face_channels(session=True)
    assert [c.name for c in session][:4] == ["frame", "face", "detected", "block"]
    track = face_channels(session=False, blendshapes=True)
    assert len(track) == 3 + 8 + 52 and track[-1].name == "noseSneerRight" and "block" not in {c.name for c in track}


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["track", str(CLIP), "--lsl"], "--lsl streams live input: use it with --camera or --realtime"),
        (["track", str(CLIP), "--realtime", "--lsl-blendshapes"], "--lsl-blendshapes needs --lsl"),
        (["track", str(CLIP), "--realtime", "--lsl"], "--lsl needs pylsl: pip install 'mimicry\\[lsl\\]'"),
        (["run", "--camera", str(CLIP), "--no-window", "--lsl"], "--lsl needs pylsl"),
        (["demo", "--camera", str(CLIP), "--no-window", "--lsl"], "--lsl needs pylsl"),
    ],
)
def test_lsl_option_errors_are_one_line_and_write_nothing(tmp_path, monkeypatch, args, pattern):
    monkeypatch.setitem(sys.modules, "pylsl", None)  # as if pylsl were not installed
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert r.exit_code != 0
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and re.search(pattern, lines[0]), r.output
    assert list(tmp_path.iterdir()) == []


def test_a_session_streams_what_it_records(tmp_path, short_library, pylsl):
    from mimicry.session.run import RunConfig, SessionRun

    proto = tmp_path / "one.toml"
    proto.write_text("[protocol]\nname = 'lsl'\nbaseline_s = 1\n[[block]]\nstimulus = 'smile-short'\n")
    name = f"mimicry-run-{socket.gethostname()}"
    cfg = RunConfig(proto, str(CLIP), out=tmp_path / "s", library=short_library, window=False, lsl=LslConfig(name=name))
    session = SessionRun(cfg)  # the outlets are open from here: a recorder connects before the run
    signals, markers = Receiver(pylsl, "name", name), Receiver(pylsl, "name", f"{name}-markers")
    before = pylsl.local_clock()
    folder = session.run()
    after = pylsl.local_clock()
    frames = pd.read_csv(folder / "frames.csv")
    samples, stamps = signals.result()
    names = [c.name for c in face_channels(session=True)]
    assert signals.labels() == names and len(frames) > 100
    rows_match(samples, frames, names)
    # one clock: every sample is its row's capture time plus one constant, within the run
    origin = stamps - frames["t_s"].to_numpy(float)
    assert np.ptp(origin) < 2 * T_TOL_S and before <= origin[0] <= after
    log = pd.read_csv(folder / "events_log.csv", keep_default_na=False, dtype=str)
    texts, mstamps = markers.result()
    assert [t[0] for t in texts] == [f"{e};{b};{d}" for e, b, d in zip(log.event, log.block, log.detail)]
    assert np.allclose(mstamps - log["t_s"].astype(float).to_numpy(), origin[0], atol=T_TOL_S, rtol=0)
    # the actor's smiles on screen are markers (and events) inside the block
    onsets = log[log.event == "stimulus_smile"]
    start, end = (float(log.loc[log.event == e, "t_s"].iloc[0]) for e in ("block_start", "block_end"))
    assert len(onsets) >= 1 and onsets["t_s"].astype(float).between(start, end).all()
    assert set(onsets.block) == {"0"} and set(onsets.detail) == {"smile-short"}


@pytest.mark.slow
@pytest.mark.mediapipe
def test_track_streams_a_file_paced_as_a_camera(tmp_path, pylsl):
    """``mimicry track --realtime --lsl``: the inlet connects once the stream is there; every
    sample it gets is the CSV row of that frame, at the row's time on LSL's clock."""
    out = tmp_path / "t.csv"
    cmd = [sys.executable, "-m", "mimicry", "track", str(CLIP), "--realtime", "--seconds", "4", "--lsl", "-o", str(out)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)  # LSLAPICFG is inherited
    signals = Receiver(pylsl, "source_id", f"mimicry-{socket.gethostname()}-{CLIP.name}", timeout_s=30)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "LSL: streaming 'mimicry' (FaceSignals)" in err, err
    samples, stamps = signals.result()
    track = pd.read_csv(out)
    got = pd.DataFrame(np.asarray(samples, float), columns=[c.name for c in face_channels(session=False)])
    # every sample a tracked frame, none left out between the first and the last (a busy machine
    # skips camera frames, and logs them: those are in neither the CSV nor the stream)
    tracked = track["frame"].drop_duplicates().to_list()
    first = tracked.index(int(got["frame"].iloc[0]))
    assert len(got) >= 0.5 * len(track) and got["frame"].astype(int).to_list() == tracked[first : first + len(got)]
    rows = track.set_index("frame").loc[got["frame"].astype(int)].reset_index()
    rows_match(samples, rows, list(got.columns))
    assert np.ptp(stamps - rows["t_s"].to_numpy(float)) < 2 * T_TOL_S


def test_the_docs_receiver_gets_the_samples_and_markers(pylsl):
    """The worked example of docs/guide/lsl.md, against streams of the default names."""
    from pathlib import Path

    page = (Path(__file__).parent.parent / "docs" / "guide" / "lsl.md").read_text(encoding="utf-8")
    code = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)[-1]
    code, call = code.rstrip().rsplit("\n", 1)
    assert call == "frames, markers = receive(60.0)"
    ns: dict = {}
    exec(compile(code, "lsl.md", "exec"), ns)
    streams = LslStreams(LslConfig(), 30.0, True, "mimicry-docs-example")
    streams.origin_monotonic = 0.0

    def send() -> None:
        import time

        time.sleep(1.0)  # the receiver has connected
        for k in range(30):
            streams.push_row({"t_s": k / 30, "frame": k, "face": 0, "detected": 1, "smile": k / 30})
        streams.push_event(0.5, "block_start", 0, "smile-man-a")
        streams.close()

    threading.Thread(target=send, daemon=True).start()
    frames, markers = ns["receive"](20.0)
    assert len(frames) == 30 and frames["smile"].tolist() == pytest.approx([k / 30 for k in range(30)])
    assert frames["lsl_time"].diff().dropna().to_numpy() == pytest.approx(1 / 30)
    assert markers[["event", "block", "detail"]].values.tolist() == [["block_start", "0", "smile-man-a"]]
