"""The demo's counts: viewer yawns (or smiles) per face and for the class, by phase, and how many
started soon after one in the video; and the class's one test: did it yawn (smile) more often
after one in the video than in the minutes before the clips? Pure: times in, counts out.

The test is ``mimicry analyze``'s yawn test (:func:`~mimicry.analysis.verdicts.yawn_verdict`, a
circular-shift permutation of the yawn onsets, one-sided), on the class pooled: its *yawn windows*
are the response windows after each yawn (smile) in the video, its *control windows* tile the
baseline before the first clip (``mimicry demo --baseline-minutes``); exposure is the minutes each
face was measured in them, summed over faces. The whole class's train of onsets is shifted at once,
so yawns that spread from pupil to pupil stay together under the null.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..analysis.contagion import DEFAULT_CONTAGION, ContagionConfig
from ..analysis.timing import timing_problem, withhold
from ..analysis.verdicts import DEFAULT_VERDICT, YawnExposure, in_windows, yawn_null, yawn_verdict
from .schedule import Phase

LETTERS = "ABCDEFGH"


def letter(face: int) -> str:
    """A face's short name: A, B, C, ... (then 9, 10, ... past H)."""
    return LETTERS[face] if 0 <= face < len(LETTERS) else str(face + 1)


RESPONSE_WINDOW_S = {"yawn": DEFAULT_CONTAGION.response_window_s, "smile": (0.0, 3.0)}
"""A viewer event starting this long after one in the video is counted as "after the video", seconds."""
PAST = {"yawn": "yawned", "smile": "smiled"}
MAX_STEP_S = 0.5
"""A face's rows further apart than this are not counted as watched in between, s."""
CLASS_SURROGATES = 2000
"""Shifts of the class's onsets in the class test."""


@dataclass
class FaceTally:
    events: int = 0
    in_baseline: int = 0
    in_clips: int = 0
    in_pauses: int = 0
    after_video: int = 0
    first_s: float | None = None
    onsets: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    """(t_s, dt_s, measured) of the rows with the face in view; ``measured``: its signal was
    given (the face not too small for it)."""
    last_t_s: float | None = None

    def measured(self) -> list[tuple[float, float]]:
        return [(t, d) for t, d, m in self.steps if m]


def baseline_onsets(start_s: float, end_s: float, window_s: tuple[float, float]) -> np.ndarray:
    """Pseudo-onsets whose response windows tile ``[start_s, end_s)`` without overlap (a last part
    shorter than a window is left out)."""
    length = window_s[1] - window_s[0]
    n = int(np.floor((end_s - start_s) / length + 1e-9)) if end_s > start_s else 0
    return start_s - window_s[0] + length * np.arange(n)


