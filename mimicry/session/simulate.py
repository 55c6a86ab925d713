"""Simulated sessions with known truth, for examples, tests and benchmarks.

A protocol of blocks (baseline, then stimulus blocks separated by pauses) is laid out on the
session clock; the actor's smile and yawn follow smooth bumps at random times; the viewer follows
the actor with a chosen lag and gain (or not at all), plus autocorrelated noise; camera frames
have jittered times; faces can be lost for stretches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import FRAMES, STIMULUS_LOG
from ..stimuli.synth import hump


@dataclass
class SimulatedSession:
    """``frames`` and ``stimulus_log`` as a session writes them, plus ``meta`` (session.json)."""

    frames: pd.DataFrame
    stimulus_log: pd.DataFrame
    meta: dict
    truth: dict = field(default_factory=dict)


def smooth_noise(n: int, fps: float, rng: np.random.Generator, tau_s: float = 0.5) -> np.ndarray:
    """AR(1) noise with time constant ``tau_s`` seconds and unit variance."""
    a = np.exp(-1.0 / (tau_s * fps))
    e = rng.standard_normal(n) * np.sqrt(1 - a * a)
    out = np.empty(n)
    acc = rng.standard_normal()
    for i in range(n):
        acc = a * acc + e[i]
        out[i] = acc
    return out


def bumps(
    t: np.ndarray, onsets: np.ndarray, rise_s: float, hold_s: float, fall_s: float, heights: np.ndarray | None = None
) -> np.ndarray:
    """Sum of smooth bumps (cosine rise, hold, cosine fall) starting at ``onsets``, clipped to [0, 1]."""
    out = np.zeros_like(t, dtype=float)
    heights = np.ones(len(onsets)) if heights is None else heights
    for on, h in zip(onsets, heights):
        out = np.maximum(out, h * hump(t, on, rise_s, hold_s, fall_s))
    return np.clip(out, 0, 1)


def simulate_session(
    blocks: tuple[str, ...] = ("smile", "control", "smile", "yawn", "control", "yawn"),
    *,
    block_s: float = 30.0,
    baseline_s: float = 10.0,
    isi_s: float = 5.0,
    fps: float = 30.0,
    stimulus_fps: float = 25.0,
    smile_lag_s: float | None = 0.8,
    smile_gain: float = 0.6,
    noise: float = 0.08,
    yawn_lag_s: float | None = 4.0,
    events_per_block: int = 4,
    jitter_s: float = 0.004,
    face_loss: tuple[tuple[float, float], ...] = (),
    end_s: float | None = None,
    own_yawns_per_min: float = 0.0,
    seed: int = 0,
) -> SimulatedSession:
    """A session with known truth.

    Parameters
    ----------
    blocks : tuple of str
        Block kinds in order (``smile``, ``yawn``, ``control``).
    block_s, baseline_s, isi_s : float
        Block length, baseline before the first block, pause between blocks, seconds.
    fps, stimulus_fps : float
        Camera rate and stimulus clip rate, Hz.
    smile_lag_s, smile_gain : float
        The viewer's smile = ``smile_gain`` x the actor's smile ``smile_lag_s`` seconds earlier,
        plus noise; ``None``: the viewer smiles on their own, at random times, independent of
        the actor.
    noise : float
        SD of the viewer's AR(1) noise (0.5 s time constant), 0-1 units.
    yawn_lag_s : float
        The viewer yawns this long after each actor yawn *in yawn blocks* only (never in
        control blocks); ``None``: no viewer yawns.
    events_per_block : int
        Actor smiles per smile block and yawns per yawn block.
    face_loss : tuple of (start_s, end_s)
        Spans where the face is not detected.
    end_s : float
        Cut the session here (an early end); ``None`` for the full protocol.
    own_yawns_per_min : float
        Rate of the viewer's own yawns (a Poisson process over the whole session, independent of
        the video), per minute.

    Returns
    -------
    SimulatedSession
        With ``truth``: actor smile and yawn onsets, viewer yawn onsets, block spans.
    """
    rng = np.random.default_rng(seed)
    starts = baseline_s + np.arange(len(blocks)) * (block_s + isi_s)
    total = float(starts[-1] + block_s + isi_s) if len(blocks) else baseline_s
    t_cam = np.arange(0.0, total, 1.0 / fps)
    log, actor, actor_smile_cam = _actor(blocks, starts, block_s, stimulus_fps, events_per_block, t_cam, rng)
    v_smile, v_yawn, viewer_yawn_onsets, own_yawns = _viewer(
        t_cam, total, fps, actor, actor_smile_cam, smile_lag_s, smile_gain, noise, yawn_lag_s, own_yawns_per_min, rng
    )
    frames = _frames(t_cam, v_smile, v_yawn, starts, block_s, jitter_s, face_loss, rng)
    if end_s is not None:
        frames = frames[frames.t_s < end_s].reset_index(drop=True)
        log = log[log.t_s < end_s].reset_index(drop=True)
    meta = {
        "session_id": f"sim{seed}",
        "participant": "P-sim",
        "status": "complete" if end_s is None else "aborted",
        "camera_fps": fps,
    }
    truth = {
        "actor_smile_onsets": np.array(actor["smile"]),
        "actor_yawn_onsets": np.array(actor["yawn"]),
        "viewer_yawn_onsets": np.array(viewer_yawn_onsets),
        "viewer_own_yawn_onsets": own_yawns,
        "block_starts": starts,
        "block_kinds": blocks,
    }
    return SimulatedSession(frames[FRAMES.names], log[STIMULUS_LOG.names], meta, truth)


def _actor(blocks, starts, block_s, stimulus_fps, events_per_block, t_cam, rng):
    """The stimulus log (actor signals per displayed frame), the actor's smile and yawn onsets
    (session clock) and the actor's smile on the camera clock (for the viewer model)."""
    log_parts, onsets = [], {"smile": [], "yawn": []}
    actor_smile_cam = np.zeros_like(t_cam)
    for b, (kind, st) in enumerate(zip(blocks, starts)):
        ts = np.arange(0.0, block_s, 1.0 / stimulus_fps)
        smile = np.zeros_like(ts)
        yawn = np.zeros_like(ts)
        slots = (np.arange(events_per_block) + 0.15 + 0.5 * rng.random(events_per_block)) * (block_s / events_per_block)
        if kind == "smile":
            on = slots[slots < block_s - 3]
            heights = rng.uniform(0.6, 1.0, len(on))
            smile = bumps(ts, on, 0.4, rng.uniform(0.8, 2.0), 0.6, heights)
            onsets["smile"] += list(st + on)
        elif kind == "yawn":
            on = slots[slots < block_s - 7]
            yawn = bumps(ts, on, 2.5, 1.5, 1.0)
            onsets["yawn"] += list(st + on)
        log_parts.append(
            pd.DataFrame(
                {
                    "t_s": st + ts,
                    "block": b,
                    "stimulus_id": f"{kind}-sim-{b}",
                    "kind": kind,
                    "stimulus_frame": np.arange(ts.size),
                    "stimulus_t_s": ts,
                    "smile": smile,
                    "yawn": yawn,
                }
            )
        )
        inside = (t_cam >= st) & (t_cam < st + block_s)
        actor_smile_cam[inside] = np.interp(t_cam[inside] - st, ts, smile)
    log = pd.concat(log_parts, ignore_index=True) if log_parts else pd.DataFrame(columns=STIMULUS_LOG.names)
    return log, onsets, actor_smile_cam


