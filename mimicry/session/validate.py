"""Checks that a session folder's files are what a recording writes, before anything is analysed.

A session that was cut, edited by hand, duplicated or written by a newer mimicry must be
refused with one line that names the file and the problem, never analysed as if it were whole.
Pure functions over what :mod:`mimicry.session.folder` has read; each raises
:class:`~mimicry.errors.SessionError`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SessionError
from ..version import __version__

SESSION_FORMAT = 1
"""Version of the session folder's format that this mimicry writes and reads (``session.json``'s ``format``)."""
MAX_CAMERA_FPS = 240.0
"""Highest camera rate a session may declare, frames/s."""
FPS_AGREEMENT = 10.0
"""``camera_fps`` may differ from the rate of ``frames.csv``'s frame times by at most this factor
(a webcam in low light delivers a quarter of its nominal rate or less; 999 for a 30 fps camera
is an error)."""
KINDS = ("smile", "yawn", "control")


def _row(mask: np.ndarray) -> int:
    """The CSV line number (header = 1) of the first true entry."""
    return int(np.flatnonzero(mask)[0]) + 2


def check_file_end(path: Path, *, recorded: bool) -> None:
    """Refuse a CSV whose last record was cut: one that does not end in a line break (a file
    mimicry ``recorded``) or whose last line has fewer fields than its header (any file)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(size - 65536, 0))
        tail = f.read()
        f.seek(0)
        head = f.readline()
    if not tail or tail.endswith(b"\n"):
        return
    if recorded:
        raise SessionError(f"{path}: the last row is cut off (no line break at the end): the file was truncated")
    last = tail.rsplit(b"\n", 1)[-1]
    if b'"' not in last and last.count(b",") < head.count(b","):
        raise SessionError(
            f"{path}: the last row has {last.count(b',') + 1} of {head.count(b',') + 1} fields: the file was cut off"
        )


def check_frames(frames: pd.DataFrame, path: Path) -> None:
    """Refuse a ``frames.csv`` with impossible values: a missing or non-finite time or frame
    index, ``detected`` other than 0/1, a signal outside 0-1 or infinite, a face id on a
    no-face row missing where a face was found, or a (frame, face) pair twice."""
    _finite(frames, "t_s", path)
    _whole(frames, "frame", path)
    if "block" in frames:  # frames made from an OpenFace CSV have none
        _whole(frames, "block", path, missing_ok=True)
    det = frames["detected"].to_numpy(float)
    bad = ~np.isin(det, (0.0, 1.0))
    if bad.any():
        raise SessionError(f"{path}: column detected must be 0 or 1, row {_row(bad)} has {det[bad][0]!r}")
    _whole(frames, "face", path, missing_ok=True)
    no_face = frames["face"].isna().to_numpy() & (det == 1)
    if no_face.any():
        raise SessionError(f"{path}: row {_row(no_face)} says a face was detected but has no face id")
    for col in ("smile", "yawn"):
        _unit_interval(frames, col, path)
    dup = frames.duplicated(["frame", "face"]).to_numpy()
    if dup.any():
        raise SessionError(f"{path}: row {_row(dup)} repeats frame {frames['frame'].iloc[_row(dup) - 2]} of its face")


def check_stimulus_log(log: pd.DataFrame, path: Path) -> None:
    """Refuse a ``stimulus_log.csv`` with a missing or non-finite time, a bad block or frame
    index, an unknown kind, an actor signal outside 0-1, or a stimulus frame logged twice."""
    _finite(log, "t_s", path)
    _finite(log, "stimulus_t_s", path)
    for col in ("block", "stimulus_frame"):
        _whole(log, col, path)
    kinds = log["kind"].astype(str)
    bad = ~kinds.isin(KINDS).to_numpy()
    if bad.any():
        raise SessionError(
            f"{path}: column kind must be one of {', '.join(KINDS)}, row {_row(bad)} has {kinds.iloc[_row(bad) - 2]!r}"
        )
    for col in ("smile", "yawn"):
        _unit_interval(log, col, path)
    dup = log.duplicated(["block", "stimulus_frame"]).to_numpy()
    if dup.any():
        raise SessionError(f"{path}: row {_row(dup)} logs a stimulus frame of its block a second time")


