"""Across sessions: one row per session x face, and a class- or study-level page.

``write_summary(sessions_dir)`` finds every session folder below a directory, reads (and if
needed analyses) each, and writes ``summary.csv`` and ``summary.html``. A folder that cannot be
read is listed with the reason and skipped; the rest are summarised. The pure parts
(:func:`session_rows`, :func:`summary_html`) take DataFrames; the group tests they show are
computed in :mod:`mimicry.analysis.group`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.group import group_tests, participants, wilson, yawn_contagion_test
from ..errors import MimicryError, SessionError
from ..io import write_outputs, write_text_atomic
from ..schema import GROUP_TESTS, SUMMARY
from ..writers import check_output_path, file_starts_with
from . import figures
from .page import esc, fmt_p, html_table, load_results, page

SESSION_MARKERS = ("session.json", "frames.csv", "stimulus_log.csv")


def find_sessions(root: str | Path) -> list[Path]:
    """Folders below ``root`` (or ``root`` itself) holding any file of a session, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise SessionError(f"not a folder: {root}")
    found = {p.parent for m in SESSION_MARKERS for p in root.rglob(m)}
    return sorted(found)


def session_rows(
    meta: dict, scores: pd.DataFrame, contagion: pd.DataFrame, verdicts: pd.DataFrame, folder: str
) -> list[dict]:
    """``summary.csv`` rows of one session: one per face (one row with no face if none was found)."""
    proto = meta.get("protocol")
    base = {
        "folder": folder,
        "session_id": meta.get("session_id"),
        "participant": meta.get("participant"),
        "start_time": meta.get("start_time"),
        "protocol": proto.get("name") if isinstance(proto, dict) else proto,
        "status": meta.get("status"),
    }
    if contagion.empty:
        return [{**base, "face": pd.NA}]
    rows = []
    for c in contagion.itertuples(index=False):
        row = {**base, "face": int(c.face)}
        for measure, key in (("smile_mimicry", "smile"), ("yawn_contagion", "yawn")):
            v = verdicts[(verdicts["face"] == c.face) & (verdicts["measure"] == measure)]
            if len(v):
                row.update(
                    {
                        f"{key}_verdict": v["verdict"].iloc[0],
                        f"{key}_effect": v["effect"].iloc[0],
                        f"{key}_verdict_p": v["p_value"].iloc[0],
                    }
                )
        for signal in ("smile", "yawn"):
            s = scores[
                (scores["block"].astype(str) == "all")
                & (scores["face"] == c.face)
                & (scores["kind"] == signal)
                & (scores["signal"] == signal)
            ]
            if len(s):
                row.update(
                    {
                        f"{signal}_r": s["r_peak"].iloc[0],
                        f"{signal}_lag_s": s["lag_s"].iloc[0],
                        f"{signal}_p": s["p_value"].iloc[0],
                        f"{signal}_wlcc_z": s["wlcc_z"].iloc[0],
                    }
                )
        row.update({k: getattr(c, k) for k in SUMMARY_FROM_CONTAGION})
        rows.append(row)
    return rows


SUMMARY_FROM_CONTAGION = (
    "yawns_yawn_blocks",
    "yawns_control_blocks",
    "minutes_yawn_blocks",
    "minutes_control_blocks",
    "yawns_yawn_windows",
    "yawns_control_windows",
    "minutes_yawn_windows",
    "minutes_control_windows",
    "stimulus_yawns",
    "contagious_yawns",
    "smile_response",
    "mimicry_index",
)


def summary_files(csv_path: Path) -> dict[Path, str]:
    """The files a summary writes, each with how a summary of mimicry's begins (replaced without ``--force``)."""
    return {
        csv_path: ",".join(SUMMARY.names),
        csv_path.with_name(f"{csv_path.stem}_tests.csv"): ",".join(GROUP_TESTS.names),
        csv_path.with_suffix(".html"): "<!DOCTYPE html>",
    }


