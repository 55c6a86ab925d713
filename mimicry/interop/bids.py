"""A BIDS-style folder from a session: the viewer's signals as continuous recordings
(``_physio.tsv.gz`` with its ``_physio.json``) and what was shown as ``_events.tsv``, so a lab's
BIDS tools (MNE-BIDS, R) find them beside EEG or EMG of the same participant.

Layout (BIDS 1.9, ``beh`` data type, one continuous recording per viewer face)::

    DIR/dataset_description.json, README, participants.tsv, participants.json
    DIR/task-<protocol>_events.json                       every events column and level
    DIR/stimuli/<stimulus id>.mp4                          the clips shown (from the library)
    DIR/sub-<participant>/ses-<session>/beh/sub-<p>_ses-<s>_task-<protocol>_recording-face<N>_physio.tsv.gz
                                          .../sub-<p>_ses-<s>_task-<protocol>_recording-face<N>_physio.json
                                          .../sub-<p>_ses-<s>_task-<protocol>_events.tsv

BIDS labels are letters and digits only: ``P-7K2Q9D`` becomes ``P7K2Q9D``. The signals are
resampled onto a uniform grid at the camera's nominal rate from session time 0 (as the analysis
does; gaps longer than the analysis's ``max_gap_s`` stay ``n/a``); ``StartTime`` is 0 because
onsets in the events file are on the same session clock.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.alignment import MAX_GAP_S, block_spans, resample_gapped
from ..analysis.events import DEFAULT_EVENTS, detect_events
from ..errors import MimicryError, OutputError
from ..session.folder import SessionData
from ..version import __version__

#: Physio columns: frames.csv column -> (BIDS column name, units, description).
PHYSIO_COLUMNS = {
    "smile": ("smile", "arbitrary", "smile intensity, 0-1 (lip corners pulled up and back; see the docs: Signals)"),
    "yawn": ("yawn", "arbitrary", "yawn intensity, 0-1: wide jaw opening held for >= 1 s"),
    "blink": ("blink", "arbitrary", "eye closure, both eyes, 0-1"),
    "mouth_open": ("mouth_open", "arbitrary", "jaw opening, MediaPipe jawOpen / 0.6, 0-1"),
    "yaw_deg": ("head_yaw", "deg", "head turn, positive towards the image's right"),
    "pitch_deg": ("head_pitch", "deg", "head tilt, positive chin up"),
    "roll_deg": ("head_roll", "deg", "in-plane head roll, positive counter-clockwise in the image"),
}


def bids_label(text: str) -> str:
    """A BIDS label: letters and digits only (others dropped)."""
    label = re.sub(r"[^A-Za-z0-9]", "", str(text))
    if not label:
        raise MimicryError(f"cannot make a BIDS label from {text!r}")
    return label


def physio_table(data: SessionData, face: int, max_gap_s: float = MAX_GAP_S) -> pd.DataFrame:
    """One face's signals on the uniform grid ``k / camera_fps`` from 0 to the last frame, s."""
    f = data.frames[data.frames["face"] == face]
    t = f["t_s"].to_numpy(float)
    grid = np.arange(0.0, float(np.nanmax(data.frames["t_s"])) + 1e-9, 1.0 / data.camera_fps)
    ok = f["detected"].to_numpy() == 1
    out = {}
    for col, (name, _, _) in PHYSIO_COLUMNS.items():
        v = pd.to_numeric(f[col], errors="coerce").to_numpy(float) if col in f.columns else np.full(t.size, np.nan)
        out[name] = np.round(resample_gapped(t, np.where(ok, v, np.nan), grid, max_gap_s), 4)
    return pd.DataFrame(out)


def events_table(data: SessionData, stim_files: dict[str, str] | None = None) -> pd.DataFrame:
    """Blocks (``trial_type`` = the clip's kind) and the actor's smile and yawn onsets
    (``actor_smile``, ``actor_yawn``, as the analysis detects them), on the session clock.
    ``stim_file`` is the clip's file under ``/stimuli`` (``stim_files``: stimulus id -> file
    name); ``n/a`` for a clip not copied there."""
    stim_files = stim_files or {}
    spans = block_spans(data.stimulus_log)
    rows = [
        {
            "onset": r.start_s,
            "duration": r.end_s - r.start_s,
            "trial_type": r.kind,
            "stim_file": stim_files.get(r.stimulus_id, "n/a"),
            "block": r.block,
        }
        for r in spans.itertuples()
    ]
    for block, g in data.stimulus_log.groupby("block", sort=True):
        g = g.sort_values("t_s")
        for kind in ("smile", "yawn"):
            ev = detect_events(g["t_s"].to_numpy(float), g[kind].to_numpy(float), DEFAULT_EVENTS.for_signal(kind))
            rows += [
                {
                    "onset": e.onset_s,
                    "duration": e.offset_s - e.onset_s,
                    "trial_type": f"actor_{kind}",
                    "stim_file": "n/a",
                    "block": int(block),
                }
                for e in ev.itertuples()
            ]
    table = pd.DataFrame(rows, columns=["onset", "duration", "trial_type", "stim_file", "block"])
    return table.sort_values(["onset", "trial_type"], kind="stable").round({"onset": 4, "duration": 4})


