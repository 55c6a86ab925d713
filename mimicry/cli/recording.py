"""`mimicry track`, `mimicry run` and `mimicry demo`: from a camera or a video to signals and sessions."""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

import click

from ..errors import MimicryError
from .base import (
    SEED,
    FiniteRange,
    _camera_option,
    _camera_size_option,
    _library_option,
    _lsl_options,
    _model_option,
    _session_options,
    handle_errors,
    lsl_config,
    main,
    max_faces_option,
    on_stop_signals,
)
from .sessions import _echo_summary


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
    default=None,
    help="Track a webcam by index instead of a file (stop with Ctrl-C or --seconds); 'sample': the bundled "
    "sample viewer replayed as a camera.",
)
@_camera_size_option("driver")
@max_faces_option()
@click.option(
    "--landmarks",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the 478 landmarks per face per frame to this CSV (large).",
)
@_model_option
@click.option(
    "--realtime",
    is_flag=True,
    help="Pace a file like a camera (frames are skipped, and counted, only if tracking falls over 2 s behind).",
)
@click.option(
    "--seconds",
    type=FiniteRange(min=0, max=86_400, min_open=True),
    default=None,
    help="Stop after this many seconds of input (at most a day).",
)
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
@_lsl_options
@handle_errors
def track(
    video, out, camera, camera_size, max_faces, landmarks, model, realtime, seconds, force, quiet, lsl, lsl_blendshapes
):
    """Track faces in VIDEO (or a webcam) and write per-frame expression signals to CSV.

    One row per face per frame (a detected=0 row where no face is found): time, face id,
    smile, yawn, blink, mouth_open, head pose and the 52 MediaPipe blendshapes.

    \b
    Example:
        mimicry track clip.mp4 --out clip.csv
        mimicry track --camera 0 --seconds 60 --out me.csv
        mimicry track --camera 0 --out me.csv --lsl
    """
    from ..sensing.capture import CameraSource, VideoFileSource
    from ..sensing.model import resolve_model
    from ..sensing.pipeline import TrackConfig
    from ..session.camera import camera_spec, parse_camera_size

    if (video is None) == (camera is None):
        raise click.UsageError("give either a VIDEO file or --camera INDEX")
    spec = camera_spec(camera) if camera is not None else None
    if isinstance(spec, Path):  # --camera sample (or a file): replayed as a camera
        video, realtime, camera = spec, True, None
    if lsl and camera is None and not realtime:
        raise click.UsageError("--lsl streams live input: use it with --camera or --realtime")
    lsl_cfg = lsl_config(lsl, lsl_blendshapes)
    out = _track_outputs(video, spec, out, landmarks, force)
    resolve_model(model)  # fail fast on a bad model, before opening the camera
    size = parse_camera_size(camera_size) or (None, None)
    source = VideoFileSource(video, realtime=realtime) if video is not None else CameraSource(spec, *size)
    result = _track_source(
        source, out, TrackConfig(max_faces=max_faces, model=model), landmarks, seconds, quiet, lsl_cfg
    )
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    if not quiet:
        click.echo(f"{result.path}: {track_summary(result)}", err=True)


def track_summary(result) -> str:
    """``N frames, a face found in P% of them`` (with the faces seen and the frames dropped)."""
    frac = result.frames_with_face / max(result.frames, 1)
    msg = f"{result.frames} frames, a face found in {frac:.0%} of them"
    if result.faces > 1:
        msg += f", {result.faces} faces in all"
    if result.dropped_frames:
        msg += f", {result.dropped_frames} frames skipped to keep up"
    return msg


