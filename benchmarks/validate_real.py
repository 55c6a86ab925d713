"""The signals on real recordings with hand-marked truth, per clip, beside raw MediaPipe.

    python benchmarks/validate_real.py DIR [--keep DIR]

DIR holds video clips and a ``truth.csv`` (``clip, event, start_s, end_s, note``; events
``yawn``, ``ambiguous``, ``laugh``, ``smile``, ``crying``; a clip without ``yawn`` rows holds no
yawn). Each clip is tracked with ``mimicry track`` (one face) and scored with
:mod:`mimicry.sensing.validation`: yawn episodes (the signal at or above 0.5 for at least 0.5 s) that hit
a marked yawn, false yawns (episodes outside every marked yawn or ambiguous span), and the mean
smile inside the marked smile, laugh, yawn and crying spans; for ``mimicry`` (``yawn``,
``smile``) and for raw MediaPipe (``jawOpen``, mean ``mouthSmileLeft/Right``) side by side.

The clips this was developed with (``../shared/devdata``) may not be redistributed: they stay
outside the repository, and no test needs them. ``--keep DIR`` keeps the track CSVs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from mimicry.sensing.capture import VideoFileSource
from mimicry.sensing.pipeline import TrackConfig, track_video
from mimicry.sensing.validation import score_clip
from mimicry.session.folder import read_table

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


def track(clip: Path, out_dir: Path) -> pd.DataFrame:
    out = out_dir / f"{clip.stem}.csv"
    with VideoFileSource(clip) as source:
        track_video(source, out, TrackConfig(max_faces=1))
    return read_table(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--keep", type=Path, default=None, help="write the track CSVs here")
    a = ap.parse_args()
    truth_path = a.folder / "truth.csv"
    if not truth_path.is_file():
        sys.exit(f"error: no truth.csv in {a.folder}")
    truth = pd.read_csv(truth_path)
    clips = sorted(p for p in a.folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = a.keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        for clip in clips:
            for r in score_clip(track(clip, out_dir), truth[truth["clip"] == clip.name]):
                rows.append({"clip": clip.name, **r})
    df = pd.DataFrame(rows).round(2)
    print(
        f"{len(clips)} clips in {a.folder}, {int(truth['event'].eq('yawn').sum())} marked yawns; "
        f"yawn episode: signal >= 0.5 for >= 0.5 s"
    )
    print(df.to_string(index=False))
    print("\n| signal | yawns hit | false yawns | smile in smile spans | in laughs | in yawns | on crying |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, g in df.groupby("signal", sort=False):
        means = {e: g[f"smile_in_{e}"].mean() for e in ("smile", "laugh", "yawn", "crying")}  # mean of clip means
        print(
            f"| {name} | {g['hit'].sum()} / {g['yawns'].sum()} | {g['false'].sum()} | {means['smile']:.2f} | "
            f"{means['laugh']:.2f} | {means['yawn']:.2f} | {means['crying']:.2f} |"
        )
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
