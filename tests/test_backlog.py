from dataclasses import dataclass

import numpy as np
import pytest

from mimicry.sensing.backlog import Backlog, BacklogConfig


@dataclass
class _F:
    index: int
    t_s: float


def _camera(backlog: Backlog, seconds: float, *, fps: float = 30, take_hz: float = 0, stall=(0.0, 0.0)):
    """Feed a camera at ``fps`` into ``backlog`` while a tracker takes ``take_hz`` frames a second
    (every frame it can when 0), standing still during ``stall``; the frames taken."""
    taken, credit = [], 0.0
    for k in range(int(seconds * fps)):
        t = k / fps
        if not stall[0] <= t < stall[1]:
            credit = credit + take_hz / fps if take_hz else len(backlog)
            while credit >= 1 and len(backlog):
                taken.append(backlog.pop())
                credit -= 1
        backlog.push(_F(k, t))
    return taken + list(iter(backlog.pop, None))


def test_a_tracker_slower_than_the_camera_keeps_evenly_spaced_frames():
    taken = _camera(Backlog(60), 30, take_hz=20)
    steps = np.round(np.diff([f.t_s for f in taken[100:-60]]) * 30).astype(int)
    assert set(steps) == {1, 2}  # 2 of every 3 frames: never two skipped in a row
    assert abs(np.mean(steps) - 1.5) < 0.05


def test_a_stall_longer_than_the_backlog_is_spread_over_instead_of_a_hole():
    taken = _camera(Backlog(60), 15, stall=(5.0, 12.0))
    t = np.array([f.t_s for f in taken])
    inside = t[(t >= 5.0) & (t < 12.0)]
    # the 149 frames taken before the stall, the backlog's 60 (the last of those before it among
    # them), the 90 after
    assert len(taken) == 149 + 60 + 90
    assert np.diff(t).max() < 0.25  # drop-oldest would leave a 5-s hole
    assert inside.min() < 5.3 and inside.max() > 11.9


def test_the_newest_frame_is_never_skipped_nor_the_first_before_any_is_taken():
    b: Backlog = Backlog(3)
    skipped = [b.push(_F(k, k / 30)) for k in range(10)]
    kept = [f.index for f in iter(b.pop, None)]
    assert kept[0] == 0 and kept[-1] == 9 and len(kept) == 3
    assert sorted([s.index for s in skipped if s is not None] + kept) == list(range(10))


def test_a_tracker_that_keeps_up_skips_nothing():
    b: Backlog = Backlog(2)
    taken = _camera(b, 10)
    assert [f.index for f in taken] == list(range(300))


def test_the_backlog_is_sized_by_time_and_bounded_by_memory():
    config = BacklogConfig(seconds=2.0, max_mb=200)
    assert config.capacity(30.0, 640 * 480 * 3 * 2) == 60
    assert config.capacity(30.0, 1920 * 1080 * 3 * 2) == 16  # 200 MiB of 12.4-MB frames
    assert config.capacity(float("nan"), 100) == 60  # an unknown rate counts as 30
    assert BacklogConfig(max_mb=1).capacity(30.0, 10**8) == 2
    for bad in ({"seconds": 0}, {"max_mb": -1}, {"late_s": float("nan")}):
        with pytest.raises(ValueError, match="positive"):
            BacklogConfig(**bad)
    with pytest.raises(ValueError, match="at least 2"):
        Backlog(1)
