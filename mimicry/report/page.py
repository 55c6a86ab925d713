"""One self-contained HTML page per session: what happened, in figures and plain words.

``write_report(folder)`` reads a session folder (running the analysis first if its outputs are
missing) and writes ``report.html`` into it. The page loads nothing: figures are inline SVG
(:mod:`mimicry.report.figures`), styles are inline, there is no script. The pure parts
(:func:`plain_summary`, :func:`face_gaps`, :func:`report_html`) take DataFrames and return text.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.alignment import MAX_GAP_S, block_spans, resample_gapped, viewer_series
from ..analysis.contagion import event_locked
from ..analysis.timing import tracked_rate_hz
from ..errors import SessionError
from ..io import read_csv_checked, read_table, write_text_atomic
from ..schema import ANALYSIS_OUTPUTS
from ..session.folder import ANALYSIS_FILES, SessionData, read_session, repair_session, write_analysis
from ..version import __version__
from . import figures
from .notable import notable_events
from .sentences import (  # noqa: F401 (the page's API)
    fmt_p,
    index_basis,
    plain_summary,
    plural,
    smile_sentence,
    yawn_sentence,
    yawns_shown,
)

SMILE_WINDOW_S = (-2.0, 5.0)
"""Event-locked smile average, seconds around each of the video's smile onsets."""
YAWN_WINDOW_S = (-5.0, 20.0)
"""Event-locked yawn average, seconds around each of the video's yawn onsets."""

STATUS_NOTES = {
    "aborted": "This session was stopped before the end of the protocol: the results cover only the part "
    "that was recorded.",
    "running": "This session did not finish properly (its status is still 'running': the program was probably "
    "killed or lost power). The results cover what was recorded up to then.",
    "crashed": "This session ended with an error: the results cover what was recorded up to then.",
    "incomplete": "The camera stopped before the end of the protocol: the results cover only the part with "
    "viewer data (see the warnings).",
}


@dataclass
class SessionResults:
    """A session folder with its analysis outputs."""

    data: SessionData
    scores: pd.DataFrame
    events: pd.DataFrame
    contagion: pd.DataFrame
    xcorr: pd.DataFrame
    events_log: pd.DataFrame | None
    verdicts: pd.DataFrame
    trials: pd.DataFrame

    @property
    def faces(self) -> list[int]:
        return [int(f) for f in self.contagion["face"]] if len(self.contagion) else []


def load_results(folder: str | Path, analyze_if_missing: bool = True) -> SessionResults:
    """Read a session folder and its analysis outputs, running the analysis first if any output
    is missing (``analyze_if_missing``) or raising :class:`SessionError`."""
    folder = Path(folder)
    if (folder / "session.json").is_file():
        repair_session(folder)  # a killed session is closed as 'crashed' first
    if not analyze_if_missing and not all((folder / n).is_file() for n in ANALYSIS_FILES):
        raise SessionError(f"{folder}: not analysed yet (run mimicry analyze)")
    data = read_session(folder)
    if not all((folder / n).is_file() for n in ANALYSIS_FILES):
        write_analysis(data)
    out = {}
    for name, schema in ANALYSIS_OUTPUTS.items():
        try:
            out[name] = read_csv_checked(folder / name, schema)
        except SessionError as e:
            raise SessionError(f"{e} (mimicry analyze {folder} writes it anew)") from None
    log = None
    if (folder / "events_log.csv").is_file():
        try:
            log = read_table(folder / "events_log.csv")
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            log = None
    return SessionResults(
        data,
        out["scores.csv"],
        out["events.csv"],
        out["contagion.csv"],
        out["xcorr.csv"],
        log,
        out["verdicts.csv"],
        out["trials.csv"],
    )


# -- pure parts ------------------------------------------------------------------------------------


def face_gaps(
    t_detected_s: np.ndarray, start_s: float, end_s: float, min_gap_s: float = 2 * MAX_GAP_S
) -> list[tuple[float, float]]:
    """Spans of at least ``min_gap_s`` seconds in ``[start_s, end_s]`` with no detection."""
    t = np.sort(np.asarray(t_detected_s, float))
    edges = np.concatenate([[start_s], t, [end_s]])
    d = np.diff(edges)
    return [(float(edges[i]), float(edges[i + 1])) for i in np.flatnonzero(d >= min_gap_s)]


