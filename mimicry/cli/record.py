"""`mimicry record`: film and track the viewer while another program shows the clips and says
when (LSL or socket markers); then analyse as `mimicry run` does."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .base import (
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


def vocabulary_options(f):
    """``--marker-stream``, ``--marker-style`` and ``--marker-map`` (record, and import of an XDF)."""
    f = click.option(
        "--marker-map",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="A TOML file with a [markers] table (onset, offset, end patterns with {stimulus}) for other vocabularies.",
    )(f)
    f = click.option(
        "--marker-style",
        type=click.Choice(["mimicry", "psychopy"]),
        default="mimicry",
        show_default=True,
        help="mimicry: onset:<clip>, offset:<clip>, end. psychopy: <clip>.started, <clip>.stopped, experiment.ended.",
    )(f)
    return click.option("--marker-stream", default=None, help="The LSL Markers stream's name, if there are several.")(f)


@main.command()
@_camera_option
@click.option(
    "--markers",
    default="lsl",
    show_default=True,
    help="Where the presenter's markers come from: lsl (an LSL stream of type Markers), tcp:PORT or "
    "udp:PORT (lines of text on 127.0.0.1).",
)
@vocabulary_options
@click.option(
    "--wait-s",
    type=FiniteRange(0.1, 600.0),
    default=10.0,
    show_default=True,
    help="How long to look for the LSL stream.",
)
@_session_options
@_camera_size_option("driver")
@_library_option
@_model_option
@max_faces_option()
@_lsl_options
@handle_errors
def record(
    camera,
    markers,
    marker_stream,
    marker_style,
    marker_map,
    wait_s,
    participant,
    out,
    camera_size,
    library,
    model,
    max_faces,
    surrogates,
    lsl,
    lsl_blendshapes,
):
    """Record the viewer while another program (PsychoPy, jsPsych, E-Prime, Presentation) shows
    the clips and sends a marker as each starts and stops. Ends on Ctrl-C, on an `end` marker, or
    when a replayed camera ends; then analyses and reports the session as `mimicry run` does.
    Markers that are no clip's onset or offset are kept in events_log.csv.

    \b
    Examples:
        mimicry record --camera 0 --markers lsl --participant P01
        mimicry record --camera 0 --markers lsl --marker-style psychopy --marker-stream psychopy
        mimicry record --camera 0 --markers tcp:5678 --library mylab-stimuli
    """
    from ..session.camera import parse_camera_size
    from ..session.recorder import Recorder, RecorderConfig
    from .recording import _analyse_and_report

    vocabulary = vocabulary_from(marker_style, marker_map)
    lsl_cfg = lsl_config(lsl, lsl_blendshapes)
    source = _marker_source(markers, vocabulary, marker_stream, wait_s)  # no stream: nothing made
    try:
        config = RecorderConfig(
            participant, out, library, max_faces, model, parse_camera_size(camera_size), markers=markers
        )
        rec = Recorder(camera, config, lsl=lsl_cfg, on_note=lambda line: click.echo(f"warning: {line}", err=True))
    except BaseException:
        source.close()
        raise
    folder = _record_until_the_end(rec, source)
    _analyse_and_report(folder, surrogates)


def vocabulary_from(style: str, path: Path | None):
    from ..session.onsets import PSYCHOPY_VOCABULARY, MarkerVocabulary, read_vocabulary

    if path is not None:
        return read_vocabulary(path)
    return PSYCHOPY_VOCABULARY if style == "psychopy" else MarkerVocabulary()


def _marker_source(spec: str, vocabulary, stream: str | None, wait_s: float):
    from ..interop.markers import LslMarkers, SocketMarkers

    if spec == "lsl":
        return LslMarkers(vocabulary, name=stream, timeout_s=wait_s)
    return SocketMarkers(vocabulary, spec)


def _record(rec, source, state: dict) -> None:
    """Start the recording and the markers and wait for the end; an error or Ctrl-C closes it as
    ``aborted`` (what was recorded is kept, marked as such)."""
    try:
        rec.start()
        source.start(rec)
        rec.live.meta["markers"] = {"spec": rec.config.markers, **source.describe()}
        rec.live.write_meta()
        click.echo(f"recording {rec.folder}: markers from {rec.config.markers}; Ctrl-C ends", err=True)
        while not (state["stop"] or rec.ended.is_set() or rec.camera_ended):
            time.sleep(0.05)
    except BaseException:
        source.close()
        rec.close("aborted")
        raise


def _record_until_the_end(rec, source) -> Path:
    """Start, hand the markers over, wait for Ctrl-C, an end marker or the camera's end; close."""
    state = {"stop": False}
    with on_stop_signals(lambda _signum: state.update(stop=True)):
        _record(rec, source, state)
    source.close()
    folder = rec.close("complete")
    click.echo(f"recorded {folder}: {source.received} markers, {len(rec.live.meta['blocks'])} clips", err=True)
    for line in rec.live.meta.get("warnings", []):
        click.echo(f"warning: {line}", err=True)
    return folder
