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

from ..errors import MimicryError, OutputError
from ..io import write_json_atomic
from ..schema import EVENTS_LOG, SESSION_FRAMES, STIMULUS_LOG
from ..sensing.capture import CameraSource, FrameSource
from ..sensing.model import sha256_file
from ..sensing.pipeline import TrackConfig, iter_track_rows
from ..version import __version__
from ..writers import CsvWriter
from .validate import SESSION_FORMAT

if TYPE_CHECKING:
    from ..interop.lsl import LslStreams
    from ..sensing.tracking import FaceLandmarker

FLUSH_S = 0.25
"""Session files are handed to the OS at least this often, seconds."""
CAMERA_GAP_S = 1.0
"""No camera frame for this long is logged as a gap (``camera_lost``, then ``camera_back``)."""
SKIP_LOG_S = 1.0
"""Skipped camera frames are logged (one ``frames_skipped`` event listing them) at most this often, s."""
SKIP_WARN_SHARE = 0.01
"""A session that has skipped more than this share of its camera frames says so on the console
(once, while it runs) and in ``session.json``'s warnings."""

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
    on_note : callable, optional
        Called (in the watchdog thread) with a one-line warning for the console: once, when more
        than :data:`SKIP_WARN_SHARE` of the camera frames have been skipped.
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
        on_note: Callable[[str], None] | None = None,
    ):
        self.source, self.track, self.folder, self.meta = source, track, folder, meta
        self.lsl, self.landmarker = lsl, landmarker
        self.on_row, self.on_faces, self.on_gap, self.on_note = on_row, on_faces, on_gap, on_note
        self.stop = stop if stop is not None else threading.Event()
        self.error: BaseException | None = None
        self.ended = False
        self.camera_end_s: float | None = None
        """Session time when the camera stopped delivering for good (a replayed file ended), if it did."""
        self.frames = 0
        self.first_t: float | None = None
        self.last_t = 0.0
        self.worst_gap_s = 0.0
        """Longest time between two tracked camera frames, s."""
        self.gaps: list[list] = []
        self._skips_logged_at = 0.0
        self._skip_warned = False
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

    def _camera_end_s(self) -> float:
        """When the camera stopped: one frame after its last captured frame (session clock), not
        when tracking, which may run seconds behind on a busy machine, noticed the end."""
        if not self.source.delivered:
            return self.clock()
        fps = self.source.nominal_fps
        return self.source.last_t_s + (1.0 / fps if fps == fps and fps > 0 else 0.0)

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
                    if self.frames:
                        self.worst_gap_s = max(self.worst_gap_s, row["t_s"] - self.last_t)
                    else:
                        self.first_t = row["t_s"]
                    self.frames += 1
                    last_frame = row["frame"]
                    self.last_t = row["t_s"]
            if not self.stop.is_set():
                self.camera_end_s = self._camera_end_s()
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
        """Flush on a timer; log skipped frames and camera gaps (no frame for CAMERA_GAP_S) and their end."""
        while not self._watch_stop.wait(FLUSH_S / 2):
            self.flush_due()
            try:
                if self.clock() - self._skips_logged_at >= SKIP_LOG_S:
                    self.log_skips()
                last = self.source.last_frame_monotonic
                if last is None or self.error is not None or self.camera_end_s is not None:
                    continue  # no frame yet, an error, or a camera that ended for good (not a gap)
                self._check_gap(time.monotonic() - last)
            except OutputError as e:
                self.fail(e)

    def log_skips(self) -> None:
        """One ``frames_skipped`` event for the frames skipped since the last one (at the first's
        time, listing every skipped frame's number), and the console warning when they pass
        :data:`SKIP_WARN_SHARE`."""
        self._skips_logged_at = self.clock()
        skips = self.source.take_skips()
        if skips:
            frames = " ".join(str(i) for i, _ in skips)
            self.log_event(skips[0][1], "frames_skipped", detail=f"{len(skips)} camera frames skipped: {frames}")
        captured, skipped = self.source.captured, self.source.dropped
        if not self._skip_warned and captured >= 30 and skipped > SKIP_WARN_SHARE * captured:
            self._skip_warned = True
            if self.on_note is not None:
                self.on_note(skip_warning(skipped, captured, running=True))

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

    def finish(self, status: str, end_s: float | None = None, *, stimulus_missed: int | None = None, **extra) -> None:
        """Stop everything, log ``session_end`` (at ``end_s``, else now), close the files and
        complete ``session.json`` (``status``, or ``crashed`` after an error; its ``timing``, with
        ``stimulus_missed`` stimulus frames the display could not show in time; ``extra`` fields
        added); then re-raise a tracker or disk error as a :class:`MimicryError`."""
        self.stop_tracking()
        self.source.close()
        if self.landmarker is not None:
            self.landmarker.close()
        self._watch_stop.set()
        for thread in self._threads[1:]:
            thread.join(timeout=5)  # the watchdog: its last events are written before the end's
        end = self.clock() if end_s is None else end_s
        try:
            self.log_skips()
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
        self.meta.update(self._end_fields(status, end, stimulus_missed), **extra)
        try:
            self.write_meta()
        except OutputError as e:  # no room even for session.json: it still says 'running'
            self.error = self.error or e
        if self.error is not None:
            err = self.error
            raise err if isinstance(err, MimicryError) else MimicryError(f"tracking failed: {err}")

    def _end_fields(self, status: str, end: float, stimulus_missed: int | None) -> dict:
        gaps = [[a, b if b is not None else round(end, 3)] for a, b in self.gaps]
        timing = self.timing(stimulus_missed)
        warnings = list(self.meta.get("warnings", []))
        if timing["frames_skipped"] > SKIP_WARN_SHARE * timing["frames_captured"]:
            warnings.append(skip_warning(timing["frames_skipped"], timing["frames_captured"], running=False))
        out = {
            "status": status if self.error is None else "crashed",
            "end_time": now_iso(),
            "duration_s": round(end, 3),
            "camera_frames": self.frames,
            "camera_frames_dropped": int(getattr(self.source, "dropped", 0)),
            "camera_fps_measured": round(self.frames / max(self.last_t, 1e-9), 3) if self.frames > 1 else None,
            "camera_gaps_s": gaps,
            "timing": timing,
        }
        if gaps:
            lost = sum(b - a for a, b in gaps)
            warnings.append(
                f"{len(gaps)} camera gap(s), {lost:.1f} s without camera frames (see camera_gaps_s and events_log.csv)"
            )
        if warnings:
            out["warnings"] = warnings
        if self.error is not None:
            out["error"] = str(self.error)
        return out

    def timing(self, stimulus_missed: int | None = None) -> dict:
        """``session.json``'s ``timing``: what the camera captured, what was tracked (and over how
        many seconds, first to last tracked frame), skipped and late, the longest wait and the worst
        gap between tracked frames."""
        src = self.source
        span_s = self.last_t - self.first_t if self.first_t is not None else 0.0
        return {
            "camera_fps": float(src.nominal_fps) if src.nominal_fps == src.nominal_fps else None,
            "frames_captured": int(src.captured),
            "frames_tracked": int(self.frames),
            "tracked_s": round(float(span_s), 3),
            "frames_skipped": int(src.dropped),
            "frames_late": int(src.late),
            "late_s": src.backlog.late_s,
            "max_wait_s": round(float(src.max_wait_s), 3),
            "backlog_frames": int(src.backlog_frames),
            "worst_gap_s": round(float(self.worst_gap_s), 3),
            "stimulus_frames_missed": stimulus_missed,
        }


def skip_warning(skipped: int, captured: int, *, running: bool) -> str:
    """The one line that says a session skipped camera frames (``running``: while it goes on)."""
    share = 100.0 * skipped / max(captured, 1)
    what = f"{skipped} of {captured} camera frames ({share:.1f} %)"
    if running:
        return f"{what} skipped so far: this computer is too busy to track every frame (close other programs)"
    return f"{what} were skipped: tracking fell behind the camera (a busy computer); see timing in session.json"
