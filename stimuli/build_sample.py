"""Build the sample viewer recording used by ``mimicry run --camera sample``.

    python stimuli/build_sample.py

A synthetic viewer (the neutral man of stimuli/sources, mirrored, framed closer) watching
``protocols/sample.toml``: they smile 0.8 s after each smile of the actor and yawn 4 s after
each of the actor's yawns, never during the control clip; blinks and slight head wander
throughout. Timed from the clips' actor events (``tracks/<id>.events.csv``), seeded, written to
``stimuli/sample_viewer.mp4`` (30 fps, 320 x 320).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mimicry.sensing.tracking import FaceLandmarker
from mimicry.stimuli.library import load_library
from mimicry.stimuli.protocol import load_protocol, resolve_blocks
from mimicry.stimuli.synth import face_crop, hump, plan_stimulus, render_stimulus

HERE = Path(__file__).resolve().parent
FPS, SIZE, SEED = 30.0, 320, 7
SMILE_LAG_S, YAWN_LAG_S = 0.8, 4.0


def main() -> None:
    lib = load_library(HERE)
    proto = load_protocol(HERE.parent / "protocols" / "sample.toml")
    blocks, _ = resolve_blocks(proto, lib, seed=0)
    starts, t = [], proto.baseline_s
    for b in blocks:
        starts.append(t)
        t += lib.get(b.stimulus_id).duration_s + proto.isi_s
    total = t - proto.isi_s + 3.0  # a little after the last block
    rng = np.random.default_rng(SEED)
    plan = plan_stimulus("control", total, FPS, rng)  # blinks, head wander, small lip movements
    tt = plan["t_s"]
    smile, yawn = np.zeros_like(tt), np.zeros_like(tt)
    for b, st in zip(blocks, starts):
        ev = pd.read_csv(lib.events_path(b.stimulus_id))
        for e in ev.itertuples():
            if e.kind == "smile" and b.kind == "smile":
                smile = np.maximum(
                    smile, 0.95 * hump(tt, st + e.onset_s + SMILE_LAG_S, 0.4, rng.uniform(1.2, 2.0), 0.6)
                )
            if e.kind == "yawn" and b.kind == "yawn":
                yawn = np.maximum(yawn, hump(tt, st + e.onset_s + YAWN_LAG_S, 2.5, 1.5, 1.0))
    plan["corners_out"] = plan["corners_up"] = 0.15 * smile
    plan["jaw"] = np.maximum(plan["jaw"], 0.55 * yawn)
    plan["eyes"] = np.maximum(plan["eyes"], 0.5 * yawn)
    plan["dy"] = plan["dy"] - 0.02 * yawn
    image = cv2.flip(cv2.imread(str(HERE / "sources" / "man_neutral.png")), 1)
    with FaceLandmarker("image") as lm:
        xy = lm.detect(image)[0].landmarks[:, :2] * image.shape[1::-1]
    face, fxy = face_crop(image, xy, size=SIZE, zoom=1.6)
    out = HERE / "sample_viewer.mp4"
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (SIZE, SIZE))
    for frame in render_stimulus(face, fxy, plan):
        vw.write(frame)
    vw.release()
    print(f"wrote {out}: {total:.1f} s, {out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
