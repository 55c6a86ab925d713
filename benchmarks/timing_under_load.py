"""The sample session idle and beside other face-tracking jobs: are frames kept, and the verdicts?

    python benchmarks/timing_under_load.py [--jobs 4]

Runs ``mimicry run --camera sample --no-window`` (the bundled sample viewer replayed as a 30 fps
camera, in real time) twice: once on an idle machine, once beside ``--jobs`` other processes
that each track the sample viewer with MediaPipe over and over (``mimicry track``, as fast as
they can: on 2 cores, 4 jobs give a load average of about 8). Prints, side by side, the
session's timing (frames captured, tracked, skipped and late, the longest wait and the worst
gap; from ``session.json``), the console warnings, the load average, and every verdict row.

The goal (issue 33): beside the load, the session keeps >= 97 % of the idle run's frames, or it
flags itself as timing-poor (a warning, and "insufficient data: timing" instead of an answer),
and the verdicts are the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "stimuli" / "sample_viewer.mp4"
KEEP_SHARE = 0.97
"""The share of the idle run's tracked frames a loaded run must keep (else flag itself)."""


def mimicry(*args: str) -> list[str]:
    return [sys.executable, "-m", "mimicry", *args]


class Load:
    """``jobs`` processes tracking the sample viewer again and again until :meth:`stop`."""

    def __init__(self, jobs: int, tmp: Path):
        self.jobs, self.tmp = jobs, tmp
        self._stop = threading.Event()
        self._procs: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(jobs)]

    def _loop(self, i: int) -> None:
        n = 0
        while not self._stop.is_set():
            out = self.tmp / f"load{i}_{n}.csv"
            with self._lock:
                if self._stop.is_set():
                    return
                proc = subprocess.Popen(
                    mimicry("track", str(SAMPLE), "--out", str(out)),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                self._procs.append(proc)
            proc.wait()
            out.unlink(missing_ok=True)
            n += 1

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        time.sleep(10.0)  # until every job is past loading its model and tracking
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._stop.set()
            for p in self._procs:
                if p.poll() is None:
                    p.terminate()
        for t in self._threads:
            t.join(30)


def run_session(out: Path) -> dict:
    """One sample session; its timing, warnings, verdicts and the load average while it ran."""
    loads: list[float] = []
    proc = subprocess.Popen(
        mimicry("run", "--camera", "sample", "--no-window", "--out", str(out)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while proc.poll() is None:
        loads.append(os.getloadavg()[0])
        time.sleep(2.0)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"mimicry run failed (exit {proc.returncode}): {stderr.strip()[-500:]}")
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    meta = json.loads((folder / "session.json").read_text())
    return {
        "timing": meta["timing"],
        "warnings": [line for line in (stdout + stderr).splitlines() if line.startswith("warning")],
        "verdicts": pd.read_csv(folder / "verdicts.csv"),
        "load": max(loads) if loads else float("nan"),
    }


TIMING_ROWS = (
    ("frames_captured", "camera frames captured"),
    ("frames_tracked", "camera frames tracked"),
    ("frames_skipped", "camera frames skipped"),
    ("frames_late", "frames tracked late"),
    ("max_wait_s", "longest wait, s"),
    ("worst_gap_s", "worst gap, s"),
    ("stimulus_frames_missed", "stimulus frames missed"),
)


def print_side_by_side(idle: dict, loaded: dict, jobs: int) -> None:
    print(f"{'':<28}{'idle':>12}{f'beside {jobs} jobs':>18}")
    print(f"{'load average (1 min, max)':<28}{idle['load']:>12.1f}{loaded['load']:>18.1f}")
    for key, label in TIMING_ROWS:
        print(f"{label:<28}{idle['timing'][key]!s:>12}{loaded['timing'][key]!s:>18}")
    kept = loaded["timing"]["frames_tracked"] / max(idle["timing"]["frames_tracked"], 1)
    print(f"{'tracked, share of idle':<28}{'1.000':>12}{kept:>18.3f}")
    for name, run in (("idle", idle), ("loaded", loaded)):
        print(f"console warnings ({name}): {len(run['warnings'])}" + "".join(f"\n  {w}" for w in run["warnings"]))
    print("\nverdicts (face, measure: verdict, p, effect), idle | loaded:")
    merged = idle["verdicts"].merge(loaded["verdicts"], on=["face", "measure"], suffixes=("_idle", "_loaded"))
    for _, r in merged.iterrows():
        print(
            f"  {r.face}, {r.measure}: {r.verdict_idle}, p={r.p_value_idle:.3f}, {r.effect_idle:.3f}"
            f" | {r.verdict_loaded}, p={r.p_value_loaded:.3f}, {r.effect_loaded:.3f}"
        )
    matches = merged.verdict_idle == merged.verdict_loaded
    withheld = merged.reason_loaded.fillna("").str.startswith("timing")
    same = matches.all()
    # flagged: warned, and every verdict that differs from idle is withheld for timing
    flagged = bool(loaded["warnings"]) and withheld.any() and (matches | withheld).all()
    met = (kept >= KEEP_SHARE and same) or flagged
    print(
        f"\nkept >= {KEEP_SHARE:.0%} of the idle run's frames: {'yes' if kept >= KEEP_SHARE else 'no'}; "
        f"same verdicts: {'yes' if same else 'no'}; flagged timing-poor (warned, the verdicts that differ "
        f"withheld): {'yes' if flagged else 'no'}; goal met: {'yes' if met else 'no'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=4, help="face-tracking jobs beside the loaded run")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        idle = run_session(tmp_path / "idle")
        with Load(a.jobs, tmp_path):
            loaded = run_session(tmp_path / "loaded")
    print_side_by_side(idle, loaded, a.jobs)


if __name__ == "__main__":
    main()
