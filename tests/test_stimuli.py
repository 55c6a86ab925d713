"""The stimulus library: the shipped clips, the manifest, and `mimicry stimuli`."""

import re
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest
from bare_mediapipe import bare_pass, runs_s
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.errors import StimulusError
from mimicry.stimuli.library import KINDS, MANIFEST, default_library, load_library


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(r, pattern):
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error:"), r.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_shipped_manifest_is_complete():
    lib = load_library()
    assert lib.root == default_library()
    for kind in KINDS:
        assert len(lib.of_kind(kind)) >= 3
    total = sum(lib.clip_path(s).stat().st_size for s in lib.stimuli)
    assert total < 20e6
    for s in lib.stimuli:
        assert 15 <= s.duration_s <= 40
        assert s.source and s.license and s.description
        assert lib.track_path(s).is_file()


def test_stimuli_check_and_list_pass_on_the_shipped_library():
    r = run("stimuli", "check")
    assert r.exit_code == 0, r.output + r.stderr
    assert f"all {len(load_library().stimuli)} stimuli ok" in r.output, r.output
    r = run("stimuli", "list")
    assert r.exit_code == 0 and "yawn-man-a" in r.output and "license" in r.output


def test_stimuli_list_fits_the_terminal_unless_full():
    lib = load_library()
    r = CliRunner().invoke(main, ["stimuli", "list"], env={"COLUMNS": "100"})
    lines = r.output.splitlines()
    assert r.exit_code == 0 and len(lines) == len(lib.stimuli) + 1
    assert max(len(x) for x in lines) <= 100 and all(s.id in r.output for s in lib.stimuli)
    assert "…" in r.output
    r = CliRunner().invoke(main, ["stimuli", "list", "--full"], env={"COLUMNS": "100"})
    assert all(s.source in r.output and s.license in r.output for s in lib.stimuli)


