"""Across sessions: one row per session x face, and a class- or study-level page.

``write_summary(sessions_dir)`` finds every session folder below a directory, reads (and if
needed analyses) each, and writes ``summary.csv`` and ``summary.html``. A folder that cannot be
read is listed with the reason and skipped; the rest are summarised. The pure parts
(:func:`session_rows`, :func:`yawn_contagion_test`, :func:`summary_html`) take DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from . import figures
from .errors import MimicryError, SessionError
from .report import esc, fmt_p, html_table, load_results, page
from .schema import SUMMARY
from .session import write_outputs, write_text_atomic

SESSION_MARKERS = ("session.json", "frames.csv", "stimulus_log.csv")


def find_sessions(root: str | Path) -> list[Path]:
    """Folders below ``root`` (or ``root`` itself) holding any file of a session, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise SessionError(f"not a folder: {root}")
    found = {p.parent for m in SESSION_MARKERS for p in root.rglob(m)}
    return sorted(found)


def session_rows(meta: dict, scores: pd.DataFrame, contagion: pd.DataFrame, folder: str) -> list[dict]:
    """``summary.csv`` rows of one session: one per face (one row with no face if none was found)."""
    proto = meta.get("protocol")
    base = {"folder": folder, "session_id": meta.get("session_id"), "participant": meta.get("participant"),
            "start_time": meta.get("start_time"), "protocol": proto.get("name") if isinstance(proto, dict) else proto,
            "status": meta.get("status")}
    if contagion.empty:
        return [{**base, "face": pd.NA}]
    rows = []
    for c in contagion.itertuples(index=False):
        row = {**base, "face": int(c.face)}
        for signal in ("smile", "yawn"):
            s = scores[(scores["block"].astype(str) == "all") & (scores["face"] == c.face) & (scores["kind"] == signal)
                       & (scores["signal"] == signal)]
            if len(s):
                row.update({f"{signal}_r": s["r_peak"].iloc[0], f"{signal}_lag_s": s["lag_s"].iloc[0],
                            f"{signal}_p": s["p_value"].iloc[0]})
        row.update({k: getattr(c, k) for k in ("yawns_yawn_blocks", "yawns_control_blocks", "minutes_yawn_blocks",
                                               "minutes_control_blocks", "stimulus_yawns", "contagious_yawns",
                                               "smile_response", "smile_response_p", "mimicry_index")})
        rows.append(row)
    return rows


@dataclass
class YawnTest:
    """Paired yawn contagion test over participants who saw both yawn and control clips."""

    n: int
    yawned_yawn: int
    yawned_control: int
    both: int
    yawn_only: int
    control_only: int
    neither: int
    p_mcnemar: float
    """Exact (binomial) McNemar test of the discordant pairs, two-sided."""


def yawn_contagion_test(summary: pd.DataFrame) -> YawnTest:
    """Did more participants yawn during yawn clips than during control clips? (as in Provine's
    contagious-yawning studies). Each face of each session that watched both kinds is one pair;
    the exact McNemar test compares ``yawn_only`` with ``control_only``."""
    ok = summary["face"].notna() & (pd.to_numeric(summary["minutes_yawn_blocks"], errors="coerce") > 0) \
        & (pd.to_numeric(summary["minutes_control_blocks"], errors="coerce") > 0)
    d = summary[ok]
    y = pd.to_numeric(d["yawns_yawn_blocks"], errors="coerce").fillna(0).to_numpy() > 0
    c = pd.to_numeric(d["yawns_control_blocks"], errors="coerce").fillna(0).to_numpy() > 0
    b, cc = int((y & ~c).sum()), int((~y & c).sum())
    p = float(binomtest(b, b + cc, 0.5).pvalue) if b + cc else 1.0
    return YawnTest(int(ok.sum()), int(y.sum()), int(c.sum()), int((y & c).sum()), b, cc, int((~y & ~c).sum()), p)


