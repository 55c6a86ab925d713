"""Onsets logged by another program (mimicry.session.onsets): read, named, placed on the video's
clock; bad files refused with one line that names the line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mimicry.errors import SessionError
from mimicry.session.onsets import (
    EventColumns,
    events_log_rows,
    find_stimulus,
    place_blocks,
    read_events,
    resolve_stimuli,
    stimulus_log_rows,
)
from mimicry.stimuli.library import load_library


@pytest.fixture(scope="module")
def library():
    return load_library()


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bids_events_tsv_is_read_with_its_n_a_cells(tmp_path):
    p = write(
        tmp_path / "sub-01_events.tsv",
        "onset\tduration\ttrial_type\tstim_file\n31.0\tn/a\tyawn\tyawn-man-a\n1.0\t1.0\tfixation\tn/a\n"
        "4.0\t24.0\tsmile\tstimuli/smile-man-real.mp4\n",
    )
    ev = read_events(p)
    assert ev.onset_s.tolist() == [1.0, 4.0, 31.0]  # sorted by onset
    assert ev.stimulus.tolist() == ["", "stimuli/smile-man-real.mp4", "yawn-man-a"]
    assert ev.label.tolist() == ["fixation", "smile", "yawn"]
    assert ev.line.tolist() == [3, 4, 2]
    assert np.isnan(ev.duration_s[2]) and ev.duration_s[1] == 24.0


def test_a_psychopy_trial_csv_is_read_by_the_columns_named(tmp_path):
    """PsychoPy writes one row per trial (and rows of other routines with empty cells)."""
    p = write(
        tmp_path / "P01_psychopy.csv",
        "movie_file,movie.started,movie.stopped,key_resp.keys\n"
        "clips/smile-man-real.mp4,4.012,28.01,\n,,,space\nyawn-man-a.mp4,31.5,55.4,\n",
    )
    ev = read_events(p, EventColumns(onset="movie.started", stimulus="movie_file"))
    assert ev.onset_s.tolist() == [4.012, 31.5] and ev.stimulus.tolist() == [
        "clips/smile-man-real.mp4",
        "yawn-man-a.mp4",
    ]
    assert ev.duration_s.isna().all()


def test_an_e_prime_export_in_utf16_with_milliseconds_is_read(tmp_path):
    """E-DataAid writes tab-separated UTF-16 text; E-Prime's onset times are in milliseconds."""
    p = tmp_path / "P01-1.txt"
    text = "Subject\tMovie\tMovie.OnsetTime\tMovie.Duration\n1\tsmile-man-real.mp4\t4012\t24000\n1\tyawn-man-a.mp4\t31500\t\n"
    p.write_text(text, encoding="utf-16")
    ev = read_events(
        p, EventColumns(onset="Movie.OnsetTime", stimulus="Movie", duration="Movie.Duration", unit_s=0.001)
    )
    assert (
        ev.onset_s.tolist() == pytest.approx([4.012, 31.5])
        and ev.duration_s[0] == pytest.approx(24.0)
        and np.isnan(ev.duration_s[1])
    )
    assert ev.stimulus.tolist() == ["smile-man-real.mp4", "yawn-man-a.mp4"]


