"""A live measurement session: play a protocol of stimuli while tracking the viewer, and record.

One monotonic session clock times everything. Capture and tracking run in their own threads
(:func:`mimicry.pipeline.iter_track_rows`, with the camera decoding in another), so stimulus
timing never waits for tracking and tracking never waits for the display. Each camera frame is
stamped at capture, each stimulus frame when it is shown; a clip plays at its own rate and
drops frames rather than slowing down. Everything is written as it goes (flushed at least every
second) into a new session folder; ``session.json`` says ``running`` until the end, then
``complete`` or ``aborted``.

With a window (OpenCV HighGUI), the stimulus is shown large and centred on a grey screen, a
fixation cross during the baseline and pauses, never the camera image (a self-view would
confound mimicry); Esc or q aborts, space pauses and resumes. With ``--no-window`` the
schedule advances and is logged exactly as a display would show it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .calibration import DEFAULT_CALIBRATION, calibration_schedule, face_ranges
from .capture import CameraSource, FrameSource, VideoFileSource
from .errors import MimicryError, OutputError
from .model import resolve_model, sha256_file
from .pipeline import TrackConfig, iter_track_rows
from .protocol import ResolvedBlock, load_protocol, resolve_blocks
from .schema import EVENTS_LOG, SESSION_FRAMES, STIMULUS_LOG
from .session import write_json_atomic
from .stimuli import load_library
from .writers import CsvWriter

FLUSH_S = 0.25
"""Session files are handed to the OS at least this often, seconds."""
CAMERA_GAP_S = 1.0
"""No camera frame for this long is logged as a gap (``camera_lost``, then ``camera_back``)."""

PARTICIPANT_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,39}\Z")  # \Z: no trailing newline


def new_participant_id() -> str:
    """A random pseudonym, e.g. ``P-7K2Q9D``."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "P-" + "".join(secrets.choice(alphabet) for _ in range(6))


def check_participant(pid: str) -> str:
    """A participant id: 1-40 letters, digits, ``-`` or ``_``, starting with a letter or digit
    (no paths, no spaces or accents that hint at a name, nothing a spreadsheet would run)."""
    if not isinstance(pid, str) or not PARTICIPANT_PATTERN.match(pid):
        raise MimicryError(
            f"participant id must be 1-40 letters, digits, '-' or '_', starting with a letter or digit, got {pid!r}"
        )
    return pid


