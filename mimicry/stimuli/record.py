"""Filming a volunteer or actor as a stimulus (``mimicry stimuli record``).

A window shows the actor their own camera image (they need it to stay in frame; a viewer never
sees it) with a cue: get ready, then ``yawn now`` / ``smile now`` and ``rest`` in turn
(:data:`CUES`), or one long rest for control clips. Every camera frame is written to a video
on the camera's clock; then :func:`~mimicry.stimuli.cut.cut_stimuli` finds the yawns (smiles)
the actor actually made, whatever the cues said, cuts and checks them, and adds them with the
actor's pseudonym, their consent and the time of recording. Nothing is added without
``consent``; the recording itself is deleted once the clips are cut.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import StimulusError
from .cut import CutConfig, cut_stimuli
from .library import Stimulus, load_library

READY_S = 5.0
"""The "get ready" countdown before the first cue, s."""
CUES: dict[str, list[tuple[str, float]]] = {
    "yawn": [("yawn now", 10.0), ("rest", 8.0)] * 3,
    "smile": [("smile now", 4.0), ("rest", 6.0)] * 4,
    "control": [("rest: look at the camera, relaxed", 30.0)],
}
"""Per kind, the cues after the countdown and how long each is shown, s."""


@dataclass(frozen=True)
class Cue:
    text: str
    start_s: float
    end_s: float


def record_schedule(kind: str, ready_s: float = READY_S) -> list[Cue]:
    """The cues of a recording on its clock (0 = first camera frame)."""
    if kind not in CUES:
        raise StimulusError(f"kind must be one of {', '.join(CUES)}, got {kind!r}")
    cues, t = [Cue("get ready", 0.0, ready_s)], ready_s
    for text, length in CUES[kind]:
        cues.append(Cue(text, t, t + length))
        t += length
    return cues


def cue_at(cues: list[Cue], t_s: float) -> Cue | None:
    """The cue shown at ``t_s`` (None after the last)."""
    return next((c for c in cues if c.start_s <= t_s < c.end_s), None)


@dataclass(frozen=True)
class RecordConfig:
    """Options of ``mimicry stimuli record``."""

    kind: str
    camera: str | int
    actor: str
    license: str
    consent: bool
    library: Path
    window: bool = True
    cut: CutConfig = field(default_factory=CutConfig)
    ready_s: float = READY_S


def check_record(config: RecordConfig) -> None:
    """The refusals that come before the camera opens (one line each)."""
    from ..session.engine import check_participant

    if not config.consent:
        raise StimulusError(
            "no --consent: the actor must agree that the clips show their face and may be shown to viewers"
        )
    if not config.license.strip():
        raise StimulusError("--license is required: the terms under which the clips may be used")
    check_participant(config.actor, "--actor (a pseudonym)")
    record_schedule(config.kind, config.ready_s)
    if Path(config.library).exists():
        load_library(config.library)


def record_stimuli(
    config: RecordConfig, model: str | Path | None = None, on_screen: Callable[[np.ndarray], None] | None = None
) -> list[Stimulus]:
    """Run the cues while filming, then cut and add the clips (all or none)."""
    check_record(config)
    recorded_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    cues = record_schedule(config.kind, config.ready_s)
    with tempfile.TemporaryDirectory(prefix="mimicry-record-") as tmp:
        video = Path(tmp) / f"{config.actor.lower()}-{dt.datetime.now():%Y%m%d-%H%M%S}.mp4"
        seconds, fps = _film(config, cues, video, on_screen)
        if seconds < 2.0:
            raise StimulusError(f"the camera delivered only {seconds:.1f} s: nothing recorded to cut")
        check_all_cues_filmed(cues, seconds, 1.0 / fps)
        extra = {"actor": config.actor, "consent": True, "recorded_at": recorded_at}
        source = f"filmed with mimicry stimuli record, actor {config.actor}, {recorded_at}"
        return cut_stimuli(video, config.kind, config.library, source, config.license, config.cut, False, model, extra)


def check_all_cues_filmed(cues: list[Cue], filmed_s: float, frame_s: float) -> None:
    """Refuse a recording whose camera ended before the last cue did: the actor performed cues
    that were never filmed, and clips cut from the rest would look like the whole take.

    Raises
    ------
    StimulusError
        Naming the cues that were cut short or not filmed at all.
    """
    missed = [c for c in cues if c.end_s > filmed_s + 2 * frame_s]
    if missed:
        raise StimulusError(
            f"the camera ended at {filmed_s:.1f} s, before the cues did ({cues[-1].end_s:g} s): "
            f"{len(missed)} of {len(cues)} cues were not filmed whole; nothing was added, record again"
        )


def _film(config: RecordConfig, cues: list[Cue], out: Path, on_screen) -> tuple[float, float]:
    """Show the cues over the camera image and write every frame to ``out``; returns the seconds
    filmed and the recording's frame rate."""
    import cv2

    from ..sensing.capture import VideoFileSource
    from ..session.camera import open_camera
    from ..session.display import KEY_CLOSED, KEY_ESC, KEY_Q, Window

    camera = config.camera
    is_file = not (isinstance(camera, int) or str(camera).strip().isdigit())
    source = VideoFileSource(camera) if is_file else open_camera(camera)  # a file: as fast as it decodes
    window = Window("mimicry stimuli record", (960, 720)) if config.window else None
    writer = _SlotWriter(out, source.nominal_fps, (source.width, source.height))
    t = 0.0
    try:
        with source:
            for frame in source:
                t = frame.t_s
                cue = cue_at(cues, t)
                if cue is None:
                    break
                writer.add(frame.image, t)
                if window is not None or on_screen is not None:
                    canvas = _cue_canvas(cv2.flip(frame.image, 1), cue, t)  # mirrored, as the actor expects
                    if on_screen is not None:
                        on_screen(canvas)
                    if window is not None and window.present(canvas) in (KEY_ESC, KEY_Q, KEY_CLOSED):
                        raise StimulusError("recording stopped: nothing was added")
    finally:
        writer.close()
        if window is not None:
            window.close()
    return t, writer.fps


