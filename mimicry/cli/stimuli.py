"""`mimicry stimuli`: list, add, make and check stimulus clips."""

from __future__ import annotations

from pathlib import Path

import click

from .base import SEED, FiniteRange, _library_option, _model_option, handle_errors, main


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
    """Print the library as a table: id, kind, duration, synthetic (an animated photo, not a
    filmed person), source, licence."""
    import shutil

    from ..stimuli.library import load_library

    lib = load_library(library)
    rows = [("id", "kind", "duration", "synthetic", "source", "license")]
    rows += [
        (s.id, s.kind, f"{s.duration_s:.1f} s", "yes" if s.synthetic else "no", s.source, s.license)
        for s in lib.stimuli
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    if not full:  # share what the terminal has left between source (2/3) and licence (1/3)
        room = max(shutil.get_terminal_size().columns - sum(widths[:4]) - 10, 24)
        widths[5] = min(widths[5], max(room // 3, 10))
        widths[4] = min(widths[4], room - widths[5])
        rows = [r[:4] + tuple(c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(r[4:], widths[4:])) for r in rows]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5])


@stimuli.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", required=True, help="smile, yawn or control.")
@click.option("--id", "stimulus_id", default=None, help="Slug id [default: KIND-<file name>].")
@click.option("--source", default="", help="Where the clip comes from.")
@click.option("--license", "license_", default="", help="Its licence.")
@click.option("--description", default="", help="A short description.")
@_library_option
@click.option("--force", is_flag=True, help="Add even if the clip does not look like its kind.")
@click.option(
    "--synthetic", is_flag=True, help="The clip was animated by software (e.g. mimicry stimuli make), not filmed."
)
@_model_option
@handle_errors
def stimuli_add(file, kind, stimulus_id, source, license_, description, library, force, synthetic, model):
    """Copy FILE into the library, track its actor, check its kind, and add it to the manifest.

    Refuses (manifest untouched) an unreadable, corrupt or empty video, a clip with no face in
    most frames, a duplicate id, an unknown kind, and, unless --force, a clip whose content
    contradicts its kind (a "yawn" with no wide opening, a "control" full of smiles).
    """
    from ..stimuli.adding import add_stimulus
    from ..stimuli.library import default_library

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
        synthetic,
    )
    click.echo(f"added {s.id} ({s.kind}, {s.duration_s:.1f} s{', synthetic' if s.synthetic else ''})")


@stimuli.command("cut")
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--kind", required=True, type=click.Choice(["yawn", "smile"]), help="What to find and cut.")
@click.option(
    "--library", required=True, type=click.Path(file_okay=False, path_type=Path), help="Library to add the clips to."
)
@click.option("--source", required=True, help="Where the video comes from (recorded in the manifest).")
@click.option("--license", "license_", required=True, help="The video's licence, or the rights you hold to it.")
@click.option("--controls", is_flag=True, help="Also cut control clips of the same lengths where the face is at rest.")
@click.option(
    "--controls-from",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --controls: another video of the same person to take the controls from when VIDEO has no room.",
)
@click.option("--pad-before", type=FiniteRange(0, 10), default=1.5, show_default=True, help="Seconds before.")
@click.option("--pad-after", type=FiniteRange(0, 10), default=1.5, show_default=True, help="Seconds after.")
@click.option("--per-clip", type=click.IntRange(1, 20), default=1, show_default=True, help="Events per clip.")
@click.option("--size", type=click.IntRange(128, 1080), default=360, show_default=True, help="Frame side, pixels.")
@click.option("--fps", type=FiniteRange(5, 60), default=25.0, show_default=True, help="Frame rate of the clips.")
@click.option("--keep-audio", is_flag=True, help="Keep the sound (needs ffmpeg: pip install 'mimicry[audio]').")
@click.option("--synthetic", is_flag=True, help="The video was animated by software, not filmed.")
@_model_option
@handle_errors
def stimuli_cut(
    video,
    kind,
    library,
    source,
    license_,
    controls,
    controls_from,
    pad_before,
    pad_after,
    per_clip,
    size,
    fps,
    keep_audio,
    synthetic,
    model,
):
    """Find the yawns (or smiles) in VIDEO with mimicry's own signals and add each, padded, as a
    clip to the library; with --controls also control clips from stretches where the face is at
    rest (no smile or yawn nearby, mouth closed: no talking), of VIDEO, then of --controls-from
    (another video of the same person); controls neither has room for are left out with a warning.

    Every clip is cropped around the face, scaled and re-timed, then tracked again and checked to
    be its kind; its manifest entry records cut_from, cut_start_s and cut_end_s. If any clip fails,
    nothing is added. The window and the demo play clips without sound.

    \b
    Example:
        mimicry stimuli cut lab_yawns.mp4 --kind yawn --controls --library study_clips \\
            --source "lab recording 2026-11, volunteer V03" --license "consent on file, lab use"
    """
    from ..stimuli.cut import CutConfig, cut_stimuli

    if controls_from is not None and not controls:
        raise click.UsageError("--controls-from needs --controls")
    config = CutConfig(pad_before, pad_after, per_clip, controls, size, fps, keep_audio=keep_audio)
    warnings: list[str] = []
    added = cut_stimuli(
        video, kind, library, source, license_, config, synthetic=synthetic, model=model,
        controls_from=controls_from, on_warning=warnings.append,
    )  # fmt: skip
    for s in added:
        click.echo(
            f"added {s.id} ({s.kind}, {s.duration_s:.1f} s, {s.cut_start_s:.2f}-{s.cut_end_s:.2f} s of {s.cut_from})"
        )
    for line in warnings:
        click.echo(f"warning: {line}", err=True)