def _tsv(df: pd.DataFrame) -> str:
    return df.to_csv(sep="\t", index=False, na_rep="n/a", lineterminator="\n")


EVENTS_JSON = {
    "onset": {"Description": "when it began, s on the session clock (the recording's StartTime is 0)", "Units": "s"},
    "duration": {"Description": "how long it lasted", "Units": "s"},
    "trial_type": {
        "Description": "what happened",
        "Levels": {
            "smile": "a clip of someone smiling was shown",
            "yawn": "a clip of someone yawning was shown",
            "control": "a control clip (the same actor, neutral) was shown",
            "actor_smile": "the actor on screen smiled (onset to offset, by the analysis's event rule)",
            "actor_yawn": "the actor on screen yawned (onset to offset, by the analysis's event rule)",
        },
    },
    "stim_file": {"Description": "the clip shown, under /stimuli; n/a for the actor's events and a clip not copied"},
    "block": {"Description": "index of the clip in the session's order, from 0"},
}
"""``task-<task>_events.json`` at the dataset's root: every column of the events files, every level."""


def _physio_json(fps: float, task: str) -> dict:
    meta = {
        "TaskName": task,
        "PhysioType": "generic",
        "SamplingFrequency": fps,
        "StartTime": 0.0,
        "Columns": [n for n, _, _ in PHYSIO_COLUMNS.values()],
    }
    for name, units, description in PHYSIO_COLUMNS.values():
        meta[name] = {"Description": description, "Units": units}
    meta["Manufacturer"] = "mimicry (MediaPipe Face Landmarker on a webcam)"
    meta["SoftwareVersions"] = f"mimicry {__version__}"
    return meta


def export_bids(data: SessionData, out: str | Path, *, license: str | None = None) -> list[Path]:
    """Write one session into the BIDS folder ``out`` (created, or added to); returns the files
    written. Never overwrites a file of the same subject, session and task. The clips shown are
    copied into ``out/stimuli`` (from the session's library, checked by sha256) and named by the
    events' ``stim_file``; ``license`` goes into a new ``dataset_description.json``.

    Raises
    ------
    OutputError
        A file of this session is there already, or the folder cannot be written.
    """
    out = Path(out)
    participant = str(data.meta.get("participant", "unknown"))
    sub, ses = bids_label(participant), bids_label(data.meta.get("session_id", "1"))
    check_label_free(out, sub, participant)
    task = bids_label((data.meta.get("protocol") or {}).get("name", "mimicry"))
    folder = out / f"sub-{sub}" / f"ses-{ses}" / "beh"
    stem = f"sub-{sub}_ses-{ses}_task-{task}"
    if folder.exists() and any(folder.glob(f"{stem}_*")):
        raise OutputError(f"{folder} already holds {stem}: this session was exported there before")
    clips = session_clips(data)
    stim_files = {sid: f"{sid}{path.suffix}" for sid, (path, _) in clips.items()}
    files: dict[Path, bytes] = {folder / f"{stem}_events.tsv": _tsv(events_table(data, stim_files)).encode()}
    for face in sorted(data.frames["face"].dropna().astype(int).unique()):
        rec = f"{stem}_recording-face{face}_physio"
        table = physio_table(data, face)
        files[folder / f"{rec}.tsv.gz"] = gzip.compress(
            table.to_csv(sep="\t", index=False, header=False, na_rep="n/a", lineterminator="\n").encode(), mtime=0
        )
        files[folder / f"{rec}.json"] = json.dumps(_physio_json(data.camera_fps, task), indent=2).encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _dataset_files(out, sub, participant, license=license)
        _task_events_json(out, task)
        copied = _copy_stimuli(out, {stim_files[sid]: clip for sid, clip in clips.items()})
        for path, content in files.items():
            path.write_bytes(content)
    except OSError as e:
        raise OutputError(f"cannot write {out}: {e.strerror or e}") from None
    return sorted([*files, *copied])


TASK_DESCRIPTION = (
    "The participant watched video clips of a person smiling, yawning or at rest (control) while a "
    "webcam filmed their face; mimicry measured how much and how soon the participant's face followed."
)


def session_clips(data: SessionData) -> dict[str, tuple[Path, str]]:
    """The clips the session showed, by stimulus id: path and sha256, found in its library
    (``session.json``'s ``library``) and checked against the manifest; a clip not found there is
    left out."""
    from ..errors import StimulusError
    from ..stimuli.library import load_library

    ids = sorted(set(data.stimulus_log["stimulus_id"].astype(str)))
    try:
        library = load_library(data.meta.get("library"))
    except StimulusError:
        return {}
    out = {}
    for sid in ids:
        try:
            stimulus = library.get(sid)
            out[sid] = (library.verified_clip(stimulus), stimulus.sha256)
        except (StimulusError, KeyError):
            continue
    return out


