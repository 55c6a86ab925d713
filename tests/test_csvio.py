"""Every CSV writer emits RFC 4180: any text reads back, through ``csv`` and pandas, with the header's
columns and the same text (formula starts guarded with ``'``)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mimicry.csvio import complete_end, encode_row, trim_to_complete
from mimicry.io import read_table, write_outputs
from mimicry.schema import EVENTS_LOG, Column, CsvSchema, safe_cell
from mimicry.session.folder import repair_session
from mimicry.writers import CsvWriter

TEXT = CsvSchema("t", "three text columns", tuple(Column(n, "str", "", "") for n in ("a", "b", "c")))
# any text, with the characters that break naive CSV much more often than chance would give them
NASTY = st.text(alphabet=st.one_of(st.sampled_from(list(",\"\r\n\t=+-@' ;")), st.characters()), max_size=12)
ROWS = st.lists(st.tuples(NASTY, NASTY, NASTY), min_size=1, max_size=6)


def expected(rows) -> list[list[str]]:
    return [[safe_cell(v) for v in row] for row in rows]


def read_back(path) -> tuple[list[list[str]], pd.DataFrame]:
    with open(path, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return records, df


def check(path, rows) -> None:
    records, df = read_back(path)
    want = expected(rows)
    assert records[0] == TEXT.names and records[1:] == want
    assert list(df.columns) == TEXT.names and df.values.tolist() == want
    assert path.read_bytes().endswith(b"\r\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_streaming_writer_round_trips_any_text(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("w") / "x.csv"
    w = CsvWriter(path, TEXT, partial=False)
    for row in rows:
        w.write(dict(zip(TEXT.names, row)))
    w.close()
    check(path, rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_table_writer_round_trips_any_text(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("t")
    write_outputs(folder, {"x.csv": (pd.DataFrame(rows, columns=TEXT.names), TEXT)})
    check(folder / "x.csv", rows)
    assert read_table(folder / "x.csv").shape == (len(rows), 3)


@settings(max_examples=200, deadline=None)
@given(rows=ROWS, cut=st.integers(min_value=0, max_value=400))
def test_a_file_cut_anywhere_is_trimmed_to_exactly_its_whole_records(rows, cut):
    records = [encode_row(TEXT.names)] + [encode_row(r) for r in rows]
    bounds = [len("".join(records[: i + 1]).encode()) for i in range(len(records))]
    data = "".join(records).encode()
    part = data[: min(cut, len(data))]
    n_whole = sum(b <= len(part) for b in bounds)
    end = complete_end(part)
    assert end == (bounds[n_whole - 1] if n_whole else 0)
    kept = list(csv.reader(io.StringIO(part[:end].decode("utf-8"), newline="")))
    assert kept == ([TEXT.names] + expected(rows))[:n_whole]


def test_trim_keeps_a_quoted_newline_and_cuts_an_open_quote(tmp_path):
    p = tmp_path / "x.csv"
    whole = encode_row(["t_s", "detail"]) + encode_row([1.0, "two\nlines"])
    p.write_bytes((whole + '2.0,"half\nof a').encode())
    assert trim_to_complete(p) == len('2.0,"half\nof a')
    assert p.read_bytes().decode() == whole
    assert trim_to_complete(p) == 0


def test_repaired_session_appends_a_parseable_record(tmp_path):
    """A killed session whose last event detail holds a comma, quotes and a newline."""
    import json

    folder = tmp_path / "s"
    folder.mkdir()
    w = CsvWriter(folder / "events_log.csv", EVENTS_LOG, partial=False)
    w.write({"t_s": 0.5, "event": "block_start", "block": 0, "detail": 'Smile, "pilot"\n=1+1'})
    w.close()
    with open(folder / "events_log.csv", "ab") as f:
        f.write(b'0.7,key,,"half')  # killed mid-record
    (folder / "session.json").write_text(
        json.dumps(
            {
                "session_id": "s",
                "participant": "P",
                "status": "running",
                "camera_fps": 30,
                "start_time": "2026-01-01T00:00:00",
            }
        )
    )
    repair_session(folder)
    df = read_table(folder / "events_log.csv")
    assert list(df.columns) == EVENTS_LOG.names
    assert df.event.tolist() == ["block_start", "session_end"]
    assert df.detail.tolist() == ['Smile, "pilot"\n=1+1', "crashed (repaired)"]


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-x", "@SUM(1)", "\tx", "\rx"])
def test_formula_starts_stay_guarded(tmp_path, text):
    w = CsvWriter(tmp_path / "x.csv", TEXT, partial=False)
    w.write({"a": text})
    w.close()
    records, _ = read_back(tmp_path / "x.csv")
    assert records[1][0] == "'" + text
