"""Speed of the analysis: 1000 surrogates on a 10-minute, 30 Hz, one-face session.

    python benchmarks/analysis_speed.py [--surrogates N] [--repeats R]

Two layouts of the same 10 minutes: one continuous 10-minute block (the goal's case: one
viewer series, 1000 circular shifts, all lags -2 ... +5 s, the WLCC and its 200 surrogates) and a
protocol of ten 55 s blocks with pauses. Prints the median wall time of `analyze` (alignment,
cross-correlation with surrogates, WLCC z, events, the primary tests with their 1000 random-onset
and yawn-shift surrogates, trials) and the cost per surrogate series. Goal: < 1 s for the first
case on this 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from mimicry.analysis import AnalysisConfig, analyze
from mimicry.analysis.surrogates import random_shifts
from mimicry.analysis.synchrony import DEFAULT_LAGS, lag_frames, wlcc_null, xcorr_parts_shifted
from mimicry.session.simulate import simulate_session


def timed(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--surrogates", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    config = AnalysisConfig(n_surrogates=args.surrogates)
    one = simulate_session(blocks=("smile",), block_s=600.0, baseline_s=0.0, isi_s=0.0, events_per_block=40, seed=1)
    ten = simulate_session(blocks=("smile", "control") * 5, block_s=55.0, baseline_s=5.0, isi_s=5.0, seed=1)
    n = len(one.frames)
    print(
        f"session: {n} camera frames ({n / 30 / 60:.1f} min at 30 Hz), one face, {args.surrogates} surrogates, "
        f"lags -2 ... +5 s; median of {args.repeats} runs"
    )
    med, runs = timed(lambda: analyze(one.frames, one.stimulus_log, 30.0, config), args.repeats)
    print(f"analyze, one 10-min block      : {med:.3f} s  runs {[round(r, 3) for r in runs]}")
    med2, runs2 = timed(lambda: analyze(ten.frames, ten.stimulus_log, 30.0, config), args.repeats)
    print(f"analyze, ten 55 s blocks       : {med2:.3f} s  runs {[round(r, 3) for r in runs2]}")
    # the surrogate core alone: cross-correlation of 1000 surrogates with the actor, all lags
    y = one.frames.smile.to_numpy()
    x = np.interp(one.frames.t_s, one.stimulus_log.t_s, one.stimulus_log.smile)
    lags = lag_frames(30.0)
    rng = np.random.default_rng(0)
    med3, _ = timed(lambda: xcorr_parts_shifted(x, y, lags, random_shifts(y.size, args.surrogates, rng)), args.repeats)
    med4, _ = timed(lambda: wlcc_null(x, y, 30.0, DEFAULT_LAGS, random_shifts(y.size, 200, rng)), args.repeats)
    print(
        f"core: {args.surrogates} circular shifts : {med3:.3f} s  ({med3 / args.surrogates * 1e3:.3f} ms per surrogate)"
    )
    print(f"core: WLCC and 200 surrogates : {med4:.3f} s")
    print(f"goal: analyze of the 10-min session < 1 s -> {'met' if med < 1.0 else 'NOT met'} ({med:.3f} s)")


if __name__ == "__main__":
    main()
