"""`mimicry batch`: many inputs, local pool and Dask distributed, failures, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import importorneed

from mimicry.batch import (
    BatchConfig,
    _run_local,
    find_inputs,
    process_input,
    run_batch,
    session_frame_times,
)
from mimicry.cli import main
from mimicry.stimuli.library import default_library

DATA = Path(__file__).parent / "data"
CAMERA = default_library() / "clips" / "smile-man-real.mp4"
SURROGATES = "50"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def recorded_session(tmp_path_factory, short_library) -> Path:
    """A real `mimicry run --record-video` session (a smiling man as the camera, one 6 s smile clip)."""
    d = tmp_path_factory.mktemp("recorded")
    proto = d / "one.toml"
    proto.write_text("[protocol]\nbaseline_s = 1.0\n[[block]]\nstimulus = 'smile-short'\n")
    r = run(
        "run",
        "--protocol",
        proto,
        "--camera",
        CAMERA,
        "--no-window",
        "--out",
        d / "sessions",
        "--library",
        short_library,
        "--surrogates",
        "20",
        "--record-video",
        "--participant",
        "P-batch",
    )
    assert r.exit_code == 0, r.stderr
    (folder,) = [p for p in (d / "sessions").iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, recorded_session) -> Path:
    root = tmp_path_factory.mktemp("inputs")
    shutil.copy(DATA / "single_face.mp4", root / "single_face.mp4")
    (root / "sub").mkdir()
    shutil.copy(DATA / "face_noface.mov", root / "sub" / "face_noface.mov")
    shutil.copy(DATA / "no_face.mp4", root / "no_face.mp4")
    (root / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    (root / "notes.txt").write_text("not a video")
    shutil.copytree(recorded_session, root / "sessions" / "S1")
    return root


@pytest.fixture(scope="module")
def local_out(inputs, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out") / "results"
    r = run("batch", inputs, "--out", out, "--workers", "2", "--surrogates", SURROGATES)
    return out, r


def test_find_inputs(inputs, tmp_path):
    items = find_inputs(inputs)
    assert [(i.name, i.kind) for i in items] == [
        ("corrupt", "video"),
        ("no_face", "video"),
        ("sessions/S1", "session"),
        ("single_face", "video"),
        ("sub/face_noface", "video"),
    ]
    assert [i.name for i in find_inputs(inputs, "**/*.mov")] == ["sessions/S1", "sub/face_noface"]
    # two videos with one stem keep their suffixes; the output folder and hidden folders are left out
    d = tmp_path / "in"
    (d / "out" / "x").mkdir(parents=True)
    (d / ".hidden").mkdir()
    for p in ("a.mp4", "a.mov", "out/x/b.mp4", ".hidden/c.mp4"):
        (d / p).write_bytes(b"x")
    assert [i.name for i in find_inputs(d, exclude=d / "out")] == ["a.mov", "a.mp4"]


def test_local_batch_outputs_and_failures(inputs, local_out):
    out, r = local_out
    assert r.exit_code == 1, r.output  # two inputs failed
    assert "3 done, 0 skipped (already complete), 2 failed" in r.output
    fails = read(out / "failures.csv").set_index("input")
    assert sorted(fails.index) == ["corrupt", "no_face"]
    assert "corrupt" in fails.loc["corrupt", "error"] and fails.loc["no_face", "error"] == "no face found in any frame"
    assert not (out / "corrupt").exists() and not (out / "no_face").exists()
    assert not list(out.rglob(".*partial*"))
    for name in ("single_face", "sub/face_noface"):
        assert (out / name / "track.csv").is_file() and (out / name / "done.json").is_file()
    summary = read(out / "summary.csv")
    assert list(summary.input) == ["sessions/S1", "single_face", "sub/face_noface"]
    sf = summary.set_index("input").loc["single_face"]
    assert sf.frames == 72 and sf.detected_share == 1.0 and sf.type == "video"
    fn = summary.set_index("input").loc["sub/face_noface"]
    assert 0.2 < fn.detected_share < 0.8  # the face leaves the frame part way


def test_batch_track_equals_mimicry_track(local_out, tmp_path):
    out, _ = local_out
    ref = tmp_path / "ref.csv"
    assert run("track", DATA / "single_face.mp4", "--out", ref, "--quiet").exit_code == 0
    assert (out / "single_face" / "track.csv").read_bytes() == ref.read_bytes()


def test_session_is_retracked_on_the_session_clock(local_out, recorded_session):
    out, _ = local_out
    s = out / "sessions" / "S1"
    for name in (
        "frames.csv",
        "stimulus_log.csv",
        "session.json",
        "scores.csv",
        "contagion.csv",
        "xcorr.csv",
        "report.html",
    ):
        assert (s / name).is_file(), name
    live = read(recorded_session / "frames.csv").drop_duplicates("frame").set_index("frame")
    again = read(s / "frames.csv").drop_duplicates("frame").set_index("frame")
    common = live.index.intersection(again.index)
    assert len(common) > 0.9 * len(live)
    assert np.allclose(again.loc[common, "t_s"], live.loc[common, "t_s"], atol=1e-5)
    assert (again.loc[common, "block"].fillna(-1) == live.loc[common, "block"].fillna(-1)).mean() > 0.99
    # the offline pass sees the same smiles as the live one did
    both = live.loc[common, "smile"].notna() & again.loc[common, "smile"].notna()
    assert np.corrcoef(live.loc[common, "smile"][both], again.loc[common, "smile"][both])[0, 1] > 0.9
    meta = json.loads((s / "session.json").read_text())
    assert meta["participant"] == "P-batch" and meta["batch"]["timing"] == "frames.csv of the recording"
    row = read(out / "summary.csv").set_index("input").loc["sessions/S1"]
    assert row.type == "session" and row.participant == "P-batch" and np.isfinite(row.smile_r)


def test_session_frame_times():
    frames = pd.DataFrame({"frame": [2, 2, 3, 6], "t_s": [1.0, 1.0, 1.1, 1.4]})
    t = session_frame_times(frames, fps=10.0)
    assert np.allclose(t, [0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4])
    assert session_frame_times(frames.iloc[:0], 10.0) is None


def test_resume_redoes_only_what_is_missing(inputs, local_out, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(local_out[0], out)
    shutil.rmtree(out / "sub" / "face_noface")
    (out / "sub" / ".face_noface.partial-dead").mkdir()  # as an interrupted run leaves it
    before = (out / "single_face" / "done.json").stat().st_mtime_ns
    items = [i for i in find_inputs(inputs) if i.name not in ("corrupt", "no_face")]
    outcome = run_batch(items, out, BatchConfig(n_surrogates=int(SURROGATES)), workers=1, resume=True)
    assert outcome.done == ["sub/face_noface"] and sorted(outcome.skipped) == ["sessions/S1", "single_face"]
    assert (out / "single_face" / "done.json").stat().st_mtime_ns == before
    assert not (out / "sub" / ".face_noface.partial-dead").exists()
    assert list(read(out / "summary.csv").input) == ["sessions/S1", "single_face", "sub/face_noface"]
    # a changed input is redone even with --resume
    changed = tmp_path / "changed"
    changed.mkdir()
    shutil.copy(DATA / "single_face.mp4", changed / "single_face.mp4")
    out2 = tmp_path / "out2"
    run_batch(find_inputs(changed), out2, workers=1)
    shutil.copy(DATA / "face_noface.mov", changed / "single_face.mp4")  # same name, other content
    outcome = run_batch(find_inputs(changed), out2, workers=1, resume=True)
    assert outcome.done == ["single_face"] and outcome.skipped == []
    assert read(out2 / "summary.csv").frames.iloc[0] == 169


@pytest.mark.parametrize("name", ["camera.mp4", "stimulus_log.csv", "frames.csv", "session.json", "events_log.csv"])
def test_resume_redoes_a_session_when_any_file_it_read_changed(inputs, local_out, tmp_path, name):
    from mimicry.batch import SESSION_INPUTS, BatchItem, is_complete

    assert name in SESSION_INPUTS
    src = tmp_path / "S1"
    shutil.copytree(inputs / "sessions" / "S1", src)
    item = BatchItem(str(src), "session", "sessions/S1")
    config = BatchConfig(n_surrogates=int(SURROGATES))
    out = local_out[0]
    assert is_complete(item, out, config)  # a copy of the same files is the same input
    with open(src / name, "ab") as f:
        f.write(b" ")
    assert not is_complete(item, out, config)
    (src / name).unlink()  # a file that is gone (or appears) counts too
    assert not is_complete(item, out, config)


@pytest.mark.parametrize("change", [dict(max_faces=2), dict(n_surrogates=51), dict(report=False), dict(model="copy")])
def test_resume_redoes_an_input_when_an_option_changed(inputs, local_out, tmp_path, change):
    from mimicry.batch import BatchItem, is_complete
    from mimicry.sensing.model import bundled_model_path

    if change.get("model") == "copy":  # the same model at another path is the same model
        shutil.copy(bundled_model_path(), tmp_path / "m.task")
        change = {"model": str(tmp_path / "m.task")}
        item = BatchItem(str(inputs / "single_face.mp4"), "video", "single_face")
        assert is_complete(item, local_out[0], BatchConfig(n_surrogates=int(SURROGATES), **change))
        with open(tmp_path / "m.task", "ab") as f:
            f.write(b"\0")
    item = BatchItem(str(inputs / "single_face.mp4"), "video", "single_face")
    assert is_complete(item, local_out[0], BatchConfig(n_surrogates=int(SURROGATES)))
    assert not is_complete(item, local_out[0], BatchConfig(**{"n_surrogates": int(SURROGATES), **change}))


def test_resume_redoes_an_input_when_an_analysis_constant_changed(inputs, local_out, monkeypatch):
    import mimicry.analysis as analysis
    from mimicry.batch import BatchItem, is_complete

    item = BatchItem(str(inputs / "sessions" / "S1"), "session", "sessions/S1")
    config = BatchConfig(n_surrogates=int(SURROGATES))
    assert is_complete(item, local_out[0], config)
    monkeypatch.setattr(analysis, "AnalysisConfig", _with_seed(analysis.AnalysisConfig, 7))
    assert not is_complete(item, local_out[0], config)


def _with_seed(cls, seed):
    """The analysis configuration class with another default seed (a changed constant)."""
    import dataclasses

    return dataclasses.make_dataclass(
        cls.__name__, [("seed", int, dataclasses.field(default=seed))], bases=(cls,), frozen=True
    )


@pytest.mark.slow
def test_interrupted_batch_leaves_nothing_that_looks_complete(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        shutil.copy(DATA / "single_face.mp4", src / f"clip{i}.mp4")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mimicry", "batch", str(src), "--out", str(out), "--workers", "1", "-q"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*/done.json")) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)  # the whole batch: driver and worker
    p.wait()
    finished = {d.parent.name for d in out.glob("*/done.json")}
    assert 1 <= len(finished) < 4
    visible = {d.name for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")}
    assert visible == finished  # every visible output folder is complete
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{4 - len(finished)} done, {len(finished)} skipped" in r.stdout
    assert not [d for d in out.iterdir() if d.name.startswith(".")]
    assert len(read(out / "summary.csv")) == 4


def _dies_on_poison(item, out_dir, config):
    """A batch task whose worker process dies on the input named 'poison' (as on a decoder crash)."""
    if item.name == "poison":
        os._exit(70)
    return process_input(item, out_dir, config)


@pytest.mark.slow
@pytest.mark.mediapipe
def test_a_worker_that_dies_costs_only_its_own_input(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in ("a", "poison", "b"):
        shutil.copy(DATA / "single_face.mp4", d / f"{name}.mp4")
    out = tmp_path / "out"
    results = list(_run_local(find_inputs(d), out, BatchConfig(n_surrogates=20), 2, task=_dies_on_poison))
    by_name = {r["name"]: r for r in results}
    assert len(results) == 3 and set(by_name) == {"a", "b", "poison"}
    assert (
        by_name["poison"]["status"] == "failed"
        and by_name["poison"]["error"] == "the worker process died on this input"
    )
    assert by_name["a"]["status"] == by_name["b"]["status"] == "done"
    assert sorted(p.name for p in out.iterdir()) == ["a", "b"]  # nothing half-written for the poison
    assert (out / "a" / "done.json").is_file() and (out / "b" / "track.csv").is_file()


def test_distributed_gives_the_same_outputs_as_local(inputs, local_out, tmp_path):
    distributed = importorneed("distributed", "pip install -e '.[test]' (brings Dask distributed)")
    out = tmp_path / "dist"
    items = find_inputs(inputs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        r = run(
            "batch", inputs, "--out", out, "--scheduler", cluster.scheduler_address, "--surrogates", SURROGATES, "-q"
        )
    assert r.exit_code == 1 and "3 done, 0 skipped (already complete), 2 failed" in r.output, r.output
    local = local_out[0]
    for it in items:
        for f in sorted((local / it.name).glob("*.csv")) if (local / it.name).is_dir() else []:
            assert (out / it.name / f.name).read_bytes() == f.read_bytes(), f"{it.name}/{f.name}"
    assert (out / "summary.csv").read_bytes() == (local / "summary.csv").read_bytes()
    assert (out / "failures.csv").read_bytes() == (local / "failures.csv").read_bytes()


def test_bad_batch_input(tmp_path, inputs):
    r = run("batch", tmp_path / "nope", "--out", tmp_path / "o")
    assert r.exit_code == 1 and "input folder not found" in r.stderr and r.stderr.count("\n") == 1
    (tmp_path / "empty").mkdir()
    r = run("batch", tmp_path / "empty", "--out", tmp_path / "o")
    assert r.exit_code == 1 and "no videos or recorded sessions found" in r.stderr
    (tmp_path / "file").write_text("x")
    r = run("batch", inputs, "--out", tmp_path / "file", "--pattern", "single_face.mp4")
    assert r.exit_code == 1 and "is not a folder" in r.stderr
    r = run("batch", inputs, "--out", tmp_path / "o", "--pattern", "single_face.mp4", "--model", tmp_path / "file")
    assert r.exit_code == 1 and "model" in r.stderr and "Traceback" not in r.output
    r = run(
        "batch", inputs, "--out", tmp_path / "o", "--pattern", "single_face.mp4", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert r.exit_code == 1 and "cannot connect to the Dask scheduler" in r.stderr
