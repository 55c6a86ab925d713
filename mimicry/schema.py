"""Every file format mimicry writes, defined once: column names, types, units and meanings.

Readers and writers use these definitions; the docs' file-format tables are generated from them
when the docs are built (``docs/hooks.py``; ``python -m mimicry.schema`` prints them).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

#: The 52 blendshape names of MediaPipe Face Landmarker, in the model's output order.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "_neutral",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "eyeLookDownLeft",
    "eyeLookDownRight",
    "eyeLookInLeft",
    "eyeLookInRight",
    "eyeLookOutLeft",
    "eyeLookOutRight",
    "eyeLookUpLeft",
    "eyeLookUpRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "eyeWideLeft",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawOpen",
    "jawRight",
    "mouthClose",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthFunnel",
    "mouthLeft",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthPucker",
    "mouthRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "noseSneerLeft",
    "noseSneerRight",
)
N_LANDMARKS = 478


@dataclass(frozen=True)
class Column:
    """One CSV column: name, pandas dtype, unit and meaning."""

    name: str
    dtype: str
    unit: str
    description: str


@dataclass(frozen=True)
class CsvSchema:
    """A CSV file format: its columns in order."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def markdown(self) -> str:
        """The schema as a Markdown table (the docs' tables are this text).

        Runs of blendshape or landmark columns are folded into one row.
        """
        lines = ["| column | type | unit | meaning |", "| --- | --- | --- | --- |"]
        names = self.names
        if set(BLENDSHAPE_NAMES) <= set(names):
            cols = [c for c in self.columns if c.name not in BLENDSHAPE_NAMES]
            tail = [
                f"| `_neutral` ... `noseSneerRight` | float64 | 0-1 | the {len(BLENDSHAPE_NAMES)} "
                "MediaPipe blendshape scores, in the model's order, under their own names |"
            ]
        elif "x0" in names:
            cols = [c for c in self.columns if not (c.name[0] in "xyz" and c.name[1:].isdigit())]
            tail = [
                f"| `x0, y0, z0` ... `x{N_LANDMARKS - 1}, y{N_LANDMARKS - 1}, z{N_LANDMARKS - 1}` | float64 | "
                "image width / height | landmark i: x (0 left, 1 right), y (0 top, 1 bottom), "
                "z (depth, image widths, smaller = closer) |"
            ]
        else:
            cols, tail = list(self.columns), []
        for c in cols:
            lines.append(f"| `{c.name}` | {c.dtype} | {c.unit} | {c.description} |")
        return "\n".join(lines + tail)


_SIGNALS = (
    Column(
        "smile",
        "float64",
        "0-1",
        "smiling intensity (lip corners pulled up, see the docs: Signals); empty when not detected",
    ),
    Column("yawn", "float64", "0-1", "yawn intensity: wide jaw opening sustained for >= 1 s (see the docs: Signals)"),
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
            "`session_start`, `baseline_start`, `block_start`, `block_end`, `pause`, `resume`, "
            "`calibration_start`, `calibration_cue` (detail: `relaxed`, `smile` or `open`), `calibration_end`, "
            "`key`, `camera_lost`, `camera_back`, `camera_end`, `stimulus_drop`, `abort`, `session_end`; "
            "the demo adds `viewer_yawn` / `viewer_smile` (detail: face letter)",
        ),
        Column("block", "Int64", "index", "block concerned, if any"),
        Column("detail", "str", "", "stimulus id, key, number of frames dropped, ..."),
    ),
)

