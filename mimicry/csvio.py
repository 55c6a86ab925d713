"""RFC 4180 CSV encoding, shared by every CSV mimicry writes.

Records end in CRLF; a cell holding a comma, a double quote, a carriage return or a line feed is
put in double quotes, with its quotes doubled (the standard library's ``csv`` writer, "excel"
dialect). Cells are formatted by :func:`~mimicry.schema.safe_cell` first, so text that a
spreadsheet would run as a formula starts with ``'``.

A record may therefore span several physical lines. :func:`complete_end` finds where the last
complete record ends by tracking whether a line feed falls inside quotes, so a file cut off
mid-record (a killed process) is trimmed to whole records, never into the middle of a quoted cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from .schema.core import FLOAT_FORMAT, safe_cell

LINE_END = "\r\n"


class _LastLine:
    """A file-like object that keeps the last string written to it (one ``writerow``)."""

    text = ""

    def write(self, s: str) -> int:
        self.text = s
        return len(s)


class RowEncoder:
    """Encode rows as RFC 4180 records: ``encode(cells)`` returns one record with its CRLF."""

    def __init__(self) -> None:
        self._sink = _LastLine()
        self._writer = csv.writer(self._sink, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL)

    def encode(self, cells: Iterable[str]) -> str:
        """One record from cells that are already text (see :func:`~mimicry.schema.safe_cell`)."""
        self._writer.writerow(list(cells))
        return self._sink.text

    def encode_values(self, values: Iterable[object]) -> str:
        """One record from raw values, each formatted by :func:`~mimicry.schema.safe_cell`."""
        # finite floats, most cells of a track, formatted here without safe_cell's call (per-frame cost)
        return self.encode([format(v, FLOAT_FORMAT) if type(v) is float and v == v else safe_cell(v) for v in values])


def encode_row(values: Iterable[object]) -> str:
    """One RFC 4180 record (with its CRLF) of raw values formatted by :func:`safe_cell`."""
    return RowEncoder().encode_values(values)


def complete_end(data: bytes) -> int:
    """Byte offset just past the last complete record in ``data``: the last line feed that is
    not inside a quoted cell (0 if there is none). Quotes inside cells are doubled, so the parity
    of the quotes before a line feed tells whether it ends a record."""
    end = 0
    inside = False
    pos = 0
    n = len(data)
    while pos < n:
        q = data.find(b'"', pos)
        stop = n if q < 0 else q
        if not inside:
            nl = data.rfind(b"\n", pos, stop)
            if nl >= 0:
                end = nl + 1
        if q < 0:
            break
        inside = not inside
        pos = q + 1
    return end


def trim_to_complete(path: Path) -> int:
    """Cut a CSV file back to its last complete record (a process killed mid-write can leave half
    of one); returns the bytes removed."""
    data = Path(path).read_bytes()
    if not data or (data.endswith(b"\n") and data.count(b'"') % 2 == 0):
        return 0
    keep = complete_end(data)
    with open(path, "rb+") as f:
        f.truncate(keep)
    return len(data) - keep
