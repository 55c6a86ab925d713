"""Rerun every benchmark and validation script and write ``benchmarks/RESULTS.md``.

    python benchmarks/run_all.py [--only NAME ...] [--out FILE]

Each script runs as its own process, one after another (they measure speed, so nothing else of
ours runs beside them), with the same Python. The scripts that show a window get a virtual screen
(Xvfb) when there is no ``$DISPLAY`` and Xvfb is installed. RESULTS.md records the date, the
machine (cores, memory, CPU), the versions of Python and the libraries, and for every script its
command, its wall time and everything it printed. The README quotes figures only from this file,
between ``<!-- results: NAME -->`` and ``<!-- /results -->`` markers, and
``tests/test_docs.py`` checks that every number it quotes there appears in NAME's section here.

With ``--only``, the other scripts' sections are kept from the existing RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

#: (name, arguments, needs a display): every script in benchmarks/ but this one.
RUNS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("validate_signals", (), False),
    ("validate_stimuli", (), False),
    ("validate_real", (DEVDATA, "--runs"), False),
    ("calibration", (), False),
    ("analysis_speed", (), False),
    ("track_speed", (), False),
    ("loopback", (), False),
    ("live_session", (), True),
    ("demo_fps", (), True),
    ("batch_scaling", (), False),
    ("classroom", (), False),
    ("classroom_signals", (DEVDATA, "--widths", "40", "48", "64"), False),
    ("classroom_yawns", (DEVDATA,), False),
    ("class_test", (), False),
)


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


def run_one(name: str, args: tuple[str, ...], display: bool) -> str:
    """Run one script; return its RESULTS.md section."""
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
        f"## {name}\n\n`{shown}`{' on a virtual screen' if xvfb else ''}: {took:.0f} s{status}\n\n```text\n{out}\n```\n"
    )


def _old_sections() -> dict[str, str]:
    if not RESULTS.is_file():
        return {}
    parts = re.split(r"(?m)^## ", RESULTS.read_text(encoding="utf-8"))[1:]
    return {p.split("\n", 1)[0].strip(): "## " + p.rstrip() + "\n" for p in parts}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=[n for n, _, _ in RUNS], default=None)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    old = _old_sections()
    sections, failed = [], []
    for name, args, display in RUNS:
        if a.only and name not in a.only:
            if name in old:
                sections.append(old[name])
            continue
        print(f"running {name} ...", flush=True)
        sec = run_one(name, args, display)
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
