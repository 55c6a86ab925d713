"""The sentences about a person (mimicry.report.sentences) say what their counts rest on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mimicry.report.sentences import smile_sentence


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
