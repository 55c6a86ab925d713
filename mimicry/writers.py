"""CSV writers that write as they go and never leave a partial file that looks complete.

Files are RFC 4180 CSV (:mod:`mimicry.csvio`). Rows go to ``<name>.partial`` and are flushed to the OS at least every ``flush_s`` seconds; only
:meth:`CsvWriter.close` with ``complete=True`` renames the file to its final name. A run that is
killed keeps its rows in the ``.partial`` file.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from .csvio import RowEncoder
from .errors import OutputError
from .schema import CsvSchema


def check_output_path(path: str | Path, overwrite: bool = False, inputs: tuple[str | Path, ...] = ()) -> Path:
    """Validate an output file path before any work is done.

    ``overwrite`` (``--force``) replaces a regular file only: never one of ``inputs`` (the
    files the command reads), a device, a FIFO or a socket.

    Raises
    ------
    OutputError
        The path is a directory, one of ``inputs``, not a regular file, exists (and
        ``overwrite`` is false), or its folder is missing or not writable.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"output path is a directory: {p}")
    for given in inputs:
        if _same_file(p, Path(given)):
            raise OutputError(f"output {p} is the input {given}: choose another --out")
    if p.exists() and not p.is_file():
        raise OutputError(f"output path is not a regular file (a device, FIFO or socket): {p}")
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


def file_starts_with(path: Path, mark: str) -> bool:
    """True if the text file ``path`` begins with ``mark`` (e.g. the header of a file mimicry wrote)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(len(mark)) == mark
    except OSError:
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


class CsvWriter:
    """Write rows of one :class:`~mimicry.schema.CsvSchema` to ``path`` via ``path.partial``.

    Rows are buffered in memory and written with ``os.write`` at each flush, whole records only.
    If a write fails (disk full, file too large, folder gone), the file is cut back to the last
    complete record it held, so what is on disk always parses; the error is raised as
    :class:`~mimicry.errors.OutputError` and later rows are refused.
    """

    def __init__(self, path: str | Path, schema: CsvSchema, flush_s: float = 1.0, partial: bool = True):
        self.path = Path(path)
        # a session folder says in session.json whether it is complete, so its files are
        # written under their final names (partial=False)
        self.partial = self.path.with_name(self.path.name + ".partial") if partial else self.path
        self.schema = schema
        self.flush_s = flush_s
        self.rows = 0
        try:
            self._fd: int | None = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as e:
            raise OutputError(f"cannot write {self.partial}: {e.strerror or e}") from None
        self._names = schema.names
        self._pending: list[str] = []
        self._durable = 0  # bytes on disk, all whole lines
        self._error: OutputError | None = None
        self._lock = threading.Lock()  # rows come from one thread, timed flushes from another
        self._last_flush = time.monotonic()
        self._encoder = RowEncoder()
        self._pending.append(self._encoder.encode(self._names))
        self.flush()

    def write(self, row: Mapping[str, object]) -> None:
        """Write one row; missing columns are left empty."""
        with self._lock:
            line = self._encoder.encode_values(row.get(n) for n in self._names)
            if self._error is not None:
                raise self._error
            self._pending.append(line)
            self.rows += 1
        if time.monotonic() - self._last_flush >= self.flush_s:
            self.flush()

    def _flush_locked(self) -> None:
        if self._error is not None:
            raise self._error
        if self._fd is None or not self._pending:
            self._last_flush = time.monotonic()
            return
        data = "".join(self._pending).encode("utf-8")
        self._pending.clear()
        view = memoryview(data)
        try:
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as e:
            try:  # cut the half-written record off again
                os.ftruncate(self._fd, self._durable)
                os.lseek(self._fd, self._durable, os.SEEK_SET)
            except OSError:
                pass
            self._error = OutputError(
                f"cannot write {self.partial}: {e.strerror or e}; the {self._durable} bytes written before are intact"
            )
            raise self._error from None
        self._durable += len(data)
        self._last_flush = time.monotonic()

    def flush(self) -> None:
        """Hand what was written to the OS (it survives the process being killed)."""
        with self._lock:
            self._flush_locked()

    def flush_if_due(self) -> None:
        """Flush if the last flush is ``flush_s`` old: called on a timer, so rows written just
        before a stall (a camera that stops delivering) are not left in the buffer."""
        if time.monotonic() - self._last_flush >= self.flush_s:
            self.flush()

    def close(self, complete: bool = True) -> Path:
        """Flush and close; if ``complete``, move the file to its final name. Returns where the
        data is. After a write error, the file keeps its whole records and is not renamed."""
        with self._lock:
            if self._fd is not None:
                try:
                    if self._error is None:
                        self._flush_locked()
                        os.fsync(self._fd)
                except (OSError, OutputError):
                    pass  # a write error is kept in self._error; fsync may be unsupported
                finally:
                    os.close(self._fd)
                    self._fd = None
        if self._error is not None:
            return self.partial
        if complete and self.partial != self.path:
            os.replace(self.partial, self.path)
            return self.path
        return self.partial if not complete else self.path

    @property
    def failed(self) -> OutputError | None:
        """The write error that stopped this writer, if any."""
        return self._error
