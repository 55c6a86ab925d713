"""Group statistics over participants (mimicry.analysis.group), against the textbook formulas
and SciPy's own tests on tables with known answers."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, ttest_1samp

from mimicry.analysis.group import group_tests, holm, participants, wilson, yawn_contagion_test


def test_mcnemar_exact_per_participant():
    # 8 participants yawned only in yawn windows, 1 only in control windows, 3 in both, 4 in neither
    yawn = [1] * 8 + [0] + [2] * 3 + [0] * 4
    ctrl = [0] * 8 + [1] + [1] * 3 + [0] * 4
    df = pd.DataFrame(
        {
            "folder": [f"s{i}" for i in range(16)],
            "participant": [f"P{i}" for i in range(16)],
            "face": pd.array([0] * 16, dtype="Int64"),
            "minutes_yawn_windows": 1.0,
            "minutes_control_windows": 1.0,
            "yawns_yawn_windows": yawn,
            "yawns_control_windows": ctrl,
        }
    )
    test = yawn_contagion_test(participants(df))
    assert (test.n, test.yawn_only, test.control_only, test.both, test.neither) == (16, 8, 1, 3, 4)
    assert test.p_mcnemar == pytest.approx(2 * (1 + 9 - 9 / 2) / 2**9)  # two-sided mid-p, 1 of 9 discordant
    assert test.odds_ratio == pytest.approx(8.0)
    lo, hi = binomtest(8, 9).proportion_ci(0.95, method="exact")
    assert test.odds_ratio_ci == pytest.approx((lo / (1 - lo), hi / (1 - hi)))
    df.loc[0, "minutes_control_windows"] = 0.0  # had no control window: not a pair
    assert yawn_contagion_test(participants(df)).n == 15
    # a second session (or face) of P1 (yawned only in control) is the same participant, not a 17th pair
    again = pd.concat([df, df.iloc[[8]].assign(folder="s8b", yawns_yawn_windows=3, yawns_control_windows=0)])
    test = yawn_contagion_test(participants(again))
    assert test.n == 15 and test.both == 4 and test.control_only == 0


def test_group_statistics():
    assert wilson(0, 10)[0] == 0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)  # the textbook example
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, np.nan, 0.03])), [0.03, 0.06, np.nan, 0.06])
    people = pd.DataFrame(
        {
            "unit": list("abcdef"),
            "n_faces": 1,
            "yawn_windows": True,
            "yawned_yawn": [True, True, True, False, False, True],
            "yawned_control": False,
            "yawn_rate_diff": [0.5, 0.4, 0.6, -0.1, 0.0, 0.3],
            "smile_effect": [0.2, 0.1, 0.3, 0.25, np.nan, 0.15],
            "smile_detected": True,
            "smile_wlcc_z": [1.0, 0.5, 2.0, 1.5, 0.2, 0.1],
        }
    )
    t = group_tests(people).set_index("measure")
    assert list(t.role) == ["primary", "primary", "secondary", "secondary"]
    eff = np.array([0.2, 0.1, 0.3, 0.25, 0.15])
    assert t.loc["smile_mimicry", "n_participants"] == 5 and t.loc["smile_mimicry", "effect"] == pytest.approx(
        eff.mean()
    )
    assert t.loc["smile_mimicry", "p_value"] == pytest.approx(ttest_1samp(eff, 0).pvalue)
    assert t.loc["yawn_contagion", "p_value"] == pytest.approx(2 * 0.5 / 2**4)  # mid-p: 4 of 4 discordant after yawns
    sec = t[t.role == "secondary"]
    np.testing.assert_allclose(sec.p_holm, holm(sec.p_value.to_numpy()))
