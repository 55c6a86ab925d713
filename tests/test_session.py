"""Session folders: reading with validation, `mimicry analyze` end to end, bad input."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.errors import SessionError
from mimicry.session.folder import ANALYSIS_FILES, read_session, write_session
from mimicry.session.simulate import simulate_session


@pytest.fixture
def session_dir(tmp_path):
    s = simulate_session(blocks=("smile", "yawn", "control"), seed=1)
    return write_session(tmp_path / "s1", s.frames, s.stimulus_log, s.meta)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_analyze_writes_the_three_files_and_is_deterministic(session_dir):
    r = run("analyze", session_dir, "--surrogates", "200")
    assert r.exit_code == 0, r.stderr
    assert "face 0 smile mimicry: " in r.output and "face 0 yawn contagion: " in r.output
    assert "r = " not in r.output  # the descriptive cross-correlation is not a verdict: not printed as one
    v = pd.read_csv(session_dir / "verdicts.csv")
    for row in v.itertuples():
        assert f"face 0 {row.measure.replace('_', ' ')}: {row.verdict.replace('_', ' ')}" in r.output
    first = {n: (session_dir / n).read_bytes() for n in ANALYSIS_FILES}
    scores = pd.read_csv(session_dir / "scores.csv")
    assert {"0", "1", "2", "all"} <= set(scores.block.astype(str))
    assert run("analyze", session_dir, "--surrogates", "200", "-q").exit_code == 0
    assert first == {n: (session_dir / n).read_bytes() for n in ANALYSIS_FILES}
    assert not list(session_dir.glob("*.tmp"))


def test_analyze_works_on_only_the_required_columns(session_dir):
    frames = pd.read_csv(session_dir / "frames.csv")
    frames["extra_blendshape"] = 0.5  # unknown columns are ignored
    frames.to_csv(session_dir / "frames.csv", index=False)
    assert run("analyze", session_dir, "--surrogates", "50", "-q").exit_code == 0


@pytest.mark.parametrize(
    "case, pattern",
    [
        ("missing_folder", "not found"),
        ("no_frames", "no frames.csv"),
        ("missing_column", "missing column.*smile"),
        ("not_numeric", "column t_s must be numeric"),
        ("empty_csv", "empty"),
        ("bad_json", "not valid JSON"),
        ("bad_fps", "camera_fps"),
        ("missing_key", "missing key.*participant"),
    ],
)
def test_bad_sessions_one_line_error_nothing_written(session_dir, tmp_path, case, pattern):
    target = session_dir
    if case == "missing_folder":
        target = tmp_path / "nope"
    elif case == "no_frames":
        (session_dir / "frames.csv").unlink()
    elif case == "missing_column":
        pd.read_csv(session_dir / "frames.csv").drop(columns=["smile"]).to_csv(session_dir / "frames.csv", index=False)
    elif case == "not_numeric":
        f = pd.read_csv(session_dir / "frames.csv")
        f["t_s"] = f["t_s"].astype(object)
        f.loc[3, "t_s"] = "soon"
        f.to_csv(session_dir / "frames.csv", index=False)
    elif case == "empty_csv":
        (session_dir / "stimulus_log.csv").write_text("")
    elif case == "bad_json":
        (session_dir / "session.json").write_text("{oops")
    elif case == "bad_fps":
        meta = json.loads((session_dir / "session.json").read_text())
        meta["camera_fps"] = "fast"
        (session_dir / "session.json").write_text(json.dumps(meta))
    elif case == "missing_key":
        meta = json.loads((session_dir / "session.json").read_text())
        del meta["participant"]
        (session_dir / "session.json").write_text(json.dumps(meta))
    r = run("analyze", target)
    assert r.exit_code == 1
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), r.stderr
    import re

    assert re.search(pattern, lines[0]), lines[0]
    if target.exists():
        assert not any((target / n).exists() for n in ANALYSIS_FILES)
    with pytest.raises(SessionError):
        read_session(target)


def test_early_ended_session_is_noted(tmp_path):
    s = simulate_session(end_s=60.0, seed=2)
    folder = write_session(tmp_path / "early", s.frames, s.stimulus_log, s.meta)
    r = run("analyze", folder, "--surrogates", "50")
    assert r.exit_code == 0 and "ended early" in r.stderr


def test_analysis_config_records_every_setting_and_reruns_exactly(session_dir, tmp_path):
    """analysis_config.json holds every setting, versions and input hashes; --config reruns with
    exactly those settings (pre-registration), whatever the defaults of the command line."""
    from dataclasses import fields

    from mimicry.analysis import AnalysisConfig
    from mimicry.sensing.model import sha256_file

    assert run("analyze", session_dir, "--surrogates", "60", "--seed", "7", "--relative-baseline", "-q").exit_code == 0
    record = json.loads((session_dir / "analysis_config.json").read_text())
    a = record["analysis"]
    assert {f.name for f in fields(AnalysisConfig)} == set(a)
    assert a["n_surrogates"] == 60 and a["seed"] == 7 and a["events"]["relative_to_baseline"] is True
    assert a["contagion"]["response_window_s"] == [0.0, 15.0] and "smile_for_laugh" in record["signals"]
    assert record["inputs"]["frames.csv"] == sha256_file(session_dir / "frames.csv")
    assert set(record["versions"]) >= {"mimicry", "numpy", "pandas", "python"}
    frozen = tmp_path / "frozen.json"
    frozen.write_text(json.dumps(record))
    first = {n: (session_dir / n).read_bytes() for n in ANALYSIS_FILES}
    assert run("analyze", session_dir, "-q").exit_code == 0  # defaults: other surrogates, other files
    assert (session_dir / "scores.csv").read_bytes() != first["scores.csv"]
    r = run("analyze", session_dir, "--config", frozen, "-q")
    assert r.exit_code == 0, r.stderr
    assert {n: (session_dir / n).read_bytes() for n in ANALYSIS_FILES} == first


@pytest.mark.parametrize(
    "text, args, pattern",
    [
        ('{"analysis": {"n_surrogate": 10}}', (), "unknown setting\\(s\\) n_surrogate"),
        ('{"events": {"smile": {"on": "high"}}}', (), "events.smile.on must be a number"),
        ('{"contagion": {"response_window_s": [0, 15, 30]}}', (), "response_window_s must be a list of 2"),
        ("not json", (), "not valid JSON"),
        ("{}", ("--seed", "3"), "--config fixes every setting; leave out --seed"),
    ],
)
def test_bad_analysis_config_is_one_line(session_dir, tmp_path, text, args, pattern):
    import re

    cfg = tmp_path / "c.json"
    cfg.write_text(text)
    r = run("analyze", session_dir, "--config", cfg, *args)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and re.search(pattern, r.stderr), r.stderr
    assert not (session_dir / "scores.csv").exists()


def test_an_analysis_config_of_an_older_mimicry_reruns_with_a_warning(session_dir, tmp_path):
    """0.1 had the block-shuffle segment length; it is read with a warning naming it, not an error."""
    from mimicry.session.folder import read_analysis_config

    cfg = tmp_path / "old.json"
    cfg.write_text(json.dumps({"analysis": {"n_surrogates": 50, "shuffle_segment_s": 4.0}}))
    with pytest.warns(UserWarning, match="shuffle_segment_s is not used any more"):
        config = read_analysis_config(cfg)
    assert config.n_surrogates == 50
    assert run("analyze", session_dir, "--config", cfg, "-q").exit_code == 0