def _track_outputs(video, camera, out, landmarks, force) -> Path:
    """The track CSV's path (default beside VIDEO, or named after the camera and the time), checked."""
    from ..writers import check_output_path

    if out is None:
        if video is not None:
            out = video.with_suffix(".csv")
        else:
            out = Path(f"track_camera{camera}_{_dt.datetime.now():%Y%m%d_%H%M%S}.csv")
    inputs = (video,) if video is not None else ()
    check_output_path(out, overwrite=force, inputs=inputs)
    if landmarks is not None:
        check_output_path(landmarks, overwrite=force, inputs=inputs)
        if landmarks.resolve() == out.resolve():
            raise click.UsageError("--landmarks must differ from --out")
    return out


def _track_source(source, out, config, landmarks, seconds, quiet, lsl_cfg):
    """Track with a progress bar; Ctrl-C or SIGTERM ends cleanly with a complete file."""
    from tqdm import tqdm

    from ..sensing.pipeline import track_video

    state = {"stop": False}

    def stop_cond() -> bool:
        return state["stop"] or (seconds is not None and source.last_t_s >= seconds)

    bar, streams = None, None
    with on_stop_signals(lambda _signum: state.update(stop=True)):
        try:
            total = getattr(source, "frame_count", 0) or None
            disable = quiet or not sys.stderr.isatty()
            bar = tqdm(total=total, unit="frame", disable=disable, file=sys.stderr, desc="track", leave=False)
            if lsl_cfg is not None:
                streams = _track_streams(lsl_cfg, source, quiet)
            on_row = streams.push_row if streams is not None else None
            with source:
                return track_video(
                    source, out, config, landmarks_out=landmarks, progress=bar.update, stop=stop_cond, on_row=on_row
                )
        finally:
            if streams is not None:
                streams.close()
            if bar is not None:
                bar.close()


def _track_streams(config, source, quiet: bool):
    """The FaceSignals outlet of ``track --lsl``, its clock origin set to the source's start."""
    import time

    from ..interop.lsl import LslStreams, source_id_for

    streams = LslStreams(config, source.nominal_fps, False, source_id_for(source))
    source.origin_monotonic = streams.origin_monotonic = time.monotonic()
    if not quiet:
        click.echo(f"LSL: streaming '{config.name}' (FaceSignals)", err=True)
    return streams


@main.command()
@click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Protocol TOML, or the name of a shipped one: contagious-yawning, smile-mimicry, sample "
    "[default: contagious-yawning].",
)
@_session_options
@_camera_option
@_camera_size_option("driver")
@click.option("--no-window", is_flag=True, help="No display: the protocol runs and is logged on schedule.")
@click.option("--fullscreen", is_flag=True, help="Show the stimulus window full screen.")
@click.option(
    "--record-video",
    is_flag=True,
    help="Also save the camera video (camera.mp4) in the session folder. Off by default: images of a person.",
)
@_library_option
@_model_option
@max_faces_option()
@click.option("--seed", type=SEED, default=None, help="Shuffle seed when the protocol has none.")
@_lsl_options
@handle_errors
def run(
    protocol_file,
    participant,
    camera,
    camera_size,
    out,
    no_window,
    fullscreen,
    record_video,
    library,
    model,
    max_faces,
    surrogates,
    seed,
    lsl,
    lsl_blendshapes,
):
    """Play a protocol of stimuli while tracking the viewer; record a session folder; analyse it.

    Writes frames.csv, stimulus_log.csv, events_log.csv and session.json as it goes (flushed at
    least every second), then the analysis files and report.html. Ctrl-C ends the
    session as 'aborted' with everything recorded so far kept.

    \b
    Example:
        mimicry run --protocol protocols/smile-mimicry.toml --camera clip.mp4 --no-window
    """
    from ..session.camera import parse_camera_size
    from ..session.run import RunConfig, SessionRun
    from ..stimuli.library import synthetic_note

    protocol_file, camera = _protocol_and_camera(protocol_file, camera)
    cfg = RunConfig(
        protocol=protocol_file,
        camera=camera,
        camera_size=parse_camera_size(camera_size),
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
        lsl=lsl_config(lsl, lsl_blendshapes),
    )
    session = SessionRun(cfg)  # validates everything and opens the camera before any folder exists
    click.echo(
        f"session: {len(session.blocks)} blocks, about {session.duration_s:.0f} s; participant {session.participant}",
        err=True,
    )
    note = synthetic_note(list(session.stimuli.values()))
    if note:
        click.echo(note, err=True)
    if cfg.lsl is not None:
        click.echo(f"LSL: streaming '{cfg.lsl.name}' (FaceSignals) and '{cfg.lsl.name}-markers' (Markers)", err=True)
    interrupted: list[int] = []

    def on_signal(signum: int) -> None:
        interrupted.append(signum)
        session.abort("interrupted")

    with on_stop_signals(on_signal):
        folder = session.run(
            on_progress=lambda b: click.echo(
                f"  block {b.index + 1}/{len(session.blocks)} ({b.kind}: {b.stimulus_id}) done", err=True
            ),
            on_note=lambda line: click.echo(f"warning: {line}", err=True),
        )
    _echo_end(session, folder)
    _analyse_and_report(folder, surrogates)
    if interrupted:
        sys.exit(128 + interrupted[0])  # 130 after Ctrl-C, as a shell expects of an interrupted command


