"""Lagged cross-correlation of viewer and actor signals, and its windowed variant.

Lag convention: a positive lag means the viewer follows the stimulus (viewer sample at
``t + lag`` is paired with actor sample at ``t``). Lags are whole camera frames; the reported lag
has that resolution and no more.

Estimator: at each lag, the Pearson r of the (actor, viewer) pairs where both samples are
present. Computed from six lagged sums obtained with FFTs, for all lags and all surrogates at
once; blocks are pooled by adding their sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy.ndimage import maximum_filter1d


@dataclass(frozen=True)
class LagConfig:
    """Lag range and windowing of the synchrony measures."""

    min_lag_s: float = -2.0
    """Most negative lag (viewer before the stimulus), seconds."""
    max_lag_s: float = 5.0
    """Largest lag (viewer after the stimulus) of the smile cross-correlation and of the WLCC, seconds."""
    yawn_max_lag_s: float = 15.0
    """Largest lag of the yawn cross-correlation, seconds: contagious yawns come seconds after
    the yawn seen (the yawn-contagion window is 15 s too)."""
    min_pairs_s: float = 3.0
    """A lag needs at least this much paired data (seconds at the grid rate) to count."""
    window_s: float = 4.0
    """WLCC window length, seconds (Boker et al. 2002: windows short enough for the
    association to be locally stable, long enough for a correlation)."""
    step_s: float = 1.0
    """WLCC window increment, seconds."""
    window_min_valid: float = 0.8
    """Share of a window's samples that must be present in both series."""


DEFAULT_LAGS = LagConfig()


def lag_frames(fps: float, config: LagConfig = DEFAULT_LAGS, signal: str = "smile") -> np.ndarray:
    """The lags, in frames, from ``min_lag_s`` to ``max_lag_s`` (``yawn_max_lag_s`` for ``yawn``)."""
    top = config.yawn_max_lag_s if signal == "yawn" else config.max_lag_s
    return np.arange(int(np.ceil(config.min_lag_s * fps - 1e-9)), int(np.floor(top * fps + 1e-9)) + 1)


