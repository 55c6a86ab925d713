"""Batch speed-up with 1 vs 2 worker processes, and a worker's peak memory vs video length.

    python benchmarks/batch_scaling.py [--clips 8] [--clip-s 10] [--long-minutes 10]

1. ``--clips`` copies of a real face clip (looped to ``--clip-s`` seconds each) are processed by
   :func:`mimicry.batch.run_batch` with 1 worker and then with 2, side by side in this run;
   prints both wall times and the speed-up (goal >= 1.6x on 2 cores).
2. One worker process tracks a 1-minute and a ``--long-minutes`` video (the same clip looped);
   prints each process's peak resident memory (goal: flat in video length).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "stimuli" / "clips" / "smile-man-real.mp4"


def looped_clip(path: Path, seconds: float, size=(640, 360)) -> Path:
    from mimicry.sensing.capture import read_frames

    frames, fps = read_frames(SOURCE)  # a 24 s clip: fine in memory
    frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    frames = frames + frames[::-1]  # ping-pong: no jump at the loop point
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(int(seconds * fps)):
        vw.write(frames[i % len(frames)])
    vw.release()
    return path


PEAK = """
import resource, sys
from mimicry.batch import BatchItem, init_worker, process_input
init_worker()
res = process_input(BatchItem(sys.argv[1], "video", "v"), sys.argv[2])
assert res["status"] == "done", res
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--clip-s", type=float, default=10.0)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    args = ap.parse_args()
    from mimicry.batch import find_inputs, run_batch

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "in"
        src.mkdir()
        one = looped_clip(src / "clip0.mp4", args.clip_s)
        for i in range(1, args.clips):
            (src / f"clip{i}.mp4").write_bytes(one.read_bytes())
        items = find_inputs(src)
        wall = {}
        for workers in (1, 2):
            t0 = time.perf_counter()
            outcome = run_batch(items, tmp / f"out{workers}", workers=workers)
            wall[workers] = time.perf_counter() - t0
            assert len(outcome.done) == args.clips, outcome
        print(f"{args.clips} clips of {args.clip_s:.0f} s (640x360, 30 fps), whole batch incl. worker start-up:")
        print(f"  1 worker : {wall[1]:.1f} s")
        print(f"  2 workers: {wall[2]:.1f} s")
        speedup = wall[1] / wall[2]
        print(f"  speed-up : {speedup:.2f}x (goal >= 1.6x) -> {'met' if speedup >= 1.6 else 'NOT met'}")

        peaks = {}
        for minutes in (1.0, args.long_minutes):
            video = looped_clip(tmp / f"long{minutes:g}.mp4", minutes * 60)
            out = subprocess.run(
                [sys.executable, "-c", PEAK, str(video), str(tmp / f"mem{minutes:g}")],
                capture_output=True,
                text=True,
                check=True,
            )
            peaks[minutes] = float(out.stdout.strip().splitlines()[-1])
            print(f"peak memory of one worker, {minutes:g}-minute video: {peaks[minutes]:.0f} MiB")
        ratio = peaks[args.long_minutes] / peaks[1.0]
        print(
            f"  {args.long_minutes:g} min / 1 min: {ratio:.2f}x (goal: flat, ~1.0) -> "
            f"{'met' if ratio < 1.15 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
