"""Clock alignment end to end: the smile clip replayed as the camera through `mimicry run`.

    python benchmarks/loopback.py

The viewer is then the actor, frame for frame, so the pooled smile cross-correlation must peak
at lag 0 (within one camera frame) with r near 1; anything else is a timing error between the
camera thread, the stimulus schedule and the analysis grid. Prints r and lag of that peak and the
camera frames dropped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "stimuli" / "clips" / "smile-man-real.mp4"


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        proto = Path(d) / "loop.toml"
        proto.write_text(
            "[protocol]\nname = 'loopback'\nbaseline_s = 0\nisi_s = 0\n[[block]]\nstimulus = 'smile-man-real'\n"
        )
        out = Path(d) / "sessions"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mimicry",
                "run",
                "--protocol",
                str(proto),
                "--camera",
                str(CLIP),
                "--no-window",
                "--out",
                str(out),
                "--surrogates",
                "100",
            ],
            check=True,
            capture_output=True,
        )
        (folder,) = [p for p in out.iterdir() if p.is_dir()]
        scores = pd.read_csv(folder / "scores.csv")
        row = scores[(scores.block.astype(str) == "all") & (scores.signal == "smile")].iloc[0]
        meta = json.loads((folder / "session.json").read_text())
    print(
        f"smile clip as the camera ({meta['camera_frames']} frames, {meta['camera_frames_dropped']} dropped): "
        f"pooled smile r = {row.r_peak:.4f} at lag {row.lag_s:+.3f} s"
    )


if __name__ == "__main__":
    main()