@stimuli.command("record")
@click.option("--kind", required=True, type=click.Choice(["yawn", "smile", "control"]), help="What to film.")
@click.option("--camera", default="0", show_default=True, help="Webcam index, or a video file read as the camera.")
@click.option("--actor", required=True, help="The actor's pseudonym (letters, digits, - and _), kept in the manifest.")
@click.option("--license", "license_", required=True, help="Terms under which the clips may be used.")
@click.option("--consent", is_flag=True, help="The actor agrees that the clips show their face (required).")
@click.option(
    "--library", required=True, type=click.Path(file_okay=False, path_type=Path), help="Library to add the clips to."
)
@click.option("--no-window", is_flag=True, help="No window (tests; a file camera).")
@click.option("--size", type=click.IntRange(128, 1080), default=360, show_default=True, help="Frame side, pixels.")
@click.option("--fps", type=FiniteRange(5, 60), default=25.0, show_default=True, help="Frame rate of the clips.")
@_model_option
@handle_errors
def stimuli_record(kind, camera, actor, license_, consent, library, no_window, size, fps, model):
    """Film a volunteer or actor yawning (or smiling, or at rest) on cue and add the clips.

    A window shows the actor their camera image with the cues: get ready (5 s), then "yawn now"
    (10 s) and "rest" (8 s) three times; "smile now" (4 s) and "rest" (6 s) four times; or 30 s
    at rest for controls. The clips are then cut as 'mimicry stimuli cut' does, from the yawns
    (smiles) the actor actually made, and added with the actor's pseudonym, consent and the
    time of recording. Refuses without --consent. Esc or q stops; nothing is added then.

    \b
    Example:
        mimicry stimuli record --kind yawn --actor V03 --consent --license "lab use, consent form V03" \\
            --library study_clips
    """
    from ..stimuli.cut import CutConfig
    from ..stimuli.record import RecordConfig, record_stimuli

    cut = CutConfig(size_px=size, fps=fps)
    config = RecordConfig(kind, camera, actor, license_, consent, library, window=not no_window, cut=cut)
    for s in record_stimuli(config, model=model):
        click.echo(f"added {s.id} ({s.kind}, {s.duration_s:.1f} s, actor {s.actor})")


@stimuli.command("make")
@click.option(
    "--photo",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A photo (or video, first frame) of one face, neutral (or smiling, with --unsmile).",
)
@click.option("--kind", required=True, type=click.Choice(["smile", "yawn", "control"]))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Output .mp4.")
@click.option("--seconds", type=FiniteRange(5, 120), default=24.0, show_default=True)
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--fps", type=FiniteRange(5, 60), default=25.0, show_default=True)
@click.option("--size", type=click.IntRange(128, 1080), default=360, show_default=True, help="Frame side, pixels.")
@click.option(
    "--framing",
    type=FiniteRange(1.0, 4.0),
    default=1.9,
    show_default=True,
    help="Crop side in face extents (larger: more background).",
)
@click.option(
    "--unsmile",
    nargs=2,
    type=FiniteRange(-0.3, 0.0),
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
    landmarks (reproducible for a fixed seed); an opened mouth shows the inside of a real one
    (the library's sources/open_mouth.jpg)."""
    import cv2

    from ..errors import StimulusError
    from ..sensing.tracking import FaceLandmarker
    from ..stimuli.mouth import shipped_mouth_interior
    from ..stimuli.synth import Retouch, make_stimulus_clip
    from ..writers import check_output_path

    check_output_path(out, overwrite=force, inputs=(photo,))
    image = cv2.imread(str(photo))
    if image is None:
        cap = cv2.VideoCapture(str(photo))
        ok, image = cap.read()
        cap.release()
        if not ok:
            raise StimulusError(f"cannot read an image from {photo}")
    with FaceLandmarker("image") as lm:
        faces = lm.detect(image)
        interior = shipped_mouth_interior(lm)
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
        interior,
    )
    click.echo(f"wrote {out} ({kind}, {seconds:g} s, seed {seed}); add it with 'mimicry stimuli add --synthetic'")


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
