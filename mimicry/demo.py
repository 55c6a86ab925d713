"""Classroom demo: a playlist of yawn (or smile) clips, the class on camera, yawns counted live.

``mimicry demo`` shows the clips large with a neutral pause between them and, beside them, the
camera with a box and a letter (A, B, C, ...) on each face, a meter per face and counters per
face and for the class: yawns (or smiles) since the start and those that
start within the response window after one in the video. Nothing is written unless asked
(``save``): then the same session folder as ``mimicry run`` (numbers only) plus
``demo_results.csv``.

Stages: :class:`OnlineEvents` (hysteresis events as they happen, identical to
:func:`mimicry.analysis.events.detect_events` on the same series), :class:`Playlist` (what is
on screen when), :class:`Tally` (counts per face and phase; pure), :class:`DemoScreen`
(drawing), :func:`run_demo` (threads and I/O).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .analysis.contagion import DEFAULT_CONTAGION
from .analysis.events import DEFAULT_EVENTS, EventThresholds
from .errors import MimicryError
from .recording import KEY_CLOSED, KEY_ESC, KEY_Q, KEY_SPACE
from .schema import DEMO_RESULTS
from .session import write_json_atomic
from .stimuli import Library, Stimulus, load_library

LETTERS = "ABCDEFGH"
RESPONSE_WINDOW_S = {"yawn": DEFAULT_CONTAGION.response_window_s, "smile": (0.0, 3.0)}
"""A viewer event starting this long after one in the video is counted as "after the video", seconds
(a count, not a test of contagion: that needs control clips, see ``mimicry analyze``)."""
SCREEN_FPS = 30.0
"""Most screens drawn per second."""


def letter(face: int) -> str:
    """A face's short name: A, B, C, ... (then 9, 10, ... past H)."""
    return LETTERS[face] if 0 <= face < len(LETTERS) else str(face + 1)


@dataclass(frozen=True)
class DemoConfig:
    """Options of ``mimicry demo``."""

    kind: str = "yawn"
    camera: str | int = 0
    max_faces: int = 6
    window: bool = True
    fullscreen: bool = False
    preview: bool = True
    save: bool = False
    out: Path = Path("sessions")
    minutes: float | None = None
    pause_s: float = 8.0
    """Neutral screen between clips, seconds (yawns here count as 'during pauses')."""
    library: Path | None = None
    model: Path | None = None


class OnlineEvents:
    """Hysteresis events of one signal, confirmed as soon as they qualify.

    An event is a run of samples at or above ``off`` that reaches ``on`` and lasts at least
    ``min_duration_s``; :meth:`update` returns its onset time at the first sample where both
    hold (so a live counter need not wait for the offset), once per event. The events found
    are those of :func:`~mimicry.analysis.events.detect_events` on the same samples.
    """

    def __init__(self, thresholds: EventThresholds):
        self.th = thresholds
        self.start: float | None = None
        self.peak = -1.0
        self.counted = False
        self.last_t: float | None = None
        self.gap_from: float | None = None  # last sample before a face-loss gap inside a run

    def update(self, t_s: float, value: float) -> float | None:
        if not math.isfinite(value):  # face lost: the run waits to see how long the gap is
            if self.start is not None and self.gap_from is None:
                self.gap_from = self.last_t
            return None
        if self.gap_from is not None:
            if t_s - self.gap_from > self.th.max_gap_s:  # too long: the run ended where the gap began
                self.start, self.peak, self.counted = None, -1.0, False
            self.gap_from = None
        self.last_t = t_s
        if value < self.th.off:
            self.start, self.peak, self.counted = None, -1.0, False
            return None
        if self.start is None:
            self.start = t_s
        self.peak = max(self.peak, value)
        if not self.counted and self.peak >= self.th.on and t_s - self.start >= self.th.min_duration_s:
            self.counted = True
            return self.start
        return None


