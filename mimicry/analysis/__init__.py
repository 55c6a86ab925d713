"""Analysis of a session: how much and how soon the viewer follows the stimulus.

Pure functions over DataFrames; no file I/O here (see :mod:`mimicry.session.folder`). Stages, one module
each: :mod:`.alignment` -> :mod:`.events` -> :mod:`.verdicts` (the primary tests, per-trial data and
the lay index) with :mod:`.contagion` (yawn crediting); beside them :mod:`.scores` (secondary,
descriptive synchrony: :mod:`.synchrony` with :mod:`.surrogates`). :func:`analyze` runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import CONTAGION, EVENTS, TRIALS, VERDICTS
from . import verdicts
from .alignment import MAX_GAP_S, align_blocks, block_spans, resample_gapped, viewer_series
from .attention import DEFAULT_ATTENTION, AttentionConfig, attending
from .calibration import DEFAULT_CALIBRATION, CalibrationConfig, CalibrationError, face_ranges, normalize_frames
from .contagion import DEFAULT_CONTAGION, ContagionConfig, block_of, credit, event_locked, yawn_contagion
from .events import DEFAULT_EVENTS, EventConfig, detect_events
from .scores import synchrony_tables
from .settings import SettingsError
from .surrogates import circular_shifts, p_value
from .synchrony import DEFAULT_LAGS, LagConfig, xcorr_parts
from .timing import DEFAULT_TIMING, TimingConfig, timing_problem, withhold
from .verdicts import DEFAULT_VERDICT, VerdictConfig

SIGNALS = ("smile", "yawn")

__all__ = [
    "AnalysisConfig",
    "AnalysisResult",
    "analyze",
    "synchrony_tables",
    "event_locked",
    "align_blocks",
    "block_spans",
    "detect_events",
    "xcorr_parts",
    "circular_shifts",
    "p_value",
    "EventConfig",
    "LagConfig",
    "ContagionConfig",
    "VerdictConfig",
    "TimingConfig",
    "AttentionConfig",
    "attending",
    "CalibrationConfig",
]


@dataclass(frozen=True)
class AnalysisConfig:
    """Every choice of the analysis, with its default (all documented in the docs: Analysis)."""

    n_surrogates: int = 1000
    """Surrogates per test (circular shifts of the cross-correlation; random-onset sets of the smile test)."""
    n_wlcc_surrogates: int = 200
    """Circular shifts behind the WLCC z (the first of the cross-correlation's shifts)."""
    seed: int = 0
    """Seed of all surrogates: the same session and seed give the same files."""
    max_gap_s: float = MAX_GAP_S
    lags: LagConfig = DEFAULT_LAGS
    events: EventConfig = DEFAULT_EVENTS
    contagion: ContagionConfig = DEFAULT_CONTAGION
    verdict: VerdictConfig = DEFAULT_VERDICT
    attention: AttentionConfig = DEFAULT_ATTENTION
    calibrated: bool = False
    """Express ``smile`` (and mouth opening) relative to each face's calibration range (sessions
    with a calibration phase; see :mod:`mimicry.analysis.calibration`)."""
    calibration: CalibrationConfig = DEFAULT_CALIBRATION
    timing: TimingConfig = DEFAULT_TIMING
    """When a live session skipped too many camera frames to be tested (:mod:`mimicry.analysis.timing`)."""

    def __post_init__(self) -> None:
        _check_whole("n_surrogates", self.n_surrogates, MIN_SURROGATES, MAX_SURROGATES)
        _check_whole("n_wlcc_surrogates", self.n_wlcc_surrogates, 2, MAX_SURROGATES)
        _check_whole("seed", self.seed, 0, 2**32 - 1)
        gap = self.max_gap_s
        if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not (0 <= gap <= 3600):
            raise SettingsError(f"max_gap_s must be a number of seconds from 0 to 3600, got {gap!r}")


MIN_SURROGATES = 19
"""Fewest surrogates a test may use: with fewer, its p-value can never reach 0.05."""
MAX_SURROGATES = 100_000
"""Most surrogates a test may use (memory and time grow with them)."""


def _check_whole(name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise SettingsError(f"{name} must be a whole number from {lo} to {hi:,}, got {value!r}")


@dataclass
class AnalysisResult:
    """The analysis outputs, one DataFrame per file (columns as in :mod:`mimicry.schema`)."""

    scores: pd.DataFrame
    events: pd.DataFrame
    contagion: pd.DataFrame
    verdicts: pd.DataFrame
    trials: pd.DataFrame
    xcorr: pd.DataFrame = field(repr=False)
    aligned: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame | None = None
    """Each face's calibration range (:data:`mimicry.schema.CALIBRATION`); None without a calibration phase."""


def _viewer_events(frames, face, signal, spans, config: AnalysisConfig) -> pd.DataFrame:
    t, v = viewer_series(frames, face, signal)
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    th = config.events.for_signal(signal)
    if config.events.relative_to_baseline and not spans.empty:
        base = v[(t < spans.start_s.min()) & np.isfinite(v)]
        if base.size:
            th = th.relative_to(float(np.median(base)))
    ev = detect_events(t, v, th)
    return ev.assign(source="viewer", face=int(face), kind=signal)


def _stimulus_events(stimulus_log, signal, config: AnalysisConfig) -> pd.DataFrame:
    parts = []
    for _block, g in stimulus_log.groupby("block", sort=True):  # an event never spans two blocks
        g = g.sort_values("t_s")
        parts.append(
            detect_events(g["t_s"].to_numpy(float), g[signal].to_numpy(float), config.events.for_signal(signal))
        )
    ev = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["onset_s", "peak_s", "offset_s", "peak_value"])
    )
    return ev.assign(source="stimulus", face=pd.NA, kind=signal)


