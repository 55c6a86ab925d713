"""`mimicry batch`: many recordings, locally or on a Dask cluster."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import MimicryError
from .base import SURROGATES, _model_option, handle_errors, main, max_faces_option


@main.command()
@click.argument("input_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=None,
    help="Local worker processes, 1-256 [default: number of cores].",
)
@click.option(
    "--scheduler",
    default=None,
    help="Address of a Dask distributed scheduler (tcp://HOST:8786) to run on instead of locally.",
)
@click.option("--pattern", default=None, help="Glob of the videos, relative to INPUT_DIR [default: every video file].")
@click.option("--resume", is_flag=True, help="Skip inputs whose output is complete and unchanged.")
@max_faces_option()
@click.option(
    "--surrogates",
    type=SURROGATES,
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

    from ..batch import BatchConfig, find_inputs, run_batch

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
