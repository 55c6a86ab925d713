"""The sentences about a person (mimicry.report.sentences) say what their counts rest on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mimicry.report.sentences import index_basis, index_interval, smile_sentence


def verdict(n: int) -> pd.Series:
    return pd.Series(
        {
            "verdict": "detected",
            "n_events": n,
            "effect": 0.4,
            "ci_lo": 0.2,
            "ci_hi": 0.6,
            "p_value": 0.004,
            "reason": np.nan,
        }
    )


def trials(k: int) -> pd.DataFrame:
    return pd.DataFrame({"responded": [1] * k, "latency_s": [0.8] * k})


def test_a_smile_left_out_of_the_test_is_named_where_the_count_is_given():
    """Issue 32: "3 smiles in the video" beside a timeline with 4 read as a contradiction."""
    text = smile_sentence(verdict(3), trials(4), "You", "your")
    assert "3 of the 4 smiles in the video: 1 without the face in view around it" in text
    assert "2 of the 4 smiles in the video: 2 without the face in view around them" in smile_sentence(
        verdict(2), trials(4), "You", "your"
    )


def test_when_every_smile_counts_the_sentence_says_only_how_many():
    text = smile_sentence(verdict(4), trials(4), "You", "your")
    assert "; 4 smiles in the video)" in text and "without the face in view" not in text


def _verdicts(smile: dict, yawn: dict) -> pd.DataFrame:
    base = {"ci_lo": np.nan, "ci_hi": np.nan, "p_value": np.nan, "reason": np.nan}
    return pd.DataFrame([{**base, "measure": "smile_mimicry", **smile}, {**base, "measure": "yawn_contagion", **yawn}])


SMILE_3 = {"verdict": "detected", "n_events": 3, "effect": 0.4, "ci_lo": 0.2, "ci_hi": 0.6}
CANNOT_TELL = {"verdict": "insufficient_data", "n_events": 1, "effect": np.nan, "reason": "too few yawns"}


def test_the_index_says_it_rests_on_three_smiles_alone_when_the_yawn_test_cannot_tell():
    """Issue 32: "mimicry index 100/100" on 3 events beside "cannot tell" for yawns."""
    v = _verdicts(SMILE_3, CANNOT_TELL)
    assert index_interval(v) == pytest.approx((100 * 0.2 / 0.3, 100.0))  # the effect's 95 % CI, on the index scale
    assert index_basis(v) == (
        "95% interval 67 to 100; from the smile test alone (3 smiles in the video); "
        "the yawn test could not tell and does not count"
    )
    assert index_basis(v, yawns_shown=False) == "95% interval 67 to 100; from the smile test (3 smiles in the video)"


def test_the_index_of_two_tests_names_both_and_spans_their_intervals():
    yawn = {"verdict": "detected", "n_events": 5, "effect": 4.0, "ci_lo": 1.25, "ci_hi": np.inf}
    v = _verdicts(SMILE_3, yawn)
    lo, hi = index_interval(v)
    assert lo == pytest.approx(100 * (0.2 / 0.3 + (1 - 1 / 1.25)) / 2) and hi == pytest.approx(100.0)
    assert index_basis(v) == (
        "95% interval 43 to 100; from the smile test (3 smiles in the video) and the yawn test (5 viewer yawns)"
    )
    not_smiling = {**SMILE_3, "verdict": "not_detected", "effect": 0.01, "ci_lo": -0.1, "ci_hi": 0.12}
    lo, hi = index_interval(_verdicts(not_smiling, yawn))
    assert lo == pytest.approx(100 * (1 - 1 / 1.25) / 2) and hi == pytest.approx(50.0)  # a part not detected is 0
