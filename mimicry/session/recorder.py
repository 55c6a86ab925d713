"""Record the viewer while another program shows the clips: the presenter says when each clip
starts and stops (markers), mimicry films, tracks and logs (``mimicry record``, and
:class:`Recorder` for a PsychoPy code component or any Python script)::

    with mimicry.Recorder(camera=0, participant="P01", out="sessions") as rec:
        rec.mark("onset", stimulus="yawn-man-a")   # as the clip's first frame is shown
        ...
        rec.mark("offset", stimulus="yawn-man-a")

The session folder is the one ``mimicry run`` writes: ``frames.csv`` as it goes; each clip's
``stimulus_log.csv`` rows (one per clip frame, with the actor's smile and yawn) and the actor's
onsets in ``events_log.csv`` when the clip ends (its offset, the next onset or the end of the
session: a clip not stopped is taken as shown whole); every marker that is no clip's onset or
offset is kept as a ``marker`` event. Marker times are on the session clock (0 when the
recording starts); :mod:`mimicry.interop.markers` turns LSL and socket markers into them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import MimicryError
from ..sensing.model import resolve_model
from ..sensing.pipeline import TrackConfig, open_landmarker
from ..stimuli.library import Stimulus, load_library
from .camera import open_camera
from .clips import actor_events, actor_tracks
from .engine import LiveSession, base_meta, check_participant, create_session_folder, new_participant_id
from .onsets import PlacedBlock, find_stimulus, stimulus_log_rows
from .schedule import Timeline


@dataclass(frozen=True)
class RecorderConfig:
    """What a :class:`Recorder` records with."""

    participant: str | None = None
    """Pseudonymous id; a random one if not given."""
    out: Path = Path("sessions")
    library: Path | None = None
    """The stimulus library that has the clips shown; ``None`` for the shipped one."""
    max_faces: int = 1
    model: Path | None = None
    camera_size: tuple[int, int] | None = None
    markers: str = "api"
    """Where the markers come from, for ``session.json``: ``api``, ``lsl``, ``tcp:PORT``, ``udp:PORT``."""


@dataclass
class _Open:
    block: int
    stimulus: Stimulus
    onset_s: float


class Recorder:
    """A session whose clips another program shows (see the module docstring).

    Parameters
    ----------
    camera : int | str | Path
        A webcam index, or a video file replayed as a camera (``sample``: the bundled viewer).
    config : RecorderConfig
    lsl : LslConfig, optional
        mimicry's own outlets (``--lsl``: the viewer's signals and the events, live), opened at
        the camera's rate.
    on_note : callable, optional
        Called with a one-line warning while recording (camera frames skipped: a busy computer).
    **options
        Fields of :class:`RecorderConfig` (``participant="P01"``, ``out="sessions"``, ...).

    Everything is checked (library, participant, camera, model) before the session folder is
    made; :meth:`start` starts the clock (also on entering a ``with`` block), :meth:`close` ends
    the session (also on leaving it; ``aborted`` after an exception).
    """

    def __init__(
        self,
        camera: int | str | Path = 0,
        config: RecorderConfig = RecorderConfig(),
        *,
        lsl=None,
        on_note: Callable[[str], None] | None = None,
        **options,
    ):
        config = RecorderConfig(**{**config.__dict__, **options}) if options else config
        self.config = config
        self.library = load_library(config.library)
        self.participant = check_participant(config.participant) if config.participant else new_participant_id()
        model_path = resolve_model(config.model)
        track = TrackConfig(max_faces=config.max_faces, model=model_path if config.model else None)
        self.source = open_camera(camera, config.camera_size)
        self.timeline = Timeline()
        landmarker = streams = None
        try:
            if lsl is not None:  # at the camera's own rate, open before the clock starts
                from ..interop.lsl import LslStreams, source_id_for

                streams = LslStreams(
                    lsl, self.source.nominal_fps, True, source_id_for(self.source), {"participant": self.participant}
                )
            landmarker = open_landmarker(self.source, track)
            self.folder = create_session_folder(Path(config.out), self.participant)
        except BaseException:
            if landmarker is not None:
                landmarker.close()
            if streams is not None:
                streams.close()
            self.source.close()
            raise
        meta = base_meta(self.folder, self.participant, self.source, model_path)
        meta.update({"protocol": None, "blocks": [], "library": str(self.library.root), "markers": config.markers})
        self.live = LiveSession(
            self.source,
            track,
            self.folder,
            meta,
            on_row=lambda row: row.__setitem__("block", self.timeline.block_at(row["t_s"])),
            lsl=streams,
            landmarker=landmarker,
            on_note=on_note,
        )
        self._lock = threading.Lock()
        self._open: _Open | None = None
        self._blocks = 0
        self._unknown: set[str] = set()
        self._actors: dict[str, tuple[list[tuple[float, str]], dict]] = {}
        self.ended = threading.Event()
        """Set by an ``end`` marker (or :meth:`close`)."""
        self.started = False

    # -- the clock and the markers --------------------------------------------------------------
    def start(self) -> Recorder:
        """Start the session clock, the camera and the tracker."""
        if not self.started:
            self.live.start()
            self.live.log_event(0.0, "session_start", detail=f"markers: {self.config.markers}")
            self.started = True
        return self

    def clock(self) -> float:
        """Session time now, s."""
        return self.live.clock()

    @property
    def camera_ended(self) -> bool:
        """True once the camera stopped for good (a replayed video ended) or the tracker failed."""
        return self.live.camera_end_s is not None or self.live.error is not None

    def mark(self, action: str, stimulus: str = "", *, t_s: float | None = None, text: str = "") -> None:
        """One marker at session time ``t_s`` (now if not given): ``onset`` or ``offset`` of the
        clip ``stimulus`` (library id, file name or sha256), ``end``, or anything else (kept in
        ``events_log.csv`` as a ``marker`` with ``text``, or ``action``, as its detail)."""
        t = self.clock() if t_s is None else float(t_s)
        with self._lock:
            if action == "onset":
                self._onset(t, stimulus, text)
            elif action == "offset":
                self._offset(t, stimulus, text)
            elif action == "end":
                self._close_open(t)
                self.live.log_event(t, "marker", detail=text or "end")
                self.ended.set()
            else:
                self.live.log_event(t, "marker", detail=text or action)

    def _onset(self, t: float, name: str, text: str) -> None:
        s = find_stimulus(name, self.library) if name else None
        if s is None:
            self._unknown_marker(t, name, text or f"onset:{name}")
            return
        self._close_open(t)
        self._open = _Open(self._blocks, s, t)
        self._blocks += 1
        self.timeline.begin(self._open.block, t)
        self.live.log_event(t, "block_start", self._open.block, s.id)

    def _offset(self, t: float, name: str, text: str) -> None:
        s = find_stimulus(name, self.library) if name else None
        if s is None:
            self._unknown_marker(t, name, text or f"offset:{name}")
        elif self._open is None or s.id != self._open.stimulus.id:
            self.live.log_event(t, "marker", detail=(text or f"offset:{name}") + " (that clip is not on screen)")
        else:
            self._close_open(t)

    def _unknown_marker(self, t: float, name: str, text: str) -> None:
        self.live.log_event(t, "marker", detail=text)
        if name and name not in self._unknown:
            self._unknown.add(name)
            self.live.meta.setdefault("warnings", []).append(
                f"markers name {name!r}, which is not in the library {self.library.root}: kept as markers"
            )

    def _close_open(self, t: float) -> None:
        """End the clip on screen at ``t`` (at most its length): its stimulus_log rows, the
        actor's onsets shown, ``block_end``."""
        o, self._open = self._open, None
        if o is None:
            return
        if t < o.onset_s:
            self.live.meta.setdefault("warnings", []).append(
                f"a marker at {t:.3f} s came before the onset of {o.stimulus.id} at {o.onset_s:.3f} s "
                "(clocks out of order?): the clip is taken as shown whole"
            )
            t = o.onset_s + o.stimulus.duration_s
        block = PlacedBlock(o.block, o.stimulus, o.onset_s, min(t - o.onset_s, o.stimulus.duration_s), line=0)
        events, track = self._actor(o.stimulus)
        for row in stimulus_log_rows([block], track).to_dict("records"):
            self.live.log_stimulus(row)
        for onset, kind in events:
            if onset < block.shown_s:
                self.live.log_event(o.onset_s + onset, f"stimulus_{kind}", o.block, o.stimulus.id)
        self.timeline.end(o.block, block.end_s)
        self.live.log_event(block.end_s, "block_end", o.block, o.stimulus.id)
        self.live.meta["blocks"].append(block.meta())
        self.live.write_meta()

    def _actor(self, s: Stimulus) -> tuple[list[tuple[float, str]], dict]:
        """The actor's smile and yawn onsets and offsets in clip ``s`` (:func:`~.clips.actor_events`)
        and its per-frame signals (read once per clip)."""
        if s.id not in self._actors:
            self._actors[s.id] = (actor_events(self.library, s), actor_tracks(self.library, [s]))
        return self._actors[s.id]

    # -- the end --------------------------------------------------------------------------------
    def close(self, status: str = "complete") -> Path:
        """End the session: the clip still on screen ends now, the files close, ``session.json``
        is completed; returns the folder. Raises a tracker or disk error after closing."""
        if not self.started:
            self.start()
        self.live.stop_tracking()
        with self._lock:
            self._close_open(self.clock())
        self.ended.set()
        if not self.live.meta["blocks"] and status == "complete":
            self.live.meta.setdefault("warnings", []).append("no clip onset was marked: nothing to analyse")
            status = "incomplete"
        self.live.finish(status)
        return self.folder

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        status = "complete" if exc_type is None else "aborted"
        try:
            self.close(status)
        except MimicryError:
            if exc_type is None:
                raise