class Tally:
    """Counts of viewer events per face, phase and contagion, and the class test (pure: times in, counts out)."""

    def __init__(self, kind: str, *, seed: int = 0, n_surrogates: int = CLASS_SURROGATES):
        self.kind = kind
        self.faces: dict[int, FaceTally] = {}
        self.stimulus_onsets: list[float] = []
        self.since_s = 0.0
        self.baseline_s: tuple[float, float] | None = None
        self.end_s = 0.0
        self.seed, self.n_surrogates = seed, n_surrogates

    @property
    def window_s(self) -> tuple[float, float]:
        return RESPONSE_WINDOW_S[self.kind]

    def reset(self, t_s: float) -> None:
        self.faces.clear()
        self.since_s = t_s
        if self.baseline_s is not None and self.baseline_s[1] <= t_s:
            self.baseline_s = None  # the counts before the reset are gone, and the baseline with them

    def add_stimulus(self, onset_s: float) -> None:
        self.stimulus_onsets.append(onset_s)

    def set_baseline(self, start_s: float, end_s: float) -> None:
        """The minutes before the first clip: the class's base rate."""
        self.baseline_s = (max(start_s, self.since_s), end_s)

    def see(self, face: int, t_s: float | None = None, *, measured: bool = True) -> None:
        """A face is in view at ``t_s``: it gets a row of its own, with zero counts until it yawns
        (or smiles); ``measured``: its signal was given (the face not too small for it)."""
        f = self.faces.setdefault(face, FaceTally())
        if t_s is None:
            return
        if f.last_t_s is not None and 0 < t_s - f.last_t_s <= MAX_STEP_S:
            f.steps.append((t_s, t_s - f.last_t_s, measured))
        f.last_t_s = t_s
        self.end_s = max(self.end_s, t_s)

    def add(self, face: int, onset_s: float, phase: Phase | None) -> bool:
        """Count a viewer event; returns True if it started within the window after one in the video."""
        f = self.faces.setdefault(face, FaceTally())
        f.events += 1
        f.onsets.append(onset_s)
        if f.first_s is None:
            f.first_s = onset_s - self.since_s
        kind = phase.kind if phase is not None else None
        f.in_baseline += kind == "baseline"
        f.in_clips += kind == "clip"
        f.in_pauses += kind == "pause"
        after = bool(in_windows([onset_s], self._stimuli(), self.window_s)[0])
        f.after_video += int(after)
        return after

    def _stimuli(self) -> np.ndarray:
        return np.array([s for s in self.stimulus_onsets if s >= self.since_s], float)

    def _pseudo(self) -> np.ndarray:
        if self.baseline_s is None:
            return np.zeros(0)
        return baseline_onsets(*self.baseline_s, self.window_s)

    def _exposure(self, ts: list[FaceTally]) -> YawnExposure:
        stim, pseudo, w = self._stimuli(), self._pseudo(), self.window_s
        onsets = np.array([o for t in ts for o in t.onsets], float)
        steps = np.array([m for t in ts for m in t.measured()], float).reshape(-1, 2)
        in_after = in_windows(steps[:, 0], stim, w)
        in_before = in_windows(steps[:, 0], pseudo, w) & ~in_after
        on_after = in_windows(onsets, stim, w)
        on_before = in_windows(onsets, pseudo, w) & ~on_after
        return YawnExposure(
            int(on_after.sum()),
            int(on_before.sum()),
            float(steps[in_after, 1].sum() / 60.0),
            float(steps[in_before, 1].sum() / 60.0),
            int(stim.size),
            int(pseudo.size),
        )

    def class_test(self, *, timing: dict | None = None) -> dict:
        """:func:`~mimicry.analysis.verdicts.yawn_verdict` of the whole class (see the module
        docstring); withheld when the demo's ``timing`` (``session.json``'s) tracked fewer frames
        a second than the yawn tests need (:func:`~mimicry.analysis.timing.timing_problem`)."""
        ts = list(self.faces.values())
        x = self._exposure(ts)
        onsets = np.array([o for t in ts for o in t.onsets], float)
        config = ContagionConfig(response_window_s=self.window_s)
        rng = np.random.default_rng([self.seed, 97])
        span = (self.since_s, max(self.end_s, self.since_s))
        # shifts over the whole circle: the exact test (leaving out the shortest ran hot here)
        null = yawn_null(onsets, self._stimuli(), self._pseudo(), span, self.n_surrogates, rng, config, min_shift_s=0.0)
        row = yawn_verdict(-1, x, null)
        problem = timing_problem(timing, signal="yawn")
        return {"exposure": x, **(withhold(row, problem) if problem else row)}

    def snapshot(self) -> Tally:
        """A copy of the counts without the rows' times (what a screen draws, cheap to take)."""
        out = Tally(self.kind, seed=self.seed, n_surrogates=self.n_surrogates)
        out.faces = {k: replace(f, onsets=[], steps=[]) for k, f in self.faces.items()}
        return out

    def table(self, test: dict | None = None) -> pd.DataFrame:
        """Per face and for the class (``face = 'class'``); columns of :data:`~mimicry.schema.DEMO_RESULTS`;
        ``test``: :meth:`class_test`'s result, if already computed."""

        def row(face, face_id, ts):
            firsts = [t.first_s for t in ts if t.first_s is not None]
            x = self._exposure(ts)
            return {
                "face": face,
                "face_id": face_id,
                "kind": self.kind,
                "events": sum(t.events for t in ts),
                "in_baseline": sum(t.in_baseline for t in ts),
                "in_clips": sum(t.in_clips for t in ts),
                "in_pauses": sum(t.in_pauses for t in ts),
                "after_video": sum(t.after_video for t in ts),
                "first_s": round(min(firsts), 2) if firsts else None,
                "minutes_seen": round(sum(d for t in ts for _, d, _ in t.steps) / 60.0, 3),
                "minutes_measured": round(sum(d for t in ts for _, d, m in t.steps if m) / 60.0, 3),
                "minutes_before": round(x.minutes_control, 3),
                "minutes_after": round(x.minutes_yawn, 3),
            }

        rows = [row(letter(f), f, [t]) for f, t in sorted(self.faces.items())]
        rows.append(row("class", None, list(self.faces.values())))
        out = pd.DataFrame(rows)
        test = self.class_test() if test is None else test
        out["verdict"] = [None] * (len(out) - 1) + [test["verdict"]]
        out["p_value"] = [np.nan] * (len(out) - 1) + [test["p_value"]]
        return out