@pytest.mark.slow
def test_independent_mediapipe_pass_confirms_every_clip_kind():
    """A bare MediaPipe loop (not mimicry's tracker) over every shipped clip, every fourth frame
    (6.25-7.5 Hz resolves runs of a second; benchmarks/validate_stimuli.py reads every frame),
    two clips at a time in separate processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    lib = load_library()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:  # one clip per core
        passes = pool.map(bare_pass, [lib.clip_path(s) for s in lib.stimuli], [s.fps for s in lib.stimuli], [4] * 99)
        passes = list(passes)
    for s, (jaw, smile, found) in zip(lib.stimuli, passes):
        rate = s.fps / 4
        assert found >= 0.9, (s.id, found)
        if s.kind == "yawn":
            assert (runs_s(jaw, rate, 0.4) >= 1.0).sum() >= 2, s.id  # several yawns, each >= 1 s wide open
        elif s.kind == "smile":
            assert (runs_s(smile, rate, 0.6) >= 1.0).sum() >= 1, s.id
            assert (runs_s(smile, rate, 0.6) > 0).sum() >= 2, s.id  # several smiles
        else:
            assert max(jaw) < 0.3 and max(smile) < 0.5, s.id


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("[[stimulus]\nid = 1", "TOML syntax error"),
        ("[[stimulus]]\nid = 'a'\n", "stimulus #1 \\(id 'a'\\): missing field"),
        ("colour = 'red'\n", "unknown top-level key"),
    ],
)
def test_manifest_errors_name_the_problem(tmp_path, text, pattern):
    (tmp_path / MANIFEST).write_text(text)
    with pytest.raises(StimulusError, match=pattern):
        load_library(tmp_path)


@pytest.mark.parametrize(
    "field, value, pattern",
    [
        ("kind", "laugh", "field 'kind' must be one of"),
        ("fps", "fast", "field 'fps' must be a number"),
        ("fps", -3, "field 'fps' must be between"),
        ("id", "Bad Id!", "field 'id' must be a slug"),
        ("sha256", "abc", "field 'sha256'"),
        ("file", "../../etc/passwd", "field 'file' must be a path inside"),
        ("extra", 1, "unknown field"),
        ("width", 0, "field 'width'"),
    ],
)
def test_manifest_entry_validation(tmp_path, field, value, pattern):
    import tomllib

    import tomli_w

    data = tomllib.loads((default_library() / MANIFEST).read_text())
    data["stimulus"][1][field] = value
    (tmp_path / MANIFEST).write_text(tomli_w.dumps(data))
    with pytest.raises(StimulusError, match=rf"stimulus #2 .*{pattern}"):
        load_library(tmp_path)


def test_duplicate_ids_are_refused(tmp_path):
    import tomllib

    import tomli_w

    data = tomllib.loads((default_library() / MANIFEST).read_text())
    data["stimulus"][2]["id"] = data["stimulus"][0]["id"]
    (tmp_path / MANIFEST).write_text(tomli_w.dumps(data))
    with pytest.raises(StimulusError, match="duplicate id"):
        load_library(tmp_path)


@pytest.fixture(scope="module")
def short_clips(tmp_path_factory):
    """A 6 s control clip and a 9 s yawn clip made with `mimicry stimuli make`."""
    d = tmp_path_factory.mktemp("clips")
    src = default_library() / "sources" / "man_neutral.png"
    assert (
        run(
            "stimuli",
            "make",
            "--photo",
            src,
            "--kind",
            "control",
            "--out",
            d / "ctl.mp4",
            "--seconds",
            "6",
            "--seed",
            "5",
            "--size",
            "256",
        ).exit_code
        == 0
    )
    assert (
        run(
            "stimuli",
            "make",
            "--photo",
            src,
            "--kind",
            "yawn",
            "--out",
            d / "yawn.mp4",
            "--seconds",
            "9",
            "--seed",
            "5",
            "--size",
            "256",
        ).exit_code
        == 0
    )
    return d


@pytest.mark.mediapipe
def test_make_is_deterministic(short_clips, tmp_path):
    src = default_library() / "sources" / "man_neutral.png"
    out = tmp_path / "again.mp4"
    assert (
        run(
            "stimuli",
            "make",
            "--photo",
            src,
            "--kind",
            "control",
            "--out",
            out,
            "--seconds",
            "6",
            "--seed",
            "5",
            "--size",
            "256",
        ).exit_code
        == 0
    )

    def frames(p):
        cap, out_ = cv2.VideoCapture(str(p)), []
        while True:
            ok, f = cap.read()
            if not ok:
                return np.array(out_)
            out_.append(f)

    a, b = frames(short_clips / "ctl.mp4"), frames(out)
    assert a.shape == b.shape and a.shape[0] == 150 and np.array_equal(a, b)
    other = tmp_path / "seed6.mp4"
    run(
        "stimuli",
        "make",
        "--photo",
        src,
        "--kind",
        "control",
        "--out",
        other,
        "--seconds",
        "6",
        "--seed",
        "6",
        "--size",
        "256",
    )
    assert not np.array_equal(a, frames(other))


@pytest.mark.slow
@pytest.mark.mediapipe
def test_add_good_clip_and_refusals_leave_the_manifest_untouched(short_clips, tmp_path, data_dir):
    lib = tmp_path / "lib"
    r = run(
        "stimuli",
        "add",
        short_clips / "ctl.mp4",
        "--kind",
        "control",
        "--library",
        lib,
        "--id",
        "calm-1",
        "--source",
        "test",
        "--license",
        "MIT",
    )
    assert r.exit_code == 0, r.stderr
    loaded = load_library(lib)
    assert [s.id for s in loaded.stimuli] == ["calm-1"] and loaded.track_path("calm-1").is_file()
    before = (lib / MANIFEST).read_bytes()
    files_before = sorted(p.relative_to(lib) for p in lib.rglob("*"))
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(np.random.default_rng(0).bytes(30000))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    cases = [
        ((junk, "--kind", "control"), "corrupt"),
        ((empty, "--kind", "control"), "empty"),
        ((tmp_path / "missing.mp4", "--kind", "control"), "not found"),
        ((data_dir / "no_face.mp4", "--kind", "control"), "no face found in most frames"),
        ((short_clips / "ctl.mp4", "--kind", "control", "--id", "calm-1"), "already"),
        ((short_clips / "ctl.mp4", "--kind", "laugh"), "unknown kind"),
        ((short_clips / "ctl.mp4", "--kind", "yawn", "--id", "not-a-yawn"), "does not look like a yawn"),
        ((short_clips / "yawn.mp4", "--kind", "control", "--id", "not-calm"), "does not look like a control"),
        ((short_clips / "ctl.mp4", "--kind", "control", "--id", "Bad Id"), "slug"),
    ]
    for args, pattern in cases:
        r = run("stimuli", "add", *args, "--library", lib)
        one_line_error(r, pattern)
        assert (lib / MANIFEST).read_bytes() == before
        assert sorted(p.relative_to(lib) for p in lib.rglob("*")) == files_before
    r = run("stimuli", "add", short_clips / "yawn.mp4", "--kind", "yawn", "--library", lib)
    assert r.exit_code == 0, r.stderr
    r = run("stimuli", "add", short_clips / "ctl.mp4", "--kind", "yawn", "--id", "forced", "--library", lib, "--force")
    assert r.exit_code == 0
    assert [s.id for s in load_library(lib).stimuli] == ["calm-1", "yawn-yawn", "forced"]
    # check spots a tampered clip and a forced, contradicting entry
    shutil.copyfile(short_clips / "yawn.mp4", lib / "clips" / "calm-1.mp4")
    r = run("stimuli", "check", "--library", lib)
    assert r.exit_code == 1 and "sha256" in r.output and "forced: no yawn-like opening" in r.output


def _source_photo(s) -> str:
    m = re.search(r"stimuli/sources/([\w.-]+?)(?=[:\s]|$)", s.source)
    assert m, (s.id, s.source)
    return m.group(1)


def test_shipped_clips_vary_in_identity_and_each_source_is_licensed():
    """Every kind shows at least three different source faces (not one actor re-framed), and
    every source file is in stimuli/sources with a row in its README naming the licence."""
    lib = load_library()
    readme = (lib.root / "sources" / "README.md").read_text()
    for kind in KINDS:
        photos = {_source_photo(s) for s in lib.of_kind(kind)}
        assert len(photos) >= 3, (kind, photos)
    for s in lib.stimuli:
        photo = _source_photo(s)
        assert (lib.root / "sources" / photo).is_file()
        row = next((x for x in readme.splitlines() if x.startswith(f"| {photo} |")), "")
        assert re.search(r"MIT|public domain", row.rsplit("|", 2)[-2]), (photo, row)
        assert ("public domain" in s.license) == ("public domain" in row.rsplit("|", 2)[-2]), s.id


def _smile_jaw(landmarker, img):
    from mimicry.schema import BLENDSHAPE_NAMES

    faces = landmarker.detect(img)
    assert faces, "face lost"
    b = dict(zip(BLENDSHAPE_NAMES, faces[0].blendshapes))
    return (b["mouthSmileLeft"] + b["mouthSmileRight"]) / 2, b["jawOpen"]


def _teeth_share(img, xy):
    """Share of the pixels inside the inner lip contour that are bright and grey, like teeth."""
    from mimicry.sensing.signals import LIPS_INNER

    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(xy[list(LIPS_INNER)]).astype(np.int32)], 255)
    sat = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1][mask > 0]
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[mask > 0]
    return float(((grey >= 215) & (sat < 70)).mean())


def test_unsmile_retouch_gives_a_neutral_face_and_the_photo_s_own_smile(landmarker, data_dir):
    """A photo smiling with teeth (the astronaut) becomes a closed-mouth neutral face; the smile
    morph's peak is the photo itself; a yawn from the neutral face opens wide without smiling."""
    from mimicry.stimuli.synth import (
        Retouch,
        hump,
        prepare_face,
        render_stimulus,
        unsmile_landmarks,
        warp_face,
    )

    photo = cv2.imread(str(data_dir / "astronaut.jpg"))
    h, w = photo.shape[:2]
    xy = landmarker.detect(photo)[0].landmarks[:, :2] * [w, h]
    rest = (-0.09, -0.12)
    closed, cxy, smiling = prepare_face(photo, xy, 300, 1.9, Retouch(unsmile=rest))
    neutral = warp_face(closed, cxy, corners=rest)
    smile_photo, _ = _smile_jaw(landmarker, smiling)
    smile_neutral, _ = _smile_jaw(landmarker, neutral)
    assert smile_photo > 0.8 and smile_neutral < 0.2, (smile_photo, smile_neutral)
    assert _teeth_share(smiling, cxy) > 0.25 and _teeth_share(closed, cxy) < 0.05  # the teeth are gone
    # the smile course: level 0 is the neutral face, level 1 the photo's own pixels
    t = np.arange(60) / 10.0
    level, zero = hump(t, 1.0, 0.5, 2.0, 0.5), np.zeros(60)
    plan = {
        "t_s": t,
        "jaw": zero,
        "eyes": zero,
        "dx": zero,
        "dy": zero,
        "roll_deg": zero,
        "corners_out": rest[0] * (1 - level),
        "corners_up": rest[1] * (1 - level),
        "teeth": np.clip((level - 0.25) / 0.45, 0, 1),
    }
    frames = list(render_stimulus(closed, cxy, plan, smiling))
    peak, calm = int(np.argmax(level)), int(np.argmin(level))
    assert level[peak] == 1.0 and level[calm] == 0.0
    assert np.array_equal(frames[peak], smiling)
    assert np.abs(frames[calm].astype(int) - neutral.astype(int)).max() <= 1
    # a yawn from the neutral face
    nxy = unsmile_landmarks(cxy, rest)
    smile_y, jaw_y = _smile_jaw(landmarker, warp_face(neutral, nxy, 0.55, 0.5))
    assert jaw_y >= 0.4 and smile_y < 0.6, (jaw_y, smile_y)


