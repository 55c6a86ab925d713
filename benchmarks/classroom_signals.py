"""Are the signals still valid when a face is small? Real yawns, laughs, talking and smiles, shrunk
into a classroom frame, tracked by the classroom tracker, against the same clips at full size.

    python benchmarks/classroom_signals.py DEVDATA [--widths 32 48 64] [--others 3]

DEVDATA: a folder of real clips with ``truth.csv`` (``clip,event,start_s,end_s,note``; events
``yawn``, ``ambiguous``, ``laugh``, ``smile``, ``crying``), such as the developers' shared/devdata
(not redistributable, so not in the repository). For each clip: the face is tracked at full size
(``--max-faces 1``, today's path); then the region around it is scaled so the face is W px wide
and pasted into a 1280x720 room beside ``--others`` still faces of the repository's photos (48 px),
and the whole frame is tracked with ``--max-faces 30`` (the classroom tracker). The face nearest
the pasted place is the viewer. Per clip and width: yawns found (a yawn onset inside a true yawn,
from 0.5 s before to 1.5 s after it), false yawns (onsets outside every yawn and ambiguous span),
the mean smile inside smile or laugh spans and outside them, the frame-by-frame agreement of
``smile`` and ``mouth_open`` with the same clip at full size (Pearson r over the frames both have),
the median face width measured and the share of tracked frames with the face (the classroom
tracker tracks ten frames a second: ``TrackConfig.crowd_hz``). The signals are measured
without their minimum face widths (``SignalConfig.smile_min_face_px``, ``yawn_min_face_px``); the
summary then says what those floors leave: below them a signal is missing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import classroom_scene as scene  # noqa: E402

from mimicry.sensing import tracking  # noqa: E402
from mimicry.sensing.capture import VideoFileSource  # noqa: E402
from mimicry.sensing.pipeline import TrackConfig, iter_track_rows  # noqa: E402
from mimicry.sensing.signals import DEFAULT_CONFIG, below_floor, median_width  # noqa: E402
from mimicry.sensing.tracking import FaceLandmarker  # noqa: E402

tracking.QUIET_NATIVE_LOGS = True
PLACE = (600, 300)
"""Where the shrunk face's crop is pasted (top-left, px)."""


def track(video: Path, max_faces: int) -> pd.DataFrame:
    """The track rows, with each detected face's landmark centre (``cx``, ``cy``, px)."""
    rows = []
    with VideoFileSource(video) as src:
        size = (src.width, src.height)
        raw = replace(DEFAULT_CONFIG, smile_min_face_px=0.0, yawn_min_face_px=0.0)
        for row, face in iter_track_rows(src, TrackConfig(max_faces=max_faces, signals=raw)):
            if face is not None:
                row["cx"], row["cy"] = face.landmarks[:, :2].mean(0) * size
            rows.append(row)
    return pd.DataFrame(rows)


def face_geometry(video: Path) -> tuple[float, float, float]:
    """Median face centre (x, y) and width, px, from a full-size track with landmarks."""
    xs, ys, ws = [], [], []
    with VideoFileSource(video) as src, FaceLandmarker("video", max_faces=1) as lm:
        for k, frame in enumerate(src):
            if k % 5:
                continue
            found = lm.detect(frame.image, frame.t_s)
            if found:
                xy = found[0].landmarks[:, :2] * frame.image.shape[1::-1]
                xs.append(xy[:, 0].mean())
                ys.append(xy[:, 1].mean())
                ws.append(np.ptp(xy[:, 0]))
    return float(np.median(xs)), float(np.median(ys)), float(np.median(ws))


