"""The primary tests (mimicry.analysis.verdicts): cases with known truth, as sessions."""

import numpy as np
import pandas as pd
import pytest

from mimicry.analysis import AnalysisConfig, analyze
from mimicry.analysis.verdicts import (
    YawnExposure,
    lay_index,
    pseudo_onsets,
    yawn_exposure,
    yawn_verdict,
)
from mimicry.report.page import plain_summary
from mimicry.schema import TRIALS, VERDICTS
from mimicry.session.simulate import simulate_session

FPS = 30.0
FAST = AnalysisConfig(n_surrogates=500, n_wlcc_surrogates=20)
SMILE_BLOCKS = ("smile", "control", "smile", "control", "smile")  # 3 smile clips x 4 actor smiles


def verdict(res, measure: str, face: int = 0) -> pd.Series:
    v = res.verdicts
    return v[(v.face == face) & (v.measure == measure)].iloc[0]


def spans(*blocks: tuple[str, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"block": i, "kind": k, "stimulus_id": f"{k}-{i}", "start_s": a, "end_s": b}
            for i, (k, a, b) in enumerate(blocks)
        ]
    )


# -- smile mimicry ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [21, 22])
def test_a_viewer_who_smiles_after_each_of_12_actor_smiles_is_detected(seed):
    s = simulate_session(blocks=SMILE_BLOCKS, smile_lag_s=0.7, yawn_lag_s=None, seed=seed)
    assert len(s.truth["actor_smile_onsets"]) == 12
    res = analyze(s.frames, s.stimulus_log, FPS, FAST)
    v = verdict(res, "smile_mimicry")
    assert v.verdict == "detected" and v.p_value < 0.01 and v.n_events == 12
    assert 0 < v.ci_lo < v.effect < v.ci_hi
    (smile, *_) = plain_summary(res.verdicts, res.contagion, res.trials)[0]
    assert smile.startswith("Smiles: You smiled along with the video") and "Smile mimicry detected" in smile


@pytest.mark.parametrize("lead_s", [1.0, 0.3])
def test_a_viewer_who_smiles_before_each_actor_smile_is_not_detected(lead_s):
    s = simulate_session(blocks=SMILE_BLOCKS, smile_lag_s=-lead_s, yawn_lag_s=None, seed=21)
    res = analyze(s.frames, s.stimulus_log, FPS, FAST)
    v = verdict(res, "smile_mimicry")
    assert v.verdict == "not_detected"
    assert res.contagion.mimicry_index.iloc[0] == 0
    (smile, *_) = plain_summary(res.verdicts, res.contagion, res.trials)[0]
    assert "smiled along" not in smile and "No smile mimicry detected" in smile
    # the descriptive cross-correlation still finds the tight match, at a negative lag
    sc = res.scores[(res.scores.block == "all") & (res.scores.kind == "smile") & (res.scores.signal == "smile")].iloc[0]
    assert sc.r_peak > 0.8 and sc.lag_s < 0


def test_an_independent_viewer_gets_index_zero_unless_detected():
    indices, detected = [], 0
    for seed in range(8):
        s = simulate_session(blocks=SMILE_BLOCKS, smile_lag_s=None, yawn_lag_s=None, seed=300 + seed)
        res = analyze(s.frames, s.stimulus_log, FPS, FAST)
        v = verdict(res, "smile_mimicry")
        detected += v.verdict == "detected"
        if v.verdict != "detected":
            indices.append(res.contagion.mimicry_index.iloc[0])
    assert detected <= 1 and indices and all(i == 0 for i in indices)


