"""Scoring against hand-marked truth (mimicry.sensing.validation), on synthetic tracks with known answers."""

import numpy as np
import pandas as pd
import pytest

from mimicry.sensing.validation import episodes, mean_in_spans, score_clip, score_yawns


def truth(*rows):
    return pd.DataFrame(rows, columns=["clip", "event", "start_s", "end_s", "note"])


def test_episodes_need_the_level_for_long_enough():
    t = np.arange(0, 10, 0.1)
    y = np.where((t >= 1) & (t < 1.4), 0.9, 0.0) + np.where((t >= 5) & (t < 6.0), 0.6, 0.0)
    y[57] = np.nan  # a missing sample ends a run
    assert episodes(t, y) == [(5.0, pytest.approx(5.6))]
    assert episodes(t, y, min_s=0.3) == [(1.0, pytest.approx(1.3)), (5.0, pytest.approx(5.6))]


def test_hits_and_false_yawns():
    t = np.arange(0, 30, 0.1)
    y = np.zeros_like(t)
    for a, b in ((2, 4), (10, 11), (20, 21)):  # a hit, an episode in an ambiguous span, a false yawn
        y[(t >= a) & (t < b)] = 0.8
    tr = truth(
        ("c", "yawn", 2.5, 5.0, ""),
        ("c", "yawn", 14.0, 16.0, ""),
        ("c", "ambiguous", 10.5, 12.0, ""),
        ("c", "smile", 25.0, 26.0, ""),
    )
    assert score_yawns(t, y, tr) == {"yawns": 2, "hit": 1, "false": 1}


def test_score_clip_puts_mimicry_beside_raw_mediapipe():
    t = np.arange(0, 10, 0.1)
    track = pd.DataFrame(
        {
            "t_s": t,
            "face": 0,
            "detected": 1,
            "yawn": np.where((t >= 2) & (t < 4), 0.9, 0.0),
            "smile": np.where(t >= 6, 0.7, 0.0),
            "jawOpen": np.where((t >= 2) & (t < 4), 0.9, 0.0) + np.where(t >= 6, 0.6, 0.0),
            "mouthSmileLeft": 0.5,
            "mouthSmileRight": 0.3,
        }
    )
    tr = truth(("c", "yawn", 2.0, 4.0, ""), ("c", "laugh", 6.0, 9.0, ""))
    rows = {r["signal"]: r for r in score_clip(track, tr)}
    assert (rows["mimicry"]["hit"], rows["mimicry"]["false"]) == (1, 0)
    assert (rows["mediapipe"]["hit"], rows["mediapipe"]["false"]) == (1, 1)  # the open laugh reads as a yawn
    assert rows["mimicry"]["smile_in_laugh"] == pytest.approx(0.7) and rows["mediapipe"][
        "smile_in_laugh"
    ] == pytest.approx(0.4)
    assert np.isnan(rows["mimicry"]["smile_in_crying"])
    assert np.isnan(mean_in_spans(t, np.full(t.size, np.nan), tr))
