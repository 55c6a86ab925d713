"""What every live recording shares: the folder, the writers, the event log, the camera and
tracker threads with error hand-over, the watchdog, and ``session.json`` from start to end.

``mimicry run`` (:mod:`.run`) and the classroom demo (:mod:`.demo`) differ in what they show
and how they schedule it; both record through one :class:`LiveSession`::

    live = LiveSession(source, TrackConfig(), folder, meta, on_row=add_block)
    live.start()                       # session clock 0; camera, tracker and watchdog threads
    live.log_event(live.clock(), "block_start", 0, "smile-man-a")
    ...
    live.finish("complete")            # closes everything, completes session.json, re-raises a
                                       # tracker or disk error
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import MimicryError, OutputError
from ..schema import EVENTS_LOG, SESSION_FRAMES, STIMULUS_LOG
from ..sensing.capture import CameraSource, FrameSource, VideoFileSource
from ..sensing.model import sha256_file
from ..sensing.pipeline import TrackConfig, iter_track_rows
from ..writers import CsvWriter
from .folder import write_json_atomic
from .validate import SESSION_FORMAT

if TYPE_CHECKING:
    from ..interop.lsl import LslStreams
    from ..sensing.tracking import FaceLandmarker

FLUSH_S = 0.25
"""Session files are handed to the OS at least this often, seconds."""
CAMERA_GAP_S = 1.0
"""No camera frame for this long is logged as a gap (``camera_lost``, then ``camera_back``)."""

PARTICIPANT_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,39}\Z")  # \Z: no trailing newline


def new_participant_id() -> str:
    """A random pseudonym, e.g. ``P-7K2Q9D``."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "P-" + "".join(secrets.choice(alphabet) for _ in range(6))


def check_participant(pid: str, what: str = "participant id") -> str:
    """A participant id (or another pseudonym, named ``what`` in the error): 1-40 letters,
    digits, ``-`` or ``_``, starting with a letter or digit (no paths, no spaces or accents that
    hint at a name, nothing a spreadsheet would run)."""
    if not isinstance(pid, str) or not PARTICIPANT_PATTERN.match(pid):
        raise MimicryError(
            f"{what} must be 1-40 letters, digits, '-' or '_', starting with a letter or digit, got {shown(pid)}"
        )
    return pid


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error lines (a 10,000-character id is not echoed whole)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text)} characters)"


