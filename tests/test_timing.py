"""The timing rule (mimicry.analysis.timing): a live session that skipped too many camera frames
is not tested for smiles, one that tracked too few frames a second not for yawns; what it says in
the analysis, the demo's class test and the report."""

from __future__ import annotations

import pandas as pd
import pytest

from mimicry.analysis import AnalysisConfig, analyze
from mimicry.analysis.timing import TimingConfig, timing_problem
from mimicry.session.simulate import simulate_session
from mimicry.session.tally import Tally, class_sentence

FAST = AnalysisConfig(n_surrogates=200, n_wlcc_surrogates=20)


def _timing(captured: int, skipped: int, *, fps: float = 30.0, tracked: int | None = None) -> dict:
    """A live session's timing: ``captured`` frames at ``fps`` (evenly), ``skipped`` of them, and
    ``tracked`` the rest unless given (the classroom tracker tracks ten a second by design)."""
    return {
        "camera_fps": fps,
        "frames_captured": captured,
        "frames_tracked": captured - skipped if tracked is None else tracked,
        "frames_skipped": skipped,
        "tracked_s": (captured - 1) / fps,
    }


def test_the_rule_allows_three_percent_of_frames_skipped_and_no_more():
    assert timing_problem(None) == "" and timing_problem({}) == ""  # imported or offline: no timing
    assert timing_problem(_timing(1000, 30)) == ""
    why = timing_problem(_timing(1000, 31))
    assert why.startswith("timing: 31 of 1000 camera frames (3.1 %) were skipped") and "3 %" in why
    assert timing_problem(_timing(1000, 31), TimingConfig(max_skipped_share=0.05)) == ""
    with pytest.raises(ValueError, match="share from 0 to 1"):
        TimingConfig(max_skipped_share=1.5)


def test_the_yawn_tests_need_ten_tracked_frames_a_second_less_three_percent():
    assert timing_problem(_timing(3001, 2000), signal="yawn") == ""  # 10.0 a second of 30
    assert timing_problem(_timing(1501, 501, fps=15.0), signal="yawn") == ""  # the classroom tracker
    why = timing_problem(_timing(1501, 700, fps=15.0, tracked=681), signal="yawn")  # 6.8 a second
    assert (
        why
        == "timing: 6.8 frames a second were tracked, fewer than the 10 the yawn tests need (the computer was too busy)"
    )
    assert timing_problem(_timing(3001, 0, fps=30.0, tracked=972), signal="yawn") == ""  # 9.71 a second
    assert timing_problem(_timing(3001, 0, fps=30.0, tracked=961), signal="yawn").startswith("timing: 9.6 frames")
    assert timing_problem(_timing(501, 0, fps=5.0), signal="yawn") == ""  # a slow camera: its own rate
    assert timing_problem(_timing(501, 0, fps=5.0, tracked=401), signal="yawn").startswith("timing: 4.0 frames")
    assert timing_problem(_timing(1501, 701, fps=15.0), TimingConfig(yawn_min_hz=5.0), signal="yawn") == ""
    with pytest.raises(ValueError, match="positive rate"):
        TimingConfig(yawn_min_hz=0)


@pytest.fixture(scope="module")
def following_viewer():
    return simulate_session(
        blocks=("smile", "control", "smile", "control", "smile"), smile_lag_s=0.7, yawn_lag_s=None, seed=21
    )


def test_a_session_that_skipped_too_many_frames_gets_no_verdict(following_viewer):
    s = following_viewer
    kept = analyze(s.frames, s.stimulus_log, 30.0, FAST, timing=_timing(5000, 100)).verdicts.set_index("measure")
    assert kept.at["smile_mimicry", "verdict"] == "detected"  # 2 % skipped: tested
    poor = analyze(s.frames, s.stimulus_log, 30.0, FAST, timing=_timing(5000, 400))
    v = poor.verdicts.set_index("measure")
    assert v.at["smile_mimicry", "verdict"] == "insufficient_data"
    assert v.at["smile_mimicry", "reason"].startswith("timing: 400 of 5000 camera frames (8.0 %)")
    assert not v.at["yawn_contagion", "reason"].startswith("timing:")  # 27.6 frames a second: enough for yawns
    slow = analyze(s.frames, s.stimulus_log, 30.0, FAST, timing=_timing(5000, 4000)).verdicts.set_index("measure")
    assert (slow.verdict == "insufficient_data").all() and slow.reason.str.startswith("timing:").all()
    assert slow.at["yawn_contagion", "reason"].startswith("timing: 6.0 frames a second were tracked")
    assert slow[["effect", "ci_lo", "ci_hi", "p_value"]].isna().all().all()
    assert poor.contagion.mimicry_index.isna().all()  # no index without a smile verdict


def test_the_class_test_is_held_to_the_yawn_rule():
    tally = Tally("yawn", n_surrogates=200)
    tally.add_stimulus(70.0)
    tally.set_baseline(0.0, 60.0)
    for k in range(600):
        tally.see(0, k * 0.2, measured=True)
    test = tally.class_test(timing=_timing(1501, 700, fps=15.0, tracked=681))
    assert test["verdict"] == "insufficient_data" and test["reason"].startswith("timing:")
    assert class_sentence(tally, test).startswith("Cannot tell: timing: 6.8 frames a second were tracked")
    # a third of a 30-fps camera's frames skipped: too many for a smile, enough for yawns
    assert not tally.class_test(timing=_timing(3000, 1000))["reason"].startswith("timing:")


def test_a_folder_that_skipped_too_many_frames_says_so_in_its_verdicts_and_report(tmp_path, following_viewer):
    from mimicry.report.page import write_report
    from mimicry.session.folder import write_session

    s = following_viewer
    timing = {
        **_timing(5000, 400, tracked=1000),
        "frames_late": 12,
        "late_s": 0.5,
        "worst_gap_s": 0.4,
        "max_wait_s": 2.1,
    }
    folder = write_session(tmp_path / "poor", s.frames, s.stimulus_log, {**s.meta, "timing": timing})
    page = write_report(folder).read_text(encoding="utf-8")
    verdicts = pd.read_csv(folder / "verdicts.csv")
    assert (verdicts.verdict == "insufficient_data").all() and verdicts.reason.str.startswith("timing:").all()
    assert "5000 captured, 1000 tracked, 400 skipped (8.0 %), 12 late" in page
    assert "; 6.0 frames tracked a second" in page  # 999 intervals over 4999 / 30 s: too few for yawns
    assert "worst gap between tracked frames 0.40 s; longest wait for tracking 2.10 s" in page