def create_session_folder(out: Path, participant: str, now: dt.datetime | None = None) -> Path:
    """Make a new, unique session folder ``<date>_<time>_<participant>_<short id>`` atomically."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path is not a folder: {out}")
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


@dataclass(frozen=True)
class RunConfig:
    """Options of ``mimicry run``."""

    protocol: Path
    camera: str | int = 0
    participant: str | None = None
    out: Path = Path("sessions")
    library: Path | None = None
    model: Path | None = None
    max_faces: int = 1
    analyze: bool = True
    n_surrogates: int = 1000
    seed: int | None = None
    window: bool = True
    fullscreen: bool = False
    countdown_s: int = 3
    record_video: bool = False


KEY_ESC, KEY_Q, KEY_SPACE = 27, ord("q"), ord(" ")
KEY_CLOSED = 0x10000
"""What the display reports instead of a key once the user closes the window."""


class Window:
    """An OpenCV HighGUI window that reports a closed window like a key (:data:`KEY_CLOSED`).

    Checks for a display first: Qt aborts the whole process when it finds none.
    """

    def __init__(self, title: str, size: tuple[int, int], fullscreen: bool = False, toolbar: bool = True):
        import sys

        import cv2

        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise MimicryError("no display to open a window on (DISPLAY is not set): use --no-window")
        self.cv2, self.size, self.title, self.fullscreen = cv2, size, title, fullscreen
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL if toolbar else cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)
            cv2.resizeWindow(title, *size)
            if fullscreen:
                cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        except cv2.error as e:
            raise MimicryError(
                f"cannot open a window (no display? use --no-window): {str(e).strip().splitlines()[-1]}"
            ) from None

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        self.cv2.setWindowProperty(
            self.title,
            self.cv2.WND_PROP_FULLSCREEN,
            self.cv2.WINDOW_FULLSCREEN if self.fullscreen else self.cv2.WINDOW_NORMAL,
        )

    def present(self, canvas: np.ndarray) -> int:
        """Show a whole canvas; returns a key code, -1, or :data:`KEY_CLOSED`."""
        self.cv2.imshow(self.title, canvas)
        return self._closed_or(self.cv2.waitKey(1))

    def poll(self) -> int:
        return self._closed_or(self.cv2.waitKey(1))

    def wait_key(self, timeout_s: float | None = None) -> int:
        """The next key (or :data:`KEY_CLOSED`), waiting at most ``timeout_s`` (-1 then)."""
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while end is None or time.monotonic() < end:
            k = self._closed_or(self.cv2.waitKey(50))
            if k != -1:
                return k
        return -1

    def _closed_or(self, key: int) -> int:
        """``KEY_CLOSED`` once the window, after having been visible, is closed by the user."""
        try:
            visible = self.cv2.getWindowProperty(self.title, self.cv2.WND_PROP_VISIBLE) >= 1
        except self.cv2.error:
            visible = False
        if visible:
            self._was_visible = True
        elif getattr(self, "_was_visible", False):
            return KEY_CLOSED
        return key

    def close(self) -> None:
        try:
            self.cv2.destroyWindow(self.title)
            self.cv2.waitKey(1)
        except self.cv2.error:
            pass


class StimulusDisplay(Window):
    """The participant's screen: stimulus frames letterboxed on grey, a fixation cross, text.

    Parameters
    ----------
    size : (int, int)
        Canvas width and height in pixels (the window is scaled to the screen when fullscreen).
    """

    GREY = (128, 128, 128)

    def __init__(self, fullscreen: bool = False, size: tuple[int, int] = (1280, 720), title: str = "mimicry"):
        super().__init__(title, size, fullscreen)
        self.fixation()

    def _canvas(self) -> np.ndarray:
        w, h = self.size
        return np.full((h, w, 3), self.GREY, np.uint8)

    def show(self, image: np.ndarray) -> int:
        """Show a stimulus frame as large as fits, centred; returns a key code or -1."""
        canvas = self._canvas()
        w, h = self.size
        ih, iw = image.shape[:2]
        scale = min(w / iw, h / ih)
        nw, nh = int(iw * scale), int(ih * scale)
        canvas[(h - nh) // 2 : (h - nh) // 2 + nh, (w - nw) // 2 : (w - nw) // 2 + nw] = self.cv2.resize(
            image, (nw, nh)
        )
        return self._present(canvas)

    def fixation(self) -> int:
        canvas = self._canvas()
        w, h = self.size
        arm = max(h // 30, 8)
        for p0, p1 in (
            ((w // 2 - arm, h // 2), (w // 2 + arm, h // 2)),
            ((w // 2, h // 2 - arm), (w // 2, h // 2 + arm)),
        ):
            self.cv2.line(canvas, p0, p1, (0, 0, 0), max(h // 200, 2))
        return self._present(canvas)

    def text(self, lines: list[str]) -> int:
        canvas = self._canvas()
        w, h = self.size
        scale = h / 720
        for i, line in enumerate(lines):
            (tw, th), _ = self.cv2.getTextSize(line, self.cv2.FONT_HERSHEY_SIMPLEX, 1.2 * scale, 2)
            y = int(h / 2 + (i - len(lines) / 2) * 60 * scale)
            self.cv2.putText(
                canvas,
                line,
                ((w - tw) // 2, y),
                self.cv2.FONT_HERSHEY_SIMPLEX,
                1.2 * scale,
                (20, 20, 20),
                2,
                self.cv2.LINE_AA,
            )
        return self._present(canvas)

    warning: str | None = None
    """A line shown in red at the bottom of the screen (e.g. the camera stopped)."""

    def _present(self, canvas: np.ndarray) -> int:
        if self.warning:
            h = canvas.shape[0]
            self.cv2.putText(
                canvas,
                self.warning,
                (20, h - 20),
                self.cv2.FONT_HERSHEY_SIMPLEX,
                h / 1200,
                (0, 0, 230),
                2,
                self.cv2.LINE_AA,
            )
        self.last = canvas
        return self.present(canvas)


@dataclass
class _Timeline:
    """Block spans as actually shown, shared between the display loop and the recorder."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    spans: list[tuple[int, float, float]] = field(default_factory=list)  # block, start, end (inf while running)

    def begin(self, block: int, t: float) -> None:
        with self.lock:
            self.spans.append((block, t, math.inf))

    def end(self, block: int, t: float) -> None:
        with self.lock:
            self.spans = [(b, s, t if b == block else e) for b, s, e in self.spans]

    def block_at(self, t: float) -> int | None:
        with self.lock:
            for b, s, e in self.spans:
                if s <= t < e:
                    return b
        return None