SCORES = CsvSchema(
    name="scores",
    description="`mimicry analyze` `scores.csv`: viewer-actor synchrony per block x face x signal, plus pooled "
    "rows per kind (`block` = `all`).",
    columns=(
        Column("block", "str", "index or `all`", "block index, or `all` for blocks of one kind pooled"),
        Column("stimulus_id", "str", "", "stimulus shown, or `all`"),
        Column("kind", "str", "", "block kind: `smile`, `yawn` or `control`"),
        Column("face", "int64", "id", "viewer face id"),
        Column("signal", "str", "", "`smile` or `yawn` (viewer and actor alike)"),
        Column(
            "r_peak",
            "float64",
            "r",
            "highest Pearson r over lags -2 ... +5 s (yawn: -2 ... +15 s); descriptive, not the verdict",
        ),
        Column(
            "lag_s",
            "float64",
            "s",
            "lag of that peak, positive = viewer after the stimulus (resolution one camera frame)",
        ),
        Column(
            "p_value",
            "float64",
            "p",
            "share of surrogates (circular shifts of the viewer) whose peak r over the same lags is at least as high",
        ),
        Column("n_samples", "int64", "samples", "aligned samples with both signals present"),
        Column(
            "wlcc_r_mean",
            "float64",
            "r",
            "windowed lagged cross-correlation (4 s windows, 1 s steps): mean of the per-window peak r",
        ),
        Column("wlcc_r_sd", "float64", "r", "SD of the per-window peak r"),
        Column("wlcc_lag_mean_s", "float64", "s", "mean lag of the per-window peaks"),
        Column("wlcc_lag_sd_s", "float64", "s", "SD of the per-window peak lags"),
        Column("wlcc_windows", "int64", "windows", "windows with enough data"),
        Column(
            "wlcc_z",
            "float64",
            "z",
            "`wlcc_r_mean` as a z against circular-shift surrogates of the viewer: (observed - "
            "surrogate mean) / surrogate SD (the raw mean is about 0.5 on independent series)",
        ),
    ),
)

EVENTS = CsvSchema(
    name="events",
    description="`mimicry analyze` `events.csv`: smile and yawn events of the viewer(s) and of the stimulus actor.",
    columns=(
        Column("source", "str", "", "`viewer` or `stimulus`"),
        Column("face", "Int64", "id", "viewer face id; empty for stimulus events"),
        Column("kind", "str", "", "`smile` or `yawn`"),
        Column("onset_s", "float64", "s", "session time the signal rose above the lower threshold"),
        Column("peak_s", "float64", "s", "session time of the maximum"),
        Column("offset_s", "float64", "s", "session time it fell back below the lower threshold"),
        Column("peak_value", "float64", "0-1", "signal maximum"),
        Column("block", "Int64", "index", "block at onset; empty if the onset fell in a pause"),
    ),
)

STIMULUS_EVENTS = CsvSchema(
    name="stimulus_events",
    description="Stimulus library `tracks/<id>.events.csv`: the actor's smile and yawn events in a clip, found with "
    "the analysis's event thresholds when the clip was added.",
    columns=tuple(
        replace(c, description=c.description.replace("session time", "clip time"))
        for c in EVENTS.columns
        if c.name in ("kind", "onset_s", "peak_s", "offset_s", "peak_value")
    ),
)

CONTAGION = CsvSchema(
    name="contagion",
    description="`mimicry analyze` `contagion.csv`: yawns and smiles per viewer face and condition.",
    columns=(
        Column("face", "int64", "id", "viewer face id"),
        Column("yawns_yawn_blocks", "int64", "count", "viewer yawns starting during yawn blocks"),
        Column("yawns_control_blocks", "int64", "count", "viewer yawns starting during control blocks"),
        Column("yawns_other", "int64", "count", "viewer yawns starting elsewhere (baseline, pauses, smile blocks)"),
        Column("minutes_yawn_blocks", "float64", "min", "time spent in yawn blocks"),
        Column("minutes_control_blocks", "float64", "min", "time spent in control blocks"),
        Column("yawns_per_min_yawn", "float64", "1/min", "yawn rate in yawn blocks"),
        Column("yawns_per_min_control", "float64", "1/min", "yawn rate in control blocks"),
        Column("stimulus_yawns", "int64", "count", "actor yawns shown"),
        Column(
            "contagious_yawns",
            "int64",
            "count",
            "stimulus yawns followed by a viewer yawn within the response window "
            "(each viewer yawn credited once, to the latest stimulus yawn before it)",
        ),
        Column(
            "latency_mean_s",
            "float64",
            "s",
            "mean latency from a credited stimulus yawn's onset to the onset of the first viewer yawn credited to it",
        ),
        Column("latency_median_s", "float64", "s", "median of the same latencies"),
        Column("latencies_s", "str", "s", "all latencies, separated by `;`"),
        Column(
            "smile_response",
            "float64",
            "0-1",
            "viewer smile 0.5-3 s after actor smile onsets minus 1 s before, averaged",
        ),
        Column("smile_response_p", "float64", "p", "p-value of the smile-mimicry primary test (as in `verdicts.csv`)"),
        Column("actor_smiles", "int64", "count", "actor smile onsets with the face in view (used by the test)"),
        Column(
            "yawns_yawn_windows",
            "int64",
            "count",
            "viewer yawns starting within the response window after a stimulus yawn",
        ),
        Column(
            "yawns_control_windows",
            "int64",
            "count",
            "viewer yawns starting within the same window after a pseudo-onset in a control clip (and not in a yawn window)",
        ),
        Column("minutes_yawn_windows", "float64", "min", "minutes with the face in view inside yawn windows"),
        Column("minutes_control_windows", "float64", "min", "minutes with the face in view inside control windows"),
        Column(
            "mimicry_index",
            "float64",
            "0-100",
            "lay summary derived from `verdicts.csv` on a chance-corrected scale; 0 unless a test detected mimicry",
        ),
    ),
)

