import time

import numpy as np
import pandas as pd
import pytest

from mimicry.schema import TRACK
from mimicry.sensing.capture import FrameSource
from mimicry.sensing.pipeline import TrackConfig, iter_track_rows
from mimicry.sensing.rows import RowAssembler, TrackedFace
from mimicry.sensing.signals import DEFAULT_CONFIG, median_width
from mimicry.sensing.tracking import FaceIdTracker
from mimicry.sensing.yawn import yawn_signal


def _face(key, opening, smile=0.0, face_px=200.0):
    sig = {k: 0.0 for k in ("smile", "blink", "mouth_open", "mouth_visible", "yaw_deg", "pitch_deg", "roll_deg")}
    sig["opening"], sig["smile"], sig["face_px"] = opening, smile, face_px
    return TrackedFace(key, sig, np.zeros((478, 3)), np.zeros(52))


def test_streaming_yawn_equals_offline_signal_and_rows_are_complete():
    """Rows come out a fixed 1 s behind, and their ``yawn`` equals :func:`yawn_signal` over the
    whole recording (the live decision needs no more than its look-ahead), with the face lost for
    half a second in the middle of a yawn."""
    rng = np.random.default_rng(1)
    n = 600
    t_all = np.arange(n) / 30
    opening = np.clip(0.8 * np.clip((t_all - 2) / 1.5, 0, 1) * (t_all < 6) + 0.1 * rng.random(n), 0, 1)
    opening += 0.8 * ((t_all > 10) & (t_all < 11.5))  # a quick held opening: not a yawn
    opening += 0.8 * np.clip((t_all - 13) / 1.2, 0, 1) * (t_all < 17)  # a yawn ...
    smile = np.where((t_all > 13) & (t_all < 17), 0.1 + 0.15 * rng.random(n), 0.0)  # mean below a laugh
    present = np.ones(n, bool)
    present[450:465] = False  # ... whose face is lost for half a second
    tracker = FaceIdTracker(min_hits=3)
    asm = RowAssembler(tracker, 1.0, single=True, memory_s=5.0)  # 1 s: 30 frames at 30 fps
    rows = []
    for i in range(n):
        t = i / 30
        faces = []
        if present[i]:
            (key,) = tracker.update(np.array([[0.4, 0.4, 0.6, 0.6]]), t)
            faces = [_face(key, opening[i], smile[i])]
        else:
            tracker.update(np.empty((0, 4)), t)
        rows += [r for r, _ in asm.push(i, t, faces)]
        assert len(rows) == max(0, i + 1 - 30)  # rows come out a fixed 1 s behind
    rows += [r for r, _ in asm.flush()]
    df = pd.DataFrame(rows)
    assert list(df.frame) == list(range(n))
    assert set(df.columns) <= set(TRACK.names)
    expected = yawn_signal(t_all, np.where(present, opening, np.nan), np.where(present, smile, np.nan))
    got = df.yawn.to_numpy()
    np.testing.assert_allclose(got[present], expected[present], atol=1e-12)
    assert got[(t_all > 3.5) & (t_all < 5.5)].min() > 0.9 and got[(t_all > 9) & (t_all < 12.5)].max() == 0
    assert got[(t_all > 14.5) & (t_all < 15)].min() > 0.5 and got[(t_all > 15.6) & (t_all < 17)].min() > 0.5
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


def test_streaming_yawn_is_in_seconds_at_any_frame_rate():
    """A slow 1.5 s opening is a yawn and a quick 0.8 s one is not at 30, 18 and 12 fps, with
    frames dropped at random; every row comes out at least the latency after its frame."""
    rng = np.random.default_rng(4)
    for fps in (30.0, 18.0, 12.0):
        t = np.arange(0, 12, 1 / fps)
        t = np.sort(t[rng.random(t.size) > 0.1])  # 10 % of frames dropped
        opening = 0.8 * np.clip((t - 2) / 1.5, 0, 1) * (t < 5) + np.where((t >= 7) & (t < 7.8), 0.8, 0.0)
        tracker = FaceIdTracker(min_hits=1)
        asm = RowAssembler(tracker, DEFAULT_CONFIG.yawn_latency_s, single=True, memory_s=5.0)
        rows = []
        for i, ti in enumerate(t):
            (key,) = tracker.update(np.array([[0.4, 0.4, 0.6, 0.6]]), ti)
            out = asm.push(i, ti, [_face(key, opening[i])])
            assert all(ti - r["t_s"] >= DEFAULT_CONFIG.yawn_latency_s - 1e-6 for r, _ in out)
            rows += [r for r, _ in out]
        rows += [r for r, _ in asm.flush()]
        y = pd.DataFrame(rows).yawn.to_numpy()
        np.testing.assert_allclose(y, yawn_signal(t, opening, np.zeros(t.size)))
        assert y[(t >= 3.5) & (t < 4.9)].min() == 1.0 and y[(t >= 6.5) & (t < 8.5)].max() == 0.0, fps


