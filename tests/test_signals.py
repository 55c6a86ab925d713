"""The expression signals on real photos and clips and on synthetic faces with known truth."""

import cv2
import numpy as np
import pytest

from mimicry.sensing.signals import DEFAULT_CONFIG, frame_signals, head_pose
from mimicry.sensing.yawn import yawn_signal

# -- pure maths ------------------------------------------------------------------------------


def test_head_pose_of_known_rotations():
    def rot(yaw, pitch, roll):
        y, p, r = np.radians([yaw, pitch, roll])
        ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
        rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
        rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
        m = np.eye(4)
        m[:3, :3] = ry @ rx @ rz
        return m

    got = head_pose(np.stack([rot(20, 0, 0), rot(0, -15, 0), rot(0, 0, 10)]))
    np.testing.assert_allclose(got, [[20, 0, 0], [0, 15, 0], [0, 0, 10]], atol=1e-6)


# -- real photos -----------------------------------------------------------------------------


def _signals(landmarker, image):
    faces = landmarker.detect(image)
    h, w = image.shape[:2]
    return [frame_signals(f.blendshapes[None], f.landmarks[None], f.matrix[None], w, h) for f in faces]


@pytest.mark.parametrize(
    "name, smile_range, mouth_open_range",
    [
        ("0-f1-su-ph.jpg", (0.0, 0.2), (0.6, 1.0)),  # surprise: open mouth, not a smile
        ("0-f15-hao-ph.jpg", (0.6, 1.0), (0.0, 0.3)),  # happy
        ("15-f13-anc-ph.jpg", (0.0, 0.2), (0.0, 0.3)),  # anger
        ("45-m7-di-ph.jpg", (0.0, 0.2), (0.0, 0.3)),  # disgust
        ("single_face.jpg", (0.6, 1.0), (0.0, 0.3)),
        ("astronaut.jpg", (0.6, 1.0), (0.0, 0.3)),
    ],
)
def test_posed_photos(landmarker, data_dir, name, smile_range, mouth_open_range):
    (s,) = _signals(landmarker, cv2.imread(str(data_dir / name)))
    assert smile_range[0] <= s["smile"][0] <= smile_range[1]
    assert mouth_open_range[0] <= s["mouth_open"][0] <= mouth_open_range[1]
    for k in ("smile", "blink", "mouth_open", "opening"):
        assert 0.0 <= s[k][0] <= 1.0


def test_group_photo_one_smiling_one_not(landmarker, data_dir):
    sig = _signals(landmarker, cv2.imread(str(data_dir / "multi_face.jpg")))
    smiles = sorted(s["smile"][0] for s in sig)
    assert len(sig) == 2
    assert smiles[0] < 0.2 and smiles[1] > 0.6


def test_head_pose_follows_image_rotation_and_mirroring(landmarker, data_dir):
    img = cv2.imread(str(data_dir / "astronaut.jpg"))
    h, w = img.shape[:2]
    (base,) = _signals(landmarker, img)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 15, 1.0)  # +15 deg = counter-clockwise
    (rot,) = _signals(landmarker, cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    assert rot["roll_deg"][0] - base["roll_deg"][0] == pytest.approx(15, abs=3)
    (flip,) = _signals(landmarker, cv2.flip(img, 1))
    assert flip["roll_deg"][0] == pytest.approx(-base["roll_deg"][0], abs=2)
    assert flip["yaw_deg"][0] == pytest.approx(-base["yaw_deg"][0], abs=3)
    # the disgust photo is turned: yaw sign agrees with the nose lying off the eyes' midpoint
    dis = cv2.imread(str(data_dir / "45-m7-di-ph.jpg"))
    face = landmarker.detect(dis)[0]
    (s,) = _signals(landmarker, dis)
    nose_offset = face.landmarks[1, 0] - (face.landmarks[33, 0] + face.landmarks[263, 0]) / 2
    assert abs(s["yaw_deg"][0]) > 10 and np.sign(s["yaw_deg"][0]) == np.sign(nose_offset)


def test_pose_correction_keeps_smile_low_for_a_neutral_face_tilted_down(landmarker):
    """Pitching a neutral head down raises the (deeper) lip corners in the image; the
    frontalisation must not read that as a smile."""
    import synth

    img, _ = synth.neutral_face()
    h, w = img.shape[:2]
    # perspective squeeze of the lower half: the face seen from slightly above
    src = np.float32([[0, 0], [w, 0], [0, h], [w, h]])
    dst = np.float32([[0, 0], [w, 0], [w * 0.08, h * 0.92], [w * 0.92, h * 0.92]])
    tilted = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE)
    (s,) = _signals(landmarker, tilted)
    assert s["smile"][0] < 0.2


