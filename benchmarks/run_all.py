"""Rerun every benchmark and validation script and write ``benchmarks/RESULTS.md``.

    python benchmarks/run_all.py [--only NAME ...] [--out FILE]

Each script runs as its own process, one after another (they measure speed, so nothing else of
ours runs beside them), with the same Python. The scripts that show a window get a virtual screen
(Xvfb) when there is no ``$DISPLAY`` and Xvfb is installed. RESULTS.md records the date, the
machine (cores, memory, CPU), the versions of Python and the libraries, and for every script its
command, its wall time, the hash of the code it measures and everything it printed. The README quotes figures only from this file,
between ``<!-- results: NAME -->`` and ``<!-- /results -->`` markers, and
``tests/test_docs.py`` checks that every number it quotes there appears in NAME's section here.

With ``--only``, the other scripts' sections are kept from the existing RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
#: Real clips with hand-marked truth for validate_real.py: not redistributable, so not in the
#: repository; $MIMICRY_DEVDATA, else the development machine's folder beside the clone.
DEVDATA = os.environ.get("MIMICRY_DEVDATA", "../shared/devdata")

SENSING, SESSION, ANALYSIS = "mimicry/sensing", "mimicry/session", "mimicry/analysis"
#: (name, arguments, needs a display, the code it measures): every script in benchmarks/ but
#: this one. A section records the hash of the code it measures (:func:`code_hash`);
#: tests/test_docs.py fails when a section the docs quote was measured on other code.
RUNS: tuple[tuple[str, tuple[str, ...], bool, tuple[str, ...]], ...] = (
    ("validate_signals", (), False, (SENSING,)),
    ("validate_stimuli", (), False, (SENSING, "mimicry/stimuli")),
    ("validate_real", (DEVDATA, "--runs"), False, (SENSING,)),
    ("calibration", (), False, (ANALYSIS, "mimicry/session/simulate.py")),
    ("analysis_speed", (), False, (ANALYSIS,)),
    ("track_speed", (), False, (SENSING,)),
    ("loopback", (), False, (SENSING, SESSION, ANALYSIS)),
    ("live_session", (), True, (SENSING, SESSION)),
    ("demo_fps", (), True, (SENSING, SESSION)),
    ("batch_scaling", (), False, (SENSING, "mimicry/batch")),
    ("classroom", (), False, (SENSING,)),
    ("classroom_signals", (DEVDATA, "--widths", "40", "48", "64"), False, (SENSING,)),
    ("classroom_yawns", (DEVDATA,), False, (SENSING, ANALYSIS)),
    ("class_test", (), False, ("mimicry/session/tally.py", ANALYSIS)),
    ("timing_under_load", (), False, (SENSING, SESSION, ANALYSIS)),
)
CODE_LINE = re.compile(r"^code measured: `([0-9a-f]{16})`", re.MULTILINE)
"""How a section names the hash of the code it measured."""


def code_hash(paths: tuple[str, ...], root: Path = HERE.parent) -> str:
    """A short sha256 of the Python files under ``paths`` (relative to ``root``): their paths
    and contents, in path order. Any change to them, and only to them, changes it."""
    files: set[Path] = set()
    for rel in paths:
        p = root / rel
        files |= {p} if p.is_file() else set(p.rglob("*.py"))
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.relative_to(root).as_posix()):
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _commit() -> str:
    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE.parent)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "mimicry"], capture_output=True, text=True, cwd=HERE.parent
        )
    except OSError:
        return "unknown commit"
    head = r.stdout.strip() or "unknown commit"
    return head + (" with uncommitted changes" if dirty.stdout.strip() else "")


def _versions() -> str:
    names = ("mimicry", "mediapipe", "opencv-contrib-python", "numpy", "pandas", "scipy")
    found = []
    for n in names:
        try:
            found.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            pass
    return f"Python {platform.python_version()}, " + ", ".join(found)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")
        )
        mem = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        mem = "unknown memory"
    return f"{os.cpu_count()} cores, {mem}, {cpu}, {platform.system()} {platform.release()}"


def _start_display() -> tuple[subprocess.Popen | None, dict]:
    """A virtual screen for the window benchmarks, if needed and possible."""
    env = dict(os.environ)
    if env.get("DISPLAY") or not shutil.which("Xvfb"):
        return None, env
    display = f":{70 + os.getpid() % 20}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1600x900x24"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(1.0)
    env["DISPLAY"] = display
    return proc, env


def run_one(name: str, args: tuple[str, ...], display: bool, measures: tuple[str, ...]) -> str:
    """Run one script; return its RESULTS.md section."""
    code = f"code measured: `{code_hash(measures)}` ({', '.join(measures)}; commit {_commit()})\n\n"
    cmd = [sys.executable, str(HERE / f"{name}.py"), *args]
    shown = " ".join(["python", f"benchmarks/{name}.py", *args])
    if name == "validate_real" and not (HERE.parent / args[0]).is_dir():
        return f"## {name}\n\n`{shown}`: not run, no folder {args[0]} on this machine (set MIMICRY_DEVDATA)\n"
    xvfb, env = _start_display() if display else (None, dict(os.environ))
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE.parent)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    took = time.monotonic() - t0
    status = "" if r.returncode == 0 else f" **(failed, exit {r.returncode})**"
    out = r.stdout.rstrip()
    if r.returncode != 0:
        out += "\n" + "\n".join(r.stderr.strip().splitlines()[-15:])
    return (
        f"## {name}\n\n`{shown}`{' on a virtual screen' if xvfb else ''}: {took:.0f} s{status}\n\n"
        f"{code}```text\n{out}\n```\n"
    )


def _old_sections() -> dict[str, str]:
    if not RESULTS.is_file():
        return {}
    parts = re.split(r"(?m)^## ", RESULTS.read_text(encoding="utf-8"))[1:]
    return {p.split("\n", 1)[0].strip(): "## " + p.rstrip() + "\n" for p in parts}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=[n for n, *_ in RUNS], default=None)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    old = _old_sections()
    sections, failed = [], []
    for name, args, display, measures in RUNS:
        if a.only and name not in a.only:
            if name in old:
                sections.append(old[name])
            continue
        print(f"running {name} ...", flush=True)
        sec = run_one(name, args, display, measures)
        failed += [name] if "**(failed" in sec.split("\n", 3)[2] else []
        sections.append(sec)
    head = (
        f"# Benchmark results\n\nWritten by `python benchmarks/run_all.py` on "
        f"{dt.datetime.now().astimezone().isoformat(timespec='minutes')}"
        f"{' (sections: ' + ', '.join(a.only) + ')' if a.only else ''}.\n\n"
        f"- machine: {_machine()}\n- versions: {_versions()}\n\n"
        "Each section: the command, its wall time, and what it printed. The README quotes from here.\n\n"
    )
    a.out.write_text(head + "\n".join(sections), encoding="utf-8")
    print(f"wrote {a.out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