def class_sentence(tally: Tally, test: dict | None = None) -> str:
    """The class test in words: what the screen, the terminal and ``demo_results.csv`` say."""
    test = tally.class_test() if test is None else test
    x, kind = test["exposure"], tally.kind
    lo, hi = tally.window_s
    after = f"within {hi:g} s after a {kind} in the video"
    if str(test.get("reason", "")).startswith("timing:"):
        return f"Cannot tell: {test['reason']}."
    if x.stimulus_yawns == 0:
        return f"No {kind} in the video was shown yet: nothing to compare."
    if x.pseudo_onsets == 0 and tally.baseline_s is not None:
        length = tally.baseline_s[1] - tally.baseline_s[0]
        return (
            f"The baseline before the clips ({length:.0f} s) was shorter than one {hi - lo:g}-s window: "
            f"whether the class {PAST[kind]} more often {after} cannot be told."
        )
    if x.pseudo_onsets == 0:
        return (
            f"No baseline before the clips (--baseline-minutes): whether the class {PAST[kind]} more "
            f"often {after} cannot be told."
        )
    if min(x.minutes_yawn, x.minutes_control) < DEFAULT_VERDICT.min_exposure_min:
        return (
            f"Too little watched to tell: {x.minutes_yawn:.1f} face-minutes {after} and "
            f"{x.minutes_control:.1f} before the clips (need {DEFAULT_VERDICT.min_exposure_min:g} each)."
        )
    rates = (
        f"{x.yawns_yawn} in {x.minutes_yawn:.1f} face-minutes {after}, "
        f"{x.yawns_control} in {x.minutes_control:.1f} before the clips"
    )
    if test["verdict"] == "insufficient_data":
        return f"Too few {kind}s to tell ({rates})."
    p = f"p = {test['p_value']:.3f}, circular-shift test"
    if test["verdict"] == "detected":
        return f"The class {PAST[kind]} more often {after} than before the clips ({rates}; {p})."
    return f"The class did not {kind} more often {after} than before the clips ({rates}; {p})."


RESULTS_COLUMNS = {
    "face": "face",
    "events": "{kind}s",
    "in_baseline": "before clips",
    "in_clips": "in clips",
    "in_pauses": "in pauses",
    "after_video": "after video",
    "first_s": "first (s)",
    "minutes_measured": "measured (min)",
}
"""The columns of :meth:`Tally.table` the terminal shows, and their headings."""


def results_text(table: pd.DataFrame, kind: str) -> str:
    """:meth:`Tally.table` as text: one line per face and one for the class."""
    shown = table[list(RESULTS_COLUMNS)].rename(columns={k: v.format(kind=kind) for k, v in RESULTS_COLUMNS.items()})
    return shown.astype(object).where(shown.notna(), "-").to_string(index=False)


RELIABLE_FACE_PX = {False: 160, True: 32}
"""Narrowest face found reliably (>= 95 % in ``benchmarks/classroom.py``'s classroom frames), px of a
1280-px frame: MediaPipe's own detector on the whole frame (False), the classroom tracker (True)."""


def reach_text(widths_px: list[float], *, crowd: bool, read_px: float = 0.0, signal: str = "") -> str:
    """What the camera sees: ``in view 12, smallest 38 px`` and, when a face is narrower than the
    tracker finds reliably, or than ``signal`` is read from (``read_px``, the signal's minimum face
    width), what to do about it (a teacher moves the laptop, not the class)."""
    if not widths_px:
        return "no face in view"
    smallest = min(widths_px)
    text = f"in view {len(widths_px)}, smallest {smallest:.0f} px"
    limit = RELIABLE_FACE_PX[crowd]
    if smallest < 1.25 * limit:
        text += f" (faces under {limit} px may be missed: move the camera closer"
        return text + (")" if crowd else " or use --max-faces 9 or more)")
    small = sum(w < read_px for w in widths_px)
    if small:
        text += f" ({small} under {read_px:.0f} px: {signal}s not read there; move the camera closer)"
    return text
