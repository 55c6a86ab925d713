"""The MediaPipe Face Landmarker model bundle: where it is and whether it is the right one."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from ..errors import ModelError

#: sha256 of the official ``face_landmarker.task`` (float16, version 1) shipped in ``mimicry/models``.
BUNDLED_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
BUNDLED_MODEL_NAME = "face_landmarker.task"


def bundled_model_path() -> Path:
    """Path of the model file shipped inside the package."""
    return Path(str(resources.files("mimicry") / "models" / BUNDLED_MODEL_NAME))


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


def resolve_model(path: str | Path | None = None, expected_sha256: str | None = None) -> Path:
    """Return a checked model path.

    Parameters
    ----------
    path : str | Path | None
        A user-supplied ``.task`` bundle; ``None`` for the bundled model.
    expected_sha256 : str | None
        Hash the file must have. The bundled model is always checked against
        :data:`BUNDLED_MODEL_SHA256`; a user-supplied model only if this is given.

    Raises
    ------
    ModelError
        The file is missing, is not a file, cannot be read, or has the wrong hash.
    """
    if path is None:
        p, expected_sha256 = bundled_model_path(), BUNDLED_MODEL_SHA256
        where = "bundled model"
    else:
        p, where = Path(path), "model"
    if not p.exists():
        raise ModelError(f"{where} not found: {p}")
    if not p.is_file():
        raise ModelError(f"{where} is not a file: {p}")
    try:
        digest = sha256_file(p)
    except OSError as e:
        raise ModelError(f"cannot read {where} {p}: {e.strerror or e}") from None
    if expected_sha256 is not None and digest != expected_sha256:
        raise ModelError(
            f"{where} {p} has sha256 {digest[:12]}..., expected {expected_sha256[:12]}... "
            "(corrupt or wrong file; reinstall mimicry or pass --model)"
        )
    if path is not None and p.stat().st_size < 1024:
        raise ModelError(f"model {p} is too small to be a Face Landmarker bundle")
    return p
