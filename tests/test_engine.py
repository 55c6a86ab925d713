"""The live-session engine (mimicry.session.engine) that `run` and `demo` share: files as they
go, session.json from start to end, errors handed over with what was recorded kept."""

import json

import pandas as pd
import pytest

from mimicry.errors import MimicryError
from mimicry.sensing.capture import VideoFileSource
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

    class Source:
        nominal_fps, width, height, dropped, last_frame_monotonic = 30.0, 64, 48, 0, None

        def close(self):
            pass

    live = LiveSession(Source(), TrackConfig(), None, {"participant": "demo"})
    live.log_event(0.0, "session_start")
    live.finish("complete")
    assert list(tmp_path.iterdir()) == [] and live.meta["status"] == "complete"
