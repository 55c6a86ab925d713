"""Per-clip numbers for the shipped stimulus library, from a bare MediaPipe pass.

    python benchmarks/validate_stimuli.py [--library DIR]

For every clip: the share of frames with a face, and from MediaPipe's own blendshapes (VIDEO
mode, not mimicry's tracker) the peak ``jawOpen`` and ``mouthSmile`` (mean of left and right),
the number of yawns (``jawOpen`` >= 0.4 for at least 1 s) and smiles (``mouthSmile`` >= 0.6 for
at least 1 s), and the actor's resting smile (10th percentile) and the peak smile while the jaw
is wide open (``jawOpen`` >= 0.4): a yawn clip should not look like a smile. Also mimicry's own
``smile`` signal from the shipped track at the same moments. The thresholds are the issue's
(the same as `mimicry stimuli check`); the numbers are what the README reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bare_mediapipe import bare_pass, runs_s

from mimicry.stimuli.library import load_library


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--library", default=None)
    lib = load_library(ap.parse_args().library)
    print(
        "| id | kind | face found | peak jawOpen | yawns >= 1 s | peak mouthSmile | smiles >= 1 s | "
        "resting mouthSmile (p10) | mouthSmile / mimicry smile while jawOpen >= 0.4 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in lib.stimuli:
        jaw, smile, found = bare_pass(lib.clip_path(s), s.fps)
        track = lib.track(s)
        wide = jaw >= 0.4
        n = min(len(wide), len(track))
        ours = track["smile"].to_numpy(float)[:n][wide[:n]]
        during = f"{smile[wide].max():.2f} / {np.nanmax(ours):.2f}" if wide.any() else "-"
        print(
            f"| {s.id} | {s.kind} | {found:.0%} | {jaw.max():.2f} | {(runs_s(jaw, s.fps, 0.4) >= 1).sum()} | "
            f"{smile.max():.2f} | {(runs_s(smile, s.fps, 0.6) >= 1).sum()} | {np.percentile(smile, 10):.2f} | "
            f"{during} |"
        )


if __name__ == "__main__":
    main()
