"""The stimulus library: the shipped clips, the manifest, and `mimicry stimuli`."""

import re
import shutil

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from mimicry.cli import main
from mimicry.errors import StimulusError
from mimicry.stimuli import KINDS, MANIFEST, default_library, load_library


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
    assert "all 9 stimuli ok" in r.output or re.search(r"all \d+ stimuli ok", r.output)
    r = run("stimuli", "list")
    assert r.exit_code == 0 and "yawn-man-a" in r.output and "license" in r.output


def _runs_s(values, fps, threshold):
    """Lengths in seconds of the runs where values >= threshold."""
    ok = np.concatenate([[0], (np.asarray(values) >= threshold).astype(int), [0]])
    d = np.diff(ok)
    return (np.flatnonzero(d == -1) - np.flatnonzero(d == 1)) / fps


@pytest.mark.slow
def test_independent_mediapipe_pass_confirms_every_clip_kind():
    """A bare MediaPipe loop (not mimicry's tracker) over every shipped clip."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    from mimicry.model import bundled_model_path

    lib = load_library()
    opts = vision.FaceLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(bundled_model_path())),
                                        running_mode=vision.RunningMode.VIDEO, output_face_blendshapes=True)
    for s in lib.stimuli:
        jaw, smile, found = [], [], 0
        with vision.FaceLandmarker.create_from_options(opts) as lm:
            cap = cv2.VideoCapture(str(lib.clip_path(s)))
            i = 0
            while True:
                ok, img = cap.read()
                if not ok:
                    break
                res = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB,
                                                   data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)), int(i * 1000 / s.fps))
                i += 1
                if res.face_blendshapes:
                    found += 1
                    d = {c.category_name: c.score for c in res.face_blendshapes[0]}
                    jaw.append(d["jawOpen"])
                    smile.append((d["mouthSmileLeft"] + d["mouthSmileRight"]) / 2)
                else:
                    jaw.append(0.0)
                    smile.append(0.0)
        assert found / i >= 0.9, (s.id, found / i)
        if s.kind == "yawn":
            assert (_runs_s(jaw, s.fps, 0.4) >= 1.0).sum() >= 2, s.id  # several yawns, each >= 1 s wide open
        elif s.kind == "smile":
            assert (_runs_s(smile, s.fps, 0.6) >= 1.0).sum() >= 1, s.id
            assert (_runs_s(smile, s.fps, 0.6) > 0).sum() >= 2, s.id  # several smiles
        else:
            assert max(jaw) < 0.3 and max(smile) < 0.5, s.id


@pytest.mark.parametrize("text, pattern", [
    ("[[stimulus]\nid = 1", "TOML syntax error"),
    ("[[stimulus]]\nid = 'a'\n", "stimulus #1 \\(id 'a'\\): missing field"),
    ("colour = 'red'\n", "unknown top-level key"),
])
def test_manifest_errors_name_the_problem(tmp_path, text, pattern):
    (tmp_path / MANIFEST).write_text(text)
    with pytest.raises(StimulusError, match=pattern):
        load_library(tmp_path)


@pytest.mark.parametrize("field, value, pattern", [
    ("kind", "laugh", "field 'kind' must be one of"),
    ("fps", "fast", "field 'fps' must be a number"),
    ("fps", -3, "field 'fps' must be between"),
    ("id", "Bad Id!", "field 'id' must be a slug"),
    ("sha256", "abc", "field 'sha256'"),
    ("file", "../../etc/passwd", "field 'file' must be a path inside"),
    ("extra", 1, "unknown field"),
    ("width", 0, "field 'width'"),
])
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
    assert run("stimuli", "make", "--photo", src, "--kind", "control", "--out", d / "ctl.mp4",
               "--seconds", "6", "--seed", "5", "--size", "256").exit_code == 0
    assert run("stimuli", "make", "--photo", src, "--kind", "yawn", "--out", d / "yawn.mp4",
               "--seconds", "9", "--seed", "5", "--size", "256").exit_code == 0
    return d


def test_make_is_deterministic(short_clips, tmp_path):
    src = default_library() / "sources" / "man_neutral.png"
    out = tmp_path / "again.mp4"
    assert run("stimuli", "make", "--photo", src, "--kind", "control", "--out", out, "--seconds", "6",
               "--seed", "5", "--size", "256").exit_code == 0

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
    run("stimuli", "make", "--photo", src, "--kind", "control", "--out", other, "--seconds", "6", "--seed", "6",
        "--size", "256")
    assert not np.array_equal(a, frames(other))


def test_add_good_clip_and_refusals_leave_the_manifest_untouched(short_clips, tmp_path, data_dir):
    lib = tmp_path / "lib"
    r = run("stimuli", "add", short_clips / "ctl.mp4", "--kind", "control", "--library", lib, "--id", "calm-1",
            "--source", "test", "--license", "MIT")
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
