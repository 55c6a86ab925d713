"""Frame sources: a webcam, or a video file read as fast as possible or paced like a camera.

Every source yields :class:`Frame` objects with a strictly increasing ``t_s``. Decoding runs in a
background thread (OpenCV releases the GIL while decoding), so it overlaps with face tracking.

Two delivery modes:

- *buffered* (a file read at its own pace): every frame is delivered, the reader stays at most
  ``prefetch`` frames ahead;
- *live* (a camera, or a file paced in real time, the "file-backed camera"): frames arrive on
  the source's clock, each stamped at capture, and wait in a bounded backlog
  (:mod:`.backlog`) until the consumer takes them; a consumer that falls behind catches up, and
  only when the backlog is full is a frame skipped (counted in :attr:`FrameSource.dropped`, each
  one listed by :meth:`FrameSource.take_skips`).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import CaptureError
from .backlog import DEFAULT_BACKLOG, Backlog, BacklogConfig

#: Timestamp step used when a file reports a duplicate (or backwards) presentation time, seconds.
DUPLICATE_STEP_S = 0.001


@dataclass(frozen=True)
class Frame:
    """One decoded image.

    Attributes
    ----------
    index : int
        0-based position in the stream as decoded (dropped frames still count).
    t_s : float
        Presentation time in seconds: the file's own timestamp, or for a camera the time since
        the source was opened (monotonic clock). Strictly increasing.
    image : np.ndarray
        BGR ``uint8`` array, height x width x 3.
    prepared : object
        What the source's ``prepare`` function made of the image in the decoding thread (the
        tracker's input: colour order, size and MediaPipe's image wrapper), so the tracker's
        thread does not spend time on it; ``None`` without one.
    """

    index: int
    t_s: float
    image: np.ndarray
    prepared: object = None


def next_timestamp(prev_s: float | None, reported_s: float, step_s: float) -> float:
    """Strictly increasing presentation time from what the container reports.

    Parameters
    ----------
    prev_s : float | None
        Time given to the previous frame, seconds (``None`` for the first frame).
    reported_s : float
        Time the decoder reports for this frame, seconds (may be NaN, 0, negative or repeated).
    step_s : float
        Nominal frame interval, seconds.

    Returns
    -------
    float
        ``reported_s`` when it is after ``prev_s``; otherwise ``prev_s + step_s`` if the file
        reports no time (0, negative, NaN) and ``prev_s + DUPLICATE_STEP_S`` for a repeated or
        backwards time. The first frame gets ``max(reported_s, 0)``.
    """
    t = reported_s if math.isfinite(reported_s) else -1.0
    if prev_s is None:
        return max(t, 0.0)
    if t > prev_s:
        return t
    return prev_s + (step_s if t <= 0 else DUPLICATE_STEP_S)


DRIVER_CLOCK_TOLERANCE_S = 1.0
"""A driver's frame time is taken as the capture time when it is at most this far before now, s."""


def capture_time_s(driver_ms: float, now_s: float) -> float:
    """When a webcam frame was captured, on the monotonic clock, s.

    Linux's V4L2 driver stamps each buffer when the camera filled it, on the monotonic clock,
    and OpenCV reports that stamp as ``CAP_PROP_POS_MSEC``: a frame read late from the driver's
    buffers (a busy machine) keeps its true time. Other backends report something else (0, or
    a position); a value not within :data:`DRIVER_CLOCK_TOLERANCE_S` before ``now_s`` (the time
    the frame was read) is not a capture time, and ``now_s`` is used.
    """
    driver_s = driver_ms / 1000.0 if math.isfinite(driver_ms) else -math.inf
    if now_s - DRIVER_CLOCK_TOLERANCE_S <= driver_s <= now_s:
        return driver_s
    return now_s


