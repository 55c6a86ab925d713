import shutil

import pytest

from mimicry.errors import ModelError
from mimicry.sensing.model import BUNDLED_MODEL_SHA256, bundled_model_path, resolve_model, sha256_file


def test_bundled_model_is_the_official_one():
    p = resolve_model(None)
    assert p == bundled_model_path()
    assert sha256_file(p) == BUNDLED_MODEL_SHA256
    assert (p.parent / "PROVENANCE.md").exists() and (p.parent / "LICENSE-APACHE-2.0.txt").exists()


@pytest.mark.mediapipe
def test_wrong_hash_missing_and_junk_models(tmp_path):
    bad = tmp_path / "face_landmarker.task"
    shutil.copy(bundled_model_path(), bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    with pytest.raises(ModelError, match="sha256"):
        resolve_model(bad, expected_sha256=BUNDLED_MODEL_SHA256)
    with pytest.raises(ModelError, match="not found"):
        resolve_model(tmp_path / "missing.task")
    with pytest.raises(ModelError, match="not a file"):
        resolve_model(tmp_path)
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"not a model" * 500)
    from mimicry.sensing.tracking import FaceLandmarker

    with pytest.raises(ModelError, match="cannot load model"):
        FaceLandmarker("video", model=junk)


def test_bundled_model_tampered_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "face_landmarker.task"
    fake.write_bytes(b"x" * 4096)
    monkeypatch.setattr("mimicry.sensing.model.bundled_model_path", lambda: fake)
    with pytest.raises(ModelError, match="bundled model .* sha256"):
        resolve_model(None)
