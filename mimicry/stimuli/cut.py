"""Cutting stimulus clips out of a longer video (``mimicry stimuli cut``).

The video is tracked once with mimicry's own tracker; the yawns (or smiles) are the events of
its ``yawn`` (or ``smile``) signal, found with the analysis's thresholds
(:mod:`mimicry.analysis.events`). Each clip spans one event (or ``per_clip`` in a row) with
padding before and after; with ``controls``, as many control clips of the same lengths come
from stretches of the same video where the face is at rest: no smile or yawn event within
``control_gap_s``, the mouth closed (``jawOpen`` below ``rest_jaw_open`` in 90 % of frames, so no
talking), the face found in 90 % of frames. Every clip is cropped square around the face (the
median face box of the span), scaled to ``size_px`` and re-timed to ``fps``; then
:func:`~mimicry.stimuli.adding.add_stimuli` tracks each clip again and checks it is its kind
before adding all of them, or none.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MimicryError, StimulusError
from .adding import NewStimulus, add_stimuli, signal_events, slug
from .library import DEFAULT_RULES, Stimulus, load_library


@dataclass(frozen=True)
class CutConfig:
    """Options of ``mimicry stimuli cut``. Times in seconds, sizes in pixels."""

    pad_before_s: float = 1.5
    pad_after_s: float = 1.5
    per_clip: int = 1
    """Events per clip (consecutive ones; clips whose padding would overlap are merged)."""
    controls: bool = False
    size_px: int = 360
    fps: float = 25.0
    framing: float = 1.9
    """Crop side in face extents (as ``mimicry stimuli make``)."""
    control_gap_s: float = 2.0
    rest_jaw_open: float = 0.15
    keep_audio: bool = False
    control_s: float = 8.0
    """Length of control clips cut on their own (``kind`` control: a recording at rest), s."""
    max_controls: int = 3


@dataclass(frozen=True)
class Span:
    """A stretch of the video to cut: ``kind`` and how many events of it it holds."""

    kind: str
    start_s: float
    end_s: float
    events: int = 0


def face_track(video: Path, model: str | Path | None = None) -> pd.DataFrame:
    """Per frame: ``t_s``, ``frame``, ``detected``, ``smile``, ``yawn``, ``jawOpen``,
    ``mouthSmile`` and the face box ``cx``, ``cy``, ``side`` (pixels), one face."""
    from ..sensing.capture import VideoFileSource
    from ..sensing.pipeline import TrackConfig, iter_track_rows

    try:
        source = VideoFileSource(video)
    except MimicryError as e:
        raise StimulusError(str(e)) from None
    rows = []
    with source as src:
        size = np.array([src.width, src.height], float)
        for row, face in iter_track_rows(src, TrackConfig(model=Path(model) if model else None)):
            out = {k: row.get(k) for k in ("t_s", "frame", "detected", "smile", "yawn", "jawOpen")}
            out["mouthSmile"] = (row.get("mouthSmileLeft", np.nan) + row.get("mouthSmileRight", np.nan)) / 2
            if face is not None:
                xy = face.landmarks[:, :2] * size
                lo, hi = xy.min(axis=0), xy.max(axis=0)
                out.update(cx=(lo[0] + hi[0]) / 2, cy=(lo[1] + hi[1]) / 2, side=float((hi - lo).max()))
            rows.append(out)
    track = pd.DataFrame(
        rows, columns=["t_s", "frame", "detected", "smile", "yawn", "jawOpen", "mouthSmile", "cx", "cy", "side"]
    )
    if track.empty or not (track["detected"] == 1).any():
        raise StimulusError(f"{video}: no face found")
    return track.astype(float)


def _whole_yawns(track: pd.DataFrame, ev: pd.DataFrame, rest_jaw_open: float) -> pd.DataFrame:
    """Yawn events widened to the whole opening: from the last frame before the onset with the
    jaw at rest to the first after the offset (``jawOpen`` below ``rest_jaw_open``)."""
    t = track["t_s"].to_numpy(float)
    rest = (track["jawOpen"].fillna(0.0) < rest_jaw_open).to_numpy()
    ev = ev.copy()
    for i, (on, off) in enumerate(ev[["onset_s", "offset_s"]].to_numpy(float)):
        before = np.flatnonzero(rest & (t <= on))
        after = np.flatnonzero(rest & (t >= off))
        ev.iloc[i, ev.columns.get_loc("onset_s")] = t[before[-1]] if before.size else t[0]
        ev.iloc[i, ev.columns.get_loc("offset_s")] = t[after[0]] if after.size else t[-1]
    return ev


def event_spans(track: pd.DataFrame, kind: str, config: CutConfig = CutConfig()) -> list[Span]:
    """The clips to cut around the ``kind`` events of ``track`` (:func:`face_track`)."""
    ev = signal_events(track, kind)
    if kind == "yawn":  # the signal rises once the jaw is wide open: the clip starts at rest
        ev = _whole_yawns(track, ev, config.rest_jaw_open)
    end_s = float(track["t_s"].max())
    spans: list[Span] = []
    for i in range(0, len(ev), config.per_clip):
        g = ev.iloc[i : i + config.per_clip]
        start = max(0.0, float(g["onset_s"].min()) - config.pad_before_s)
        end = min(end_s, float(g["offset_s"].max()) + config.pad_after_s)
        if spans and start < spans[-1].end_s:  # the padding overlaps the previous clip: one clip
            prev = spans.pop()
            start, n = prev.start_s, prev.events + len(g)
        else:
            n = len(g)
        spans.append(Span(kind, round(start, 3), round(end, 3), n))
    return spans


def control_spans(track: pd.DataFrame, lengths_s: list[float], config: CutConfig = CutConfig()) -> list[Span]:
    """Up to one control span per length: the earliest stretches where the face is at rest."""
    t = track["t_s"].to_numpy(float)
    events = [signal_events(track, "smile"), _whole_yawns(track, signal_events(track, "yawn"), config.rest_jaw_open)]
    gap = config.control_gap_s
    busy = [(float(a) - gap, float(b) + gap) for ev in events for a, b in ev[["onset_s", "offset_s"]].to_numpy()]
    rules, found = DEFAULT_RULES, []
    for length in lengths_s:
        for start in np.arange(t[0], t[-1] - length, 0.25):
            end = start + length
            if any(start < b and a < end for a, b in busy + [(s.start_s, s.end_s) for s in found]):
                continue
            w = track[(t >= start) & (t <= end)]
            det = w[w["detected"] == 1]
            if len(det) < rules.min_face_fraction * max(len(w), 1):
                continue
            jaw, smile = det["jawOpen"].fillna(1.0), det["mouthSmile"].fillna(1.0)
            if jaw.quantile(0.9) < config.rest_jaw_open and jaw.max() < rules.control_jaw_open:
                if smile.max() < rules.control_mouth_smile:
                    found.append(Span("control", round(float(start), 3), round(float(end), 3)))
                    break
    return found


def _crop_matrix(track: pd.DataFrame, span: Span, config: CutConfig) -> np.ndarray:
    t = track["t_s"].to_numpy(float)
    w = track[(t >= span.start_s) & (t <= span.end_s) & (track["detected"] == 1)]
    cx, cy, side = (float(w[c].median()) for c in ("cx", "cy", "side"))
    scale = config.size_px / (config.framing * side)
    half = config.size_px / 2
    return np.array([[scale, 0, half - scale * cx], [0, scale, half - scale * cy]], float)


def write_clips(video: Path, track: pd.DataFrame, spans: list[Span], out_dir: Path, config: CutConfig) -> list[Path]:
    """Cut every span from ``video`` in one pass: face-centred, ``size_px`` square, ``fps``."""
    import cv2

    paths = [out_dir / f"clip{i:03d}.mp4" for i in range(len(spans))]
    mats = [_crop_matrix(track, s, config) for s in spans]
    due = [s.start_s for s in spans]  # time of each clip's next output frame
    n_left = [max(int(round((s.end_s - s.start_s) * config.fps)), 1) for s in spans]
    writers: dict[int, cv2.VideoWriter] = {}
    times = track.drop_duplicates("frame").set_index("frame")["t_s"]
    cap = cv2.VideoCapture(str(video))
    fps_in = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frame, size = 0, (config.size_px, config.size_px)
    try:
        while any(n_left):
            ok, img = cap.read()
            if not ok:
                break
            t = float(times.get(frame, frame / fps_in))
            frame += 1
            for i in range(len(spans)):
                while n_left[i] and due[i] < t + 0.5 / fps_in:
                    if i not in writers:
                        writers[i] = cv2.VideoWriter(str(paths[i]), cv2.VideoWriter_fourcc(*"mp4v"), config.fps, size)
                    out = cv2.warpAffine(img, mats[i], size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
                    writers[i].write(out)
                    due[i] += 1.0 / config.fps
                    n_left[i] -= 1
    finally:
        cap.release()
        for w in writers.values():
            w.release()
    if config.keep_audio:
        for path, span in zip(paths, spans):
            _add_audio(video, path, span)
    return paths


def _add_audio(video: Path, clip: Path, span: Span) -> None:
    """Copy the source's sound of ``span`` into ``clip`` (ffmpeg from imageio-ffmpeg)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise StimulusError("--keep-audio needs ffmpeg: pip install 'mimicry[audio]'") from None
    tmp = clip.with_name(clip.stem + "-audio.mp4")
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(clip), "-ss", f"{span.start_s:.3f}"]
    cmd += ["-to", f"{span.end_s:.3f}", "-i", str(video), "-map", "0:v", "-map", "1:a?", "-c:v", "copy"]
    cmd += ["-c:a", "aac", "-shortest", str(tmp)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise StimulusError(f"ffmpeg could not copy the sound of {video}: {done.stderr.strip().splitlines()[-1:]}")
    tmp.replace(clip)


def cut_stimuli(
    video: str | Path,
    kind: str,
    library: str | Path,
    source: str,
    license: str,
    config: CutConfig = CutConfig(),
    synthetic: bool = False,
    model: str | Path | None = None,
    extra: dict | None = None,
    *,
    controls_from: str | Path | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> list[Stimulus]:
    """Find the ``kind`` events in ``video``, cut them (and controls) and add every clip to
    ``library``, or nothing: any refusal is one :class:`StimulusError` line. ``kind`` control
    cuts only controls (``config.control_s`` long, up to ``config.max_controls``); ``extra``:
    more manifest fields for every clip (``actor``, ``consent``, ``recorded_at``).

    With ``config.controls``, one control clip per event clip, of its length, from stretches of
    ``video`` where the face is at rest, then of ``controls_from`` (another video of the same
    person); controls that neither has room for are not made, and ``on_warning`` is told which
    and why (the event clips are added all the same)."""
    video = Path(video)
    if kind not in ("yawn", "smile", "control"):
        raise StimulusError(f"kind must be yawn, smile or control, got {kind!r}")
    if not source.strip() or not license.strip():
        raise StimulusError("--source and --license are required: say where the video comes from and its licence")
    if not video.is_file():
        raise StimulusError(f"video not found: {video}")
    if Path(library).exists():  # a broken manifest or a second cut of one video fails before the tracking
        prefix = f"{kind}-{slug(video.stem)[:40]}-"
        if any(s.id.startswith(prefix) for s in load_library(library).stimuli):
            raise StimulusError(f"clips cut from {video.name} are already in {library} (ids {prefix}NN)")
    track = face_track(video, model)
    spans = event_spans(track, kind, config) if kind != "control" else []
    if kind != "control" and not spans:
        raise StimulusError(f"{video}: no {kind} found by mimicry's {kind} signal")
    if kind == "control":
        spans = control_spans(track, [config.control_s] * config.max_controls, config)
        if not spans:
            raise StimulusError(f"{video}: no {config.control_s:g} s with the face at rest (no smile, yawn or talking)")
    sources = [(video, track, spans)]
    if config.controls and kind != "control":
        sources += _control_sources(video, track, spans, config, controls_from, model, on_warning)
    with tempfile.TemporaryDirectory(prefix="mimicry-cut-") as tmp:
        new = []
        for k, (vid, tr, sp) in enumerate(sources):
            (Path(tmp) / str(k)).mkdir()
            paths = write_clips(vid, tr, sp, Path(tmp) / str(k), config)
            done = [s for _, _, earlier in sources[:k] for s in earlier]  # numbering goes on across videos
            new += [
                _new_entry(vid, p, s, i, done + sp, source, license, synthetic, extra or {}, name=video.stem)
                for i, (p, s) in enumerate(zip(paths, sp), start=len(done))
            ]
        return add_stimuli(new, library, model=model)


def _control_sources(video, track, spans, config, controls_from, model, on_warning) -> list[tuple]:
    """(video, track, control spans) for each video that has room for some of the controls
    (one per event clip, of its length): ``video`` first, then ``controls_from``."""
    lengths = [s.end_s - s.start_s for s in spans]
    candidates = [(Path(video), track)] + ([(Path(controls_from), None)] if controls_from else [])
    out, left = [], lengths
    for vid, tr in candidates:
        if not left:
            break
        tr = face_track(vid, model) if tr is None else tr
        found = control_spans(tr, left, config)
        if found:
            out.append((vid, tr, found))
        left = _unmet(left, found)
    if left and on_warning is not None:
        where = " or ".join(v.name for v, _ in candidates)
        hint = "" if controls_from else "; take them from another video of the same person with --controls-from"
        on_warning(
            f"{len(left)} of {len(lengths)} control clips not made: no stretch of "
            f"{', '.join(f'{x:.1f}' for x in left)} s with the face at rest (no smile, yawn or talking) in {where}{hint}"
        )
    return out


def _unmet(lengths: list[float], found: list[Span]) -> list[float]:
    """The lengths no span of ``found`` has (each span uses up one length it matches)."""
    left = list(lengths)
    for c in found:
        match = next((x for x in left if abs(x - (c.end_s - c.start_s)) < 2e-3), None)
        if match is not None:
            left.remove(match)
    return left


def _new_entry(
    video: Path,
    path: Path,
    span: Span,
    i: int,
    spans: list[Span],
    source,
    license,
    synthetic,
    extra: dict,
    *,
    name: str,
) -> NewStimulus:
    """The manifest entry of clip ``i`` of ``spans``, cut from ``video``; ids from ``name`` (the
    main video's: controls taken from another video are numbered on)."""
    n = sum(s.kind == span.kind for s in spans[:i]) + 1
    what = f"{span.events} {span.kind}{'s' if span.events != 1 else ''}" if span.kind != "control" else "face at rest"
    return NewStimulus(
        file=path,
        kind=span.kind,
        id=f"{span.kind}-{slug(name)[:40]}-{n:02d}",
        source=f"{source.strip()}; cut from {video.name} by mimicry stimuli cut",
        license=license,
        description=f"{what}, cut from {video.name} at {span.start_s:.2f}-{span.end_s:.2f} s, face-centred",
        fields={"synthetic": synthetic, "cut_from": video.name, "cut_start_s": span.start_s, "cut_end_s": span.end_s}
        | extra,
    )
