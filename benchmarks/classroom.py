"""The tracker's reach in a classroom: how often a face of a given width is found in a 1280x720
frame, and how many faces the demo would then count.

    python benchmarks/classroom.py [--placements 72] [--seed 0]

Real faces from the repository's photos (tests/data, five people) are pasted at known widths into
a 1280x720 room with sensor noise and JPEG compression (tests/classroom_scene.py); six faces a frame,
(fewer where six of that size do not fit), so that today's face limit (8) never binds. A face counts as found when a detected box has its
centre inside the face and a width within a factor of 2. Faces are found the way every command
finds them up to 8 faces (MediaPipe Face Landmarker on the whole frame; its short-range detector
squeezes the frame to 128x128) and the way ``--max-faces 9`` or more finds them (the classroom
tracker, :mod:`mimicry.sensing.crowd`). Then frames per second by face count, beside a bare
one-face MediaPipe loop over the same frames. A 15 cm face is about 137/d px wide at d metres in a 1280 px frame
of a ~70 degree laptop webcam, so the distance column is 137 / width.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import classroom_scene as classroom  # noqa: E402

from mimicry.sensing import tracking  # noqa: E402
from mimicry.sensing.crowd import CrowdLandmarker  # noqa: E402
from mimicry.sensing.tracking import FaceLandmarker  # noqa: E402

tracking.QUIET_NATIVE_LOGS = True

WIDTHS_PX = (24, 32, 40, 48, 64, 80, 100, 120, 140, 160, 180, 220)
PER_FRAME = 6


def boxes_px(observations, size) -> np.ndarray:
    """Boxes of landmark observations, px (boxes already, from the classroom search, as they are)."""
    if isinstance(observations, np.ndarray):
        return observations.reshape(-1, 4)
    w, h = size
    out = []
    for ob in observations:
        xy = ob.landmarks[:, :2] * (w, h)
        out.append((*xy.min(0), *xy.max(0)))
    return np.array(out, float).reshape(-1, 4)


def reach(faces, detect, width_px: float, placements: int, rng) -> tuple[float, float]:
    """Share of faces of ``width_px`` found by ``detect(image)``, and milliseconds per frame."""
    found, total, ms = 0, 0, []
    while total < placements:
        img, truth = classroom.classroom_frame(faces, [width_px] * classroom.fits(PER_FRAME, width_px), rng)
        t0 = time.perf_counter()
        obs = detect(img)
        ms.append(1000 * (time.perf_counter() - t0))
        found += int(classroom.hits(truth, boxes_px(obs, classroom.FRAME)).sum())
        total += len(truth)
    return found / total, float(np.median(ms))


def reach_table(faces, placements: int, seed: int) -> None:
    print("Reach: share of faces found in one frame, by width (today: Face Landmarker on the whole frame;")
    print(
        "classroom: mimicry's classroom tracker's search, MediaPipe's face detector on the whole frame and 240-px tiles)"
    )
    print("| face width, px | about, m | today | classroom | today, ms | classroom, ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    with FaceLandmarker("image", max_faces=8) as today, CrowdLandmarker(30) as crowd:
        for width in WIDTHS_PX:
            a, a_ms = reach(faces, today.detect, width, placements, np.random.default_rng([seed, width]))
            b, b_ms = reach(faces, crowd.search, width, placements, np.random.default_rng([seed, width]))
            print(f"| {width} | {137 / width:.1f} | {100 * a:.0f} % | {100 * b:.0f} % | {a_ms:.0f} | {b_ms:.0f} |")


def speed_table(faces, seconds: float, seed: int) -> None:
    print()
    print(f"Speed: a class of N faces 40-56 px wide, {seconds:g} s at 15 frames/s, tracked frame after frame")
    print("(classroom tracker: a search a second, each face followed in its crop by 2 threads), beside a")
    print("bare one-face MediaPipe loop (VIDEO mode) over a real close face (single_face.mp4, 640x360), in one run")
    print("| faces | found (median a frame) | classroom, frames/s | bare loop, frames/s | ratio |")
    print("| --- | --- | --- | --- | --- |")
    rng = np.random.default_rng(seed)
    for n in (1, 5, 10, 20, 30):
        frames, truth = _class_frames(faces, list(rng.uniform(40, 56, n)), seconds, seed + n)
        with CrowdLandmarker(30) as crowd:
            t0 = time.perf_counter()
            found = [
                int(classroom.hits(b, boxes_px(crowd.detect(f, k / 15), classroom.FRAME)).sum())
                for k, (f, b) in enumerate(zip(frames, truth))
            ]
            crowd_fps = len(frames) / (time.perf_counter() - t0)
        bare_fps = _bare_fps()
        print(f"| {n} | {int(np.median(found))} | {crowd_fps:.1f} | {bare_fps:.1f} | {crowd_fps / bare_fps:.3f} |")


def _bare_fps(repeats: int = 4) -> float:
    """Frames per second of a bare one-face MediaPipe loop (VIDEO mode) over a real close face
    (tests/data/single_face.mp4, 640x360), as benchmarks/track_speed.py's reference."""
    import cv2

    cap, frames = cv2.VideoCapture(str(ROOT / "tests" / "data" / "single_face.mp4")), []
    while (got := cap.read())[0]:
        frames.append(got[1])
    cap.release()
    with FaceLandmarker("video", max_faces=1) as bare:
        t0 = time.perf_counter()
        for k in range(repeats * len(frames)):
            bare.detect(frames[k % len(frames)], k / 30)
        return repeats * len(frames) / (time.perf_counter() - t0)


def _class_frames(faces, widths, seconds, seed):
    import tempfile

    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "class.mp4"
        boxes = classroom.classroom_video(path, faces, widths, seconds=seconds, fps=15, seed=seed)
        cap, frames = cv2.VideoCapture(str(path)), []
        while (got := cap.read())[0]:
            frames.append(got[1])
        cap.release()
    return frames, boxes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--placements", type=int, default=72, help="faces placed per width")
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each class clip of the speed table")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with FaceLandmarker("image", max_faces=1) as lm:
        faces = classroom.photo_faces(lm)
    print(f"{len(faces)} real faces from tests/data, up to {PER_FRAME} a frame, {args.placements} placements per width")
    reach_table(faces, args.placements, args.seed)
    speed_table(faces, args.seconds, args.seed)


if __name__ == "__main__":
    main()
