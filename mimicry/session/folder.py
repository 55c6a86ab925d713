"""Session folders on disk: read what a live session wrote, write what the analysis computed.

The file formats are in :mod:`mimicry.schema`. Reading validates everything first, with one clear
message per problem; writing puts every output in a temporary file and only then renames them
all, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..csvio import encode_row, trim_to_complete
from ..errors import MimicryError, SessionError
from ..io import read_csv_checked, read_table, write_json_atomic, write_outputs
from ..schema import FRAMES, SESSION_JSON_REQUIRED, STIMULUS_LOG


@dataclass
class SessionData:
    """A session folder's contents."""

    path: Path
    frames: pd.DataFrame
    stimulus_log: pd.DataFrame
    meta: dict
    warnings: list[str] = field(default_factory=list)
    """What the reader noticed but could still analyse (a file changed since it was recorded)."""

    @property
    def camera_fps(self) -> float:
        return float(self.meta["camera_fps"])


def read_session_json(folder: Path) -> dict:
    """``session.json`` of a folder, checked to be a JSON object."""
    meta_path = folder / "session.json"
    if not meta_path.is_file():
        raise SessionError(f"{folder}: no session.json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SessionError(f"{meta_path}: not valid JSON ({e})") from None
    if not isinstance(meta, dict):
        raise SessionError(f"{meta_path}: must hold a JSON object")
    return meta


OPENFACE_FILE = "openface.csv"
"""A session's viewer signals from OpenFace 2 instead of ``frames.csv`` (see :func:`read_session`)."""


def _viewer_frames(folder: Path) -> pd.DataFrame:
    """``frames.csv``, or, when a folder has none but an ``openface.csv``, frames made from it
    (:func:`mimicry.interop.frames_from_openface`, the video starting at session time
    ``openface_offset_s`` of ``session.json``, default 0)."""
    if not (folder / "frames.csv").is_file() and (folder / OPENFACE_FILE).is_file():
        from ..interop.openface import frames_from_openface

        try:
            raw = read_table(folder / OPENFACE_FILE)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
            raise SessionError(f"{folder / OPENFACE_FILE}: not a readable CSV ({type(e).__name__})") from None
        offset = read_session_json(folder).get("openface_offset_s", 0.0)
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            raise SessionError(f"{folder / 'session.json'}: openface_offset_s must be a number of seconds")
        try:
            return frames_from_openface(raw, float(offset))
        except MimicryError as e:
            raise SessionError(f"{folder / OPENFACE_FILE}: {e}") from None
    return read_csv_checked(folder / "frames.csv", FRAMES)


def read_session(folder: str | Path) -> SessionData:
    """Read and validate ``frames.csv``, ``stimulus_log.csv`` and ``session.json``.

    Raises
    ------
    SessionError
        The folder or a file is missing, a CSV lacks a required column, has non-numeric or
        impossible values, a cut-off last row or other rows than were recorded, or
        ``session.json`` lacks a key, has a bad ``camera_fps`` or comes from a newer mimicry
        (:mod:`mimicry.session.validate`).
    """
    folder = Path(folder)
    if not folder.exists():
        raise SessionError(f"session folder not found: {folder}")
    if not folder.is_dir():
        raise SessionError(f"not a session folder: {folder}")
    frames = _viewer_frames(folder)
    log = read_csv_checked(folder / "stimulus_log.csv", STIMULUS_LOG)
    meta_path = folder / "session.json"
    meta = read_session_json(folder)
    missing = [k for k in SESSION_JSON_REQUIRED if k not in meta]
    if missing:
        raise SessionError(f"{meta_path}: missing key(s) {', '.join(missing)}")
    warnings = _check_session(folder, frames, log, meta)
    frames = frames.sort_values(["t_s", "face"], kind="stable").reset_index(drop=True)
    log = log.sort_values("t_s", kind="stable").reset_index(drop=True)
    return SessionData(folder, frames, log, meta, warnings)


def _check_session(folder: Path, frames: pd.DataFrame, log: pd.DataFrame, meta: dict) -> list[str]:
    """Everything :mod:`.validate` checks: cut files, impossible values, ``session.json``;
    returns the warnings (files changed since they were recorded)."""
    from . import validate

    # written by mimicry's own writers (every row ends in a line break): a session that ended
    # properly (``files``), or a live session of an older mimicry (``pid``)
    recorded = isinstance(meta.get("files"), dict) or "pid" in meta
    for name in ("frames.csv", "stimulus_log.csv"):
        if (folder / name).is_file():
            validate.check_file_end(folder / name, recorded=recorded)
    counts = {"frames.csv": len(frames), "stimulus_log.csv": len(log)}
    warnings = validate.check_recorded_files(meta, folder, counts)
    validate.check_frames(frames, folder / "frames.csv")
    validate.check_stimulus_log(log, folder / "stimulus_log.csv")
    validate.check_meta(meta, folder / "session.json", frames)
    return warnings


def write_session(folder: str | Path, frames: pd.DataFrame, stimulus_log: pd.DataFrame, meta: dict) -> Path:
    """Write a session folder (used for simulated sessions and tests; live sessions stream), with
    each file's rows and sha256 in ``session.json``'s ``files``, as a live session records them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=False)
    tables = {"frames.csv": (frames, FRAMES), "stimulus_log.csv": (stimulus_log, STIMULUS_LOG)}
    write_outputs(folder, tables)
    write_json_atomic(folder / "session.json", {**meta, "files": files_record(folder, list(tables))})
    return folder


def files_record(folder: Path, names: list[str]) -> dict:
    """``session.json``'s ``files``: each CSV's data rows and sha256, as they are now."""
    from ..sensing.model import sha256_file

    out = {}
    for name in names:
        if (folder / name).is_file():
            with open(folder / name, encoding="utf-8", newline="") as f:
                rows = max(sum(1 for _ in csv.reader(f)) - 1, 0)  # records, not lines: a cell may hold a line break
            out[name] = {"rows": rows, "sha256": sha256_file(folder / name)}
    return out


ANALYSIS_FILES = ("verdicts.csv", "trials.csv", "scores.csv", "events.csv", "contagion.csv", "xcorr.csv")


def analyze_session(folder: str | Path, config=None) -> dict[str, Path]:
    """Read a session folder, analyse it, and write ``verdicts.csv``, ``trials.csv``, ``scores.csv``,
    ``events.csv``, ``contagion.csv`` and ``xcorr.csv`` into it (all or nothing), with
    ``analysis_config.json``. Returns the written paths by name."""
    if (Path(folder) / "session.json").is_file():
        repair_session(folder)  # a killed session is closed first (no-op for the others)
    return write_analysis(read_session(folder), config)


def write_analysis(data: SessionData, config=None) -> dict[str, Path]:
    """Analyse a session already read and write its analysis files (see :func:`analyze_session`)."""
    from ..analysis import AnalysisConfig, analyze
    from ..schema import CALIBRATION, CONTAGION, EVENTS, SCORES, TRIALS, VERDICTS, XCORR

    config = config or AnalysisConfig()
    result = analyze(
        data.frames,
        data.stimulus_log,
        data.camera_fps,
        config,
        calibration=data.meta.get("calibration"),
        timing=data.meta.get("timing"),
    )
    tables = {
        "verdicts.csv": (result.verdicts, VERDICTS),
        "trials.csv": (result.trials, TRIALS),
        "scores.csv": (result.scores, SCORES),
        "events.csv": (result.events, EVENTS),
        "contagion.csv": (result.contagion, CONTAGION),
        "xcorr.csv": (result.xcorr, XCORR),
    }
    if result.calibration is not None:
        tables["calibration.csv"] = (result.calibration, CALIBRATION)
    paths = write_outputs(data.path, tables)
    record = {**analysis_record(data.path, config), "input_warnings": data.warnings}
    paths.append(write_json_atomic(data.path / ANALYSIS_CONFIG, record))
    return {p.name: p for p in paths}


ANALYSIS_CONFIG = "analysis_config.json"
ANALYSIS_INPUTS = ("frames.csv", "openface.csv", "stimulus_log.csv", "session.json")


def analysis_record(folder: Path, config) -> dict:
    """What ``analysis_config.json`` holds: every analysis setting (``analysis``, which
    ``mimicry analyze --config`` reads back), the signal constants of this mimicry, the versions
    of mimicry and its numerical libraries, and the sha256 of each input file."""
    import platform
    from importlib import metadata

    from ..analysis.settings import to_dict
    from ..sensing.model import sha256_file
    from ..sensing.signals import DEFAULT_CONFIG
    from ..version import __version__

    versions = {"mimicry": __version__, "python": platform.python_version()}
    for name in ("numpy", "pandas", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "analysis": to_dict(config),
        "signals": to_dict(DEFAULT_CONFIG),
        "versions": versions,
        "inputs": {n: sha256_file(folder / n) for n in ANALYSIS_INPUTS if (folder / n).is_file()},
        "note": "analysis: the settings used (mimicry analyze --config FILE reruns with them); signals: the "
        "constants of this mimicry version, while frames.csv was computed by the version in session.json",
    }


def read_analysis_config(path: str | Path):
    """An :class:`~mimicry.analysis.AnalysisConfig` from a JSON file: an ``analysis_config.json``
    (its ``analysis`` part) or an object of settings alone. Missing settings keep their defaults.

    Raises
    ------
    SessionError
        The file is missing or not JSON; :class:`~mimicry.analysis.settings.SettingsError` for
        an unknown setting or a wrong value.
    """
    from ..analysis import AnalysisConfig
    from ..analysis.settings import from_dict

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SessionError(f"cannot read {path}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SessionError(f"{path}: not valid JSON ({e})") from None
    if isinstance(data, dict) and "analysis" in data:
        data = data["analysis"]
    return from_dict(AnalysisConfig, data, where=f"{path.name}: analysis")


# -- sessions that did not end properly ------------------------------------------------------------

SESSION_CSVS = ("frames.csv", "stimulus_log.csv", "events_log.csv")


def session_alive(meta: dict) -> bool:
    """True if the process that records this session still runs (same host, live pid)."""
    import socket

    pid, host = meta.get("pid"), meta.get("host")
    if meta.get("status") != "running" or not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


trim_partial_line = trim_to_complete  # the name the repair and older code use


def repair_session(folder: str | Path) -> dict:
    """Close a session that did not end properly (killed, power cut): cut half-written last
    lines, log its end, and mark ``session.json`` ``crashed`` with the true end (the last time
    any file recorded). Returns the updated metadata. A complete, aborted or already repaired
    session is left as it is.

    Raises
    ------
    SessionError
        No ``session.json``, or the recording process is still running.
    """
    import datetime as dt

    folder = Path(folder)
    meta = read_session_json(folder)
    if meta.get("status") != "running":
        return meta
    if session_alive(meta):
        raise SessionError(f"{folder}: the session is still recording (pid {meta['pid']})")
    last_t = 0.0
    frames_n = 0
    for name in SESSION_CSVS:
        p = folder / name
        if not p.is_file():
            continue
        trim_partial_line(p)
        try:
            df = read_table(p)
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        t = pd.to_numeric(df.get("t_s"), errors="coerce")
        if t is not None and t.notna().any():
            last_t = max(last_t, float(t.max()))
        if name == "frames.csv" and "frame" in df:
            frames_n = int(df["frame"].nunique())
    if (folder / "events_log.csv").is_file():
        with open(folder / "events_log.csv", "a", encoding="utf-8", newline="") as f:
            f.write(encode_row((last_t, "session_end", None, "crashed (repaired)")))
    end = None
    try:
        end = (dt.datetime.fromisoformat(meta["start_time"]) + dt.timedelta(seconds=last_t)).isoformat(
            timespec="seconds"
        )
    except (KeyError, TypeError, ValueError):
        pass
    meta.update(
        {
            "status": "crashed",
            "end_time": end,
            "duration_s": round(last_t, 3),
            "camera_frames": frames_n,
            "error": "the recording stopped without closing (killed or lost power); repaired",
            "repaired": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
    )
    write_json_atomic(folder / "session.json", meta)
    return meta