def check_meta(meta: dict, meta_path: Path, frames: pd.DataFrame) -> None:
    """Refuse a ``session.json`` of a newer format or mimicry, or whose ``camera_fps`` is not a
    camera's rate or disagrees with the frame times of ``frames.csv``."""
    fmt = meta.get("format", SESSION_FORMAT)
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        raise SessionError(f"{meta_path}: format must be a whole number from 1, got {fmt!r}")
    if fmt > SESSION_FORMAT:
        raise SessionError(
            f"{meta_path}: session format {fmt} is newer than this mimicry {__version__} reads "
            f"({SESSION_FORMAT}): upgrade mimicry"
        )
    versions = meta.get("versions")
    written_by = versions.get("mimicry") if isinstance(versions, dict) else None
    if isinstance(written_by, str) and _release(written_by) > _release(__version__):
        raise SessionError(
            f"{meta_path}: recorded by mimicry {written_by}, newer than this mimicry {__version__}: upgrade mimicry"
        )
    fps = meta["camera_fps"]
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (0 < fps <= MAX_CAMERA_FPS):
        raise SessionError(
            f"{meta_path}: camera_fps must be a number above 0 and at most {MAX_CAMERA_FPS:g}, got {fps!r}"
        )
    measured = frame_rate(frames)
    if measured is not None and not (1 / FPS_AGREEMENT <= fps / measured <= FPS_AGREEMENT):
        raise SessionError(
            f"{meta_path}: camera_fps {fps:g} disagrees with frames.csv, whose frames come {measured:.3g} times a second"
        )


def check_recorded_files(meta: dict, folder: Path, counts: dict[str, int]) -> list[str]:
    """Compare the files with what ``session.json`` says was recorded (``files``, written when
    the session ended). Returns a warning per file changed since (its sha256 differs: sorted,
    edited by hand), which may still be analysed correctly.

    Raises
    ------
    SessionError
        A file has other rows than were recorded: rows were lost, cut or added.
    """
    from ..sensing.model import sha256_file

    recorded = meta.get("files")
    if not isinstance(recorded, dict):
        return []
    warnings = []
    for name, n in counts.items():
        entry = recorded.get(name)
        if not isinstance(entry, dict) or not (folder / name).is_file():
            continue
        want = entry.get("rows")
        if isinstance(want, int) and not isinstance(want, bool) and want != n:
            raise SessionError(
                f"{folder / name}: {n} rows, but {want} were recorded (session.json files): "
                "the file was cut, edited or added to"
            )
        if isinstance(entry.get("sha256"), str) and sha256_file(folder / name) != entry["sha256"]:
            warnings.append(f"{name} was changed after recording (its sha256 differs from session.json's)")
    return warnings


def frame_rate(frames: pd.DataFrame) -> float | None:
    """Frames per second of ``frames.csv`` (1 / the median step between distinct frame times), or None."""
    t = np.unique(frames["t_s"].to_numpy(float))
    if t.size < 3:
        return None
    step = float(np.median(np.diff(t)))
    return 1.0 / step if step > 0 else None


def _release(version: str) -> tuple[int, int]:
    """(major, minor) of a version string; (0, 0) if it has none."""
    m = re.match(r"(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _finite(df: pd.DataFrame, col: str, path: Path) -> None:
    v = df[col].to_numpy(float)
    bad = ~np.isfinite(v)
    if bad.any():
        raise SessionError(f"{path}: column {col} must be a finite number, row {_row(bad)} has {_cell(v[bad][0])}")


def _whole(df: pd.DataFrame, col: str, path: Path, *, missing_ok: bool = False) -> None:
    v = df[col].to_numpy(float)
    bad = (np.isnan(v) & (not missing_ok)) | (np.isfinite(v) & ((v < 0) | (v != np.round(v)))) | np.isinf(v)
    if bad.any():
        raise SessionError(
            f"{path}: column {col} must be a whole number 0 or more, row {_row(bad)} has {_cell(v[bad][0])}"
        )


def _unit_interval(df: pd.DataFrame, col: str, path: Path) -> None:
    v = df[col].to_numpy(float)
    bad = np.isinf(v) | (np.isfinite(v) & ((v < -1e-6) | (v > 1 + 1e-6)))
    if bad.any():
        raise SessionError(
            f"{path}: column {col} must be from 0 to 1 (or empty), row {_row(bad)} has {_cell(v[bad][0])}"
        )


def _cell(value: float) -> str:
    return "an empty cell" if math.isnan(value) else repr(float(value))
