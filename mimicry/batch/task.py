"""Many recordings at once: track (and for recorded sessions, analyse) every input of a folder,
on a local process pool or on a Dask distributed cluster.

An input is a video file, or a session folder recorded with ``mimicry run --record-video``
(``camera.mp4`` beside its ``stimulus_log.csv``). Each is processed by :func:`process_input`,
one task per file, into ``OUT_DIR/<name>/``; the task works in a hidden temporary folder and
renames it into place only when everything, ending with ``done.json``, is written, so an
interrupted batch never leaves an output that looks complete. :func:`run_batch` schedules the
tasks, collects their rows into ``summary.csv`` and their errors into ``failures.csv``.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MimicryError
from ..io import write_json_atomic
from ..version import __version__

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
SESSION_VIDEO = "camera.mp4"
DONE = "done.json"


@dataclass(frozen=True)
class BatchItem:
    """One input: a video file (``kind = 'video'``) or a recorded session folder (``'session'``),
    and the name of its output folder (a path relative to the output directory)."""

    path: str
    kind: str
    name: str


@dataclass(frozen=True)
class BatchConfig:
    """Settings of every task."""

    max_faces: int = 1
    model: str | None = None
    """A user-supplied ``.task`` model; ``None`` for the bundled one."""
    n_surrogates: int = 1000
    """Surrogates of the session analyses."""
    report: bool = True
    """Write ``report.html`` for each session."""


@dataclass
class BatchOutcome:
    """What a batch did."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    summary_path: Path | None = None
    failures_path: Path | None = None


# -- finding inputs --------------------------------------------------------------------------------


def _is_session(folder: Path) -> bool:
    return (folder / SESSION_VIDEO).is_file() and (folder / "stimulus_log.csv").is_file()


def find_inputs(input_dir: str | Path, pattern: str | None = None, exclude: Path | None = None) -> list[BatchItem]:
    """Inputs below ``input_dir``: session folders holding ``camera.mp4`` and a
    ``stimulus_log.csv``, and video files (``pattern``, a glob relative to ``input_dir`` such as
    ``'**/*.mp4'``; by default every file with a video suffix) outside them. ``exclude``: a
    folder to leave out (the output directory, when it lies inside the input directory).

    Output names are the inputs' paths relative to ``input_dir`` without the suffix (with it when
    two inputs would otherwise share a name).
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise MimicryError(f"input folder not found: {root}")
    exclude = exclude.resolve() if exclude is not None else None

    def excluded(p: Path) -> bool:
        rp = p.resolve()
        return exclude is not None and (rp == exclude or exclude in rp.parents)

    sessions = sorted(p.parent for p in root.rglob(SESSION_VIDEO) if _is_session(p.parent) and not excluded(p))
    inside_session = set(sessions)
    files = root.glob(pattern) if pattern else (p for p in root.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
    videos = sorted(
        p
        for p in files
        if p.is_file()
        and not excluded(p)
        and not any(s == p.parent or s in p.parents for s in inside_session)
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    items = [(s, "session", s.relative_to(root).as_posix() if s != root else s.name) for s in sessions]
    stems = [v.relative_to(root).with_suffix("").as_posix() for v in videos]
    clash = {n for n in stems if stems.count(n) > 1} | {n for _, _, n in items}
    items += [(v, "video", v.relative_to(root).as_posix() if n in clash else n) for v, n in zip(videos, stems)]
    return [BatchItem(str(p), kind, name) for p, kind, name in sorted(items, key=lambda x: x[2])]


SESSION_INPUTS = (SESSION_VIDEO, "stimulus_log.csv", "frames.csv", "session.json", "events_log.csv")
"""The files of a session folder that its batch output depends on: the video is tracked, the
stimulus log aligned, ``frames.csv`` supplies the capture times, ``session.json`` the metadata,
``events_log.csv`` is copied."""


def _sha256(path: Path) -> str | None:
    from ..sensing.model import sha256_file

    return sha256_file(path) if path.is_file() else None


def input_files(item: BatchItem) -> dict[str, str | None]:
    """sha256 of every file the output of ``item`` is made from (``None`` for an absent one, so a
    file that appears later also makes the output stale)."""
    p = Path(item.path)
    if item.kind == "video":
        return {p.name: _sha256(p)}
    return {name: _sha256(p / name) for name in SESSION_INPUTS}


def output_options(config: BatchConfig) -> dict:
    """Everything besides the input files that changes an output: the batch options, the model's
    sha256, every tracking, signal and analysis constant, and mimicry's version."""
    from ..analysis import AnalysisConfig
    from ..analysis.settings import to_dict
    from ..sensing.model import BUNDLED_MODEL_SHA256
    from ..sensing.pipeline import TrackConfig

    track = to_dict(TrackConfig(max_faces=config.max_faces))
    track.pop("model")  # None here: the model is recorded by its hash
    model_sha256 = BUNDLED_MODEL_SHA256 if config.model is None else _sha256(Path(config.model))
    return {
        "max_faces": config.max_faces,
        "model_sha256": model_sha256,
        "report": config.report,
        "n_surrogates": config.n_surrogates,
        "track": track,
        "analysis": to_dict(AnalysisConfig(n_surrogates=config.n_surrogates)),
        "mimicry": __version__,
    }


