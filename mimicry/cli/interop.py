"""`mimicry export`: a session or a track as files other tools read (OpenFace 2, BIDS)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import MimicryError
from . import handle_errors, main


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
@handle_errors
def export(source, format_, out_dir):
    """Export SOURCE, a session folder (or, for openface, a track CSV), for other tools.

    openface writes OUT/<name>.csv with OpenFace 2's columns (frame, face_id, timestamp,
    confidence, success, pose_T*, pose_R* in radians, AUxx_r on 0-5, AUxx_c); the action units
    are an approximation from MediaPipe's blendshapes (see the docs: Lab interop). bids adds
    the session to the BIDS folder OUT: each viewer face's signals as a _physio.tsv.gz with
    its _physio.json, and the clips and the actor's smiles and yawns as _events.tsv. Nothing is
    overwritten.

    \b
    Examples:
        mimicry export sessions/2026-11-25_1400_P01_ab12 --format bids --out bids/
        mimicry export clip.csv --format openface --out openface/
    """
    from ..interop import export_bids, export_openface
    from ..session.folder import read_session, read_table

    if not source.exists():
        raise MimicryError(f"not found: {source}")
    if source.is_dir():
        data = read_session(source)
        if format_ == "bids":
            for path in export_bids(data, out_dir):
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
    click.echo(f"wrote {export_openface(frames, out_dir / f'{source.stem}.csv')}")
