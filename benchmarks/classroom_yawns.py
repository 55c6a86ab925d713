"""A class of twenty real faces 40-64 px wide with real yawners among them: does ``mimicry track
--max-faces 30`` find the class, the yawns and no false yawn, fast enough, and does the demo run on it?

    python benchmarks/classroom_yawns.py DEVDATA [--seconds 26] [--fps 15] [--seed 0]

DEVDATA: the developers' real clips with ``truth.csv`` (not redistributable, so not in the
repository; see ``classroom_signals.py``). Every clip's face (yawns, talking, singing, laughs,
grins, grimaces, crying) is cut out around its median position, shrunk to a width drawn between
40 and 64 px and pasted, moving as filmed, into a 1280x720 room beside still faces of the
repository's photos, twenty faces in all, with sensor noise and JPEG; clips shorter than the class
video loop. Tracked as ``mimicry track --max-faces 30`` tracks (the pipeline, in this process);
each pasted face is the face id whose median centre is nearest its place.

Printed: the faces found in the median frame; per face its width, the share of frames it was
found, yawns found of the true yawns (an onset from 0.5 s before to 1.5 s after a true yawn) and
false yawns (onsets outside every yawn and ambiguous span; a yawn already under way when a clip
starts or loops is ambiguous: its opening is unseen); yawns on faces that match no pasted face are
false too; the same without the signals' minimum face widths ("raw": the yawn is read on every
face, as it would be without them). Then frames per second of the tracking beside a bare one-face MediaPipe loop, in this
run, and ``mimicry demo yawn --max-faces 30 --no-window`` on the same video (its exit status and
what it printed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import classroom_scene as scene  # noqa: E402
from classroom import _bare_fps  # noqa: E402
from classroom_signals import face_geometry, yawn_onsets  # noqa: E402

from mimicry.sensing import tracking  # noqa: E402
from mimicry.sensing.capture import VideoFileSource  # noqa: E402
from mimicry.sensing.pipeline import TrackConfig, iter_track_rows  # noqa: E402
from mimicry.sensing.signals import DEFAULT_CONFIG  # noqa: E402
from mimicry.sensing.tracking import FaceLandmarker  # noqa: E402

tracking.QUIET_NATIVE_LOGS = True
N_FACES = 20
WIDTHS_PX = (40.0, 64.0)


def clip_crops(clip: Path, width_px: float) -> tuple[list[np.ndarray], float]:
    """Every frame of ``clip`` cut around its face (median place) and shrunk so the face is
    ``width_px`` wide; and the clip's frame rate."""
    cx, cy, face_w = face_geometry(clip)
    half = scene.MARGIN * face_w / 2
    side = max(int(round(scene.MARGIN * width_px)), 8)
    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    crops = []
    while (got := cap.read())[0]:
        pad = int(half) + 1
        img = cv2.copyMakeBorder(got[1], pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0 = int(cx + pad - half), int(cy + pad - half)
        crops.append(
            cv2.resize(
                img[y0 : y0 + int(2 * half), x0 : x0 + int(2 * half)], (side, side), interpolation=cv2.INTER_AREA
            )
        )
    cap.release()
    return crops, fps


def truth_spans(truth: pd.DataFrame, clip_s: float, seconds: float) -> pd.DataFrame:
    """The clip's truth on the class video's clock, repeated for each loop; a yawn under way when
    the clip starts (or loops) is ambiguous."""
    rows = []
    for k in range(int(np.ceil(seconds / clip_s))):
        for r in truth.itertuples():
            start, end = r.start_s + k * clip_s, r.end_s + k * clip_s
            if start >= seconds:
                continue
            event = "ambiguous" if r.event == "yawn" and r.start_s <= 0.2 else r.event
            rows.append({"event": event, "start_s": start, "end_s": end})
    return pd.DataFrame(rows, columns=["event", "start_s", "end_s"])


def build(devdata: Path, out: Path, seconds: float, fps: float, seed: int) -> pd.DataFrame:
    """Write the class video; returns one row per pasted face: clip (or photo), width, centre, truth."""
    rng = np.random.default_rng(seed)
    truth = pd.read_csv(devdata / "truth.csv")
    clips = sorted(p for p in devdata.iterdir() if p.suffix in (".mp4", ".avi"))
    with FaceLandmarker("image", max_faces=1) as lm:
        photos = scene.photo_faces(lm)
    n_photos = N_FACES - len(clips)
    widths = list(rng.uniform(*WIDTHS_PX, N_FACES))
    order = rng.permutation(N_FACES)  # which slot each face takes
    corners = scene.layout(widths, rng)
    background = scene.room(rng)
    still_slots = [int(order[len(clips) + i]) for i in range(n_photos)]
    still, _ = scene.compose(
        [photos[i % len(photos)] for i in range(n_photos)],
        [widths[s] for s in still_slots],
        corners[still_slots],
        background,
        rng,
        quality=95,
    )
    faces, moving = [], []
    for i, clip in enumerate(clips):
        slot = int(order[i])
        crops, clip_fps = clip_crops(clip, widths[slot])
        side = crops[0].shape[0]
        x, y = corners[slot].astype(int)
        moving.append((crops, clip_fps, x, y))
        spans = truth_spans(truth[truth["clip"] == clip.name], len(crops) / clip_fps, seconds)
        faces.append(
            {"face": clip.name, "width_px": widths[slot], "cx": x + side / 2, "cy": y + side / 2, "truth": spans}
        )
    for i, slot in enumerate(still_slots):
        side = int(round(scene.MARGIN * widths[slot]))
        x, y = corners[slot]
        faces.append(
            {
                "face": scene.PHOTOS[i % len(photos)],
                "width_px": widths[slot],
                "cx": x + side / 2,
                "cy": y + side / 2,
                "truth": truth_spans(truth.iloc[:0], 1.0, 0.0),
            }
        )
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, scene.FRAME)
    for k in range(int(round(seconds * fps))):
        t, frame = k / fps, still.copy()
        for crops, clip_fps, x, y in moving:
            crop = crops[int(t * clip_fps) % len(crops)]
            frame[y : y + crop.shape[0], x : x + crop.shape[1]] = crop[: frame.shape[0] - y, : frame.shape[1] - x]
        noisy = np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)
        ok, jpg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 85])
        vw.write(cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    vw.release()
    return pd.DataFrame(faces)


def track(video: Path, *, floors: bool = True) -> tuple[pd.DataFrame, float, float]:
    """``mimicry track --max-faces 30``'s rows with each face's landmark centre; the video's
    frames read per second and those tracked per second (``TrackConfig.crowd_hz`` a second of
    video). ``floors=False``: every signal at every face width (no minimum widths)."""
    rows = []
    signals = DEFAULT_CONFIG if floors else replace(DEFAULT_CONFIG, smile_min_face_px=0.0, yawn_min_face_px=0.0)
    t0 = time.perf_counter()
    with VideoFileSource(video) as src:
        size = (src.width, src.height)
        for row, face in iter_track_rows(src, TrackConfig(max_faces=30, signals=signals)):
            if face is not None:
                row["cx"], row["cy"] = face.landmarks[:, :2].mean(0) * size
            rows.append(row)
    wall = time.perf_counter() - t0
    df = pd.DataFrame(rows)
    return df, (df["frame"].max() + 1) / wall, df["frame"].nunique() / wall


def score(rows: pd.DataFrame, faces: pd.DataFrame) -> pd.DataFrame:
    """Per pasted face: found share, yawns found and false (see the module docstring)."""
    det = rows[rows.detected == 1]
    frames = rows["frame"].nunique()
    centres = det.groupby("face")[["cx", "cy"]].median()
    owner = {}
    for fid, c in centres.iterrows():
        d = np.hypot(faces.cx - c.cx, faces.cy - c.cy)
        if d.min() <= faces.width_px[d.idxmin()]:
            owner[fid] = int(d.idxmin())
    out = []
    for i, f in faces.iterrows():
        ids = [fid for fid, k in owner.items() if k == i]
        mine = det[det.face.isin(ids)].sort_values("t_s")
        onsets = np.concatenate([yawn_onsets(g) for _, g in mine.groupby("face")]) if ids else np.zeros(0)
        yawns = f.truth[f.truth.event == "yawn"]
        spans = f.truth[f.truth.event.isin(["yawn", "ambiguous"])]
        hit = sum(any(r.start_s - 0.5 <= o <= r.end_s + 1.5 for o in onsets) for r in yawns.itertuples())
        false = sum(not any(r.start_s - 0.5 <= o <= r.end_s + 1.5 for r in spans.itertuples()) for o in onsets)
        out.append({"face": f.face, "width px": round(f.width_px), "found": mine.frame.nunique() / frames,
                    "ids": len(ids), "yawns": hit, "of": len(yawns), "false": false})  # fmt: skip
    strays = det[~det.face.isin(list(owner))]
    stray_yawns = sum(len(yawn_onsets(g)) for _, g in strays.sort_values("t_s").groupby("face"))
    out.append({"face": "(no pasted face)", "width px": 0, "found": np.nan, "ids": strays.face.nunique(),
                "yawns": 0, "of": 0, "false": stray_yawns})  # fmt: skip
    return pd.DataFrame(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("devdata", type=Path)
    ap.add_argument("--seconds", type=float, default=26.0)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "class.mp4"
        faces = build(args.devdata, video, args.seconds, args.fps, args.seed)
        rows, fps, tracked_fps = track(video)
        bare = _bare_fps()
        table = score(rows, faces)
        raw = score(track(video, floors=False)[0], faces)
        table["raw yawns"], table["raw false"] = raw.yawns, raw["false"]
        tracked = rows.frame.unique()  # ten frames a second of video (TrackConfig.crowd_hz)
        per_frame = rows[rows.detected == 1].groupby("frame").size().reindex(tracked, fill_value=0)
        print(
            f"{N_FACES} real faces {WIDTHS_PX[0]:g}-{WIDTHS_PX[1]:g} px wide in 1280x720, {args.seconds:g} s at {args.fps:g} frames/s"
        )
        print(table.to_string(index=False, float_format="%.2f"))
        print(f"faces found in the median tracked frame: {int(np.median(per_frame))} of {N_FACES}")
        print(f"yawns found: {table.yawns.sum()} of {table['of'].sum()}; false yawns: {table['false'].sum()}")
        print(
            f"without the minimum face widths (yawn read at every width): yawns found {raw.yawns.sum()} of "
            f"{raw['of'].sum()}; false yawns: {raw['false'].sum()}"
        )
        print(
            f"tracking: the video read at {fps:.1f} frames/s, {tracked_fps:.1f} of them tracked (every face "
            f"measured {tracked_fps:.1f} times a second of computing); bare one-face loop: {bare:.1f} frames/s; "
            f"ratio {fps / bare:.3f} (tracked frames: {tracked_fps / bare:.3f})"
        )
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "mimicry",
                "demo",
                "yawn",
                "--max-faces",
                "30",
                "--camera",
                str(video),
                "--no-window",
                "--baseline-minutes",
                "0.25",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=600,
        )
        print(f"mimicry demo yawn --max-faces 30 --no-window on it: exit {r.returncode}")
        print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()[-300:])


if __name__ == "__main__":
    main()