def test_lay_index_follows_the_verdicts():
    rows = pd.DataFrame(
        {"measure": ["smile_mimicry", "yawn_contagion"], "verdict": ["not_detected", "detected"], "effect": [0.29, 4.0]}
    )
    assert lay_index(rows, 0.3) == pytest.approx(100 * (0 + 0.75) / 2)  # yawn part 1 - 1/4
    rows.loc[0, "verdict"] = "detected"
    assert lay_index(rows, 0.3) == pytest.approx(100 * (0.29 / 0.3 + 0.75) / 2)
    rows.loc[1, "verdict"] = "insufficient_data"
    assert lay_index(rows, 0.3) == pytest.approx(100 * 0.29 / 0.3)
    rows.loc[0, "verdict"] = "not_detected"
    rows.loc[0, "effect"] = 5.0  # a large effect without a detection is still 0
    assert lay_index(rows, 0.3) == 0
    rows["verdict"] = "insufficient_data"
    assert np.isnan(lay_index(rows, 0.3))


# -- yawn contagion ------------------------------------------------------------------------------


def test_pseudo_onsets_mirror_the_yawn_clips():
    sp = spans(("yawn", 0, 30), ("control", 35, 65), ("yawn", 70, 100), ("control", 105, 125))
    on = pseudo_onsets(np.array([5.0, 20.0, 72.0, 95.0]), sp)
    np.testing.assert_allclose(on, [40.0, 55.0, 107.0])  # the second control is 20 s long: 95 - 70 = 25 > 20


def test_a_yawn_in_the_pause_after_a_yawn_clip_belongs_to_that_clip():
    sp = spans(("yawn", 0, 30), ("control", 35, 65))
    stim = np.array([25.0])
    pseudo = pseudo_onsets(stim, sp)
    t = np.arange(0, 80, 1 / FPS)
    x = yawn_exposure(t, np.ones(t.size, bool), FPS, np.array([32.0, 38.0, 62.0]), stim, pseudo)
    # 32 s (pause) and 38 s (start of the control clip) are within 15 s of the yawn at 25 s
    assert (x.yawns_yawn, x.yawns_control) == (2, 1)
    assert x.minutes_yawn == pytest.approx(15 / 60, abs=0.01) and x.minutes_control == pytest.approx(15 / 60, abs=0.01)


def test_exposure_counts_minutes_with_a_face():
    sp = spans(("yawn", 0, 30), ("control", 35, 65))
    stim = np.array([5.0])
    t = np.arange(0, 80, 1 / FPS)
    present = ~((t >= 10) & (t < 16))  # 6 s without a face inside the yawn window
    x = yawn_exposure(t, present, FPS, np.empty(0), stim, pseudo_onsets(stim, sp))
    assert x.minutes_yawn == pytest.approx(9 / 60, abs=0.01) and x.minutes_control == pytest.approx(15 / 60, abs=0.01)


def _binomial_null(n: int, share: float = 0.5, size: int = 4000):
    n_y = np.random.default_rng(0).binomial(n, share, size)
    return n_y, n - n_y


def test_yawn_verdict_rules():
    ok = YawnExposure(6, 0, 3.0, 3.0, 18, 18)
    v = yawn_verdict(0, ok, _binomial_null(6))
    # all 6 in yawn windows: the null gives that with probability 1/64
    assert v["verdict"] == "detected" and v["p_value"] == pytest.approx(1 / 64, abs=0.004)
    assert v["effect"] == np.inf and v["ci_lo"] > 1
    v = yawn_verdict(0, YawnExposure(3, 3, 3.0, 3.0, 18, 18), _binomial_null(6))
    assert v["verdict"] == "not_detected" and v["effect"] == pytest.approx(1.0) and 0.4 < v["p_value"] < 0.75
    for x, why in (
        (YawnExposure(1, 0, 3.0, 3.0, 18, 18), "too few"),
        (YawnExposure(6, 0, 3.0, 0.2, 18, 18), "need"),
        (YawnExposure(0, 0, 3.0, 3.0, 18, 18), "too few"),
        (YawnExposure(0, 0, 0.0, 3.0, 0, 18), "no yawn in the clips"),
        (YawnExposure(6, 0, 3.0, 0.0, 18, 0), "no control clip"),
    ):
        v = yawn_verdict(0, x, _binomial_null(x.yawns_yawn + x.yawns_control))
        assert v["verdict"] == "insufficient_data" and why in v["reason"] and np.isnan(v["p_value"])


