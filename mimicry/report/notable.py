"""The report's "Notable events": what interrupted a session, each kind once where it repeats."""

from __future__ import annotations

import pandas as pd

NOTABLE_EVENTS = ("pause", "resume", "camera_lost", "camera_end", "stimulus_drop", "abort", "markers_lost")
"""Events of ``events_log.csv`` that the report lists."""


def notable_events(events_log: pd.DataFrame) -> pd.DataFrame:
    """The notable rows of an events log (``t_s``, ``event``, ``block``, ``detail``), with every
    ``stimulus_drop`` (detail: frames dropped) folded into one row at the first: how many times,
    how many frames in all, the worst and when (a long session under load drops dozens of times)."""
    notable = events_log[events_log["event"].isin(NOTABLE_EVENTS)]
    drops = notable[notable["event"] == "stimulus_drop"]
    rest = notable[notable["event"] != "stimulus_drop"]
    if len(drops) <= 1:
        return notable
    frames = pd.to_numeric(drops["detail"], errors="coerce").fillna(0).astype(int)
    worst = int(frames.idxmax())
    row = {
        "t_s": drops["t_s"].iloc[0],
        "event": "stimulus_drop",
        "block": pd.NA,
        "detail": f"{len(drops)} times, {int(frames.sum())} frames in all; the worst {int(frames[worst])} frames "
        f"at {float(drops.loc[worst, 't_s']):.1f} s (block {drops.loc[worst, 'block']})",
    }
    out = pd.concat([rest, pd.DataFrame([row])], ignore_index=True)
    return out.sort_values("t_s", kind="stable").reset_index(drop=True)
