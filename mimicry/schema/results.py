"""What the analysis, the summary, batch and the demo write."""

from __future__ import annotations

from dataclasses import replace

from .core import Column, CsvSchema

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
        Column(
            "status",
            "str",
            "",
            "`complete`, `aborted`, `crashed`, `incomplete` (the camera ended before the protocol) or `running` (killed)",
        ),
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
        Column(
            "in_baseline",
            "int64",
            "count",
            "of which starting in the neutral baseline before the first clip",
        ),
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
        Column("minutes_seen", "float64", "min", "minutes the face was in view (class: summed over faces)"),
        Column(
            "minutes_measured",
            "float64",
            "min",
            "of which with the signal measured (a face narrower than the signal's minimum width is seen, not measured)",
        ),
        Column(
            "minutes_before", "float64", "min", "measured minutes in the baseline's windows (the base rate's exposure)"
        ),
        Column("minutes_after", "float64", "min", "measured minutes within the response window after one in the video"),
        Column(
            "verdict",
            "str",
            "",
            "class row only: `detected`, `not_detected` or `insufficient_data` of the class test "
            "(more often after one in the video than before the clips; see the docs: the classroom demo)",
        ),
        Column("p_value", "float64", "p", "class row only: the class test's one-sided p"),
    ),
)