def _cue_canvas(image: np.ndarray, cue: Cue, t_s: float) -> np.ndarray:
    """The actor's view: their image with the cue and the seconds left in large letters."""
    import cv2

    canvas = image.copy()
    h, w = canvas.shape[:2]
    scale = max(w / 640.0, 0.6)
    cv2.rectangle(canvas, (0, 0), (w, int(70 * scale)), (40, 40, 40), -1)
    text = f"{cue.text}   {max(0, int(np.ceil(cue.end_s - t_s)))}"
    cv2.putText(
        canvas, text, (int(20 * scale), int(50 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 1.2 * scale, (255, 255, 255), 2
    )
    return canvas


class _SlotWriter:
    """An MP4 at a constant rate from frames with their own times: each slot ``k / fps`` gets the
    latest frame at or before it, so the video keeps the camera's time even if it stutters."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]):
        import cv2

        self.fps = float(fps) if np.isfinite(fps) and fps > 0 else 30.0
        self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
        if not self.writer.isOpened():
            raise StimulusError(f"cannot write the recording {path}")
        self.slot, self.last, self.t0 = 0, None, 0.0

    def add(self, image: np.ndarray, t_s: float) -> None:
        if self.last is None:
            self.t0 = t_s
        half = 0.5 / self.fps
        while self.last is not None and self.t0 + self.slot / self.fps < t_s - half:  # a gap: hold the last frame
            self.writer.write(self.last)
            self.slot += 1
        if self.t0 + self.slot / self.fps <= t_s + half:  # else early: this slot is already filled
            self.writer.write(image)
            self.slot += 1
        self.last = image

    def close(self) -> None:
        self.writer.release()
