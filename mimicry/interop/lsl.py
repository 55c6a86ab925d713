"""Lab Streaming Layer: the viewer's signals and the session's events, live, on LSL's clock.

Two streams (``--lsl`` on ``mimicry run``, ``mimicry demo`` and ``mimicry track --camera`` or
``--realtime``):

- type ``FaceSignals`` (name ``mimicry``): one sample per row of ``frames.csv`` (one per face
  per camera frame; a row with ``detected`` 0 and empty signals when no face is seen), channels
  :func:`face_channels` in ``double64``, at the camera's nominal rate;
- type ``Markers`` (name ``mimicry-markers``, sessions only): one string sample per line of
  ``events_log.csv``, ``event;block;detail`` (empty fields kept, e.g. ``block_start;0;smile-man-a``
  or ``pause;;space``).

Every sample is stamped with its **capture** time on LSL's clock (``local_clock``): the session
clock ``t_s`` plus the monotonic time of its origin plus the offset between Python's monotonic
clock and LSL's, measured when the streams open. Rows leave the tracker about one second after
capture (the yawn window, see the docs: Signals), so samples arrive late but carry the right
time; a recorder such as LabRecorder stores those times. Events logged after the fact (a
viewer's yawn onset in the demo) are stamped with the time they happened, so marker times are
not always increasing.

``pylsl`` is an optional dependency (``pip install "mimicry[lsl]"``).
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import MimicryError
from ..schema import BLENDSHAPE_NAMES, SESSION_FRAMES, TRACK, Column
from ..version import __version__

NAME = "mimicry"
"""Name of the ``FaceSignals`` stream; the markers stream is ``<name>-markers``."""
LINGER_S = 0.5
"""Seconds the outlets stay open after the last sample when a consumer is connected."""
_SIGNALS = ("smile", "yawn", "blink", "mouth_open", "mouth_visible", "yaw_deg", "pitch_deg", "roll_deg")


@dataclass(frozen=True)
class LslConfig:
    """Options of ``--lsl``: the stream name and whether the 52 blendshapes are sent too."""

    name: str = NAME
    blendshapes: bool = False


def face_channels(session: bool, blendshapes: bool = False) -> list[Column]:
    """The ``FaceSignals`` channels: ``frame``, ``face`` (NaN on a no-face row), ``detected``,
    ``block`` in a session (NaN outside blocks), the signals, then optionally the blendshapes."""
    schema = SESSION_FRAMES if session else TRACK
    names = ["frame", "face", "detected", *(["block"] if session else []), *_SIGNALS]
    cols = [schema.column(n) for n in names]
    if blendshapes:
        cols += [TRACK.column(n) for n in BLENDSHAPE_NAMES]
    return cols


def _channel_type(name: str) -> str:
    if name in _SIGNALS:
        return "FaceSignal"
    return "Index" if name in ("frame", "face", "detected", "block") else "Blendshape"


def load_pylsl():
    """The ``pylsl`` module, or a one-line error saying how to install it."""
    try:
        import pylsl
    except ImportError:
        raise MimicryError("--lsl needs pylsl: pip install 'mimicry[lsl]'") from None
    except RuntimeError as e:  # pylsl is there but cannot load its liblsl
        raise MimicryError(f"--lsl: pylsl cannot load liblsl: {str(e).splitlines()[0]}") from None
    return pylsl


def clock_offset_s(local_clock: Callable[[], float], tries: int = 7) -> float:
    """LSL's clock minus Python's monotonic clock, s, from the tightest of ``tries`` readings."""
    best_gap, offset = math.inf, 0.0
    for _ in range(tries):
        a = time.monotonic()
        lsl = local_clock()
        b = time.monotonic()
        if b - a < best_gap:
            best_gap, offset = b - a, lsl - (a + b) / 2
    return offset


def _number(value) -> float:
    """A channel value: a number, or NaN for None, NA and anything else."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class LslStreams:
    """The outlets of one recording. Open before the session starts (a missing pylsl fails
    before any file is made); set :attr:`origin_monotonic` when the session clock starts.

    Parameters
    ----------
    config : LslConfig
    fps : float
        The camera's nominal frame rate, Hz (the stream's nominal rate).
    session : bool
        True for ``run`` and ``demo`` (a ``block`` channel and a markers stream).
    source_id : str
        Identifies the device across restarts (LSL recovers a stream by it).
    meta : dict, optional
        Written into the stream description (e.g. ``session_id``, ``participant``).
    """

    def __init__(self, config: LslConfig, fps: float, session: bool, source_id: str, meta: dict | None = None):
        pylsl = load_pylsl()
        self._clock = pylsl.local_clock
        self.channels = face_channels(session, config.blendshapes)
        self.origin_monotonic: float | None = None
        self.offset_s = clock_offset_s(self._clock)
        self._lock = threading.Lock()
        info = pylsl.StreamInfo(
            config.name, "FaceSignals", len(self.channels), float(fps), pylsl.cf_double64, source_id
        )
        self._describe(info.desc(), meta or {})
        self.signals = pylsl.StreamOutlet(info)
        self.markers = None
        if session:
            minfo = pylsl.StreamInfo(
                f"{config.name}-markers", "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, f"{source_id}-markers"
            )
            self._describe(minfo.desc(), meta or {}, channels=False)
            self.markers = pylsl.StreamOutlet(minfo)

    def _describe(self, desc, meta: dict, channels: bool = True) -> None:
        desc.append_child_value("manufacturer", "mimicry")
        desc.append_child_value("version", __version__)
        desc.append_child_value("host", socket.gethostname())
        desc.append_child_value("timestamps", "capture time of the camera frame (or of the event) on local_clock")
        for key, value in meta.items():
            desc.append_child_value(key, "" if value is None else str(value))
        if not channels:
            desc.append_child_value("format", "event;block;detail, as the columns of events_log.csv")
            return
        chans = desc.append_child("channels")
        for c in self.channels:
            ch = chans.append_child("channel")
            ch.append_child_value("label", c.name)
            ch.append_child_value("unit", c.unit)
            ch.append_child_value("type", _channel_type(c.name))
            ch.append_child_value("description", c.description)

    def lsl_time(self, t_s: float) -> float:
        """Session time ``t_s`` on LSL's clock, s."""
        if self.origin_monotonic is None:
            raise RuntimeError("LslStreams.origin_monotonic is not set")
        return self.origin_monotonic + float(t_s) + self.offset_s

    def push_row(self, row: dict) -> None:
        """One ``frames.csv`` row as one sample."""
        sample = [_number(row.get(c.name)) for c in self.channels]
        with self._lock:
            if self.signals is not None:
                self.signals.push_sample(sample, self.lsl_time(row["t_s"]))

    def push_event(self, t_s: float, event: str, block: int | None = None, detail: str = "") -> None:
        """One ``events_log.csv`` line as one marker."""
        b = _number(block)
        text = f"{event};{'' if math.isnan(b) else int(b)};{detail or ''}"
        with self._lock:
            if self.markers is not None:
                self.markers.push_sample([text], self.lsl_time(t_s))

    def close(self) -> None:
        """Close the outlets (inlets see the streams end). With a consumer connected they stay
        open :data:`LINGER_S` first: liblsl drops what it has not yet sent when an outlet goes."""
        with self._lock:
            outlets = [o for o in (self.signals, self.markers) if o is not None]
            self.signals = self.markers = None
        if any(o.have_consumers() for o in outlets):
            time.sleep(LINGER_S)
        outlets.clear()  # liblsl destroys an outlet with its last reference


def source_id_for(source) -> str:
    """A stream source id for a camera or a file replayed as one: host and device."""
    path = getattr(source, "path", None)
    where = Path(path).name if path is not None else f"camera{getattr(source, 'index', '')}"
    return f"mimicry-{socket.gethostname()}-{where}"
