"""A live measurement session: play a protocol of stimuli while tracking the viewer, and record.

One monotonic session clock times everything. Capture and tracking run in their own threads
(:class:`~mimicry.session.engine.LiveSession`), so stimulus timing never waits for tracking and
tracking never waits for the display. Each camera frame is stamped at capture, each stimulus
frame when it is shown; a clip plays at its own rate and drops frames rather than slowing down.
Everything is written as it goes (flushed at least every 0.25 s) into a new session folder;
``session.json`` says ``running`` until the end, then ``complete`` or ``aborted``. The plan
(calibration, baseline, blocks, pauses) is :func:`~mimicry.session.schedule.plan_session`.

With a window (:class:`~mimicry.session.display.StimulusDisplay`), the stimulus is shown large
and centred on a grey screen, a fixation cross during the baseline and pauses, never the camera
image (a self-view would confound mimicry); Esc or q aborts, space pauses and resumes. With
``--no-window`` the schedule advances and is logged exactly as a display would show it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.calibration import DEFAULT_CALIBRATION, calibration_schedule, face_ranges, phase_duration_s
from ..errors import OutputError
from ..interop.lsl import LslConfig, LslStreams, load_pylsl, source_id_for
from ..sensing.capture import FrameSource
from ..sensing.model import resolve_model
from ..sensing.pipeline import TrackConfig, open_landmarker
from ..stimuli.library import load_library
from ..stimuli.protocol import ProtocolError, ResolvedBlock, load_protocol, resolve_blocks
from .camera import open_camera
from .clips import actor_events
from .display import KEY_CLOSED, KEY_ESC, KEY_Q, KEY_SPACE, StimulusDisplay
from .engine import (
    LiveSession,
    base_meta,
    check_participant,
    check_sessions_folder,
    create_session_folder,
    new_participant_id,
)
from .schedule import PlannedPhase, Timeline, plan_session, total_s

CAMERA_END_TOLERANCE_S = 1.0
"""A camera (a replayed file) may end this much before the protocol and the session still be complete, s."""
MAX_SESSION_S = 4 * 3600.0
"""Longest session a protocol may plan, s: a longer one is almost surely a unit typo."""


@dataclass(frozen=True)
class RunConfig:
    """Options of ``mimicry run``."""

    protocol: Path
    camera: str | int = 0
    camera_size: tuple[int, int] | None = None
    """Frame size asked of a webcam (width, height); None: the driver's default."""
    participant: str | None = None
    out: Path = Path("sessions")
    library: Path | None = None
    model: Path | None = None
    max_faces: int = 1
    n_surrogates: int = 1000
    seed: int | None = None
    window: bool = True
    fullscreen: bool = False
    countdown_s: int = 3
    record_video: bool = False
    lsl: LslConfig | None = None
    """Stream the signals and events over Lab Streaming Layer (:mod:`mimicry.interop.lsl`)."""