VERDICTS = CsvSchema(
    name="verdicts",
    description="`mimicry analyze` `verdicts.csv`: the primary test of each measure per viewer face; every sentence "
    "mimicry prints about a person follows from these rows.",
    columns=(
        Column("face", "int64", "id", "viewer face id"),
        Column("measure", "str", "", "`smile_mimicry` or `yawn_contagion`"),
        Column("test", "str", "", "the primary test used"),
        Column(
            "n_events",
            "int64",
            "count",
            "smile: actor smiles with the face in view; yawn: viewer yawns in yawn and control windows",
        ),
        Column(
            "effect",
            "float64",
            "0-1 or ratio",
            "smile: response above chance (observed minus random-onset mean, 0-1 smile units); "
            "yawn: rate ratio, yawns per face-present minute in yawn windows over control windows",
        ),
        Column(
            "ci_lo",
            "float64",
            "as effect",
            "95 % confidence interval, lower end (smile: t interval over trials; yawn: exact)",
        ),
        Column("ci_hi", "float64", "as effect", "upper end"),
        Column("p_value", "float64", "p", "one-sided p-value of the test"),
        Column(
            "verdict",
            "str",
            "",
            "`detected` (p <= 0.05, and for smiles the viewer followed), `not_detected` or `insufficient_data`",
        ),
        Column(
            "reason",
            "str",
            "",
            "why the data cannot answer, or why a significant smile match is not mimicry; empty otherwise",
        ),
    ),
)

CALIBRATION = CsvSchema(
    name="calibration",
    description="`mimicry analyze` `calibration.csv` (sessions with a calibration phase only): each face's range "
    "from the relaxed, smile and open-mouth cues; `analyze --calibrated` expresses `smile` and mouth "
    "opening relative to it.",
    columns=(
        Column("face", "int64", "id", "viewer face id"),
        Column("smile_rest", "float64", "0-1", "median `smile` in the relaxed cue (after its first `settle_s`)"),
        Column("smile_max", "float64", "0-1", "90th percentile of `smile` in the smile cue"),
        Column("mouth_open_rest", "float64", "0-1", "median `jawOpen` in the relaxed cue"),
        Column("mouth_open_max", "float64", "0-1", "90th percentile of `jawOpen` in the open-mouth cue"),
        Column(
            "usable",
            "int64",
            "0/1",
            "1 if both ranges are at least 0.15 wide, with the face in view for >= 10 frames of each cue",
        ),
        Column("reason", "str", "", "why the range is not usable; empty otherwise"),
    ),
)

TRIALS = CsvSchema(
    name="trials",
    description="`mimicry analyze` `trials.csv`: one row per actor event x viewer face (and per pseudo-onset in control "
    "clips), ready for a mixed model with participant and stimulus as random effects.",
    columns=(
        Column("face", "int64", "id", "viewer face id"),
        Column("block", "Int64", "index", "block of the onset"),
        Column("stimulus_id", "str", "", "stimulus shown"),
        Column("kind", "str", "", "block kind"),
        Column(
            "event",
            "str",
            "",
            "`smile`, `yawn` (actor events) or `pseudo_yawn` (control clips, at the yawn clips' onset times)",
        ),
        Column("onset_s", "float64", "s", "session time of the actor's (pseudo-)onset"),
        Column("baseline", "float64", "0-1", "viewer mean before the onset (smile: 1 s; yawn: 5 s)"),
        Column("response", "float64", "0-1", "viewer mean in the response window (smile: 0.5-3 s; yawn: 0-15 s)"),
        Column("peak", "float64", "0-1", "viewer maximum from the onset to the end of the response window"),
        Column(
            "latency_s",
            "float64",
            "s",
            "smile: onset of the viewer's first smile from 1 s before to 3 s after, from the actor's; "
            "yawn: latency of the viewer yawn credited to this onset",
        ),
        Column(
            "responded",
            "int64",
            "0/1",
            "smile: the viewer started smiling 0-3 s after; yawn: a viewer yawn was credited",
        ),
        Column(
            "valid_share",
            "float64",
            "0-1",
            "share of the trial's samples with the face in view and looking at the screen (head pose within 30 degrees of its usual pose)",
        ),
        Column(
            "head_yaw_deg",
            "float64",
            "degrees",
            "mean absolute head turn in the response window (empty without pose columns)",
        ),
    ),
)