class SessionRun:
    """Prepare (validate everything, open the camera) and then :meth:`run` a session."""

    def __init__(self, config: RunConfig):
        self.config = config
        self.protocol = load_protocol(config.protocol)
        self.library = load_library(config.library)
        self.blocks, self.seed = resolve_blocks(self.protocol, self.library, config.seed)
        self.participant = check_participant(config.participant) if config.participant else new_participant_id()
        self.model_path = resolve_model(config.model)
        self.tracks = {b.stimulus_id: self.library.track(b.stimulus_id) for b in self.blocks}
        self.stimuli = {b.stimulus_id: self.library.get(b.stimulus_id) for b in self.blocks}
        self.source = self._open_camera(config.camera)
        self.abort_reason: str | None = None
        self._stop = threading.Event()
        self.display: StimulusDisplay | None = None
        self._log_event = None
        self._clock = None

    @staticmethod
    def _open_camera(camera) -> FrameSource:
        if isinstance(camera, int) or (isinstance(camera, str) and camera.strip().isdigit()):
            return CameraSource(int(camera), reconnect=True)  # an unplugged webcam may come back
        return VideoFileSource(camera, realtime=True)

    def abort(self, reason: str = "aborted") -> None:
        """Stop the session at the next frame (Ctrl-C, SIGTERM, a key)."""
        self.abort_reason = reason
        self._stop.set()

    # -- the run --------------------------------------------------------------------------------
    def run(self, on_progress=None) -> Path:
        """Run the protocol; returns the session folder."""
        if self.config.window:
            self.display = StimulusDisplay(self.config.fullscreen)  # fails before any folder exists
        folder = create_session_folder(self.config.out, self.participant)
        self.folder = folder
        session_id = folder.name.rsplit("_", 1)[-1]
        meta = self._meta(session_id)
        self._write_meta(meta)
        # flushed every 0.25 s (rows, or the timer below): a killed session loses at most that,
        # plus the rows still in the yawn filter's 1 s look-ahead
        frames_w = CsvWriter(folder / "frames.csv", SESSION_FRAMES, flush_s=FLUSH_S, partial=False)
        stim_w = CsvWriter(folder / "stimulus_log.csv", STIMULUS_LOG, flush_s=FLUSH_S, partial=False)
        events_w = CsvWriter(folder / "events_log.csv", EVENTS_LOG, flush_s=FLUSH_S, partial=False)
        timeline = _Timeline()
        events_lock = threading.Lock()

        def log_event(t, event, block=None, detail=""):
            with events_lock:
                events_w.write({"t_s": t, "event": event, "block": block, "detail": detail})

        counters = {"frames": 0, "last_t": 0.0, "error": None}
        self._log_event = log_event
        self._shift = 0.0

        def record():
            last_frame = -1
            try:
                cfg = TrackConfig(max_faces=self.config.max_faces, model=self.model_path)
                for row, _face in iter_track_rows(self.source, cfg, stop=self._stop.is_set):
                    row["block"] = timeline.block_at(row["t_s"])
                    frames_w.write(row)
                    if row["frame"] != last_frame:
                        counters["frames"] += 1
                        last_frame = row["frame"]
                        counters["last_t"] = row["t_s"]
                if not self._stop.is_set():
                    log_event(clock(), "camera_end", detail="the camera stopped delivering frames")
            except BaseException as e:  # reported by the main thread
                counters["error"] = e
                self._stop.set()  # e.g. the disk is full: stop now, keep what is written

        gaps: list[list[float]] = []

        def watchdog():
            """Flush on a timer; log camera gaps (no frame for CAMERA_GAP_S) and their end."""
            while not flusher_stop.wait(FLUSH_S / 2):
                for w in (frames_w, stim_w, events_w):
                    try:
                        w.flush_if_due()
                    except OutputError as e:
                        counters["error"] = counters["error"] or e
                        self._stop.set()
                last = self.source.last_frame_monotonic
                if self._clock is None or last is None or counters["error"] is not None:
                    continue
                try:
                    silent = time.monotonic() - last
                    if silent >= CAMERA_GAP_S and not (gaps and gaps[-1][1] is None):
                        gaps.append([round(self._clock() - silent, 3), None])
                        log_event(gaps[-1][0], "camera_lost", detail=f"no camera frame for {CAMERA_GAP_S:g} s")
                        if self.display is not None:
                            self.display.warning = "camera: no frames"
                    elif silent < CAMERA_GAP_S and gaps and gaps[-1][1] is None:
                        gaps[-1][1] = round(self._clock() - silent, 3)
                        log_event(
                            gaps[-1][1], "camera_back", detail=f"{gaps[-1][1] - gaps[-1][0]:.2f} s without frames"
                        )
                        if self.display is not None:
                            self.display.warning = None
                except OutputError as e:
                    counters["error"] = counters["error"] or e
                    self._stop.set()

        flusher_stop = threading.Event()
        threading.Thread(target=watchdog, name="watchdog", daemon=True).start()

        if self.display is not None:
            meta["window"] = {"size": list(self.display.size), "fullscreen": self.config.fullscreen}
            self._write_meta(meta)
            lines = [
                "Please watch the videos.",
                "Keep your face in view and relax.",
                "",
                "Esc or q: stop   space: pause",
            ]
            for n in range(self.config.countdown_s, 0, -1):
                t_end = time.monotonic() + 1.0
                while time.monotonic() < t_end:
                    self.display.text(lines + ["", f"Starting in {n}"])
                    time.sleep(0.03)
            self.display.fixation()
        t0 = time.monotonic()

        def clock() -> float:
            return time.monotonic() - t0

        self._clock = clock

        self.source.origin_monotonic = t0
        video = None
        if self.config.record_video:
            import cv2

            video = cv2.VideoWriter(
                str(folder / "camera.mp4"),
                cv2.VideoWriter_fourcc(*"mp4v"),
                float(self.source.nominal_fps),
                (int(self.source.width), int(self.source.height)),
            )
            if not video.isOpened():
                raise OutputError(f"cannot write {folder / 'camera.mp4'}")

            def keep(frame):
                if frame.image.shape[1] == self.source.width and frame.image.shape[0] == self.source.height:
                    video.write(frame.image)

            self.source.on_frame = keep
        status = "aborted"
        stimulus_drops = 0
        recorder = None
        try:
            self.source.start()
            recorder = threading.Thread(target=record, name="record", daemon=True)
            recorder.start()
            log_event(0.0, "session_start", detail=self.protocol.name)
            phase_end = 0.0
            if self.protocol.calibration:
                meta["calibration"] = self._calibration(clock, log_event)
                if meta["calibration"] is not None:
                    self._write_meta(meta)
                    phase_end = meta["calibration"]["end_s"]
            if self.protocol.baseline_s > 0 and not self._stop.is_set():
                log_event(phase_end, "baseline_start")
            next_start = phase_end + self.protocol.baseline_s
            for b in self.blocks:
                if not self._wait_until(clock, next_start):
                    break
                drops, end = self._play_block(b, clock, timeline, stim_w, log_event)
                stimulus_drops += drops
                if self._stop.is_set():
                    break
                next_start = end + self.protocol.isi_s
                if on_progress:
                    on_progress(b)
            else:
                status = "complete"
            if self.abort_reason:
                log_event(clock(), "abort", detail=self.abort_reason)
                status = "aborted"
        finally:
            self._stop.set()
            if self.display is not None:
                self.display.close()
            if recorder is not None:
                recorder.join(timeout=30)
            self.source.close()
            if video is not None:
                video.release()
            flusher_stop.set()
            try:
                log_event(clock(), "session_end", detail=status)
            except OutputError:
                pass  # the disk is full: the error is reported below, the rows before it are kept
            for w in (frames_w, stim_w, events_w):
                w.close()
                if w.failed is not None and counters["error"] is None:
                    counters["error"] = w.failed
            duration = clock()
            meta.update(
                {
                    "status": status if counters["error"] is None else "crashed",
                    "end_time": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "duration_s": round(duration, 3),
                    "camera_frames": counters["frames"],
                    "camera_frames_dropped": int(getattr(self.source, "dropped", 0)),
                    "camera_fps_measured": round(counters["frames"] / max(counters["last_t"], 1e-9), 3)
                    if counters["frames"] > 1
                    else None,
                    "stimulus_frames_dropped": stimulus_drops,
                    "camera_gaps_s": [[a, b if b is not None else round(duration, 3)] for a, b in gaps],
                }
            )
            if gaps:
                meta.setdefault("warnings", []).append(
                    f"{len(gaps)} camera gap(s), {sum((b if b is not None else duration) - a for a, b in gaps):.1f} s "
                    "without camera frames (see camera_gaps_s and events_log.csv)"
                )
            if counters["error"] is not None:
                meta["error"] = str(counters["error"])
            if meta.get("calibration"):
                meta["calibration"]["faces"] = self._calibration_ranges(folder, meta["calibration"]["cues"])
            try:
                self._write_meta(meta)
            except OutputError as e:  # no room even for session.json: it still says 'running'
                counters["error"] = counters["error"] or e
        if counters["error"] is not None:
            err = counters["error"]
            raise err if isinstance(err, MimicryError) else MimicryError(f"tracking failed: {err}")
        return folder

    def _calibration(self, clock, log_event) -> dict | None:
        """The cued calibration phase (:mod:`mimicry.calibration`); ``session.json``'s
        ``calibration`` with the cues' actual times, or None if the session was stopped. A pause
        during a cue restarts that cue."""
        log_event(clock(), "calibration_start")
        cues = []
        for cue in calibration_schedule(DEFAULT_CALIBRATION):
            start = clock()
            log_event(start, "calibration_cue", detail=cue.name)
            while (left := start + DEFAULT_CALIBRATION.cue_s - clock()) > 0:
                if self.display is None:
                    if self._stop.wait(min(left, 0.05)):
                        return None
                    continue
                if self._handle_key(self.display.text([cue.text, "", f"{math.ceil(left)}"]), clock) > 0:
                    start = clock()
                    log_event(start, "calibration_cue", detail=cue.name)
                if self._stop.is_set():
                    return None
                time.sleep(0.02)
            cues.append(
                {"cue": cue.name, "start_s": round(start, 3), "end_s": round(start + DEFAULT_CALIBRATION.cue_s, 3)}
            )
        end = cues[-1]["end_s"]
        log_event(end, "calibration_end")
        if self.display is not None:
            self.display.fixation()
        return {
            "cues": cues,
            "end_s": end,
            "cue_s": DEFAULT_CALIBRATION.cue_s,
            "settle_s": DEFAULT_CALIBRATION.settle_s,
        }

    @staticmethod
    def _calibration_ranges(folder: Path, cues: list[dict]) -> list[dict]:
        """Each face's range from the written ``frames.csv`` (NaN as null); [] if it cannot be read."""
        try:
            frames = pd.read_csv(folder / "frames.csv", usecols=["t_s", "face", "detected", "smile", "jawOpen"])
        except (OSError, ValueError, pd.errors.ParserError):
            return []
        ranges = face_ranges(frames, cues, DEFAULT_CALIBRATION)
        return [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in ranges.to_dict("records")
        ]

    def _wait_until(self, clock, t: float) -> bool:
        """Wait for session time ``t`` (later by any pause); False if the session was stopped."""
        shift = 0.0
        while True:
            left = t + shift - clock()
            if left <= 0:
                self._shift = shift
                return True
            if self.display is not None:
                shift += self._handle_key(self.display.poll(), clock)
                if self._stop.is_set():
                    return False
                left = t + shift - clock()
                if left > 0.02:
                    time.sleep(min(left, 0.01))
                continue
            if self._stop.wait(min(left, 0.05)):
                return False

    def _handle_key(self, key: int, clock) -> float:
        """React to a key: Esc/q abort, space pauses until space again. Returns seconds paused."""
        if key == -1 or key is None:
            return 0.0
        if key == KEY_CLOSED:
            self._log_event(clock(), "key", None, "window closed")
            self.abort("window closed")
            return 0.0
        key &= 0xFF
        if key in (KEY_ESC, KEY_Q):
            self._log_event(clock(), "key", None, "Esc" if key == KEY_ESC else "q")
            self.abort(f"key {'Esc' if key == KEY_ESC else 'q'}")
            return 0.0
        if key == KEY_SPACE:
            t_pause = clock()
            self._log_event(t_pause, "pause", None, "space")
            self.display.text(["Paused", "press space to continue"])
            while not self._stop.is_set():
                k = self.display.poll()
                if k == KEY_CLOSED or (k != -1 and (k & 0xFF) in (KEY_ESC, KEY_Q)):
                    self._handle_key(k, clock)
                    break
                if k != -1 and (k & 0xFF) == KEY_SPACE:
                    break
                time.sleep(0.01)
            t_resume = clock()
            self._log_event(t_resume, "resume", None, f"{t_resume - t_pause:.3f} s")
            self.display.fixation()
            return t_resume - t_pause
        return 0.0

    def _play_block(self, b: ResolvedBlock, clock, timeline: _Timeline, stim_w: CsvWriter, log_event):
        stim = self.stimuli[b.stimulus_id]
        track = self.tracks[b.stimulus_id]
        det = track[track["face"].fillna(0) == 0].drop_duplicates("frame").set_index("frame")
        smile = det["smile"].reindex(range(int(det.index.max()) + 1)).to_numpy(float) if len(det) else np.array([])
        yawn = det["yawn"].reindex(range(int(det.index.max()) + 1)).to_numpy(float) if len(det) else np.array([])
        n_frames = max(int(round(stim.duration_s * stim.fps)), 1)
        cap, pos = None, 0
        if self.display is not None:
            import cv2

            cap = cv2.VideoCapture(str(self.library.clip_path(stim)))
        start = clock()
        timeline.begin(b.index, start)
        log_event(start, "block_start", b.index, b.stimulus_id)
        shown, drops, k = 0, 0, 0
        while k < n_frames:
            due = start + k / stim.fps
            if not self._wait_until(clock, due):
                break
            start += self._shift  # a pause moves the rest of the clip later
            due += self._shift
            now = clock()
            late = int((now - due) * stim.fps)  # frames already overdue: skip them, as a display would
            if late > 0:
                drops += late
                log_event(now, "stimulus_drop", b.index, str(late))
                k = min(k + late, n_frames - 1)
            if cap is not None:
                while pos < k:  # skip frames the display could not keep up with
                    cap.grab()
                    pos += 1
                ok, img = cap.read()
                pos += 1
                if ok:
                    start += self._handle_key(self.display.show(img), clock)  # a pause here also shifts the clip
                now = clock()
            stim_w.write(
                {
                    "t_s": now,
                    "block": b.index,
                    "stimulus_id": b.stimulus_id,
                    "kind": b.kind,
                    "stimulus_frame": k,
                    "stimulus_t_s": k / stim.fps,
                    "smile": smile[k] if k < smile.size else float("nan"),
                    "yawn": yawn[k] if k < yawn.size else float("nan"),
                }
            )
            shown += 1
            k += 1
        if cap is not None:
            cap.release()
        end = start + n_frames / stim.fps if k >= n_frames else clock()
        if self._wait_until(clock, end):
            end += self._shift
        if self.display is not None:
            self.display.fixation()
        timeline.end(b.index, end)
        log_event(end, "block_end", b.index, b.stimulus_id)
        return drops, end

    def _meta(self, session_id: str) -> dict:
        import cv2
        import mediapipe

        cam = self.config.camera
        return {
            "session_id": session_id,
            "participant": self.participant,
            "status": "running",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "camera_fps": float(self.source.nominal_fps),
            "camera": {"index": int(cam)} if isinstance(self.source, CameraSource) else {"file": str(cam)},
            "camera_size": [int(self.source.width), int(self.source.height)],
            "start_time": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "protocol": {
                "name": self.protocol.name,
                "file": str(self.protocol.path),
                "text": self.protocol.text,
                "baseline_s": self.protocol.baseline_s,
                "isi_s": self.protocol.isi_s,
                "order": self.protocol.order,
                "seed": self.seed,
                "calibration": self.protocol.calibration,
            },
            "blocks": [
                {
                    "block": b.index,
                    "stimulus_id": b.stimulus_id,
                    "kind": b.kind,
                    "duration_s": self.stimuli[b.stimulus_id].duration_s,
                }
                for b in self.blocks
            ],
            "library": str(self.library.root),
            "versions": {
                "mimicry": __version__,
                "mediapipe": getattr(mediapipe, "__version__", "?"),
                "opencv": cv2.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
            },
            "model_sha256": sha256_file(self.model_path),
            "window": None,
            "record_video": self.config.record_video,
            "video_file": "camera.mp4" if self.config.record_video else None,
        }

    def _write_meta(self, meta: dict) -> None:
        write_json_atomic(self.folder / "session.json", meta)