class SessionRun:
    """Prepare (validate everything, open the camera) and then :meth:`run` a session."""

    def __init__(self, config: RunConfig):
        self.config = config
        self.protocol = load_protocol(config.protocol)
        self.library = load_library(config.library)
        self.blocks, self.seed = resolve_blocks(self.protocol, self.library, config.seed)
        self.participant = (
            check_participant(config.participant) if config.participant is not None else new_participant_id()
        )
        check_sessions_folder(config.out)
        self.model_path = resolve_model(config.model)
        self.tracks = {b.stimulus_id: self.library.track(b.stimulus_id) for b in self.blocks}
        self.stimuli = {b.stimulus_id: self.library.get(b.stimulus_id) for b in self.blocks}
        for stim in self.stimuli.values():
            self.library.verified_clip(stim)  # a missing or changed clip is refused before anything is recorded
        self.plan = plan_session(
            self.blocks,
            {sid: s.duration_s for sid, s in self.stimuli.items()},
            self.protocol.baseline_s,
            self.protocol.isi_s,
            phase_duration_s() if self.protocol.calibration else 0.0,
        )
        if total_s(self.plan) > MAX_SESSION_S:
            raise ProtocolError(
                f"{config.protocol}: the session would last {total_s(self.plan) / 3600:.1f} h; at most "
                f"{MAX_SESSION_S / 3600:g} h (durations are in seconds: a typo?)"
            )
        self.onsets = {sid: actor_events(self.library, sid) for sid in self.stimuli}
        if config.lsl is not None:
            load_pylsl()  # a missing pylsl fails before the camera opens
        self.source = self._open_camera(config.camera, config.camera_size)
        self.lsl = self._open_lsl() if config.lsl is not None else None
        self.abort_reason: str | None = None
        self._stop = threading.Event()
        self.display: StimulusDisplay | None = None
        self.timeline = Timeline()
        self._shift = 0.0

    @property
    def duration_s(self) -> float:
        """Planned length of the session, s (pauses make it longer)."""
        return total_s(self.plan)

    @staticmethod
    def _open_camera(camera, size=None) -> FrameSource:
        return open_camera(camera, size)

    def _open_lsl(self) -> LslStreams:
        """The outlets, open from now on, so that a recorder can connect before :meth:`run`."""
        assert self.config.lsl is not None
        meta = {"participant": self.participant, "protocol": self.protocol.name}
        try:
            return LslStreams(self.config.lsl, self.source.nominal_fps, True, source_id_for(self.source), meta)
        except BaseException:
            self.source.close()
            raise

    def abort(self, reason: str = "aborted") -> None:
        """Stop the session at the next frame (Ctrl-C, SIGTERM, a key)."""
        self.abort_reason = reason
        self._stop.set()

    # -- the run --------------------------------------------------------------------------------
    def run(self, on_progress=None, on_note: Callable[[str], None] | None = None) -> Path:
        """Run the protocol; returns the session folder. ``on_progress(block)`` after each block;
        ``on_note(line)`` with a warning while the session runs (frames skipped)."""
        if self.config.window:
            self.display = StimulusDisplay(self.config.fullscreen)  # fails before any folder exists
        track = TrackConfig(max_faces=self.config.max_faces, model=self.model_path)
        landmarker = open_landmarker(self.source, track)  # so does a model that cannot load
        try:
            self.folder = folder = create_session_folder(self.config.out, self.participant)
        except BaseException:
            landmarker.close()
            raise
        self.live = LiveSession(
            self.source,
            track,
            folder,
            self._meta(folder),
            on_row=lambda row: row.__setitem__("block", self.timeline.block_at(row["t_s"])),
            on_gap=self._warn,
            stop=self._stop,
            lsl=self.lsl,
            landmarker=landmarker,
            on_note=on_note,
        )
        if self.display is not None:
            self.live.meta["window"] = {"size": list(self.display.size), "fullscreen": self.config.fullscreen}
            self.live.write_meta()
            self._countdown()
        video = self._video_writer(folder) if self.config.record_video else None
        status, drops = "aborted", 0
        try:
            self.live.start()
            status, drops = self._follow_plan(on_progress)
            status = self._camera_check(status)
        finally:
            self._stop.set()
            if self.display is not None:
                self.display.close()
            try:
                self.live.finish(status, stimulus_missed=drops, **self._end_fields(folder, drops))
            finally:
                if video is not None:
                    video.release()
        return folder

    def _camera_check(self, status: str) -> str:
        """``incomplete`` (with a warning in ``session.json``) when the camera ended well before
        the protocol did: the rest of the protocol has no viewer data, so the session is not complete."""
        ended = self.live.camera_end_s
        end = self.live.clock()
        if status != "complete" or ended is None or end - ended <= CAMERA_END_TOLERANCE_S:
            return status
        self.live.meta.setdefault("warnings", []).append(
            f"the camera ended at {ended:.1f} s, {end - ended:.1f} s before the protocol's end: "
            "the rest of the protocol has no viewer data"
        )
        return "incomplete"

    def _follow_plan(self, on_progress) -> tuple[str, int]:
        """Calibration, baseline and blocks on schedule; returns the status and the stimulus frames dropped."""
        log_event = self.live.log_event
        log_event(0.0, "session_start", detail=self.protocol.name)
        delay = 0.0  # how much later than planned (pauses, late frames)
        drops = 0
        for phase in self.plan:
            if self._stop.is_set():
                break
            if phase.kind == "calibration":
                self.live.meta["calibration"] = self._calibration()
                if self.live.meta["calibration"] is not None:
                    self.live.write_meta()
                    delay = self.live.meta["calibration"]["end_s"] - phase.end_s
            elif phase.kind == "baseline":
                log_event(phase.start_s + delay, "baseline_start")
            elif phase.kind == "block":
                dropped, end = self._block_on_schedule(phase, delay)
                if end is None:
                    break
                drops += dropped
                delay = end - phase.end_s
                if on_progress and not self._stop.is_set():
                    on_progress(self._block(phase))
        status = "complete" if not self._stop.is_set() else "aborted"
        if self.abort_reason:
            log_event(self.live.clock(), "abort", detail=self.abort_reason)
            status = "aborted"
        return status, drops

    def _block(self, phase: PlannedPhase) -> ResolvedBlock:
        return next(b for b in self.blocks if b.index == phase.block)

    def _block_on_schedule(self, phase: PlannedPhase, delay: float) -> tuple[int, float | None]:
        if not self._wait_until(phase.start_s + delay):
            return 0, None
        return self._play_block(self._block(phase))

    def _warn(self, line: str | None) -> None:
        if self.display is not None:
            self.display.warning = line

    def _countdown(self) -> None:
        lines = ["Please watch the videos.", "Keep your face in view and relax.", "", "Esc or q: stop   space: pause"]
        for n in range(self.config.countdown_s, 0, -1):
            t_end = time.monotonic() + 1.0
            while time.monotonic() < t_end:
                self.display.text(lines + ["", f"Starting in {n}"])
                time.sleep(0.03)
        self.display.fixation()

    def _video_writer(self, folder: Path):
        """``camera.mp4``: every tracked camera frame, in capture order (``--record-video``; a frame
        a full backlog skipped is not in it, as it is not in ``frames.csv``)."""
        import cv2

        size = (int(self.source.width), int(self.source.height))
        video = cv2.VideoWriter(
            str(folder / "camera.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), float(self.source.nominal_fps), size
        )
        if not video.isOpened():
            raise OutputError(f"cannot write {folder / 'camera.mp4'}")

        def keep(frame):
            if frame.image.shape[1] == size[0] and frame.image.shape[0] == size[1]:
                video.write(frame.image)

        self.source.on_frame = keep
        return video

    def _end_fields(self, folder: Path, drops: int) -> dict:
        out: dict = {"stimulus_frames_dropped": drops}
        cal = self.live.meta.get("calibration")
        if cal:
            out["calibration"] = {**cal, "faces": self._calibration_ranges(folder, cal["cues"])}
        return out

    def _calibration(self) -> dict | None:
        """The cued calibration phase (:mod:`mimicry.analysis.calibration`); ``session.json``'s
        ``calibration`` with the cues' actual times, or None if the session was stopped. A pause
        during a cue restarts that cue."""
        clock, log_event = self.live.clock, self.live.log_event
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
                if self._handle_key(self.display.text([cue.text, "", f"{math.ceil(left)}"])) > 0:
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
        """Each face's range from the written ``frames.csv``; [] if it cannot be read."""
        try:
            frames = pd.read_csv(folder / "frames.csv", usecols=["t_s", "face", "detected", "smile", "jawOpen"])
        except (OSError, ValueError, pd.errors.ParserError):
            return []
        return face_ranges(frames, cues, DEFAULT_CALIBRATION).to_dict("records")

    def _wait_until(self, t: float) -> bool:
        """Wait for session time ``t`` (later by any pause); False if the session was stopped."""
        shift = 0.0
        while True:
            left = t + shift - self.live.clock()
            if left <= 0:
                self._shift = shift
                return True
            if self.display is not None:
                shift += self._handle_key(self.display.poll())
                if self._stop.is_set():
                    return False
                left = t + shift - self.live.clock()
                if left > 0.02:
                    time.sleep(min(left, 0.01))
                continue
            if self._stop.wait(min(left, 0.05)):
                return False

    def _handle_key(self, key: int) -> float:
        """React to a key: Esc/q abort, space pauses until space again. Returns seconds paused."""
        if key == -1 or key is None:
            return 0.0
        if key == KEY_CLOSED:
            self.live.log_event(self.live.clock(), "key", None, "window closed")
            self.abort("window closed")
            return 0.0
        key &= 0xFF
        if key in (KEY_ESC, KEY_Q):
            self.live.log_event(self.live.clock(), "key", None, "Esc" if key == KEY_ESC else "q")
            self.abort(f"key {'Esc' if key == KEY_ESC else 'q'}")
            return 0.0
        if key == KEY_SPACE:
            t_pause = self.live.clock()
            self.live.log_event(t_pause, "pause", None, "space")
            self.display.text(["Paused", "press space to continue"])
            while not self._stop.is_set():
                k = self.display.poll()
                if k == KEY_CLOSED or (k != -1 and (k & 0xFF) in (KEY_ESC, KEY_Q)):
                    self._handle_key(k)
                    break
                if k != -1 and (k & 0xFF) == KEY_SPACE:
                    break
                time.sleep(0.01)
            t_resume = self.live.clock()
            self.live.log_event(t_resume, "resume", None, f"{t_resume - t_pause:.3f} s")
            self.display.fixation()
            return t_resume - t_pause
        return 0.0

    def _play_block(self, b: ResolvedBlock) -> tuple[int, float]:
        """Show one clip frame by frame on schedule; returns the frames dropped and the block's end, s."""
        clock, log_event, timeline = self.live.clock, self.live.log_event, self.timeline
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
        onsets = list(self.onsets.get(b.stimulus_id, ()))
        while k < n_frames:
            due = start + k / stim.fps
            if not self._wait_until(due):
                break
            start += self._shift  # a pause moves the rest of the clip later
            due += self._shift
            now = clock()
            # frames already overdue: skip them, as a display would (never the clip's last one), so
            # that the frames shown and the frames dropped add up to the clip
            late = min(int((now - due) * stim.fps), n_frames - 1 - k)
            if late > 0:
                drops += late
                log_event(now, "stimulus_drop", b.index, str(late))
                k += late
            if cap is not None:
                while pos < k:  # skip frames the display could not keep up with
                    cap.grab()
                    pos += 1
                ok, img = cap.read()
                pos += 1
                if ok:
                    start += self._handle_key(self.display.show(img))  # a pause here also shifts the clip
                now = clock()
            self.live.log_stimulus(
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
            while onsets and onsets[0][0] <= k / stim.fps:  # the actor's onset (offset) is on screen now
                log_event(now, f"stimulus_{onsets.pop(0)[1]}", b.index, b.stimulus_id)
            shown += 1
            k += 1
        if cap is not None:
            cap.release()
        end = start + n_frames / stim.fps if k >= n_frames else clock()
        if self._wait_until(end):
            end += self._shift
        if self.display is not None:
            self.display.fixation()
        timeline.end(b.index, end)
        log_event(end, "block_end", b.index, b.stimulus_id)
        return drops, end

    def _meta(self, folder: Path) -> dict:
        meta = base_meta(folder, self.participant, self.source, self.model_path)
        meta.update(
            {
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
                        "synthetic": self.stimuli[b.stimulus_id].synthetic,
                    }
                    for b in self.blocks
                ],
                "library": str(self.library.root),
                "window": None,
                "record_video": self.config.record_video,
                "video_file": "camera.mp4" if self.config.record_video else None,
            }
        )
        return meta