XCORR = CsvSchema(
    name="xcorr",
    description="`mimicry analyze` `xcorr.csv`: the lagged cross-correlation behind each `scores.csv` row, one row "
    "per lag, with the circular-shift null distribution.",
    columns=(
        *SCORES.columns[:5],
        Column("lag_s", "float64", "s", "lag, positive = viewer after the stimulus"),
        Column("r", "float64", "r", "Pearson r at this lag; empty with too few pairs"),
        Column("null_lo", "float64", "r", "2.5th percentile of the circular-shift surrogates' r at this lag"),
        Column("null_hi", "float64", "r", "97.5th percentile of the same"),
        Column(
            "null_peak_95",
            "float64",
            "r",
            "95th percentile of the surrogates' peak r over all lags: the observed peak must exceed it for p < 0.05",
        ),
    ),
)

SUMMARY = CsvSchema(
    name="summary",
    description="`mimicry summary` `summary.csv`: one row per session x viewer face (one row with an empty `face` "
    "when no face was found).",
    columns=(
        Column("folder", "str", "", "session folder, relative to the summarised directory"),
        Column("session_id", "str", "", "from session.json"),
        Column("participant", "str", "", "pseudonymous participant id"),
        Column("start_time", "str", "ISO 8601", "when the session started"),
        Column("protocol", "str", "", "protocol name"),
        Column("status", "str", "", "`complete`, `aborted`, `crashed` or `running` (killed)"),
        Column("face", "Int64", "id", "viewer face id"),
        Column("smile_verdict", "str", "", "smile-mimicry verdict (`verdicts.csv`)"),
        Column("smile_effect", "float64", "0-1", "its effect: smile response above chance"),
        Column("smile_verdict_p", "float64", "p", "its p-value"),
        Column("yawn_verdict", "str", "", "yawn-contagion verdict (`verdicts.csv`)"),
        Column("yawn_effect", "float64", "ratio", "its effect: yawn rate ratio, yawn over control windows"),
        Column("yawn_verdict_p", "float64", "p", "its p-value"),
        Column("smile_r", "float64", "r", "pooled smile synchrony in smile clips (`scores.csv` `r_peak`; descriptive)"),
        Column("smile_lag_s", "float64", "s", "its lag, positive = viewer after the video"),
        Column("smile_p", "float64", "p", "its circular-shift p-value"),
        Column("smile_wlcc_z", "float64", "z", "pooled smile WLCC z (`scores.csv` `wlcc_z`)"),
        Column("yawn_r", "float64", "r", "pooled yawn synchrony in yawn clips"),
        Column("yawn_lag_s", "float64", "s", "its lag"),
        Column("yawn_p", "float64", "p", "its p-value"),
        Column("yawn_wlcc_z", "float64", "z", "pooled yawn WLCC z"),
        *(
            c
            for c in CONTAGION.columns
            if c.name
            in (
                "yawns_yawn_blocks",
                "yawns_control_blocks",
                "minutes_yawn_blocks",
                "minutes_control_blocks",
                "yawns_yawn_windows",
                "yawns_control_windows",
                "minutes_yawn_windows",
                "minutes_control_windows",
                "stimulus_yawns",
                "contagious_yawns",
                "smile_response",
                "mimicry_index",
            )
        ),
    ),
)