def _viewer(
    t_cam, total, fps, actor, actor_smile_cam, smile_lag_s, smile_gain, noise, yawn_lag_s, own_yawns_per_min, rng
):
    """The viewer's smile and yawn on the camera clock, their yawn onsets after the actor's and their own."""
    if smile_lag_s is not None:
        v_smile = smile_gain * np.interp(t_cam - smile_lag_s, t_cam, actor_smile_cam, left=0.0)
    else:
        own = np.sort(rng.uniform(0, total, size=max(1, int(len(actor["smile"]) or 4))))
        v_smile = smile_gain * bumps(t_cam, own, 0.4, 1.2, 0.6, rng.uniform(0.6, 1.0, own.size))
    v_smile = np.clip(v_smile + noise * smooth_noise(t_cam.size, fps, rng), 0, 1)
    viewer_yawn_onsets = [o + yawn_lag_s for o in actor["yawn"]] if yawn_lag_s is not None else []
    own_yawns = _poisson_times(rng, own_yawns_per_min / 60.0, total - 5.0)
    all_yawns = np.sort(np.r_[np.array(viewer_yawn_onsets, float), own_yawns])
    v_yawn = bumps(t_cam, all_yawns, 2.0, 1.5, 1.0) if all_yawns.size else np.zeros(t_cam.size)
    v_yawn = np.clip(v_yawn + 0.02 * np.abs(smooth_noise(t_cam.size, fps, rng)), 0, 1)
    return v_smile, v_yawn, viewer_yawn_onsets, own_yawns


def _frames(t_cam, v_smile, v_yawn, starts, block_s, jitter_s, face_loss, rng) -> pd.DataFrame:
    """``frames.csv`` rows: jittered frame times, face-loss spans, the block of each frame."""
    n = t_cam.size
    t_frames = t_cam + rng.uniform(-jitter_s, jitter_s, n)
    t_frames[0] = max(t_frames[0], 0.0)
    t_frames = np.maximum.accumulate(t_frames)
    detected = np.ones(n, dtype=int)
    for a, b in face_loss:
        detected[(t_cam >= a) & (t_cam < b)] = 0
    block_col = pd.array([pd.NA] * n, dtype="Int64")
    for b, st in enumerate(starts):
        inside = (t_cam >= st) & (t_cam < st + block_s)
        block_col[inside] = b
    frames = pd.DataFrame(
        {
            "t_s": t_frames,
            "frame": np.arange(n),
            "face": 0,
            "detected": detected,
            "block": block_col,
            "smile": np.where(detected == 1, v_smile, np.nan),
            "yawn": np.where(detected == 1, v_yawn, np.nan),
        }
    )
    frames["face"] = frames["face"].astype("Int64")
    return frames


