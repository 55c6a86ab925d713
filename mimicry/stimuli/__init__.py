"""Stimuli: the clip library (:mod:`.library`), protocols (:mod:`.protocol`) and synthetic faces
(:mod:`.synth`)."""

from .adding import add_stimulus
from .library import KINDS, Library, Stimulus, default_library, load_library

__all__ = ["KINDS", "Library", "Stimulus", "add_stimulus", "default_library", "load_library"]
