"""Sessions another program staged: a participant video recorded elsewhere plus the onsets its
presenter logged become a session folder that ``analyze``, ``report``, ``summary`` and
``export`` read like one ``mimicry run`` recorded (``mimicry import``).

The session clock is the video's own: ``t_s`` 0 is its first frame, frames keep the container's
times. An event's onset is placed at ``onset + offset_s`` on that clock (``offset_s``: where the
events' time 0 falls in the video, e.g. the presenter's clock at the video's first frame,
negated). ``session.json`` says where everything came from (``imported``) and how the clocks
were aligned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MimicryError, SessionError
from ..io import write_json_atomic
from ..schema import EVENTS_LOG, SESSION_FRAMES, STIMULUS_LOG
from ..sensing.capture import VideoFileSource
from ..sensing.model import resolve_model, sha256_file
from ..sensing.pipeline import TrackConfig, iter_track_rows
from ..stimuli.library import Library, Stimulus, load_library
from ..writers import CsvWriter
from .clips import actor_events, actor_tracks
from .engine import base_meta, check_participant, create_session_folder, new_participant_id, now_iso, session_meta
from .onsets import (
    DEFAULT_VOCABULARY,
    EventColumns,
    MarkerVocabulary,
    PlacedBlock,
    blocks_from_markers,
    events_log_rows,
    find_stimulus,
    place_blocks,
    read_events,
    resolve_stimuli,
    stimulus_key,
    stimulus_log_rows,
)
from .schedule import Timeline


@dataclass(frozen=True)
class ImportConfig:
    """How a video and its events become a session."""

    participant: str | None = None
    """Pseudonymous id; a random one if not given."""
    library: Path | None = None
    """The stimulus library that has the clips shown; ``None`` for the shipped one."""
    offset_s: float = 0.0
    """Seconds added to every onset of the events file to put it on the video's clock."""
    columns: EventColumns = EventColumns()
    max_faces: int = 1
    model: Path | None = None
    clips: Path | None = None
    """The experiment's own clip files: a clip the events name that ``library`` lacks is found
    here, tracked once, and added to ``library`` (its kind read off the actor's face), so the
    next participant's import finds it there."""


def import_video(
    video: str | Path,
    events: str | Path,
    out: str | Path,
    config: ImportConfig = ImportConfig(),
    *,
    on_progress: Callable[[int], None] | None = None,
) -> Path:
    """Track ``video`` and write a session folder in ``out`` with the clips of ``events`` on
    its clock; returns the folder. Everything is checked before the folder is made; if tracking
    fails, the folder keeps what was tracked and ``session.json`` says ``crashed``.

    Raises
    ------
    SessionError
        The events file cannot be read, names a clip the library lacks, or places a clip outside
        the video or over another.
    CaptureError
        The video cannot be read.
    """
    participant = _participant(config)
    table = read_events(events, config.columns)
    library, stimuli = resolve_clips(table, config, events)
    model_path = resolve_model(config.model)
    track = TrackConfig(max_faces=config.max_faces, model=model_path if config.model else None)
    with VideoFileSource(video) as source:
        video_s = source.frame_count / source.nominal_fps if source.frame_count > 0 else float("inf")
        blocks = place_blocks(table, stimuli, offset_s=config.offset_s, video_s=video_s, source=events)
        folder = create_session_folder(Path(out), participant)
        meta = base_meta(folder, participant, source, model_path)
        meta.update(_import_fields(video, events, config, library, blocks))
        end_s = video_s if video_s != float("inf") else blocks[-1].end_s
        rows = (row for row, _face in iter_track_rows(source, track))
        logs = _Logs(library, table[table["stimulus"] == ""], config.offset_s, end_s)
        _write_session(folder, meta, blocks, logs, rows, on_progress)
    return folder


def import_rows(
    csv: str | Path,
    events: str | Path,
    out: str | Path,
    config: ImportConfig = ImportConfig(),
) -> Path:
    """A session folder from rows tracked elsewhere instead of a video: a ``mimicry track`` CSV
    or an OpenFace 2 CSV (``FeatureExtraction``; :func:`~mimicry.interop.openface.frames_from_openface`
    maps its action units), with the clips of ``events`` on its timeline (``t_s``, or OpenFace's
    ``timestamp``, plus nothing: ``offset_s`` moves the events).

    Raises
    ------
    SessionError
        Not a track or OpenFace CSV, timestamps that do not step regularly with the frame
        numbers, events outside its timeline, or any of :func:`import_video`'s event errors.
    """
    participant = _participant(config)
    table = read_events(events, config.columns)
    library, stimuli = resolve_clips(table, config, events)
    rows, kind = read_rows(Path(csv))
    step_s = check_timeline(rows, Path(csv))
    end_s = float(rows["t_s"].max()) + step_s
    blocks = place_blocks(table, stimuli, offset_s=config.offset_s, video_s=end_s, source=events)
    folder = create_session_folder(Path(out), participant)
    meta = session_meta(folder, participant, {kind: str(csv)}, round(1.0 / step_s, 3), (0, 0), None)
    meta.update(_import_fields(csv, events, config, library, blocks))
    meta["imported"]["clock"] = f"the {kind}'s own times (t_s, or OpenFace's timestamp); onsets at onset + offset_s"
    logs = _Logs(library, table[table["stimulus"] == ""], config.offset_s, end_s)
    _write_session(folder, meta, blocks, logs, rows.to_dict("records"))
    return folder


