"""Stimuli: the clip library (:mod:`.library`), protocols (:mod:`.protocol`) and synthetic faces
(:mod:`.synth`)."""

from .library import KINDS, Library, Stimulus, add_stimulus, default_library, load_library

__all__ = ["KINDS", "Library", "Stimulus", "add_stimulus", "default_library", "load_library"]
