"""Per-person calibration (mimicry.analysis.calibration): schedule, ranges, relative signals, analysis."""

import numpy as np
import pandas as pd
import pytest

from mimicry.analysis import AnalysisConfig, analyze
from mimicry.analysis.calibration import (
    CalibrationError,
    calibration_schedule,
    face_ranges,
    normalize_frames,
    phase_duration_s,
    relative,
)
from mimicry.schema import CALIBRATION
from mimicry.session.simulate import simulate_session
from mimicry.stimuli.protocol import ProtocolError, load_protocol

FAST = AnalysisConfig(n_surrogates=200, n_wlcc_surrogates=20)


def cues_from(t0: float = 0.0) -> list[dict]:
    return [{"cue": c.name, "start_s": t0 + c.start_s, "end_s": t0 + c.end_s} for c in calibration_schedule()]


def calibration_frames(smile_peak=0.8, smile_rest=0.1, jaw_peak=0.7, jaw_rest=0.02, fps=30.0, face=0) -> pd.DataFrame:
    """15 s of one face doing the cues: a smile, a wide-open mouth, then rest (noise-free)."""
    t = np.arange(0, phase_duration_s(), 1 / fps)
    smile = np.where(t < 5, smile_peak, smile_rest)
    smile[t < 0.8] = smile_rest  # reacting to the first cue
    jaw = np.where((t >= 5.6) & (t < 10), jaw_peak, jaw_rest)
    return pd.DataFrame(
        {
            "t_s": t,
            "frame": np.arange(t.size),
            "face": face,
            "detected": 1,
            "smile": smile,
            "yawn": np.where(jaw > 0.5, 1.0, 0.0),
            "jawOpen": jaw,
        }
    )


def test_schedule_is_smile_then_open_mouth_then_rest_back_to_back():
    cues = calibration_schedule()
    assert [c.name for c in cues] == ["smile", "open", "relaxed"]
    assert [c.start_s for c in cues] == [0.0, 5.0, 10.0] and cues[-1].end_s == phase_duration_s() == 15.0
    assert all(c.text for c in cues)


def test_ranges_are_the_rest_median_and_the_cue_peaks():
    r = face_ranges(calibration_frames(), cues_from()).iloc[0]
    assert r.usable == 1 and r.reason == ""
    assert r.smile_rest == pytest.approx(0.1) and r.smile_max == pytest.approx(0.8)
    assert r.mouth_open_rest == pytest.approx(0.02) and r.mouth_open_max == pytest.approx(0.7)
    assert list(face_ranges(calibration_frames(), cues_from()).columns) == CALIBRATION.names


def test_a_cue_not_done_or_a_face_not_seen_is_not_usable_with_the_reason():
    flat = face_ranges(calibration_frames(smile_peak=0.15), cues_from()).iloc[0]
    assert flat.usable == 0 and "no clear smile" in flat.reason
    gone = calibration_frames()
    gone.loc[gone.t_s >= 10, "detected"] = 0
    r = face_ranges(gone, cues_from()).iloc[0]
    assert r.usable == 0 and "relaxed" in r.reason and np.isnan(r.smile_rest)


def test_relative_maps_rest_to_0_and_the_peak_to_1_clipped():
    assert relative(np.array([0.1, 0.45, 0.8, 0.95, 0.0]), 0.1, 0.8).tolist() == pytest.approx([0, 0.5, 1, 1, 0])


def test_normalize_rescales_each_face_by_its_own_range():
    a, b = calibration_frames(face=0), calibration_frames(smile_peak=0.5, smile_rest=0.2, face=1)
    frames = pd.concat([a, b], ignore_index=True)
    ranges = face_ranges(frames, cues_from())
    out = normalize_frames(frames, ranges)
    for face in (0, 1):
        f = out[out.face == face]
        assert f.smile.max() == pytest.approx(1.0) and f.smile.min() == pytest.approx(0.0)
        assert f.mouth_open.max() == pytest.approx(1.0)
    bad = face_ranges(calibration_frames(smile_peak=0.15), cues_from())
    with pytest.raises(CalibrationError, match="face 0: no usable calibration .*no clear smile"):
        normalize_frames(calibration_frames(), bad)


def calibrated_session(**kw):
    """A simulated session whose first 15 s are the calibration phase (the open-mouth cue reads as a yawn)."""
    s = simulate_session(
        blocks=("smile", "control", "smile", "control", "smile"), baseline_s=20.0, yawn_lag_s=None, seed=5, **kw
    )
    f = s.frames.copy()
    f["jawOpen"] = 0.02
    cal = calibration_frames()
    phase = f.t_s < phase_duration_s()
    for col in ("smile", "yawn", "jawOpen"):
        f.loc[phase, col] = np.interp(f.loc[phase, "t_s"], cal.t_s, cal[col])
    return f, s.stimulus_log, {"cues": cues_from(), "end_s": phase_duration_s()}


def test_analysis_leaves_the_calibration_phase_out():
    frames, log, cal = calibrated_session()
    without = analyze(frames, log, 30.0, FAST)
    ev = without.events
    assert ((ev.source == "viewer") & (ev.kind == "yawn") & (ev.onset_s < 15)).any()  # the open mouth, as a yawn
    res = analyze(frames, log, 30.0, FAST, calibration=cal)
    ev = res.events
    assert not ((ev.source == "viewer") & (ev.onset_s < 15)).any()
    assert res.calibration.iloc[0].usable == 1 and without.calibration is None


def test_calibrated_analysis_expresses_smile_relative_to_the_range():
    frames, log, cal = calibrated_session(smile_gain=0.35)
    plain = analyze(frames, log, 30.0, FAST, calibration=cal)
    rel = analyze(
        frames, log, 30.0, AnalysisConfig(n_surrogates=200, n_wlcc_surrogates=20, calibrated=True), calibration=cal
    )
    r = rel.calibration.iloc[0]
    p_eff = plain.verdicts.set_index("measure").at["smile_mimicry", "effect"]
    r_eff = rel.verdicts.set_index("measure").at["smile_mimicry", "effect"]
    # the same response, as a share of this face's 0.1-0.8 range: larger by about 1 / 0.7
    assert r_eff == pytest.approx(p_eff / (r.smile_max - r.smile_rest), rel=0.25) and r_eff > p_eff


def test_calibrated_analysis_without_a_calibration_phase_is_a_clear_error():
    s = simulate_session(seed=1)
    with pytest.raises(CalibrationError, match="no calibration phase"):
        analyze(s.frames, s.stimulus_log, 30.0, AnalysisConfig(n_surrogates=50, calibrated=True))


def test_protocol_calibration_flag(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[protocol]\ncalibration = true\n[[block]]\nkind = 'smile'\n")
    assert load_protocol(p).calibration is True
    p.write_text("[protocol]\n[[block]]\nkind = 'smile'\n")
    assert load_protocol(p).calibration is False
    p.write_text("[protocol]\ncalibration = 'yes'\n[[block]]\nkind = 'smile'\n")
    with pytest.raises(ProtocolError, match="'calibration' must be true or false"):
        load_protocol(p)
