"""The direct reading of MediaPipe's C results gives exactly the public API's values."""

import cv2
import numpy as np
import pytest

from mimicry.sensing import native
from mimicry.sensing.capture import read_frames
from mimicry.sensing.tracking import FaceLandmarker

pytestmark = pytest.mark.mediapipe


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in ((x.landmarks, y.landmarks), (x.blendshapes, y.blendshapes), (x.matrix, y.matrix)):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("mode", ["video", "image"])
def test_native_results_equal_the_public_api(data_dir, mode):
    frames, fps = read_frames(data_dir / "single_face.mp4")
    images = frames[::6] + [cv2.imread(str(data_dir / "multi_face.jpg"))] * (mode == "image")
    with FaceLandmarker(mode, max_faces=4) as fast, FaceLandmarker(mode, max_faces=4) as public:
        assert fast._native is not None  # this MediaPipe's layout is the known one
        public._native = None
        n_faces = 0
        for i, img in enumerate(images):
            got, want = fast.detect(img, i * 0.2), public.detect(img, i * 0.2)
            _same(got, want)
            n_faces += len(got)
    assert n_faces >= len(images)  # faces were found, so values were compared
    assert got[0].landmarks.shape == (478, 3) and got[0].blendshapes.shape == (52,)


def test_other_mediapipe_internals_fall_back_to_the_public_api(monkeypatch, data_dir):
    """If MediaPipe's private layout is not the known one, the public path is used, same faces."""
    from mediapipe.tasks.python.components.containers import landmark_c

    class Renamed(landmark_c.ctypes.Structure):
        _fields_ = [("px", landmark_c.ctypes.c_float)]

    monkeypatch.setattr(landmark_c, "MpNormalizedLandmarkC", Renamed)
    with FaceLandmarker("image") as lm:
        assert lm._native is None
        faces = lm.detect(cv2.imread(str(data_dir / "single_face.jpg")))
    assert len(faces) == 1 and faces[0].landmarks.shape == (478, 3)


def test_empty_struct_array_reads_as_empty():
    dtype = np.dtype({"names": ["x"], "formats": ["<f4"], "offsets": [0], "itemsize": 8})
    assert native._array(None, 0, dtype).size == 0


def test_detect_after_close_raises_instead_of_calling_a_closed_graph(data_dir):
    lm = FaceLandmarker("image")
    lm.close()
    with pytest.raises(RuntimeError, match="closed"):
        lm.detect(cv2.imread(str(data_dir / "single_face.jpg")))
