"""`mimicry export`: a session or a track as files other tools read (OpenFace 2, BIDS)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import MimicryError
from .base import (
    FiniteRange,
    _library_option,
    _model_option,
    _session_options,
    handle_errors,
    main,
    max_faces_option,
)
from .record import vocabulary_from, vocabulary_options


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["openface", "bids"]),
    required=True,
    help="openface: an OpenFace-2-style CSV (pose, AUxx_r and AUxx_c approximated from blendshapes); "
    "bids: a BIDS-style folder (physio recordings and events).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    required=True,
    help="Output folder (created; a BIDS folder may hold many sessions).",
)
@click.option(
    "--license",
    "license_",
    default=None,
    help="bids: the dataset's licence for a new dataset_description.json (e.g. CC0, CC-BY-4.0).",
)
@click.option(
    "--landmarks",
    type=click.Path(path_type=Path),
    default=None,
    help="openface: the track's `mimicry track --landmarks` CSV, for OpenFace's 68 landmarks x_0..y_67 (px).",
)
@click.option(
    "--frame-size",
    default=None,
    metavar="WxH|VIDEO",
    help="openface with --landmarks: the tracked video's frame size, as WIDTHxHEIGHT (px) or the video itself.",
)
@handle_errors
def export(source, format_, out_dir, license_, landmarks, frame_size):
    """Export SOURCE, a session folder (or, for openface, a track CSV), for other tools.

    openface writes OUT/<name>.csv with OpenFace 2's columns (frame, face_id, timestamp,
    confidence, success, pose_T*, pose_R* in radians, AUxx_r on 0-5, AUxx_c); the action units
    are an approximation from MediaPipe's blendshapes (see the docs: Lab interop); with a
    track's --landmarks file and the video's --frame-size, the 68 landmarks x_0..y_67 too. bids adds
    the session to the BIDS folder OUT: each viewer face's signals as a _physio.tsv.gz with
    its _physio.json, and the clips and the actor's smiles and yawns as _events.tsv. Nothing is
    overwritten.

    \b
    Examples:
        mimicry export sessions/2026-11-25_1400_P01_ab12 --format bids --out bids/
        mimicry export clip.csv --format openface --out openface/
        mimicry export clip.csv --format openface --out openface/ --landmarks lm.csv --frame-size clip.mp4
    """
    from ..interop import export_bids, export_openface
    from ..io import read_table
    from ..session.folder import read_session

    if not source.exists():
        raise MimicryError(f"not found: {source}")
    if source.is_dir():
        data = read_session(source)
        if format_ == "bids":
            for path in export_bids(data, out_dir, license=license_):
                click.echo(f"wrote {path}")
            return
        frames = data.frames
    elif format_ == "bids":
        raise MimicryError(f"{source}: a BIDS export needs a session folder (a track has no stimuli)")
    else:
        try:
            frames = read_table(source)
        except (OSError, ValueError) as e:
            raise MimicryError(f"cannot read {source} as a track CSV: {e}") from None
        if not {"t_s", "frame", "face", "detected"} <= set(frames.columns):
            raise MimicryError(f"{source} is not a track CSV (no t_s, frame, face, detected columns)")
    lm, size = _openface_landmarks(landmarks, frame_size)
    click.echo(f"wrote {export_openface(frames, out_dir / f'{source.stem}.csv', landmarks=lm, frame_size=size)}")


def _openface_landmarks(path: Path | None, frame_size: str | None):
    """The landmarks CSV's rows and the frame size (width, height) for the OpenFace export, checked."""
    from ..io import read_table

    if path is None:
        if frame_size is not None:
            raise click.UsageError("--frame-size goes with --landmarks")
        return None, None
    if frame_size is None:
        raise click.UsageError(
            "--landmarks needs --frame-size WxH (or the video): landmarks are fractions of the frame"
        )
    if not path.is_file():
        raise MimicryError(f"not found: {path}")
    try:
        rows = read_table(path)
    except (OSError, ValueError) as e:
        raise MimicryError(f"cannot read {path} as a landmarks CSV: {e}") from None
    return rows, parse_frame_size(frame_size)


