"""The 68 facial landmarks of the iBUG 300-W scheme (OpenFace's and dlib's ``x_0 .. x_67``) from
MediaPipe's 478-point face mesh.

The two models do not share points: MediaPipe's mesh covers the face's surface, the 68 points
trace its outline and features as annotators marked them. :data:`MESH_TO_68` names, for each of
the 68, the mesh points whose mean stands for it (one point where the mesh has one at that spot,
the mean of two neighbours where the 68-point lies between them). Left and right are the image's (the
person's right eye is the image's left), as in the 300-W annotation: 0-16 the jaw from the
image-left ear over the chin (8) to the right, 17-21 and 22-26 the brows, 27-30 the nose's ridge
down to its tip, 31-35 the nose's base, 36-41 and 42-47 the eyes and 48-59 the outer and 60-67
the inner lip contour, each from its image-left end or corner, clockwise.

The mapping is checked against a real OpenFace 2 output in the tests: after a similarity
alignment (scale, rotation, shift) of a real face's mapped points onto OpenFace's 68 points of
another real face, every pair of points of a region lies the same way round and every point is
within 0.3 eye distances of OpenFace's (``tests/test_interop.py``). Positions are MediaPipe's: on the jaw line, where the
mesh ends at the visible face outline and the 68 are annotated there too, the two agree for a
frontal face and drift apart for a turned one.
"""

from __future__ import annotations

import numpy as np

from ..schema import N_LANDMARKS

_JAW = ((127,), (234,), (93,), (132, 58), (58, 172), (136,), (150,), (149, 176), (152,))
_JAW_RIGHT = ((356,), (454,), (323,), (361, 288), (288, 397), (365,), (379,), (378, 400))

MESH_TO_68: tuple[tuple[int, ...], ...] = (
    *_JAW,
    *reversed(_JAW_RIGHT),
    (70,), (63,), (105,), (66,), (107,),
    (336,), (296,), (334,), (293,), (300,),
    (168,), (6, 197), (195, 5), (4,),
    (98,), (97,), (2,), (326,), (327,),
    (33,), (160,), (158,), (133,), (153,), (144,),
    (362,), (385,), (387,), (263,), (373,), (380,),
    (61,), (40,), (37,), (0,), (267,), (270,), (291,), (321,), (314,), (17,), (84,), (91,),
    (78,), (81,), (13,), (311,), (308,), (402,), (14,), (178,),
)  # fmt: skip
"""For each of the 68 points, the MediaPipe face-mesh points whose mean stands for it."""

N_POINTS = 68

PARTS: tuple[tuple[str, range], ...] = (
    ("jaw", range(0, 17)),
    ("image-left brow", range(17, 22)),
    ("image-right brow", range(22, 27)),
    ("nose ridge", range(27, 31)),
    ("nose base", range(31, 36)),
    ("image-left eye", range(36, 42)),
    ("image-right eye", range(42, 48)),
    ("outer lip", range(48, 60)),
    ("inner lip", range(60, 68)),
)
"""The 68 points' parts, in order."""


def _weights() -> np.ndarray:
    w = np.zeros((N_POINTS, N_LANDMARKS))
    for i, points in enumerate(MESH_TO_68):
        w[i, list(points)] = 1.0 / len(points)
    return w


_W = _weights()


def points_68(mesh: np.ndarray) -> np.ndarray:
    """The 68 points from mesh landmarks.

    Parameters
    ----------
    mesh : np.ndarray
        (..., 478, D) landmarks in any units (D = 2 or 3).

    Returns
    -------
    np.ndarray
        (..., 68, D) in the same units: each point the mean of its :data:`MESH_TO_68` points.
    """
    mesh = np.asarray(mesh, float)
    if mesh.shape[-2] != _W.shape[1]:
        raise ValueError(f"need {N_LANDMARKS} mesh landmarks, got {mesh.shape[-2]}")
    return np.einsum("pm,...md->...pd", _W, mesh)