def test_a_jspsych_csv_in_milliseconds_is_read(tmp_path):
    p = write(
        tmp_path / "jspsych.csv",
        'trial_type,time_elapsed,stimulus\nhtml-keyboard-response,1200,"<p>Ready?</p>"\nvideo-keyboard-response,4012,'
        '"[""video/smile-man-real.mp4""]"\n',
    )
    ev = read_events(p, EventColumns(onset="time_elapsed", stimulus="stimulus", unit_s=0.001))
    assert ev.onset_s.tolist() == pytest.approx([1.2, 4.012]) and ev.stimulus[1] == '["video/smile-man-real.mp4"]'
    assert find_stimulus(ev.stimulus[1], load_library()).id == "smile-man-real"  # jsPsych's list of one video


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        (
            "onset,stim_file\n4.0,smile-man-real\nsoon,yawn-man-a\n",
            EventColumns(),
            "line 3: onset 'soon' is not a number",
        ),
        ("onset,stim_file\ninf,smile-man-real\n", EventColumns(), "line 2: onset 'inf' is not a number"),
        ("start,stim_file\n4.0,smile-man-real\n", EventColumns(), "no onset column 'onset'"),
        ("onset,condition\n4.0,smile-man-real\n", EventColumns(), "no column names the stimulus"),
        ("onset,stim_file\n4.0,a\n", EventColumns(duration="length"), "no duration column 'length'"),
        ("", EventColumns(), "not a readable events table"),
    ],
)
def test_a_bad_events_file_gives_one_line_naming_the_problem(tmp_path, text, columns, message):
    p = write(tmp_path / "events.csv", text)
    with pytest.raises(SessionError, match=message) as e:
        read_events(p, columns)
    assert "\n" not in str(e.value)


def test_a_clip_is_named_by_id_file_name_stem_or_sha256(library):
    s = library.get("yawn-man-a")
    for name in (
        "yawn-man-a",
        "clips/yawn-man-a.mp4",
        "C:\\exp\\stim\\yawn-man-a.mp4",
        "yawn-man-a.mp4",
        s.sha256.upper(),
    ):
        assert find_stimulus(name, library) is s, name
    assert find_stimulus("yawn-woman.mp4", library) is None


def test_an_unknown_stimulus_is_refused_with_its_line(tmp_path, library):
    ev = read_events(write(tmp_path / "e.csv", "onset,stim_file\n4.0,smile-man-real\n30,my-own-clip.mp4\n"))
    with pytest.raises(SessionError, match=r"line 3: stimulus 'my-own-clip.mp4' is not in the library"):
        resolve_stimuli(ev, library, "e.csv")


def _placed(tmp_path, library, text, *, offset_s=0.0, video_s=100.0):
    ev = read_events(write(tmp_path / "e.csv", text))
    return place_blocks(ev, resolve_stimuli(ev, library, "e.csv"), offset_s=offset_s, video_s=video_s, source="e.csv")


def test_clips_are_placed_on_the_video_s_clock_with_the_offset(tmp_path, library):
    blocks = _placed(tmp_path, library, "onset,duration,stim_file\n2,,smile-man-real\n40,10,yawn-man-a\n", offset_s=1.5)
    assert [(b.index, b.stimulus.id, b.onset_s, b.shown_s) for b in blocks] == [
        (0, "smile-man-real", 3.5, 24.0),  # the whole clip when no duration is given
        (1, "yawn-man-a", 41.5, 10.0),  # stopped after 10 s
    ]
    longer = _placed(tmp_path, library, "onset,duration,stim_file\n2,60,smile-man-real\n")
    assert longer[0].shown_s == 24.0  # a duration longer than the clip (a fixation after it) ends with the clip


@pytest.mark.parametrize(
    ("text", "offset_s", "message"),
    [
        (
            "onset,stim_file\n90,smile-man-real\n",
            0.0,
            r"line 2: smile-man-real from 90.00 to 114.00 s .* outside the video \(0-100.00 s\)",
        ),
        ("onset,stim_file\n2,smile-man-real\n", -5.0, r"line 2: smile-man-real from -3.00 .* outside the video"),
        (
            "onset,stim_file\n2,smile-man-real\n20,yawn-man-a\n",
            0.0,
            r"lines 2 and 3: smile-man-real \(2.00-26.00 s\) and yawn-man-a \(from 20.00 s\) overlap",
        ),
        ("onset,stim_file\n2,n/a\n", 0.0, "no event names a stimulus"),
        ("onset,duration,stim_file\n2,0,smile-man-real\n", 0.0, "line 2: smile-man-real has duration 0 s"),
    ],
)
def test_events_outside_the_video_or_on_top_of_each_other_are_refused(tmp_path, library, text, offset_s, message):
    with pytest.raises(SessionError, match=message):
        _placed(tmp_path, library, text, offset_s=offset_s)