def esc(x) -> str:
    return html.escape("" if x is None else str(x))


def _meta_rows(res: SessionResults, faces: list[int]) -> list[tuple[str, str]]:
    m = res.data.meta
    proto = m.get("protocol") or {}
    rows = [
        ("participant", m.get("participant")),
        ("session", m.get("session_id")),
        ("protocol", proto.get("name") if isinstance(proto, dict) else proto),
        ("started", m.get("start_time", "unknown")),
        ("status", m.get("status")),
    ]
    dur = m.get("duration_s")
    if dur is None and len(res.data.frames):
        dur = float(res.data.frames["t_s"].max())
    if dur is not None:
        rows.append(("duration", f"{float(dur) / 60:.1f} min ({float(dur):.0f} s)"))
    fps = f"{float(m['camera_fps']):.1f} Hz nominal"
    if m.get("camera_fps_measured"):
        fps += f", {float(m['camera_fps_measured']):.1f} Hz measured"
    rows.append(("camera", fps))
    if isinstance(m.get("timing"), dict):
        rows += _timing_rows(m["timing"])
    elif "camera_frames" in m:
        rows.append(("camera frames", f"{m['camera_frames']} processed, {m.get('camera_frames_dropped', 0)} dropped"))
    if "stimulus_frames_dropped" in m:
        rows.append(("video frames dropped", m["stimulus_frames_dropped"]))
    rows.append(("clips shown", _clips_shown(len(block_spans(res.data.stimulus_log)), m)))
    rows.append(("faces found", len(faces) or "none"))
    return [(k, esc(v)) for k, v in rows]


def _timing_rows(timing: dict) -> list[tuple[str, str]]:
    """``session.json``'s ``timing`` in words: frames captured, tracked (and how many a second),
    skipped and late, the longest wait for tracking and the worst gap between tracked frames."""
    captured, skipped = int(timing.get("frames_captured", 0)), int(timing.get("frames_skipped", 0))
    share = f" ({100 * skipped / captured:.1f} %)" if captured else ""
    late = f"{timing.get('frames_late', 0)} late (tracked over {timing.get('late_s', 0.5):g} s after capture)"
    rate_hz = tracked_rate_hz(timing)
    if rate_hz is not None:  # sessions recorded before tracked_s existed give no rate
        late += f"; {rate_hz:.1f} frames tracked a second"
    return [
        (
            "camera frames",
            f"{captured} captured, {timing.get('frames_tracked', 0)} tracked, {skipped} skipped{share}, {late}",
        ),
        (
            "timing",
            f"worst gap between tracked frames {float(timing.get('worst_gap_s', 0)):.2f} s; longest wait for "
            f"tracking {float(timing.get('max_wait_s', 0)):.2f} s (backlog {timing.get('backlog_frames', 0)} frames)",
        ),
    ]


def _clips_shown(n_blocks: int, meta: dict) -> str:
    """How many clips were shown and whether they were synthetic (animated photos), as far as
    ``session.json`` says (sessions before mimicry 0.3 do not)."""
    flags = [b.get("synthetic") for b in meta.get("blocks", []) if isinstance(b, dict)]
    if "demo" in meta and isinstance(meta["demo"], dict) and "synthetic_clips" in meta["demo"]:
        clips = meta["demo"].get("clips", [])
        flags = [c in meta["demo"]["synthetic_clips"] for c in clips]
    known = [f for f in flags if isinstance(f, bool)]
    if not known or not any(known):
        return str(n_blocks)
    if all(known):
        return f"{n_blocks} (all synthetic: animated photos, not filmed people)"
    return f"{n_blocks} ({sum(known)} of the {len(known)} clips in the plan synthetic: animated photos)"


def _end_s(res: SessionResults) -> float:
    ends = [0.0]
    if len(res.data.frames):
        ends.append(float(res.data.frames["t_s"].max()))
    if len(res.data.stimulus_log):
        ends.append(float(res.data.stimulus_log["t_s"].max()))
    if res.data.meta.get("duration_s"):
        ends.append(float(res.data.meta["duration_s"]))
    return max(ends)