class FrameSource:
    """Base class: a context manager and an iterator of :class:`Frame`.

    Counters (read them from any thread): ``captured`` frames the source produced, ``dropped``
    of them skipped (a full backlog, or a replayed camera's frame gone before it was read),
    ``delivered`` to the consumer, ``late`` of those that waited longer than the backlog's
    ``late_s`` to be taken, ``max_wait_s`` the longest wait; ``backlog_frames`` the backlog's size
    (live sources, from the first frame on).
    """

    name: str = "source"
    nominal_fps: float = float("nan")
    width: int = 0
    height: int = 0

    def __init__(self, mode: str, prefetch: int = 8, *, backlog: BacklogConfig = DEFAULT_BACKLOG):
        self._mode = mode
        self._prefetch = max(1, int(prefetch))
        self.backlog = backlog
        self._buf: deque = deque()
        self._queue: Backlog[Frame] | None = None
        self._cond = threading.Condition()
        self._done = False
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._skips: deque[tuple[int, float]] = deque()
        self.captured = 0
        self.dropped = 0
        self.delivered = 0
        self.late = 0
        self.max_wait_s = 0.0
        self.backlog_frames = 0
        self.last_t_s = 0.0
        # applied to every image in the decoding thread; its result is Frame.prepared
        self.prepare: Callable[[np.ndarray], object] | None = None
        self.last_frame_monotonic: float | None = None  # when the latest frame was captured (or skipped)
        self.origin_monotonic: float | None = None  # clock origin for t_s (None: when the source starts)
        self.on_frame = None  # called with every decoded Frame in the decoding thread (e.g. to record video)

    @property
    def live(self) -> bool:
        """Frames arrive on the source's clock (a camera, or a file replayed as one)."""
        return self._mode == "latest"

    # -- to implement -------------------------------------------------------------------------
    def _produce(self) -> Iterator[tuple[np.ndarray | None, float]]:  # pragma: no cover - abstract
        """``(image, t_s)`` per frame captured; ``image`` None for a frame lost before it was read."""
        raise NotImplementedError

    def _release(self) -> None:  # pragma: no cover - abstract
        pass

    # -- threading ----------------------------------------------------------------------------
    def start(self) -> FrameSource:
        if self._thread is None:
            if self.origin_monotonic is None:
                self.origin_monotonic = time.monotonic()
            self._thread = threading.Thread(target=self._run, name=f"capture:{self.name}", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        index = 0
        try:
            for image, t_s in self._produce():
                if self._stop.is_set():
                    break
                self.last_frame_monotonic = time.monotonic()
                if image is None:
                    with self._cond:
                        self.captured += 1
                        self._skip(index, t_s)
                    index += 1
                    continue
                frame = Frame(index, t_s, image, None if self.prepare is None else self.prepare(image))
                if self.on_frame is not None:
                    self.on_frame(frame)
                index += 1
                self._enqueue(frame)
        except BaseException as e:  # handed to the consumer
            self._error = e
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _enqueue(self, frame: Frame) -> None:
        with self._cond:
            self.captured += 1
            if self.live:
                if self._queue is None:
                    frame_bytes = frame.image.nbytes * 2  # the image and the tracker's copy of it
                    self._queue = Backlog(self.backlog.capacity(self.nominal_fps, frame_bytes))
                    self.backlog_frames = self._queue.capacity
                skipped = self._queue.push(frame)
                if skipped is not None:
                    self._skip(skipped.index, skipped.t_s)
            else:
                while len(self._buf) >= self._prefetch and not self._stop.is_set():
                    self._cond.wait(0.1)
                self._buf.append(frame)
            self._cond.notify_all()

    def _skip(self, index: int, t_s: float) -> None:
        self.dropped += 1
        self._skips.append((index, t_s))

    def take_skips(self) -> list[tuple[int, float]]:
        """The frames skipped since the last call, as ``(index, t_s)``, oldest first."""
        with self._cond:
            out = list(self._skips)
            self._skips.clear()
        return out

    def _pop(self) -> Frame | None:
        if self._queue is not None:
            return self._queue.pop()
        return self._buf.popleft() if self._buf else None

    def read(self, timeout_s: float | None = None) -> Frame | None:
        """Next frame, or ``None`` at the end of the stream (or after ``timeout_s`` seconds)."""
        self.start()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while (frame := self._pop()) is None:
                if self._done:
                    if self._error is not None:
                        err, self._error = self._error, None
                        if isinstance(err, CaptureError):
                            raise err
                        raise CaptureError(f"{self.name}: read failed: {err}") from err
                    return None
                wait = None if deadline is None else deadline - time.monotonic()
                if wait is not None and wait <= 0:
                    return None
                self._cond.wait(0.1 if wait is None else min(wait, 0.1))
            self._cond.notify_all()
        self._taken(frame)
        return frame

    def _taken(self, frame: Frame) -> None:
        self.delivered += 1
        self.last_t_s = frame.t_s
        if self.live and self.origin_monotonic is not None:
            wait_s = time.monotonic() - self.origin_monotonic - frame.t_s
            self.max_wait_s = max(self.max_wait_s, wait_s)
            self.late += wait_s > self.backlog.late_s

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._release()

    def __enter__(self) -> FrameSource:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def _check_video_path(path: Path) -> None:
    if not path.exists():
        raise CaptureError(f"video not found: {path}")
    if path.is_dir():
        raise CaptureError(f"expected a video file, got a directory: {path}")
    if not os.access(path, os.R_OK):
        raise CaptureError(f"video is not readable (permission denied): {path}")
    if path.stat().st_size == 0:
        raise CaptureError(f"video is empty (0 bytes): {path}")


class VideoFileSource(FrameSource):
    """Frames of a video file with their true presentation times.

    Parameters
    ----------
    path : str | Path
        The video.
    realtime : bool
        Pace delivery by the timestamps (a file-backed camera: a consumer that falls behind gets
        the backlog) instead of as fast as the consumer reads.
    prefetch : int
        Frames decoded ahead in buffered mode.
    frame_times_s : np.ndarray | None
        Known times of the frames, by index (e.g. the session clock of a recorded camera video,
        from its ``frames.csv``), used instead of the container's; frames past the end continue
        at the nominal rate.
    backlog : BacklogConfig
        With ``realtime``: what is held for a consumer that falls behind (:mod:`.backlog`).

    Notes
    -----
    Times come from the container (``CAP_PROP_POS_MSEC``), so variable-frame-rate clips keep their
    real times. A frame whose reported time is not after the previous one is given a time just
    after it: ``+1/fps`` where the file reports zero (no timestamps), else ``+1 ms`` (duplicate).
    """

    def __init__(
        self,
        path: str | Path,
        realtime: bool = False,
        prefetch: int = 8,
        frame_times_s: np.ndarray | None = None,
        *,
        backlog: BacklogConfig = DEFAULT_BACKLOG,
    ):
        super().__init__("latest" if realtime else "buffered", prefetch, backlog=backlog)
        self.frame_times_s = None if frame_times_s is None else np.asarray(frame_times_s, float)
        self.path = Path(path)
        self.name = str(self.path)
        _check_video_path(self.path)
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"cannot open video (corrupt or unsupported format): {self.path}")
        self._cap = cap
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.nominal_fps = float(fps) if fps and math.isfinite(fps) and 0 < fps < 1000 else 30.0
        self.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, first = cap.read()
        if not ok or first is None:
            cap.release()
            raise CaptureError(f"no frame could be decoded (corrupt or truncated video): {self.path}")
        self.height, self.width = first.shape[:2]
        self._first = (first, cap.get(cv2.CAP_PROP_POS_MSEC))
        self.realtime = realtime

    def _produce(self) -> Iterator[tuple[np.ndarray | None, float]]:
        cap, step = self._cap, 1.0 / self.nominal_fps
        image, pos_ms = self._first
        self._first = None
        prev: float | None = None
        t0_wall = self.origin_monotonic if self.origin_monotonic is not None else time.monotonic()
        known = self.frame_times_s
        k = 0
        while image is not None:
            if known is not None and known.size:
                reported = known[k] if k < known.size else known[-1] + (k - known.size + 1) * step
            else:
                reported = (pos_ms if pos_ms is not None else float("nan")) / 1000.0
            t = prev = next_timestamp(prev, reported, step)
            k += 1
            if self.realtime:
                delay = t0_wall + t - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                # as a camera would: a frame the decoder reaches late (a busy machine) was still
                # captured at its time and waits in the backlog; one later than the whole backlog
                # is gone (a camera's own buffer would have been overwritten) and is skipped
                yield (None if -delay > self.backlog.seconds else image), t
            else:
                yield image, t
            ok, image = cap.read()
            if not ok:
                return
            pos_ms = cap.get(cv2.CAP_PROP_POS_MSEC)

    def _release(self) -> None:
        self._cap.release()


