"""`mimicry analyze`, `mimicry report`, `mimicry summary` and `mimicry sessions`: what a session folder becomes."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import MimicryError
from .base import SEED, SURROGATES, handle_errors, main


@main.command()
@click.argument("session_dir", type=click.Path(path_type=Path))
@click.option(
    "--surrogates",
    type=SURROGATES,
    default=1000,
    show_default=True,
    help="Surrogates per significance test (circular shifts; random-onset and yawn-shift sets).",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the surrogates.")
@click.option(
    "--relative-baseline",
    is_flag=True,
    help="Viewer event thresholds relative to the face's level during the baseline.",
)
@click.option(
    "--exclude-looking-away",
    is_flag=True,
    help="Leave out frames where the head turned more than 30 degrees from its usual pose.",
)
@click.option(
    "--calibrated",
    is_flag=True,
    help="Express smile and mouth opening relative to each face's range from the session's "
    "calibration phase (protocol calibration = true).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Rerun with the settings of this analysis_config.json (or a JSON object of settings); "
    "then leave out --surrogates, --seed, --relative-baseline, --exclude-looking-away and --calibrated.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.pass_context
@handle_errors
def analyze(
    ctx, session_dir, surrogates, seed, relative_baseline, exclude_looking_away, calibrated, config_file, quiet
):
    """Score how much and how soon the viewer followed the stimulus in SESSION_DIR.

    Reads frames.csv, stimulus_log.csv and session.json; writes verdicts.csv (the primary
    test of smile mimicry and of yawn contagion per face: detected, not detected or
    insufficient data), trials.csv (one row per actor event and face), scores.csv (descriptive
    lagged and windowed cross-correlation), events.csv (smiles and yawns of viewer and actor),
    contagion.csv (yawn counts, smile response, 0-100 mimicry index), calibration.csv (each
    face's range, sessions with a calibration phase only; that phase is left out of the
    analysis), and analysis_config.json (every setting, versions, sha256 of the inputs). Same input and
    settings, same files.

    \b
    Example:
        mimicry analyze sessions/2026-11-25_1400_P01_ab12
        mimicry analyze sessions/S2 --config preregistered/analysis_config.json
    """
    from dataclasses import replace

    from ..analysis import AnalysisConfig, AttentionConfig
    from ..analysis.events import DEFAULT_EVENTS
    from ..session.folder import analyze_session, read_analysis_config

    if config_file is not None:
        from click.core import ParameterSource

        given = [
            f"--{n.replace('_', '-')}"
            for n in ("surrogates", "seed", "relative_baseline", "exclude_looking_away", "calibrated")
            if ctx.get_parameter_source(n) == ParameterSource.COMMANDLINE
        ]
        if given:
            raise MimicryError(f"--config fixes every setting; leave out {', '.join(given)}")
        config = read_analysis_config(config_file)
    else:
        config = AnalysisConfig(
            n_surrogates=surrogates,
            seed=seed,
            events=replace(DEFAULT_EVENTS, relative_to_baseline=relative_baseline),
            attention=AttentionConfig(exclude=exclude_looking_away),
            calibrated=calibrated,
        )
    paths = analyze_session(session_dir, config)
    if not quiet:
        import json

        meta = json.loads((Path(session_dir) / "session.json").read_text(encoding="utf-8"))
        if meta.get("status") != "complete":
            click.echo(f"note: session status is {meta.get('status')!r}: it ended early or is incomplete", err=True)
        _echo_summary(paths)
        click.echo(f"wrote {', '.join(str(p) for p in paths.values())}")


def _echo_summary(paths: dict) -> None:
    """The reader's warnings, one line per face and measure from verdicts.csv (the primary
    tests), and the lay index."""
    import json

    import pandas as pd

    from ..io import read_table
    from ..report.sentences import index_basis, yawns_shown
    from ..session.folder import ANALYSIS_CONFIG

    record = json.loads(paths[ANALYSIS_CONFIG].read_text(encoding="utf-8"))
    for line in record.get("input_warnings", []):
        click.echo(f"warning: {line}", err=True)

    verdicts = read_table(paths["verdicts.csv"])
    if verdicts.empty:
        click.echo("no face was found in the recording: there is no one to give a verdict about")
    for r in verdicts.itertuples():
        click.echo(f"face {r.face} {r.measure.replace('_', ' ')}: {verdict_text(r)}")
    for r in read_table(paths["contagion.csv"]).itertuples():
        if pd.notna(r.mimicry_index):
            basis = index_basis(verdicts[verdicts["face"] == r.face], yawns_shown=yawns_shown(r._asdict()))
            click.echo(
                f"face {r.face}: mimicry index {r.mimicry_index:.0f}/100 ({basis}; 0 unless a test detected mimicry)"
            )


def verdict_text(r) -> str:
    """``detected (effect ..., 95% CI ..., p = ..., n events)`` or ``insufficient data: reason``."""
    import math

    if r.verdict == "insufficient_data":
        return f"insufficient data: {r.reason}"
    what = "response above chance" if r.measure == "smile_mimicry" else "rate ratio"
    text = (
        f"{r.verdict.replace('_', ' ')} ({what} {r.effect:.2f}, 95% CI {r.ci_lo:.2f} to {r.ci_hi:.2f}, "
        f"p = {r.p_value:.3g}, {r.n_events} events)"
    )
    reason = r.reason if isinstance(r.reason, str) else ""
    return text + (f": {reason}" if reason and not (isinstance(r.p_value, float) and math.isnan(r.p_value)) else "")


@main.command()
@click.argument("session_dir", type=click.Path(path_type=Path))
@click.option("--open", "open_", is_flag=True, help="Open the report in the default web browser.")
@handle_errors
def report(session_dir, open_):
    """Write report.html into SESSION_DIR: a self-contained page with the session's figures.

    Timeline of viewer and video per face, cross-correlation by lag with the shuffled 95% band,
    averages around the video's smiles and yawns, a yawn raster, and a plain-language summary.
    Runs the analysis first if its files are missing. The page loads nothing from the network.

    \b
    Example:
        mimicry report sessions/2026-11-25_1400_P01_ab12 --open
    """
    from ..report.page import write_report

    path = write_report(session_dir)
    click.echo(f"wrote {path}")
    if open_:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            click.echo("note: no web browser found; open the file yourself", err=True)


@main.command()
@click.argument("sessions_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Summary CSV to write [default: SESSIONS_DIR/summary.csv]; the .html goes beside it.",
)
@click.option("--force", is_flag=True, help="Overwrite existing files that are not an earlier summary.")
@handle_errors
def summary(sessions_dir, out, force):
    """Summarise every session folder below SESSIONS_DIR: summary.csv, summary_tests.csv, summary.html.

    One row per session x face (participant, date, protocol, status, verdicts, smile r / lag / p,
    yawns in yawn vs control windows, mimicry index). The group tests count participants (faces
    and sessions of one participant id pooled): yawn contagion by a McNemar mid-p test of who
    yawned in yawn vs control windows (odds ratio, Wilson CIs), smile mimicry by a one-sample
    t-test of participants' chance-corrected responses, secondary tests Holm-adjusted.
    Unreadable session folders are listed (on stderr and in the page) and skipped.

    \b
    Example:
        mimicry summary sessions/
    """
    from ..report.summary import write_summary

    csv_path, html_path, failures = write_summary(sessions_dir, out, force=force)
    for folder, reason in failures:
        click.echo(f"skipped {folder}: {reason}", err=True)
    click.echo(f"wrote {csv_path} and {html_path}")


@main.group()
def sessions():
    """Session folders: repair one that did not end properly."""


@sessions.command("repair")
@click.argument("session_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@handle_errors
def sessions_repair(session_dirs):
    """Close sessions killed mid-recording: cut half-written last lines, mark them 'crashed'.

    A session whose process was killed (or lost power) still says 'running' in session.json.
    This records its true end (the last time any of its files recorded), keeps every complete
    row, and leaves complete and aborted sessions untouched. `mimicry analyze` does the same
    before analysing.

    \b
    Example:
        mimicry sessions repair sessions/2026-11-25_140000_P01_ab12
    """
    from ..session.folder import read_session_json, repair_session

    for d in session_dirs:
        before = read_session_json(Path(d)).get("status")
        meta = repair_session(d)
        if before == "running":
            click.echo(
                f"{d}: marked crashed, {meta['duration_s']:.1f} s and {meta['camera_frames']} camera frames kept"
            )
        else:
            click.echo(f"{d}: {meta.get('status')}, nothing to repair")
