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
from scipy import stats
from scipy.stats import binomtest

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


def participants(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per participant (the unit of every group test): the ``participant`` of
    session.json, or the session folder when it is empty. Several faces or sessions of one
    participant are pooled, never counted as several people.

    Columns: ``unit``, ``n_faces``, ``yawn_windows`` (saw both yawn and control windows),
    ``yawned_yawn``, ``yawned_control`` (any yawn in those windows), ``yawn_rate_diff``
    (yawns per minute, yawn minus control windows), ``smile_effect`` (mean chance-corrected
    smile response over faces with a smile verdict), ``smile_detected`` (any face detected),
    ``smile_wlcc_z`` (mean).
    """
    d = summary[summary["face"].notna()].copy()
    for col in (
        "participant",
        "smile_verdict",
        "yawns_yawn_windows",
        "yawns_control_windows",
        "minutes_yawn_windows",
        "minutes_control_windows",
        "smile_effect",
        "smile_wlcc_z",
    ):
        if col not in d.columns:
            d[col] = np.nan
    if d.empty:
        return pd.DataFrame(
            columns=[
                "unit",
                "n_faces",
                "yawn_windows",
                "yawned_yawn",
                "yawned_control",
                "yawn_rate_diff",
                "smile_effect",
                "smile_detected",
                "smile_wlcc_z",
            ]
        )
    part = d["participant"].astype("string")
    d["unit"] = part.where(part.notna() & (part.str.len() > 0), "folder:" + d["folder"].astype(str))
    num = {
        c: pd.to_numeric(d[c], errors="coerce")
        for c in (
            "yawns_yawn_windows",
            "yawns_control_windows",
            "minutes_yawn_windows",
            "minutes_control_windows",
            "smile_effect",
            "smile_wlcc_z",
        )
    }
    d = d.assign(**{c: v for c, v in num.items()})
    d["smile_effect"] = d["smile_effect"].where(d["smile_verdict"] != "insufficient_data")
    rows = []
    for unit, g in d.groupby("unit", sort=True):
        my, mc = g["minutes_yawn_windows"].fillna(0).sum(), g["minutes_control_windows"].fillna(0).sum()
        ny, nc = g["yawns_yawn_windows"].fillna(0).sum(), g["yawns_control_windows"].fillna(0).sum()
        both = my > 0 and mc > 0
        rows.append(
            {
                "unit": unit,
                "n_faces": len(g),
                "yawn_windows": both,
                "yawned_yawn": bool(ny > 0),
                "yawned_control": bool(nc > 0),
                "yawn_rate_diff": ny / my - nc / mc if both else np.nan,
                "smile_effect": g["smile_effect"].mean(),
                "smile_detected": bool((g["smile_verdict"] == "detected").any()),
                "smile_wlcc_z": g["smile_wlcc_z"].mean(),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class YawnTest:
    """Paired yawn contagion test over participants who had both yawn and control windows."""

    n: int
    yawned_yawn: int
    yawned_control: int
    both: int
    yawn_only: int
    control_only: int
    neither: int
    p_mcnemar: float
    """McNemar mid-p test of the discordant pairs, two-sided: the exact binomial p minus the
    probability of the observed split (Fagerland, Lydersen & Laake 2013: closer to the nominal
    level than the exact test, which with few discordant pairs rejects far less than 5 %)."""
    odds_ratio: float = float("nan")
    """Discordant-pair odds ratio ``yawn_only / control_only`` (inf if no participant yawned only in control)."""
    odds_ratio_ci: tuple[float, float] = (float("nan"), float("nan"))
    """Its exact 95 % CI (Clopper-Pearson on the discordant pairs)."""


def yawn_contagion_test(people: pd.DataFrame) -> YawnTest:
    """Did more participants yawn in yawn windows than in control windows? (as in Provine's
    contagious-yawning studies). Each participant of :func:`participants` with both kinds of
    windows is one pair; the McNemar mid-p test compares ``yawn_only`` with ``control_only``."""
    d = people[people["yawn_windows"].astype(bool)] if len(people) else people
    y = d["yawned_yawn"].astype(bool).to_numpy() if len(d) else np.zeros(0, bool)
    c = d["yawned_control"].astype(bool).to_numpy() if len(d) else np.zeros(0, bool)
    b, cc = int((y & ~c).sum()), int((~y & c).sum())
    if b + cc:
        lo, hi = binomtest(b, b + cc, 0.5).proportion_ci(0.95, method="exact")
        odds = lambda pi: float("inf") if pi >= 1 else pi / (1 - pi)
        or_, ci, p = odds(b / (b + cc)), (odds(lo), odds(hi)), mcnemar_mid_p(b, cc)
    else:
        or_, ci, p = float("nan"), (float("nan"), float("nan")), 1.0
    return YawnTest(len(d), int(y.sum()), int(c.sum()), int((y & c).sum()), b, cc, int((~y & ~c).sum()), p, or_, ci)


def mcnemar_mid_p(b: int, c: int) -> float:
    """Two-sided McNemar mid-p of ``b`` and ``c`` discordant pairs: ``2 * (P(X <= k) - P(X = k) / 2)``
    with ``k = min(b, c)`` and ``X ~ Binomial(b + c, 1/2)``, at most 1 (Fagerland et al. 2013)."""
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    return float(min(1.0, 2 * (stats.binom.cdf(k, n, 0.5) - 0.5 * stats.binom.pmf(k, n, 0.5))))


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def one_sample(values: np.ndarray) -> dict:
    """Mean, 95 % t interval, Cohen's d_z and two-sided one-sample t-test p against 0."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return {
            "n": int(v.size),
            "effect": float(v.mean()) if v.size else np.nan,
            "ci_lo": np.nan,
            "ci_hi": np.nan,
            "d_z": np.nan,
            "p_value": np.nan,
        }
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.975, v.size - 1) * sd / np.sqrt(v.size))
    p = float(stats.ttest_1samp(v, 0.0).pvalue) if sd > 0 else np.nan
    return {
        "n": int(v.size),
        "effect": float(v.mean()),
        "ci_lo": float(v.mean() - half),
        "ci_hi": float(v.mean() + half),
        "d_z": float(v.mean() / sd) if sd > 0 else np.nan,
        "p_value": p,
    }