class CameraSource(FrameSource):
    """A webcam by index. ``t_s`` is the monotonic time of capture (:func:`capture_time_s`) since
    the source started.

    ``reconnect``: when the camera stops delivering (unplugged), keep trying to reopen it every
    ``reconnect_s`` seconds instead of ending the stream; a live session carries on meanwhile
    and logs the gap.
    """

    def __init__(
        self,
        index: int = 0,
        width: int | None = None,
        height: int | None = None,
        reconnect: bool = False,
        reconnect_s: float = 1.0,
        *,
        backlog: BacklogConfig = DEFAULT_BACKLOG,
    ):
        super().__init__("latest", backlog=backlog)
        self.index = int(index)
        self.reconnect, self.reconnect_s = reconnect, reconnect_s
        self._size = (width, height)
        self.name = f"camera {self.index}"
        cap = self._open()
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"camera {self.index} could not be opened (no such camera, or in use)")
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.nominal_fps = float(fps) if fps and 0 < fps < 1000 else 30.0
        self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._cap = cap

    def _produce(self) -> Iterator[tuple[np.ndarray | None, float]]:
        t0 = self.origin_monotonic if self.origin_monotonic is not None else time.monotonic()
        prev = -1.0
        failures = 0
        while not self._stop.is_set():
            ok, image = self._cap.read()
            if not ok or image is None:
                failures += 1
                if failures > 100 and not self.reconnect:
                    raise CaptureError(f"{self.name} stopped delivering frames")
                if self.reconnect and failures % max(1, int(self.reconnect_s / 0.01)) == 0:
                    self._cap.release()
                    self._cap = self._open()
                time.sleep(0.01)
                continue
            failures = 0
            captured = capture_time_s(self._cap.get(cv2.CAP_PROP_POS_MSEC), time.monotonic())
            t = max(captured - t0, prev + DUPLICATE_STEP_S)
            prev = t
            yield image, t

    def _open(self):
        """The device, asked for the requested frame size (also when reopened after a gap)."""
        cap = cv2.VideoCapture(self.index)
        width, height = self._size
        if (width or 0) >= 1280:
            # most webcams deliver 720p and 1080p at full rate only compressed (MJPG); a camera
            # without it keeps its own format
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        return cap

    def _release(self) -> None:
        self._cap.release()


def read_frames(path: str | Path) -> tuple[list[np.ndarray], float]:
    """All frames of a short video in memory, and its frame rate (for tools and tests; a
    session or a long file should stream with :class:`VideoFileSource`)."""
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, float(fps)


def open_source(spec: str | int | Path, realtime: bool = False) -> FrameSource:
    """Open a camera (an integer or a string of digits) or a video file.

    ``realtime`` applies to files only: a camera is always real time.
    """
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return CameraSource(int(spec))
    return VideoFileSource(spec, realtime=realtime)