# -- synthetic faces ---------------------------------------------------------------------------


def test_synthetic_grimace_is_not_a_smile(landmarker):
    """Lip corners pulled straight out (AU20, grimace/crying) widen the mouth without lifting it."""
    import synth

    img, xy = synth.neutral_face()
    for corners, jaw in (((0.15, 0.0), 0.0), ((0.15, 0.0), 0.1), ((0.12, -0.03), 0.2)):
        (s,) = _signals(landmarker, synth.warp_face(img, xy, jaw, corners=corners))
        assert s["smile"][0] < 0.35, (corners, jaw, s["smile"][0])


def test_yawn_that_lifts_the_lip_corners_is_not_a_smile(landmarker):
    import synth

    img, xy = synth.neutral_face()
    for lift in (0.03, 0.06):
        (s,) = _signals(landmarker, synth.warp_face(img, xy, 0.5, eyes=0.4, corners=(0.0, lift)))
        assert s["smile"][0] < 0.2 and s["opening"][0] > 0.6, (lift, s["smile"][0], s["opening"][0])


def test_synthetic_yawn_scores_high_with_onset_inside_the_rise(yawn_track):
    df, course = yawn_track
    assert (df.detected == 1).all()
    t = df.t_s.to_numpy()
    yawn = df.yawn.to_numpy()
    assert yawn.max() > 0.7
    assert yawn[t < 0.9].max() < 0.05 and yawn[t > 6.2].max() < 0.05
    onset = t[np.argmax(yawn > 0.5)]
    assert 1.0 < onset < 3.5  # crosses half-height during the 1.0-3.5 s rise
    peak_hold = (t > 3.6) & (t < 4.9)
    assert yawn[peak_hold].mean() > 0.7
    assert df.smile.max() < 0.35  # the open mouth is not read as a smile
    assert df.mouth_open[peak_hold].mean() > 0.8


def test_synthetic_talking_is_not_a_yawn(talking_track, yawn_track):
    df, course = talking_track
    assert (df.detected == 1).all()
    # the mouth does open as wide as in the yawn, but only for a fraction of a second at a time
    assert df.mouth_open.max() > 0.7
    assert df.yawn.max() < 0.3
    assert yawn_track[0].yawn.max() - df.yawn.max() > 0.4


def test_static_surprised_face_is_not_a_yawn(landmarker, data_dir):
    """A surprised mouth (the jaw drops at once) held still for 3 s: as wide as a yawn, but not
    opened slowly, and not held long enough to make up for that."""
    (s,) = _signals(landmarker, cv2.imread(str(data_dir / "0-f1-su-ph.jpg")))
    assert s["opening"][0] > DEFAULT_CONFIG.yawn_wide  # wide enough: only its time course rejects it
    t = np.arange(120) / 30
    held = yawn_signal(t, np.where(t >= 1, s["opening"][0], 0.0), np.where(t >= 1, s["smile"][0], 0.0))
    assert held.max() == 0.0


@pytest.mark.mediapipe
def test_smile_onset_on_real_clip(data_dir, tmp_path):
    from conftest import track_file

    df = track_file(data_dir / "single_face.mp4", tmp_path / "sf.csv")
    assert len(df) == 72 and (df.detected == 1).all()
    t, smile = df.t_s.to_numpy(), df.smile.to_numpy()
    assert smile[t < 0.55].max() < 0.15
    # the smile relaxes in the last two frames (checked by eye: lips close at frame 71)
    assert smile[(t > 0.8) & (t < 2.25)].min() > 0.6
    assert smile[-1] < 0.3
    # truth: the raw mouthSmile score jumps between frames 19 and 21 (t = 0.63-0.70 s)
    onset_frame = int(np.argmax(smile > 0.5))
    assert 19 <= onset_frame <= 22
    assert df.yawn.max() < 0.05


def test_frame_signals_same_on_all_landmarks_or_the_geometry_subset(landmarker, data_dir):
    from mimicry.sensing.signals import GEOMETRY_POINTS, frontalize, mouth_geometry

    img = cv2.imread(str(data_dir / "0-f15-hao-ph.jpg"))
    f = landmarker.detect(img)[0]
    full = mouth_geometry(frontalize(f.landmarks[None], f.matrix[None], 512, 512))
    sub = mouth_geometry(frontalize(f.landmarks[None, GEOMETRY_POINTS], f.matrix[None], 512, 512))
    for k in full:
        np.testing.assert_allclose(full[k], sub[k])


