"""The command line's shared parts: the ``main`` group (one ``Error: ...`` line and exit status 1
for a :class:`~mimicry.errors.MimicryError`), the options several commands take, and the
signal handling; the commands, in the modules beside this one, register on ``main``."""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import MimicryError
from ..version import __version__


def _quiet_native_logs() -> None:
    # MediaPipe/TFLite write INFO/WARNING lines to stderr from C++; keep the terminal readable.
    from ..sensing import tracking

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
                f" (see '{e.ctx.command_path} --help')"
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


class FiniteRange(click.FloatRange):
    """A :class:`click.FloatRange` that also refuses ``nan`` and ``inf`` (which pass every bound)."""

    name = "finite float range"

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


SEED = click.IntRange(0, 2**32 - 1)
"""A surrogate or shuffle seed: NumPy takes 0 to 2**32 - 1."""
SURROGATES = click.IntRange(19, 100_000)
"""Surrogates of a test: at least 19 (else p can never reach 0.05), at most 100,000 (memory)."""


MAX_FACES = click.IntRange(1, 30)
"""Faces tracked at once: 1-8 with MediaPipe's detector on the whole frame; 9-30 with the
classroom tracker, which also finds faces down to about 32 px wide (mimicry.sensing.crowd)."""
MAX_FACES_HELP = "Faces tracked at once, 1-30; 9 or more: the classroom tracker (finds faces down to ~32 px wide)."


def max_faces_option(default: int = 1, more_help: str = ""):
    """``--max-faces`` (:data:`MAX_FACES`), with the command's default and any word on it."""
    help_text = f"{MAX_FACES_HELP} {more_help}".strip()
    return click.option("--max-faces", type=MAX_FACES, default=default, show_default=True, help=help_text)


@contextmanager
def on_stop_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """While the block runs, Ctrl-C (SIGINT) and SIGTERM call ``handler(signum)`` instead of
    ending the process (a session then closes its files itself); the old handlers come back after."""
    old = {s: signal.signal(s, lambda signum, _frame: handler(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _camera_option(f):
    return click.option(
        "--camera",
        default="0",
        show_default=True,
        help="Webcam index, a video file replayed as a camera in real time, or 'sample' (a bundled viewer).",
    )(f)


def _camera_size_option(default: str):
    def add(f):
        return click.option(
            "--camera-size",
            default=default,
            show_default=True,
            help="Frame size asked of a webcam, WIDTHxHEIGHT, or 'driver' (its default). Bigger sees smaller "
            "faces: a face is about 137/d px wide at d metres in a 1280-px-wide frame.",
        )(f)

    return add


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


def _session_options(f):
    """``--participant``, ``--out`` and ``--surrogates`` of every command that makes a session."""
    f = click.option(
        "--surrogates",
        type=SURROGATES,
        default=1000,
        show_default=True,
        help="Surrogates of the analysis run at the end.",
    )(f)
    f = click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=Path("sessions"),
        show_default=True,
        help="Folder for session folders.",
    )(f)
    return click.option(
        "--participant", default=None, help="Pseudonymous id (letters, digits, - and _) [default: random]."
    )(f)


def _lsl_options(f):
    f = click.option("--lsl-blendshapes", is_flag=True, help="With --lsl: also stream the 52 MediaPipe blendshapes.")(f)
    return click.option(
        "--lsl",
        is_flag=True,
        help="Stream the signals (type FaceSignals) and events (type Markers) over Lab Streaming Layer, "
        "stamped with capture time on LSL's clock (needs pip install 'mimicry[lsl]').",
    )(f)


def lsl_config(lsl: bool, blendshapes: bool):
    """The :class:`~mimicry.interop.lsl.LslConfig` of ``--lsl`` (None without it)."""
    if blendshapes and not lsl:
        raise click.UsageError("--lsl-blendshapes needs --lsl")
    if not lsl:
        return None
    from ..interop.lsl import LslConfig, load_pylsl

    load_pylsl()  # a missing pylsl is one line before anything opens
    return LslConfig(blendshapes=blendshapes)
