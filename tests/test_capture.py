import time

import numpy as np
import pytest

from mimicry.errors import CaptureError
from mimicry.sensing.backlog import Backlog, BacklogConfig
from mimicry.sensing.capture import (
    DUPLICATE_STEP_S,
    Frame,
    FrameSource,
    VideoFileSource,
    capture_time_s,
    next_timestamp,
    open_source,
)


def test_next_timestamp_keeps_true_times_and_repairs_bad_ones():
    step = 1 / 30
    assert next_timestamp(None, 0.0, step) == 0.0
    assert next_timestamp(None, -0.5, step) == 0.0
    assert next_timestamp(0.0, 0.040, step) == pytest.approx(0.040)  # variable rate kept
    assert next_timestamp(0.040, 0.040, step) == pytest.approx(0.040 + DUPLICATE_STEP_S)  # duplicate
    assert next_timestamp(0.040, 0.030, step) == pytest.approx(0.040 + DUPLICATE_STEP_S)  # backwards
    assert next_timestamp(0.040, 0.0, step) == pytest.approx(0.040 + step)  # no timestamps in file
    assert next_timestamp(0.040, float("nan"), step) == pytest.approx(0.040 + step)


def test_file_source_times_strictly_increase_and_match_container(data_dir):
    with VideoFileSource(data_dir / "noface_face.mov") as src:
        frames = list(src)
    t = np.array([f.t_s for f in frames])
    assert len(frames) == 169
    assert np.all(np.diff(t) > 0)
    # this file is not constant-rate at the start: the second frame is reported at ~14 ms
    assert t[1] < 0.9 / src.nominal_fps
    assert t[-1] == pytest.approx(6.345, abs=0.01)
    assert [f.index for f in frames] == list(range(169))


def _file_times(path) -> list[float]:
    with VideoFileSource(path) as src:
        return [f.t_s for f in src]


def _wait_captured(src, n: int) -> None:
    """Until the source has captured ``n`` frames (however long a loaded machine takes)."""
    while src.captured < n and not src._done:
        time.sleep(0.01)


def test_a_slow_consumer_behind_a_replayed_camera_gets_every_frame_at_its_capture_time(data_dir):
    path = data_dir / "single_face.mp4"
    with VideoFileSource(path, realtime=True, backlog=BacklogConfig(seconds=60)) as src:
        got, early = [], []
        for f in src:
            got.append(f)
            early.append(time.monotonic() - src.origin_monotonic < f.t_s)  # a camera never delivers ahead
            time.sleep(0.05)  # a consumer at 20 fps behind a 30 fps "camera"
    assert [f.index for f in got] == list(range(72)) and src.dropped == 0
    assert [f.t_s for f in got] == _file_times(path)
    assert not any(early)
    assert src.late > 0 and src.max_wait_s > 0.5  # the waits are measured


def test_a_replay_whose_decoder_is_slower_than_the_camera_loses_no_frame(data_dir):
    # what made a replayed camera report camera_lost on a busy machine: frames decoded late were
    # dropped as stale until the decoder caught up, which it never did
    path = data_dir / "single_face.mp4"
    seen = []
    with VideoFileSource(path, realtime=True, backlog=BacklogConfig(seconds=60)) as src:
        src.prepare = lambda image: time.sleep(0.05)  # decoding at 20 frames/s behind 30
        for f in src:
            seen.append(f.t_s)
    assert seen == _file_times(path) and src.dropped == 0 and src.captured == 72


def test_a_replay_further_behind_than_its_backlog_skips_and_lists_those_frames(data_dir):
    path = data_dir / "single_face.mp4"
    with VideoFileSource(path, realtime=True, backlog=BacklogConfig(seconds=0.3)) as src:
        src.prepare = lambda image: time.sleep(0.1)  # 10 frames/s behind 30: over 0.3 s behind by frame 5
        got = [f.index for f in src]
        skips = src.take_skips()
    assert src.dropped > 0 and len(skips) == src.dropped
    assert sorted(got + [i for i, _ in skips]) == list(range(72))
    times = dict(zip(range(72), _file_times(path)))
    assert all(t == times[i] for i, t in skips)


class _Burst(FrameSource):
    """A live source that captures ``n`` frames 1/30 s apart at once (no pacing)."""

    nominal_fps = 30.0

    def __init__(self, n: int, backlog: BacklogConfig):
        super().__init__("latest", backlog=backlog)
        self.n = n

    def _produce(self):
        for k in range(self.n):
            yield np.zeros((4, 4, 3), np.uint8), k / 30


def test_a_full_backlog_keeps_the_frames_the_rule_keeps_and_lists_the_others():
    src = _Burst(90, BacklogConfig(seconds=0.5))  # 15 frames held
    with src:
        _wait_captured(src, 90)  # the consumer stalled for the whole burst
        got = [f.index for f in iter(lambda: src.read(timeout_s=5), None)]
        skips = src.take_skips()
    expected = Backlog(15)
    for k in range(90):
        expected.push(Frame(k, k / 30, np.zeros(1)))
    assert got == [f.index for f in iter(expected.pop, None)]
    assert len(got) == 15 and src.dropped == 75 and sorted(got + [i for i, _ in skips]) == list(range(90))
    assert src.backlog_frames == 15


def test_a_webcam_frame_keeps_the_drivers_capture_time_when_it_is_one():
    assert capture_time_s(99_800.0, 100.0) == pytest.approx(99.8)  # V4L2: the buffer's monotonic stamp
    assert capture_time_s(0.0, 100.0) == 100.0  # a backend without stamps
    assert capture_time_s(3_000.0, 100.0) == 100.0  # a position, not a clock
    assert capture_time_s(100_050.0, 100.0) == 100.0  # never after the read
    assert capture_time_s(float("nan"), 100.0) == 100.0


def test_open_source_errors(tmp_path, data_dir):
    with pytest.raises(CaptureError, match="not found"):
        open_source(tmp_path / "nope.mp4")
    with pytest.raises(CaptureError, match="directory"):
        open_source(tmp_path)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(CaptureError, match="empty"):
        open_source(empty)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(20000))
    with pytest.raises(CaptureError, match="corrupt"):
        open_source(junk)
    with pytest.raises(CaptureError, match="camera 9"):
        open_source("9")
