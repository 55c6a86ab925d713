"""The yawn model (:mod:`mimicry.sensing.yawn`) on synthetic openings with known time courses;
on real and synthetic faces through MediaPipe in ``test_signals.py``."""

import numpy as np
import pytest

from mimicry.sensing.signals import DEFAULT_CONFIG
from mimicry.sensing.yawn import median_t, yawn_runs, yawn_signal


def _course(t, start, rise_s, hold_s, fall_s, peak=0.8):
    """A mouth opening from 0 to ``peak`` over ``rise_s`` (linear), held, then closing."""
    up = np.clip((t - start) / rise_s, 0, 1) if rise_s > 0 else (t >= start).astype(float)
    down = np.clip(1 - (t - start - rise_s - hold_s) / fall_s, 0, 1)
    return peak * np.minimum(up, down) * (t >= start)


def test_a_slow_sustained_opening_is_a_yawn_and_quick_ones_are_not():
    t = np.arange(0, 30, 1 / 30)
    yawn = _course(t, 2, 1.5, 1.5, 1.0)  # the whole yawn: 1.5 s opening, 1.5 s wide, closes in 1 s
    talk = 0.8 * (np.sin(2 * np.pi * 4 * t) > 0.3) * (t >= 8) * (t < 12)  # 4 Hz syllables as wide
    surprise = _course(t, 14, 0.15, 1.2, 0.2)  # the jaw drops at once and stays 1.2 s
    held = _course(t, 18, 0.1, 4.0, 0.2)  # a held "aah": open at once, 4 s
    y = yawn_signal(t, yawn + talk + surprise + held, np.zeros(t.size))
    assert y[(t > 3.2) & (t < 4.5)].min() == 1.0  # wide phase at full yawn
    assert y[t < 2].max() == 0 and y[(t > 6) & (t < 30)].max() == 0.0
    # the signal follows the opening through the rise: onset where the opening passes yawn_open
    onset = t[np.argmax(y > 0)]
    assert abs(onset - (2 + 1.5 * DEFAULT_CONFIG.yawn_open / 0.8)) < 0.1


def test_a_quick_held_opening_becomes_a_yawn_only_if_held_much_longer():
    """open time x opening time >= 0.7^2 s^2: a jaw that opens in 0.4 s (0.2 s from the open
    level to 90 %) counts only after about 2.4 s open, less the look-ahead; one that drops at once
    never; a slow one (1.5 s) from its start."""
    t = np.arange(0, 16, 1 / 30)
    look = DEFAULT_CONFIG.yawn_latency_s - DEFAULT_CONFIG.yawn_smooth_s / 2
    y = yawn_signal(t, _course(t, 1, 0.4, 12.0, 0.2), np.zeros(t.size))
    assert y.max() == 1.0 and t[np.argmax(y > 0)] > 1 + 2.0 - look
    assert yawn_signal(t, _course(t, 1, 0.0, 12.0, 0.2), np.zeros(t.size)).max() == 0.0
    y = yawn_signal(t, _course(t, 1, 1.5, 12.0, 0.2), np.zeros(t.size))
    assert t[np.argmax(y > 0)] < 1 + 1.5 * DEFAULT_CONFIG.yawn_open / 0.8 + 0.1  # in from its start


def test_a_laugh_is_not_a_yawn_and_a_smile_fades_the_yawn():
    t = np.arange(0, 8, 1 / 30)
    course = _course(t, 1, 1.5, 2.0, 1.0)
    assert yawn_signal(t, course, np.full(t.size, 0.6)).max() == 0.0  # mouth wide with a smile
    faded = yawn_signal(t, course, np.where(t > 4, 0.5, 0.0))  # smiling once it is a yawn
    assert faded[(t > 3) & (t < 4)].min() == 1.0 and faded[(t > 4.1) & (t < 4.4)].max() == pytest.approx(0.5)


def test_yawn_durations_are_seconds_at_any_frame_rate_and_missing_frames_censor():
    rng = np.random.default_rng(4)
    for fps in (30.0, 18.0, 12.0):
        t = np.arange(0, 10, 1 / fps)
        t = np.sort(t[rng.random(t.size) > 0.1])  # 10 % of frames dropped
        y = yawn_signal(t, _course(t, 1, 1.5, 1.5, 1.0) + _course(t, 6, 0.1, 0.8, 0.1), np.zeros(t.size))
        assert y[(t > 2.5) & (t < 4)].min() == 1.0 and y[t > 5.5].max() == 0.0, fps
    # a face that appears with its mouth already wide open: its opening time is unknown (censored)
    t = np.arange(0, 4, 1 / 30)
    o = np.where(t < 1, np.nan, 0.8)
    assert yawn_signal(t, o, np.zeros(t.size))[t > 2].min() == 1.0
    assert yawn_signal(t, np.where(t < 1, 0.0, 0.8), np.zeros(t.size)).max() == 0.0  # seen opening at once


def test_median_t_is_a_running_median_in_seconds():
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 1.0])
    x = np.array([0.0, 9.0, 0.0, 1.0, 2.0, 3.0, 5.0])
    np.testing.assert_allclose(median_t(t, x, 0.2), [4.5, 0.0, 1.0, 1.5, 2.0, 2.0, 5.0])
    np.testing.assert_allclose(median_t(t, x, 0.0), x)


def test_yawn_runs_report_what_each_opening_was_judged_on():
    t = np.arange(0, 12, 1 / 30)
    o = _course(t, 1, 1.5, 1.5, 1.0) + _course(t, 7, 0.1, 1.0, 0.1)
    runs = yawn_runs(t, o, np.zeros(t.size))
    assert len(runs) == 2
    slow, quick = runs.iloc[0], runs.iloc[1]
    assert slow.rise_s > 0.75 and slow.time_scale_s >= DEFAULT_CONFIG.yawn_time_scale_s
    assert slow.decided_after_s == pytest.approx(slow.yawn_onset_s - slow.start_s)
    assert slow.time_scale_s == pytest.approx(np.sqrt(slow.open_s * slow.rise_s))
    assert quick.rise_s < 0.1 and np.isnan(quick.yawn_onset_s) and not quick.censored
    y = yawn_signal(t, o, np.zeros(t.size))
    assert y[t >= slow.end_s + 0.1].max() == 0 and y[(t >= slow.start_s) & (t <= slow.end_s)].max() == 1.0