def summarize(folders: list[Path], root: Path | None = None) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Rows of ``summary.csv`` for ``folders`` and the ``(folder, reason)`` of those skipped.

    A session found twice (the same ``session_id`` and participant, e.g. a copied folder) is
    counted once: the copies are listed as skipped."""
    rows, failures = [], []
    seen: dict[tuple, str] = {}
    for folder in folders:
        name = str(folder.relative_to(root)) if root is not None and folder != root else str(folder)
        try:
            res = load_results(folder)
            key = (res.data.meta.get("session_id"), res.data.meta.get("participant"), res.data.meta.get("start_time"))
            if key in seen:
                failures.append((name, f"the same session as {seen[key]} (session_id {key[0]}): counted once"))
                continue
            seen[key] = name
            rows += session_rows(res.data.meta, res.scores, res.contagion, res.verdicts, name)
        except MimicryError as e:
            failures.append((name, str(e)))
        except (OSError, ValueError, KeyError) as e:  # a folder damaged in a way no check foresaw
            failures.append((name, f"{type(e).__name__}: {e}"))
    df = pd.DataFrame(rows).reindex(columns=SUMMARY.names)
    df["face"] = df["face"].astype("Int64")
    return df, failures


def _share(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k} of {n} ({100 * k / n:.0f}%, 95% CI {100 * lo:.0f}-{100 * hi:.0f}%)" if n else "0 of 0"


def _yawn_section(people: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    test = yawn_contagion_test(people)
    if test.n == 0:
        return ["<p>No participant had both yawn windows and control windows.</p>"]
    row = tests[tests["measure"] == "yawn_contagion"].iloc[0]
    ci = (
        f"odds ratio {test.odds_ratio:.2f}, 95% CI {test.odds_ratio_ci[0]:.2f} to "
        f"{'no upper limit' if test.odds_ratio_ci[1] == np.inf else f'{test.odds_ratio_ci[1]:.2f}'}"
        if np.isfinite(test.odds_ratio_ci[0])
        else "no discordant pair, so no odds ratio"
    )
    verdict = (
        "more participants yawned after yawns than in the control windows"
        if row["p_value"] <= 0.05 and test.yawn_only > test.control_only
        else "no difference was detected"
    )
    return [
        f'<p class="summary">{_share(test.yawned_yawn, test.n)} participants yawned within the window after a '
        f"yawn in the video, and {_share(test.yawned_control, test.n)} in the same windows of the control clips. "
        f"{test.yawn_only} yawned only after yawns, {test.control_only} only in control windows (primary test: "
        f"McNemar mid-p, {ci}, {fmt_p(test.p_mcnemar)}): {verdict}.</p>",
        figures.yawn_shares(test.yawned_yawn, test.yawned_control, test.n),
        html_table(
            pd.DataFrame(
                {
                    "": ["yawned in control windows", "no yawn in control windows"],
                    "yawned in yawn windows": [test.both, test.yawn_only],
                    "no yawn in yawn windows": [test.control_only, test.neither],
                }
            )
        ),
    ]


def _smile_section(summary: pd.DataFrame, people: pd.DataFrame, tests: pd.DataFrame) -> list[str]:
    row = tests[tests["measure"] == "smile_mimicry"].iloc[0]
    n = int(row["n_participants"])
    if n == 0:
        return ["<p>No participant had enough smiles in the video for a smile verdict.</p>"]
    detected = int(people.loc[people["smile_effect"].notna(), "smile_detected"].sum())
    text = (
        f'<p class="summary">Smile mimicry was detected in {_share(detected, n)} participants (each by '
        f"their own primary test). "
    )
    if np.isfinite(row["p_value"]):
        text += (
            f"Across participants, smiles rose {row['effect']:.3f} above chance after the video's smiles "
            f"(95% CI {row['ci_lo']:.3f} to {row['ci_hi']:.3f}, {esc(row['effect_unit'].split('(')[1][:-1])}; "
            f"primary test: one-sample t-test, {fmt_p(float(row['p_value']))})."
        )
    else:
        text += "Too few participants for a group test."
    out = [text + "</p>"]
    lags = pd.to_numeric(summary.get("smile_lag_s"), errors="coerce")
    ok = lags.notna() & summary["face"].notna()
    if ok.any():
        det = (summary.get("smile_verdict", pd.Series(index=summary.index)) == "detected")[ok].to_numpy(bool)
        out.append(figures.lag_histogram(lags[ok].to_numpy(float), det))
        out.append(
            '<p class="small">Lags of the peak cross-correlation per face (descriptive; filled: smile '
            "mimicry detected by the primary test).</p>"
        )
    return out


def summary_html(summary: pd.DataFrame, failures: list[tuple[str, str]], tests: pd.DataFrame | None = None) -> str:
    """The study- or class-level page (``tests``: :func:`group_tests`, computed if not given)."""
    people = participants(summary)
    tests = tests if tests is not None else group_tests(people)
    parts = [
        (
            f'<h1>Mimicry summary</h1><p class="small">{summary["folder"].nunique()} sessions, '
            f"{int(summary['face'].notna().sum())} faces, {len(people)} participants (faces and sessions of one "
            f"participant id are pooled: every test counts participants)</p>"
        )
    ]
    if failures:
        parts.append(
            '<div class="note"><b>Skipped '
            + str(len(failures))
            + " unreadable session folder(s):</b><ul>"
            + "".join(f"<li>{esc(f)}: {esc(r)}</li>" for f, r in failures)
            + "</ul></div>"
        )
    parts += ["<h2>Contagious yawning</h2>", *_yawn_section(people, tests)]
    parts += ["<h2>Smile mimicry</h2>", *_smile_section(summary, people, tests)]
    parts.append(
        '<h2>Tests</h2><p class="small">group_tests.csv: one primary test per measure; secondary tests '
        "with Holm-adjusted p-values (p_holm).</p>" + html_table(tests)
    )
    parts.append("<h2>Sessions</h2>" + html_table(summary))
    return page("mimicry summary", "".join(parts))


def write_summary(
    sessions_dir: str | Path, out: str | Path | None = None, *, force: bool = False
) -> tuple[Path, Path, list[tuple[str, str]]]:
    """Summarise every session below ``sessions_dir`` into ``summary.csv`` (or ``out``), the group
    tests into ``<name>_tests.csv`` and the ``.html`` page beside them. Returns the CSV and HTML
    paths and the skipped folders. An earlier summary is replaced; any other existing file only
    with ``force``."""
    root = Path(sessions_dir)
    folders = find_sessions(root)
    if not folders:
        raise SessionError(f"no session folders found in {root}")
    csv_path = Path(out) if out is not None else root / "summary.csv"
    if csv_path.is_dir():
        raise SessionError(f"--out is a folder: {csv_path}")
    if not csv_path.parent.is_dir():
        raise SessionError(f"output folder does not exist: {csv_path.parent}")
    for path, mark in summary_files(csv_path).items():
        check_output_path(path, overwrite=force or file_starts_with(path, mark))
    df, failures = summarize(folders, root)
    tests = group_tests(participants(df))
    write_outputs(csv_path.parent, {csv_path.name: (df, SUMMARY), f"{csv_path.stem}_tests.csv": (tests, GROUP_TESTS)})
    html_path = write_text_atomic(csv_path.with_suffix(".html"), summary_html(df, failures, tests))
    return csv_path, html_path, failures
