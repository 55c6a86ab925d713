"""Command line: a thin layer over the library. Each command parses options, calls one library
function and prints; a :class:`~mimicry.errors.MimicryError` becomes one ``Error: ...`` line and
exit status 1. The group and the shared options are in :mod:`.base`; the commands register on it
from the modules imported here."""

from . import batch, interop, record, recording, sessions, stimuli  # noqa: F401 (they register the commands)
from .base import main

__all__ = ["main"]