def group_tests(people: pd.DataFrame) -> pd.DataFrame:
    """``group_tests.csv``: the two primary group tests and the Holm-adjusted secondary ones,
    over participants (:func:`participants`)."""
    yt = yawn_contagion_test(people)
    smile = one_sample(people["smile_effect"].to_numpy(float) if len(people) else np.empty(0))
    wlcc = one_sample(people["smile_wlcc_z"].to_numpy(float) if len(people) else np.empty(0))
    rate = people["yawn_rate_diff"].to_numpy(float) if len(people) else np.empty(0)
    rate = rate[np.isfinite(rate)]
    nonzero = rate[rate != 0]
    p_rate = float(stats.wilcoxon(nonzero).pvalue) if nonzero.size >= 1 else np.nan
    rows = [
        {
            "role": "primary",
            "measure": "yawn_contagion",
            "test": "McNemar mid-p (participants yawning in yawn vs control windows), two-sided",
            "n_participants": yt.n,
            "effect": yt.odds_ratio,
            "effect_unit": "discordant-pair odds ratio",
            "ci_lo": yt.odds_ratio_ci[0],
            "ci_hi": yt.odds_ratio_ci[1],
            "p_value": yt.p_mcnemar,
        },
        {
            "role": "primary",
            "measure": "smile_mimicry",
            "test": "one-sample t-test of participants' chance-corrected smile responses against 0, two-sided",
            "n_participants": smile["n"],
            "effect": smile["effect"],
            "effect_unit": f"smile units above chance (Cohen's d_z {smile['d_z']:.2f})",
            "ci_lo": smile["ci_lo"],
            "ci_hi": smile["ci_hi"],
            "p_value": smile["p_value"],
        },
        {
            "role": "secondary",
            "measure": "smile_synchrony",
            "test": "one-sample t-test of participants' WLCC z against 0, two-sided",
            "n_participants": wlcc["n"],
            "effect": wlcc["effect"],
            "effect_unit": "mean WLCC z",
            "ci_lo": wlcc["ci_lo"],
            "ci_hi": wlcc["ci_hi"],
            "p_value": wlcc["p_value"],
        },
        {
            "role": "secondary",
            "measure": "yawn_rate",
            "test": "Wilcoxon signed-rank of participants' yawn rate "
            "difference (yawn minus control windows), two-sided",
            "n_participants": int(rate.size),
            "effect": float(np.median(rate)) if rate.size else np.nan,
            "effect_unit": "median difference, yawns per min",
            "ci_lo": np.nan,
            "ci_hi": np.nan,
            "p_value": p_rate,
        },
    ]
    df = pd.DataFrame(rows)
    df["p_holm"] = df["p_value"]
    sec = df["role"] == "secondary"
    df.loc[sec, "p_holm"] = holm(df.loc[sec, "p_value"].to_numpy(float))
    return df.reindex(columns=GROUP_TESTS.names)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN and does not count)."""
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        out[j] = running
    return out


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