def parse_frame_size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` (px), or a video file's frame size."""
    import re

    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if m:
        return int(m.group(1)), int(m.group(2))
    path = Path(text)
    if not path.is_file():
        raise click.BadParameter(f"{text!r} is neither WIDTHxHEIGHT nor a video file", param_hint="--frame-size")
    from ..sensing.capture import VideoFileSource

    with VideoFileSource(path) as video:
        return int(video.width), int(video.height)


@main.command("import")
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--events",
    type=click.Path(path_type=Path),
    default=None,
    help="The presenter's onsets (needed for a video): a BIDS events.tsv (onset, duration, stim_file or "
    "trial_type), a CSV with those columns, or a PsychoPy trial CSV (name its columns with --onset-column ...).",
)
@_session_options
@_library_option
@_model_option
@click.option(
    "--offset-s",
    type=FiniteRange(-86_400.0, 86_400.0),
    default=0.0,
    show_default=True,
    help="Seconds added to every onset to put it on the video's clock (the events' time 0 is this far into the video).",
)
@click.option(
    "--onset-column", default="onset", show_default=True, help="Column of the onsets, s (PsychoPy: e.g. movie.started)."
)
@click.option(
    "--stimulus-column",
    default=None,
    help="Column naming the clip: file name, library id or sha256 [default: stim_file, stimulus_id, stimulus or trial_type].",
)
@click.option(
    "--duration-column",
    default=None,
    help="Column of how long the clip was shown, s [default: duration if present, else the whole clip].",
)
@click.option(
    "--time-unit",
    type=click.Choice(["s", "ms"]),
    default="s",
    show_default=True,
    help="Unit of the onset and duration columns (ms: jsPsych's time_elapsed, E-Prime's OnsetTime).",
)
@click.option(
    "--clips",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of the experiment's own clips: one the events name that --library lacks is tracked once "
    "and added there (its kind read off the actor's face), for every later import.",
)
@max_faces_option()
@vocabulary_options
@handle_errors
def import_(
    video,
    events,
    out,
    participant,
    library,
    model,
    offset_s,
    onset_column,
    stimulus_column,
    duration_column,
    time_unit,
    clips,
    max_faces,
    surrogates,
    marker_stream,
    marker_style,
    marker_map,
):
    """Make a session folder from VIDEO, a participant recorded while another program (PsychoPy,
    jsPsych, E-Prime, Presentation) showed the clips, and that program's onsets; then analyse it
    as `mimicry run` does. The session clock is the video's; session.json records where the
    video and events came from and the offset used. VIDEO may also be a CSV tracked elsewhere
    (a mimicry track CSV, or an OpenFace 2 FeatureExtraction CSV) or a LabRecorder .xdf file
    holding mimicry's FaceSignals stream (--lsl) and the presenter's Markers stream.

    \b
    Examples:
        mimicry import P01.mp4 --events sub-01_task-mimicry_events.tsv --participant P01
        mimicry import P01.mp4 --events P01_psychopy.csv --onset-column movie.started \\
            --stimulus-column movie_file --offset-s -2.35
        mimicry import P01.mp4 --events P01_events.tsv --clips experiment/videos --library lab_clips
        mimicry import sub-P01_ses-S001_task-mimicry.xdf --marker-style psychopy
    """
    from ..session.imported import ImportConfig, import_rows, import_video, import_xdf
    from ..session.onsets import EventColumns
    from .recording import _analyse_and_report

    unit_s = 0.001 if time_unit == "ms" else 1.0
    columns = EventColumns(onset=onset_column, stimulus=stimulus_column, duration=duration_column, unit_s=unit_s)
    config = ImportConfig(participant, library, offset_s, columns, max_faces, model, clips)
    if video.suffix.lower() in (".xdf", ".xdfz"):
        if clips is not None:
            raise click.UsageError(
                "--clips goes with a video or CSV and its --events; an XDF file's clips must be in --library"
            )
        vocabulary = vocabulary_from(marker_style, marker_map)
        folder = import_xdf(video, out, config, vocabulary=vocabulary, marker_stream=marker_stream)
    elif events is None:
        raise click.UsageError(
            "a video or CSV needs --events (the presenter's onsets); an XDF file carries its markers"
        )
    elif video.suffix.lower() == ".csv":
        folder = import_rows(video, events, out, config)
    else:
        folder = import_video(video, events, out, config)
    click.echo(f"imported {folder}", err=True)
    _analyse_and_report(folder, surrogates)
