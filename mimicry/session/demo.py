"""Classroom demo: a playlist of yawn (or smile) clips, the class on camera, yawns counted live.

``mimicry demo`` shows the clips large with a neutral pause between them and, beside them, the
camera with a box and a letter (A, B, C, ...) on each face, a meter per face and counters per
face and for the class: yawns (or smiles) since the start and those that
start within the response window after one in the video. Nothing is written unless asked
(``save``): then the same session folder as ``mimicry run`` (numbers only) plus
``demo_results.csv``.

Stages: :class:`~mimicry.analysis.events.OnlineEvents` (hysteresis events as they happen,
identical to :func:`~mimicry.analysis.events.detect_events` on the same series),
:class:`~mimicry.session.schedule.Playlist` (what is on screen when), :class:`~mimicry.session.tally.Tally` (counts per face and phase; pure),
:class:`~mimicry.session.display.DemoScreen` (drawing), :func:`run_demo` (the loop; threads, files
and ``session.json`` are :class:`~mimicry.session.engine.LiveSession`'s, as for ``mimicry run``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.calibration import relative
from ..analysis.events import DEFAULT_EVENTS, OnlineEvents
from ..errors import MimicryError
from ..interop.lsl import LslConfig, LslStreams, load_pylsl, source_id_for
from ..io import write_outputs
from ..schema import DEMO_RESULTS
from ..sensing.capture import CameraSource
from ..sensing.model import resolve_model
from ..sensing.pipeline import CROWD_FROM, TrackConfig, open_landmarker
from ..sensing.signals import DEFAULT_CONFIG
from ..stimuli.library import Library, Stimulus, load_library, synthetic_note
from .camera import camera_spec, open_camera
from .clips import ClipReader, actor_data, demo_clips
from .cues import CuePhase
from .display import KEY_CLOSED, KEY_ENTER, KEY_ESC, KEY_Q, KEY_SPACE, DemoScreen, Window, cue_image
from .engine import LiveSession, base_meta, check_sessions_folder, create_session_folder
from .schedule import Phase, Playlist
from .tally import Tally, class_sentence, letter, reach_text

SCREEN_FPS = 30.0
"""Most screens drawn per second."""
REACH_NOTE_S = 3.0
"""When the demo says what the camera sees (after the classroom tracker's first searches), s."""


@dataclass(frozen=True)
class DemoConfig:
    """Options of ``mimicry demo``."""

    kind: str = "yawn"
    camera: str | int = 0
    camera_size: tuple[int, int] | None = (1280, 720)
    """Frame size asked of a webcam (width, height): 1280x720 sees a class twice as far as 640x480."""
    max_faces: int = 30
    """Everyone in view: from 9 faces on the classroom tracker also finds faces down to ~32 px wide."""
    window: bool = True
    fullscreen: bool = False
    preview: bool = True
    save: bool = False
    out: Path = Path("sessions")
    minutes: float | None = None
    pause_s: float = 8.0
    """Neutral screen between clips, seconds (yawns here count as 'during pauses')."""
    baseline_s: float = 60.0
    """Neutral screen before the first clip, seconds: the class's own base rate, which the class
    test compares the minutes after each yawn in the video with (:mod:`mimicry.session.tally`)."""
    check_room: bool | None = None
    """Start with the camera full screen, each face boxed and the smallest named, until space
    (the teacher moves the laptop until everyone has a box). None: with a window and a webcam."""
    library: Path | None = None
    model: Path | None = None
    calibrate: bool = False
    """Start with the calibration cues (:mod:`mimicry.analysis.calibration`): each face's smile
    meter then reads relative to its own range, and nothing in the phase is counted."""
    lsl: LslConfig | None = None
    """Stream the signals and events over Lab Streaming Layer (:mod:`mimicry.interop.lsl`)."""


# -- the run -----------------------------------------------------------------------------------------


@dataclass
class DemoResult:
    """What a demo did."""

    table: pd.DataFrame
    folder: Path | None
    camera_frames: int
    camera_dropped: int
    seconds: float
    screens: int = 0
    sentence: str = ""
    """The class test in words (:func:`~mimicry.session.tally.class_sentence`)."""


def run_demo(config: DemoConfig, on_screen=None, should_quit=None, on_note=None) -> DemoResult:
    """Run the demo until q/Esc, ``config.minutes``, or the end of a file camera.

    ``on_screen(canvas)`` is called with every rendered screen (tests, screenshots);
    ``should_quit()`` can end the demo from outside (tests); ``on_note(line)`` gets the line
    that says every clip is synthetic, if they all are, before the demo starts, and after
    :data:`REACH_NOTE_S` one that says what the camera sees (faces in view, the smallest).
    """
    if config.kind not in ("yawn", "smile"):
        raise MimicryError(f"demo kind must be 'yawn' or 'smile', got {config.kind!r}")
    camera_spec(config.camera)  # an empty camera is refused before any note
    if config.save:
        check_sessions_folder(config.out)
    library = load_library(config.library)
    clips = demo_clips(library, config.kind)
    for clip in clips:
        library.verified_clip(clip)
    note = synthetic_note(clips)
    if note and on_note is not None:
        on_note(note)
    if config.lsl is not None:
        load_pylsl()  # a missing pylsl fails before the camera opens
    source = open_camera(config.camera, config.camera_size)
    display = None
    try:
        if config.window:
            display = Window("mimicry demo", (1280, 720), config.fullscreen, toolbar=False)
        demo = _Demo(config, library, clips, source, display, on_note)
        return demo.run(on_screen, should_quit)
    finally:
        source.close()
        if display is not None:
            display.close()


class _Demo:
    """One demo: the playlist on screen, the class counted live (see :func:`run_demo`)."""

    def __init__(self, config: DemoConfig, library: Library, clips: list[Stimulus], source, display, on_note=None):
        self.config, self.library, self.kind, self.display = config, library, config.kind, display
        self.on_note, self._reach_noted = on_note, False
        self.sentence = ""
        events, self.actor_tracks = actor_data(library, clips, config.kind)
        self.tally = Tally(config.kind)
        self.playlist = Playlist(clips, config.pause_s, events, baseline_s=config.baseline_s)
        self.detectors: dict[int, OnlineEvents] = {}
        self.meters: dict[int, float] = {}
        self.faces: list = []
        self.image = None
        self.lock = threading.Lock()
        self.screen = DemoScreen(preview=config.preview)
        self.clip_reader = ClipReader(library)
        self.last_logged = (-1, -1)
        self.is_file = not isinstance(source, CameraSource)
        check = config.check_room if config.check_room is not None else not self.is_file
        self.checking_room = bool(check and display is not None)
        self.start_s = 0.0  # when the calibration or the playlist began (after the room check)
        self.cue_phase = CuePhase(0.0) if config.calibrate else None
        self.ranges: dict[int, tuple[float, float]] = {}  # face -> smile rest, max (usable ranges only)
        self.calibrating = config.calibrate
        lsl = None
        if config.lsl is not None:  # before the folder: a stream that cannot open leaves nothing
            lsl = LslStreams(config.lsl, source.nominal_fps, True, source_id_for(source), {"demo": config.kind})
        model = resolve_model(config.model)
        track = TrackConfig(max_faces=config.max_faces, model=model)
        landmarker = open_landmarker(source, track)  # a model that cannot load leaves no folder
        try:
            folder = create_session_folder(config.out, "demo") if config.save else None
        except BaseException:
            landmarker.close()
            raise
        meta = base_meta(folder, "demo", source, model)
        meta["demo"] = {
            "kind": config.kind,
            "max_faces": config.max_faces,
            "pause_s": config.pause_s,
            "baseline_s": config.baseline_s,
            "clips": [s.id for s in clips],
            "synthetic_clips": [s.id for s in clips if s.synthetic],
        }
        hooks = {"on_row": self._on_row, "on_faces": self._on_faces, "on_note": on_note}
        self.live = LiveSession(source, track, folder, meta, lsl=lsl, landmarker=landmarker, **hooks)

    # -- the tracker thread -------------------------------------------------------------------
    def _on_faces(self, frame, faces) -> None:
        with self.lock:
            self.faces = faces
            self.image = frame.image if self.config.preview and self.display is not None else None

    def _on_row(self, row: dict) -> None:
        ph = self.playlist.phase_at(row["t_s"])
        row["block"] = ph.block if ph is not None and ph.kind == "clip" else None
        face = row.get("face")
        if row["detected"] != 1 or face is None or pd.isna(face):
            return
        face, value = int(face), row[self.kind]
        if self.checking_room or row["t_s"] < self.start_s:
            return  # the room check: faces shown, nothing counted
        if self.cue_phase is not None and row["t_s"] < self.cue_phase.end_s:  # measured, never counted
            with self.lock:
                self.cue_phase.add(row)
                self.meters[face] = value
            return
        if self.kind == "smile" and face in self.ranges:
            value = float(relative(value, *self.ranges[face]))
        with self.lock:
            self.meters[face] = value
            if row["t_s"] >= self.tally.since_s:
                self.tally.see(face, row["t_s"], measured=bool(np.isfinite(value)))
            det = self.detectors.setdefault(face, OnlineEvents(DEFAULT_EVENTS.for_signal(self.kind)))
            onset = det.update(row["t_s"], value)
            if onset is not None and onset >= self.tally.since_s:
                after = self.tally.add(face, onset, self.playlist.phase_at(onset))
                self.live.log_event(
                    onset, f"viewer_{self.kind}", None, f"{letter(face)}{' after_video' if after else ''}"
                )

    # -- the loop -------------------------------------------------------------------------------
    def run(self, on_screen, should_quit) -> DemoResult:
        self.live.start()
        self.live.log_event(0.0, "session_start", detail=f"demo {self.kind}")
        if not self.checking_room:
            self._start(0.0)
        quit_reason, screens = "camera ended", 0
        try:
            while True:
                now = self.live.clock()
                quit_reason = self._should_stop(now, should_quit) or ""
                if quit_reason:
                    break
                if self.checking_room:
                    canvas = self._room_screen(now)
                    screens += 1
                    if on_screen is not None:
                        on_screen(canvas)
                    quit_reason = self._key(self.display.present(canvas), now) or ""
                    if quit_reason:
                        break
                    time.sleep(max(0.0, 1.0 / SCREEN_FPS - (self.live.clock() - now)))
                    continue
                clip_img = self._calibration(now) if self.calibrating else self._advance(now)
                self._note_reach(now)
                self.live.flush_due()  # rows written before a camera stall still reach the disk
                if self.display is None:
                    time.sleep(0.02)
                    continue
                canvas = self._draw(now, clip_img)
                screens += 1
                if on_screen is not None:
                    on_screen(canvas)
                key = self.display.present(canvas)
                # the screen is redrawn at the clip's rate at most: spinning faster only takes CPU
                # from the face tracker (measured: 115 screens/s, 6 faces tracked at 17 fps)
                spare = 1.0 / SCREEN_FPS - (self.live.clock() - now)
                if spare > 0:
                    time.sleep(spare)
                quit_reason = self._key(key, now) or ""
                if quit_reason:
                    break
        finally:
            table = self._finish(quit_reason or "camera ended")
        self._show_results(table, quit_reason, on_screen, should_quit)
        return DemoResult(
            table,
            self.live.folder,
            self.live.frames,
            int(self.live.source.dropped),
            self.live.meta.get("duration_s", self.live.clock()),
            screens,
            self.sentence,
        )

    def _start(self, t_s: float) -> None:
        """The demo proper begins: the calibration cues, or the playlist (its baseline first)."""
        self.start_s = t_s
        with self.lock:
            self.tally.reset(t_s)
        if self.config.calibrate:
            self.cue_phase = CuePhase(t_s)
        else:
            self._begin(self.playlist.start(t_s))

    def _room_screen(self, now: float) -> np.ndarray:
        with self.lock:
            faces, cam_img = list(self.faces), self.image
        return self.screen.room(cam_img, faces, self._reach(faces))

    def _room_checked(self, now: float) -> None:
        """Space or Enter in the room check: the demo proper begins."""
        with self.lock:
            faces = list(self.faces)
        self.live.log_event(now, "room_checked", detail=self._reach(faces))
        self._start(now)  # before the rows are let in: none from the room check is counted
        self.checking_room = False

    def _calibration(self, now: float) -> np.ndarray | None:
        """The cue on screen at ``now``; at the phase's end, each face's range and the playlist's start."""
        cues = self.cue_phase
        if now >= cues.end_s:
            self._end_calibration()
            return self._advance(now)
        i, new = cues.cue_at(now)
        if new:
            if i == 0:
                self.live.log_event(now, "calibration_start")
            self.live.log_event(now, "calibration_cue", detail=cues.cues[i].name)
        left_s = cues.start_s + cues.cues[i].end_s - now
        return cue_image(cues.cues[i].text, left_s) if self.display is not None else None

    def _end_calibration(self) -> None:
        self.calibrating = False
        end = self.cue_phase.end_s
        with self.lock:
            ranges = self.cue_phase.ranges()
            self.tally.reset(end)
        self.ranges = {int(r.face): (r.smile_rest, r.smile_max) for r in ranges.itertuples() if r.usable}
        self.live.meta["calibration"] = {
            "cues": self.cue_phase.timed(),
            "end_s": end,
            "faces": ranges.to_dict("records"),
        }
        self.live.write_meta()
        self.live.log_event(end, "calibration_end")
        self._begin(self.playlist.start(end))

    def _note_reach(self, now: float) -> None:
        """Once, after the first search of the room: the camera's size and what it sees."""
        if self._reach_noted or now < REACH_NOTE_S or self.on_note is None:
            return
        self._reach_noted = True
        with self.lock:
            faces = list(self.faces)
        self.on_note(f"camera {self.live.source.width}x{self.live.source.height}: {self._reach(faces)}")

    def _reach(self, faces) -> str:
        """:func:`~mimicry.session.tally.reach_text` of the faces in the latest frame."""
        floor = {"smile": DEFAULT_CONFIG.smile_min_face_px, "yawn": DEFAULT_CONFIG.yawn_min_face_px}[self.kind]
        widths = [float(b[2] - b[0]) for _, b, _ in faces]
        return reach_text(widths, crowd=self.config.max_faces >= CROWD_FROM, read_px=floor, signal=self.kind)

    def _should_stop(self, now: float, should_quit) -> str | None:
        if self.live.error is not None:
            return "error"
        if self.live.ended and self.is_file:
            return "camera ended"
        if self.config.minutes is not None and now >= 60 * self.config.minutes:
            return "time up"
        if should_quit is not None and should_quit():
            return "stopped"
        return None

    def _begin(self, ph: Phase) -> None:
        if ph.kind == "baseline":
            self.live.log_event(ph.start_s, "baseline_start")
            return
        if ph.kind == "clip":
            before = self.playlist.phases[-2] if len(self.playlist.phases) > 1 else None
            if before is not None and before.kind == "baseline":
                with self.lock:
                    self.tally.set_baseline(before.start_s, ph.start_s)
            self.live.log_event(ph.start_s, "block_start", ph.block, ph.stimulus.id)
        else:
            prev = self.playlist.phases[-2]
            self.live.log_event(ph.start_s, "block_end", prev.block, prev.stimulus.id)

    def _end_clip_early(self, t_s: float) -> None:  # skipped or quit during a clip
        if self.playlist.phases and self.playlist.current.kind == "clip":
            self.live.log_event(t_s, "block_end", self.playlist.current.block, self.playlist.current.stimulus.id)

    def _advance(self, now: float) -> np.ndarray | None:
        """Move the playlist to ``now``, log the clip frame on screen; returns the frame to show."""
        for shown_s in self.playlist.shown_events(now):
            with self.lock:
                self.tally.add_stimulus(shown_s)
            self.live.log_event(
                shown_s, f"stimulus_{self.kind}", self.playlist.current.block, self.playlist.current.stimulus.id
            )
        new = self.playlist.tick(now)
        while new is not None:
            self._begin(new)
            new = self.playlist.tick(now)
        ph = self.playlist.current
        if ph.kind != "clip":
            return None
        stim = ph.stimulus
        k = min(int(self.playlist.elapsed(now) * stim.fps), max(int(stim.duration_s * stim.fps) - 1, 0))
        if (ph.block, k) != self.last_logged:
            a = self.actor_tracks[stim.id]
            row = a.loc[k] if k in a.index else None
            self.live.log_stimulus(
                {
                    "t_s": now,
                    "block": ph.block,
                    "stimulus_id": stim.id,
                    "kind": stim.kind,
                    "stimulus_frame": k,
                    "stimulus_t_s": k / stim.fps,
                    "smile": None if row is None else row["smile"],
                    "yawn": None if row is None else row["yawn"],
                }
            )
            self.last_logged = (ph.block, k)
        return self.clip_reader.frame(ph.block, ph.stimulus, k) if self.display is not None else None

    def _draw(self, now: float, clip_img) -> np.ndarray:
        with self.lock:
            faces, cam_img, meters = list(self.faces), self.image, dict(self.meters)
            snapshot = self.tally.snapshot()  # not the rows' times: they grow all session
        dropped = self.live.source.dropped
        delivered = self.live.frames + dropped
        pct = 100.0 * dropped / delivered if delivered else 0.0
        ph = self.playlist.current if self.playlist.phases else None
        if ph is None:
            state = "calibration: everyone follow the cue"
        elif ph.kind == "baseline":
            left = max(0.0, self.config.baseline_s - self.playlist.elapsed(now))
            state = f"before the clips: {left:.0f} s"
        elif self.playlist.paused_at is not None:
            state = "PAUSED"
        else:
            synthetic = " (synthetic: an animated photo)" if ph.kind == "clip" and ph.stimulus.synthetic else ""
            state = f"clip {ph.block + 1}: {ph.stimulus.id}{synthetic}" if ph.kind == "clip" else "pause"
        reach = self._reach(faces)
        status = f"{state}   faces {len(meters)}, {reach}   {now:5.0f} s" + (
            f"   skipping camera frames to keep up: {pct:.0f}%" if pct >= 1 else ""
        )
        heading = f"Contagious {'yawning' if self.kind == 'yawn' else 'smiling'}"
        return self.screen.render(clip_img, cam_img, faces, meters, snapshot, status, heading)

    def _key(self, key: int, now: float) -> str | None:
        """React to a key; returns why the demo should end, if it should."""
        if key == KEY_CLOSED:
            return "window closed"
        if key == -1:
            return None
        key &= 0xFF
        if key in (KEY_ESC, KEY_Q):
            self.live.log_event(now, "key", None, "q")
            return "key"
        if self.checking_room and key in (KEY_SPACE, KEY_ENTER):
            self._room_checked(now)
            return None
        if self.checking_room and key != ord("f"):
            return None  # the room check: space or Enter starts, f toggles fullscreen, q quits
        if self.calibrating and key in (KEY_SPACE, ord("n"), ord("r")):
            return None  # the cues run on: pausing or skipping would blur each face's range
        if key == KEY_SPACE:
            paused = self.playlist.toggle_pause(now)
            self.live.log_event(now, "pause" if paused else "resume", None, "space")
        elif key == ord("n"):
            self.live.log_event(now, "key", None, "n")
            self._end_clip_early(now)
            self._begin(self.playlist.skip(now))
        elif key == ord("r"):
            self.live.log_event(now, "key", None, "r")
            with self.lock:
                self.tally.reset(now)
        elif key == ord("f"):
            self.display.toggle_fullscreen()
        return None

    def _finish(self, quit_reason: str) -> pd.DataFrame:
        """Close the clip, the tracker and the files; returns the results table."""
        self.live.stop_tracking()  # its late events come before the clip's end in the log
        self.clip_reader.close()
        end = self.live.clock()
        if self.playlist.phases and self.playlist.current.end_s is None:
            self.playlist.current.end_s = end
        self._end_clip_early(end)
        self.live.log_skips()  # the skips so far count in the timing the class test is held to
        test = self.tally.class_test(timing=self.live.timing())
        table = self.tally.table(test)
        self.sentence = class_sentence(self.tally, test)
        test = table.iloc[-1]
        self.live.meta["demo"]["class_test"] = {
            "verdict": test["verdict"],
            "p_value": None if pd.isna(test["p_value"]) else float(test["p_value"]),
            "sentence": self.sentence,
        }
        if self.live.folder is not None:
            write_outputs(self.live.folder, {"demo_results.csv": (table, DEMO_RESULTS)})
        status = "complete" if quit_reason != "error" else "crashed"
        self.live.finish(status, end_s=end, ended_by=quit_reason)
        return table

    def _show_results(self, table: pd.DataFrame, quit_reason: str, on_screen, should_quit) -> None:
        if self.display is None or quit_reason not in ("key", "time up", "camera ended"):
            return
        canvas = self.screen.results(table, self.kind, self.sentence)
        if on_screen is not None:
            on_screen(canvas)
        self.display.present(canvas)
        self.display.wait_key(None if should_quit is None else 2.0)
