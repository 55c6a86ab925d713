"""CSV writers that write as they go and never leave a partial file that looks complete.

Rows go to ``<name>.partial`` and are flushed to the OS at least every ``flush_s`` seconds; only
:meth:`CsvWriter.close` with ``complete=True`` renames the file to its final name. A run that is
killed keeps its rows in the ``.partial`` file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable, Mapping

from .errors import OutputError
from .schema import CsvSchema, safe_cell


def check_output_path(path: str | Path, overwrite: bool = False) -> Path:
    """Validate an output file path before any work is done.

    Raises
    ------
    OutputError
        The path is a directory, exists (and ``overwrite`` is false), or its folder is missing
        or not writable.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"output path is a directory: {p}")
    if p.exists() and not overwrite:
        raise OutputError(f"output exists: {p} (use --force to overwrite)")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputError(f"output folder does not exist: {parent}")
    if not parent.is_dir():
        raise OutputError(f"output folder is not a folder: {parent}")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"output folder is not writable: {parent}")
    return p


class CsvWriter:
    """Write rows of one :class:`~mimicry.schema.CsvSchema` to ``path`` via ``path.partial``."""

    def __init__(self, path: str | Path, schema: CsvSchema, flush_s: float = 1.0, partial: bool = True):
        self.path = Path(path)
        # a session folder says in session.json whether it is complete, so its files are
        # written under their final names (partial=False)
        self.partial = self.path.with_name(self.path.name + ".partial") if partial else self.path
        self.schema = schema
        self.flush_s = flush_s
        self.rows = 0
        try:
            self._f = open(self.partial, "w", encoding="utf-8", newline="")
        except OSError as e:
            raise OutputError(f"cannot write {self.partial}: {e.strerror or e}") from None
        self._names = schema.names
        self._last_flush = time.monotonic()
        self._write_line(self._names)

    def _write_line(self, cells: Iterable[str]) -> None:
        try:
            self._f.write(",".join(cells) + "\n")
        except OSError as e:
            raise OutputError(f"cannot write {self.partial}: {e.strerror or e}") from None

    def write(self, row: Mapping[str, object]) -> None:
        """Write one row; missing columns are left empty."""
        self._write_line(safe_cell(row.get(n)) for n in self._names)
        self.rows += 1
        now = time.monotonic()
        if now - self._last_flush >= self.flush_s:
            self.flush()
            self._last_flush = now

    def flush(self) -> None:
        try:
            self._f.flush()
        except OSError as e:
            raise OutputError(f"cannot write {self.partial}: {e.strerror or e}") from None

    def close(self, complete: bool = True) -> Path:
        """Close; if ``complete``, move the file to its final name. Returns where the data is."""
        if self._f.closed:
            return self.path if complete else self.partial
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        if complete and self.partial != self.path:
            os.replace(self.partial, self.path)
            return self.path
        return self.partial if not complete else self.path