def read_rows(path: Path) -> tuple[pd.DataFrame, str]:
    """A track CSV (``"track_csv"``) or an OpenFace 2 CSV (``"openface_csv"``) as ``frames.csv`` rows.

    Raises
    ------
    SessionError
        Neither (one line naming what is missing).
    """
    from ..interop.openface import frames_from_openface
    from ..io import read_csv_checked, read_table
    from ..schema import TRACK

    if not path.is_file():
        raise SessionError(f"no such file: {path}")
    try:
        head = pd.read_csv(path, nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise SessionError(f"{path}: not a readable CSV") from None
    if "AU12_r" in {str(c).strip() for c in head}:
        try:
            return frames_from_openface(read_table(path)), "openface_csv"
        except MimicryError as e:
            raise SessionError(f"{path}: {e}") from None
    if not {"t_s", "frame", "detected"} <= set(head):
        raise SessionError(f"{path}: neither a mimicry track CSV (t_s, frame, detected, ...) nor an OpenFace 2 CSV")
    return read_csv_checked(path, TRACK), "track_csv"


def check_timeline(rows: pd.DataFrame, path: Path) -> float:
    """The time step of the rows' frames, s, checked: times increase with the frame numbers and
    step regularly with them (a CSV from another recording, or one with its times in ms or its
    frames renumbered, disagrees).

    Raises
    ------
    SessionError
        Fewer than two frames, times that do not increase, or times whose step over the frame
        numbers varies by more than a quarter.
    """
    per_frame = rows.groupby("frame", sort=True)["t_s"].first()
    if len(per_frame) < 2:
        raise SessionError(f"{path}: fewer than two frames")
    frames, t = per_frame.index.to_numpy(float), per_frame.to_numpy(float)
    if np.any(np.diff(t) <= 0):
        i = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise SessionError(
            f"{path}: frame {int(frames[i + 1])}'s time {t[i + 1]:g} s is not after frame {int(frames[i])}'s"
        )
    step = np.diff(t) / np.diff(frames)  # per frame number: gaps of dropped frames count
    typical = float(np.median(step))
    if np.mean(np.abs(step - typical) > 0.25 * typical) > 0.01:
        raise SessionError(
            f"{path}: the times step {typical:.4f} s per frame at the median but vary by more than a quarter "
            "over 1 % of the frames: not one recording's timeline (times in ms? frames renumbered?)"
        )
    return typical


def import_xdf(
    path: str | Path,
    out: str | Path,
    config: ImportConfig = ImportConfig(),
    *,
    vocabulary: MarkerVocabulary = DEFAULT_VOCABULARY,
    marker_stream: str | None = None,
) -> Path:
    """A session folder from a LabRecorder XDF file: the viewer's rows from its ``FaceSignals``
    stream (mimicry's ``--lsl``), the clips from a ``Markers`` stream read with ``vocabulary``
    (the presenter's; mimicry's own if there is no other). The session clock is the first
    ``FaceSignals`` sample's stamp; stamps are read as recorded (:mod:`mimicry.interop.xdf`).

    Raises
    ------
    SessionError
        No (or several) ``FaceSignals`` or ``Markers`` streams to choose from, no clip onset, a
        clock that goes back.
    """
    from ..interop.xdf import face_rows, marker_rows, own_marker_text, read_xdf

    library, participant = load_library(config.library), _participant(config)
    streams = read_xdf(path)
    face = _one(path, [s for s in streams if s.type == "FaceSignals"], "FaceSignals", None)
    markers_in = [s for s in streams if s.type == "Markers" and (marker_stream or not s.mimicry)]
    markers_in = markers_in or [s for s in streams if s.type == "Markers"]  # mimicry's own as the last resort
    chosen = _one(path, markers_in, "Markers", marker_stream)
    t0 = float(face.stamps[0]) if face.stamps.size else 0.0
    rows = face_rows(face, t0=t0)
    markers = marker_rows(chosen, t0=t0)
    if chosen.mimicry:
        markers["text"] = markers["text"].map(own_marker_text)
    end_s = float(rows["t_s"].max()) if len(rows) else 0.0
    blocks, others, warnings = blocks_from_markers(markers, vocabulary, library, end_s=end_s)
    if not blocks:
        raise SessionError(f"{path}: no clip onset in the markers of stream {chosen.name!r} (its vocabulary?)")
    folder = create_session_folder(Path(out), participant)
    fps = face.nominal_srate if face.nominal_srate > 0 else 30.0
    meta = session_meta(folder, participant, {"xdf_stream": face.name}, fps, (0, 0), None)
    meta.update(_import_fields(path, None, config, library, blocks))
    meta["imported"].update(
        {"face_stream": face.name, "marker_stream": chosen.name, "lsl_time_at_session_0_s": t0,
         "clock": "the first FaceSignals sample's stamp is 0; stamps as recorded (no dejitter), clock offsets applied"}
    )  # fmt: skip
    if warnings:
        meta["warnings"] = warnings
    _write_session(folder, meta, blocks, _Logs(library, others, 0.0, end_s), rows.to_dict("records"))
    return folder


VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


def resolve_clips(table: pd.DataFrame, config: ImportConfig, source: str | Path) -> tuple[Library, dict[str, Stimulus]]:
    """The library and each clip the events name (:func:`~.onsets.resolve_stimuli`). With
    ``config.clips``, a name the library lacks is looked up there (by file name, any folder
    below, or stem): a file the library holds already (the same sha256) is that clip; any other
    is tracked and added to ``config.library``, all or none, its kind the one the actor's face
    fits (:data:`~mimicry.stimuli.adding.KIND_FROM_FACE`).

    Raises
    ------
    SessionError
        ``clips`` without a library to keep them in, or a name that is in neither.
    StimulusError
        A clip whose actor's face fits no kind, or several (add it with ``stimuli add``).
    """
    if config.clips is None:
        library = load_library(config.library)
        return library, resolve_stimuli(table, library, source)
    if config.library is None:
        raise SessionError("--clips needs --library FOLDER: the experiment's clips are tracked once and kept there")
    library = load_library(config.library, create=True)
    named = table[table["stimulus"] != ""]
    unknown = {r.stimulus: r.line for r in named.itertuples() if find_stimulus(r.stimulus, library) is None}
    found, new, aliases = {}, [], {}
    for name, line in unknown.items():
        file = _clip_file(Path(config.clips), name)
        if file is None:
            raise SessionError(
                f"{source}: line {line}: stimulus {name!r} is neither in the library {library.root} "
                f"nor a video in {config.clips}"
            )
        sha = sha256_file(file)
        same = next((s for s in library.stimuli if s.sha256 == sha), None)
        if same is not None:
            found[name] = same
        elif sha in aliases:  # another name of a file already to be added (a path and a bare name)
            aliases[sha].append(name)
        else:
            aliases[sha] = [name]
            new.append((name, file))
    added = _add_clips(new, library, config, source)
    found.update({other: added[names[0]] for names in aliases.values() for other in names})
    known = resolve_stimuli(named[~named["stimulus"].isin(list(found))], library, source)
    return load_library(config.library), {**known, **found}


def _clip_file(folder: Path, name: str) -> Path | None:
    """The video in ``folder`` an events log calls ``name``: its file name, in ``folder`` or any
    folder below, or a video whose stem is ``name``."""
    base = Path(stimulus_key(name)).name
    if not base:
        return None
    direct = folder / base
    if direct.is_file():
        return direct
    videos = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    return next((p for p in videos if p.name == base), None) or next((p for p in videos if p.stem == base), None)


def _add_clips(new: list[tuple[str, Path]], library: Library, config: ImportConfig, source) -> dict[str, Stimulus]:
    """Track and add the experiment's clips ``new`` (name, file) to ``library``; name -> entry."""
    from ..stimuli.adding import KIND_FROM_FACE, NewStimulus, add_stimuli, slug

    if not new:
        return {}
    taken = {s.id for s in library.stimuli}
    ids = []
    for _, file in new:
        sid, k = slug(file.stem), 2
        while sid in taken:
            sid, k = f"{slug(file.stem)}-{k}", k + 1
        taken.add(sid)
        ids.append(sid)
    entries = [
        NewStimulus(
            file, KIND_FROM_FACE, sid, source=f"the experiment's own clip {file.name} (named in {Path(source).name})"
        )
        for (_, file), sid in zip(new, ids)
    ]
    added = add_stimuli(entries, config.library, model=config.model)
    return {name: entry for (name, _), entry in zip(new, added)}


def _participant(config: ImportConfig) -> str:
    return check_participant(config.participant) if config.participant else new_participant_id()


def _one(path, streams: list, kind: str, name: str | None):
    """The one stream of ``kind`` (named ``name`` if given) among ``streams``."""
    if name is not None:
        streams = [s for s in streams if s.name == name]
    if len(streams) != 1:
        named = f" named {name!r}" if name else ""
        found = f"{len(streams)} ({', '.join(s.name for s in streams)})" if streams else "none"
        hint = "; name one with --marker-stream" if len(streams) > 1 and kind == "Markers" else ""
        raise SessionError(f"{path}: needs one {kind} stream{named}, found {found}{hint}")
    return streams[0]


def _import_fields(recording, events, config: ImportConfig, library: Library, blocks: list[PlacedBlock]) -> dict:
    c = config.columns
    source = {"events": None} if events is None else {
        "events": str(events),
        "events_sha256": sha256_file(Path(events)),
        "columns": {"onset": c.onset, "stimulus": c.stimulus, "duration": c.duration, "unit_s": c.unit_s},
        "offset_s": config.offset_s,
        "clock": "the video's timestamps (t_s 0 = its first frame); onsets placed at onset + offset_s",
    }  # fmt: skip
    return {
        "imported": {
            "recording": str(recording),
            "recording_sha256": sha256_file(Path(recording)),
            **source,
            "imported_at": now_iso(),
        },
        "protocol": None,
        "blocks": [b.meta() for b in blocks],
        "library": str(library.root),
        "record_video": False,
        "video_file": None,
    }


@dataclass(frozen=True)
class _Logs:
    """What ``stimulus_log.csv`` and ``events_log.csv`` are made from besides the blocks."""

    library: Library
    others: pd.DataFrame
    """The events that name no clip (``onset_s``, ``label``, ``line``)."""
    offset_s: float
    end_s: float


def _write_session(
    folder: Path, meta: dict, blocks: list[PlacedBlock], logs: _Logs, rows: Iterable[dict], on_progress=None
) -> None:
    """``session.json`` (``running``), the two logs, then ``rows`` into ``frames.csv`` and
    ``session.json`` completed."""
    write_json_atomic(folder / "session.json", meta)
    counts = _write_logs(folder, blocks, logs)
    _write_frames(folder, iter(rows), blocks, meta, counts, on_progress)


def _write_logs(folder: Path, blocks: list[PlacedBlock], logs: _Logs) -> dict:
    """``stimulus_log.csv`` and ``events_log.csv``; returns their row counts by file name."""
    clips = list({b.stimulus.id: b.stimulus for b in blocks}.values())
    actor = actor_tracks(logs.library, clips)
    onsets = {s.id: actor_events(logs.library, s) for s in clips}
    others, offset_s, end_s = logs.others, logs.offset_s, logs.end_s
    counts = {}
    for name, schema, rows in (
        ("stimulus_log.csv", STIMULUS_LOG, stimulus_log_rows(blocks, actor)),
        ("events_log.csv", EVENTS_LOG, events_log_rows(blocks, onsets, others, offset_s=offset_s, end_s=end_s)),
    ):
        writer = CsvWriter(folder / name, schema, partial=False)
        for row in rows.to_dict("records"):
            writer.write(row)
        writer.close()
        counts[name] = writer.rows
    return counts


def _write_frames(
    folder: Path, rows: Iterator[dict], blocks: list[PlacedBlock], meta: dict, counts: dict, on_progress
) -> None:
    """``rows`` into ``frames.csv`` (with each frame's block) and ``session.json`` completed
    (``crashed`` or ``aborted`` if the rows stop early, a tracking error: those written are kept)."""
    writer = CsvWriter(folder / "frames.csv", SESSION_FRAMES, partial=False)
    timeline = Timeline()
    for b in blocks:
        timeline.begin(b.index, b.onset_s)
        timeline.end(b.index, b.end_s)
    frames, last, last_t, status, error = 0, -1, 0.0, "complete", None
    try:
        for row in rows:
            row["block"] = timeline.block_at(row["t_s"])
            writer.write(row)
            if row["frame"] != last:
                frames, last, last_t = frames + 1, row["frame"], row["t_s"]
                if on_progress is not None:
                    on_progress(1)
    except BaseException as e:
        status, error = ("aborted" if isinstance(e, KeyboardInterrupt) else "crashed"), e
        raise
    finally:
        writer.close()
        counts = {"frames.csv": writer.rows, **counts}
        meta.update(
            {
                "status": status,
                "end_time": now_iso(),
                "duration_s": round(last_t, 3),
                "camera_frames": frames,
                "camera_frames_dropped": 0,
                "camera_fps_measured": round(frames / last_t, 3) if last_t > 0 else None,
                "camera_gaps_s": [],
                "files": {n: {"rows": k, "sha256": sha256_file(folder / n)} for n, k in counts.items()},
            }
        )
        if error is not None:
            meta["error"] = str(error) or type(error).__name__
        write_json_atomic(folder / "session.json", meta)
