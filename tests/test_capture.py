import time

import numpy as np
import pytest

from mimicry.errors import CaptureError
from mimicry.sensing.capture import DUPLICATE_STEP_S, VideoFileSource, next_timestamp, open_source


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


def test_realtime_file_source_is_paced_and_drops_when_consumer_is_slow(data_dir):
    with VideoFileSource(data_dir / "single_face.mp4", realtime=True) as src:
        t0 = time.monotonic()
        got = []
        for f in src:
            got.append(f)
            time.sleep(0.1)  # a consumer at 10 fps behind a 30 fps "camera"
        wall = time.monotonic() - t0
    duration = 71 / 30
    assert wall >= duration - 0.1  # not faster than real time
    assert wall < duration + 0.6
    assert src.dropped > 30 and len(got) + src.dropped == 72
    assert all(b.t_s > a.t_s for a, b in zip(got, got[1:]))


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
