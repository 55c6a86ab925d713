"""XDF recordings (LabRecorder) read into mimicry's tables: the viewer's ``FaceSignals`` stream
(``--lsl`` on ``run``, ``record``, ``demo`` or ``track``) as track rows, every ``Markers``
stream as (time, text) rows, all on one clock.

The file is read with pyxdf (``pip install "mimicry[xdf]"``), its clock offsets applied
(``synchronize_clocks``: each stream's stamps moved onto the recording machine's clock) and
**without dejitter**: pyxdf's default ``dejitter_timestamps=True`` refits every stream's stamps
to a regular grid, which moves a camera stream's stamps by up to seconds where frames were
dropped (on a real session, a smile verdict's effect went from 0.66 to 0.52). mimicry's stamps
are capture times already: they are kept as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MimicryError, SessionError
from ..schema import TRACK

OWN_MARKERS_FORMAT = "event;block;detail"
"""How mimicry's own ``Markers`` stream writes each ``events_log.csv`` line."""


@dataclass
class XdfStream:
    """One stream of an XDF file: its name, type, source id, channel labels, stamps (s) and samples."""

    name: str
    type: str
    source_id: str
    labels: list[str]
    stamps: np.ndarray
    samples: list | np.ndarray
    nominal_srate: float = 0.0
    """The stream's declared rate, Hz (0: irregular)."""

    @property
    def mimicry(self) -> bool:
        """Written by mimicry (``--lsl``): its source id starts with ``mimicry-``."""
        return self.source_id.startswith("mimicry-")


def load_pyxdf():
    try:
        import pyxdf
    except ImportError:
        raise MimicryError("reading XDF needs pyxdf: pip install 'mimicry[xdf]'") from None
    return pyxdf


def read_xdf(path: str | Path) -> list[XdfStream]:
    """Every stream of an XDF file, clock offsets applied, stamps as recorded (no dejitter).

    Raises
    ------
    SessionError
        Not a readable XDF file.
    """
    pyxdf = load_pyxdf()
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"no XDF file {path}")
    try:
        raw, _header = pyxdf.load_xdf(str(path), synchronize_clocks=True, dejitter_timestamps=False)
    except Exception as e:  # pyxdf raises anything from struct.error to its own errors
        raise SessionError(f"{path}: not a readable XDF file ({type(e).__name__}: {e})") from None
    return [_stream(s) for s in raw]


def _stream(s: dict) -> XdfStream:
    info = s["info"]

    def first(key: str) -> str:
        v = info.get(key) or [""]
        return str(v[0])

    try:
        rate = float(first("nominal_srate") or 0.0)
    except ValueError:
        rate = 0.0
    stamps = np.asarray(s["time_stamps"], float)
    return XdfStream(first("name"), first("type"), first("source_id"), _labels(info), stamps, s["time_series"], rate)


def _labels(info: dict) -> list[str]:
    desc = (info.get("desc") or [None])[0]
    try:
        return [str(c["label"][0]) for c in desc["channels"][0]["channel"]]
    except (TypeError, KeyError, IndexError):
        return []


def face_rows(stream: XdfStream, *, t0: float) -> pd.DataFrame:
    """A ``FaceSignals`` stream as track rows: one per sample, its channels by label (those that
    are track columns), ``t_s`` its stamp minus ``t0``.

    Raises
    ------
    SessionError
        No channel labels, no ``frame`` or ``detected`` channel, or stamps that go back in time.
    """
    need = {"frame", "detected", "smile", "yawn"}
    if not need <= set(stream.labels):
        missing = ", ".join(sorted(need - set(stream.labels)))
        raise SessionError(
            f"stream {stream.name!r}: no {missing} channel(s) (labels: {', '.join(stream.labels) or 'none'})"
        )
    if stream.stamps.size and np.any(np.diff(stream.stamps) < -1e-6):
        i = int(np.flatnonzero(np.diff(stream.stamps) < -1e-6)[0])
        raise SessionError(
            f"stream {stream.name!r}: sample {i + 1} is stamped {stream.stamps[i] - stream.stamps[i + 1]:.3f} s "
            "before the one ahead of it (a clock that went back): cannot put it on one timeline"
        )
    values = np.asarray(stream.samples, float).reshape(len(stream.stamps), len(stream.labels))
    known = set(TRACK.names)
    rows = pd.DataFrame({name: values[:, i] for i, name in enumerate(stream.labels) if name in known})
    rows.insert(0, "t_s", stream.stamps - t0)
    for col in ("frame", "detected"):
        rows[col] = rows[col].astype(int)
    rows["face"] = rows["face"].astype("Int64") if "face" in rows else pd.array([0] * len(rows), "Int64")
    return rows


def marker_rows(stream: XdfStream, *, t0: float) -> pd.DataFrame:
    """A ``Markers`` stream as ``t_s`` and ``text``, in time order (mimicry's own markers are
    ``event;block;detail``)."""
    texts = [str(s[0]) if len(s) else "" for s in stream.samples]
    out = pd.DataFrame({"t_s": stream.stamps - t0, "text": texts})
    return out.sort_values("t_s", kind="stable").reset_index(drop=True)


def own_marker_text(text: str) -> str:
    """mimicry's own marker (``block_start;0;smile-man-a``) in the default vocabulary
    (``onset:smile-man-a``); other events unchanged."""
    event, _, rest = text.partition(";")
    _block, _, detail = rest.partition(";")
    if event == "block_start":
        return f"onset:{detail}"
    if event == "block_end":
        return f"offset:{detail}"
    return text