@dataclass
class _Face:
    """One face's series on the session grid and its events."""

    t: np.ndarray
    smile: np.ndarray
    yawn: np.ndarray
    yaw_deg: np.ndarray
    events: dict[str, pd.DataFrame]
    valid: np.ndarray
    """1 where the face is in view and looking at the screen, NaN elsewhere (for ``valid_share``)."""


def _face_series(frames, face, spans, fps, config: AnalysisConfig) -> _Face:
    events = {s: _viewer_events(frames, face, s, spans, config) for s in SIGNALS}
    t, v = viewer_series(frames, face, "smile")
    if not np.isfinite(t).any():
        empty = np.empty(0)
        return _Face(empty, empty, empty, empty, events, empty)
    grid = np.arange(np.nanmin(t), np.nanmax(t) + 1e-9, 1.0 / fps)
    series = {s: resample_gapped(*viewer_series(frames, face, s), grid, config.max_gap_s) for s in SIGNALS}
    if "yaw_deg" in frames.columns:
        f = frames[(frames["face"] == face) & (frames["detected"] == 1)]
        yaw = resample_gapped(
            f["t_s"].to_numpy(float),
            pd.to_numeric(f["yaw_deg"], errors="coerce").to_numpy(float),
            grid,
            config.max_gap_s,
        )
    else:
        yaw = np.full(grid.size, np.nan)
    f = frames[frames["face"] == face]
    looking = resample_gapped(
        f["t_s"].to_numpy(float),
        np.where(f["detected"].to_numpy() == 1, f["_attending"].to_numpy(float), np.nan),
        grid,
        config.max_gap_s,
    )
    valid = np.where(np.isfinite(series["smile"]) & (looking >= 0.5), 1.0, np.nan)
    return _Face(grid, series["smile"], series["yawn"], yaw, events, valid)


def _trial_frame(face: int, event: str, onsets, spans, d: dict, yaw_deg) -> pd.DataFrame:
    onsets = np.asarray(onsets, float)
    b = block_of(onsets, spans)
    info = spans.set_index("block")
    return pd.DataFrame(
        {
            "face": int(face),
            "block": pd.array(np.where(b >= 0, b, -1), dtype="Int64"),
            "stimulus_id": [info.at[i, "stimulus_id"] if i >= 0 else "" for i in b],
            "kind": [info.at[i, "kind"] if i >= 0 else "" for i in b],
            "event": event,
            "onset_s": onsets,
            **d,
            "head_yaw_deg": yaw_deg,
        }
    )


def _smile_measures(face, fs: _Face, actor_onsets, smile_blocks, spans, fps, config: AnalysisConfig):
    c = config.contagion
    tr = verdicts.smile_trials(
        fs.t, fs.smile, actor_onsets, fs.events["smile"]["onset_s"].to_numpy(float), fps, c, valid=fs.valid
    )
    k = int(np.isfinite(tr["response"] - tr["baseline"]).sum())
    rng = np.random.default_rng([config.seed, int(face), 99])
    null = verdicts.smile_null(fs.t, fs.smile, smile_blocks, k, fps, config.n_surrogates, rng, c)
    verdict = verdicts.smile_verdict(face, tr, null, config.verdict)
    yaw = np.abs(verdicts.window_stats(fs.t, fs.yaw_deg, actor_onsets, (0.0, c.smile_response_s[1]), fps)[0])
    d = (tr["response"] - tr["baseline"]).to_numpy(float)
    raw = {
        "smile_response": float(np.nanmean(d)) if np.isfinite(d).any() else np.nan,
        "smile_response_p": verdict["p_value"],
        "actor_smiles": k,
    }
    return (
        verdict,
        _trial_frame(face, "smile", actor_onsets, spans, tr.drop(columns="onset_s").to_dict("series"), yaw),
        raw,
    )


