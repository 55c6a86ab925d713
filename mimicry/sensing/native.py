"""MediaPipe's C results read straight into arrays, without one Python object per landmark.

MediaPipe's Python wrapper turns every result into 478 ``NormalizedLandmark`` and 52 ``Category``
objects (about 1.4 ms per face on this project's 2-core test machine, holding the GIL, on the
tracking thread's critical path). :class:`NativeDetector` calls the same C functions the wrapper
calls and copies the C arrays into numpy arrays directly; the values are exactly those of the
public path (tested). It relies on the wrapper's private handles (``_lib``, ``_handle``,
``_image_ptr``) and struct layouts, so :func:`native_detector` checks every one of them first
and returns ``None`` when anything differs (another MediaPipe version): the caller then uses the
public API.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Mapping

import numpy as np

log = logging.getLogger(__name__)


#: The fields read from MediaPipe's structs: numpy format and the ctypes type they must have.
_POINT = {"x": ("<f4", ctypes.c_float), "y": ("<f4", ctypes.c_float), "z": ("<f4", ctypes.c_float)}
_CATEGORY = {"index": ("<i4", ctypes.c_int), "score": ("<f4", ctypes.c_float)}
_RESULT = (
    "face_landmarks",
    "face_landmarks_count",
    "face_blendshapes",
    "face_blendshapes_count",
    "facial_transformation_matrixes",
    "facial_transformation_matrixes_count",
)


def _structs():
    from mediapipe.tasks.python.components.containers import category_c, landmark_c
    from mediapipe.tasks.python.vision import face_landmarker as fl

    return landmark_c.MpNormalizedLandmarkC, category_c.MpCategoryC, fl.MpFaceLandmarkerResultC


def _dtype(struct, fields: Mapping[str, tuple[str, object]]) -> np.dtype:
    """A numpy view of a ctypes struct array, for the named fields only."""
    return np.dtype(
        {
            "names": list(fields),
            "formats": [fmt for fmt, _ in fields.values()],
            "offsets": [getattr(struct, name).offset for name in fields],
            "itemsize": ctypes.sizeof(struct),
        }
    )


def _array(ptr, count: int, dtype: np.dtype) -> np.ndarray:
    """``count`` structs at ``ptr`` as a numpy record array (a view: copy before the C result is closed)."""
    if count == 0 or not ptr:
        return np.zeros(0, dtype)
    buf = (ctypes.c_char * (count * dtype.itemsize)).from_address(ctypes.addressof(ptr.contents))
    return np.frombuffer(memoryview(buf), dtype=dtype, count=count)


class NativeDetector:
    """Detect faces through MediaPipe's C API and read the results as arrays.

    Parameters
    ----------
    landmarker : mediapipe.tasks.python.vision.FaceLandmarker
        An open landmarker in VIDEO or IMAGE mode.
    n_landmarks : int
        Landmarks kept per face (the first ones).
    n_blendshapes : int
        Length of the blendshape vector (categories with other indices are ignored).
    """

    def __init__(self, landmarker, n_landmarks: int, n_blendshapes: int):
        point, category, self._result_type = _structs()
        self._lm, self._lib = landmarker, landmarker._lib
        self._n_lm, self._n_bs = n_landmarks, n_blendshapes
        self._point, self._category = _dtype(point, _POINT), _dtype(category, _CATEGORY)

    def detect(self, mp_image, timestamp_ms: int | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """``(landmarks, blendshapes, matrix)`` of each face in ``mp_image`` (VIDEO mode with
        ``timestamp_ms``, IMAGE mode with ``None``): float32 arrays of shape (n_landmarks, 3),
        (n_blendshapes,) and (4, 4) (``None`` without a matrix)."""
        result = self._result_type()
        if timestamp_ms is None:
            self._lib.MpFaceLandmarkerDetectImage(self._lm._handle, mp_image._image_ptr, None, ctypes.byref(result))
        else:
            self._lib.MpFaceLandmarkerDetectForVideo(
                self._lm._handle, mp_image._image_ptr, None, timestamp_ms, ctypes.byref(result)
            )
        try:
            return self._read(result)
        finally:
            self._lib.MpFaceLandmarkerCloseResult(ctypes.byref(result))

    def _read(self, result) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        faces = []
        for i in range(result.face_landmarks_count):
            c = result.face_landmarks[i]
            pts = _array(c.landmarks, c.landmarks_count, self._point)[: self._n_lm]
            landmarks = np.stack([pts["x"], pts["y"], pts["z"]], axis=1)  # a copy, float32
            blendshapes = np.zeros(self._n_bs, dtype=np.float32)
            if i < result.face_blendshapes_count:
                b = result.face_blendshapes[i]
                cats = _array(b.categories, b.categories_count, self._category)
                ok = (cats["index"] >= 0) & (cats["index"] < self._n_bs)
                blendshapes[cats["index"][ok]] = cats["score"][ok]
            matrix = None
            if i < result.facial_transformation_matrixes_count:
                matrix = np.asarray(result.facial_transformation_matrixes[i].to_numpy(), dtype=np.float32)
            faces.append((landmarks, blendshapes, matrix))
        return faces


def native_detector(landmarker, n_landmarks: int, n_blendshapes: int) -> NativeDetector | None:
    """A :class:`NativeDetector` for ``landmarker``, or ``None`` if this MediaPipe's internals
    are not the ones it was written for."""
    try:
        point, category, result = _structs()
        wanted = {f: ctype for f, (_, ctype) in (_POINT | _CATEGORY).items()}
        for struct, fields in ((point, _POINT), (category, _CATEGORY), (result, dict.fromkeys(_RESULT))):
            got = dict(struct._fields_)
            for f in fields:
                if f not in got or (f in wanted and got[f] is not wanted[f]):
                    raise LookupError(f"{struct.__name__}.{f}")
        lib = landmarker._lib
        for fn in ("MpFaceLandmarkerDetectImage", "MpFaceLandmarkerDetectForVideo", "MpFaceLandmarkerCloseResult"):
            getattr(lib, fn)
        landmarker._handle  # noqa: B018 (presence checks)
        import mediapipe as mp

        mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((2, 2, 3), np.uint8))._image_ptr  # noqa: B018
        if ctypes.sizeof(ctypes.c_int) != 4 or ctypes.sizeof(ctypes.c_float) != 4:
            raise LookupError("int/float size")
    except (ImportError, AttributeError, LookupError, TypeError) as e:
        log.debug("MediaPipe's C result layout differs (%s); using the public API", e)
        return None
    return NativeDetector(landmarker, n_landmarks, n_blendshapes)
