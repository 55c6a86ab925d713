"""A built wheel (a plain, non-editable install) carries the stimulus library and the protocols."""

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # from a copy without build/ (stale files there would go into the wheel) or other output
    src = out / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "*.egg-info", "sessions", "__pycache__", ".pytest_cache", ".venv", "out"
        ),
    )
    # no build isolation: the test extras bring setuptools, so no package index is needed (and none is used)
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
        env={**os.environ, "PIP_NO_INDEX": "1"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (whl,) = out.glob("mimicry-*.whl")
    return whl


def test_wheel_holds_every_manifest_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = tomllib.loads((ROOT / "stimuli" / "manifest.toml").read_text())
    clips = {n for n in names if n.startswith("mimicry/_stimuli/clips/")}
    assert clips == {f"mimicry/_stimuli/{s['file']}" for s in manifest["stimulus"]}  # nothing stale or missing
    for s in manifest["stimulus"]:
        assert f"mimicry/_stimuli/{s['file']}" in names
        assert f"mimicry/_stimuli/tracks/{s['id']}.csv" in names
        assert f"mimicry/_stimuli/tracks/{s['id']}.events.csv" in names
    for p in (ROOT / "protocols").glob("*.toml"):
        assert f"mimicry/_protocols/{p.name}" in names
    assert "mimicry/py.typed" in names  # PEP 561: type checkers read mimicry's annotations
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "mimicry").rglob("*.py")}
    assert modules - names == set(), "modules missing from the wheel (a package not listed in pyproject.toml?)"
    assert {
        "mimicry/_stimuli/manifest.toml",
        "mimicry/_stimuli/sample_viewer.mp4",
        "mimicry/_stimuli/sources/README.md",
        "mimicry/models/face_landmarker.task",
    } <= names


def test_installed_wheel_finds_its_library_and_protocols(wheel, tmp_path):
    """Unpacked outside the repository (as pip would into site-packages), mimicry checks its own
    library and resolves the shipped protocols by name."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if k not in ("MIMICRY_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    code = (
        "import mimicry, mimicry.stimuli.library as s; from mimicry.stimuli.protocol import load_protocol;"
        "print(mimicry.__file__); print(s.default_library());"
        "print(load_protocol(s.shipped_folder('protocols') / 'sample.toml').name)"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    file, library, name = r.stdout.split()
    assert Path(file).is_relative_to(site) and Path(library) == site / "mimicry" / "_stimuli" and name == "sample"
    r = subprocess.run(
        [sys.executable, "-m", "mimicry", "stimuli", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0 and "stimuli ok" in r.stdout, r.stdout + r.stderr[-2000:]
