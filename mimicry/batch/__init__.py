"""Many recordings at once: track (and for recorded sessions, analyse) every input of a folder,
on a local process pool or on a Dask distributed cluster.

An input is a video file, or a session folder recorded with ``mimicry run --record-video``
(``camera.mp4`` beside its ``stimulus_log.csv``). Each is processed by :func:`process_input`
(:mod:`.task`), one task per file, into ``OUT_DIR/<name>/``; the task works in a hidden temporary
folder and renames it into place only when everything, ending with ``done.json``, is written, so
an interrupted batch never leaves an output that looks complete. :func:`run_batch`
(:mod:`.scheduler`) schedules the tasks, collects their rows into ``summary.csv`` and their
errors into ``failures.csv``.
"""

from .scheduler import _run_local, run_batch
from .task import (
    DONE,
    SESSION_INPUTS,
    SESSION_VIDEO,
    VIDEO_SUFFIXES,
    BatchConfig,
    BatchItem,
    BatchOutcome,
    find_inputs,
    fingerprint,
    init_worker,
    is_complete,
    process_input,
    session_frame_times,
)

__all__ = [
    "DONE",
    "SESSION_INPUTS",
    "SESSION_VIDEO",
    "VIDEO_SUFFIXES",
    "BatchConfig",
    "BatchItem",
    "BatchOutcome",
    "_run_local",
    "find_inputs",
    "fingerprint",
    "init_worker",
    "is_complete",
    "process_input",
    "run_batch",
    "session_frame_times",
]