def fingerprint(item: BatchItem, config: BatchConfig = BatchConfig()) -> dict:
    """What an output was made from: ``{"inputs": input_files(item), "options": output_options(config)}``.
    An output whose fingerprint differs is redone, even with ``--resume``."""
    return {"inputs": input_files(item), "options": output_options(config)}


def is_complete(
    item: BatchItem, out_dir: Path, config: BatchConfig = BatchConfig(), options: dict | None = None
) -> bool:
    """True if ``out_dir/<name>`` holds a finished output of this very input made with these
    options (``options``: :func:`output_options` of ``config``, when already computed)."""
    done = out_dir / item.name / DONE
    try:
        info = json.loads(done.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or info.get("options") != (options or output_options(config)):
        return False
    return info.get("inputs") == input_files(item)


# -- one task --------------------------------------------------------------------------------------

_WORKER: dict = {}


def _model_bytes(model: str | None) -> bytes:
    """The model, read and hash-checked once per worker process."""
    if "model_bytes" not in _WORKER or _WORKER.get("model_key") != model:
        from ..sensing.model import resolve_model

        _WORKER["model_bytes"] = resolve_model(model).read_bytes()
        _WORKER["model_key"] = model
    return _WORKER["model_bytes"]


def init_worker(model: str | None = None) -> None:
    """Process-pool initializer: quiet native logs, load and check the model once."""
    from ..sensing import tracking

    tracking.QUIET_NATIVE_LOGS = not os.environ.get("MIMICRY_DEBUG")
    _model_bytes(model)


def session_frame_times(frames: pd.DataFrame | None, fps: float) -> np.ndarray | None:
    """Session-clock time of each camera frame index, from a session's ``frames.csv`` (rows
    carry the camera frame index and its capture time). Indices the tracker skipped are
    interpolated; those before the first known one continue back at ``fps``. ``None`` without
    usable rows."""
    if frames is None or frames.empty:
        return None
    first = frames.dropna(subset=["frame", "t_s"]).groupby("frame", sort=True)["t_s"].first()
    if first.empty:
        return None
    idx, t = first.index.to_numpy(int), first.to_numpy(float)
    k = np.arange(int(idx.max()) + 1)
    out = np.interp(k, idx, t)
    before = k < idx[0]
    out[before] = t[0] - (idx[0] - k[before]) / fps
    return out


def _video_rows(track: pd.DataFrame) -> list[dict]:
    """Per-face statistics of a track: frames, detection share, mean smile, events."""
    from ..analysis.events import DEFAULT_EVENTS, detect_events

    n_frames = int(track["frame"].nunique())
    duration = float(track["t_s"].max() - track["t_s"].min()) if len(track) else 0.0
    faces = track.loc[track["detected"] == 1, "face"].dropna().astype(int)
    rows = []
    for face in sorted(faces.unique()):
        f = track[(track["face"] == face) & (track["detected"] == 1)].sort_values("t_s")
        t = f["t_s"].to_numpy(float)
        rows.append(
            {
                "face": int(face),
                "frames": n_frames,
                "duration_s": duration,
                "detected_share": len(f) / max(n_frames, 1),
                "smile_mean": float(f["smile"].mean()),
                "smile_events": len(detect_events(t, f["smile"].to_numpy(float), DEFAULT_EVENTS.for_signal("smile"))),
                "yawn_events": len(detect_events(t, f["yawn"].to_numpy(float), DEFAULT_EVENTS.for_signal("yawn"))),
            }
        )
    return rows


def _track(
    video: Path,
    out_csv: Path,
    schema,
    config: BatchConfig,
    frame_times_s=None,
    block_at: Callable[[float], object] | None = None,
) -> None:
    from ..sensing.capture import VideoFileSource
    from ..sensing.pipeline import TrackConfig, iter_track_rows, make_landmarker, short_video_warning
    from ..writers import CsvWriter

    cfg = TrackConfig(max_faces=config.max_faces, model=config.model)
    # a fresh graph per video: MediaPipe's video mode carries tracking state from frame to frame,
    # so reusing one would make a file's result depend on which file the worker did before
    with (
        VideoFileSource(video, frame_times_s=frame_times_s) as source,
        make_landmarker(config.max_faces, model_buffer=_model_bytes(config.model)) as lm,
    ):
        writer = CsvWriter(out_csv, schema, partial=False)
        try:
            for row, _face in iter_track_rows(source, cfg, landmarker=lm):
                if block_at is not None:
                    row["block"] = block_at(row["t_s"])
                writer.write(row)
        finally:
            writer.close()
    short = short_video_warning(source.frame_count, source.delivered)  # read, tracked or skipped (crowd_hz)
    if short:  # a batch never counts a cut-off video as done
        raise MimicryError(short[0])


def _block_lookup(stimulus_log: pd.DataFrame) -> Callable[[float], int | None]:
    """Block shown at a session time (``None`` between blocks), from a stimulus log."""
    from ..analysis.alignment import block_spans
    from ..analysis.contagion import block_of

    spans = block_spans(stimulus_log)
    return lambda t_s: int(b) if (b := block_of(np.array([t_s]), spans)[0]) >= 0 else None


def _process_video(item: BatchItem, tmp: Path, config: BatchConfig) -> list[dict]:
    from ..io import read_table
    from ..schema import TRACK

    _track(Path(item.path), tmp / "track.csv", TRACK, config)
    track = read_table(tmp / "track.csv")
    rows = _video_rows(track)
    if not rows:
        raise MimicryError("no face found in any frame")
    return rows


def _process_session(item: BatchItem, tmp: Path, config: BatchConfig) -> list[dict]:
    from ..analysis import AnalysisConfig
    from ..io import read_csv_checked, read_table, write_text_atomic
    from ..report.page import load_results, report_html
    from ..report.summary import session_rows
    from ..schema import SESSION_FRAMES, STIMULUS_LOG
    from ..session.folder import analyze_session, files_record, read_session_json

    src = Path(item.path)
    meta = read_session_json(src) if (src / "session.json").exists() else {}
    log = read_csv_checked(src / "stimulus_log.csv", STIMULUS_LOG)
    old = read_table(src / "frames.csv") if (src / "frames.csv").is_file() else None
    from ..sensing.capture import VideoFileSource

    with VideoFileSource(src / SESSION_VIDEO) as probe:
        fps = float(meta.get("camera_fps") or probe.nominal_fps)
    times = session_frame_times(old, fps)
    _track(src / SESSION_VIDEO, tmp / "frames.csv", SESSION_FRAMES, config, times, _block_lookup(log))
    for name in ("stimulus_log.csv", "events_log.csv"):
        if (src / name).is_file():
            shutil.copy2(src / name, tmp / name)
    meta = {
        "session_id": meta.get("session_id", src.name),
        "participant": meta.get("participant", ""),
        "status": meta.get("status", "complete"),
        **meta,
        "camera_fps": fps,
        "batch": {
            "source": str(src),
            "mimicry": __version__,
            "timing": "frames.csv of the recording" if times is not None else "nominal frame rate from session start",
        },
    }
    meta["files"] = files_record(tmp, ["frames.csv", "stimulus_log.csv", "events_log.csv"])  # tracked anew here
    write_json_atomic(tmp / "session.json", meta)
    analyze_session(tmp, AnalysisConfig(n_surrogates=config.n_surrogates))
    res = load_results(tmp, analyze_if_missing=False)
    if config.report:
        write_text_atomic(tmp / "report.html", report_html(res))
    stats = {r["face"]: r for r in _video_rows(res.data.frames)}
    rows = []
    for r in session_rows(res.data.meta, res.scores, res.contagion, res.verdicts, item.name):
        face = r.get("face")
        rows.append({**stats.get(face if face is pd.NA else int(face), {}), **r})
    return rows


def process_input(item: BatchItem, out_dir: str | Path, config: BatchConfig = BatchConfig()) -> dict:
    """Process one input into ``out_dir/<item.name>/`` and return
    ``{"name", "input", "kind", "status": "done" | "failed", "rows", "error"}``.

    Never raises for a bad input: the error is returned (one line) and nothing is left behind.
    """
    out_dir = Path(out_dir)
    final = out_dir / item.name
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(f".{final.name}.partial-*"):  # left by an interrupted run
        shutil.rmtree(stale, ignore_errors=True)
    tmp = final.parent / f".{final.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    result = {"name": item.name, "input": item.path, "kind": item.kind, "rows": [], "error": ""}
    try:
        fp = fingerprint(item, config)
        rows = (_process_video if item.kind == "video" else _process_session)(item, tmp, config)
        rows = [{"input": item.name, "type": item.kind, **r} for r in rows]
        write_json_atomic(tmp / DONE, {**fp, "rows": rows})
        if final.exists():  # an older output of a changed input (or --resume was not given)
            old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        result.update(status="done", rows=rows)
    except MimicryError as e:
        result.update(status="failed", error=str(e))
    except Exception as e:  # a task must report, not crash the batch
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        result.update(status="failed", error=f"{type(e).__name__}: {first}".rstrip(": "))
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return result


# -- scheduling ------------------------------------------------------------------------------------