def _echo_end(session, folder: Path) -> None:
    """``recorded FOLDER``, or how the session ended when it did not complete, and its warnings."""
    from ..session.folder import read_session_json

    meta = read_session_json(folder)
    status = meta.get("status")
    if status == "complete":
        click.echo(f"recorded {folder}", err=True)
    else:
        why = f" ({session.abort_reason})" if session.abort_reason else ""
        click.echo(f"session {status}{why}: what was recorded is kept in {folder}", err=True)
    for line in meta.get("warnings", []):
        click.echo(f"warning: {line}", err=True)


def _protocol_and_camera(protocol_file: Path | None, camera: str) -> tuple[Path, str]:
    """A shipped protocol by name; ``--camera sample``: the bundled viewer and its protocol."""
    from ..stimuli.library import shipped_folder

    protocols = shipped_folder("protocols")
    if camera == "sample":  # the bundled sample viewer, recorded against protocols/sample.toml
        camera = str(shipped_folder("stimuli") / "sample_viewer.mp4")
        if protocol_file is None:
            protocol_file = protocols / "sample.toml"
    if protocol_file is None:
        protocol_file = protocols / "contagious-yawning.toml"
    elif not protocol_file.exists() and (protocols / f"{protocol_file}.toml").is_file():
        protocol_file = protocols / f"{protocol_file}.toml"
    return protocol_file, camera


def _analyse_and_report(folder: Path, surrogates: int) -> None:
    from ..analysis import AnalysisConfig
    from ..report.page import write_report
    from ..session.folder import analyze_session

    try:
        paths = analyze_session(folder, AnalysisConfig(n_surrogates=surrogates))
    except MimicryError as e:
        click.echo(f"note: analysis skipped: {e}", err=True)
        return
    _echo_summary(paths)
    try:
        click.echo(f"report: {write_report(folder)}")
    except MimicryError as e:
        click.echo(f"note: report skipped: {e}", err=True)
    click.echo(f"files in {folder}")


