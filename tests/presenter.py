"""A stand-in for PsychoPy in the tests: an LSL ``Markers`` outlet that marks each clip's onset and
offset at given session times, stamped with those times (as PsychoPy stamps a flip), in real time.

    python tests/presenter.py SESSIONS_DIR MARKER@SECONDS ... [--name presenter] [--vanish-at S]

It waits for a consumer (``mimicry record``), then for the session's ``session.json`` to say where
session time 0 is on LSL's clock, and pushes each marker when its time comes. ``--vanish-at``: the
outlet disappears then without a word (a crashed presenter). Run with ``LSLAPICFG`` pointing at
tests/lsl_api.cfg (loopback only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pylsl


def session_zero(sessions: Path, timeout_s: float = 60.0) -> float:
    """LSL time of session time 0, from the first session.json in ``sessions`` that has it."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        for meta in sessions.glob("*/session.json"):
            try:
                zero = json.loads(meta.read_text())["markers"]["lsl_time_at_session_0_s"]
            except (ValueError, KeyError, TypeError, OSError):
                continue
            if zero is not None:
                return float(zero)
        time.sleep(0.02)
    sys.exit("presenter: no session started")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sessions", type=Path)
    ap.add_argument("markers", nargs="+", help="TEXT@SECONDS (session time)")
    ap.add_argument("--name", default="presenter")
    ap.add_argument("--vanish-at", type=float, default=None)
    a = ap.parse_args()
    info = pylsl.StreamInfo(a.name, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string, f"{a.name}-test")
    outlet = pylsl.StreamOutlet(info)
    if not outlet.wait_for_consumers(60.0):
        sys.exit("presenter: nobody connected")
    zero = session_zero(a.sessions)
    plan = sorted((float(t), text) for text, _, t in (m.rpartition("@") for m in a.markers))
    for t, text in plan:
        if a.vanish_at is not None and t >= a.vanish_at:
            break
        while pylsl.local_clock() < zero + t:
            time.sleep(0.005)
        outlet.push_sample([text], zero + t)
    if a.vanish_at is not None:
        while pylsl.local_clock() < zero + a.vanish_at:
            time.sleep(0.01)
    time.sleep(0.5)  # liblsl sends what it has before the outlet goes
    del outlet


if __name__ == "__main__":
    main()
