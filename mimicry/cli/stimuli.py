"""`mimicry stimuli`: list, add, make and check stimulus clips."""

from __future__ import annotations

from pathlib import Path

import click

from . import _library_option, _model_option, handle_errors, main


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

    from ..stimuli.library import load_library

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
    from ..stimuli.library import add_stimulus, default_library

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

    from ..errors import StimulusError
    from ..sensing.tracking import FaceLandmarker
    from ..stimuli.synth import Retouch, make_stimulus_clip
    from ..writers import check_output_path

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
    from ..stimuli.library import check_library, load_library

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
