"""mimicry: measure facial mimicry (smiles, contagious yawns) through a webcam.

The pipeline, one sub-package per stage: :mod:`~mimicry.sensing` (frames to per-face signals)
-> :mod:`~mimicry.session` (recording and session folders) -> :mod:`~mimicry.analysis` (the
tests) -> :mod:`~mimicry.report` (pages); :mod:`~mimicry.stimuli` beside them;
:mod:`~mimicry.schema` defines every file format.

In a notebook: :func:`track` (a video to a DataFrame), :func:`read_session`, :func:`analyze`
(a session to DataFrames), :func:`simulate_session` (a session with known truth) and
:func:`import_video` (a video and another program's onsets to a session folder).

The names below are imported on first use, so that ``mimicry track`` does not pay for the
analysis's imports (SciPy, pandas) before its first frame.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import CaptureError, MimicryError, ModelError, OutputError
from .version import __version__

_LAZY = {
    "track": ".api",
    "analyze": ".api",
    "read_session": ".session.folder",
    "SessionData": ".session.folder",
    "simulate_session": ".session.simulate",
    "import_video": ".session.imported",
    "Recorder": ".session.recorder",
    "RecorderConfig": ".session.recorder",
    "ImportConfig": ".session.imported",
    "EventColumns": ".session.onsets",
    "BLENDSHAPE_NAMES": ".schema",
    "LANDMARKS": ".schema",
    "TRACK": ".schema",
    "CameraSource": ".sensing.capture",
    "Frame": ".sensing.capture",
    "FrameSource": ".sensing.capture",
    "VideoFileSource": ".sensing.capture",
    "open_source": ".sensing.capture",
    "bundled_model_path": ".sensing.model",
    "resolve_model": ".sensing.model",
    "TrackConfig": ".sensing.pipeline",
    "TrackResult": ".sensing.pipeline",
    "iter_track_rows": ".sensing.pipeline",
    "track_video": ".sensing.pipeline",
    "SignalConfig": ".sensing.signals",
    "frame_signals": ".sensing.signals",
    "yawn_signal": ".sensing.yawn",
    "FaceIdTracker": ".sensing.tracking",
    "FaceLandmarker": ".sensing.tracking",
    "FaceObservation": ".sensing.tracking",
}

__all__ = [
    "CaptureError",
    "MimicryError",
    "ModelError",
    "OutputError",
    "__version__",
    "track",
    "analyze",
    "read_session",
    "SessionData",
    "simulate_session",
    "import_video",
    "ImportConfig",
    "Recorder",
    "RecorderConfig",
    "EventColumns",
    "BLENDSHAPE_NAMES",
    "LANDMARKS",
    "TRACK",
    "CameraSource",
    "Frame",
    "FrameSource",
    "VideoFileSource",
    "open_source",
    "bundled_model_path",
    "resolve_model",
    "TrackConfig",
    "TrackResult",
    "iter_track_rows",
    "track_video",
    "SignalConfig",
    "frame_signals",
    "yawn_signal",
    "FaceIdTracker",
    "FaceLandmarker",
    "FaceObservation",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # once
        return value
    raise AttributeError(f"module 'mimicry' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # what type checkers and IDEs see
    from .api import analyze, track
    from .schema import BLENDSHAPE_NAMES, LANDMARKS, TRACK
    from .sensing.capture import CameraSource, Frame, FrameSource, VideoFileSource, open_source
    from .sensing.model import bundled_model_path, resolve_model
    from .sensing.pipeline import TrackConfig, TrackResult, iter_track_rows, track_video
    from .sensing.signals import SignalConfig, frame_signals
    from .sensing.tracking import FaceIdTracker, FaceLandmarker, FaceObservation
    from .sensing.yawn import yawn_signal
    from .session.folder import SessionData, read_session
    from .session.imported import ImportConfig, import_video
    from .session.onsets import EventColumns
    from .session.recorder import Recorder, RecorderConfig
    from .session.simulate import simulate_session
