import numpy as np
import pandas as pd

from mimicry.schema import TRACK
from mimicry.sensing.pipeline import RowAssembler, TrackedFace
from mimicry.sensing.signals import sustained
from mimicry.sensing.tracking import FaceIdTracker


def _face(key, drive):
    sig = {k: 0.0 for k in ("smile", "blink", "mouth_open", "mouth_visible", "yaw_deg", "pitch_deg", "roll_deg")}
    sig["yawn_drive"] = drive
    return TrackedFace(key, sig, np.zeros((478, 3)), np.zeros(52))


def test_streaming_yawn_equals_offline_filter_and_rows_are_complete():
    rng = np.random.default_rng(1)
    n, window = 200, 31
    drive = np.clip(np.convolve(rng.random(n), np.ones(9) / 9, "same") + (np.arange(n) > 120) * 0.5, 0, 1)
    present = np.ones(n, bool)
    present[60:75] = False  # face lost for half a second
    tracker = FaceIdTracker(min_hits=3)
    asm = RowAssembler(tracker, 1.0, single=True, memory_s=5.0)  # 1 s: 31 frames at 30 fps
    rows = []
    for i in range(n):
        t = i / 30
        faces = []
        if present[i]:
            (key,) = tracker.update(np.array([[0.4, 0.4, 0.6, 0.6]]), t)
            faces = [_face(key, drive[i])]
        else:
            tracker.update(np.empty((0, 4)), t)
        rows += [r for r, _ in asm.push(i, t, faces)]
        assert len(rows) == max(0, i + 1 - 30)  # rows come out a fixed 1 s behind
    rows += [r for r, _ in asm.flush()]
    df = pd.DataFrame(rows)
    assert list(df.frame) == list(range(n))
    assert set(df.columns) <= set(TRACK.names)
    expected = sustained(np.where(present, drive, np.nan), window)
    got = df.yawn.to_numpy()
    np.testing.assert_allclose(got[present], expected[present], atol=1e-12)
    assert (df.detected == present.astype(int)).all()
    assert df.loc[~present, "face"].eq(0).all()  # a lost single face keeps id 0 on its empty rows


def test_multi_face_rows_include_lost_faces_until_memory_runs_out():
    tracker = FaceIdTracker(min_hits=1, memory_s=1.0)
    asm = RowAssembler(tracker, 0.1, single=False, memory_s=1.0)
    rows = []
    for i in range(90):
        t = i / 30
        boxes = [[0.1, 0.1, 0.3, 0.3]] + ([[0.6, 0.1, 0.8, 0.3]] if i < 30 else [])
        keys = tracker.update(np.array(boxes), t)
        rows += [r for r, _ in asm.push(i, t, [_face(k, 0.0) for k in keys])]
    rows += [r for r, _ in asm.flush()]
    df = pd.DataFrame(rows)
    second = df[df.face == 1]
    assert second.detected.sum() == 30
    lost = second[second.detected == 0]
    assert lost.t_s.max() <= 29 / 30 + 1.0 + 1e-9 and len(lost) >= 29
    assert df.groupby("frame").face.apply(lambda f: f.is_unique).all()


def test_streaming_yawn_window_is_in_seconds_at_any_frame_rate():
    """A 1.3 s opening survives and a 0.7 s one is removed at 30, 18 and 12 fps, with frames
    dropped at random: the window is 1 s of timestamps, not a count of frames."""
    from mimicry.sensing.signals import sustained_t

    rng = np.random.default_rng(4)
    for fps in (30.0, 18.0, 12.0):
        t = np.arange(0, 12, 1 / fps)
        t = np.sort(t[rng.random(t.size) > 0.1])  # 10 % of frames dropped
        drive = np.where((t >= 2) & (t < 3.3), 0.9, 0.0) + np.where((t >= 6) & (t < 6.7), 0.9, 0.0)
        tracker = FaceIdTracker(min_hits=1)
        asm = RowAssembler(tracker, 1.0, single=True, memory_s=5.0)
        rows = []
        for i, ti in enumerate(t):
            (key,) = tracker.update(np.array([[0.4, 0.4, 0.6, 0.6]]), ti)
            out = asm.push(i, ti, [_face(key, drive[i])])
            assert all(ti - r["t_s"] >= 1.0 - 1e-6 for r, _ in out)  # one second of look-ahead
            rows += [r for r, _ in out]
        rows += [r for r, _ in asm.flush()]
        y = pd.DataFrame(rows).yawn.to_numpy()
        np.testing.assert_allclose(y, sustained_t(t, drive, 1.0))
        assert y[(t >= 2.2) & (t < 3.1)].min() == 0.9 and y[(t >= 5.5) & (t < 7.5)].max() == 0.0, fps
