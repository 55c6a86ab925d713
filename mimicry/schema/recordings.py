"""What a recording writes: tracks, landmarks, session frames, stimulus and event logs, actor events."""

from __future__ import annotations

from .core import BLENDSHAPE_NAMES, N_LANDMARKS, Column, CsvSchema

_SIGNALS = (
    Column(
        "smile",
        "float64",
        "0-1",
        "smiling intensity (lip corners pulled up, see the docs: Signals); empty when not detected",
    ),
    Column(
        "yawn",
        "float64",
        "0-1",
        "yawn intensity: the jaw opening inside a yawn (a slow, sustained opening; see the docs: Signals), 0 elsewhere",
    ),
    Column("blink", "float64", "0-1", "eye closure, both eyes (see the docs: Signals)"),
    Column("mouth_open", "float64", "0-1", "jaw opening, MediaPipe `jawOpen` rescaled so 0.6 maps to 1"),
    Column(
        "mouth_visible",
        "float64",
        "0-1",
        "1 = mouth in view; falls to 0 when a hand or object covers it (smile is scaled by it)",
    ),
    Column("yaw_deg", "float64", "degrees", "head turn, positive towards the image's right (the person's left)"),
    Column("pitch_deg", "float64", "degrees", "head tilt, positive chin up"),
    Column("roll_deg", "float64", "degrees", "in-plane head roll, positive counter-clockwise as seen in the image"),
    Column(
        "face_px",
        "float64",
        "px",
        "face width in the frame (the landmarks' horizontal extent); below a signal's minimum width "
        "(see the docs: Signals) that signal is empty",
    ),
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

# -- session folder (written by live sessions, read by the analysis) -----------------------------

FRAMES = CsvSchema(
    name="frames",
    description="Session `frames.csv`: one row per camera frame per face. Required columns below; "
    "the track CSV's other columns (blink, pose, blendshapes) may follow and are ignored by the analysis.",
    columns=(
        Column("t_s", "float64", "s", "session clock when the frame was captured"),
        Column("frame", "int64", "index", "camera frame index"),
        Column("face", "Int64", "id", "face id; empty on a no-face row"),
        Column("detected", "int64", "0/1", "1 if this face was found in this frame"),
        Column("block", "Int64", "index", "protocol block being shown; empty during baseline and pauses"),
        Column("smile", "float64", "0-1", "viewer smile (see the track CSV)"),
        Column("yawn", "float64", "0-1", "viewer yawn (see the track CSV)"),
    ),
)

STIMULUS_LOG = CsvSchema(
    name="stimulus_log",
    description="Session `stimulus_log.csv`: one row per displayed stimulus frame.",
    columns=(
        Column("t_s", "float64", "s", "session clock when the stimulus frame was shown"),
        Column("block", "int64", "index", "protocol block"),
        Column("stimulus_id", "str", "", "stimulus id in the library"),
        Column("kind", "str", "", "`smile`, `yawn` or `control`"),
        Column("stimulus_frame", "int64", "index", "frame index within the stimulus clip"),
        Column("stimulus_t_s", "float64", "s", "time within the stimulus clip"),
        Column("smile", "float64", "0-1", "the actor's smile at that frame (from the stimulus track)"),
        Column("yawn", "float64", "0-1", "the actor's yawn at that frame (from the stimulus track)"),
    ),
)

#: Keys `session.json` must have for the analysis.
SESSION_JSON_REQUIRED = ("session_id", "participant", "status", "camera_fps")

SESSION_FRAMES = CsvSchema(
    name="session_frames",
    description="`frames.csv` as `mimicry run` writes it: the track CSV's columns with `block` after `detected` "
    "(a superset of the analysis's required columns).",
    columns=(*TRACK.columns[:4], FRAMES.columns[4], *TRACK.columns[4:]),
)

EVENTS_LOG = CsvSchema(
    name="events_log",
    description="Session `events_log.csv`: what happened when (session clock).",
    columns=(
        Column("t_s", "float64", "s", "session clock"),
        Column(
            "event",
            "str",
            "",
            "`session_start`, `baseline_start`, `block_start`, `block_end`, "
            "`stimulus_smile` / `stimulus_yawn` (the actor's smile or yawn onset on screen; detail: stimulus id), "
            "`stimulus_smile_end` / `stimulus_yawn_end` (its offset), "
            "`pause`, `resume`, "
            "`calibration_start`, `calibration_cue` (detail: `relaxed`, `smile` or `open`), `calibration_end`, "
            "`key`, `camera_lost`, `camera_back`, `camera_end`, "
            "`frames_skipped` (camera frames tracking could not catch up with; detail: how many and their "
            "frame numbers, at the first one's time), `stimulus_drop` (detail: how many stimulus frames the "
            "display missed), `abort`, `session_end`; "
            "the demo adds `viewer_yawn` / `viewer_smile` (detail: face letter); "
            "an imported session (`mimicry import`) adds `marker` (a row of the events file that names no "
            "stimulus; detail: its trial_type or line)",
        ),
        Column("block", "Int64", "index", "block concerned, if any"),
        Column("detail", "str", "", "stimulus id, key, number of frames dropped, ..."),
    ),
)
