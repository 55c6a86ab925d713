"""Tables on disk as DataFrames: read the CSVs mimicry wrote (only empty cells missing, columns
checked against their :mod:`~mimicry.schema`) and write them atomically (RFC 4180, through a
temporary file and a rename), one file or a set of files all or nothing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..csvio import RowEncoder
from ..errors import SessionError
from ..schema import CsvSchema

_NUMERIC = {"float64", "int64", "Int64"}


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV we wrote: only empty cells are missing (a participant or stimulus called ``NA`` or
    ``null`` stays text)."""
    return pd.read_csv(path, low_memory=False, keep_default_na=False, na_values=[""])


def read_csv_checked(path: Path, schema: CsvSchema) -> pd.DataFrame:
    """A CSV of ``schema``: every column present, numbers where numbers belong (one clear error otherwise)."""
    if not path.is_file():
        raise SessionError(f"{path.parent}: no {path.name}")
    try:
        df = read_table(path)
    except pd.errors.EmptyDataError:
        raise SessionError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SessionError(f"{path}: not a readable CSV ({first})") from None
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise SessionError(f"{path}: missing column(s) {', '.join(missing)}")
    for col in schema.columns:
        if col.dtype in _NUMERIC:
            values = pd.to_numeric(df[col.name], errors="coerce")
            bad = values.isna() & df[col.name].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise SessionError(
                    f"{path}: column {col.name} must be numeric, row {row + 2} has {df[col.name].iloc[row]!r}"
                )
            df[col.name] = values
    return df


def write_csv_atomic(df: pd.DataFrame, path: Path, schema: CsvSchema | None = None) -> Path:
    """Write ``df`` as RFC 4180 CSV to ``path`` (cells guarded by :func:`~mimicry.schema.safe_cell`)
    through a temporary file and a rename: a reader sees the old file or the whole new one.

    Raises
    ------
    OSError
        The file cannot be written (the temporary file is removed, ``path`` untouched).
    """
    tmp = write_csv_temporary(df, path, schema)
    try:
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_csv_temporary(df: pd.DataFrame, path: Path, schema: CsvSchema | None = None) -> Path:
    """Write ``df`` as CSV to ``path.tmp``, flushed to disk, and return that path (for a set of
    files renamed together: :func:`write_outputs`); removed again if writing fails."""
    names = schema.names if schema is not None else list(df.columns)
    tmp = path.with_name(path.name + ".tmp")
    enc = RowEncoder()
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(enc.encode(names))
            for row in df.reindex(columns=names).itertuples(index=False):
                f.write(enc.encode_values(None if _isna(v) else _plain(v) for v in row))
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _isna(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def write_outputs(folder: Path, tables: dict[str, tuple[pd.DataFrame, CsvSchema]]) -> list[Path]:
    """Write several CSVs into ``folder`` all or nothing: every file goes to a temporary name
    first, and only when all are written are they renamed into place."""
    tmps = []
    try:
        for name, (df, schema) in tables.items():
            tmps.append((write_csv_temporary(df, folder / name, schema), folder / name))
    except OSError as e:
        for tmp, _ in tmps:
            tmp.unlink(missing_ok=True)
        raise SessionError(f"cannot write into {folder}: {e.strerror or e}") from None
    for tmp, final in tmps:
        os.replace(tmp, final)
    return [final for _, final in tmps]
