"""The ground floor's file input and output: tables (:mod:`.tables`: CSV as DataFrames) and
text and JSON files (:mod:`.files`), every write atomic. Row-by-row streaming CSV writers are in
:mod:`mimicry.writers`, the RFC 4180 encoding in :mod:`mimicry.csvio`, the formats in
:mod:`mimicry.schema`."""

from .files import json_default, write_json_atomic, write_text_atomic
from .tables import read_csv_checked, read_table, write_csv_atomic, write_csv_temporary, write_outputs

__all__ = [
    "json_default",
    "read_csv_checked",
    "read_table",
    "write_csv_atomic",
    "write_csv_temporary",
    "write_json_atomic",
    "write_outputs",
    "write_text_atomic",
]
