"""Adding clips to a library: track each actor, check the clip is its kind, then add all or none.

:func:`add_stimuli` stages every clip (copy, track, verify) in a hidden folder of the library
before anything there changes; the first refusal leaves the manifest and folder as they were.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MimicryError, StimulusError
from ..io import write_csv_atomic
from ..schema import STIMULUS_EVENTS
from .library import ID_PATTERN, KINDS, Library, Stimulus, fitting_kinds, load_library, sha256_of, verify_kind

KIND_FROM_FACE = "from-face"
"""A :class:`NewStimulus` kind: the one kind the actor's tracked face fits (:func:`~.library.fitting_kinds`)."""


@dataclass(frozen=True)
class NewStimulus:
    """A clip to add and what the manifest should say about it (see :class:`Stimulus`)."""

    file: Path
    kind: str
    """One of :data:`~.library.KINDS`, or :data:`KIND_FROM_FACE` (then ``id`` is needed)."""
    id: str | None = None
    source: str = ""
    license: str = ""
    description: str = ""
    fields: dict = field(default_factory=dict)
    """Optional manifest fields of :class:`Stimulus` (``synthetic``, ``cut_from``, ``actor``, ...)."""


def slug(text: str) -> str:
    """``text`` as a library id: lower-case letters, digits and ``-``, at most 50 characters."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:50] or "clip"


def add_stimulus(
    file: str | Path,
    kind: str,
    library: str | Path | None = None,
    stimulus_id: str | None = None,
    source: str = "",
    license: str = "",
    description: str = "",
    force: bool = False,
    model: str | Path | None = None,
    synthetic: bool = False,
) -> Stimulus:
    """Copy a clip into a library, track its actor, check it is what ``kind`` says, and add it.
    ``synthetic``: the clip was animated by software (``mimicry stimuli make``), not filmed.

    Raises
    ------
    StimulusError
        Unknown kind, bad or duplicate id, unreadable clip, no face in most frames, or (unless
        ``force``) a track that contradicts the kind.
    """
    new = NewStimulus(Path(file), kind, stimulus_id, source, license, description, {"synthetic": synthetic})
    return add_stimuli([new], library, force, model)[0]


def add_stimuli(
    new: list[NewStimulus], library: str | Path | None = None, force: bool = False, model: str | Path | None = None
) -> list[Stimulus]:
    """Add several clips, all or none: each is staged and checked before the library changes."""
    lib = load_library(library, create=library is not None)
    ids = [n.id or f"{n.kind}-{slug(Path(n.file).stem)}" for n in new]
    for n, sid in zip(new, ids):
        if n.kind not in KINDS and n.kind != KIND_FROM_FACE:
            raise StimulusError(f"unknown kind {n.kind!r} (allowed: {', '.join(KINDS)})")
        if not ID_PATTERN.match(sid):
            raise StimulusError(f"id must be a slug (lower-case letters, digits, - and _), got {sid!r}")
        if any(s.id == sid for s in lib.stimuli) or ids.count(sid) > 1:
            raise StimulusError(f"id {sid!r} is already in {lib.manifest}")
    stagings = [lib.root / f".adding-{sid}" for sid in ids]
    try:
        entries = []
        for n, sid, staging in zip(new, ids, stagings):
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            entries.append(_stage(lib, n, sid, staging, force, model))
        _commit(lib, entries, stagings)
        return entries
    finally:
        for staging in stagings:
            shutil.rmtree(staging, ignore_errors=True)


def _stage(lib: Library, n: NewStimulus, sid: str, staging: Path, force: bool, model) -> Stimulus:
    """Track and check one clip into ``staging`` (clip, track.csv, events.csv); its entry."""
    file = Path(n.file)
    track, fps, width, height = _track_clip(file, staging, model)
    duration = float(track["t_s"].max()) + 1.0 / fps
    face_frac = float((track["detected"] == 1).mean())
    if face_frac < 0.5:
        raise StimulusError(f"{file}: no face found in most frames ({face_frac:.0%} of frames)")
    kind = _kind_from_face(track, file) if n.kind == KIND_FROM_FACE else n.kind
    problems = verify_kind(track, kind)
    if problems and not force:
        raise StimulusError(f"{file} does not look like a {kind} clip: {problems[0]} (use --force to add it anyway)")
    clip_rel = Path("clips") / f"{sid}{file.suffix.lower() or '.mp4'}"
    if (lib.root / clip_rel).exists():
        raise StimulusError(f"{lib.root / clip_rel} exists already")
    shutil.copyfile(file, staging / "clip")
    write_csv_atomic(actor_events(track), staging / "events.csv", STIMULUS_EVENTS)
    return Stimulus(
        id=sid,
        file=clip_rel.as_posix(),
        kind=kind,
        fps=round(float(fps), 3),
        duration_s=round(duration, 3),
        width=int(width),
        height=int(height),
        sha256=sha256_of(staging / "clip"),
        source=n.source.strip() or f"added from {file.name}",
        license=n.license.strip() or "unknown (added by the user)",
        description=n.description.strip() or f"{kind} clip added with mimicry stimuli add",
        **n.fields,
    )


def _kind_from_face(track: pd.DataFrame, file: Path) -> str:
    fits = fitting_kinds(track)
    if len(fits) == 1:
        return fits[0]
    why = f"it fits {' and '.join(fits)}" if fits else "it fits no kind"
    raise StimulusError(
        f"{file}: the actor's face does not tell which kind of clip it is ({why}): "
        "add it once with mimicry stimuli add FILE --kind KIND"
    )


def _track_clip(file: Path, staging: Path, model) -> tuple[pd.DataFrame, float, int, int]:
    """Track a clip into ``staging/track.csv``; returns the track, frame rate and size."""
    from ..sensing.capture import VideoFileSource
    from ..sensing.pipeline import TrackConfig, track_video

    try:
        source_clip = VideoFileSource(file)
    except MimicryError as e:
        raise StimulusError(str(e)) from None
    with source_clip as src:
        fps, width, height = src.nominal_fps, src.width, src.height
        result = track_video(src, staging / "track.csv", TrackConfig(model=Path(model) if model else None))
    track = pd.read_csv(result.path)
    if track.empty:
        raise StimulusError(f"{file}: no frame could be read")
    return track, fps, width, height


def _commit(lib: Library, entries: list[Stimulus], stagings: list[Path]) -> None:
    """Move the staged clips, tracks and events into the library and save its manifest (all or nothing)."""
    (lib.root / "clips").mkdir(exist_ok=True)
    (lib.root / "tracks").mkdir(exist_ok=True)
    moved: list[Path] = []
    try:
        for entry, staging in zip(entries, stagings):
            for src, dst in (
                (staging / "clip", lib.root / entry.file),
                (staging / "track.csv", lib.track_path(entry.id)),
                (staging / "events.csv", lib.events_path(entry.id)),
            ):
                os.replace(src, dst)
                moved.append(dst)
        lib.stimuli.extend(entries)
        lib.save()
    except OSError:
        for path in moved:
            path.unlink(missing_ok=True)
        del lib.stimuli[len(lib.stimuli) - len(entries) :]
        raise


def signal_events(track: pd.DataFrame, signal: str) -> pd.DataFrame:
    """Events of one signal (``smile`` or ``yawn``) of a track, frames without the face missing,
    with the analysis's thresholds (:mod:`mimicry.analysis.events`)."""
    from ..analysis.events import DEFAULT_EVENTS, detect_events

    v = track[signal].to_numpy(float).copy()
    v[track["detected"].to_numpy() != 1] = np.nan
    return detect_events(track["t_s"].to_numpy(float), v, DEFAULT_EVENTS.for_signal(signal))


def actor_events(track: pd.DataFrame) -> pd.DataFrame:
    """The actor's smile and yawn events (onset, peak, offset in clip time)."""
    ev = pd.concat([signal_events(track, kind).assign(kind=kind) for kind in ("smile", "yawn")], ignore_index=True)
    return ev[["kind", "onset_s", "peak_s", "offset_s", "peak_value"]]