def shrink_into_class(video: Path, out: Path, width_px: float, others, rng) -> tuple[float, float]:
    """Write ``out``: ``video``'s face region scaled to ``width_px`` in a room with still faces.
    Returns where the face's centre lands, px."""
    cx, cy, face_w = face_geometry(video)
    scale = width_px / face_w
    half = 1.6 * face_w  # the crop: the face with its hair, neck and some room
    side = max(int(round(2 * half * scale)), 8)
    background = scene.room(rng)
    corners = [(60 + 200 * i, 80) for i in range(len(others))]
    still, _ = scene.compose(others, [48.0] * len(others), np.array(corners, float), background, rng)
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, scene.FRAME)
    while (got := cap.read())[0]:
        img = cv2.copyMakeBorder(
            got[1], int(half) + 1, int(half) + 1, int(half) + 1, int(half) + 1, cv2.BORDER_REPLICATE
        )
        x0, y0 = int(cx), int(cy)  # the border shifts the centre by half
        crop = cv2.resize(
            img[y0 : y0 + int(2 * half), x0 : x0 + int(2 * half)], (side, side), interpolation=cv2.INTER_AREA
        )
        frame = still.copy()
        frame[PLACE[1] : PLACE[1] + side, PLACE[0] : PLACE[0] + side] = crop
        noisy = np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)
        ok, jpg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 85])
        vw.write(cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    cap.release()
    vw.release()
    return PLACE[0] + side / 2, PLACE[1] + side / 2


def yawn_onsets(rows: pd.DataFrame) -> np.ndarray:
    t = rows["t_s"].to_numpy(float)
    on = np.nan_to_num(rows["yawn"].to_numpy(float)) > 0
    starts = np.flatnonzero(on & ~np.r_[False, on[:-1]])
    return t[starts]


def score(rows: pd.DataFrame, truth: pd.DataFrame, frames: int, full: pd.DataFrame | None = None) -> dict:
    yawns = truth[truth.event == "yawn"]
    spans = truth[truth.event.isin(["yawn", "ambiguous"])]
    onsets = yawn_onsets(rows)
    hit = sum(any(r.start_s - 0.5 <= o <= r.end_s + 1.5 for o in onsets) for r in yawns.itertuples())
    false = sum(not any(r.start_s - 0.5 <= o <= r.end_s + 1.5 for r in spans.itertuples()) for o in onsets)
    t, smile = rows["t_s"].to_numpy(float), rows["smile"].to_numpy(float)
    happy = np.zeros(t.size, bool)
    for r in truth[truth.event.isin(["smile", "laugh"])].itertuples():
        happy |= (t >= r.start_s) & (t <= r.end_s)
    out = {
        "yawns": f"{hit}/{len(yawns)}" if len(yawns) else "-",
        "false yawns": false,
        "smile in": np.nanmean(smile[happy]) if happy.any() else np.nan,
        "smile out": np.nanmean(smile[~happy]) if (~happy).any() else np.nan,
        "r smile": agreement(rows, full, "smile"),
        "r mouth": agreement(rows, full, "mouth_open"),
        "face px": float(rows["face_px"].median()) if len(rows) else np.nan,
        "face": rows["t_s"].nunique() / max(frames, 1),
    }
    return out


def agreement(rows: pd.DataFrame, full: pd.DataFrame | None, column: str) -> float:
    """Pearson r of ``column`` with the full-size track over the frames both have (nan for full size)."""
    if full is None:
        return np.nan
    both = pd.merge(rows[["frame", column]], full[["frame", column]], on="frame", suffixes=("", "_full")).dropna()
    if len(both) < 10 or both[column].std() == 0 or both[f"{column}_full"].std() == 0:
        return np.nan
    return float(np.corrcoef(both[column], both[f"{column}_full"])[0, 1])


def floored(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (one face) with each signal missing where the face's median width is narrower
    than the signal's minimum width, as the pipeline does."""
    out = rows.copy()
    width = median_width(out["t_s"].to_numpy(float), out["face_px"].to_numpy(float))
    for name, small in below_floor(width).items():
        out.loc[small, name] = np.nan
    return out


def viewer(rows: pd.DataFrame, place: tuple[float, float]) -> pd.DataFrame:
    """The rows of the face id whose median centre is nearest ``place`` (the shrunk face)."""
    det = rows[rows.detected == 1]
    if det.empty:
        return det
    centre = det.groupby("face")[["cx", "cy"]].median()
    dist = np.hypot(centre.cx - place[0], centre.cy - place[1])
    return det[det.face == dist.idxmin()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("devdata", type=Path)
    ap.add_argument("--widths", type=float, nargs="+", default=[32.0, 48.0, 64.0])
    ap.add_argument("--others", type=int, default=3, help="still faces beside the viewer")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--clips", nargs="+", default=None, help="only the clips whose names contain one of these")
    args = ap.parse_args()
    truth = pd.read_csv(args.devdata / "truth.csv")
    with FaceLandmarker("image", max_faces=1) as lm:
        others = scene.photo_faces(lm)[: args.others]
    results = []
    clips = sorted(p for p in args.devdata.iterdir() if p.suffix in (".mp4", ".avi"))
    if args.clips:
        clips = [c for c in clips if any(k in c.name for k in args.clips)]
    for clip in clips:
        t = truth[truth["clip"] == clip.name]
        frames = int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT))
        full = track(clip, 1)
        full = full[full.detected == 1]
        results.append({"clip": clip.name, "width": "full", **score(full, t, frames)})
        for width in args.widths:
            with tempfile.TemporaryDirectory() as tmp:
                small = Path(tmp) / "class.mp4"
                place = shrink_into_class(clip, small, width, others, np.random.default_rng(args.seed))
                class_rows = track(small, 30)
                rows = viewer(class_rows, place)
            tracked = class_rows["frame"].nunique()  # ten frames a second (TrackConfig.crowd_hz)
            kept = score(floored(rows), t, tracked) if len(rows) else {}
            results.append(
                {
                    "clip": clip.name,
                    "width": f"{width:g}",
                    **score(rows, t, tracked, full),
                    "floored yawns": kept.get("yawns", "-"),
                    "floored false": kept.get("false yawns", 0),
                }
            )
        print(pd.DataFrame(results[-1 - len(args.widths) :]).to_string(index=False, float_format="%.2f"), flush=True)
    df = pd.DataFrame(results)
    print("\nAll clips, by width (r: median over clips of the frame-by-frame agreement with full size):")
    for width, g in df.groupby("width", sort=False):
        found, total = _count(g.yawns)
        line = (
            f"width {width}: yawns found {found}/{total}, false yawns {int(g['false yawns'].sum())}, "
            f"r smile {g['r smile'].median():.2f}, r mouth {g['r mouth'].median():.2f}, "
            f"face found in {100 * g.face.mean():.0f} % of frames"
        )
        if "floored yawns" in g and width != "full":
            kept, _ = _count(g["floored yawns"])
            line += f"; with the minimum widths: yawns {kept}/{total}, false {int(g['floored false'].sum())}"
        print(line)


def _count(values) -> tuple[int, int]:
    parts = [tuple(map(int, v.split("/"))) for v in values if isinstance(v, str) and v != "-"]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


if __name__ == "__main__":
    main()