def test_mouth_visibility_reference_is_the_percentile_of_the_face_s_own_history():
    """The sorted history gives exactly numpy's 90th percentile of the last 30 s, per face."""
    from mimicry.sensing.history import MouthVisibility
    from mimicry.sensing.signals import mouth_visibility

    rng = np.random.default_rng(3)
    mv = MouthVisibility()
    seen: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for i in range(2000):
        t, key = i / 30, i % 2
        c = float(rng.uniform(5, 60)) if rng.random() > 0.05 else float("nan")
        got = mv.update(key, t, c)
        if np.isfinite(c):
            seen[key].append((t, c))
        recent = [v for s, v in seen[key] if s >= t - DEFAULT_CONFIG.visibility_history_s]
        want = mouth_visibility(c, np.percentile(recent, 90)) if np.isfinite(c) and recent else 1.0
        assert got == pytest.approx(float(want), abs=1e-12), i


def test_streaming_yawn_equals_offline_on_openings_that_cross_the_open_level_often():
    """The live window starts just before the sample's run; on random openings hovering round
    the open level, with frames dropped and the face missing at times, every value is still the
    whole recording's."""
    rng = np.random.default_rng(7)
    for fps in (30.0, 12.0):
        t = np.arange(0, 40, 1 / fps)
        t = np.sort(t[rng.random(t.size) > 0.15])
        level = np.repeat(rng.uniform(0.0, 0.9, t.size // 8 + 1), 8)[: t.size]
        opening = np.clip(level + rng.normal(0, 0.08, t.size), 0, 1)
        present = rng.random(t.size) > 0.03
        tracker = FaceIdTracker(min_hits=1)
        asm = RowAssembler(tracker, DEFAULT_CONFIG.yawn_latency_s, single=True, memory_s=5.0)
        rows = []
        for i, ti in enumerate(t):
            if present[i]:
                (key,) = tracker.update(np.array([[0.4, 0.4, 0.6, 0.6]]), ti)
                rows += [r for r, _ in asm.push(i, ti, [_face(key, opening[i])])]
            else:
                tracker.update(np.empty((0, 4)), ti)
                rows += [r for r, _ in asm.push(i, ti, [])]
        rows += [r for r, _ in asm.flush()]
        y = pd.DataFrame(rows).yawn.to_numpy()
        want = yawn_signal(t, np.where(present, opening, np.nan), np.zeros(t.size))
        np.testing.assert_allclose(y[present], want[present], atol=1e-12)
        assert want.max() > 0.5, fps  # the recording does hold yawns


@pytest.mark.mediapipe
def test_a_webcam_is_tracked_like_a_file_in_video_mode(monkeypatch, data_dir, tmp_path):
    """A webcam (here a fake one serving a real clip's frames) goes through MediaPipe's VIDEO
    mode and the native result reading, the path the file-backed tests exercise."""
    from mimicry.sensing import capture
    from mimicry.sensing.capture import read_frames
    from mimicry.sensing.pipeline import TrackConfig, open_landmarker, track_video

    frames = read_frames(data_dir / "single_face.mp4")[0][:40]

    class FakeWebcam:
        def __init__(self, index):
            self.n = 0

        def isOpened(self):
            return True

        def set(self, *a):
            return True

        def get(self, prop):
            h, w = frames[0].shape[:2]
            return {capture.cv2.CAP_PROP_FPS: 30.0, capture.cv2.CAP_PROP_FRAME_WIDTH: w}.get(
                prop, h if prop == capture.cv2.CAP_PROP_FRAME_HEIGHT else 0.0
            )

        def read(self):  # a 30 fps camera, unplugged after the clip's last frame
            self.n += 1
            if self.n > len(frames):
                return False, None
            time.sleep(1 / 30)
            return True, frames[self.n - 1].copy()

        def release(self):
            pass

    monkeypatch.setattr(capture.cv2, "VideoCapture", FakeWebcam)
    cam = capture.CameraSource(0)
    with open_landmarker(cam, TrackConfig()) as lm:
        assert lm.mode == "video" and lm._native is not None
    try:  # the camera delivers every frame, then stops (unplugged)
        with pytest.raises(capture.CaptureError, match="stopped delivering"):
            track_video(cam, tmp_path / "cam.csv", TrackConfig())
    finally:
        cam.close()
    rows = pd.read_csv(tmp_path / "cam.csv.partial")
    # every frame the camera captured waits in the backlog (60 frames) until it is tracked, however
    # slow the machine: all 40 have their rows, the last second's included, before the error
    assert cam.captured == len(frames) and cam.dropped == 0
    assert sorted(rows.frame.unique()) == list(range(len(frames)))
    assert rows.detected.mean() > 0.95


def _yawn_rows(face_px_at, *, smile: float) -> pd.DataFrame:
    """The rows of one face yawning from 2 s (10 s at 30 fps) through the assembler, frame ``i``
    measuring ``face_px_at(i)`` px wide."""
    tracker = FaceIdTracker(min_hits=1)
    asm = RowAssembler(tracker, 1.0, single=True, memory_s=5.0)
    rows = []
    for i in range(300):
        t = i / 30
        (key,) = tracker.update(np.array([[0.4, 0.4, 0.6, 0.6]]), t)
        opening = 0.8 * np.clip((t - 2) / 1.5, 0, 1) * (t < 6)  # a yawn from 2 s
        rows += [r for r, _ in asm.push(i, t, [_face(key, opening, smile, face_px=face_px_at(i))])]
    return pd.DataFrame(rows + [r for r, _ in asm.flush()])


@pytest.mark.parametrize(
    ("face_px", "smile_given", "yawn_given"), [(200.0, True, True), (50.0, True, False), (30.0, False, False)]
)
def test_a_face_too_small_for_a_signal_has_that_signal_missing(face_px, smile_given, yawn_given):
    """Below a signal's minimum face width (smile 40 px, yawn 64 px) the row leaves it empty,
    even in the middle of a yawn; the other columns and the face itself stay."""
    from mimicry.sensing.signals import DEFAULT_CONFIG

    assert (DEFAULT_CONFIG.smile_min_face_px, DEFAULT_CONFIG.yawn_min_face_px) == (40.0, 64.0)
    df = _yawn_rows(lambda i: face_px, smile=0.3)
    assert (df.detected == 1).all() and (df.face_px == face_px).all()
    assert df.smile.notna().all() == smile_given and df.smile.isna().all() != smile_given
    assert df.yawn.notna().all() == yawn_given and df.yawn.isna().all() != yawn_given
    if yawn_given:
        assert df.yawn[(df.t_s > 4) & (df.t_s < 5.5)].min() > 0.5


class _Blank(FrameSource):
    """Blank frames at ``fps`` for ``seconds``."""

    def __init__(self, fps: float, seconds: float):
        super().__init__("all")
        self.fps, self.n = fps, int(round(fps * seconds))

    def _produce(self):
        for k in range(self.n):
            yield np.zeros((8, 8, 3), np.uint8), k / self.fps


class _Counting:
    """A landmarker that finds nothing and notes when it was asked."""

    def __init__(self):
        self.asked_s: list[float] = []

    @staticmethod
    def prepare(image):
        return None

    def detect(self, image, t_s=0.0, prepared=None):
        self.asked_s.append(t_s)
        return []

    def close(self):
        pass


@pytest.mark.parametrize("fps", [12.0, 15.0, 30.0, 60.0])
@pytest.mark.parametrize("max_faces, tracked_hz", [(8, None), (9, 10.0), (30, 10.0)])
def test_a_class_is_tracked_ten_times_a_second_from_any_frame_rate(fps, max_faces, tracked_hz):
    """From CROWD_FROM faces on, frames are taken on a 10-Hz grid (the others skipped); fewer
    faces, every frame. Each tracked frame gets its row; a skipped one none."""
    lm = _Counting()
    with _Blank(fps, 4.0) as source:
        rows = [row for row, _ in iter_track_rows(source, TrackConfig(max_faces=max_faces), landmarker=lm)]
    asked = np.array(lm.asked_s)
    assert [r["t_s"] for r in rows] == lm.asked_s
    if tracked_hz is None:
        assert len(asked) == round(4.0 * fps)
        return
    expected = min(fps, tracked_hz) * 4.0
    assert abs(len(asked) - expected) <= 1
    assert np.diff(asked).max() <= max(1.0 / fps, 1.0 / tracked_hz) * 2 + 1e-9
    assert np.diff(asked).min() >= min(1.0 / fps, 1.0 / tracked_hz) - 1e-9


def test_crowd_hz_must_be_positive():
    with pytest.raises(ValueError, match="crowd_hz"):
        TrackConfig(max_faces=9, crowd_hz=0)


@pytest.mark.parametrize(("usual_px", "odd_px", "yawn_given"), [(60.0, 66.0, False), (70.0, 60.0, True)])
def test_the_minimum_widths_apply_to_the_face_s_median_width_not_frame_by_frame(usual_px, odd_px, yawn_given):
    """A face measuring a few px either side of the yawn floor (64 px) on single frames is judged
    by its median width over 2 s: the odd frames neither give it a yawn nor take it away."""
    df = _yawn_rows(lambda i: odd_px if i % 7 == 0 else usual_px, smile=0.0)
    assert set(df.face_px) == {usual_px, odd_px}  # the rows keep what each frame measured
    offline = median_width(df.t_s.to_numpy(), df.face_px.to_numpy())  # the same median, offline
    assert (df.yawn.isna().to_numpy() == (offline < 64.0)).all()
    yawning = df[(df.t_s > 3.5) & (df.t_s < 5.5)]
    if yawn_given:
        assert yawning.yawn.notna().all() and (yawning.yawn > 0.5).all()
    else:
        assert df.yawn.isna().all()
