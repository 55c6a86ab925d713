"""Command line: a thin layer over the library. Each command parses options, calls one library
function and prints; a :class:`~mimicry.errors.MimicryError` becomes one ``Error: ...`` line and
exit status 1."""

from __future__ import annotations

import datetime as _dt
import functools
import os
import signal
import sys
from pathlib import Path

import click

from . import __version__
from .errors import MimicryError


def _quiet_native_logs() -> None:
    # MediaPipe/TFLite write INFO/WARNING lines to stderr from C++; keep the terminal readable.
    from . import tracking

    tracking.QUIET_NATIVE_LOGS = not os.environ.get("MIMICRY_DEBUG")


def handle_errors(fn):
    """Turn domain errors into one line on stderr and exit 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MimicryError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except OSError as e:
            raise click.ClickException(f"{e.strerror or e}: {e.filename or ''}".rstrip(": ")) from None

    return wrapper


class OneLineErrors(click.Group):
    """A group whose every error, usage errors included, is one ``Error: ...`` line on stderr."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            hint = (
                f" (see 'mimicry {e.ctx.info_name} --help')"
                if e.ctx is not None and e.ctx.parent
                else " (see 'mimicry --help')"
            )
            click.echo(f"Error: {e.format_message()}{hint}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"Error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mimicry")
def main() -> None:
    """Measure facial mimicry (smiles, contagious yawns) through a webcam or from videos."""
    _quiet_native_logs()


def _model_option(f):
    return click.option(
        "--model",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Face Landmarker .task bundle to use instead of the bundled, hash-checked one.",
    )(f)


def _library_option(f):
    return click.option(
        "--library",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Library folder [default: the shipped stimuli/].",
    )(f)


@main.command()
@click.argument("video", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Output CSV [default: VIDEO with .csv; for a camera, track_camera<N>_<time>.csv].",
)
@click.option(
    "--camera",
    type=click.IntRange(min=0),
    default=None,
    help="Track a webcam by index instead of a file (stop with Ctrl-C or --seconds).",
)
@click.option("--max-faces", type=click.IntRange(1, 8), default=1, show_default=True, help="Faces tracked at once.")
@click.option(
    "--landmarks",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the 478 landmarks per face per frame to this CSV (large).",
)
@_model_option
@click.option(
    "--realtime", is_flag=True, help="Pace a file like a camera (frames are dropped if tracking falls behind)."
)
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop after this many seconds of input.",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@handle_errors
def track(video, out, camera, max_faces, landmarks, model, realtime, seconds, force, quiet):
    """Track faces in VIDEO (or a webcam) and write per-frame expression signals to CSV.

    One row per face per frame (a detected=0 row where no face is found): time, face id,
    smile, yawn, blink, mouth_open, head pose and the 52 MediaPipe blendshapes.

    \b
    Example:
        mimicry track clip.mp4 --out clip.csv
        mimicry track --camera 0 --seconds 60 --out me.csv
    """
    from .capture import CameraSource, VideoFileSource
    from .model import resolve_model
    from .pipeline import TrackConfig, track_video
    from .writers import check_output_path

    if (video is None) == (camera is None):
        raise click.UsageError("give either a VIDEO file or --camera INDEX")
    if out is None:
        if video is not None:
            out = video.with_suffix(".csv")
        else:
            out = Path(f"track_camera{camera}_{_dt.datetime.now():%Y%m%d_%H%M%S}.csv")
    check_output_path(out, overwrite=force)
    if landmarks is not None:
        check_output_path(landmarks, overwrite=force)
        if landmarks.resolve() == out.resolve():
            raise click.UsageError("--landmarks must differ from --out")
    resolve_model(model)  # fail fast on a bad model, before opening the camera
    source = VideoFileSource(video, realtime=realtime) if video is not None else CameraSource(camera)
    config = TrackConfig(max_faces=max_faces, model=model)

    state = {"stop": False}

    def on_signal(signum, frame):  # Ctrl-C / SIGTERM: finish cleanly, keep the file complete
        state["stop"] = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    bar = None
    try:
        from tqdm import tqdm

        total = getattr(source, "frame_count", 0) or None
        bar = tqdm(
            total=total,
            unit="frame",
            disable=quiet or not sys.stderr.isatty(),
            file=sys.stderr,
            desc="track",
            leave=False,
        )

        def progress(n: int) -> None:
            bar.update(n)

        def stop_cond() -> bool:
            return state["stop"] or (seconds is not None and source.last_t_s >= seconds)

        with source:
            result = track_video(source, out, config, landmarks_out=landmarks, progress=progress, stop=stop_cond)
    finally:
        if bar is not None:
            bar.close()
        for s, h in old.items():
            signal.signal(s, h)
    if not quiet:
        frac = result.detected_rows / max(result.frames, 1)
        msg = f"{result.path}: {result.frames} frames, face found in {frac:.0%} of frames"
        if result.dropped_frames:
            msg += f", {result.dropped_frames} frames dropped to keep up"
        click.echo(msg, err=True)


@main.command()
@click.argument("session_dir", type=click.Path(path_type=Path))
@click.option(
    "--surrogates",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Surrogates per significance test (circular shifts; random-onset and yawn-shift sets).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the surrogates.")
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

    from .analysis import AnalysisConfig, AttentionConfig
    from .analysis.events import DEFAULT_EVENTS
    from .session import analyze_session, read_analysis_config

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


@main.command()
@click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Protocol TOML, or the name of a shipped one: contagious-yawning, smile-mimicry, sample "
    "[default: contagious-yawning].",
)
@click.option("--participant", default=None, help="Pseudonymous id (letters, digits, - and _) [default: random].")
@click.option(
    "--camera",
    default="0",
    show_default=True,
    help="Webcam index, a video file replayed as a camera in real time, or 'sample' (a bundled viewer).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("sessions"),
    show_default=True,
    help="Folder for session folders.",
)
@click.option("--no-window", is_flag=True, help="No display: the protocol runs and is logged on schedule.")
@click.option("--fullscreen", is_flag=True, help="Show the stimulus window full screen.")
@click.option(
    "--record-video",
    is_flag=True,
    help="Also save the camera video (camera.mp4) in the session folder. Off by default: images of a person.",
)
@_library_option
@_model_option
@click.option("--max-faces", type=click.IntRange(1, 8), default=1, show_default=True)
@click.option(
    "--surrogates",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Surrogates of the analysis run at the end.",
)
@click.option("--seed", type=int, default=None, help="Shuffle seed when the protocol has none.")
@handle_errors
def run(
    protocol_file,
    participant,
    camera,
    out,
    no_window,
    fullscreen,
    record_video,
    library,
    model,
    max_faces,
    surrogates,
    seed,
):
    """Play a protocol of stimuli while tracking the viewer; record a session folder; analyse it.

    Writes frames.csv, stimulus_log.csv, events_log.csv and session.json as it goes (flushed at
    least every second), then the analysis files and report.html. Ctrl-C ends the
    session as 'aborted' with everything recorded so far kept.

    \b
    Example:
        mimicry run --protocol protocols/smile-mimicry.toml --camera clip.mp4 --no-window
    """
    from .recording import RunConfig, SessionRun
    from .stimuli import shipped_folder

    protocols = shipped_folder("protocols")
    if camera == "sample":  # the bundled sample viewer, recorded against protocols/sample.toml
        camera = str(shipped_folder("stimuli") / "sample_viewer.mp4")
        if protocol_file is None:
            protocol_file = protocols / "sample.toml"
    if protocol_file is None:
        protocol_file = protocols / "contagious-yawning.toml"
    elif not protocol_file.exists() and (protocols / f"{protocol_file}.toml").is_file():
        protocol_file = protocols / f"{protocol_file}.toml"
    cfg = RunConfig(
        protocol=protocol_file,
        camera=camera,
        participant=participant,
        out=out,
        library=library,
        model=model,
        max_faces=max_faces,
        n_surrogates=surrogates,
        seed=seed,
        window=not no_window,
        fullscreen=fullscreen,
        record_video=record_video,
    )
    session = SessionRun(cfg)  # validates everything and opens the camera before any folder exists
    from .calibration import phase_duration_s

    total = (
        session.protocol.baseline_s
        + session.protocol.calibration * phase_duration_s()
        + sum(session.stimuli[b.stimulus_id].duration_s for b in session.blocks)
        + session.protocol.isi_s * (len(session.blocks) - 1)
    )
    click.echo(
        f"session: {len(session.blocks)} blocks, about {total:.0f} s; participant {session.participant}", err=True
    )
    old = {s: signal.signal(s, lambda *_: session.abort("interrupted")) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        folder = session.run(
            on_progress=lambda b: click.echo(
                f"  block {b.index + 1}/{len(session.blocks)} ({b.kind}: {b.stimulus_id}) done", err=True
            )
        )
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    click.echo(f"recorded {folder}", err=True)
    from .analysis import AnalysisConfig
    from .session import analyze_session

    try:
        paths = analyze_session(folder, AnalysisConfig(n_surrogates=surrogates))
    except MimicryError as e:
        click.echo(f"note: analysis skipped: {e}", err=True)
        return
    _echo_summary(paths)
    from .report import write_report

    try:
        click.echo(f"report: {write_report(folder)}")
    except MimicryError as e:
        click.echo(f"note: report skipped: {e}", err=True)
    click.echo(f"files in {folder}")


def _echo_summary(paths: dict) -> None:
    """One line per face and measure from verdicts.csv (the primary tests), and the lay index."""
    import pandas as pd

    from .session import read_table

    for r in read_table(paths["verdicts.csv"]).itertuples():
        click.echo(f"face {r.face} {r.measure.replace('_', ' ')}: {verdict_text(r)}")
    for r in read_table(paths["contagion.csv"]).itertuples():
        if pd.notna(r.mimicry_index):
            click.echo(f"face {r.face}: mimicry index {r.mimicry_index:.0f}/100 (0 unless a test detected mimicry)")


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
    from .report import write_report

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
@handle_errors
def summary(sessions_dir, out):
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
    from .summary import write_summary

    csv_path, html_path, failures = write_summary(sessions_dir, out)
    for folder, reason in failures:
        click.echo(f"skipped {folder}: {reason}", err=True)
    click.echo(f"wrote {csv_path} and {html_path}")


@main.command()
@click.argument("input_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Local worker processes [default: number of cores]."
)
@click.option(
    "--scheduler",
    default=None,
    help="Address of a Dask distributed scheduler (tcp://HOST:8786) to run on instead of locally.",
)
@click.option("--pattern", default=None, help="Glob of the videos, relative to INPUT_DIR [default: every video file].")
@click.option("--resume", is_flag=True, help="Skip inputs whose output is complete and unchanged.")
@click.option("--max-faces", type=click.IntRange(1, 8), default=1, show_default=True)
@click.option(
    "--surrogates",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Surrogates of the session analyses.",
)
@_model_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@handle_errors
def batch(input_dir, out_dir, workers, scheduler, pattern, resume, max_faces, surrogates, model, quiet):
    """Track every video below INPUT_DIR, and analyse every recorded session, into OUT_DIR.

    Videos give OUT_DIR/<name>/track.csv. Session folders recorded with --record-video
    (camera.mp4 beside stimulus_log.csv) are tracked again and analysed: frames.csv, the
    analysis files and report.html. At the end, summary.csv (all inputs) and failures.csv
    (inputs that failed: corrupt, no face, ...). Exit status 1 if any input failed.

    \b
    Examples:
        mimicry batch recordings/ --out results/ --workers 2
        mimicry batch recordings/ --out results/ --resume
        mimicry batch /shared/recordings --out /shared/results --scheduler tcp://10.0.0.5:8786
    """
    from tqdm import tqdm

    from .batch import BatchConfig, find_inputs, run_batch

    out_dir = Path(out_dir)
    items = find_inputs(input_dir, pattern, exclude=out_dir)
    if not items:
        raise MimicryError(
            f"no videos or recorded sessions found in {input_dir}" + (f" matching {pattern!r}" if pattern else "")
        )
    config = BatchConfig(max_faces=max_faces, model=str(model) if model else None, n_surrogates=surrogates)
    bar = tqdm(total=len(items), unit="file", disable=quiet or None, file=sys.stderr)

    def progress(res: dict) -> None:
        bar.update(1)
        if res["status"] == "failed":
            bar.write(f"failed {res['name']}: {res['error']}", file=sys.stderr)

    try:
        outcome = run_batch(
            items, out_dir, config, workers=workers, scheduler=scheduler, resume=resume, progress=progress
        )
    finally:
        bar.close()
    click.echo(
        f"{len(outcome.done)} done, {len(outcome.skipped)} skipped (already complete), "
        f"{len(outcome.failed)} failed; wrote {outcome.summary_path} and {outcome.failures_path}"
    )
    if outcome.failed:
        sys.exit(1)


@main.command()
@click.argument("kind", type=click.Choice(["yawn", "smile"]), default="yawn")
@click.option("--camera", default="0", show_default=True, help="Webcam index, or a video file replayed as a camera.")
@click.option("--max-faces", type=click.IntRange(1, 8), default=6, show_default=True)
@click.option("--fullscreen", is_flag=True, help="Start full screen (f toggles).")
@click.option("--no-window", is_flag=True, help="No display: count in the background, print the results at the end.")
@click.option("--no-preview", is_flag=True, help="Do not show the camera image (boxes and meters only).")
@click.option("--save", is_flag=True, help="Write a session folder (numbers only, no images). Off by default.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("sessions"),
    show_default=True,
    help="Folder for the session folder with --save.",
)
@click.option("--minutes", type=click.FloatRange(min=0.05), default=None, help="Stop after this many minutes.")
@click.option(
    "--pause",
    "pause_s",
    type=click.FloatRange(min=0),
    default=8.0,
    show_default=True,
    help="Neutral screen between clips, seconds.",
)
@_library_option
@_model_option
@handle_errors
def demo(kind, camera, max_faces, fullscreen, no_window, no_preview, save, out, minutes, pause_s, library, model):
    """Classroom demo: play yawn (or smile) clips and count the class's yawns live.

    The clips play large with a short neutral pause between them; beside them, the camera
    with a letter on each face (up to 8), a meter per face and counters per face and for the
    class, and how many started soon after one in the video (within 15 s; smiles: 3 s). These
    are counts, not a test: whether yawning was contagious needs control clips (mimicry run
    and mimicry summary). Keys: space pause, n next clip, r reset counters, f fullscreen, q or Esc quit
    (then a results screen until a key is pressed). Nothing is written unless --save.

    \b
    Examples:
        mimicry demo --fullscreen
        mimicry demo smile --camera 1 --max-faces 8 --no-preview
        mimicry demo --camera class.mp4 --no-window --save
    """
    from .demo import DemoConfig, run_demo

    cfg = DemoConfig(
        kind=kind,
        camera=camera,
        max_faces=max_faces,
        window=not no_window,
        fullscreen=fullscreen,
        preview=not no_preview,
        save=save,
        out=out,
        minutes=minutes,
        pause_s=pause_s,
        library=library,
        model=model,
    )
    stop = {"now": False}
    old = {s: signal.signal(s, lambda *_: stop.update(now=True)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = run_demo(cfg, should_quit=lambda: stop["now"])
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    table = result.table.drop(columns=["face_id", "kind"])
    table = table.astype(object).where(table.notna(), "-").rename(columns={"events": f"{kind}s"})
    click.echo(table.to_string(index=False))
    delivered = result.camera_frames + result.camera_dropped
    click.echo(
        f"{result.seconds:.0f} s, {result.camera_frames} of {delivered} camera frames tracked"
        + (f" ({100 * result.camera_dropped / delivered:.1f}% skipped to keep up)" if result.camera_dropped else ""),
        err=True,
    )
    if result.folder is not None:
        click.echo(f"saved {result.folder}", err=True)


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
    from .session import read_session_json, repair_session

    for d in session_dirs:
        before = read_session_json(Path(d)).get("status")
        meta = repair_session(d)
        if before == "running":
            click.echo(
                f"{d}: marked crashed, {meta['duration_s']:.1f} s and {meta['camera_frames']} camera frames kept"
            )
        else:
            click.echo(f"{d}: {meta.get('status')}, nothing to repair")


@main.group()
def stimuli():
    """The stimulus library: list, add, make and check clips.

    \b
    Examples:
        mimicry stimuli list
        mimicry stimuli add my_yawn.mp4 --kind yawn --library study_clips
        mimicry stimuli make --photo face.jpg --kind yawn --out yawn.mp4 --seconds 24 --seed 1
        mimicry stimuli check
    """


@stimuli.command("list")
@_library_option
@click.option("--full", is_flag=True, help="Print source and licence in full (default: cut to the terminal width).")
@handle_errors
def stimuli_list(library, full):
    """Print the library as a table: id, kind, duration, source, licence."""
    import shutil

    from .stimuli import load_library

    lib = load_library(library)
    rows = [("id", "kind", "duration", "source", "license")]
    rows += [(s.id, s.kind, f"{s.duration_s:.1f} s", s.source, s.license) for s in lib.stimuli]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    if not full:  # share what the terminal has left between source (2/3) and licence (1/3)
        room = max(shutil.get_terminal_size().columns - sum(widths[:3]) - 8, 24)
        widths[4] = min(widths[4], max(room // 3, 10))
        widths[3] = min(widths[3], room - widths[4])
        rows = [r[:3] + tuple(c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(r[3:], widths[3:])) for r in rows]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])


@stimuli.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", required=True, help="smile, yawn or control.")
@click.option("--id", "stimulus_id", default=None, help="Slug id [default: KIND-<file name>].")
@click.option("--source", default="", help="Where the clip comes from.")
@click.option("--license", "license_", default="", help="Its licence.")
@click.option("--description", default="", help="A short description.")
@_library_option
@click.option("--force", is_flag=True, help="Add even if the clip does not look like its kind.")
@_model_option
@handle_errors
def stimuli_add(file, kind, stimulus_id, source, license_, description, library, force, model):
    """Copy FILE into the library, track its actor, check its kind, and add it to the manifest.

    Refuses (manifest untouched) an unreadable, corrupt or empty video, a clip with no face in
    most frames, a duplicate id, an unknown kind, and, unless --force, a clip whose content
    contradicts its kind (a "yawn" with no wide opening, a "control" full of smiles).
    """
    from .stimuli import add_stimulus, default_library

    s = add_stimulus(
        file,
        kind,
        library if library is not None else default_library(),
        stimulus_id,
        source,
        license_,
        description,
        force,
        model,
    )
    click.echo(f"added {s.id} ({s.kind}, {s.duration_s:.1f} s)")


@stimuli.command("make")
@click.option(
    "--photo",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A photo (or video, first frame) of one face, neutral (or smiling, with --unsmile).",
)
@click.option("--kind", required=True, type=click.Choice(["smile", "yawn", "control"]))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output .mp4.")
@click.option("--seconds", type=click.FloatRange(5, 120), default=24.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--fps", type=click.FloatRange(5, 60), default=25.0, show_default=True)
@click.option("--size", type=click.IntRange(128, 1080), default=360, show_default=True, help="Frame side, pixels.")
@click.option(
    "--framing",
    type=click.FloatRange(1.0, 4.0),
    default=1.9,
    show_default=True,
    help="Crop side in face extents (larger: more background).",
)
@click.option(
    "--unsmile",
    nargs=2,
    type=click.FloatRange(-0.3, 0.0),
    default=None,
    metavar="OUT UP",
    help="The photo smiles with open lips: close them and move the lip corners by OUT, UP "
    "inter-ocular distances (negative, e.g. -0.09 -0.12) to make the neutral face; a smile "
    "clip then returns to the photo's own smile.",
)
@click.option("--force", is_flag=True, help="Overwrite OUT.")
@handle_errors
def stimuli_make(photo, kind, out, seconds, seed, fps, size, framing, unsmile, force):
    """Synthesise a smile, yawn or control clip from a photo by warping the face along its
    landmarks (reproducible for a fixed seed)."""
    import cv2

    from .errors import StimulusError
    from .synth import Retouch, make_stimulus_clip
    from .tracking import FaceLandmarker
    from .writers import check_output_path

    check_output_path(out, overwrite=force)
    image = cv2.imread(str(photo))
    if image is None:
        cap = cv2.VideoCapture(str(photo))
        ok, image = cap.read()
        cap.release()
        if not ok:
            raise StimulusError(f"cannot read an image from {photo}")
    with FaceLandmarker("image") as lm:
        faces = lm.detect(image)
    if not faces:
        raise StimulusError(f"no face found in {photo}")
    h, w = image.shape[:2]
    make_stimulus_clip(
        image,
        faces[0].landmarks[:, :2] * [w, h],
        kind,
        out,
        seconds,
        seed,
        fps,
        size,
        framing,
        Retouch(unsmile=tuple(unsmile) if unsmile else None),
    )
    click.echo(f"wrote {out} ({kind}, {seconds:g} s, seed {seed})")


@stimuli.command("check")
@_library_option
@handle_errors
def stimuli_check(library):
    """Verify every entry: clip present with the right sha256, track present and agreeing with
    the kind. Exit status 1 if any entry fails."""
    from .stimuli import check_library, load_library

    lib = load_library(library)
    report = check_library(lib)
    bad = {k: v for k, v in report.items() if v}
    for sid, problems in report.items():
        click.echo(f"{sid}: " + ("ok" if not problems else "; ".join(problems)))
    if bad:
        raise click.ClickException(f"{len(bad)} of {len(report)} stimuli failed the check")
    click.echo(f"all {len(report)} stimuli ok")


if __name__ == "__main__":  # pragma: no cover
    main()
