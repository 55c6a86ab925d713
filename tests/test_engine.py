"""The live-session engine (mimicry.session.engine) that `run` and `demo` share: files as they
go, session.json from start to end, errors handed over with what was recorded kept."""

import json

import pandas as pd
import pytest

from mimicry.errors import MimicryError
from mimicry.sensing.capture import FrameSource, VideoFileSource
from mimicry.sensing.pipeline import TrackConfig
from mimicry.session.engine import LiveSession, base_meta, create_session_folder

END_FIELDS = {
    "status",
    "end_time",
    "duration_s",
    "camera_frames",
    "camera_frames_dropped",
    "camera_fps_measured",
    "camera_gaps_s",
}
START_FIELDS = {
    "session_id",
    "participant",
    "status",
    "pid",
    "host",
    "camera_fps",
    "camera",
    "camera_size",
    "start_time",
    "versions",
    "model_sha256",
}


def _session(tmp_path, clip, **kw):
    folder = create_session_folder(tmp_path / "out", "T-1")
    source = VideoFileSource(clip, realtime=True)
    meta = base_meta(folder, "T-1", source, None)
    return LiveSession(source, TrackConfig(), folder, meta, **kw), folder


@pytest.mark.mediapipe
def test_a_session_writes_as_it_goes_and_completes_its_metadata(tmp_path, data_dir):
    live, folder = _session(
        tmp_path,
        data_dir / "single_face.mp4",
        on_row=lambda row: row.__setitem__("block", 0 if row["t_s"] > 1.0 else None),
    )
    assert json.loads((folder / "session.json").read_text())["status"] == "running"
    live.start()
    live.log_event(0.0, "session_start")
    live.log_stimulus(
        {
            "t_s": 0.1,
            "block": 0,
            "stimulus_id": "x",
            "kind": "smile",
            "stimulus_frame": 0,
            "stimulus_t_s": 0.0,
            "smile": 0.5,
            "yawn": 0.0,
        }
    )
    while not live.ended:
        live.stop.wait(0.05)
    live.finish("complete", extra_field=1)
    meta = json.loads((folder / "session.json").read_text())
    assert START_FIELDS | END_FIELDS | {"extra_field"} <= set(meta)
    assert meta["status"] == "complete" and meta["camera_frames"] > 60 and meta["camera"]["file"].endswith(".mp4")
    frames = pd.read_csv(folder / "frames.csv")
    assert frames.block.isna().sum() > 0 and (frames.block == 0).sum() > 0  # on_row's field is written
    events = pd.read_csv(folder / "events_log.csv").event.tolist()
    assert events[0] == "session_start" and events[-1] == "session_end" and "camera_end" in events
    assert len(pd.read_csv(folder / "stimulus_log.csv")) == 1


@pytest.mark.mediapipe
def test_a_tracker_error_is_handed_over_and_the_session_is_marked_crashed(tmp_path, data_dir):
    def explode(row):
        if row["t_s"] > 1.0:
            raise OSError("disk on fire")

    live, folder = _session(tmp_path, data_dir / "single_face.mp4", on_row=explode)
    live.start()
    live.stop.wait(10)  # the tracker stops the session itself
    with pytest.raises(MimicryError, match="tracking failed: disk on fire"):
        live.finish("complete")
    meta = json.loads((folder / "session.json").read_text())
    assert meta["status"] == "crashed" and "disk on fire" in meta["error"]
    assert len(pd.read_csv(folder / "frames.csv")) > 10  # what came before is kept


def test_without_a_folder_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    class Source(FrameSource):
        nominal_fps, width, height = 30.0, 64, 48

        def _produce(self):
            return iter(())

    live = LiveSession(Source("latest"), TrackConfig(), None, {"participant": "demo"})
    live.log_event(0.0, "session_start")
    live.finish("complete")
    assert list(tmp_path.iterdir()) == [] and live.meta["status"] == "complete"


@pytest.mark.mediapipe
def test_skipped_frames_are_logged_warned_about_and_counted_in_the_timing(tmp_path, data_dir):
    lost = {10, 20, 30, 40, 50, 60}  # 6 of the clip's 72 frames (8 %) never reach the tracker

    class Losing(VideoFileSource):
        def _produce(self):
            for i, (image, t) in enumerate(super()._produce()):
                yield (None if i in lost else image), t

    folder = create_session_folder(tmp_path / "out", "T-1")
    source = Losing(data_dir / "single_face.mp4", realtime=True)
    notes: list[str] = []
    live = LiveSession(source, TrackConfig(), folder, base_meta(folder, "T-1", source, None), on_note=notes.append)
    live.start()
    while not live.ended:
        live.stop.wait(0.05)
    live.finish("complete")
    meta = json.loads((folder / "session.json").read_text())
    timing = meta["timing"]
    assert (timing["frames_captured"], timing["frames_tracked"], timing["frames_skipped"]) == (72, 66, 6)
    assert timing["worst_gap_s"] == pytest.approx(2 / 30, abs=0.002)  # a lost frame leaves a two-frame gap
    assert timing["camera_fps"] == pytest.approx(30.0, abs=0.5)
    assert timing["tracked_s"] == pytest.approx(71 / 30, abs=0.01)  # the clip's first frame to its last
    events = pd.read_csv(folder / "events_log.csv")
    listed = " ".join(events.loc[events.event == "frames_skipped", "detail"])
    assert sorted(int(n) for n in listed.replace(":", " ").split() if n.isdigit() and int(n) in lost) == sorted(lost)
    assert len(notes) == 1 and "skipped so far" in notes[0]  # one console line, while it ran
    assert any("6 of 72 camera frames (8.3 %) were skipped" in w for w in meta["warnings"])
    tracked = pd.read_csv(folder / "frames.csv").frame
    assert not set(tracked) & lost and len(set(tracked)) == 66
