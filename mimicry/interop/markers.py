"""Markers from the program that shows the clips, on the session clock (``mimicry record --markers``).

- **LSL** (:class:`LslMarkers`): an LSL stream of type ``Markers`` (PsychoPy, jsPsych through
  its LSL bridge, Presentation, E-Prime's LSL extension). Each marker keeps **its own timestamp**
  (a presenter that stamps its samples with the flip time gets the flip time), corrected for the
  offset between the presenter's machine and this one (LSL's ``time_correction``, refreshed every
  few seconds), then moved onto the session clock. ``pylsl`` is an optional dependency.
- **A socket** (:class:`SocketMarkers`): lines of text over TCP or UDP on 127.0.0.1 (E-Prime's and
  Presentation's socket devices), each stamped when it arrives.

Either way each marker goes to a :class:`~mimicry.session.recorder.Recorder` through a
:class:`~mimicry.session.onsets.MarkerVocabulary`; what it does not know is kept as a ``marker``
event. A marker stream that vanishes is logged (``markers_lost``) and warned about in
``session.json``; the recording goes on.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from ..errors import MimicryError
from ..session.onsets import MarkerVocabulary
from .lsl import clock_offset_s, load_pylsl

CORRECTION_EVERY_S = 5.0
"""How often LSL's clock offset to the presenter's machine is measured again, s."""
OWN_SOURCE_PREFIX = "mimicry-"
"""Source ids of mimicry's own outlets (``--lsl``), never taken as the presenter's markers."""


class _Markers:
    """A thread that hands every marker to ``recorder.mark`` until :meth:`close`."""

    def __init__(self, vocabulary: MarkerVocabulary):
        self.vocabulary = vocabulary
        self.recorder: Any = None  # the Recorder, from start()
        self.received = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, recorder) -> None:
        """Hand every marker from now on to ``recorder`` (started: its clock runs)."""
        self.recorder = recorder
        self._thread = threading.Thread(target=self._guarded, name="markers", daemon=True)
        self._thread.start()

    def describe(self) -> dict:
        """What ``session.json`` records about the markers' source."""
        return {}

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException as e:  # handed to the main thread through the session
            self.recorder.live.fail(e)

    def _run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def deliver(self, text: str, t_s: float) -> None:
        action, stimulus = self.vocabulary.parse(text)
        self.received += 1
        self.recorder.mark(action or "marker", stimulus, t_s=t_s, text=text)

    def lost(self, why: str) -> None:
        t = self.recorder.clock()
        self.recorder.live.log_event(t, "markers_lost", detail=why)
        self.recorder.live.meta.setdefault("warnings", []).append(
            f"the marker stream stopped at {t:.1f} s ({why}): later clips were not marked"
        )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


class LslMarkers(_Markers):
    """Markers from an LSL ``Markers`` stream (see the module docstring).

    Parameters
    ----------
    vocabulary : MarkerVocabulary
    name : str, optional
        The stream's name, when more than one ``Markers`` stream is on the network.
    timeout_s : float
        How long to look for the stream before giving up, s.

    Raises
    ------
    MimicryError
        No such stream found, or several and no name given.
    """

    def __init__(self, vocabulary: MarkerVocabulary, *, name: str | None = None, timeout_s: float = 10.0):
        super().__init__(vocabulary)
        pylsl = load_pylsl()
        self._pylsl = pylsl
        found = _resolve_markers(pylsl, name, timeout_s)
        if not found:
            named = f" named {name!r}" if name else ""
            raise MimicryError(f"no LSL Markers stream{named} found in {timeout_s:g} s (is the presenter running?)")
        if len(found) > 1 and name is None:
            names = ", ".join(sorted({s.name() for s in found}))
            raise MimicryError(f"several LSL Markers streams ({names}): name one with --marker-stream")
        self.stream = found[0].name()
        self.inlet = pylsl.StreamInlet(found[0], recover=False)
        self.inlet.open_stream(timeout=timeout_s)  # connected before the session starts: no marker missed
        self.offset_s = clock_offset_s(pylsl.local_clock)

    def describe(self) -> dict:
        origin = self.recorder.live.source.origin_monotonic if self.recorder is not None else None
        return {
            "source": "lsl",
            "stream": self.stream,
            "lsl_time_at_session_0_s": None if origin is None else origin + self.offset_s,
        }

    def session_time(self, lsl_stamp: float, correction_s: float) -> float:
        """A marker's session time: its stamp on the presenter's clock, plus the offset of that
        clock to this machine's LSL clock, minus the session's origin on it."""
        origin = self.recorder.live.source.origin_monotonic
        return lsl_stamp + correction_s - self.offset_s - origin

    def _run(self) -> None:
        correction, measured = self.inlet.time_correction(timeout=5.0), time.monotonic()
        while not self._stop.is_set():
            try:
                sample, stamp = self.inlet.pull_sample(timeout=0.2)
                if time.monotonic() - measured > CORRECTION_EVERY_S:
                    correction, measured = self.inlet.time_correction(timeout=2.0), time.monotonic()
            except self._pylsl.util.LostError:
                self.lost(f"LSL stream {self.stream!r} lost")
                return
            except TimeoutError:
                continue  # time_correction timed out: keep the last one
            if sample is not None:
                self.deliver(str(sample[0]), self.session_time(stamp, correction))

    def close(self) -> None:
        super().close()
        self.inlet.close_stream()


