"""The CI script and the test harness: a missing tool fails CI instead of skipping silently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PROBE = """
import sys
sys.path.insert(0, {tests!r})
from conftest import need

def test_needs_a_missing_tool():
    need(False, "no such tool here")
"""


@pytest.mark.parametrize("strict, outcome", [("", "1 skipped"), ("1", "1 failed")])
def test_a_missing_tool_skips_locally_and_fails_under_strict(tmp_path, strict, outcome):
    (tmp_path / "test_probe.py").write_text(PROBE.format(tests=str(ROOT / "tests")))
    env = {k: v for k, v in os.environ.items() if k != "MIMICRY_TEST_STRICT"}
    if strict:
        env["MIMICRY_TEST_STRICT"] = strict
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rsf", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert outcome in r.stdout, r.stdout
    assert "no such tool here" in r.stdout


def test_ci_script_is_strict_and_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "export MIMICRY_TEST_STRICT=1" in ci
    assert ci.index("MIMICRY_TEST_STRICT=1") < ci.index("python -m pytest")
    assert 'python -m pip install -e ".[test]"' in ci and ci.rstrip().endswith("python -m pytest")


def test_hung_tests_time_out():
    import tomllib

    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert 0 < ini["timeout"] <= 600
    assert {"slow", "mediapipe", "gui", "browser"} <= {m.split(":")[0] for m in ini["markers"]}


def test_a_subprocess_that_reaches_for_the_network_is_caught():
    """Every Python process a test starts loads the guard: a connection beyond this machine is
    refused before any packet leaves and logged, so the test that started it fails."""
    log = Path(os.environ["MIMICRY_TEST_NET_LOG"])
    code = (
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
        "except OSError as e:\n    print(e)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "network access attempted in a test" in r.stdout
    assert "192.0.2.1" in log.read_text()
    log.unlink()  # caught as it should be: do not fail this test for it
