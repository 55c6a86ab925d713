"""A 60 s live session on this machine: does tracking keep up with a 30 fps camera?

    python benchmarks/live_session.py [--no-window]

Replays a 640x480, 30 fps clip (single_face.mp4 resized and looped back and forth) as the
camera, in real time, through `mimicry run`'s SessionRun with a protocol of 60 s (10 s
baseline, a 24 s smile clip, a 2 s pause, a 24 s yawn clip). The window is shown on a virtual
screen (Xvfb, started here if present; otherwise --no-window is used). Prints camera frames
delivered vs processed (goal: < 1 % dropped), stimulus frames dropped, and the latency from
capture to the row being written, with and without the yawn filter's fixed 1 s look-ahead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from mimicry.sensing.capture import read_frames
from mimicry.session.run import RunConfig, SessionRun
from mimicry.writers import CsvWriter

ROOT = Path(__file__).resolve().parent.parent


def make_camera_clip(out: Path, seconds: float = 65.0) -> None:
    frames, _ = read_frames(ROOT / "tests" / "data" / "single_face.mp4")
    seq = frames + frames[::-1]
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    for i in range(int(seconds * 30)):
        vw.write(cv2.resize(seq[i % len(seq)], (640, 480)))
    vw.release()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-window", action="store_true")
    args = ap.parse_args()
    xvfb = None
    window = not args.no_window
    if window and not os.environ.get("DISPLAY"):
        if shutil.which("Xvfb"):
            os.environ["DISPLAY"] = ":87"
            xvfb = subprocess.Popen(
                ["Xvfb", ":87", "-screen", "0", "1280x800x24"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(1.0)
        else:
            window = False
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cam = tmp / "camera.mp4"
        make_camera_clip(cam)
        proto = tmp / "bench.toml"
        proto.write_text(
            "[protocol]\nname = 'bench'\nbaseline_s = 10\nisi_s = 2\n"
            "[[block]]\nstimulus = 'smile-man-real'\n[[block]]\nstimulus = 'yawn-man-a'\n"
        )
        session = SessionRun(
            RunConfig(
                protocol=proto, camera=str(cam), out=tmp / "sessions", window=window, countdown_s=0, participant="BENCH"
            )
        )
        latencies = []
        original = CsvWriter.write

        def timed_write(self, row):
            if self.path.name == "frames.csv" and session.source.origin_monotonic is not None:
                latencies.append(time.monotonic() - session.source.origin_monotonic - row["t_s"])
            original(self, row)

        CsvWriter.write = timed_write
        try:
            folder = session.run()
        finally:
            CsvWriter.write = original
            if xvfb is not None:
                xvfb.terminate()
        import json

        meta = json.loads((folder / "session.json").read_text())
        delivered = session.source.delivered
        dropped = meta["camera_frames_dropped"]
        lat = np.array(latencies)
        print(
            f"session {meta['duration_s']:.1f} s, window: {'Xvfb 1280x720' if window else 'none'}, camera 640x480 @ 30 fps"
        )
        print(
            f"camera frames: {delivered + dropped} delivered by the camera, {delivered} processed, {dropped} dropped "
            f"({100 * dropped / max(delivered + dropped, 1):.2f} %; goal < 1 %)"
        )
        print(f"stimulus frames dropped: {meta['stimulus_frames_dropped']}")
        print(
            f"capture -> row written: median {statistics.median(lat):.3f} s, 95th percentile {np.percentile(lat, 95):.3f} s; "
            f"minus the yawn decision's fixed look-ahead ({session_lookahead():.3f} s): median "
            f"{statistics.median(lat) - session_lookahead():.3f} s"
        )


def session_lookahead() -> float:
    from mimicry.sensing.signals import DEFAULT_CONFIG

    return DEFAULT_CONFIG.yawn_latency_s


if __name__ == "__main__":
    main()
