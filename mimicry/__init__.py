"""mimicry: measure facial mimicry (smiles, contagious yawns) through a webcam.

Pipeline stages, one module each: :mod:`~mimicry.capture` (frames) -> :mod:`~mimicry.tracking`
(MediaPipe faces, stable ids) -> :mod:`~mimicry.signals` (smile, yawn, blink, mouth_open, pose)
-> :mod:`~mimicry.pipeline` (rows) -> :mod:`~mimicry.writers` (CSV). :mod:`~mimicry.schema`
defines every file format.

In a notebook: :func:`track` (a video to a DataFrame), :func:`read_session`, :func:`analyze`
(a session to DataFrames) and :func:`simulate_session` (a session with known truth).
"""

__version__ = "0.3.0.dev0"


from .api import analyze, track
from .capture import CameraSource, Frame, FrameSource, VideoFileSource, open_source
from .errors import CaptureError, MimicryError, ModelError, OutputError
from .model import bundled_model_path, resolve_model
from .pipeline import TrackConfig, TrackResult, iter_track_rows, track_video
from .schema import BLENDSHAPE_NAMES, LANDMARKS, TRACK
from .session import SessionData, read_session
from .signals import SignalConfig, frame_signals, sustained
from .simulate import simulate_session
from .tracking import FaceIdTracker, FaceLandmarker, FaceObservation

__all__ = [
    "BLENDSHAPE_NAMES",
    "CameraSource",
    "CaptureError",
    "FaceIdTracker",
    "FaceLandmarker",
    "FaceObservation",
    "Frame",
    "FrameSource",
    "LANDMARKS",
    "MimicryError",
    "ModelError",
    "OutputError",
    "SignalConfig",
    "TRACK",
    "TrackConfig",
    "TrackResult",
    "VideoFileSource",
    "__version__",
    "bundled_model_path",
    "frame_signals",
    "iter_track_rows",
    "open_source",
    "resolve_model",
    "sustained",
    "track_video",
    "track",
    "analyze",
    "read_session",
    "simulate_session",
    "SessionData",
]
