"""The docs' screenshots, made by the code they show: ``python docs/make_screenshots.py``.

``docs/img/record-window.png``: what ``mimicry stimuli record --kind yawn`` shows the volunteer
(their mirrored camera image and the cue, with the seconds left) at the first "yawn now" cue. The
bundled sample viewer (``stimuli/sample_viewer.mp4``, an animated photo: see stimuli/sources)
stands in for the volunteer's webcam, so no one is filmed. ``tests/test_docs.py`` checks that
the committed image is what this script makes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from mimicry.session.camera import camera_spec
from mimicry.stimuli.record import READY_S, RecordConfig, record_stimuli

IMG = Path(__file__).resolve().parent / "img"
RECORD_WINDOW_AT_S = READY_S + 1.5
"""When the record-window screenshot is taken, s: 1.5 s into the first "yawn now" cue."""


class _Taken(Exception):
    """Stops the recording once the screenshot is taken (nothing is cut or added)."""


def record_window(at_s: float = RECORD_WINDOW_AT_S) -> np.ndarray:
    """The record window's image (BGR) at ``at_s`` of a yawn recording of the sample viewer."""
    camera = camera_spec("sample")
    fps = cv2.VideoCapture(str(camera)).get(cv2.CAP_PROP_FPS)
    want = round(at_s * fps)
    shots: list[np.ndarray] = []

    def grab(canvas: np.ndarray) -> None:
        shots.append(canvas)
        if len(shots) > want:
            raise _Taken

    with tempfile.TemporaryDirectory() as tmp:
        config = RecordConfig(
            kind="yawn",
            camera=str(camera),
            actor="V1",
            license="docs screenshot",
            consent=True,
            library=Path(tmp) / "clips",
            window=False,
        )
        try:
            record_stimuli(config, on_screen=grab)
        except _Taken:
            pass
    return shots[want]


def main() -> None:
    IMG.mkdir(exist_ok=True)
    path = IMG / "record-window.png"
    cv2.imwrite(str(path), record_window())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
