"""The demo's clips: which the playlist plays, the actor's events and signals in each, and their
frames read in order as the playlist shows them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import MimicryError
from ..stimuli.library import Library, Stimulus


def demo_clips(library: Library, kind: str) -> list[Stimulus]:
    """The playlist: the library's clips of ``kind``, by id."""
    clips = sorted(library.of_kind(kind), key=lambda s: s.id)
    if not clips:
        raise MimicryError(f"the stimulus library has no {kind} clips")
    return clips


def actor_data(library: Library, clips: list[Stimulus], kind: str) -> tuple[dict, dict]:
    """Per clip: the actor's event onsets (clip seconds) and per-frame smile and yawn."""
    events = {}
    for s in clips:
        p = library.events_path(s)
        ev = pd.read_csv(p) if p.is_file() else pd.DataFrame(columns=["kind", "onset_s"])
        events[s.id] = ev.loc[ev["kind"] == kind, "onset_s"].to_numpy(float)
    return events, actor_tracks(library, clips)


def actor_tracks(library: Library, clips: list[Stimulus]) -> dict[str, pd.DataFrame]:
    """Per clip: the actor's ``smile`` and ``yawn`` by frame (the clip's track, face 0)."""
    tracks = {}
    for s in clips:
        tr = library.track(s)
        det = tr[tr["face"].fillna(0) == 0].drop_duplicates("frame").set_index("frame")
        tracks[s.id] = det[["smile", "yawn"]]
    return tracks


def actor_events(library: Library, stimulus: Stimulus | str) -> list[tuple[float, str]]:
    """The actor's smile and yawn onsets and offsets in a clip, clip seconds, in order: labels
    ``smile``, ``yawn`` (onsets) and ``smile_end``, ``yawn_end`` (offsets), as logged
    ``stimulus_<label>`` when they are on screen (the clip's events file; none without one)."""
    p = library.events_path(stimulus)
    if not p.is_file():
        return []
    ev = pd.read_csv(p)
    ev = ev[ev["kind"].isin(("smile", "yawn"))]
    out = [(float(t), str(k)) for t, k in zip(ev["onset_s"], ev["kind"])]
    if "offset_s" in ev:
        out += [(float(t), f"{k}_end") for t, k in zip(ev["offset_s"], ev["kind"]) if pd.notna(t)]
    return sorted(out)


class ClipReader:
    """Frames of the clip on screen, read forward as the playlist advances (a new block reopens its clip)."""

    def __init__(self, library: Library):
        self.library = library
        self._cap, self._id, self._pos, self._img = None, None, 0, None

    def frame(self, block: int, stimulus: Stimulus, k: int) -> np.ndarray | None:
        """Frame ``k`` of ``stimulus`` in ``block`` (the last one read if the clip ends early)."""
        import cv2

        if self._id != (block, stimulus.id):
            self.close()
            self._cap = cv2.VideoCapture(str(self.library.clip_path(stimulus)))
            self._id, self._pos = (block, stimulus.id), 0
        while self._pos <= k:
            ok, img = self._cap.read()
            self._pos += 1
            if ok:
                self._img = img
        return self._img

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
