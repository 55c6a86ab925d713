"""Every file format mimicry writes, defined once: column names, types, units and meanings.

Readers and writers use these definitions; the README's schema tables are generated from them
(``python -m mimicry.schema``) and a test checks the README is up to date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The 52 blendshape names of MediaPipe Face Landmarker, in the model's output order.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
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

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def markdown(self) -> str:
        """The schema as a Markdown table (the README's tables are this text).

        Runs of blendshape or landmark columns are folded into one row.
        """
        lines = ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        names = self.names
        if set(BLENDSHAPE_NAMES) <= set(names):
            cols = [c for c in self.columns if c.name not in BLENDSHAPE_NAMES]
            tail = [f"| `_neutral` ... `noseSneerRight` | float64 | 0-1 | the {len(BLENDSHAPE_NAMES)} "
                    "MediaPipe blendshape scores, in the model's order, under their own names |"]
        elif "x0" in names:
            cols = [c for c in self.columns if not (c.name[0] in "xyz" and c.name[1:].isdigit())]
            tail = [f"| `x0, y0, z0` ... `x{N_LANDMARKS - 1}, y{N_LANDMARKS - 1}, z{N_LANDMARKS - 1}` | float64 | "
                    "image width / height | landmark i: x (0 left, 1 right), y (0 top, 1 bottom), "
                    "z (depth, image widths, smaller = closer) |"]
        else:
            cols, tail = list(self.columns), []
        for c in cols:
            lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {c.description} |")
        return "\n".join(lines + tail)


_SIGNALS = (
    Column("smile", "float64", "0-1", "smiling intensity (lip corners pulled up, see README: Signals); empty when not detected"),
    Column("yawn", "float64", "0-1", "yawn intensity: wide jaw opening sustained for >= 1 s (see README: Signals)"),
    Column("blink", "float64", "0-1", "eye closure, both eyes (see README: Signals)"),
    Column("mouth_open", "float64", "0-1", "jaw opening, MediaPipe `jawOpen` rescaled so 0.6 maps to 1"),
    Column("mouth_visible", "float64", "0-1", "1 = mouth in view; falls to 0 when a hand or object covers it (smile is scaled by it)"),
    Column("yaw_deg", "float64", "degrees", "head turn, positive towards the image's right (the person's left)"),
    Column("pitch_deg", "float64", "degrees", "head tilt, positive chin up"),
    Column("roll_deg", "float64", "degrees", "in-plane head roll, positive counter-clockwise as seen in the image"),
)

TRACK = CsvSchema(
    name="track",
    description="`mimicry track` output: one row per face per frame; one `detected=0` row per frame with no face.",
    columns=(
        Column("t_s", "float64", "s", "presentation time of the frame (file timestamp, or camera clock since start)"),
        Column("frame", "int64", "index", "0-based frame index in the video or camera stream"),
        Column("face", "Int64", "id", "stable face id (0, 1, ...); empty on a no-face row"),
        Column("detected", "int64", "0/1", "1 if this face was found in this frame"),
        *_SIGNALS,
        *(Column(n, "float64", "0-1", "MediaPipe blendshape score") for n in BLENDSHAPE_NAMES),
    ),
)

LANDMARKS = CsvSchema(
    name="landmarks",
    description="`mimicry track --landmarks`: one row per detected face per frame, 478 landmarks.",
    columns=(
        Column("t_s", "float64", "s", "as in the track CSV"),
        Column("frame", "int64", "index", "as in the track CSV"),
        Column("face", "Int64", "id", "as in the track CSV"),
        *(
            Column(f"{axis}{i}", "float64", unit, desc)
            for i in range(N_LANDMARKS)
            for axis, unit, desc in (
                ("x", "image width", "landmark x, 0 = left edge, 1 = right edge"),
                ("y", "image height", "landmark y, 0 = top edge, 1 = bottom edge"),
                ("z", "image width", "landmark depth relative to the head centre, smaller = closer"),
            )
        ),
    ),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Format one CSV cell; text that a spreadsheet would run as a formula is quoted with ``'``.

    Numbers are written with 6 significant digits; NaN and None as an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    text = str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


ALL_SCHEMAS = (TRACK, LANDMARKS)

if __name__ == "__main__":  # pragma: no cover
    for schema in ALL_SCHEMAS:
        print(f"{schema.description}\n\n{schema.markdown()}\n")
