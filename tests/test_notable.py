"""The report's notable events (mimicry.report.notable): dozens of stimulus drops are one line."""

from __future__ import annotations

import pandas as pd

from mimicry.report.notable import notable_events


def test_stimulus_drops_fold_into_one_line_with_their_count_total_and_worst():
    log = pd.DataFrame(
        {
            "t_s": [0.0, 5.0, 6.0, 7.5, 9.0, 20.0, 30.0],
            "event": [
                "session_start",
                "stimulus_drop",
                "pause",
                "stimulus_drop",
                "resume",
                "stimulus_drop",
                "session_end",
            ],
            "block": pd.array([pd.NA, 0, pd.NA, 0, pd.NA, 1, pd.NA], "Int64"),
            "detail": ["", "2", "space", "7", "space", "1", "complete"],
        }
    )
    out = notable_events(log)
    assert out.event.tolist() == ["stimulus_drop", "pause", "resume"]
    assert out.detail.iloc[0] == "3 times, 10 frames in all; the worst 7 frames at 7.5 s (block 0)"
    assert out.t_s.tolist() == [5.0, 6.0, 9.0]


def test_a_single_drop_stays_as_it_was():
    log = pd.DataFrame({"t_s": [1.0], "event": ["stimulus_drop"], "block": [0], "detail": ["3"]})
    assert notable_events(log).to_dict("list") == log.to_dict("list")