@main.command()
@click.argument("kind", type=click.Choice(["yawn", "smile"]), default="yawn")
@_camera_option
@max_faces_option(30, "Default: everyone in view.")
@_camera_size_option("1280x720")
@click.option("--fullscreen", is_flag=True, help="Start full screen (f toggles).")
@click.option("--no-window", is_flag=True, help="No display: count in the background, print the results at the end.")
@click.option("--no-preview", is_flag=True, help="Do not show the camera image (boxes and meters only).")
@click.option("--save", is_flag=True, help="Write a session folder (numbers only, no images). Off by default.")
@click.option(
    "--calibrate",
    is_flag=True,
    help="Start with 15 s of cues (smile broadly, open wide, relax): smile meters then read relative to each "
    "face's own range, and nothing in those 15 s is counted.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("sessions"),
    show_default=True,
    help="Folder for the session folder with --save.",
)
@click.option(
    "--minutes",
    type=FiniteRange(min=0.05, max=1440),
    default=None,
    help="Stop after this many minutes (at most a day).",
)
@click.option(
    "--pause",
    "pause_s",
    type=FiniteRange(min=0, max=600),
    default=8.0,
    show_default=True,
    help="Neutral screen between clips, seconds.",
)
@click.option(
    "--baseline-minutes",
    type=FiniteRange(min=0, max=30),
    default=1.0,
    show_default=True,
    help="Neutral screen before the first clip: the class's own base rate, which the yawns after the video's "
    "are compared with (0: no comparison).",
)
@click.option(
    "--check-room/--no-check-room",
    default=None,
    help="Start with the camera full screen and every face boxed until space, to place the camera. "
    "Default: with a window and a webcam.",
)
@_library_option
@_model_option
@_lsl_options
@handle_errors
def demo(
    kind,
    camera,
    camera_size,
    max_faces,
    fullscreen,
    no_window,
    no_preview,
    save,
    calibrate,
    out,
    minutes,
    pause_s,
    baseline_minutes,
    check_room,
    library,
    model,
    lsl,
    lsl_blendshapes,
):
    """Classroom demo: play yawn (or smile) clips and count the class's yawns live.

    First the room check (with a webcam and a window): the camera full screen, a box on every
    face, until space. Then a neutral baseline (--baseline-minutes), then the clips, large, with
    a short neutral pause between them; beside them, the camera with a letter on each face (A-H,
    then numbers), a meter per face and counters per face and for the class, and how many
    started soon after one in the video (within 15 s; smiles: 3 s). At the end, one test: did the
    class yawn more often soon after the video's yawns than in the baseline? (More yawning later
    can also come from time passing: control clips tell them apart, mimicry run and mimicry
    summary.) Keys: space pause, n next clip, r reset counters, f fullscreen, q or Esc quit
    (then a results screen until a key is pressed). Nothing is written unless --save.

    \b
    Examples:
        mimicry demo --fullscreen
        mimicry demo smile --camera 1 --max-faces 8 --no-preview
        mimicry demo --camera class.mp4 --no-window --save
    """
    from ..session.camera import parse_camera_size
    from ..session.demo import DemoConfig, run_demo
    from ..session.tally import results_text

    cfg = DemoConfig(
        kind=kind,
        camera=camera,
        camera_size=parse_camera_size(camera_size),
        max_faces=max_faces,
        window=not no_window,
        fullscreen=fullscreen,
        preview=not no_preview,
        save=save,
        out=out,
        minutes=minutes,
        pause_s=pause_s,
        baseline_s=60.0 * baseline_minutes,
        check_room=check_room,
        library=library,
        model=model,
        calibrate=calibrate,
        lsl=lsl_config(lsl, lsl_blendshapes),
    )
    if cfg.lsl is not None:
        click.echo(f"LSL: streaming '{cfg.lsl.name}' (FaceSignals) and '{cfg.lsl.name}-markers' (Markers)", err=True)
    stop = {"now": False}
    with on_stop_signals(lambda _signum: stop.update(now=True)):
        result = run_demo(cfg, should_quit=lambda: stop["now"], on_note=lambda line: click.echo(line, err=True))
    click.echo(results_text(result.table, kind))
    click.echo(result.sentence)
    delivered = result.camera_frames + result.camera_dropped
    click.echo(
        f"{result.seconds:.0f} s, {result.camera_frames} of {delivered} camera frames tracked"
        + (f" ({100 * result.camera_dropped / delivered:.1f}% skipped to keep up)" if result.camera_dropped else ""),
        err=True,
    )
    if result.folder is not None:
        click.echo(f"saved {result.folder}", err=True)
