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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..schema import EVENTS_LOG, SESSION_FRAMES, STIMULUS_LOG
from ..sensing.capture import VideoFileSource
from ..sensing.model import resolve_model, sha256_file
from ..sensing.pipeline import TrackConfig, iter_track_rows
from ..stimuli.library import Library, load_library
from ..writers import CsvWriter
from .clips import actor_data
from .engine import base_meta, check_participant, create_session_folder, new_participant_id, now_iso
from .folder import write_json_atomic
from .onsets import (
    EventColumns,
    PlacedBlock,
    events_log_rows,
    place_blocks,
    read_events,
    resolve_stimuli,
    stimulus_log_rows,
)


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
    library = load_library(config.library)
    table = read_events(events, config.columns)
    stimuli = resolve_stimuli(table, library, events)
    model_path = resolve_model(config.model)
    participant = check_participant(config.participant) if config.participant else new_participant_id()
    track = TrackConfig(max_faces=config.max_faces, model=model_path if config.model else None)
    with VideoFileSource(video) as source:
        video_s = source.frame_count / source.nominal_fps if source.frame_count > 0 else float("inf")
        blocks = place_blocks(table, stimuli, offset_s=config.offset_s, video_s=video_s, source=events)
        folder = create_session_folder(Path(out), participant)
        meta = base_meta(folder, participant, source, model_path)
        meta.update(_import_fields(video, events, config, library, blocks))
        write_json_atomic(folder / "session.json", meta)
        counts = _write_logs(folder, blocks, library, table, config.offset_s, video_s)
        _track_into(folder, source, track, blocks, meta, counts, on_progress)
    return folder


def _import_fields(video, events, config: ImportConfig, library: Library, blocks: list[PlacedBlock]) -> dict:
    c = config.columns
    return {
        "imported": {
            "video": str(video),
            "video_sha256": sha256_file(Path(video)),
            "events": str(events),
            "events_sha256": sha256_file(Path(events)),
            "columns": {"onset": c.onset, "stimulus": c.stimulus, "duration": c.duration},
            "offset_s": config.offset_s,
            "clock": "the video's timestamps (t_s 0 = its first frame); onsets placed at onset + offset_s",
            "imported_at": now_iso(),
        },
        "protocol": None,
        "blocks": [
            {
                "block": b.index,
                "stimulus_id": b.stimulus.id,
                "kind": b.stimulus.kind,
                "duration_s": round(b.shown_s, 6),
                "onset_s": round(b.onset_s, 6),
                "synthetic": b.stimulus.synthetic,
            }
            for b in blocks
        ],
        "library": str(library.root),
        "record_video": False,
        "video_file": None,
    }


def _write_logs(folder: Path, blocks, library: Library, table: pd.DataFrame, offset_s: float, video_s: float) -> dict:
    """``stimulus_log.csv`` and ``events_log.csv``; returns their row counts by file name."""
    clips = list({b.stimulus.id: b.stimulus for b in blocks}.values())
    onsets: dict[str, list[tuple[float, str]]] = {}
    for kind in ("smile", "yawn"):
        times, actor = actor_data(library, clips, kind)
        for sid, ts in times.items():
            onsets.setdefault(sid, []).extend((float(t), kind) for t in ts)
    end_s = video_s if video_s != float("inf") else blocks[-1].end_s
    others = table[table["stimulus"] == ""]
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


def _track_into(
    folder: Path, source, track: TrackConfig, blocks: list[PlacedBlock], meta: dict, counts: dict, on_progress
) -> None:
    """Track the video into ``frames.csv`` (with each frame's block) and complete ``session.json``
    (``crashed`` or ``aborted`` if tracking stops early: the rows tracked are kept)."""
    writer = CsvWriter(folder / "frames.csv", SESSION_FRAMES, partial=False)
    frames, last, last_t, status, error = 0, -1, 0.0, "complete", None
    try:
        for row, _face in iter_track_rows(source, track):
            row["block"] = next((b.index for b in blocks if b.onset_s <= row["t_s"] < b.end_s), None)
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