def test_the_stimulus_log_has_every_clip_frame_with_the_actor_s_signals(tmp_path, library):
    blocks = _placed(tmp_path, library, "onset,duration,stim_file\n2,2,smile-man-real\n10,1,yawn-man-a\n")
    actor = {
        "smile-man-real": pd.DataFrame({"smile": np.linspace(0, 1, 720), "yawn": 0.0}),
        "yawn-man-a": pd.DataFrame({"smile": 0.0, "yawn": np.full(10, 0.5)}),  # a track shorter than shown
    }
    log = stimulus_log_rows(blocks, actor)
    first, second = log[log.block == 0], log[log.block == 1]
    assert len(first) == 60 and len(second) == 25  # 2 s at 30 fps, 1 s at 25 fps
    assert np.allclose(first.t_s, 2 + np.arange(60) / 30) and np.allclose(second.t_s, 10 + np.arange(25) / 25)
    assert np.allclose(first.smile, np.linspace(0, 1, 720)[:60])
    assert (second.yawn.iloc[:10] == 0.5).all() and second.yawn.iloc[10:].isna().all()  # not guessed
    assert set(log.kind) == {"smile", "yawn"} and (second.stimulus_t_s.diff().dropna() > 0).all()


def test_the_events_log_keeps_every_other_row_as_a_marker(tmp_path, library):
    ev = read_events(
        write(
            tmp_path / "e.tsv",
            "onset\ttrial_type\tstim_file\n1\tfixation\tn/a\n2\tsmile\tsmile-man-real\n60\tresponse\tn/a\n",
        )
    )
    blocks = place_blocks(ev, resolve_stimuli(ev, library, "e.tsv"), offset_s=0.5, video_s=100.0, source="e.tsv")
    onsets = {"smile-man-real": [(3.0, "smile"), (23.0, "smile"), (30.0, "smile")]}  # the last one after the clip
    log = events_log_rows(blocks, onsets, ev[ev.stimulus == ""], offset_s=0.5, end_s=100.0)
    assert log.event.tolist() == [
        "session_start", "marker", "block_start", "stimulus_smile", "stimulus_smile", "block_end", "marker", "session_end",
    ]  # fmt: skip
    assert log.t_s.tolist() == [0.0, 1.5, 2.5, 5.5, 25.5, 26.5, 60.5, 100.0]
    assert log[log.event == "marker"].detail.tolist() == ["fixation", "response"]


def test_the_actor_s_offsets_are_events_too(library):
    """Issue 30 item 5: a clip's smiles and yawns end as well as start (``stimulus_yawn_end``)."""
    from mimicry.session.clips import actor_events

    ev = pd.read_csv(library.events_path("yawn-man-a"))
    events = actor_events(library, "yawn-man-a")
    assert [t for t, k in events if k == "yawn"] == ev.onset_s.tolist()
    assert [t for t, k in events if k == "yawn_end"] == ev.offset_s.tolist()
    assert [t for t, _ in events] == sorted(t for t, _ in events)
    blocks = place_blocks(
        pd.DataFrame(
            {"line": [2], "onset_s": [1.0], "duration_s": [np.nan], "stimulus": ["yawn-man-a"], "label": [""]}
        ),
        {"yawn-man-a": library.get("yawn-man-a")},
        offset_s=0.0,
        video_s=100.0,
        source="e",
    )
    log = events_log_rows(
        blocks, {"yawn-man-a": events}, pd.DataFrame(columns=["onset_s", "label", "line"]), offset_s=0, end_s=100
    )
    ends = log[log.event == "stimulus_yawn_end"].t_s.to_numpy()
    assert len(ends) == len(ev) and np.allclose(ends, 1.0 + ev.offset_s.to_numpy())