def summarize(folders: list[Path], root: Path | None = None) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rows of ``summary.csv`` for ``folders`` and the ``(folder, reason)`` of those skipped."""
    rows, failures = [], []
    for folder in folders:
        name = str(folder.relative_to(root)) if root is not None and folder != root else str(folder)
        try:
            res = load_results(folder)
            rows += session_rows(res.data.meta, res.scores, res.contagion, name)
        except MimicryError as e:
            failures.append((name, str(e)))
        except (OSError, ValueError, KeyError) as e:  # a folder damaged in a way no check foresaw
            failures.append((name, f"{type(e).__name__}: {e}"))
    df = pd.DataFrame(rows).reindex(columns=SUMMARY.names)
    df["face"] = df["face"].astype("Int64")
    return df, failures


def summary_html(summary: pd.DataFrame, failures: list[tuple[str, str]]) -> str:
    """The study- or class-level page."""
    parts = [(f"<h1>Mimicry summary</h1><p class=\"small\">{summary['folder'].nunique()} sessions, "
              f"{int(summary['face'].notna().sum())} faces</p>")]
    if failures:
        parts.append("<div class=\"note\"><b>Skipped " + str(len(failures)) + " unreadable session folder(s):</b><ul>"
                     + "".join(f"<li>{esc(f)}: {esc(r)}</li>" for f, r in failures) + "</ul></div>")
    test = yawn_contagion_test(summary) if len(summary) else None
    parts.append("<h2>Contagious yawning</h2>")
    if test is None or test.n == 0:
        parts.append("<p>No participant watched both yawn clips and control clips.</p>")
    else:
        parts.append(f"<p class=\"summary\">{test.yawned_yawn} of {test.n} participants yawned during yawn clips "
                     f"and {test.yawned_control} of {test.n} during control clips. {test.yawn_only} yawned only "
                     f"during yawn clips and {test.control_only} only during control clips (exact McNemar test, "
                     f"{fmt_p(test.p_mcnemar)}).</p>")
        parts.append(figures.yawn_shares(test.yawned_yawn, test.yawned_control, test.n))
        parts.append(html_table(pd.DataFrame({"": ["yawned in control clips", "no yawn in control clips"],
                                          "yawned in yawn clips": [test.both, test.yawn_only],
                                          "no yawn in yawn clips": [test.control_only, test.neither]})))
    parts.append("<h2>Smile mimicry</h2>")
    lags = pd.to_numeric(summary.get("smile_lag_s"), errors="coerce")
    ps = pd.to_numeric(summary.get("smile_p"), errors="coerce")
    ok = lags.notna() & ps.notna()
    if ok.any():
        sig = ((ps[ok] <= 0.05) & (lags[ok] >= 0)).to_numpy()  # leading the video is not following it
        parts.append(f"<p class=\"summary\">{int(sig.sum())} of {int(ok.sum())} participants smiled along with the "
                     f"video beyond chance (p &le; 0.05, smiling after the video: lag &ge; 0 s); median lag "
                     f"{float(np.median(lags[ok])):.2f} s.</p>")
        parts.append(figures.lag_histogram(lags[ok].to_numpy(float), sig))
    else:
        parts.append("<p>No smile scores.</p>")
    parts.append("<h2>Sessions</h2>" + html_table(summary.drop(columns=["smile_response_p"])))
    return page("mimicry summary", "".join(parts))


def write_summary(sessions_dir: str | Path, out: str | Path | None = None) -> tuple[Path, Path, list[tuple[str, str]]]:
    """Summarise every session below ``sessions_dir`` into ``summary.csv`` (or ``out``) and the
    ``.html`` beside it. Returns both paths and the skipped folders."""
    root = Path(sessions_dir)
    folders = find_sessions(root)
    if not folders:
        raise SessionError(f"no session folders found in {root}")
    df, failures = summarize(folders, root)
    csv_path = Path(out) if out is not None else root / "summary.csv"
    if csv_path.is_dir():
        raise SessionError(f"--out is a folder: {csv_path}")
    if not csv_path.parent.is_dir():
        raise SessionError(f"output folder does not exist: {csv_path.parent}")
    write_outputs(csv_path.parent, {csv_path.name: (df, SUMMARY)})
    html_path = write_text_atomic(csv_path.with_suffix(".html"), summary_html(df, failures))
    return csv_path, html_path, failures
