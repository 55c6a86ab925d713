"""Throughput of `mimicry track` (whole process) against a bare MediaPipe Face Landmarker loop.

Both run over the same clip, alternating, several repeats, in one run; the ratio printed is
track's frames per second divided by the bare loop's (goal: >= 0.95; > 1 means the decode thread
and the cheap per-frame code more than pay for the signals and the CSV).

    python benchmarks/track_speed.py [CLIP] [--repeats N] [--tile K]

The default clip is tests/data/single_face.mp4 looped into a 20 s clip (``--tile`` copies of the
frames side by side make larger frames). The bare loop reads with OpenCV, converts to RGB, and
calls ``detect_for_video`` with the same options (blendshapes and matrices on); it writes nothing.
The track timing includes interpreter start, imports and model loading, as a user sees it.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=5)
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
        bare, track, bare_cpu, track_cpu = [], [], [], []
        for i in range(args.repeats):
            wall, cpu = timed([sys.executable, str(bare_script), str(clip)])
            bare.append(wall)
            bare_cpu.append(cpu)
            out = tmp / f"out{i}.csv"
            wall, cpu = timed([sys.executable, "-m", "mimicry", "track", str(clip), "--out", str(out), "-q"])
            track.append(wall)
            track_cpu.append(cpu)
        mb, mt = statistics.median(bare), statistics.median(track)
        print(
            f"clip: {n} frames, {cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_WIDTH):.0f} px wide; "
            f"{args.repeats} alternating repeats, whole processes"
        )
        print(f"bare MediaPipe loop : median {mb:.2f} s  ({n / mb:.1f} frames/s)  runs {[round(x, 2) for x in bare]}")
        print(f"mimicry track       : median {mt:.2f} s  ({n / mt:.1f} frames/s)  runs {[round(x, 2) for x in track]}")
        print(f"throughput ratio track/bare = {mb / mt:.3f}  (goal >= 0.95)")
        cb, ct = statistics.median(bare_cpu) / n * 1000, statistics.median(track_cpu) / n * 1000
        print(f"CPU per frame, all threads: bare {cb:.1f} ms, track {ct:.1f} ms (track's own work {ct - cb:.1f} ms)")


if __name__ == "__main__":
    main()
