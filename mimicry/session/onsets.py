"""Stimulus onsets logged by another program (PsychoPy, jsPsych, E-Prime, Presentation, a BIDS
``events.tsv``), read into one table and placed on a session's clock.

Pure functions over DataFrames: :func:`read_events` reads the file, :func:`resolve_stimuli`
names each row's clip in the library, :func:`place_blocks` puts the clips on the video's clock
(and refuses events outside the video or on top of each other), :func:`stimulus_log_rows` and
:func:`events_log_rows` give the session's ``stimulus_log.csv`` and ``events_log.csv`` as a
session mimicry staged itself would have them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SessionError
from ..stimuli.library import Library, Stimulus

STIMULUS_COLUMNS = ("stim_file", "stimulus_id", "stimulus", "trial_type")
"""Where the clip's name is looked for, in this order, unless a column is named."""
MISSING = frozenset({"", "n/a", "na", "nan", "none", "null"})
"""Cells that mean "nothing here" (BIDS writes ``n/a``; PsychoPy leaves cells empty)."""
_SHA256 = re.compile(r"\A[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class EventColumns:
    """Which columns of an events file hold what (PsychoPy names its own: ``movie.started``, ...)."""

    onset: str = "onset"
    """Onset, seconds on the events' clock."""
    stimulus: str | None = None
    """The clip: file name, library id or sha256; ``None``: the first of :data:`STIMULUS_COLUMNS` present."""
    duration: str | None = None
    """How long the clip was on screen; ``None``: ``duration`` if present, else the whole clip."""
    unit_s: float = 1.0
    """Seconds per unit of the onset and duration columns: 1 for BIDS and PsychoPy, 0.001 for
    jsPsych's ``time_elapsed`` and E-Prime's ``OnsetTime`` (milliseconds)."""


def read_events(path: str | Path, columns: EventColumns = EventColumns()) -> pd.DataFrame:
    """An events file as ``line`` (its line number), ``onset_s``, ``duration_s`` (NaN where not
    given), ``stimulus`` ("" where the row names none: a fixation, a response) and ``label`` (its
    ``trial_type`` when that is not the stimulus column, else ""), sorted by onset.
    Rows without an onset (PsychoPy's rows of other routines) are left out.

    Raises
    ------
    SessionError
        A missing or unreadable file, a named column that is not there, an onset or duration that
        is not a number.
    """
    path = Path(path)
    table = _read_text_table(path)
    stim_col = columns.stimulus or next((c for c in STIMULUS_COLUMNS if c in table.columns), None)
    dur_col = columns.duration or ("duration" if "duration" in table.columns else None)
    for role, col in (("onset", columns.onset), ("stimulus", stim_col), ("duration", dur_col)):
        if col is None and role == "stimulus":
            raise SessionError(f"{path}: no column names the stimulus (one of {', '.join(STIMULUS_COLUMNS)})")
        if col is not None and col not in table.columns:
            raise SessionError(f"{path}: no {role} column {col!r} (columns: {', '.join(map(str, table.columns))})")
    out = pd.DataFrame({"line": np.arange(len(table)) + 2})
    out["onset_s"] = _numbers(table[columns.onset], path, columns.onset) * columns.unit_s
    out["duration_s"] = _numbers(table[dur_col], path, dur_col) * columns.unit_s if dur_col else np.nan
    out["stimulus"] = _text(table[stim_col])
    label = "trial_type" if "trial_type" in table.columns and stim_col != "trial_type" else None
    out["label"] = _text(table[label]) if label else ""
    return out[out["onset_s"].notna()].sort_values(["onset_s", "line"], kind="stable").reset_index(drop=True)


def _text(cells: pd.Series) -> list[str]:
    return ["" if str(v).strip().lower() in MISSING else str(v).strip() for v in cells]


def _read_text_table(path: Path) -> pd.DataFrame:
    """A tab-separated (BIDS ``.tsv``, E-Prime's E-DataAid text) or comma-separated table as
    text, every cell kept as written: tabs if the header line has one."""
    if not path.is_file():
        raise SessionError(f"no events file {path}")
    with open(path, "rb") as f:
        start = f.read(2)
    # E-DataAid exports UTF-16 ("Unicode") by default; everything else here writes UTF-8
    encoding = "utf-16" if start in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        with open(path, encoding=encoding) as f:
            header = f.readline()
        sep = "\t" if "\t" in header else ","
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SessionError(f"{path}: not a readable events table ({first})") from None


def _numbers(cells: pd.Series, path: Path, column: str) -> np.ndarray:
    """``cells`` as floats (NaN where missing); one error naming the first cell that is not a number."""
    text = cells.astype(str).str.strip()
    missing = text.str.lower().isin(MISSING)
    values = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = values.isna() & ~missing | ~np.isfinite(values.fillna(0.0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SessionError(f"{path}: line {i + 2}: {column} {cells.iloc[i]!r} is not a number")
    return values.to_numpy(float)


def stimulus_key(name: str) -> str:
    """An events log's name of a clip as a plain name or path (``/`` separated): jsPsych's
    video plugins log a JSON list of one file, ``["video/clip.mp4"]``."""
    key = name.strip()
    if key.startswith("["):
        try:
            items = json.loads(key)
        except ValueError:
            items = None
        if isinstance(items, list) and len(items) == 1 and isinstance(items[0], str):
            key = items[0].strip()
    return key.replace("\\", "/")


def find_stimulus(name: str, library: Library) -> Stimulus | None:
    """The library's clip called ``name``: its id, its file name (any folder before it), its
    file name without the extension, or its sha256; also a JSON list of one of these (jsPsych's
    video plugins log ``["video/clip.mp4"]``)."""
    key = stimulus_key(name)
    base = Path(key).name
    for s in library.stimuli:
        if key == s.id or base == Path(s.file).name or base == Path(s.file).stem or key.lower() == s.sha256:
            return s
    return None


def resolve_stimuli(events: pd.DataFrame, library: Library, source: str | Path) -> dict[str, Stimulus]:
    """Each named stimulus of ``events`` -> its library clip.

    Raises
    ------
    SessionError
        A name the library does not have (by id, file name or sha256).
    """
    found: dict[str, Stimulus] = {}
    for row in events[events["stimulus"] != ""].itertuples():
        s = find_stimulus(row.stimulus, library)
        if s is None:
            how = "sha256" if _SHA256.match(row.stimulus.lower()) else "id or file name"
            raise SessionError(
                f"{source}: line {row.line}: stimulus {row.stimulus!r} is not in the library {library.root} "
                f"(no clip with that {how}; mimicry stimuli list shows them)"
            )
        found[row.stimulus] = s
    return found


@dataclass(frozen=True)
class PlacedBlock:
    """One clip shown, on the session's clock."""

    index: int
    stimulus: Stimulus
    onset_s: float
    """When its first frame was on screen, s (session clock: the video's)."""
    shown_s: float
    """How long it was on screen, s (the event's duration, at most the clip's)."""
    line: int
    """The events file's line."""

    @property
    def end_s(self) -> float:
        return self.onset_s + self.shown_s

    def meta(self) -> dict:
        """Its entry in ``session.json``'s ``blocks``."""
        s = self.stimulus
        return {
            "block": self.index,
            "stimulus_id": s.id,
            "kind": s.kind,
            "duration_s": round(self.shown_s, 6),
            "onset_s": round(self.onset_s, 6),
            "synthetic": s.synthetic,
        }


def place_blocks(
    events: pd.DataFrame,
    stimuli: dict[str, Stimulus],
    *,
    offset_s: float,
    video_s: float,
    source: str | Path,
) -> list[PlacedBlock]:
    """The events naming a clip as blocks on the video's clock (``onset + offset_s``).

    Raises
    ------
    SessionError
        A clip that starts before the video or ends after it (one frame's slack), or that
        starts before the previous one ended.
    """
    blocks: list[PlacedBlock] = []
    for row in events[events["stimulus"] != ""].itertuples():
        s = stimuli[row.stimulus]
        shown = s.duration_s if np.isnan(row.duration_s) else min(float(row.duration_s), s.duration_s)
        if shown <= 0:
            raise SessionError(f"{source}: line {row.line}: {s.id} has duration {row.duration_s:g} s")
        b = PlacedBlock(len(blocks), s, float(row.onset_s) + offset_s, shown, int(row.line))
        slack = 1.0 / s.fps
        if b.onset_s < -slack or b.end_s > video_s + slack:
            raise SessionError(
                f"{source}: line {b.line}: {s.id} from {b.onset_s:.2f} to {b.end_s:.2f} s on the video's clock is "
                f"outside the video (0-{video_s:.2f} s): a wrong --offset-s, or another participant's events?"
            )
        if blocks and b.onset_s < blocks[-1].end_s - slack:
            a = blocks[-1]
            raise SessionError(
                f"{source}: lines {a.line} and {b.line}: {a.stimulus.id} ({a.onset_s:.2f}-{a.end_s:.2f} s) and "
                f"{s.id} (from {b.onset_s:.2f} s) overlap: one clip is shown at a time"
            )
        blocks.append(b)
    if not blocks:
        raise SessionError(f"{source}: no event names a stimulus")
    return blocks


def stimulus_log_rows(blocks: list[PlacedBlock], actor: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``stimulus_log.csv``: one row per clip frame on screen, with the actor's smile and yawn
    at that frame (``actor[id]``: the clip's track indexed by frame, columns ``smile``, ``yawn``)."""
    parts = []
    for b in blocks:
        fps = b.stimulus.fps
        k = np.arange(max(int(round(b.shown_s * fps)), 1))
        signals = actor[b.stimulus.id].reindex(k)
        parts.append(
            pd.DataFrame(
                {
                    "t_s": b.onset_s + k / fps,
                    "block": b.index,
                    "stimulus_id": b.stimulus.id,
                    "kind": b.stimulus.kind,
                    "stimulus_frame": k,
                    "stimulus_t_s": k / fps,
                    "smile": signals["smile"].to_numpy(float),
                    "yawn": signals["yawn"].to_numpy(float),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def events_log_rows(
    blocks: list[PlacedBlock],
    onsets: dict[str, list[tuple[float, str]]],
    others: pd.DataFrame,
    *,
    offset_s: float,
    end_s: float,
) -> pd.DataFrame:
    """``events_log.csv``: the session's start and end, each block's start and end, the actor's
    smile and yawn onsets on screen (``onsets[id]``: clip seconds and kind), and every other row of
    the events file (``others``: no stimulus named) as a ``marker``, never dropped."""
    rows = [(0.0, "session_start", None, "imported")]
    for b in blocks:
        rows.append((b.onset_s, "block_start", b.index, b.stimulus.id))
        rows += [
            (b.onset_s + t, f"stimulus_{kind}", b.index, b.stimulus.id)
            for t, kind in onsets.get(b.stimulus.id, [])
            if t < b.shown_s
        ]
        rows.append((b.end_s, "block_end", b.index, b.stimulus.id))
    rows += [(float(r.onset_s) + offset_s, "marker", None, r.label or f"line {r.line}") for r in others.itertuples()]
    rows.append((end_s, "session_end", None, "end of the video"))
    log = pd.DataFrame(rows, columns=["t_s", "event", "block", "detail"])
    log["block"] = log["block"].astype("Int64")
    return log.sort_values("t_s", kind="stable").reset_index(drop=True)


# -- markers sent live (LSL, a socket, the Recorder API) ------------------------------------------

MARKER_ACTIONS = ("onset", "offset", "end")
"""What a marker can mean; any other marker is kept in ``events_log.csv`` as ``marker``."""


@dataclass(frozen=True)
class MarkerVocabulary:
    """How marker strings name an action: one pattern per action, ``{stimulus}`` where the clip's
    name stands (the default: ``onset:<stimulus>``, ``offset:<stimulus>``, ``end``; PsychoPy's
    own style: :data:`PSYCHOPY_VOCABULARY`)."""

    onset: str = "onset:{stimulus}"
    offset: str = "offset:{stimulus}"
    end: str = "end"

    def parse(self, text: str) -> tuple[str | None, str]:
        """``(action, stimulus)`` of a marker; ``(None, "")`` for one the vocabulary does not know."""
        text = text.strip()
        for action in MARKER_ACTIONS:
            found = _pattern(getattr(self, action)).fullmatch(text)
            if found:
                return action, found.groupdict().get("stimulus", "").strip()
        return None, ""


DEFAULT_VOCABULARY = MarkerVocabulary()
"""``onset:<stimulus>``, ``offset:<stimulus>``, ``end``."""
PSYCHOPY_VOCABULARY = MarkerVocabulary(onset="{stimulus}.started", offset="{stimulus}.stopped", end="experiment.ended")
"""Markers named as PsychoPy names its components' times (``movie.started``, ``movie.stopped``):
name each Movie component after its clip."""


def _pattern(template: str) -> re.Pattern:
    parts = template.split("{stimulus}")
    if len(parts) > 2:
        raise SessionError(f"marker pattern {template!r}: {{stimulus}} may appear once")
    body = "(?P<stimulus>.+?)".join(re.escape(p) for p in parts)
    return re.compile(body, re.IGNORECASE)


def read_vocabulary(path: str | Path) -> MarkerVocabulary:
    """A marker vocabulary from a TOML file: ``[markers]`` with ``onset``, ``offset`` and ``end``
    patterns (any left out keep the default), or ``style = "psychopy"``.

    Raises
    ------
    SessionError
        A missing or unreadable file, an unknown key or style.
    """
    import tomllib

    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("markers")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SessionError(f"{path}: not a readable marker vocabulary ({e})") from None
    if not isinstance(table, dict):
        raise SessionError(f"{path}: no [markers] table")
    unknown = sorted(set(table) - {*MARKER_ACTIONS, "style"})
    if unknown:
        raise SessionError(f"{path}: unknown key(s) {', '.join(unknown)} (onset, offset, end or style)")
    style = table.get("style", "mimicry")
    if style not in ("mimicry", "psychopy"):
        raise SessionError(f"{path}: style must be mimicry or psychopy, not {style!r}")
    base = PSYCHOPY_VOCABULARY if style == "psychopy" else MarkerVocabulary()
    patterns = {k: str(v) for k, v in table.items() if k in MARKER_ACTIONS}
    for p in patterns.values():
        _pattern(p)
    return MarkerVocabulary(**{**base.__dict__, **patterns})


def blocks_from_markers(
    markers: pd.DataFrame, vocabulary: MarkerVocabulary, library: Library, *, end_s: float
) -> tuple[list[PlacedBlock], pd.DataFrame, list[str]]:
    """Blocks from recorded markers (``t_s``, ``text`` in time order), as :class:`~mimicry.session.recorder.Recorder`
    makes them live: an onset opens a clip, its offset, the next onset, an ``end`` or ``end_s``
    closes it (at most its length). Returns the blocks, every other marker as ``onset_s``,
    ``label``, ``line`` (for :func:`events_log_rows`) and warnings (clips the library lacks)."""
    blocks: list[PlacedBlock] = []
    others: list[tuple[float, str, int]] = []
    unknown: list[str] = []
    opened: tuple[Stimulus, float, int] | None = None

    def close(t: float) -> None:
        nonlocal opened
        if opened is not None:
            s, onset, line = opened
            blocks.append(PlacedBlock(len(blocks), s, onset, max(min(t - onset, s.duration_s), 0.0), line))
        opened = None

    for i, (t, text) in enumerate(zip(markers["t_s"].to_numpy(float), markers["text"].astype(str)), start=1):
        action, name = vocabulary.parse(text)
        s = find_stimulus(name, library) if action in ("onset", "offset") and name else None
        if action == "onset" and s is not None:
            close(t)
            opened = (s, float(t), i)
        elif action == "offset" and s is not None and opened is not None and opened[0].id == s.id:
            close(t)
        else:
            if action == "end":
                close(t)
            if action in ("onset", "offset") and s is None and name not in unknown:
                unknown.append(name)
            others.append((float(t), text, i))
    close(end_s)
    warnings = [f"markers name {n!r}, which is not in the library {library.root}: kept as markers" for n in unknown]
    kept = [replace(b, index=k) for k, b in enumerate(b for b in blocks if b.shown_s > 0)]
    return kept, pd.DataFrame(others, columns=["onset_s", "label", "line"]), warnings
