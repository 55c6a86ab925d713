"""Text and JSON files written atomically (through a temporary file and a rename), JSON with
NumPy numbers as numbers and NaN as null."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import OutputError


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` via a temporary file and a rename: a reader sees the old or the new file,
    never half of one.

    Raises
    ------
    OutputError
        The file cannot be written (the temporary file is removed).
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def write_json_atomic(path: Path, data: dict) -> Path:
    """:func:`write_text_atomic` of ``data`` as JSON (NumPy numbers as numbers, NaN as null)."""
    return write_text_atomic(path, json.dumps(_nan_to_none(data), indent=2, default=json_default, allow_nan=False))


def _nan_to_none(value):
    """``value`` with every float NaN (Python's or NumPy's, which json would write as the invalid
    ``NaN``) as None, in nested dicts and lists."""
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def json_default(o):
    """``json.dumps`` hook: NumPy integers and floats as numbers, NaN and ``pd.NA`` as null."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if np.isnan(o) else float(o)
    if o is pd.NA:
        return None
    raise TypeError(type(o).__name__)