def test_yawn_null_shifts_the_viewer_s_yawns_as_one_train():
    from mimicry.analysis.verdicts import yawn_null

    stim = np.array([10.0, 100.0])
    pseudo = np.array([55.0, 145.0])
    viewer = np.array([12.0, 102.0])  # 90 s apart, like the two stimulus yawns
    n_y, n_c = yawn_null(viewer, stim, pseudo, (0.0, 180.0), 4000, np.random.default_rng(1))
    assert n_y.shape == (4000,) and ((n_y + n_c) <= 2).all()
    # shifted together, the two land in the two yawn windows together (shifts of 88-103 s: 15 of
    # the 150 s of allowed shifts; shifts under 15 s either way are left out) ...
    assert (n_y == 2).mean() == pytest.approx(15 / 150, abs=0.02)
    # ... and never one in a yawn window and the other in a control window, as independent yawns would
    assert not ((n_y == 1) & (n_c == 1)).any()


def test_a_viewer_who_yawns_after_the_yawns_is_detected_over_3_minutes():
    """Six yawn and six control clips in a shuffled order (as the shipped protocol): a viewer who
    yawns 4 s after each yawn shown is detected; the same yawns after the same moments of the
    control clips instead are not."""
    from mimicry.analysis.alignment import block_spans
    from mimicry.session.simulate import bumps

    blocks = tuple(str(b) for b in np.random.default_rng(2).permutation(["yawn", "control"] * 6))
    s = simulate_session(blocks=blocks, smile_lag_s=None, yawn_lag_s=4.0, events_per_block=3, seed=5)
    res = analyze(s.frames, s.stimulus_log, FPS, FAST)
    c = res.contagion.iloc[0]
    assert c.minutes_yawn_windows >= 2.5 and c.yawns_yawn_windows >= 12 and c.yawns_control_windows == 0
    v = verdict(res, "yawn_contagion")
    assert v.verdict == "detected" and v.p_value < 0.01
    mirrored = pseudo_onsets(s.truth["actor_yawn_onsets"], block_spans(s.stimulus_log)) + 4.0
    t = s.frames.t_s.to_numpy()
    frames = s.frames.assign(yawn=np.clip(bumps(t, mirrored, 2.0, 1.5, 1.0), 0, 1))
    res2 = analyze(frames, s.stimulus_log, FPS, FAST)
    c2 = res2.contagion.iloc[0]
    assert c2.yawns_control_windows >= 12 and c2.yawns_yawn_windows == 0
    assert verdict(res2, "yawn_contagion").verdict == "not_detected"


# -- the data cannot answer ----------------------------------------------------------------------


def test_no_face_no_smiles_no_yawns_give_insufficient_data():
    s = simulate_session(blocks=("smile", "yawn", "control"), seed=8)
    frames = s.frames.assign(detected=0, smile=np.nan, yawn=np.nan)
    res = analyze(frames, s.stimulus_log, FPS, FAST)
    # a face id that never found a face (the one-face tracker's id 0) is no viewer: no verdict about it
    assert res.verdicts.empty and res.contagion.empty and list(res.verdicts.columns) == VERDICTS.names
    seen_once = frames.copy()
    seen_once.loc[seen_once.index[100], ["detected", "smile", "yawn"]] = (1, 0.1, 0.0)
    res = analyze(seen_once, s.stimulus_log, FPS, FAST)
    assert set(res.verdicts.verdict) == {"insufficient_data"} and set(res.verdicts.face) == {0}
    only_yawns = simulate_session(blocks=("yawn", "control"), seed=9)
    v = verdict(analyze(only_yawns.frames, only_yawns.stimulus_log, FPS, FAST), "smile_mimicry")
    assert v.verdict == "insufficient_data" and "no actor smile" in v.reason
    only_smiles = simulate_session(blocks=("smile", "control"), seed=9)
    v = verdict(analyze(only_smiles.frames, only_smiles.stimulus_log, FPS, FAST), "yawn_contagion")
    assert v.verdict == "insufficient_data" and "no yawn" in v.reason
    empty = analyze(s.frames.iloc[:0], s.stimulus_log, FPS, FAST)  # no camera frame at all
    assert empty.verdicts.empty and list(empty.trials.columns) == TRIALS.names