@dataclass
class Phase:
    """One stretch of the demo screen: a clip or the pause after it (session clock, seconds)."""

    kind: str  # "clip" or "pause"
    start_s: float
    end_s: float | None = None
    stimulus: Stimulus | None = None
    block: int | None = None


class Playlist:
    """Clips of one kind in turn, each followed by a neutral pause, looping; with pause
    (freezes the clock of the playlist) and skip to the next clip.

    ``events``: per clip id, the actor's event onsets in clip seconds; :meth:`shown_events`
    reports when each one is actually on screen (after any pause, and never for the rest of a
    skipped clip)."""

    def __init__(self, clips: list[Stimulus], pause_s: float, events: dict[str, np.ndarray] | None = None):
        if not clips:
            raise MimicryError("no clips for the demo in the library")
        self.clips, self.pause_s = clips, pause_s
        self.events = events or {}
        self._pending: list[float] = []
        self.phases: list[Phase] = []
        self._next_clip = 0
        self._blocks = 0
        self.paused_at: float | None = None
        self._frozen = 0.0  # seconds spent paused within the current phase

    @property
    def current(self) -> Phase:
        return self.phases[-1]

    def start(self, t_s: float) -> Phase:
        return self._begin_clip(t_s)

    def _begin_clip(self, t_s: float) -> Phase:
        stim = self.clips[self._next_clip % len(self.clips)]
        self._next_clip += 1
        if self.phases and self.current.end_s is None:
            self.current.end_s = t_s
        self.phases.append(Phase("clip", t_s, None, stim, self._blocks))
        self._blocks += 1
        self._frozen = 0.0
        self._pending = sorted(float(e) for e in self.events.get(stim.id, ()))
        return self.current

    def shown_events(self, t_s: float) -> list[float]:
        """Session times of the current clip's events that have come on screen by ``t_s`` and
        were not reported before. Call it before :meth:`tick` so that a clip's last events are
        reported before the clip ends."""
        ph = self.current
        if ph.kind != "clip" or not self._pending:
            return []
        elapsed = self.elapsed(t_s)
        stop = self.paused_at if self.paused_at is not None else t_s  # the clip's clock stands still while paused
        out = []
        while self._pending and self._pending[0] <= min(elapsed, ph.stimulus.duration_s):
            out.append(stop - elapsed + self._pending.pop(0))
        return out

    def elapsed(self, t_s: float) -> float:
        """Seconds the current phase has been on screen (pauses excluded)."""
        stop = self.paused_at if self.paused_at is not None else t_s
        return stop - self.current.start_s - self._frozen

    def tick(self, t_s: float) -> Phase | None:
        """Advance to ``t_s``; returns the new phase when one begins."""
        if self.paused_at is not None:
            return None
        ph = self.current
        length = ph.stimulus.duration_s if ph.kind == "clip" else self.pause_s
        if self.elapsed(t_s) < length:
            return None
        end = t_s - (self.elapsed(t_s) - length)
        ph.end_s = end
        if ph.kind == "clip":
            self.phases.append(Phase("pause", end))
            self._frozen = 0.0
            return self.current
        return self._begin_clip(end)

    def toggle_pause(self, t_s: float) -> bool:
        """Pause or resume; True if now paused."""
        if self.paused_at is None:
            self.paused_at = t_s
            return True
        self._frozen += t_s - self.paused_at
        self.paused_at = None
        return False

    def skip(self, t_s: float) -> Phase:
        """Next clip now."""
        if self.paused_at is not None:
            self.toggle_pause(t_s)
        return self._begin_clip(t_s)

    def phase_at(self, t_s: float) -> Phase | None:
        for ph in reversed(self.phases):
            if ph.start_s <= t_s and (ph.end_s is None or t_s < ph.end_s):
                return ph
        return None


@dataclass
class FaceTally:
    events: int = 0
    in_clips: int = 0
    in_pauses: int = 0
    after_video: int = 0
    first_s: float | None = None
    onsets: list = field(default_factory=list)