GROUP_TESTS = CsvSchema(
    name="group_tests",
    description="`mimicry summary` `summary_tests.csv` (beside `summary.csv`, named after it): the group tests over "
    "participants (faces and sessions of one participant id pooled).",
    columns=(
        Column("role", "str", "", "`primary` (one per measure) or `secondary`"),
        Column("measure", "str", "", "`yawn_contagion`, `smile_mimicry`, `smile_synchrony` or `yawn_rate`"),
        Column("test", "str", "", "the test"),
        Column("n_participants", "int64", "count", "participants in the test"),
        Column("effect", "float64", "see effect_unit", "effect size"),
        Column("effect_unit", "str", "", "what the effect is"),
        Column("ci_lo", "float64", "as effect", "95 % confidence interval, lower end"),
        Column("ci_hi", "float64", "as effect", "upper end"),
        Column("p_value", "float64", "p", "p-value of the test"),
        Column("p_holm", "float64", "p", "Holm-adjusted over the secondary tests (primary: as p_value)"),
    ),
)

BATCH_SUMMARY = CsvSchema(
    name="batch_summary",
    description="`mimicry batch` `summary.csv`: one row per input x face found. Video inputs fill the first columns; "
    "recorded sessions also fill the session columns (as in `mimicry summary`).",
    columns=(
        Column("input", "str", "", "output folder name: the input's path relative to INPUT_DIR, without suffix"),
        Column("type", "str", "", "`video` or `session`"),
        Column("face", "Int64", "id", "face id"),
        Column("frames", "int64", "count", "video frames tracked"),
        Column("duration_s", "float64", "s", "time from first to last frame"),
        Column("detected_share", "float64", "0-1", "share of frames in which this face was found"),
        Column("smile_mean", "float64", "0-1", "mean smile while the face was found"),
        Column("smile_events", "int64", "count", "smiles (events as in `mimicry analyze`)"),
        Column("yawn_events", "int64", "count", "yawns"),
        *(c for c in SUMMARY.columns if c.name not in ("folder", "face")),
    ),
)

BATCH_FAILURES = CsvSchema(
    name="batch_failures",
    description="`mimicry batch` `failures.csv`: inputs that could not be processed (empty when none failed).",
    columns=(
        Column("input", "str", "", "output folder name of the input"),
        Column("path", "str", "", "the input file or folder"),
        Column("error", "str", "", "what went wrong, one line"),
    ),
)

DEMO_RESULTS = CsvSchema(
    name="demo_results",
    description="`mimicry demo --save` `demo_results.csv`: the results screen, one row per face and one for the class.",
    columns=(
        Column("face", "str", "", "letter shown on screen (A, B, ...), or `class`"),
        Column("face_id", "Int64", "id", "face id in `frames.csv` (A = 0, B = 1, ...); empty for the class"),
        Column("kind", "str", "", "`yawn` or `smile`: what was counted"),
        Column("events", "int64", "count", "yawns (or smiles) since the start or the last reset"),
        Column("in_clips", "int64", "count", "of which starting while a clip played"),
        Column("in_pauses", "int64", "count", "of which starting in the neutral pause between clips"),
        Column(
            "after_video",
            "int64",
            "count",
            "of which starting within the response window after one in the video "
            "(yawn 0-15 s, smile 0-3 s); a count, not a test of contagion",
        ),
        Column("first_s", "float64", "s", "time of the first one from the start (or reset); class: the earliest"),
    ),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_cell(value: object) -> str:
    """Format one CSV cell; text that a spreadsheet would run as a formula is quoted with ``'``.

    Numbers are written with 6 significant digits; NaN and None as an empty cell. A lone
    surrogate (a file name that is not valid UTF-8, as Python decodes it) becomes U+FFFD, so
    every file is valid UTF-8.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    text = str(value)
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


ALL_SCHEMAS = (
    TRACK,
    LANDMARKS,
    FRAMES,
    STIMULUS_LOG,
    STIMULUS_EVENTS,
    SESSION_FRAMES,
    EVENTS_LOG,
    SCORES,
    EVENTS,
    CONTAGION,
    VERDICTS,
    TRIALS,
    CALIBRATION,
    XCORR,
    SUMMARY,
    GROUP_TESTS,
    BATCH_SUMMARY,
    BATCH_FAILURES,
    DEMO_RESULTS,
)

if __name__ == "__main__":  # pragma: no cover
    for schema in ALL_SCHEMAS:
        print(f"{schema.description}\n\n{schema.markdown()}\n")