# -- trials.csv ----------------------------------------------------------------------------------


def test_trials_one_row_per_actor_event_and_face():
    s = simulate_session(blocks=("smile", "yawn", "control"), smile_lag_s=0.8, yawn_lag_s=4.0, seed=12)
    second = s.frames.assign(
        face=pd.array([1] * len(s.frames), dtype="Int64"),
        smile=0.0 * s.frames.smile,
        yawn=0.0 * s.frames.yawn,
        yaw_deg=-20.0,
    )
    frames = pd.concat([s.frames.assign(yaw_deg=10.0), second]).sort_values(["t_s", "face"], kind="stable")
    res = analyze(frames, s.stimulus_log, FPS, FAST)
    tr = res.trials
    assert list(tr.columns) == TRIALS.names
    n_smile, n_yawn = len(s.truth["actor_smile_onsets"]), len(s.truth["actor_yawn_onsets"])
    for face in (0, 1):
        f = tr[tr.face == face]
        assert (f.event == "smile").sum() == n_smile and (f.event == "yawn").sum() == n_yawn
        assert (f.event == "pseudo_yawn").sum() == n_yawn  # one control clip mirrors the one yawn clip
        assert set(f.loc[f.event == "smile", "kind"]) == {"smile"} and set(f.loc[f.event == "pseudo_yawn", "kind"]) == {
            "control"
        }
    f0, f1 = tr[tr.face == 0], tr[tr.face == 1]
    assert f0.loc[f0.event == "smile", "responded"].mean() > 0.5 and f1.responded.sum() == 0
    assert (f0.loc[f0.event == "yawn", "latency_s"] > 3.5).all() and f0.loc[
        f0.event == "pseudo_yawn", "latency_s"
    ].isna().all()
    np.testing.assert_allclose(f0.head_yaw_deg, 10.0)
    np.testing.assert_allclose(f1.head_yaw_deg, 20.0)  # absolute head turn
    np.testing.assert_allclose(tr.valid_share, 1.0)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_the_docs_mixed_model_example_runs_on_trials(tmp_path):
    """The statsmodels block of docs/methods/analysis.md, on the trials.csv of six simulated participants (three who
    follow the actor's smiles, three who do not): the intercept is the mean smile response."""
    import re
    from pathlib import Path

    from mimicry.session.folder import analyze_session, write_session

    readme = (Path(__file__).parent.parent / "docs" / "methods" / "analysis.md").read_text(encoding="utf-8")
    code = re.search(r"<!-- example: mixedlm -->\n```python\n(.*?)```", readme, flags=re.DOTALL).group(1)
    folders = []
    for i, lag in enumerate((0.7, 0.8, 0.9, None, None, None)):
        s = simulate_session(blocks=SMILE_BLOCKS, smile_lag_s=lag, yawn_lag_s=None, seed=40 + i)
        folder = write_session(tmp_path / f"s{i}", s.frames, s.stimulus_log, {**s.meta, "participant": f"P{i}"})
        analyze_session(folder, FAST)
        folders.append((folder, f"P{i}"))
    ns = {"folders": folders}
    exec(compile(code.replace("print(fit.summary())", "summary = fit.summary()"), "README", "exec"), ns)
    smiles = ns["smiles"]
    assert len(smiles) >= 6 * 11 and smiles.participant.nunique() == 6
    assert ns["fit"].fe_params["Intercept"] == pytest.approx(smiles.delta.mean(), abs=0.02)
    assert 0.05 < ns["fit"].fe_params["Intercept"] < 0.3  # half the participants follow
