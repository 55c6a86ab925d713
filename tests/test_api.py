"""The notebook API (mimicry.api): its examples run as doctests, and it agrees with the CLI."""

import doctest

import pandas as pd
import pytest

import mimicry
import mimicry.api


@pytest.mark.mediapipe
def test_api_examples_run_as_doctests(monkeypatch):
    monkeypatch.chdir(mimicry.api.__file__.rsplit("/mimicry/", 1)[0])  # the examples use tests/data
    result = doctest.testmod(mimicry.api, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


@pytest.mark.mediapipe
def test_track_returns_the_rows_the_cli_writes(data_dir, tmp_path):
    from click.testing import CliRunner

    from mimicry.cli import main

    out = tmp_path / "t.csv"
    assert CliRunner().invoke(main, ["track", str(data_dir / "single_face.mp4"), "--out", str(out)]).exit_code == 0
    written = pd.read_csv(out)
    df = mimicry.track(data_dir / "single_face.mp4")
    assert list(df.columns) == list(written.columns) and len(df) == len(written)
    pd.testing.assert_series_equal(df["smile"], written["smile"], check_dtype=False, atol=1e-5, rtol=0)


def test_analyze_a_folder_equals_the_analysis_of_its_frames(tmp_path):
    from mimicry.analysis import AnalysisConfig
    from mimicry.session.folder import write_session

    s = mimicry.simulate_session(seed=3)
    folder = write_session(tmp_path / "s", s.frames, s.stimulus_log, s.meta)
    cfg = AnalysisConfig(n_surrogates=100, n_wlcc_surrogates=10)
    a = mimicry.analyze(folder, cfg)
    b = mimicry.analysis.analyze(s.frames, s.stimulus_log, 30.0, cfg)
    assert a.verdicts[["measure", "verdict"]].equals(b.verdicts[["measure", "verdict"]])
    assert mimicry.read_session(folder).meta["participant"] == s.meta["participant"]