def _with_breaks(df: pd.DataFrame, cols: list[str], max_gap_s: float) -> pd.DataFrame:
    """Insert NaN rows where time jumps by more than ``max_gap_s`` so plotted lines break there."""
    df = df.sort_values("t_s")
    t = df["t_s"].to_numpy(float)
    cut = np.flatnonzero(np.diff(t) > max_gap_s)
    if cut.size == 0:
        return df[["t_s", *cols]]
    nan_rows = pd.DataFrame({"t_s": (t[cut] + t[cut + 1]) / 2, **{c: np.nan for c in cols}})
    return pd.concat([df[["t_s", *cols]], nan_rows]).sort_values("t_s", kind="stable")


def _actor_line(log: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for _, g in log.groupby("block", sort=True):
        parts += [
            g[["t_s", "smile", "yawn"]],
            pd.DataFrame({"t_s": [g["t_s"].max() + 1e-6], "smile": [np.nan], "yawn": [np.nan]}),
        ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["t_s", "smile", "yawn"])


def _event_counts(actor: pd.DataFrame, viewer: pd.DataFrame) -> str:
    """The events a figure marks, counted (the same counts the summary's sentences give)."""

    def counts(ev: pd.DataFrame) -> str:
        return " and ".join(plural(int((ev["kind"] == k).sum()), k) for k in ("smile", "yawn"))

    return f"Marked: the video's {counts(actor)}; the viewer's {counts(viewer)}."


def _face_figures(res: SessionResults, face: int, spans: pd.DataFrame, end_s: float) -> list[tuple[str, str, str]]:
    """The figures of one face as ``(title, svg, caption)``: the caption is what this figure adds
    to its title's :data:`CAPTIONS`."""
    frames, fps = res.data.frames, res.data.camera_fps
    ff = frames[(frames["face"] == face) & (frames["detected"] == 1)]
    viewer = _with_breaks(ff, ["smile", "yawn"], 2 * MAX_GAP_S)
    ev = res.events
    v_ev = ev[(ev["source"] == "viewer") & (ev["face"] == face)]
    a_ev = ev[ev["source"] == "stimulus"]
    gaps = face_gaps(ff["t_s"].to_numpy(float), 0.0, end_s)
    timeline = figures.timeline(viewer, _actor_line(res.data.stimulus_log), spans, v_ev, a_ev, gaps, end_s)
    out = [("Timeline", timeline, _event_counts(a_ev, v_ev))]
    if spans.empty:  # nothing was shown: the other figures would be empty frames
        return out
    xc = res.xcorr[(res.xcorr["face"] == face) & (res.xcorr["block"].astype(str) == "all")]
    sc = res.scores[(res.scores["face"] == face) & (res.scores["block"].astype(str) == "all")]
    out.append(("Cross-correlation by lag", figures.xcorr(xc, sc), ""))
    avgs = []
    for signal, window in (("smile", SMILE_WINDOW_S), ("yawn", YAWN_WINDOW_S)):
        onsets = a_ev[a_ev["kind"] == signal]["onset_s"].to_numpy(float)
        t, v = viewer_series(frames[frames["face"].notna()].astype({"face": int}), face, signal)
        if t.size:
            grid = np.arange(np.nanmin(t), np.nanmax(t) + 1e-9, 1.0 / fps)
            avgs += [event_locked(grid, resample_gapped(t, v, grid, MAX_GAP_S), onsets, window, fps), onsets.size]
        else:
            avgs += [event_locked(np.empty(0), np.empty(0), onsets, window, fps), onsets.size]
    out.append(("Around the video's smiles and yawns", figures.event_locked(*avgs), ""))
    rows = []

    def yawn_onsets(ev: pd.DataFrame, start_s: float, end_s: float) -> np.ndarray:
        on = ev.loc[ev["kind"] == "yawn", "onset_s"].to_numpy(float)
        return on[(on >= start_s) & (on < end_s)] - start_s

    for sp in spans[spans["kind"].isin(["yawn", "control"])].itertuples(index=False):
        rows.append(
            {
                "label": f"{sp.kind}: {sp.stimulus_id}",
                "kind": sp.kind,
                "length_s": sp.end_s - sp.start_s,
                "viewer_s": yawn_onsets(v_ev, sp.start_s, sp.end_s),
                "actor_s": yawn_onsets(a_ev, sp.start_s, sp.end_s),
            }
        )
    in_clips = {k: sum(r["viewer_s"].size for r in rows if r["kind"] == k) for k in ("yawn", "control")}
    note = (
        f"The viewer's yawn onsets: {in_clips['yawn']} in yawn clips, {in_clips['control']} in control clips "
        "(the summary counts those in the windows after the video's yawns and the same windows of the controls)."
    )
    out.append(("Yawns in yawn clips and control clips", figures.yawn_raster(rows), note if rows else ""))
    return out


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;max-width:1180px;
color:#111827;padding:0 1rem;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #e5e7eb}
.note{background:#fef3c7;border-left:5px solid #d97706;padding:.7rem 1rem;margin:1rem 0}
.summary{font-size:1.15rem;background:#eff6ff;border-left:5px solid #1d4ed8;padding:.6rem 1.2rem;margin:1rem 0}
.index{font-size:2.4rem;font-weight:700;color:#1d4ed8}
.bar{background:#e5e7eb;height:14px;border-radius:7px;width:320px;display:inline-block;vertical-align:middle}
.bar>span{display:block;height:14px;border-radius:7px;background:#1d4ed8}
table{border-collapse:collapse;margin:.6rem 0;font-size:.92rem}
td,th{border:1px solid #e5e7eb;padding:.25rem .6rem;text-align:left}th{background:#f9fafb}
figure{margin:1rem 0}figcaption{color:#4b5563;font-size:.9rem}svg{max-width:100%;height:auto}
.small{color:#6b7280;font-size:.85rem}.wide{overflow-x:auto;max-width:100%}
"""


def html_table(df: pd.DataFrame, float_fmt: str = "{:.3g}") -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if math.isnan(v) else float_fmt.format(v))
            else:
                cells.append(esc(v))
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<div class="wide"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML document."""
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>{body}"
        f'<p class="small">Made by mimicry {esc(__version__)}. This page loads nothing from the network.</p>'
        f"</body></html>\n"
    )


CAPTIONS = {
    "Timeline": "Viewer (solid) and the person in the video (dashed), smile above and yawn below. Shading: "
    "clip kind (yellow smile, blue yawn, grey control); triangles: detected events; hatching: no face.",
    "Cross-correlation by lag": "How well the viewer's signal matches the video's at each delay, all clips of "
    "a kind pooled. Grey band: 95% of shuffled (circularly shifted) comparisons; "
    "dashed line: the peak that 5% of shuffled comparisons reach; red dot: the "
    "observed peak (its p-value is the share of shuffled peaks at least as high).",
    "Around the video's smiles and yawns": "The viewer's average signal around each onset in the video "
    "(shaded: 95% confidence interval over onsets).",
    "Yawns in yawn clips and control clips": "Each line is one clip; bars mark the viewer's yawn onsets, "
    "circles the yawns in the video.",
}


def _notes(meta: dict, faces: list, spans: pd.DataFrame) -> list[str]:
    """Why the page may say less than usual: an incomplete session, no face, no clip."""
    parts = []
    status = str(meta.get("status"))
    if status != "complete":
        parts.append(
            f'<div class="note"><b>Incomplete session ({esc(status)}).</b> '
            f"{esc(STATUS_NOTES.get(status, 'The session did not complete.'))}</div>"
        )
    if not faces:
        parts.append(
            '<div class="note"><b>No face was found</b> in this session\'s camera frames, so there is '
            "nothing to score. Check that the camera sees the face, with light from the front.</div>"
        )
    if spans.empty:
        parts.append(
            '<div class="note"><b>No clip was shown</b> in this session (it ended during the '
            "baseline), so nothing can be compared.</div>"
        )
    return parts


def _warnings(meta: dict, read_warnings: list[str]) -> list[str]:
    """The session's warnings (``session.json``) and the reader's (files changed since recording)."""
    lines = [str(w) for w in meta.get("warnings", []) if isinstance(meta.get("warnings"), list)] + read_warnings
    if not lines:
        return []
    items = "".join(f"<li>{esc(w)}</li>" for w in lines)
    return [f'<div class="note"><b>Warnings</b><ul>{items}</ul></div>']


def _summaries(res: SessionResults, faces: list) -> list[str]:
    """The plain-language sentences (from verdicts.csv) and the mimicry index, per face."""
    parts = []
    summaries = plain_summary(res.verdicts, res.contagion, res.trials)
    for face in faces:
        heading = "<h2>Summary</h2>" if len(faces) == 1 else f"<h2>Summary: face {face}</h2>"
        parts.append(
            heading + '<div class="summary">' + "".join(f"<p>{esc(s)}</p>" for s in summaries[face]) + "</div>"
        )
        c = res.contagion.loc[res.contagion["face"] == face].iloc[0]
        idx = float(c["mimicry_index"])
        if np.isfinite(idx):
            basis = index_basis(res.verdicts[res.verdicts["face"] == face], yawns_shown=yawns_shown(c))
            parts.append(
                f'<p><span class="index">{idx:.0f}</span> / 100 mimicry index '
                f'<span class="bar"><span style="width:{idx:.0f}%"></span></span></p>'
                f'<p class="small">{esc(basis)}.</p>'
            )
    return parts


def _tables(res: SessionResults) -> list[str]:
    pooled = res.scores[res.scores["block"].astype(str) == "all"]
    per_face = res.contagion.set_index("face").T.reset_index()
    per_face.columns = ["measure", *(f"face {f}" for f in res.contagion["face"])]
    return [
        '<h2>Tests</h2><p class="small">verdicts.csv: the primary test of each measure, behind '
        "every sentence above.</p>" + html_table(res.verdicts),
        '<h2>Synchrony (descriptive)</h2><p class="small">Pooled rows of scores.csv (all clips of a '
        "kind): secondary measures that describe how closely the signals moved together; the "
        "verdicts above do not rest on them. Their p_value answers another question (is the best "
        "lagged correlation of the two whole signals higher than with the viewer's shifted in time?) than "
        "the primary test (does the viewer's smile rise after each of the actor's smiles?), so the two "
        "p values can differ. The per-clip rows and every column are in the CSV files next to this page.</p>"
        + html_table(pooled[["face", "kind", "signal", "r_peak", "lag_s", "p_value", "wlcc_z", "n_samples"]]),
        "<h2>Contagion</h2>" + html_table(per_face),
    ]


def report_html(res: SessionResults) -> str:
    """The report page of one session (see :func:`write_report`)."""
    meta = res.data.meta
    faces = res.faces
    spans = block_spans(res.data.stimulus_log)
    end_s = _end_s(res)
    parts = [
        (
            f'<h1>Mimicry session report</h1><p class="small">participant {esc(meta.get("participant"))}, '
            f"session {esc(meta.get('session_id'))}</p>"
        )
    ]
    parts += _notes(meta, faces, spans) + _warnings(meta, res.data.warnings) + _summaries(res, faces)
    parts.append(
        "<h2>Session</h2><table>"
        + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in _meta_rows(res, faces))
        + "</table>"
    )
    if res.events_log is not None and len(res.events_log):
        notable = notable_events(res.events_log)
        if len(notable):
            parts.append("<h3>Notable events</h3>" + html_table(notable.astype(object).where(notable.notna(), "")))
    for face in faces:
        if len(faces) > 1:
            parts.append(f"<h2>Face {face}</h2>")
        for title, svg, own in _face_figures(res, face, spans, end_s):
            tag = "h2" if len(faces) == 1 else "h3"
            caption = f"{CAPTIONS[title]} {own}".strip()
            parts.append(f"<{tag}>{esc(title)}</{tag}><figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>")
    if faces:
        parts += _tables(res)
    return page(f"mimicry report: {meta.get('participant')} {meta.get('session_id')}", "".join(parts))


def write_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a session folder (analysing it first if needed); return its path."""
    res = load_results(folder)
    return write_text_atomic(Path(folder) / "report.html", report_html(res))