@pytest.mark.slow
def test_make_unsmile_from_the_cli(tmp_path, landmarker, data_dir):
    out = tmp_path / "s.mp4"
    r = run(
        "stimuli",
        "make",
        "--photo",
        data_dir / "astronaut.jpg",
        "--kind",
        "smile",
        "--out",
        out,
        "--seconds",
        "6",
        "--seed",
        "2",
        "--size",
        "240",
        "--unsmile",
        "-0.09",
        "-0.12",
    )
    assert r.exit_code == 0, r.stderr
    cap, smiles = cv2.VideoCapture(str(out)), []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        smiles.append(_smile_jaw(landmarker, f)[0])
    assert len(smiles) == 150 and min(smiles) < 0.3 and max(smiles) > 0.8, (min(smiles), max(smiles))
    r = run(
        "stimuli",
        "make",
        "--photo",
        data_dir / "astronaut.jpg",
        "--kind",
        "smile",
        "--out",
        tmp_path / "x.mp4",
        "--unsmile",
        "0.1",
        "-0.1",
    )
    assert r.exit_code == 2 and "--unsmile" in r.stderr


def test_an_opened_mouth_shows_a_real_mouth_inside_and_the_eyes_close_by_warping(landmarker, data_dir):
    """Synthetic yawns show the inside of a real open mouth (its teeth), not a painted throat, and
    read as a wide-open mouth, not a smile; eyes close by warping the lids down, nothing drawn."""
    from synth import _EYE_CONTOURS

    from mimicry.stimuli.library import default_library
    from mimicry.stimuli.mouth import mouth_interior, shipped_mouth_interior
    from mimicry.stimuli.synth import prepare_face, warp_face

    interior = shipped_mouth_interior(landmarker)
    assert interior.image.shape[0] > 20 and np.isfinite(interior.top).sum() > 40
    closed = cv2.imread(str(data_dir / "15-f13-anc-ph.jpg"))  # anger: lips pressed together
    with pytest.raises(ValueError, match="not open"):
        mouth_interior(closed, landmarker.detect(closed)[0].landmarks[:, :2] * closed.shape[1::-1])
    photo = cv2.imread(str(default_library() / "sources" / "man_neutral.png"))
    face, xy, _ = prepare_face(photo, landmarker.detect(photo)[0].landmarks[:, :2] * photo.shape[1::-1], 300)
    real, painted = warp_face(face, xy, 0.55, 0.5, interior=interior), warp_face(face, xy, 0.55, 0.5)
    cavity = np.abs(real.astype(int) - painted.astype(int)).sum(axis=2) > 40  # where the two differ
    assert cavity.sum() > 500

    def hue_sat(img, mask=None):
        h = cv2.calcHist([cv2.cvtColor(img, cv2.COLOR_BGR2HSV)], [0, 1], mask, [18, 16], [0, 180, 0, 256])
        return cv2.normalize(h, h).flatten()

    inside = np.zeros(interior.image.shape[:2], np.uint8)
    for c in np.flatnonzero(np.isfinite(interior.top)):
        inside[int(interior.top[c]) : int(interior.bottom[c]) + 1, c] = 1
    source = hue_sat(interior.image, inside)
    m = cavity.astype(np.uint8)
    similar = {
        k: cv2.compareHist(source, hue_sat(img, m), cv2.HISTCMP_CORREL)
        for k, img in (("real", real), ("painted", painted))
    }
    assert similar["real"] > 0.6 and similar["real"] > similar["painted"] + 0.3, similar  # the real mouth's colours
    grey = cv2.cvtColor(real, cv2.COLOR_BGR2GRAY)[cavity]
    assert grey.std() > 12  # texture (teeth, tongue), not a flat fill
    smile, jaw = _smile_jaw(landmarker, real)
    assert jaw >= 0.4 and smile < 0.3, (jaw, smile)
    # eyes: the dark iris inside each eye contour is covered by the lid
    shut = warp_face(face, xy, eyes=1.0)
    for contour in _EYE_CONTOURS:
        mask = np.zeros(face.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(xy[list(contour)]).astype(np.int32)], 1)
        dark_open = (cv2.cvtColor(face, cv2.COLOR_BGR2GRAY)[mask > 0] < 80).mean()
        dark_shut = (cv2.cvtColor(shut, cv2.COLOR_BGR2GRAY)[mask > 0] < 80).mean()
        assert dark_open > 0.2 and dark_shut < dark_open / 3, (dark_open, dark_shut)


