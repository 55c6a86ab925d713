"""XDF streams into mimicry's tables (mimicry.interop.xdf) and recorded markers into blocks
(mimicry.session.onsets.blocks_from_markers); the round trip through a real LabRecorder is in
tests/test_markers.py."""

from __future__ import annotations

import numpy as np
import pytest

from mimicry.errors import SessionError
from mimicry.interop.xdf import XdfStream, face_rows, marker_rows, own_marker_text
from mimicry.session.onsets import DEFAULT_VOCABULARY, PSYCHOPY_VOCABULARY, blocks_from_markers
from mimicry.stimuli.library import load_library

LABELS = ["frame", "face", "detected", "block", "smile", "yawn", "blink", "mouth_open"]


def face_stream(stamps, labels=LABELS) -> XdfStream:
    n = len(stamps)
    samples = np.column_stack(
        [np.arange(n), np.zeros(n), np.ones(n), np.full(n, np.nan)] + [np.full(n, 0.5)] * (len(labels) - 4)
    )
    return XdfStream("mimicry", "FaceSignals", "mimicry-host-camera0", labels, np.asarray(stamps, float), samples, 30.0)


def test_face_signals_become_track_rows_by_channel_label():
    rows = face_rows(face_stream(1000.0 + np.arange(5) / 30), t0=1000.0)
    assert rows.t_s.tolist() == pytest.approx(np.arange(5) / 30)
    assert rows.frame.tolist() == [0, 1, 2, 3, 4] and (rows.detected == 1).all() and (rows.face == 0).all()
    assert (rows.smile == 0.5).all() and "block" not in rows  # an import places the blocks from the markers


def test_a_face_stream_whose_clock_goes_back_is_refused():
    with pytest.raises(SessionError, match=r"sample 3 is stamped 0.500 s before .*a clock that went back"):
        face_rows(face_stream([10.0, 10.1, 10.2, 9.7, 9.8]), t0=10.0)


def test_a_stream_without_the_signals_is_refused():
    with pytest.raises(SessionError, match="no smile, yawn channel"):
        face_rows(face_stream([1.0, 2.0], labels=["frame", "face", "detected", "block"]), t0=1.0)


def test_markers_come_in_time_order_and_mimicry_s_own_are_translated():
    stream = XdfStream("p", "Markers", "p-1", [], np.array([5.0, 3.0]), [["b"], ["a"]])
    assert marker_rows(stream, t0=1.0).to_dict("list") == {"t_s": [2.0, 4.0], "text": ["a", "b"]}
    assert own_marker_text("block_start;0;smile-man-a") == "onset:smile-man-a"
    assert own_marker_text("block_end;0;smile-man-a") == "offset:smile-man-a"
    assert own_marker_text("pause;;space") == "pause;;space"


def test_recorded_markers_become_blocks_as_the_live_recorder_makes_them():
    import pandas as pd

    lib = load_library()
    markers = pd.DataFrame(
        {
            "t_s": [1.0, 2.0, 3.0, 10.0, 12.0, 20.0, 30.0],
            "text": ["fixation", "onset:smile-man-real", "onset:my-clip", "offset:smile-man-real",
                     "onset:yawn-man-a", "onset:control-man-real", "end"],
        }
    )  # fmt: skip
    blocks, others, warnings = blocks_from_markers(markers, DEFAULT_VOCABULARY, lib, end_s=60.0)
    assert [(b.index, b.stimulus.id, b.onset_s, b.shown_s) for b in blocks] == [
        (0, "smile-man-real", 2.0, 8.0),  # its offset
        (1, "yawn-man-a", 12.0, 8.0),  # the next onset
        (2, "control-man-real", 20.0, 10.0),  # the end marker
    ]
    assert others.label.tolist() == ["fixation", "onset:my-clip", "end"]
    assert warnings == [f"markers name 'my-clip', which is not in the library {lib.root}: kept as markers"]
    psychopy = pd.DataFrame({"t_s": [1.0, 50.0], "text": ["yawn-man-a.started", "yawn-man-a.stopped"]})
    (b,), _, _ = blocks_from_markers(psychopy, PSYCHOPY_VOCABULARY, lib, end_s=60.0)
    assert (b.stimulus.id, b.shown_s) == ("yawn-man-a", 24.0)  # at most the clip's length
