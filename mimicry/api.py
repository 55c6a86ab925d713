"""The notebook API: track a video, read a session, analyse it, simulate one, in one call each.

The command line is a thin layer over the same functions; these return DataFrames instead of
writing files.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .analysis import AnalysisConfig, AnalysisResult
from .analysis import analyze as _analyze_frames
from .schema import TRACK
from .sensing.capture import open_source
from .sensing.pipeline import TrackConfig, iter_track_rows
from .session.folder import SessionData, read_session


def track(
    video: str | Path | int, max_faces: int = 1, seconds: float | None = None, model: str | Path | None = None
) -> pd.DataFrame:
    """Signals of every face in every frame of a video (or a webcam, by index).

    Parameters
    ----------
    video : str, Path or int
        A video file, or a camera index.
    max_faces : int
        Faces tracked at once, 1-8.
    seconds : float, optional
        Stop after this many seconds of input (needed for a camera).
    model : str or Path, optional
        Another Face Landmarker ``.task`` bundle instead of the bundled one.

    Returns
    -------
    pd.DataFrame
        The columns of :data:`mimicry.schema.TRACK` (``t_s`` in seconds, signals 0-1, pose in
        degrees, the 52 blendshapes), one row per frame and face.

    Examples
    --------
    >>> import mimicry
    >>> df = mimicry.track("tests/data/single_face.mp4")  # a 2.4 s clip of a man who smiles
    >>> df[["t_s", "smile"]].max().round(1).tolist()
    [2.4, 1.0]
    """
    config = TrackConfig(max_faces=max_faces, model=Path(model) if model is not None else None)
    limit = math.inf if seconds is None else float(seconds)
    rows: list[dict] = []
    with open_source(video) as source:
        for row, _face in iter_track_rows(source, config, stop=lambda: bool(rows) and rows[-1]["t_s"] >= limit):
            if row["t_s"] < limit:
                rows.append(row)
    df = pd.DataFrame(rows).reindex(columns=TRACK.names)
    df["face"] = df["face"].astype("Int64")
    return df


def analyze(session: SessionData | str | Path, config: AnalysisConfig | None = None) -> AnalysisResult:
    """Analyse a session (a folder, or :func:`read_session`'s result) without writing anything.

    Returns
    -------
    AnalysisResult
        ``verdicts``, ``trials``, ``scores``, ``events``, ``contagion``, ``xcorr`` (and
        ``calibration``) as DataFrames with the columns of :mod:`mimicry.schema`.

    Examples
    --------
    >>> import mimicry
    >>> from mimicry.analysis import AnalysisConfig
    >>> s = mimicry.simulate_session(blocks=("smile", "control", "smile", "control", "smile"),
    ...                              smile_lag_s=0.7, yawn_lag_s=None, seed=21)
    >>> result = mimicry.analyze(mimicry.SessionData(None, s.frames, s.stimulus_log, s.meta),
    ...                          AnalysisConfig(n_surrogates=200, n_wlcc_surrogates=20))
    >>> result.verdicts.set_index("measure").at["smile_mimicry", "verdict"]
    'detected'
    """
    data = session if isinstance(session, SessionData) else read_session(session)
    return _analyze_frames(
        data.frames,
        data.stimulus_log,
        data.camera_fps,
        config or AnalysisConfig(),
        calibration=data.meta.get("calibration"),
        timing=data.meta.get("timing"),
    )