def _yawn_measures(face, fs: _Face, stim_onsets, spans, fps, config: AnalysisConfig):
    c, vc = config.contagion, config.verdict
    pseudo = verdicts.pseudo_onsets(stim_onsets, spans)
    v_on = fs.events["yawn"]["onset_s"].to_numpy(float)
    x = verdicts.yawn_exposure(fs.t, np.isfinite(fs.yawn), fps, v_on, stim_onsets, pseudo, c)
    span = (float(fs.t[0]), float(fs.t[-1] + 1.0 / fps)) if fs.t.size else (0.0, 0.0)
    null = verdicts.yawn_null(
        v_on, stim_onsets, pseudo, span, config.n_surrogates, np.random.default_rng([config.seed, int(face), 98]), c
    )
    verdict = verdicts.yawn_verdict(face, x, null, vc)
    in_yawn = verdicts.in_windows(v_on, stim_onsets, c.response_window_s)
    parts = []
    for event, onsets, lat in (
        ("yawn", stim_onsets, credit(v_on, stim_onsets, c.response_window_s)),
        ("pseudo_yawn", pseudo, credit(v_on[~in_yawn], pseudo, c.response_window_s)),
    ):
        base = verdicts.window_stats(fs.t, fs.yawn, onsets, vc.yawn_baseline_s, fps)[0]
        resp, peak, _ = verdicts.window_stats(fs.t, fs.yawn, onsets, c.response_window_s, fps)
        share = verdicts.window_stats(fs.t, fs.valid, onsets, c.response_window_s, fps, min_share=0.0)[2]
        yaw = np.abs(verdicts.window_stats(fs.t, fs.yaw_deg, onsets, c.response_window_s, fps)[0])
        parts.append(
            _trial_frame(
                face,
                event,
                onsets,
                spans,
                {
                    "baseline": base,
                    "response": resp,
                    "peak": peak,
                    "latency_s": lat,
                    "responded": np.isfinite(lat).astype(int),
                    "valid_share": share,
                },
                yaw,
            )
        )
    windows = {
        "yawns_yawn_windows": x.yawns_yawn,
        "yawns_control_windows": x.yawns_control,
        "minutes_yawn_windows": x.minutes_yawn,
        "minutes_control_windows": x.minutes_control,
    }
    return verdict, pd.concat(parts, ignore_index=True), windows


def _calibrate(frames: pd.DataFrame, calibration: dict | None, config: AnalysisConfig):
    """Leave out the calibration phase (not part of the experiment: its wide-open mouth would read
    as a yawn) and, with ``config.calibrated``, rescale to each face's range."""
    if not calibration:
        if config.calibrated:
            raise CalibrationError("this session has no calibration phase; analyse without --calibrated")
        return frames, None
    ranges = face_ranges(frames, calibration.get("cues", []), config.calibration)
    frames = frames[frames["t_s"] >= float(calibration["end_s"])].copy()
    if config.calibrated:
        frames = normalize_frames(frames, ranges)
    return frames, ranges


def viewer_frames(frames: pd.DataFrame) -> pd.DataFrame:
    """The rows of faces that were found at least once, with integer face ids.

    A face id whose rows never found a face (the one-face tracker's id 0 before anyone came
    into view) is no viewer: no verdict is given about it."""
    frames = frames[frames["face"].notna()].copy()
    frames["face"] = frames["face"].astype(int)
    if frames.empty:
        return frames
    seen = frames.groupby("face")["detected"].transform("max") > 0
    return frames[seen.to_numpy(bool)]


