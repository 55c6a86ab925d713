"""Property-based fuzzing (Hypothesis) of what users hand mimicry: a session folder mutated in
every way a file can be (cut, NaN and inf, shuffled, duplicated, wrong types, a newer
version), and every numeric option of every command. The property: analysed correctly or
refused in one line; never a traceback, never a mutated file taken silently.
"""

from __future__ import annotations

import json
import math
import shutil

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_doc_commands import _all_commands, parse

from mimicry.analysis import AnalysisConfig, analyze
from mimicry.cli import main
from mimicry.errors import MimicryError
from mimicry.session.folder import read_session, write_session
from mimicry.session.simulate import simulate_session
from mimicry.session.validate import FPS_AGREEMENT, MAX_CAMERA_FPS, SESSION_FORMAT, frame_rate

FAST = AnalysisConfig(n_surrogates=19, n_wlcc_surrogates=5)
CSVS = ("frames.csv", "stimulus_log.csv")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    s = simulate_session(blocks=("smile", "yawn"), block_s=12.0, baseline_s=4.0, isi_s=2.0, fps=15.0, seed=21)
    folder = write_session(
        tmp_path_factory.mktemp("fuzz") / "S", s.frames, s.stimulus_log, {**s.meta, "participant": "P01"}
    )
    return folder, read_session(folder)


# -- mutations: each takes the folder and a Hypothesis draw -----------------------------------------


def _truncate(folder, draw):
    name = draw(st.sampled_from(CSVS))
    raw = (folder / name).read_bytes()
    (folder / name).write_bytes(raw[: draw(st.integers(0, len(raw) - 1))])


def _cell(folder, draw):
    name = draw(st.sampled_from(CSVS))
    df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    row = draw(st.integers(0, len(df) - 1))
    col = draw(st.sampled_from(list(df.columns)))
    value = draw(st.sampled_from(["nan", "NaN", "inf", "-inf", "", "x", "1e309", "-1", "2", "0.5", "1e-320", "999999"]))
    df.loc[row, col] = value
    df.to_csv(folder / name, index=False, lineterminator="\r\n")


def _shuffle(folder, draw):
    name = draw(st.sampled_from(CSVS))
    df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    df.sample(frac=1.0, random_state=draw(st.integers(0, 2**16))).to_csv(
        folder / name, index=False, lineterminator="\r\n"
    )


def _duplicate(folder, draw):
    name = draw(st.sampled_from(CSVS))
    lines = (folder / name).read_bytes().splitlines(keepends=True)
    i = draw(st.integers(1, len(lines) - 1))
    (folder / name).write_bytes(b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]))


def _delete_row(folder, draw):
    name = draw(st.sampled_from(CSVS))
    lines = (folder / name).read_bytes().splitlines(keepends=True)
    i = draw(st.integers(1, len(lines) - 1))
    (folder / name).write_bytes(b"".join(lines[:i] + lines[i + 1 :]))


def _drop_column(folder, draw):
    name = draw(st.sampled_from(CSVS))
    df = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    df.drop(columns=[draw(st.sampled_from(list(df.columns)))]).to_csv(folder / name, index=False, lineterminator="\r\n")


_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)


def _meta_value(folder, draw):
    meta = json.loads((folder / "session.json").read_text())
    key = draw(st.sampled_from(["camera_fps", "format", "status", "session_id", "participant", "versions", "files"]))
    meta[key] = draw(
        st.one_of(_JSON_VALUES, st.just({"mimicry": draw(st.sampled_from(["99.0", "0.1", "x", "1.0.0"]))}))
    )
    (folder / "session.json").write_text(json.dumps(meta))  # NaN and Infinity as Python's json writes them


def _meta_cut(folder, draw):
    raw = (folder / "session.json").read_bytes()
    (folder / "session.json").write_bytes(raw[: draw(st.integers(0, len(raw) - 1))])


MUTATIONS = [_truncate, _cell, _shuffle, _duplicate, _delete_row, _drop_column, _meta_value, _meta_cut]