def _poisson_times(rng: np.random.Generator, rate_per_s: float, duration_s: float) -> np.ndarray:
    """Event times of a Poisson process on [0, duration_s), at least 6 s apart (a yawn takes ~5 s)."""
    if rate_per_s <= 0 or duration_s <= 0:
        return np.empty(0)
    times = np.sort(rng.uniform(0, duration_s, rng.poisson(rate_per_s * duration_s)))
    keep = []
    for t in times:
        if not keep or t - keep[-1] >= 6.0:
            keep.append(t)
    return np.array(keep, float)


def null_session(kind: str, seed: int, *, fps: float = 30.0, yawns_per_min: float = 1.0) -> SimulatedSession:
    """A session in which the viewer does not mimic: for calibrating every p-value mimicry prints.

    ``smile``: six 30 s blocks (four smile clips with four actor smiles each, two control clips),
    a viewer smiling on their own at random times. ``yawn``: six yawn and six control clips of
    30 s (3 min of yawns shown), a viewer yawning on their own ``yawns_per_min`` times a minute
    on average. Both with AR(1) noise, jittered frame times and one to three face-loss gaps of
    0.2-3 s.
    """
    rng = np.random.default_rng([seed, 7])
    blocks = ("smile", "control", "smile", "smile", "control", "smile") if kind == "smile" else ("yawn", "control") * 6
    total = 10.0 + len(blocks) * 35.0
    gaps = tuple((a, a + rng.uniform(0.2, 3.0)) for a in np.sort(rng.uniform(5.0, total - 5.0, rng.integers(1, 4))))
    return simulate_session(
        blocks=blocks,
        block_s=30.0,
        baseline_s=10.0,
        isi_s=5.0,
        fps=fps,
        smile_lag_s=None,
        yawn_lag_s=None,
        events_per_block=4 if kind == "smile" else 3,
        jitter_s=0.008,
        face_loss=gaps,
        own_yawns_per_min=yawns_per_min if kind == "yawn" else 0.0,
        seed=seed,
    )


# -- a classroom, for the demo's class test ---------------------------------------------------------


@dataclass(frozen=True)
class SimulatedClass:
    """Yawn onsets per face of a class watching the demo, and the video's yawns (session s)."""

    onsets: dict[int, list[float]]
    stimulus_onsets: list[float]
    end_s: float
    baseline_s: tuple[float, float] = (0.0, 60.0)


def simulated_class(
    rng: np.random.Generator,
    *,
    faces: int = 20,
    per_face_min: float = 0.2,
    spread: int = 0,
    after_gain: float = 1.0,
    end_s: float = 400.0,
    video_yawns: int = 8,
) -> SimulatedClass:
    """A class after a 1-minute baseline: ``video_yawns`` yawns in the video from 70 s, 40 s
    apart; each pupil yawns on their own ``per_face_min`` times a minute (Poisson); each yawn sets
    off ``spread`` more in other pupils within 1-10 s (yawning spreading through the room); with
    ``after_gain`` > 1 the rate is that many times higher within 15 s after each of the video's
    yawns (contagion by the video)."""
    stimuli = [70.0 + 40.0 * k for k in range(video_yawns)]
    onsets: dict[int, list[float]] = {f: [] for f in range(faces)}
    rate_s = faces * per_face_min / 60.0 / (1 + spread)  # chains, so the total rate is per_face_min

    def chain(t: float) -> None:
        for k, f in enumerate(rng.choice(faces, 1 + spread, replace=False)):
            onsets[int(f)].append(float(min(t + (rng.uniform(1, 10) if k else 0.0), end_s - 0.01)))

    for t in rng.uniform(0, end_s, rng.poisson(rate_s * end_s)):
        chain(float(t))
    for s in stimuli:  # the extra rate after each of the video's yawns
        for t in rng.uniform(s, s + 15.0, rng.poisson(rate_s * 15.0 * (after_gain - 1.0))):
            chain(float(t))
    return SimulatedClass(onsets, stimuli, end_s)


def class_tally(sim: SimulatedClass, *, step_s: float = 0.2, n_surrogates: int = 2000, seed: int = 0):
    """The demo's :class:`~mimicry.session.tally.Tally` of ``sim``: every face measured every
    ``step_s`` from the start, its yawns counted by phase."""
    from .schedule import Phase
    from .tally import FaceTally, Tally

    tally = Tally("yawn", n_surrogates=n_surrogates, seed=seed)
    for s in sim.stimulus_onsets:
        tally.add_stimulus(s)
    tally.set_baseline(*sim.baseline_s)
    steps = [(float(t), step_s, True) for t in np.arange(step_s, sim.end_s, step_s)]
    b0, b1 = sim.baseline_s
    for f, ons in sim.onsets.items():
        tally.faces[f] = FaceTally(steps=list(steps))
        for o in ons:
            tally.add(f, o, Phase("baseline", b0, b1) if b0 <= o < b1 else None)
    tally.end_s = sim.end_s
    return tally