SETTLE_S = 1.0
"""After the first presenter stream is seen, how long to keep looking for others, s: one
discovery round on loopback does not always see every stream."""


def _resolve_markers(pylsl, name: str | None, timeout_s: float) -> list:
    """The presenter's ``Markers`` streams (not mimicry's own), gathered over several discovery
    rounds until :data:`SETTLE_S` after the first was seen, or ``timeout_s``."""
    deadline, first = time.monotonic() + timeout_s, None
    found: dict = {}
    while (now := time.monotonic()) < deadline and (first is None or now - first < SETTLE_S):
        prop, value = ("name", name) if name is not None else ("type", "Markers")  # a name: ask for it alone
        for s in pylsl.resolve_byprop(prop, value, minimum=1, timeout=min(1.0, deadline - now)):
            if s.type() == "Markers" and not s.source_id().startswith(OWN_SOURCE_PREFIX):
                found[s.uid()] = s
        if found and first is None:
            first = time.monotonic()
    return list(found.values())


class SocketMarkers(_Markers):
    """Lines of text over TCP or UDP on 127.0.0.1, each a marker stamped when it arrives.

    Parameters
    ----------
    vocabulary : MarkerVocabulary
    spec : str
        ``tcp:PORT`` or ``udp:PORT``.
    """

    def __init__(self, vocabulary: MarkerVocabulary, spec: str):
        super().__init__(vocabulary)
        self.kind, self.port = parse_socket_spec(spec)
        family = socket.SOCK_STREAM if self.kind == "tcp" else socket.SOCK_DGRAM
        self.sock = socket.socket(socket.AF_INET, family)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind(("127.0.0.1", self.port))
        except OSError as e:
            self.sock.close()
            raise MimicryError(f"cannot listen for markers on {spec}: {e.strerror or e}") from None
        if self.kind == "tcp":
            self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]  # port 0: the one the system chose

    def describe(self) -> dict:
        return {"source": self.kind, "address": f"127.0.0.1:{self.port}"}

    def _run(self) -> None:
        if self.kind == "udp":
            while not self._stop.is_set():
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    continue
                self._deliver_lines(data.split(b"\n"), self.recorder.clock())
            return
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self._lines(conn)

    def _lines(self, conn: socket.socket) -> None:
        """Every line of one TCP connection until it closes (a presenter may reconnect)."""
        conn.settimeout(0.2)
        pending = b""
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                *lines, pending = (pending + data).split(b"\n")  # a line may come in two pieces
                self._deliver_lines(lines, self.recorder.clock())

    def _deliver_lines(self, lines: list[bytes], t_s: float) -> None:
        """Each non-empty line a marker, all stamped ``t_s`` (when they arrived)."""
        for line in lines:
            text = line.decode("utf-8", "replace").strip()
            if text:
                self.deliver(text, t_s)

    def close(self) -> None:
        super().close()
        self.sock.close()


def parse_socket_spec(spec: str) -> tuple[str, int]:
    """``tcp:PORT`` / ``udp:PORT`` -> (kind, port).

    Raises
    ------
    MimicryError
        Anything else.
    """
    kind, _, port = spec.partition(":")
    if kind not in ("tcp", "udp") or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise MimicryError(f"--markers {spec!r}: lsl, tcp:PORT or udp:PORT (PORT 0-65535)")
    return kind, int(port)
