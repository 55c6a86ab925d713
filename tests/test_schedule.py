"""The plan of a run session (mimicry.session.schedule), without a window or a camera."""

import pytest

from mimicry.session.schedule import plan_session, total_s
from mimicry.stimuli.protocol import ResolvedBlock

BLOCKS = [
    ResolvedBlock(0, "smile-a", "smile"),
    ResolvedBlock(1, "control-a", "control"),
    ResolvedBlock(2, "yawn-a", "yawn"),
]
LENGTHS = {"smile-a": 6.0, "control-a": 8.0, "yawn-a": 10.0}


def test_calibration_then_baseline_then_blocks_with_pauses_between():
    plan = plan_session(BLOCKS, LENGTHS, baseline_s=20.0, isi_s=5.0, calibration_s=15.0)
    assert [p.kind for p in plan] == ["calibration", "baseline", "block", "pause", "block", "pause", "block"]
    assert [(p.start_s, p.end_s) for p in plan] == [(0, 15), (15, 35), (35, 41), (41, 46), (46, 54), (54, 59), (59, 69)]
    assert [p.stimulus_id for p in plan if p.kind == "block"] == ["smile-a", "control-a", "yawn-a"]
    assert [p.block for p in plan if p.kind == "block"] == [0, 1, 2]
    assert total_s(plan) == 69


def test_no_calibration_no_baseline_no_pause():
    plan = plan_session(BLOCKS[:2], LENGTHS, baseline_s=0.0, isi_s=0.0)
    assert [(p.kind, p.start_s, p.end_s) for p in plan] == [("block", 0, 6), ("block", 6, 14)]


def test_a_clip_without_a_length_is_an_error_not_a_guess():
    with pytest.raises(KeyError):
        plan_session(BLOCKS, {"smile-a": 6.0}, 1.0, 1.0)
