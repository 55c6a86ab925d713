"""Throughput of `mimicry track` (whole process) against a bare MediaPipe Face Landmarker loop.

Both run over the same clip in one run, as paired rounds: each round runs the bare loop and
track once, back to back, the one first in even rounds the other first in odd rounds (so a
machine getting slower or faster during the run favours neither). The ratio of each round is the
bare loop's wall time divided by track's (> 1: track is faster); the result is the median of the
rounds' ratios with a distribution-free 95 % confidence interval (order statistics of the
binomial sign test), because on a shared machine the speed of the same process moves by 10-30 %
from minute to minute, more than the gap being measured. Goal: median ratio >= 0.95.

    python benchmarks/track_speed.py [CLIP] [--rounds N] [--tile K] [--seconds S]

The default clip is tests/data/single_face.mp4 looped into a 20 s clip (``--tile`` copies of the
frames side by side make larger frames). The bare loop reads with OpenCV, converts to RGB, and
calls ``detect_for_video`` with the same options (blendshapes and matrices on); it writes nothing.
Both timings include interpreter start, imports and model loading, as a user sees them.
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from mimicry.sensing.capture import read_frames

ROOT = Path(__file__).resolve().parent.parent

BARE = r"""
import sys, time, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from mimicry.sensing.model import resolve_model
opts = vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(resolve_model(None))),
    running_mode=vision.RunningMode.VIDEO, num_faces=1, output_face_blendshapes=True,
    output_facial_transformation_matrixes=True)
with vision.FaceLandmarker.create_from_options(opts) as lm:
    cap = cv2.VideoCapture(sys.argv[1]); last = -1; n = 0
    while True:
        ok, img = cap.read()
        if not ok: break
        ms = max(int(round(cap.get(cv2.CAP_PROP_POS_MSEC))), last + 1); last = ms
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)), ms)
        n += 1
print(n)
"""


def make_clip(src: Path, out: Path, seconds: float, tile: int) -> int:
    frames, fps = read_frames(src)
    if tile > 1:
        frames = [cv2.hconcat([f] * tile) for f in frames]
    seq = frames + frames[::-1]  # ping-pong so the face never jumps
    n = int(seconds * fps)
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(n):
        vw.write(seq[i % len(seq)])
    vw.release()
    return n


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, all threads) of one whole process, s."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_ci(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Median and a distribution-free confidence interval for it: the k-th smallest and k-th
    largest values, k the largest rank whose binomial(n, 1/2) tail stays within (1 - level) / 2
    (the interval covers the median with at least ``level``; for n < 6 even the whole range,
    returned then, covers it with less)."""
    x, n = sorted(values), len(values)

    def below(j: int) -> float:  # P(at most j of n values fall below the median)
        return sum(math.comb(n, i) for i in range(j + 1)) / 2**n

    k = 1  # [x_k, x_(n-k+1)] covers the median with probability 1 - 2 * below(k - 1)
    while below(k) <= (1 - level) / 2:
        k += 1
    return statistics.median(x), x[k - 1], x[n - k]


def run_rounds(clip: Path, bare_script: Path, tmp: Path, rounds: int) -> dict[str, list[float]]:
    """Wall and CPU seconds of both processes, ``rounds`` pairs, alternating which goes first."""
    got: dict[str, list[float]] = {"bare": [], "track": [], "bare_cpu": [], "track_cpu": []}
    for i in range(rounds):
        out = tmp / f"out{i}.csv"
        cmds = {
            "bare": [sys.executable, str(bare_script), str(clip)],
            "track": [sys.executable, "-m", "mimicry", "track", str(clip), "--out", str(out), "-q"],
        }
        for name in ("bare", "track") if i % 2 == 0 else ("track", "bare"):
            wall, cpu = timed(cmds[name])
            got[name].append(wall)
            got[f"{name}_cpu"].append(cpu)
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--tile", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.clip is None:
            clip = tmp / "bench.mp4"
            n = make_clip(ROOT / "tests" / "data" / "single_face.mp4", clip, args.seconds, args.tile)
        else:
            clip = args.clip
            n = int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT))
        bare_script = tmp / "bare.py"
        bare_script.write_text(BARE)
        got = run_rounds(clip, bare_script, tmp, args.rounds)
    width = cv2.VideoCapture(str(ROOT / "tests" / "data" / "single_face.mp4")).get(cv2.CAP_PROP_FRAME_WIDTH)
    if args.clip is None:
        width *= args.tile
    print(f"clip: {n} frames, {width:.0f} px wide; {args.rounds} paired rounds, whole processes")
    for name, label in (("bare", "bare MediaPipe loop"), ("track", "mimicry track")):
        walls = got[name]
        med = statistics.median(walls)
        print(f"{label:20s}: median {med:.2f} s ({n / med:.1f} frames/s), runs {min(walls):.2f}-{max(walls):.2f} s")
    ratios = [b / t for b, t in zip(got["bare"], got["track"])]
    med, lo, hi = median_ci(ratios)
    print(f"rounds' ratios bare/track: {' '.join(f'{r:.3f}' for r in ratios)}")
    print(f"throughput ratio track/bare = {med:.3f} (median of rounds; 95% CI {lo:.3f}-{hi:.3f}; goal >= 0.95)")
    cb, ct = (statistics.median(got[k]) / n * 1000 for k in ("bare_cpu", "track_cpu"))
    print(f"CPU per frame, all threads: bare {cb:.1f} ms, track {ct:.1f} ms (track's own work {ct - cb:.1f} ms)")


if __name__ == "__main__":
    main()