def check_sessions_folder(out: Path) -> None:
    """Refuse, before anything is opened or loaded, an output path that cannot hold session
    folders: a file, or a folder (or, if it does not exist yet, its nearest existing parent)
    that is not writable."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path is not a folder: {out}")
    parent = out
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"output path is not a folder: {parent}")
    if parent.exists() and not os.access(parent, os.W_OK):
        raise OutputError(f"output folder is not writable: {parent}")


def create_session_folder(out: Path, participant: str, now: dt.datetime | None = None) -> Path:
    """Make a new, unique session folder ``<date>_<time>_<participant>_<short id>`` atomically."""
    out = Path(out)
    check_sessions_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output folder {out}: {e.strerror or e}") from None
    if not os.access(out, os.W_OK):
        raise OutputError(f"output folder is not writable: {out}")
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%d_%H%M%S")
    for _ in range(20):
        folder = out / f"{stamp}_{participant}_{secrets.token_hex(2)}"
        try:
            folder.mkdir(mode=0o700)  # fails if it exists: never overwrite, no race; user-only
            return folder
        except FileExistsError:
            continue
        except OSError as e:
            raise OutputError(f"cannot create session folder in {out}: {e.strerror or e}") from None
    raise OutputError(f"could not find a free session folder name in {out}")


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


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def base_meta(folder: Path | None, participant: str, source: FrameSource, model_path: Path | None) -> dict:
    """The ``session.json`` fields every live session writes at its start."""
    camera = {"index": source.index} if isinstance(source, CameraSource) else {"file": str(source.path)}
    size = (int(source.width), int(source.height))
    return session_meta(folder, participant, camera, float(source.nominal_fps), size, model_path)


def session_meta(
    folder: Path | None, participant: str, camera: dict, fps: float, size: tuple[int, int], model_path: Path | None
) -> dict:
    """The ``session.json`` fields every session starts with, the camera described by the caller
    (an imported recording has no camera of its own)."""
    import cv2
    import mediapipe

    return {
        "format": SESSION_FORMAT,
        "session_id": folder.name.rsplit("_", 1)[-1] if folder is not None else None,
        "participant": participant,
        "status": "running",
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "camera_fps": fps,
        "camera": camera,
        "camera_size": list(size),
        "start_time": now_iso(),
        "versions": {
            "mimicry": __version__,
            "mediapipe": getattr(mediapipe, "__version__", "?"),
            "opencv": cv2.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "model_sha256": sha256_file(model_path) if model_path is not None else None,
    }


class LiveSession:
    """One live recording: camera, tracker and watchdog threads, writers, event log, metadata.

    Parameters
    ----------
    source : FrameSource
        The camera (or a file replayed as one); opened, not started.
    track : TrackConfig
    folder : Path or None
        The new session folder; None records nothing (the demo without ``--save``).
    meta : dict
        ``session.json`` so far (:func:`base_meta` plus the caller's fields); written at once.
    on_row : callable, optional
        Called with every finished row before it is written (in the tracker thread): may add
        fields such as ``block``.
    on_faces : callable, optional
        Passed to :func:`~mimicry.sensing.pipeline.iter_track_rows` (live displays).
    on_gap : callable, optional
        Called with a warning line when the camera stops delivering frames, None when it is back.
    stop : threading.Event, optional
        Set to stop the session (shared with the caller's abort); a new one if not given.
    lsl : LslStreams, optional
        Lab Streaming Layer outlets (:mod:`mimicry.interop.lsl`): every row and every event is
        also pushed there, stamped with its time on LSL's clock; closed by :meth:`finish`.
    landmarker : FaceLandmarker, optional
        Made by the caller before the folder (so a model that cannot load leaves no folder);
        closed by :meth:`finish`. Without it, the tracker thread makes its own.
    """

    def __init__(
        self,
        source: FrameSource,
        track: TrackConfig,
        folder: Path | None,
        meta: dict,
        on_row: Callable[[dict], None] | None = None,
        on_faces: Callable | None = None,
        on_gap: Callable[[str | None], None] | None = None,
        stop: threading.Event | None = None,
        lsl: LslStreams | None = None,
        landmarker: FaceLandmarker | None = None,
    ):
        self.source, self.track, self.folder, self.meta = source, track, folder, meta
        self.lsl, self.landmarker = lsl, landmarker
        self.on_row, self.on_faces, self.on_gap = on_row, on_faces, on_gap
        self.stop = stop if stop is not None else threading.Event()
        self.error: BaseException | None = None
        self.ended = False
        self.camera_end_s: float | None = None
        """Session time when the camera stopped delivering for good (a replayed file ended), if it did."""
        self.frames = 0
        self.last_t = 0.0
        self.gaps: list[list] = []
        self._t0: float | None = None
        self._events_lock = threading.Lock()
        self._watch_stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.writers: dict[str, CsvWriter] = {}
        if folder is not None:
            self.write_meta()
            self.writers = {
                "frames": CsvWriter(folder / "frames.csv", SESSION_FRAMES, flush_s=FLUSH_S, partial=False),
                "stimulus": CsvWriter(folder / "stimulus_log.csv", STIMULUS_LOG, flush_s=FLUSH_S, partial=False),
                "events": CsvWriter(folder / "events_log.csv", EVENTS_LOG, flush_s=FLUSH_S, partial=False),
            }

    # -- clock and files ----------------------------------------------------------------------
    def clock(self) -> float:
        """Session time, s (0 at :meth:`start`)."""
        return 0.0 if self._t0 is None else time.monotonic() - self._t0

    def log_event(self, t_s: float, event: str, block: int | None = None, detail: str = "") -> None:
        with self._events_lock:
            if "events" in self.writers:
                self.writers["events"].write({"t_s": t_s, "event": event, "block": block, "detail": detail})
            if self.lsl is not None and self._t0 is not None:
                self.lsl.push_event(t_s, event, block, detail)

    def log_stimulus(self, row: dict) -> None:
        if "stimulus" in self.writers:
            self.writers["stimulus"].write(row)

    def write_meta(self) -> None:
        if self.folder is not None:
            write_json_atomic(self.folder / "session.json", self.meta)

    # -- threads ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the session clock, the camera, the tracker and the watchdog."""
        self._t0 = time.monotonic()
        self.source.origin_monotonic = self._t0
        if self.lsl is not None:
            self.lsl.origin_monotonic = self._t0
        self.source.start()
        for target, name in ((self._record, "record"), (self._watchdog, "watchdog")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def fail(self, error: BaseException) -> None:
        """Hand an error over to the main thread and stop (e.g. the disk is full): what is
        written stays."""
        self.error = self.error or error
        self.stop.set()

    def _record(self) -> None:
        last_frame = -1
        rows = iter_track_rows(
            self.source, self.track, landmarker=self.landmarker, stop=self.stop.is_set, on_faces=self.on_faces
        )
        try:
            for row, _face in rows:
                if self.on_row is not None:
                    self.on_row(row)
                if "frames" in self.writers:
                    self.writers["frames"].write(row)
                if self.lsl is not None:
                    self.lsl.push_row(row)
                if row["frame"] != last_frame:
                    self.frames += 1
                    last_frame = row["frame"]
                    self.last_t = row["t_s"]
            if not self.stop.is_set():
                self.camera_end_s = self.clock()
                self.log_event(self.camera_end_s, "camera_end", detail="the camera stopped delivering frames")
        except BaseException as e:  # reported by the main thread
            self.fail(e)
        finally:
            rows.close()  # the landmarker closes here and now, not when the error is collected
            self.ended = True

    def flush_due(self) -> None:
        for w in self.writers.values():
            try:
                w.flush_if_due()
            except OutputError as e:
                self.fail(e)

    def _watchdog(self) -> None:
        """Flush on a timer; log camera gaps (no frame for CAMERA_GAP_S) and their end."""
        while not self._watch_stop.wait(FLUSH_S / 2):
            self.flush_due()
            last = self.source.last_frame_monotonic
            if last is None or self.error is not None or self.camera_end_s is not None:
                continue  # no frame yet, an error, or a camera that ended for good (not a gap)
            try:
                self._check_gap(time.monotonic() - last)
            except OutputError as e:
                self.fail(e)

    def _check_gap(self, silent_s: float) -> None:
        open_gap = bool(self.gaps) and self.gaps[-1][1] is None
        if silent_s >= CAMERA_GAP_S and not open_gap:
            self.gaps.append([round(self.clock() - silent_s, 3), None])
            self.log_event(self.gaps[-1][0], "camera_lost", detail=f"no camera frame for {CAMERA_GAP_S:g} s")
            if self.on_gap is not None:
                self.on_gap("camera: no frames")
        elif silent_s < CAMERA_GAP_S and open_gap:
            self.gaps[-1][1] = round(self.clock() - silent_s, 3)
            self.log_event(
                self.gaps[-1][1], "camera_back", detail=f"{self.gaps[-1][1] - self.gaps[-1][0]:.2f} s without frames"
            )
            if self.on_gap is not None:
                self.on_gap(None)

    # -- the end --------------------------------------------------------------------------------
    def stop_tracking(self) -> None:
        """Stop and wait for the tracker: its last rows (and the events they trigger) are written
        before anything the caller logs next."""
        self.stop.set()
        for thread in self._threads[:1]:
            thread.join(timeout=30)

    def finish(self, status: str, end_s: float | None = None, **extra) -> None:
        """Stop everything, log ``session_end`` (at ``end_s``, else now), close the files and
        complete ``session.json`` (``status``, or ``crashed`` after an error; ``extra`` fields
        added); then re-raise a tracker or disk error as a :class:`MimicryError`."""
        self.stop_tracking()
        self.source.close()
        if self.landmarker is not None:
            self.landmarker.close()
        self._watch_stop.set()
        end = self.clock() if end_s is None else end_s
        try:
            self.log_event(end, "session_end", detail=status)
        except OutputError:
            pass  # the disk is full: the error is reported below, the rows before it are kept
        if self.lsl is not None:
            self.lsl.close()
        for w in self.writers.values():
            w.close()
            if w.failed is not None and self.error is None:
                self.error = w.failed
        # what each file holds, so that a reader can tell a file cut, edited or added to since
        self.meta["files"] = {
            w.path.name: {"rows": w.rows, "sha256": sha256_file(w.path)}
            for w in self.writers.values()
            if w.failed is None and w.path.is_file()
        }
        self.meta.update(self._end_fields(status, end), **extra)
        try:
            self.write_meta()
        except OutputError as e:  # no room even for session.json: it still says 'running'
            self.error = self.error or e
        if self.error is not None:
            err = self.error
            raise err if isinstance(err, MimicryError) else MimicryError(f"tracking failed: {err}")

    def _end_fields(self, status: str, end: float) -> dict:
        gaps = [[a, b if b is not None else round(end, 3)] for a, b in self.gaps]
        out = {
            "status": status if self.error is None else "crashed",
            "end_time": now_iso(),
            "duration_s": round(end, 3),
            "camera_frames": self.frames,
            "camera_frames_dropped": int(getattr(self.source, "dropped", 0)),
            "camera_fps_measured": round(self.frames / max(self.last_t, 1e-9), 3) if self.frames > 1 else None,
            "camera_gaps_s": gaps,
        }
        if gaps:
            lost = sum(b - a for a, b in gaps)
            out["warnings"] = [
                *self.meta.get("warnings", []),
                f"{len(gaps)} camera gap(s), {lost:.1f} s without camera frames (see camera_gaps_s and events_log.csv)",
            ]
        if self.error is not None:
            out["error"] = str(self.error)
        return out
