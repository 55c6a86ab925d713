"""Which camera a session films with: a webcam index, a video file replayed as one, or the
bundled sample viewer; and the size a webcam is asked for."""

from __future__ import annotations

import re
from pathlib import Path

from ..sensing.capture import CameraSource, FrameSource, VideoFileSource

SAMPLE_CAMERA = "sample"
"""``--camera sample``: the bundled sample viewer (``stimuli/sample_viewer.mp4``) replayed as a camera."""


def camera_spec(camera: str | int | Path) -> int | Path:
    """A webcam index, or the video file to replay as a camera (``sample``: the bundled viewer).

    Raises
    ------
    CaptureError
        An empty camera, or a negative index.
    """
    from ..errors import CaptureError
    from ..stimuli.library import shipped_folder

    if isinstance(camera, int):
        index = camera
    elif isinstance(camera, str) and camera.strip().lstrip("-").isdigit():
        index = int(camera.strip())
    else:
        text = str(camera)
        if not text.strip():
            raise CaptureError("--camera is empty: give a webcam index (0, 1, ...), a video file or 'sample'")
        if text == SAMPLE_CAMERA and not Path(text).exists():
            return shipped_folder("stimuli") / "sample_viewer.mp4"
        return Path(text)
    if index < 0:
        raise CaptureError(f"--camera must be a webcam index 0 or more, a video file or 'sample', got {index}")
    return index


def parse_camera_size(text: str | None) -> tuple[int, int] | None:
    """``--camera-size``: ``WIDTHxHEIGHT`` (e.g. ``1280x720``), or ``driver`` (None: the driver's default).

    Raises
    ------
    CaptureError
        Not of that form, or outside 160x120 to 3840x2160.
    """
    from ..errors import CaptureError

    if text is None or text.strip().lower() == "driver":
        return None
    m = re.fullmatch(r"\s*(\d{2,4})\s*[xX]\s*(\d{2,4})\s*", text)
    if not m or not (160 <= int(m.group(1)) <= 3840 and 120 <= int(m.group(2)) <= 2160):
        raise CaptureError(
            f"--camera-size must be WIDTHxHEIGHT from 160x120 to 3840x2160 (e.g. 1280x720) or 'driver', got {text!r}"
        )
    return int(m.group(1)), int(m.group(2))


def open_camera(camera: str | int | Path, size: tuple[int, int] | None = None) -> FrameSource:
    """A webcam by index (reconnecting: an unplugged webcam may come back), asked for ``size``
    (width, height; None: the driver's default), or a video file replayed in real time, as a
    camera (``sample``: the bundled sample viewer; ``size`` does not apply)."""
    spec = camera_spec(camera)
    if isinstance(spec, int):
        width, height = size if size is not None else (None, None)
        return CameraSource(spec, width=width, height=height, reconnect=True)
    return VideoFileSource(spec, realtime=True)