def _copy_stimuli(out: Path, clips: dict[str, tuple[Path, str]]) -> list[Path]:
    """Copy each clip to ``out/stimuli/<name>`` unless the same file is there; returns those copied.

    Raises
    ------
    OutputError
        ``stimuli/<name>`` exists with other content (another library's clip of the same id).
    """
    import shutil

    from ..sensing.model import sha256_file

    copied = []
    for name, (src, sha256) in clips.items():  # sha256: the clip's, already checked
        dst = out / "stimuli" / name
        if dst.exists():
            if sha256_file(dst) != sha256:
                raise OutputError(f"{dst} is another clip than {src}: export into another folder")
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        copied.append(dst)
    return copied


def _task_events_json(out: Path, task: str) -> None:
    """The task's events sidecar at the root (once): its name and every events column."""
    path = out / f"task-{task}_events.json"
    if not path.exists():
        side = {"TaskName": task, "TaskDescription": TASK_DESCRIPTION, **EVENTS_JSON}
        path.write_text(json.dumps(side, indent=2), encoding="utf-8")


def _dataset_files(out: Path, sub: str, participant: str, *, license: str | None = None) -> None:
    """``dataset_description.json`` and ``README`` (once), ``participants.tsv`` (one row per
    subject, with the mimicry participant id) and ``participants.json`` (once)."""
    desc = out / "dataset_description.json"
    if not desc.exists():
        description = {
            "Name": "mimicry sessions",
            "BIDSVersion": "1.9.0",
            "DatasetType": "raw",
            "GeneratedBy": [{"Name": "mimicry", "Version": __version__}],
        }
        if license:
            description["License"] = license
        desc.write_text(json.dumps(description, indent=2), encoding="utf-8")
    readme = out / "README"
    if not readme.exists():
        readme.write_text(README.format(version=__version__), encoding="utf-8")
    part = out / "participants.tsv"
    known = pd.read_csv(part, sep="\t", dtype=str, keep_default_na=False) if part.exists() else pd.DataFrame()
    if "participant_id" not in known:
        known = pd.DataFrame({"participant_id": [], PARTICIPANT_COLUMN: []})
    if PARTICIPANT_COLUMN not in known:  # written by an older mimicry: the original ids are unknown
        known[PARTICIPANT_COLUMN] = "n/a"
    if f"sub-{sub}" not in set(known["participant_id"]):
        rows = pd.concat([known, pd.DataFrame({"participant_id": [f"sub-{sub}"], PARTICIPANT_COLUMN: [participant]})])
        part.write_text(_tsv(rows), encoding="utf-8")
    side = out / "participants.json"
    if not side.exists():
        side.write_text(json.dumps(PARTICIPANTS_JSON, indent=2), encoding="utf-8")


README = """Facial mimicry sessions exported by mimicry {version}.

Each sub-*/ses-*/beh/ folder holds one session: the viewer's signals (smile, yawn, blink, mouth
opening, head pose) as continuous recordings (*_physio.tsv.gz, described by their *_physio.json),
and what was shown as *_events.tsv (the clips, and the actor's smiles and yawns in them; columns
in task-*_events.json). The clips are in stimuli/. Onsets and the recordings share one clock:
the session's, from 0.

Set the dataset's licence ("License" in dataset_description.json) and its authors before sharing.
"""

PARTICIPANT_COLUMN = "mimicry_participant"
"""``participants.tsv``'s column of the participant id as mimicry recorded it (BIDS labels drop
``-`` and ``_``, so two ids can share one label; the export refuses that)."""
PARTICIPANTS_JSON = {
    PARTICIPANT_COLUMN: {
        "Description": "the participant id as mimicry recorded it (the BIDS label keeps its letters and digits only)"
    }
}


def check_label_free(out: Path, sub: str, participant: str) -> None:
    """Refuse a participant whose BIDS label ``sub`` already names another participant in ``out``.

    Raises
    ------
    OutputError
        ``participants.tsv`` gives ``sub-<sub>`` to a different mimicry participant id.
    """
    part = out / "participants.tsv"
    if not part.is_file():
        return
    known = pd.read_csv(part, sep="\t", dtype=str, keep_default_na=False)
    if PARTICIPANT_COLUMN not in known or "participant_id" not in known:
        return
    same = known.loc[known["participant_id"] == f"sub-{sub}", PARTICIPANT_COLUMN]
    other = [p for p in same if p not in (participant, "n/a")]
    if other:
        raise OutputError(
            f"participants {other[0]!r} and {participant!r} would both be sub-{sub} in {out} "
            "(BIDS labels keep letters and digits only): rename one before exporting"
        )
