"""LabRecorder in the tests: the ``labrecorder`` package's own recorder (liblsl's XDF writer) records
every stream of the given types into an XDF file, as a lab would with LabRecorder.

    python tests/xdf_recorder.py OUT.xdf STOP_FILE PRESENTER

It waits until the presenter's stream (named PRESENTER) and mimicry's two (``mimicry``, type
FaceSignals, and ``mimicry-markers``) are on (loopback) LSL, records those three until STOP_FILE
exists, then closes the file. Run with ``LSLAPICFG`` pointing at tests/lsl_api.cfg.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import labrecorder  # before pylsl: it brings its own liblsl
import pylsl


def main() -> None:
    out, stop, presenter = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    wanted = {presenter, "mimicry", "mimicry-markers"}
    deadline = time.monotonic() + 60
    found: dict = {}  # one discovery round on loopback does not always see every stream: gather
    while set(found) != wanted:
        if time.monotonic() > deadline:
            sys.exit(f"xdf_recorder: found {sorted(found)} of {sorted(wanted)}")
        for name in sorted(wanted - set(found)):
            for s in pylsl.resolve_byprop("name", name, minimum=1, timeout=1.0):
                found[s.name()] = s
    with labrecorder.Recording(str(out), list(found.values())):
        out.with_suffix(".started").touch()
        while not stop.exists():
            time.sleep(0.05)


if __name__ == "__main__":
    main()