@dataclass
class XcorrParts:
    """The sums behind a Pearson r at every lag, kept apart so that blocks can be pooled (pooled r
    is the Pearson r of all blocks' lagged pairs together).

    Each array has shape (..., n_lags): pair count ``n`` and sums of x, y, x^2, y^2 and x*y over
    the pairs present at that lag.
    """

    n: np.ndarray
    sx: np.ndarray
    sy: np.ndarray
    sxx: np.ndarray
    syy: np.ndarray
    sxy: np.ndarray

    _FIELDS = ("n", "sx", "sy", "sxx", "syy", "sxy")

    def __add__(self, other: XcorrParts) -> XcorrParts:
        return XcorrParts(*(getattr(self, k) + getattr(other, k) for k in self._FIELDS))

    def r(self, min_pairs: int) -> np.ndarray:
        """Pearson r per lag; NaN where fewer than ``min_pairs`` pairs or no variance."""
        n = self.n
        cov = n * self.sxy - self.sx * self.sy
        vx = n * self.sxx - self.sx**2
        vy = n * self.syy - self.sy**2
        den = np.sqrt(np.clip(vx, 0, None) * np.clip(vy, 0, None))
        ok = (n >= max(min_pairs, 3)) & (den > 1e-9 * np.maximum(n, 1) ** 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(ok, np.clip(cov / np.where(ok, den, 1.0), -1.0, 1.0), np.nan)


def xcorr_parts(x: np.ndarray, y: np.ndarray, lags: np.ndarray, single: bool = False) -> XcorrParts:
    """Lagged Pearson sums of actor ``x`` (N,) with viewer ``y`` (N,) or surrogates (S, N).

    At lag L, sample ``x[t]`` pairs with ``y[t + L]``; pairs with a missing value are skipped,
    so r at each lag is the exact Pearson r of the pairs present. ``single``: compute the
    cross-product sums in single precision (3.5x faster FFTs; r then differs by ~1e-6, used
    for surrogate batches only).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    one_row = y.ndim == 1
    y2d = y[None, :] if one_row else y
    xm = np.isfinite(x)
    ym = np.isfinite(y2d)
    # centring does not change r and keeps the sums well conditioned
    x0 = np.where(xm, x - (x[xm].mean() if xm.any() else 0.0), 0.0)
    y0 = np.where(ym, y2d - (y2d[ym].mean() if ym.any() else 0.0), 0.0)
    n_samples = x.size
    span = int(np.max(np.abs(lags))) if lags.size else 0
    size = sfft.next_fast_len(n_samples + span + 1, real=True)
    idx = lags % size

    def spec(a):
        return sfft.rfft(a, size, axis=-1, workers=-1)

    def back(a):
        return sfft.irfft(a, size, axis=-1, workers=-1)[..., idx]

    fx = np.conj(spec(x0))
    if single:
        sxy = back(np.conj(spec(x0.astype(np.float32))) * spec(y0.astype(np.float32))).astype(float)
    else:
        sxy = back(fx * spec(y0))
    # Sums over one series only: with no gaps in the other series they are sums over the
    # overlap [max(0, L), min(N, N + L)), read off prefix sums instead of more FFTs.
    lo_y, hi_y = np.maximum(lags, 0), np.minimum(n_samples, n_samples + lags)  # y indices paired at lag L
    lo_x, hi_x = np.maximum(-lags, 0), np.minimum(n_samples, n_samples - lags)  # x indices paired at lag L

    def window_sums(a, lo, hi):
        c = np.concatenate([np.zeros(a.shape[:-1] + (1,)), np.cumsum(a, axis=-1)], axis=-1)
        return c[..., hi] - c[..., lo]

    if xm.all():
        sy, syy = window_sums(y0, lo_y, hi_y), window_sums(y0**2, lo_y, hi_y)
    else:
        fxm = np.conj(spec(xm.astype(float)))
        sy, syy = back(fxm * spec(y0)), back(fxm * spec(y0**2))
    if ym.all():
        n1, sx1, sxx1 = (window_sums(a, lo_x, hi_x) for a in (xm.astype(float), x0, x0**2))
        n, sx, sxx = (np.broadcast_to(a, sxy.shape) for a in (n1, sx1, sxx1))
    else:
        fym = spec(ym.astype(float))
        n, sx, sxx = back(np.conj(spec(xm.astype(float))) * fym), back(fx * fym), back(np.conj(spec(x0**2)) * fym)
    parts = XcorrParts(np.rint(n), sx, sy, sxx, syy, sxy)
    if one_row:
        parts = XcorrParts(*(getattr(parts, k)[0] for k in XcorrParts._FIELDS))
    return parts


def xcorr_parts_shifted(x: np.ndarray, y: np.ndarray, lags: np.ndarray, shifts: np.ndarray) -> XcorrParts:
    """:func:`xcorr_parts` of ``x`` with every circular shift of ``y`` at once, without building them.

    Equal to ``xcorr_parts(x, circular_shifts(y, ...), lags)`` for the same ``shifts`` (row k
    rotates ``y`` by ``shifts[k]``), but costs one length-N circular correlation per sum plus a
    small edge correction per shift instead of one long FFT per surrogate: rotating ``y`` only
    moves the circular cross-correlation, and the linear sum at lag L differs from the circular
    one by the |L| pairs that wrap around, which depend on ``y`` only near the rotation point.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    size = x.size
    shifts = np.asarray(shifts, dtype=np.int64) % size
    xm, ym = np.isfinite(x), np.isfinite(y)
    x0 = np.where(xm, x - (x[xm].mean() if xm.any() else 0.0), 0.0)
    y0 = np.where(ym, y - (y[ym].mean() if ym.any() else 0.0), 0.0)
    f_side = {"x": x0, "xx": x0**2, "mx": xm.astype(float)}
    g_side = {"y": y0, "yy": y0**2, "my": ym.astype(float)}
    pos = int(max(lags.max(), 0)) if lags.size else 0
    neg = int(max(-lags.min(), 0)) if lags.size else 0
    # y values near each rotation point: gidx[k, w] = (w - neg - shift_k) mod size, w < neg + pos
    w = np.arange(-neg, pos)
    gidx = (w[None, :] - shifts[:, None]) % size
    spectra = {k: np.fft.rfft(v) for k, v in {**f_side, **g_side}.items()}
    out = {}
    for name, (fk, gk) in {
        "sxy": ("x", "y"),
        "sx": ("x", "my"),
        "sxx": ("xx", "my"),
        "sy": ("mx", "y"),
        "syy": ("mx", "yy"),
        "n": ("mx", "my"),
    }.items():
        f, g = f_side[fk], g_side[gk]
        circ = np.fft.irfft(np.conj(spectra[fk]) * spectra[gk], size)  # circ[k] = sum_t f[t] g[(t + k) % size]
        total = circ[(lags[None, :] - shifts[:, None]) % size]
        gw = g[gidx]  # (S, neg + pos)
        # wrapped pairs: lag L > 0 drops t in [size - L, size); lag L < 0 drops t in [0, -L)
        corr = np.zeros((shifts.size, lags.size))
        if pos:
            u, lag_p = np.arange(pos)[:, None], np.arange(1, pos + 1)[None, :]
            fpos = np.where(u < lag_p, f[np.clip(size - lag_p + u, 0, size - 1)], 0.0)  # (pos, pos)
            e_pos = gw[:, neg:] @ fpos  # column L-1: the correction for lag L
            sel = lags > 0
            corr[:, sel] = e_pos[:, lags[sel] - 1]
        if neg:
            v, m = np.arange(-neg, 0)[:, None], np.arange(1, neg + 1)[None, :]
            fneg = np.where(v >= -m, f[np.clip(v + m, 0, size - 1)], 0.0)  # (neg, neg)
            e_neg = gw[:, :neg] @ fneg  # column m-1: the correction for lag -m
            sel = lags < 0
            corr[:, sel] = e_neg[:, -lags[sel] - 1]
        out[name] = total - corr
    return XcorrParts(np.rint(out["n"]), out["sx"], out["sy"], out["sxx"], out["syy"], out["sxy"])


def peak(r: np.ndarray, lags: np.ndarray, fps: float) -> tuple[float, float]:
    """Highest r over lags (NaN lags ignored) and its lag in seconds; (NaN, NaN) if none."""
    if r.size == 0 or not np.isfinite(r).any():
        return float("nan"), float("nan")
    i = int(np.nanargmax(r))
    return float(r[i]), float(lags[i] / fps)


def peaks(r: np.ndarray) -> np.ndarray:
    """Row-wise maximum over lags of an (S, n_lags) array, NaN rows -> NaN."""
    out = np.full(r.shape[0], np.nan)
    ok = np.isfinite(r).any(axis=1)
    out[ok] = np.nanmax(r[ok], axis=1)
    return out


def wlcc(x: np.ndarray, y: np.ndarray, fps: float, config: LagConfig = DEFAULT_LAGS) -> dict[str, float]:
    """Summary of :func:`wlcc_windows`: mean and SD of the per-window peak r and lag."""
    return summarize_wlcc(*wlcc_windows(x, y, fps, config))


def summarize_wlcc(best_r: np.ndarray, best_lag_s: np.ndarray) -> dict[str, float]:
    """``wlcc_r_mean, wlcc_r_sd, wlcc_lag_mean_s, wlcc_lag_sd_s, wlcc_windows`` of window peaks."""
    ok = np.isfinite(best_r) & np.isfinite(best_lag_s)
    r, lag = np.asarray(best_r)[ok], np.asarray(best_lag_s)[ok]
    sd = lambda a: float(a.std(ddof=1)) if a.size > 1 else float("nan")
    return {
        "wlcc_r_mean": float(r.mean()) if r.size else float("nan"),
        "wlcc_r_sd": sd(r),
        "wlcc_lag_mean_s": float(lag.mean()) if lag.size else float("nan"),
        "wlcc_lag_sd_s": sd(lag),
        "wlcc_windows": int(r.size),
    }


def wlcc_windows(
    x: np.ndarray, y: np.ndarray, fps: float, config: LagConfig = DEFAULT_LAGS
) -> tuple[np.ndarray, np.ndarray]:
    """Windowed lagged cross-correlation (Boker, Xu, Rotondo & King 2002).

    For windows of ``window_s`` starting every ``step_s`` on the actor series, Pearson r with the
    viewer window shifted by each lag (``min_lag_s`` ... ``max_lag_s``); each window's peak r and
    its lag are kept. A window counts where both series have at least ``window_min_valid`` of
    its samples; missing samples count as the series mean.

    Returns
    -------
    best_r, best_lag_s : np.ndarray
        Per window: the peak r over lags and its lag in seconds (NaN where the window has too
        little data).
    """
    return wlcc_null(x, y, fps, config, np.empty(0, dtype=np.int64))[0]


def wlcc_null(x: np.ndarray, y: np.ndarray, fps: float, config: LagConfig, shifts: np.ndarray):
    """:func:`wlcc_windows` and, for each circular shift of ``y`` in ``shifts`` (row k is
    ``y[(j - shifts[k]) % N]``), the sum and count of its per-window peak r.

    Every window of ``x`` is correlated with the ``y`` window at every position at once (one FFT
    per window); a shifted ``y`` only moves which positions each window meets, so surrogates
    cost a lookup each.

    Returns
    -------
    (best_r, best_lag_s), (sums, counts)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    shifts = np.asarray(shifts, dtype=np.int64)
    w, step = int(round(config.window_s * fps)), max(1, int(round(config.step_s * fps)))
    lags = lag_frames(fps, config)
    n = x.size
    starts = np.arange(-int(lags.min()), n - w - int(lags.max()) + 1, step)
    sums, counts = np.zeros(shifts.size), np.zeros(shifts.size, dtype=np.int64)
    if starts.size == 0 or w < 3:
        return (np.empty(0), np.empty(0)), (sums, counts)
    ym = np.isfinite(y)
    y0 = np.where(ym, y - (y[ym].mean() if ym.any() else 0.0), 0.0)
    wrap = np.arange(n + w) % n  # y read circularly, so that shifted windows wrap as the shift does
    yc, mc = y0[wrap], ym[wrap].astype(float)

    def win_sum(a):
        c = np.concatenate([[0.0], np.cumsum(a)])
        return c[w : w + n] - c[:n]

    var_y = win_sum(yc**2) - win_sum(yc) ** 2 / w
    y_ok = (win_sum(mc) >= config.window_min_valid * w) & (var_y > 1e-12)
    size = sfft.next_fast_len(n + 2 * w, real=True)
    fy = sfft.rfft(yc, size)
    best_r, best_lag = np.full(starts.size, np.nan), np.full(starts.size, np.nan)
    for lo in range(0, starts.size, 64):  # 64 windows at a time: an (64, N) matrix, not (n_windows, N)
        sl = slice(lo, lo + 64)
        r = _window_r(x, starts[sl], w, config.window_min_valid, fy, size, n, var_y, y_ok)
        obs = r[np.arange(r.shape[0])[:, None], starts[sl][:, None] + lags[None, :]]
        ok = np.isfinite(obs).any(axis=1)
        k = np.argmax(np.where(np.isfinite(obs), obs, -np.inf), axis=1)
        best_r[sl] = np.where(ok, obs[np.arange(obs.shape[0]), k], np.nan)
        best_lag[sl] = np.where(ok, lags[k] / fps, np.nan)
        if shifts.size:
            # peak over lags at every position: best[i, j] = max over L of r[i, (j + L) % N]
            span = lags.size
            m = maximum_filter1d(np.where(np.isfinite(r), r, -np.inf), span, axis=1, mode="wrap")
            pos = (starts[sl][:, None] - shifts[None, :] + int(lags.min()) + span // 2) % n
            sur = m[np.arange(m.shape[0])[:, None], pos]  # (windows, shifts)
            fin = np.isfinite(sur)
            sums += np.where(fin, sur, 0.0).sum(axis=0)
            counts += fin.sum(axis=0)
    return (best_r, best_lag), (sums, counts)


def _window_r(x, starts, w, min_valid, fy, size, n, var_y, y_ok) -> np.ndarray:
    """Pearson r of each ``x`` window (at ``starts``) with the circular ``y`` window at every
    position 0 ... N-1: shape (len(starts), N), NaN where either window lacks data."""
    xw = np.lib.stride_tricks.sliding_window_view(x, w)[starts]
    mx = np.isfinite(xw)
    cnt = mx.sum(axis=1)
    mean = np.where(mx, xw, 0.0).sum(axis=1) / np.maximum(cnt, 1)
    xc = np.where(mx, xw - mean[:, None], 0.0)
    ssx = (xc**2).sum(axis=1)
    num = sfft.irfft(np.conj(sfft.rfft(xc, size, axis=1)) * fy[None, :], size, axis=1)[:, :n]
    den = np.sqrt(np.outer(ssx, np.clip(var_y, 0.0, None)))
    ok = (cnt >= min_valid * w)[:, None] & (ssx > 1e-12)[:, None] & y_ok[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, np.clip(num / np.where(ok, den, 1.0), -1.0, 1.0), np.nan)
