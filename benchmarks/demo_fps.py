"""Frames per second of the classroom demo with 1, 4 and 6 faces (a replayed class video).

    python benchmarks/demo_fps.py [--seconds 30]            # window on $DISPLAY if set, else none
    xvfb-run -s "-screen 0 1600x900x24" python benchmarks/demo_fps.py

The class video tiles a real face clip (``stimuli/clips/smile-man-real.mp4``, 320x320 tiles,
some mirrored and time-shifted) at 30 fps and is replayed as a camera in real time; the demo
skips camera frames it cannot keep up with. Prints, per face count: camera frames delivered,
tracked, skipped, tracked frames per second, and screens drawn per second; and, side by side,
bare MediaPipe (video mode, no signals, no display) over the same frames as fast as it can: the
ceiling for this machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "stimuli" / "clips" / "smile-man-real.mp4"
LAYOUT = {1: (1, 1), 4: (2, 2), 6: (2, 3)}


def class_video(path: Path, n_faces: int, seconds: float, tile: int = 320) -> Path:
    from mimicry.sensing.capture import read_frames

    frames = []
    for f in read_frames(SOURCE)[0]:  # a 24 s clip: fine in memory
        h, w = f.shape[:2]
        side = min(h, w)
        frames.append(
            cv2.resize(
                f[(h - side) // 2 : (h + side) // 2, (w - side) // 2 : (w + side) // 2],
                (tile, tile),
                interpolation=cv2.INTER_AREA,
            )
        )
    loop = frames + frames[::-1]
    rows, cols = LAYOUT[n_faces]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (cols * tile, rows * tile))
    for i in range(int(seconds * 30)):
        tiles = [loop[(i + 17 * k) % len(loop)] for k in range(rows * cols)]
        tiles = [cv2.flip(t, 1) if k % 2 else t for k, t in enumerate(tiles)]
        vw.write(np.vstack([np.hstack(tiles[r * cols : (r + 1) * cols]) for r in range(rows)]))
    vw.release()
    return path


def bare_fps(video: Path, n_faces: int) -> float:
    import time

    from mimicry.sensing.tracking import FaceLandmarker

    cap = cv2.VideoCapture(str(video))
    frames = []
    while len(frames) < 300:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    with FaceLandmarker("video", max_faces=n_faces) as lm:
        t0 = time.perf_counter()
        for i, f in enumerate(frames):
            lm.detect(f, i / 30)
        return len(frames) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    from mimicry.sensing import tracking
    from mimicry.session.demo import DemoConfig, run_demo

    tracking.QUIET_NATIVE_LOGS = True
    window = bool(os.environ.get("DISPLAY"))
    print(
        f"demo loop, class video replayed in real time at 30 fps, {args.seconds:.0f} s each, "
        f"window: {'yes (' + os.environ['DISPLAY'] + ')' if window else 'no'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 4, 6):
            video = class_video(Path(tmp) / f"class{n}.mp4", n, args.seconds)
            res = run_demo(
                DemoConfig(camera=str(video), max_faces=max(n, 1), window=window, pause_s=2.0),
                should_quit=lambda: False,
            )
            delivered = res.camera_frames + res.camera_dropped
            bare = bare_fps(video, n)
            fps = res.camera_frames / res.seconds
            print(
                f"{n} face(s): {delivered} camera frames delivered, {res.camera_frames} tracked, "
                f"{res.camera_dropped} skipped ({100 * res.camera_dropped / max(delivered, 1):.1f}%); "
                f"{fps:.1f} tracked fps, {res.screens / res.seconds:.1f} screens/s; "
                f"bare MediaPipe {bare:.1f} fps (demo / min(bare, 30) = {fps / min(bare, 30.0):.2f})"
            )


if __name__ == "__main__":
    main()