class Tally:
    """Counts of viewer events per face, phase and contagion (pure: times in, counts out)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.faces: dict[int, FaceTally] = {}
        self.stimulus_onsets: list[float] = []
        self.since_s = 0.0

    def reset(self, t_s: float) -> None:
        self.faces.clear()
        self.since_s = t_s

    def add_stimulus(self, onset_s: float) -> None:
        self.stimulus_onsets.append(onset_s)

    def add(self, face: int, onset_s: float, phase: Phase | None) -> bool:
        """Count a viewer event; returns True if it started within the window after one in the video."""
        f = self.faces.setdefault(face, FaceTally())
        f.events += 1
        f.onsets.append(onset_s)
        if f.first_s is None:
            f.first_s = onset_s - self.since_s
        if phase is not None and phase.kind == "clip":
            f.in_clips += 1
        elif phase is not None:
            f.in_pauses += 1
        lo, hi = RESPONSE_WINDOW_S[self.kind]
        after = any(lo <= onset_s - s <= hi for s in self.stimulus_onsets if s >= self.since_s)
        f.after_video += int(after)
        return after

    def table(self) -> pd.DataFrame:
        """Per face and for the class (``face = 'class'``); columns of :data:`~mimicry.schema.DEMO_RESULTS`."""

        def row(face, face_id, ts):
            firsts = [t.first_s for t in ts if t.first_s is not None]
            return {
                "face": face,
                "face_id": face_id,
                "kind": self.kind,
                "events": sum(t.events for t in ts),
                "in_clips": sum(t.in_clips for t in ts),
                "in_pauses": sum(t.in_pauses for t in ts),
                "after_video": sum(t.after_video for t in ts),
                "first_s": round(min(firsts), 2) if firsts else None,
            }

        rows = [row(letter(f), f, [t]) for f, t in sorted(self.faces.items())]
        rows.append(row("class", None, list(self.faces.values())))
        return pd.DataFrame(rows)


def demo_clips(library: Library, kind: str) -> list[Stimulus]:
    """The playlist: the library's clips of ``kind``, by id."""
    clips = sorted(library.of_kind(kind), key=lambda s: s.id)
    if not clips:
        raise MimicryError(f"the stimulus library has no {kind} clips")
    return clips


# -- drawing ----------------------------------------------------------------------------------------

COLOURS = [
    (66, 135, 245),
    (60, 180, 75),
    (230, 100, 60),
    (200, 80, 200),
    (40, 200, 220),
    (240, 180, 40),
    (120, 120, 255),
    (255, 120, 160),
]  # BGR, one per face letter


