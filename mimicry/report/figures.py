"""Every figure of the reports, as inline SVG text.

Each function takes plain arrays or DataFrames (already computed by :mod:`mimicry.analysis`)
and returns an ``<svg>`` element; nothing here reads files or computes statistics. Matplotlib
is used without pyplot (no global figure state, no display needed); text stays text in the SVG
(searchable, small), and ids are salted per figure so that several SVGs in one page never share
an id.
"""

from __future__ import annotations

import io
from itertools import count

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

KIND_COLOURS = {"smile": "#fde68a", "yawn": "#c7d2fe", "control": "#e5e7eb"}
VIEWER = "#1d4ed8"
ACTOR = "#b45309"
NULL = "#9ca3af"
MAX_POINTS = 4000
"""A line is thinned to at most this many points (a 10-minute session at 30 Hz has 18000)."""

_ids = count()


def to_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), text as text, deterministic ids."""
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"mimicry-fig{next(_ids)}"}):
        fig.savefig(
            buf,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _thin(t: np.ndarray, *ys: np.ndarray) -> tuple[np.ndarray, ...]:
    step = max(1, int(np.ceil(t.size / MAX_POINTS)))
    return (t[::step], *(y[::step] for y in ys))


def _shade_blocks(ax, spans: pd.DataFrame, labels: bool) -> None:
    for sp in spans.itertuples(index=False):
        ax.axvspan(sp.start_s, sp.end_s, color=KIND_COLOURS.get(sp.kind, "#f3f4f6"), alpha=0.6, lw=0, zorder=0)
        if labels:
            ax.text(
                (sp.start_s + sp.end_s) / 2,
                1.02,
                sp.kind,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=9,
                color="#374151",
            )


def timeline(
    viewer: pd.DataFrame,
    actor: pd.DataFrame,
    spans: pd.DataFrame,
    viewer_events: pd.DataFrame,
    actor_events: pd.DataFrame,
    gaps: list[tuple[float, float]],
    end_s: float,
) -> str:
    """Viewer smile and yawn over the session, with the actor's overlaid.

    Parameters
    ----------
    viewer : pd.DataFrame
        ``t_s``, ``smile``, ``yawn`` of one face (NaN where not detected), session clock.
    actor : pd.DataFrame
        ``t_s``, ``smile``, ``yawn`` of the stimulus (the stimulus log); NaN rows break the line
        between blocks.
    spans : pd.DataFrame
        Blocks: ``block``, ``kind``, ``start_s``, ``end_s``.
    viewer_events, actor_events : pd.DataFrame
        ``kind``, ``onset_s``, ``peak_s``, ``peak_value``.
    gaps : list of (start_s, end_s)
        Spans with no face, shaded.
    """
    fig = Figure(figsize=(12, 4.6))
    axes = fig.subplots(2, 1, sharex=True)
    for ax, signal in zip(axes, ("smile", "yawn")):
        _shade_blocks(ax, spans, labels=ax is axes[0])
        for a, b in gaps:
            ax.axvspan(a, b, facecolor="none", edgecolor="#6b7280", hatch="///", lw=0, zorder=1)
        if len(actor):
            ax.plot(
                *_thin(actor["t_s"].to_numpy(float), actor[signal].to_numpy(float)),
                color=ACTOR,
                lw=1.2,
                ls="--",
                label="person in the video",
                zorder=2,
            )
        if len(viewer):
            ax.plot(
                *_thin(viewer["t_s"].to_numpy(float), viewer[signal].to_numpy(float)),
                color=VIEWER,
                lw=1.4,
                label="viewer",
                zorder=3,
            )
        ev = viewer_events[viewer_events["kind"] == signal]
        ax.plot(
            ev["peak_s"],
            np.minimum(ev["peak_value"] + 0.08, 1.12),
            "v",
            color=VIEWER,
            ms=7,
            zorder=4,
            label="viewer event" if len(ev) else None,
        )
        ev = actor_events[actor_events["kind"] == signal]
        ax.plot(
            ev["peak_s"],
            np.minimum(ev["peak_value"] + 0.08, 1.12),
            "v",
            color=ACTOR,
            ms=6,
            mfc="none",
            zorder=4,
            label="video event" if len(ev) else None,
        )
        ax.set_ylim(-0.03, 1.18)
        ax.set_ylabel(f"{signal} (0-1)")
        ax.set_xlim(0, max(end_s, 1.0))
        ax.grid(axis="y", color="#e5e7eb", lw=0.6)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    axes[1].set_xlabel("session time (s)")
    if gaps:
        axes[1].text(
            1.0, -0.32, "hatched: no face", transform=axes[1].transAxes, ha="right", fontsize=8, color="#6b7280"
        )
    return to_svg(fig)


def xcorr(curves: pd.DataFrame, scores: pd.DataFrame) -> str:
    """Cross-correlation vs lag, one panel per block kind (columns) and signal (rows): observed r,
    the surrogates' 2.5-97.5 % band per lag, the 95th percentile of their peak (dashed: the
    observed peak must clear it for p < 0.05) and the peak marked.

    ``curves`` and ``scores`` are one face's pooled rows of ``xcorr.csv`` and ``scores.csv``.
    """
    kinds = [k for k in ("smile", "yawn", "control") if (curves["kind"] == k).any()]
    fig = Figure(figsize=(3.8 * max(len(kinds), 1) + 0.6, 5.2))
    axes = np.atleast_2d(fig.subplots(2, max(len(kinds), 1), sharex=True, squeeze=False))
    for j, kind in enumerate(kinds or [None]):
        for i, signal in enumerate(("smile", "yawn")):
            ax = axes[i, j]
            c = curves[(curves["kind"] == kind) & (curves["signal"] == signal)].sort_values("lag_s")
            ax.axhline(0, color="#d1d5db", lw=0.8)
            ax.axvline(0, color="#d1d5db", lw=0.8)
            if i == 0:
                ax.set_title(f"{kind} clips" if kind else "no blocks", fontsize=11)
            if c.empty or not np.isfinite(c["r"]).any():
                ax.text(
                    0.5,
                    0.5,
                    f"not scored:\nno {signal} in these clips\nor no face",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="#6b7280",
                )
            else:
                lag = c["lag_s"].to_numpy(float)
                ax.fill_between(
                    lag, c["null_lo"], c["null_hi"], color=NULL, alpha=0.35, lw=0, label="shuffled 95% band"
                )
                p95 = float(c["null_peak_95"].iloc[0])
                if np.isfinite(p95):
                    ax.axhline(p95, color=NULL, ls="--", lw=1, label="chance peak (95%)")
                ax.plot(lag, c["r"], color=VIEWER, lw=1.6, label="observed r")
                s = scores[(scores["kind"] == kind) & (scores["signal"] == signal)]
                if len(s) and np.isfinite(s["r_peak"].iloc[0]):
                    ax.plot(
                        [s["lag_s"].iloc[0]], [s["r_peak"].iloc[0]], "o", color="#dc2626", ms=7, zorder=5, label="peak"
                    )
                    ax.annotate(
                        f"r={s['r_peak'].iloc[0]:.2f}\n{s['lag_s'].iloc[0]:+.2f} s",
                        (s["lag_s"].iloc[0], s["r_peak"].iloc[0]),
                        textcoords="offset points",
                        xytext=(6, -4),
                        fontsize=8,
                        va="top",
                    )
            ax.set_ylim(-1, 1)
            if j == 0:
                ax.set_ylabel(f"{signal}: r")
            if i == 1:
                ax.set_xlabel("lag (s), + = viewer later")
    handles, labels = [], []
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if handles:
        fig.legend(
            handles,
            labels,
            loc="lower center",
            ncol=len(labels),
            frameon=False,
            fontsize=9,
            bbox_to_anchor=(0.5, -0.06),
        )
    return to_svg(fig)


def event_locked(smile: pd.DataFrame, smile_n: int, yawn: pd.DataFrame, yawn_n: int) -> str:
    """Event-related averages: viewer smile around the video's smile onsets, viewer yawn around
    its yawn onsets (mean and 95% CI over events; ``t_rel_s``, ``mean``, ``ci_lo``, ``ci_hi``)."""
    fig = Figure(figsize=(11, 3.4))
    axes = fig.subplots(1, 2)
    for ax, avg, n, what in ((axes[0], smile, smile_n, "smile"), (axes[1], yawn, yawn_n, "yawn")):
        ax.axvline(0, color=ACTOR, ls="--", lw=1)
        ax.set_title(f"viewer {what} around the video's {what} onsets (n = {n})", fontsize=10)
        if n == 0 or avg.empty or not np.isfinite(avg["mean"]).any():
            ax.text(
                0.5,
                0.5,
                f"no {what} onsets in the video" if n == 0 else "no face data",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#6b7280",
            )
        else:
            t = avg["t_rel_s"].to_numpy(float)
            ax.fill_between(t, avg["ci_lo"], avg["ci_hi"], color=VIEWER, alpha=0.2, lw=0, label="95% CI")
            ax.plot(t, avg["mean"], color=VIEWER, lw=1.6, label="mean")
            ax.legend(frameon=False, fontsize=8, loc="upper left")
        ax.set_xlabel(f"time from the video's {what} onset (s)")
        ax.set_ylabel(f"viewer {what} (0-1)")
        ax.set_ylim(-0.05, 1.05)
    return to_svg(fig)


def yawn_raster(rows: list[dict]) -> str:
    """One line per yawn or control block: the viewer's yawn onsets (filled) and the video's
    (open) against time since the block started. ``rows``: ``label``, ``kind``, ``length_s``,
    ``viewer_s``, ``actor_s``."""
    fig = Figure(figsize=(11, 0.45 * max(len(rows), 2) + 1.2))
    ax = fig.subplots()
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        ax.barh(y, r["length_s"], left=0, height=0.8, color=KIND_COLOURS.get(r["kind"], "#f3f4f6"), lw=0)
        ax.plot(r["actor_s"], [y] * len(r["actor_s"]), "o", mfc="none", color=ACTOR, ms=8)
        ax.plot(r["viewer_s"], [y] * len(r["viewer_s"]), "|", color=VIEWER, ms=16, mew=3)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows][::-1], fontsize=9)
    ax.set_xlabel("time since the clip started (s)   |  viewer yawn onset   o  yawn onset in the video")
    if not rows:
        ax.text(0.5, 0.5, "no yawn or control clips", transform=ax.transAxes, ha="center", va="center", color="#6b7280")
    ax.set_xlim(left=0)
    return to_svg(fig)


def yawn_shares(n_yawn: int, n_control: int, n: int) -> str:
    """Share of participants who yawned during yawn clips vs during control clips."""
    fig = Figure(figsize=(5, 3.2))
    ax = fig.subplots()
    shares = [n_yawn / n if n else 0.0, n_control / n if n else 0.0]
    ax.bar(
        ["yawn clips", "control clips"],
        shares,
        color=[KIND_COLOURS["yawn"], KIND_COLOURS["control"]],
        edgecolor="#374151",
    )
    for x, (s, k) in enumerate(zip(shares, (n_yawn, n_control))):
        ax.text(x, s + 0.02, f"{k}/{n}", ha="center", fontsize=11)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("share who yawned")
    return to_svg(fig)


def lag_histogram(lags_s: np.ndarray, significant: np.ndarray) -> str:
    """Distribution of smile lags across participants (significant ones filled)."""
    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    lags_s = np.asarray(lags_s, float)
    significant = np.asarray(significant, bool)
    bins = np.arange(-2.0, 5.25, 0.25)
    if lags_s.size:
        ax.hist(
            [lags_s[significant], lags_s[~significant]],
            bins=bins,
            stacked=True,
            color=[VIEWER, "#bfdbfe"],
            label=["p < 0.05", "p >= 0.05"],
        )
        ax.legend(frameon=False, fontsize=9)
    else:
        ax.text(0.5, 0.5, "no smile scores", transform=ax.transAxes, ha="center", va="center", color="#6b7280")
    ax.axvline(0, color="#9ca3af", lw=0.8)
    ax.set_xlabel("smile lag (s), + = viewer after the video")
    ax.set_ylabel("participants")
    return to_svg(fig)
