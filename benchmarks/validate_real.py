"""The signals on real recordings with hand-marked truth, per clip, beside raw MediaPipe.

    python benchmarks/validate_real.py DIR [--keep DIR] [--runs]

DIR holds video clips and a ``truth.csv`` (``clip, event, start_s, end_s, note``; events
``yawn``, ``ambiguous``, ``laugh``, ``smile``, ``crying``; a clip without ``yawn`` rows holds no
yawn). Each clip is tracked with ``mimicry track`` (one face) and scored with
:mod:`mimicry.sensing.validation`: yawn episodes (the signal at or above 0.5 for at least 0.5 s) that hit
a marked yawn, false yawns (episodes outside every marked yawn or ambiguous span), and the mean
smile inside the marked smile, laugh, yawn and crying spans; for ``mimicry`` (``yawn``,
``smile``) and for raw MediaPipe (``jawOpen``, mean ``mouthSmileLeft/Right``) side by side.

The clips this was developed with (``../shared/devdata``) may not be redistributed: they stay
outside the repository, and no test needs them. ``--keep DIR`` keeps the track CSVs. ``--runs``
also prints every run of open-mouth frames reaching the yawn level with what the yawn model judged
it on (:func:`mimicry.sensing.yawn.yawn_runs`) and the marked spans it overlaps, then the yawn
counts with the model's two main constants moved.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from mimicry.schema import TRACK
from mimicry.sensing.capture import VideoFileSource
from mimicry.sensing.pipeline import TrackConfig, iter_track_rows
from mimicry.sensing.signals import DEFAULT_CONFIG
from mimicry.sensing.validation import score_clip, score_yawns
from mimicry.sensing.yawn import yawn_runs, yawn_signal

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


def track(clip: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The track of one clip (one face) and its per-frame mouth opening (``t_s, opening, smile``)."""
    opening: dict[int, tuple[float, float]] = {}

    def on_faces(frame, faces):
        if faces:
            opening[frame.index] = (faces[0][2]["opening"], faces[0][2]["smile"])

    with VideoFileSource(clip) as source:
        rows = [row for row, _ in iter_track_rows(source, TrackConfig(max_faces=1), on_faces=on_faces)]
    df = pd.DataFrame(rows, columns=TRACK.names)
    d = df[df["detected"] == 1]
    o = [opening.get(int(f), (np.nan, np.nan)) for f in d["frame"]]
    return df, pd.DataFrame({"t_s": d["t_s"].to_numpy(), "opening": [a for a, _ in o], "smile": [b for _, b in o]})


def runs_table(clip: str, op: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The runs of one clip that reach the yawn level, with the marked spans they overlap."""
    r = yawn_runs(op["t_s"].to_numpy(), op["opening"].to_numpy(), op["smile"].to_numpy())
    r = r[r["widest"] >= DEFAULT_CONFIG.yawn_wide].copy()
    r.insert(0, "clip", clip)
    r["truth"] = [
        ",".join(sorted(set(truth.loc[(truth["start_s"] <= b) & (truth["end_s"] >= a), "event"]))) or "-"
        for a, b in zip(r["start_s"], r["end_s"])
    ]
    return r


def sweep(ops: dict[str, pd.DataFrame], truth: pd.DataFrame) -> pd.DataFrame:
    """Yawns hit and false yawns of the yawn model with its two main constants moved, from the
    per-frame openings already measured (how narrow the margins are)."""
    rows = []
    for open_level in (0.25, 0.3, 0.35):
        for scale_s in (0.6, 0.65, 0.7, 0.75, 0.8):
            cfg = replace(DEFAULT_CONFIG, yawn_open=open_level, yawn_time_scale_s=scale_s)
            hit = false = 0
            for clip, op in ops.items():
                t = op["t_s"].to_numpy()
                y = yawn_signal(t, op["opening"].to_numpy(), op["smile"].to_numpy(), cfg)
                r = score_yawns(t, y, truth[truth["clip"] == clip])
                hit, false = hit + r["hit"], false + r["false"]
            rows.append({"yawn_open": open_level, "yawn_time_scale_s": scale_s, "hit": hit, "false": false})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--keep", type=Path, default=None, help="write the track CSVs here")
    ap.add_argument("--runs", action="store_true", help="print every wide open-mouth run and how it was judged")
    a = ap.parse_args()
    truth_path = a.folder / "truth.csv"
    if not truth_path.is_file():
        sys.exit(f"error: no truth.csv in {a.folder}")
    truth = pd.read_csv(truth_path)
    clips = sorted(p for p in a.folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    t0 = time.perf_counter()
    rows, runs, ops = [], [], {}
    for clip in clips:
        df, op = track(clip)
        ops[clip.name] = op
        if a.keep:
            a.keep.mkdir(parents=True, exist_ok=True)
            df.to_csv(a.keep / f"{clip.stem}.csv", index=False)
        clip_truth = truth[truth["clip"] == clip.name]
        rows += [{"clip": clip.name, **r} for r in score_clip(df, clip_truth)]
        runs.append(runs_table(clip.name, op, clip_truth))
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
    if a.runs:
        print(
            f"\nOpen-mouth runs reaching {DEFAULT_CONFIG.yawn_wide} (a yawn needs time_scale_s >= {DEFAULT_CONFIG.yawn_time_scale_s}):"
        )
        table = pd.concat([r for r in runs if len(r)], ignore_index=True)
        num = table.select_dtypes("number").columns
        table[num] = table[num].astype(float).round(2)
        print(table.to_string(index=False))
        print("\nThe same openings with the yawn model's constants moved (the shipped ones: 0.3, 0.7):")
        print(sweep(ops, truth).to_string(index=False))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