def test_blink_on_shut_and_open_eyes(landmarker, data_dir):
    import synth

    img, xy = synth.neutral_face()
    (shut,) = _signals(landmarker, synth.close_eyes(img, xy))
    (open_,) = _signals(landmarker, img)
    assert shut["blink"][0] > 0.6 and open_["blink"][0] < 0.2
    for name in ("single_face.jpg", "0-f15-hao-ph.jpg", "astronaut.jpg", "multi_face.jpg", "0-f1-su-ph.jpg"):
        for s in _signals(landmarker, cv2.imread(str(data_dir / name))):
            assert s["blink"][0] < 0.2, name


def test_hand_over_the_mouth_is_not_a_smile(landmarker, data_dir, tmp_path):
    """MediaPipe reads a smile under a hand over an angry face; mouth_visible must veto it."""
    import synth
    from conftest import track_file

    img = cv2.imread(str(data_dir / "15-f13-anc-ph.jpg"))
    h, w = img.shape[:2]
    face = landmarker.detect(img)[0]
    covered = synth.cover_mouth(img, face.landmarks[:, :2] * (w, h))
    raw = landmarker.detect(covered)[0].blendshapes[44:46].mean()
    assert raw > 0.3  # the hazard is real: the model hallucinates a smile under the hand
    path = tmp_path / "hand.mp4"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    for i in range(120):
        vw.write(img if i < 60 else covered)
    vw.release()
    df = track_file(path, tmp_path / "hand.csv")
    assert (df.detected == 1).all()
    assert df.mouth_visible[:60].min() > 0.9
    assert df.mouth_visible[60:].max() < 0.1
    assert df.smile[60:].max() < 0.1


@pytest.mark.slow
@pytest.mark.mediapipe
def test_uncovered_real_mouths_stay_visible(data_dir, tmp_path):
    from conftest import track_file

    for name in ("single_face.mp4", "face_noface.mov", "noface_face.mov"):
        df = track_file(data_dir / name, tmp_path / "v.csv")
        assert df.loc[df.detected == 1, "mouth_visible"].min() > 0.9, name


def _open_mouth(au12: float, width: float, gap: float = 0.45, lift: float = 0.02):
    from mimicry.schema import BLENDSHAPE_NAMES

    bs = np.zeros((1, len(BLENDSHAPE_NAMES)))
    bs[0, BLENDSHAPE_NAMES.index("mouthSmileLeft")] = bs[0, BLENDSHAPE_NAMES.index("mouthSmileRight")] = au12
    return bs, {"mouth_width": np.array([width]), "lip_gap": np.array([gap]), "corner_lift": np.array([lift])}


def test_an_open_mouthed_smile_is_a_smile_when_the_mouth_is_pulled_wide():
    """A laugh (mouth open, corners pulled back: wider than the face's neutral mouth) is a smile;
    the same learned score on an open mouth that is not wider (a yawn) is not."""
    from mimicry.sensing.signals import smile_score

    laugh = smile_score(*_open_mouth(0.5, 0.58 * 1.35), neutral_width=0.58)
    yawn = smile_score(*_open_mouth(0.5, 0.58 * 1.0), neutral_width=0.58)
    assert laugh[0] > 0.8 and yawn[0] == 0.0
    # the reference is the face's own: a wide mouth by nature is not a smile
    assert smile_score(*_open_mouth(0.5, 0.75), neutral_width=0.75)[0] == 0.0
    # closed mouth: unchanged, lift and learned score
    closed = smile_score(*_open_mouth(0.8, 0.58, gap=0.0, lift=0.06), neutral_width=0.58)
    assert closed[0] == pytest.approx(np.sqrt(0.8))


def test_neutral_width_is_the_face_s_own_after_enough_calm_frames():
    from mimicry.schema import BLENDSHAPE_NAMES
    from mimicry.sensing.history import NeutralWidth
    from mimicry.sensing.signals import DEFAULT_CONFIG, is_neutral_mouth

    nw = NeutralWidth()
    assert nw.get(0) == DEFAULT_CONFIG.neutral_width
    for i in range(9):
        nw.update(0, i / 30, 0.70, True)
    nw.update(0, 0.3, 0.95, False)  # a smile is not a neutral frame
    assert nw.get(0) == DEFAULT_CONFIG.neutral_width  # 9 calm frames: not yet
    nw.update(0, 0.33, 0.70, True)
    assert nw.get(0) == pytest.approx(0.70) and nw.get(1) == DEFAULT_CONFIG.neutral_width
    nw.update(0, 100.0, 0.5, False)  # 30 s later the old frames are forgotten
    assert nw.get(0) == DEFAULT_CONFIG.neutral_width
    bs = np.zeros((2, len(BLENDSHAPE_NAMES)))
    bs[1, BLENDSHAPE_NAMES.index("jawOpen")] = 0.3
    assert list(is_neutral_mouth(bs)) == [True, False]
