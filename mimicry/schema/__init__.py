"""Every file format mimicry writes, defined once: column names, types, units and meanings.

Readers and writers use these definitions; the docs' file-format tables are generated from them
when the docs are built (``docs/hooks.py``; ``python -m mimicry.schema`` prints them).
"""

from .core import BLENDSHAPE_NAMES, N_LANDMARKS, Column, CsvSchema, safe_cell
from .recordings import (
    EVENTS_LOG,
    FRAMES,
    LANDMARKS,
    SESSION_FRAMES,
    SESSION_JSON_REQUIRED,
    STIMULUS_LOG,
    TRACK,
)
from .results import (
    BATCH_FAILURES,
    BATCH_SUMMARY,
    CALIBRATION,
    CONTAGION,
    DEMO_RESULTS,
    EVENTS,
    GROUP_TESTS,
    SCORES,
    STIMULUS_EVENTS,
    SUMMARY,
    TRIALS,
    VERDICTS,
    XCORR,
)

ALL_SCHEMAS = (
    TRACK,
    LANDMARKS,
    FRAMES,
    STIMULUS_LOG,
    STIMULUS_EVENTS,
    SESSION_FRAMES,
    EVENTS_LOG,
    SCORES,
    EVENTS,
    CONTAGION,
    VERDICTS,
    TRIALS,
    CALIBRATION,
    XCORR,
    SUMMARY,
    GROUP_TESTS,
    BATCH_SUMMARY,
    BATCH_FAILURES,
    DEMO_RESULTS,
)

__all__ = [
    "ANALYSIS_OUTPUTS",
    "ALL_SCHEMAS",
    "BLENDSHAPE_NAMES",
    "N_LANDMARKS",
    "Column",
    "CsvSchema",
    "safe_cell",
    "SESSION_JSON_REQUIRED",
    "TRACK",
    "LANDMARKS",
    "FRAMES",
    "STIMULUS_LOG",
    "STIMULUS_EVENTS",
    "SESSION_FRAMES",
    "EVENTS_LOG",
    "SCORES",
    "EVENTS",
    "CONTAGION",
    "VERDICTS",
    "TRIALS",
    "CALIBRATION",
    "XCORR",
    "SUMMARY",
    "GROUP_TESTS",
    "BATCH_SUMMARY",
    "BATCH_FAILURES",
    "DEMO_RESULTS",
]

ANALYSIS_OUTPUTS = {
    "verdicts.csv": VERDICTS,
    "trials.csv": TRIALS,
    "scores.csv": SCORES,
    "events.csv": EVENTS,
    "contagion.csv": CONTAGION,
    "xcorr.csv": XCORR,
}
"""The files ``mimicry analyze`` writes into a session folder, by name, with their schemas."""