def _same_data(a, b) -> bool:
    def norm(df):
        return df.sort_values(list(df.columns[:4]), kind="stable").reset_index(drop=True).astype(float, errors="ignore")

    try:
        pd.testing.assert_frame_equal(norm(a.frames), norm(b.frames), check_dtype=False)
        pd.testing.assert_frame_equal(norm(a.stimulus_log), norm(b.stimulus_log), check_dtype=False)
    except AssertionError:
        return False
    return True


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_session_is_analysed_correctly_or_refused_in_one_line(data, base, tmp_path_factory):
    folder, original = base
    work = tmp_path_factory.mktemp("m") / "S"
    shutil.copytree(folder, work)
    mutation = data.draw(st.sampled_from(MUTATIONS))
    mutation(work, data.draw)
    try:
        got = read_session(work)
    except MimicryError as e:
        text = str(e)
        assert text and "\n" not in text and len(text) < 500, text
        return
    # accepted: the data must be the recorded data, or the change must be said
    if not _same_data(got, original):
        assert got.warnings, f"{mutation.__name__}: a changed file was taken without a word"
    fps = got.meta["camera_fps"]
    assert 0 < fps <= MAX_CAMERA_FPS and not isinstance(fps, bool)
    measured = frame_rate(got.frames)
    assert measured is None or 1 / FPS_AGREEMENT <= fps / measured <= FPS_AGREEMENT
    assert got.meta.get("format", SESSION_FORMAT) <= SESSION_FORMAT
    for col in ("smile", "yawn"):
        v = got.frames[col].to_numpy(float)
        assert not np.isinf(v).any() and np.nanmin(v, initial=0) >= -1e-6 and np.nanmax(v, initial=0) <= 1 + 1e-6
    res = analyze(got.frames, got.stimulus_log, got.camera_fps, FAST)  # and it analyses without an error
    assert set(res.verdicts.verdict) <= {"detected", "not_detected", "insufficient_data"}


# -- every numeric option of every command -----------------------------------------------------------


def numeric_options():
    out = []
    for name, cmd in _all_commands(main):
        if isinstance(cmd, click.Group):
            continue
        for p in cmd.params:
            if isinstance(p, click.Option) and isinstance(
                p.type, (click.types.IntParamType, click.types.FloatParamType)
            ):
                out.append((name, p))
    return out


NUMERIC = numeric_options()


def test_every_numeric_option_is_bounded_on_both_sides():
    """A value with no upper bound (``--surrogates 1000000000000``) failed only after a whole session."""
    assert len(NUMERIC) > 20
    for name, p in NUMERIC:
        assert isinstance(p.type, (click.IntRange, click.FloatRange)), f"{name} {p.opts[0]} has no range"
        assert p.type.min is not None and p.type.max is not None, f"{name} {p.opts[0]} is unbounded"
        if isinstance(p.type, click.FloatRange):
            with pytest.raises(click.BadParameter, match="not a finite number"):
                p.type.convert("nan", p, None)


_NUMBERS = st.one_of(
    st.integers(-(10**15), 10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e12", "-0", "0x10", "", " 3", "3.0", "1_000", "١"]),
)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_numeric_options_take_values_in_range_or_refuse_them_in_one_line(data):
    name, p = data.draw(st.sampled_from(NUMERIC))
    value = data.draw(_NUMBERS)
    args = [*name.split(), *_required_args(name), p.opts[0], *[value] * p.nargs]
    try:
        parse(args)
    except click.BadParameter as e:
        assert e.param is p, f"{name}: the parse stopped at {e.param}, not {p.opts[0]}: {e.format_message()}"
        assert "\n" not in e.format_message()
        return
    converted = p.type.convert(value, p, None)
    assert math.isfinite(converted) and p.type.min <= converted <= p.type.max


def _required_args(name: str) -> list[str]:
    """Just enough arguments for a command's parse to reach its options."""
    video, photo = str(DATA / "single_face.mp4"), str(DATA / "single_face.jpg")
    return {
        "analyze": ["S"],
        "batch": ["in", "--out", "o"],
        "track": [video],
        "import": [video, "--events", "e.tsv"],
        "stimuli cut": [video, "--kind", "yawn", "--library", "l", "--source", "s", "--license", "l"],
        "stimuli record": ["--kind", "yawn", "--actor", "A", "--license", "l", "--library", "l"],
        "stimuli make": ["--photo", photo, "--kind", "yawn", "--out", "o.mp4"],
    }.get(name, [])


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(-(2**40), 2**40), surrogates=st.integers(-5, 120))
def test_analyze_with_any_seed_and_surrogates_answers_or_refuses_in_one_line(seed, surrogates, base, tmp_path_factory):
    folder, _ = base
    work = tmp_path_factory.mktemp("a") / "S"
    shutil.copytree(folder, work)
    r = CliRunner().invoke(main, ["analyze", str(work), "--seed", str(seed), "--surrogates", str(surrogates), "-q"])
    ok = 0 <= seed < 2**32 and 19 <= surrogates
    assert r.exit_code == (0 if ok else 2), r.output
    assert "Traceback" not in r.output and (ok or r.stderr.count("\n") == 1)
    assert (work / "verdicts.csv").exists() == ok