def _track(jaw: float, smile: float, *, face: float = 1.0, seconds: float = 3.0) -> pd.DataFrame:
    """An actor's track at 30 fps: ``jaw`` and ``smile`` held for the middle 2 s, rest 0."""
    t = np.arange(0, seconds, 1 / 30)
    on = (t >= 0.5) & (t < 2.5)
    return pd.DataFrame(
        {
            "t_s": t,
            "detected": (np.arange(t.size) < face * t.size).astype(int),
            "jawOpen": np.where(on, jaw, 0.0),
            "mouthSmileLeft": np.where(on, smile, 0.0),
            "mouthSmileRight": np.where(on, smile, 0.0),
        }
    )


@pytest.mark.parametrize(
    ("jaw", "smile", "kinds"),
    [
        (0.7, 0.0, ["yawn"]),
        (0.1, 0.8, ["smile"]),
        (0.05, 0.1, ["control"]),
        (0.7, 0.8, ["smile", "yawn"]),  # a yawn with a smile in it: the face cannot tell
        (0.35, 0.55, []),  # too open and smiling for a control, too little for either event
    ],
)
def test_the_kinds_a_clip_fits_follow_stimuli_adds_checks(jaw, smile, kinds):
    from mimicry.stimuli.library import fitting_kinds

    assert fitting_kinds(_track(jaw, smile)) == kinds
    assert fitting_kinds(_track(0.7, 0.0, face=0.5)) == []  # the face missing in half the frames
