"""Sensing: from camera frames to per-face signals.

:mod:`.capture` (a webcam or a video file as frames) -> :mod:`.tracking` (MediaPipe Face
Landmarker, stable face ids) -> :mod:`.signals` (smile, yawn, blink, mouth_open, head pose) ->
:mod:`.pipeline` (finished rows, the yawn filter's look-ahead). :mod:`.model` finds and checks the
bundled model; :mod:`.validation` scores signals against hand-marked truth.
"""
