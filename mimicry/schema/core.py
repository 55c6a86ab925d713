"""The building blocks of every file format: a column, a CSV schema, one safe cell."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: The 52 blendshape names of MediaPipe Face Landmarker, in the model's output order.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "eyeLookDownLeft",
    "eyeLookDownRight",
    "eyeLookInLeft",
    "eyeLookInRight",
    "eyeLookOutLeft",
    "eyeLookOutRight",
    "eyeLookUpLeft",
    "eyeLookUpRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "eyeWideLeft",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawOpen",
    "jawRight",
    "mouthClose",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthFunnel",
    "mouthLeft",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthPucker",
    "mouthRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "noseSneerLeft",
    "noseSneerRight",
)
N_LANDMARKS = 478


@dataclass(frozen=True)
class Column:
    """One CSV column: name, pandas dtype, unit and meaning."""

    name: str
    dtype: str
    unit: str
    description: str


@dataclass(frozen=True)
class CsvSchema:
    """A CSV file format: its columns in order."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError if there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    def markdown(self) -> str:
        """The schema as a Markdown table (the docs' tables are this text).

        Runs of blendshape or landmark columns are folded into one row.
        """
        lines = ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        names = self.names
        if set(BLENDSHAPE_NAMES) <= set(names):
            cols = [c for c in self.columns if c.name not in BLENDSHAPE_NAMES]
            tail = [
                f"| `_neutral` ... `noseSneerRight` | float64 | 0-1 | the {len(BLENDSHAPE_NAMES)} "
                "MediaPipe blendshape scores, in the model's order, under their own names |"
            ]
        elif "x0" in names:
            cols = [c for c in self.columns if not (c.name[0] in "xyz" and c.name[1:].isdigit())]
            tail = [
                f"| `x0, y0, z0` ... `x{N_LANDMARKS - 1}, y{N_LANDMARKS - 1}, z{N_LANDMARKS - 1}` | float64 | "
                "image width / height | landmark i: x (0 left, 1 right), y (0 top, 1 bottom), "
                "z (depth, image widths, smaller = closer) |"
            ]
        else:
            cols, tail = list(self.columns), []
        for c in cols:
            lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {c.description} |")
        return "\n".join(lines + tail)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: How every float cell is written: 6 significant digits.
FLOAT_FORMAT = ".6g"
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_cell(value: object) -> str:
    """Format one CSV cell; text that a spreadsheet would run as a formula is quoted with ``'``.

    Numbers are written with 6 significant digits; NaN and None as an empty cell. A lone
    surrogate (a file name that is not valid UTF-8, as Python decodes it) becomes U+FFFD, so
    every file is valid UTF-8.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else format(value, FLOAT_FORMAT)
    text = str(value)
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text
