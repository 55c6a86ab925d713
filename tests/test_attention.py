"""Looking at the screen, from head pose (mimicry.analysis.attention), and its use in the analysis."""

import numpy as np
import pandas as pd

from mimicry.analysis import AnalysisConfig, AttentionConfig, analyze, attending
from mimicry.session.simulate import simulate_session

FPS = 30.0
FAST = AnalysisConfig(n_surrogates=100, n_wlcc_surrogates=5)


def with_pose(frames: pd.DataFrame, away: tuple[float, float], camera_yaw: float = 20.0) -> pd.DataFrame:
    """Pose columns: a usual pose 20 degrees to the side (a camera beside the screen), and a head
    turned 45 degrees further during ``away``."""
    t = frames["t_s"].to_numpy()
    yaw = np.where((t >= away[0]) & (t < away[1]), camera_yaw + 45.0, camera_yaw + np.sin(t) * 5)
    return frames.assign(yaw_deg=yaw, pitch_deg=-8.0 + np.cos(t) * 3)


def test_attending_is_relative_to_the_face_s_own_pose():
    s = simulate_session(blocks=("smile", "control"), seed=2)
    frames = with_pose(s.frames, (20.0, 24.0))
    att = attending(frames)
    t = frames["t_s"]
    assert not att[(t >= 20.0) & (t < 24.0)].any()
    assert att[(t < 19.0) | (t >= 25.0)].all()  # 20 degrees off the camera is the usual pose: attending
    assert attending(s.frames).all()  # no pose columns: nothing says they looked away
    assert attending(frames, AttentionConfig(cone_deg=60.0)).all()


def test_looking_away_lowers_valid_share_and_can_be_left_out():
    s = simulate_session(blocks=("smile", "smile", "control"), smile_lag_s=0.8, yawn_lag_s=None, seed=3)
    first = float(s.truth["actor_smile_onsets"][0])
    frames = with_pose(s.frames, (first - 1.0, first + 3.0))  # looked away over the whole first trial
    res = analyze(frames, s.stimulus_log, FPS, FAST)
    tr = res.trials[res.trials.event == "smile"].reset_index(drop=True)
    i = int(np.argmin(np.abs(tr.onset_s - first)))  # the trial of that smile (onset at its threshold crossing)
    first = tr.onset_s[i]
    tr = tr.set_index("onset_s")
    assert tr.loc[first, "valid_share"] < 0.35 and (tr.drop(index=first).valid_share > 0.95).all()
    kept = res.verdicts.set_index("measure").loc["smile_mimicry", "n_events"]
    out = analyze(
        frames,
        s.stimulus_log,
        FPS,
        AnalysisConfig(n_surrogates=100, n_wlcc_surrogates=5, attention=AttentionConfig(exclude=True)),
    )
    assert out.verdicts.set_index("measure").loc["smile_mimicry", "n_events"] == kept - 1  # that trial is out
    assert (
        out.trials.set_index("onset_s").loc[first, "response"] != out.trials.set_index("onset_s").loc[first, "response"]
    )