class DemoScreen:
    """The projected screen: clip on the left, camera and meters on the right, counters below."""

    def __init__(self, size=(1600, 900), preview: bool = True):
        self.size, self.preview = size, preview

    def render(
        self,
        clip: np.ndarray | None,
        camera: np.ndarray | None,
        faces: list,
        meters: dict,
        tally: Tally,
        status: str,
        heading: str,
    ) -> np.ndarray:
        import cv2

        w, h = self.size
        canvas = np.full((h, w, 3), 40, np.uint8)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(canvas, heading, (30, 60), font, 1.5, (255, 255, 255), 3, cv2.LINE_AA)
        # the clip, large
        box = (30, 90, 1000, 600)
        if clip is not None:
            _blit(canvas, clip, box)
        else:
            cv2.rectangle(canvas, box[:2], (box[0] + box[2], box[1] + box[3]), (90, 90, 90), -1)
            cv2.putText(canvas, "+", (box[0] + box[2] // 2 - 20, box[1] + box[3] // 2 + 20), font, 2.5, (0, 0, 0), 5)
        # the camera with a box and a letter per face
        cam_box = (1060, 90, 510, 290)
        if self.preview and camera is not None:
            ch, cw = camera.shape[:2]
            scale = min(cam_box[2] / cw, cam_box[3] / ch)
            _blit(canvas, camera, cam_box)
            ox = cam_box[0] + (cam_box[2] - int(cw * scale)) // 2
            oy = cam_box[1] + (cam_box[3] - int(ch * scale)) // 2
            for fid, bbox, _values in faces:
                if fid is None:
                    continue
                c = COLOURS[fid % len(COLOURS)]
                x0, y0, x1, y1 = (np.asarray(bbox) * scale).astype(int) + [ox, oy, ox, oy]
                cv2.rectangle(canvas, (x0, y0), (x1, y1), c, 3)
                cv2.putText(canvas, letter(fid), (x0, max(y0 - 8, 20)), font, 1.2, c, 3, cv2.LINE_AA)
        else:
            cv2.rectangle(canvas, cam_box[:2], (cam_box[0] + cam_box[2], cam_box[1] + cam_box[3]), (70, 70, 70), -1)
            cv2.putText(canvas, "camera hidden", (cam_box[0] + 120, cam_box[1] + 150), font, 1.0, (200, 200, 200), 2)
        # meters and counters per face
        y = 420
        word = tally.kind + "s"
        for fid in sorted(meters)[:8]:
            c = COLOURS[fid % len(COLOURS)]
            t = tally.faces.get(fid, FaceTally())
            cv2.putText(canvas, letter(fid), (1060, y + 30), font, 1.3, c, 3, cv2.LINE_AA)
            cv2.rectangle(canvas, (1110, y + 5), (1310, y + 35), (90, 90, 90), -1)
            v = float(np.clip(meters[fid], 0, 1)) if math.isfinite(meters[fid]) else 0.0
            cv2.rectangle(canvas, (1110, y + 5), (1110 + int(200 * v), y + 35), c, -1)
            cv2.putText(
                canvas, f"{t.events} ({t.after_video})", (1330, y + 32), font, 1.1, (255, 255, 255), 2, cv2.LINE_AA
            )
            y += 52
        total = sum(t.events for t in tally.faces.values())
        cont = sum(t.after_video for t in tally.faces.values())
        cv2.putText(
            canvas,
            f"Class: {total} {word}, {cont} soon after the video's",
            (30, 760),
            font,
            1.6,
            (255, 255, 255),
            3,
            cv2.LINE_AA,
        )
        cv2.putText(
            canvas,
            f"per face: {word} (soon after the video's)",
            (1060, 405),
            font,
            0.7,
            (200, 200, 200),
            1,
            cv2.LINE_AA,
        )
        cv2.putText(canvas, status, (30, h - 30), font, 0.8, (200, 200, 200), 2, cv2.LINE_AA)
        cv2.putText(
            canvas,
            "space pause   n next   r reset   f fullscreen   q quit",
            (30, h - 70),
            font,
            0.8,
            (160, 160, 160),
            1,
            cv2.LINE_AA,
        )
        return canvas

    def results(self, table: pd.DataFrame, kind: str) -> np.ndarray:
        import cv2

        w, h = self.size
        canvas = np.full((h, w, 3), 30, np.uint8)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(canvas, "Results", (40, 80), font, 2.0, (255, 255, 255), 4, cv2.LINE_AA)
        cols = ["face", "events", "in_clips", "in_pauses", "after_video", "first_s"]
        heads = ["face", f"{kind}s", "in clips", "in pauses", "after video", "first (s)"]
        xs = [40, 240, 440, 640, 860, 1110]
        for x, head in zip(xs, heads):
            cv2.putText(canvas, head, (x, 160), font, 1.1, (200, 200, 200), 2, cv2.LINE_AA)
        for i, row in enumerate(table.itertuples(index=False)):
            y = 220 + 60 * i
            if y > h - 80:
                break
            for x, col in zip(xs, cols):
                v = getattr(row, col)
                text = "-" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                cv2.putText(
                    canvas, text, (x, y), font, 1.3, (255, 255, 255), 3 if row.face == "class" else 2, cv2.LINE_AA
                )
        cv2.putText(
            canvas,
            "Counts, not a test: whether it was contagious needs control clips (mimicry run + summary).",
            (40, h - 90),
            font,
            0.8,
            (200, 200, 200),
            2,
            cv2.LINE_AA,
        )
        cv2.putText(canvas, "press any key to close", (40, h - 40), font, 0.9, (160, 160, 160), 2, cv2.LINE_AA)
        return canvas


def _blit(canvas: np.ndarray, image: np.ndarray, box: tuple[int, int, int, int]) -> None:
    import cv2

    x, y, bw, bh = box
    ih, iw = image.shape[:2]
    scale = min(bw / iw, bh / ih)
    nw, nh = max(1, int(iw * scale)), max(1, int(ih * scale))
    ox, oy = x + (bw - nw) // 2, y + (bh - nh) // 2
    canvas[oy : oy + nh, ox : ox + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)


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


def run_demo(config: DemoConfig, on_screen=None, should_quit=None) -> DemoResult:
    """Run the demo until q/Esc, ``config.minutes``, or the end of a file camera.

    ``on_screen(canvas)`` is called with every rendered screen (tests, screenshots);
    ``should_quit()`` can end the demo from outside (tests).
    """
    from .capture import CameraSource, VideoFileSource
    from .recording import Window, create_session_folder
    from .schema import EVENTS_LOG, SESSION_FRAMES, STIMULUS_LOG
    from .writers import CsvWriter

    if config.kind not in ("yawn", "smile"):
        raise MimicryError(f"demo kind must be 'yawn' or 'smile', got {config.kind!r}")
    library = load_library(config.library)
    clips = demo_clips(library, config.kind)
    events_by_clip = {}
    actor_tracks = {}
    for s in clips:
        p = library.events_path(s)
        ev = pd.read_csv(p) if p.is_file() else pd.DataFrame(columns=["kind", "onset_s"])
        events_by_clip[s.id] = ev.loc[ev["kind"] == config.kind, "onset_s"].to_numpy(float)
        tr = library.track(s)
        det = tr[tr["face"].fillna(0) == 0].drop_duplicates("frame").set_index("frame")
        actor_tracks[s.id] = det[["smile", "yawn"]]
    cam = config.camera
    if isinstance(cam, int) or (isinstance(cam, str) and cam.strip().isdigit()):
        source = CameraSource(int(cam), reconnect=True)
        is_file = False
    else:
        source = VideoFileSource(cam, realtime=True)
        is_file = True
    display = None
    try:
        if config.window:
            display = Window("mimicry demo", (1280, 720), config.fullscreen, toolbar=False)
        folder = writers = None
        if config.save:
            folder = create_session_folder(config.out, "demo")
            writers = {
                "frames": CsvWriter(folder / "frames.csv", SESSION_FRAMES, flush_s=0.25, partial=False),
                "stim": CsvWriter(folder / "stimulus_log.csv", STIMULUS_LOG, flush_s=0.25, partial=False),
                "events": CsvWriter(folder / "events_log.csv", EVENTS_LOG, flush_s=0.25, partial=False),
            }
        return _loop(
            config,
            clips,
            library,
            events_by_clip,
            actor_tracks,
            source,
            is_file,
            display,
            folder,
            writers,
            on_screen,
            should_quit,
        )
    finally:
        source.close()
        if display is not None:
            display.close()


def _loop(
    config,
    clips,
    library,
    events_by_clip,
    actor_tracks,
    source,
    is_file,
    display,
    folder,
    writers,
    on_screen,
    should_quit,
) -> DemoResult:
    import cv2

    from .pipeline import TrackConfig, iter_track_rows

    track_cfg = TrackConfig(max_faces=config.max_faces, model=config.model)
    kind = config.kind
    tally = Tally(kind)
    playlist = Playlist(clips, config.pause_s, events_by_clip)
    detectors: dict[int, OnlineEvents] = {}
    meters: dict[int, float] = {}
    live = {"faces": [], "image": None, "frames": 0, "error": None, "ended": False}
    lock = threading.Lock()
    stop = threading.Event()
    screen = DemoScreen(preview=config.preview)
    t0 = time.monotonic()
    source.origin_monotonic = t0

    def clock() -> float:
        return time.monotonic() - t0

    def log_event(t, event, block=None, detail=""):
        if writers is not None:
            writers["events"].write({"t_s": t, "event": event, "block": block, "detail": detail})

    def on_faces(frame, faces):
        with lock:
            live["faces"], live["image"] = faces, frame.image if config.preview and display is not None else None

    def track():
        last = -1
        try:
            for row, _face in iter_track_rows(source, track_cfg, stop=stop.is_set, on_faces=on_faces):
                if row["frame"] != last:
                    last = row["frame"]
                    live["frames"] += 1
                ph = playlist.phase_at(row["t_s"])
                if writers is not None:
                    row["block"] = ph.block if ph is not None and ph.kind == "clip" else None
                    writers["frames"].write(row)
                face = row.get("face")
                if row["detected"] != 1 or face is None or pd.isna(face):
                    continue
                face = int(face)
                value = row[kind]
                with lock:
                    meters[face] = value
                    det = detectors.setdefault(face, OnlineEvents(DEFAULT_EVENTS.for_signal(kind)))
                    onset = det.update(row["t_s"], value)
                    if onset is not None and onset >= tally.since_s:
                        after = tally.add(face, onset, playlist.phase_at(onset))
                        log_event(onset, f"viewer_{kind}", None, f"{letter(face)}{' after_video' if after else ''}")
        except BaseException as e:  # reported by the main thread
            live["error"] = e
        finally:
            live["ended"] = True

    meta = {
        "session_id": folder.name.rsplit("_", 1)[-1] if folder else None,
        "participant": "demo",
        "status": "running",
        "camera_fps": float(source.nominal_fps),
        "demo": {
            "kind": kind,
            "max_faces": config.max_faces,
            "pause_s": config.pause_s,
            "clips": [s.id for s in clips],
        },
        "start_time": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mimicry": __version__,
        "pid": os.getpid(),
    }
    if folder is not None:
        write_json_atomic(folder / "session.json", meta)
    source.start()
    tracker = threading.Thread(target=track, name="demo-track", daemon=True)
    tracker.start()
    log_event(0.0, "session_start", detail=f"demo {kind}")

    def begin(ph: Phase) -> None:
        if ph.kind == "clip":
            log_event(ph.start_s, "block_start", ph.block, ph.stimulus.id)
        else:
            log_event(ph.start_s, "block_end", playlist.phases[-2].block, playlist.phases[-2].stimulus.id)

    def end_clip_early(t_s: float) -> None:  # skipped or quit during a clip
        if playlist.current.kind == "clip":
            log_event(t_s, "block_end", playlist.current.block, playlist.current.stimulus.id)

    begin(playlist.start(0.0))
    cap, cap_id, cap_pos = None, None, 0
    frame_img = None
    last_logged = (-1, -1)
    screens = 0
    quit_reason = "camera ended"
    status = "complete"
    try:
        while True:
            now = clock()
            if live["error"] is not None:
                status = "crashed"
                break
            if live["ended"] and is_file:
                break
            if config.minutes is not None and now >= 60 * config.minutes:
                quit_reason = "time up"
                break
            if should_quit is not None and should_quit():
                quit_reason = "stopped"
                break
            for shown_s in playlist.shown_events(now):
                with lock:
                    tally.add_stimulus(shown_s)
            new = playlist.tick(now)
            while new is not None:
                begin(new)
                new = playlist.tick(now)
            ph = playlist.current
            clip_img = None
            if ph.kind == "clip":
                stim = ph.stimulus
                k = min(int(playlist.elapsed(now) * stim.fps), max(int(stim.duration_s * stim.fps) - 1, 0))
                if (ph.block, k) != last_logged and writers is not None:
                    a = actor_tracks[stim.id]
                    row = a.loc[k] if k in a.index else None
                    writers["stim"].write(
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
                    last_logged = (ph.block, k)
                if display is not None:
                    if cap_id != (ph.block, stim.id):
                        if cap is not None:
                            cap.release()
                        cap, cap_id, cap_pos = cv2.VideoCapture(str(library.clip_path(stim))), (ph.block, stim.id), 0
                    while cap_pos <= k:
                        ok, img = cap.read()
                        cap_pos += 1
                        if ok:
                            frame_img = img
                    clip_img = frame_img
            if writers is not None:  # rows written before a camera stall still reach the disk
                for w in writers.values():
                    w.flush_if_due()
            if display is None:
                time.sleep(0.02)
                continue
            with lock:
                faces, cam_img, m = list(live["faces"]), live["image"], dict(meters)
                snapshot = copy.deepcopy(tally)
            dropped = source.dropped
            delivered = live["frames"] + dropped
            pct = 100.0 * dropped / delivered if delivered else 0.0
            state = (
                "PAUSED"
                if playlist.paused_at is not None
                else (f"clip {ph.block + 1}: {ph.stimulus.id}" if ph.kind == "clip" else "pause")
            )
            status_line = f"{state}   faces {len(m)}   {now:5.0f} s" + (
                f"   skipping camera frames to keep up: {pct:.0f}%" if pct >= 1 else ""
            )
            canvas = screen.render(
                clip_img,
                cam_img,
                faces,
                m,
                snapshot,
                status_line,
                f"Contagious {'yawning' if kind == 'yawn' else 'smiling'}",
            )
            screens += 1
            if on_screen is not None:
                on_screen(canvas)
            key = display.present(canvas)
            # the screen is redrawn at the clip's rate at most: spinning faster only takes CPU
            # from the face tracker (measured: 115 screens/s, 6 faces tracked at 17 fps)
            spare = 1.0 / SCREEN_FPS - (clock() - now)
            if spare > 0:
                time.sleep(spare)
            if key == KEY_CLOSED:
                quit_reason = "window closed"
                break
            if key != -1:
                key &= 0xFF
                if key in (KEY_ESC, KEY_Q):
                    quit_reason = "key"
                    log_event(now, "key", None, "q")
                    break
                if key == KEY_SPACE:
                    paused = playlist.toggle_pause(now)
                    log_event(now, "pause" if paused else "resume", None, "space")
                elif key == ord("n"):
                    log_event(now, "key", None, "n")
                    end_clip_early(now)
                    begin(playlist.skip(now))
                elif key == ord("r"):
                    log_event(now, "key", None, "r")
                    with lock:
                        tally.reset(now)
                elif key == ord("f"):
                    display.toggle_fullscreen()
    finally:
        stop.set()
        tracker.join(timeout=30)
        if cap is not None:
            cap.release()
        end = clock()
        if playlist.current.end_s is None:
            playlist.current.end_s = end
        table = tally.table()
        if writers is not None:
            end_clip_early(end)
            log_event(end, "session_end", detail=quit_reason)
            for w in writers.values():
                w.close()
            from .session import write_outputs

            write_outputs(folder, {"demo_results.csv": (table, DEMO_RESULTS)})
            meta.update(
                {
                    "status": status,
                    "end_time": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "duration_s": round(end, 3),
                    "camera_frames": live["frames"],
                    "camera_frames_dropped": int(source.dropped),
                    "ended_by": quit_reason,
                }
            )
            if live["error"] is not None:
                meta["error"] = str(live["error"])
            write_json_atomic(folder / "session.json", meta)
    if live["error"] is not None:
        err = live["error"]
        raise err if isinstance(err, MimicryError) else MimicryError(f"tracking failed: {err}")
    if display is not None and quit_reason in ("key", "time up", "camera ended"):
        canvas = screen.results(table, kind)
        if on_screen is not None:
            on_screen(canvas)
        display.present(canvas)
        display.wait_key(None if should_quit is None else 2.0)
    return DemoResult(table, folder, live["frames"], int(source.dropped), end, screens)