def analyze(
    frames: pd.DataFrame,
    stimulus_log: pd.DataFrame,
    camera_fps: float,
    config: AnalysisConfig = AnalysisConfig(),
    calibration: dict | None = None,
    timing: dict | None = None,
) -> AnalysisResult:
    """Run the whole analysis of one session.

    Parameters
    ----------
    frames : pd.DataFrame
        The session's ``frames.csv`` (:data:`mimicry.schema.FRAMES`).
    stimulus_log : pd.DataFrame
        The session's ``stimulus_log.csv`` (:data:`mimicry.schema.STIMULUS_LOG`).
    camera_fps : float
        Rate of the analysis grid, Hz (the camera's nominal rate).
    config : AnalysisConfig
    calibration : dict, optional
        ``session.json``'s ``calibration`` (cue times, ``end_s``) if the session had a
        calibration phase: its frames are left out and the ranges computed.
    timing : dict, optional
        ``session.json``'s ``timing`` (a live session's frames captured, tracked and skipped): a
        test the session's timing is too poor for gets no verdict
        (:func:`~mimicry.analysis.timing.timing_problem`).

    Returns
    -------
    AnalysisResult

    Raises
    ------
    CalibrationError
        ``config.calibrated`` without a calibration phase, or a face without a usable range.
    """
    frames, ranges = _calibrate(viewer_frames(frames), calibration, config)
    frames["_attending"] = attending(frames, config.attention).astype(float)
    if config.attention.exclude:  # looking away counts as a lost face everywhere
        frames.loc[frames["_attending"] == 0, "detected"] = 0
    spans = block_spans(stimulus_log)
    aligned = align_blocks(frames, stimulus_log, camera_fps, config.max_gap_s)
    scores, xcorr = synchrony_tables(aligned, camera_fps, config)

    stim_events = {s: _stimulus_events(stimulus_log, s, config) for s in SIGNALS}
    smile_on = stim_events["smile"]["onset_s"].to_numpy(float)
    yawn_on = stim_events["yawn"]["onset_s"].to_numpy(float)
    smile_blocks = spans[spans.block.isin(block_of(smile_on, spans))]
    event_parts = [stim_events["smile"], stim_events["yawn"]]
    contagion_rows, verdict_rows, trial_parts = [], [], []
    poor_smile, poor_yawn = (timing_problem(timing, config.timing, signal=s) for s in ("smile", "yawn"))
    for face in sorted(frames["face"].unique()):
        fs = _face_series(frames, face, spans, camera_fps, config)
        event_parts += [fs.events["smile"], fs.events["yawn"]]
        row = {"face": int(face), **yawn_contagion(fs.events["yawn"], stim_events["yawn"], spans, config.contagion)}
        smile_v, smile_tr, raw = _smile_measures(face, fs, smile_on, smile_blocks, spans, camera_fps, config)
        yawn_v, yawn_tr, windows = _yawn_measures(face, fs, yawn_on, spans, camera_fps, config)
        smile_v = withhold(smile_v, poor_smile) if poor_smile else smile_v
        yawn_v = withhold(yawn_v, poor_yawn) if poor_yawn else yawn_v
        face_verdicts = pd.DataFrame([smile_v, yawn_v])
        row.update(
            {**raw, **windows, "mimicry_index": verdicts.lay_index(face_verdicts, config.contagion.smile_full_response)}
        )
        contagion_rows.append(row)
        verdict_rows += [smile_v, yawn_v]
        trial_parts += [smile_tr, yawn_tr]
    events = _events_table(event_parts, spans)
    contagion = pd.DataFrame(contagion_rows).reindex(columns=CONTAGION.names)
    verdict_df = pd.DataFrame(verdict_rows).reindex(columns=VERDICTS.names)
    return AnalysisResult(
        scores=scores,
        events=events,
        contagion=contagion,
        verdicts=verdict_df,
        trials=_trials_table(trial_parts),
        xcorr=xcorr,
        aligned=aligned,
        calibration=ranges,
    )


def _trials_table(trial_parts: list[pd.DataFrame]) -> pd.DataFrame:
    kept = [t for t in trial_parts if len(t)]
    trials = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=TRIALS.names)
    return trials.reindex(columns=TRIALS.names)


def _events_table(event_parts: list[pd.DataFrame], spans: pd.DataFrame) -> pd.DataFrame:
    events = (
        pd.concat([e for e in event_parts if len(e)], ignore_index=True)
        if any(len(e) for e in event_parts)
        else pd.DataFrame(columns=EVENTS.names)
    )
    if len(events):
        b = block_of(events["onset_s"].to_numpy(float), spans)
        events["block"] = pd.array(np.where(b >= 0, b, -1), dtype="Int64")
        events.loc[events["block"] == -1, "block"] = pd.NA
        events = events.sort_values(["source", "face", "kind", "onset_s"], na_position="first", kind="stable")
    events = events.reindex(columns=EVENTS.names).reset_index(drop=True)
    events = events.astype({c: float for c in ("onset_s", "peak_s", "offset_s", "peak_value")})
    events["face"] = events["face"].astype("Int64")
    events["block"] = events["block"].astype("Int64")
    return events
