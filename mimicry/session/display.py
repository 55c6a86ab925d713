"""What the screens show: the participant's stimulus window (:class:`StimulusDisplay`) and the
classroom demo's projected screen (:class:`DemoScreen`), on OpenCV HighGUI windows that report a
closed window like a key. Nothing here records or decides anything."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pandas as pd

from ..errors import MimicryError
from .tally import Tally, letter

COLOURS = [
    (66, 135, 245),
    (60, 180, 75),
    (230, 100, 60),
    (200, 80, 200),
    (40, 200, 220),
    (240, 180, 40),
    (120, 120, 255),
    (255, 120, 160),
]  # BGR, one per face letter


KEY_ESC, KEY_Q, KEY_SPACE, KEY_ENTER = 27, ord("q"), ord(" "), 13
KEY_CLOSED = 0x10000
"""What the display reports instead of a key once the user closes the window."""


class Window:
    """An OpenCV HighGUI window that reports a closed window like a key (:data:`KEY_CLOSED`).

    Checks for a display first: Qt aborts the whole process when it finds none.
    """

    def __init__(self, title: str, size: tuple[int, int], fullscreen: bool = False, toolbar: bool = True):
        import sys

        import cv2

        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise MimicryError("no display to open a window on (DISPLAY is not set): use --no-window")
        self.cv2, self.size, self.title, self.fullscreen = cv2, size, title, fullscreen
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL if toolbar else cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)
            cv2.resizeWindow(title, *size)
            if fullscreen:
                cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        except cv2.error as e:
            raise MimicryError(
                f"cannot open a window (no display? use --no-window): {str(e).strip().splitlines()[-1]}"
            ) from None

    def toggle_fullscreen(self) -> None:
        self.fullscreen = not self.fullscreen
        self.cv2.setWindowProperty(
            self.title,
            self.cv2.WND_PROP_FULLSCREEN,
            self.cv2.WINDOW_FULLSCREEN if self.fullscreen else self.cv2.WINDOW_NORMAL,
        )

    def present(self, canvas: np.ndarray) -> int:
        """Show a whole canvas; returns a key code, -1, or :data:`KEY_CLOSED`."""
        self.cv2.imshow(self.title, canvas)
        return self._closed_or(self.cv2.waitKey(1))

    def poll(self) -> int:
        return self._closed_or(self.cv2.waitKey(1))

    def wait_key(self, timeout_s: float | None = None) -> int:
        """The next key (or :data:`KEY_CLOSED`), waiting at most ``timeout_s`` (-1 then)."""
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while end is None or time.monotonic() < end:
            k = self._closed_or(self.cv2.waitKey(50))
            if k != -1:
                return k
        return -1

    def _closed_or(self, key: int) -> int:
        """``KEY_CLOSED`` once the window, after having been visible, is closed by the user."""
        try:
            visible = self.cv2.getWindowProperty(self.title, self.cv2.WND_PROP_VISIBLE) >= 1
        except self.cv2.error:
            visible = False
        if visible:
            self._was_visible = True
        elif getattr(self, "_was_visible", False):
            return KEY_CLOSED
        return key

    def close(self) -> None:
        try:
            self.cv2.destroyWindow(self.title)
            self.cv2.waitKey(1)
        except self.cv2.error:
            pass


class StimulusDisplay(Window):
    """The participant's screen: stimulus frames letterboxed on grey, a fixation cross, text.

    Parameters
    ----------
    size : (int, int)
        Canvas width and height in pixels (the window is scaled to the screen when fullscreen).
    """

    GREY = (128, 128, 128)

    def __init__(self, fullscreen: bool = False, size: tuple[int, int] = (1280, 720), title: str = "mimicry"):
        super().__init__(title, size, fullscreen)
        self.fixation()

    def _canvas(self) -> np.ndarray:
        w, h = self.size
        return np.full((h, w, 3), self.GREY, np.uint8)

    def show(self, image: np.ndarray) -> int:
        """Show a stimulus frame as large as fits, centred; returns a key code or -1."""
        canvas = self._canvas()
        w, h = self.size
        ih, iw = image.shape[:2]
        scale = min(w / iw, h / ih)
        nw, nh = int(iw * scale), int(ih * scale)
        canvas[(h - nh) // 2 : (h - nh) // 2 + nh, (w - nw) // 2 : (w - nw) // 2 + nw] = self.cv2.resize(
            image, (nw, nh)
        )
        return self._present(canvas)

    def fixation(self) -> int:
        canvas = self._canvas()
        w, h = self.size
        arm = max(h // 30, 8)
        for p0, p1 in (
            ((w // 2 - arm, h // 2), (w // 2 + arm, h // 2)),
            ((w // 2, h // 2 - arm), (w // 2, h // 2 + arm)),
        ):
            self.cv2.line(canvas, p0, p1, (0, 0, 0), max(h // 200, 2))
        return self._present(canvas)

    def text(self, lines: list[str]) -> int:
        canvas = self._canvas()
        w, h = self.size
        scale = h / 720
        for i, line in enumerate(lines):
            (tw, th), _ = self.cv2.getTextSize(line, self.cv2.FONT_HERSHEY_SIMPLEX, 1.2 * scale, 2)
            y = int(h / 2 + (i - len(lines) / 2) * 60 * scale)
            self.cv2.putText(
                canvas,
                line,
                ((w - tw) // 2, y),
                self.cv2.FONT_HERSHEY_SIMPLEX,
                1.2 * scale,
                (20, 20, 20),
                2,
                self.cv2.LINE_AA,
            )
        return self._present(canvas)

    warning: str | None = None
    """A line shown in red at the bottom of the screen (e.g. the camera stopped)."""

    def _present(self, canvas: np.ndarray) -> int:
        if self.warning:
            h = canvas.shape[0]
            self.cv2.putText(
                canvas,
                self.warning,
                (20, h - 20),
                self.cv2.FONT_HERSHEY_SIMPLEX,
                h / 1200,
                (0, 0, 230),
                2,
                self.cv2.LINE_AA,
            )
        self.last = canvas
        return self.present(canvas)


# -- the classroom demo's screen ------------------------------------------------------------


class DemoScreen:
    """The projected screen: clip on the left, camera and meters on the right, counters below."""

    def __init__(self, size=(1600, 900), preview: bool = True):
        self.size, self.preview = size, preview

    def render(
        self,
        clip: np.ndarray | None,
        camera: np.ndarray | None,
        faces: list,
        meters: dict,
        tally: Tally,
        status: str,
        heading: str,
    ) -> np.ndarray:
        import cv2

        w, h = self.size
        canvas = np.full((h, w, 3), 40, np.uint8)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(canvas, heading, (30, 60), font, 1.5, (255, 255, 255), 3, cv2.LINE_AA)
        # the clip, large
        box = (30, 90, 1000, 600)
        if clip is not None:
            _blit(canvas, clip, box)
        else:
            cv2.rectangle(canvas, box[:2], (box[0] + box[2], box[1] + box[3]), (90, 90, 90), -1)
            cv2.putText(canvas, "+", (box[0] + box[2] // 2 - 20, box[1] + box[3] // 2 + 20), font, 2.5, (0, 0, 0), 5)
        self._camera(canvas, camera, faces)
        # meters and counters per face
        y = 420
        word = tally.kind + "s"
        for fid in sorted(meters)[:8]:
            c = COLOURS[fid % len(COLOURS)]
            t = tally.faces.get(fid)
            events, after = (t.events, t.after_video) if t is not None else (0, 0)
            cv2.putText(canvas, letter(fid), (1060, y + 30), font, 1.3, c, 3, cv2.LINE_AA)
            cv2.rectangle(canvas, (1110, y + 5), (1310, y + 35), (90, 90, 90), -1)
            v = float(np.clip(meters[fid], 0, 1)) if math.isfinite(meters[fid]) else 0.0
            cv2.rectangle(canvas, (1110, y + 5), (1110 + int(200 * v), y + 35), c, -1)
            cv2.putText(canvas, f"{events} ({after})", (1330, y + 32), font, 1.1, (255, 255, 255), 2, cv2.LINE_AA)
            y += 52
        total = sum(t.events for t in tally.faces.values())
        cont = sum(t.after_video for t in tally.faces.values())
        cv2.putText(
            canvas,
            f"Class: {total} {word}, {cont} soon after the video's",
            (30, 760),
            font,
            1.6,
            (255, 255, 255),
            3,
            cv2.LINE_AA,
        )
        cv2.putText(
            canvas,
            f"per face: {word} (soon after the video's)",
            (1060, 405),
            font,
            0.7,
            (200, 200, 200),
            1,
            cv2.LINE_AA,
        )
        cv2.putText(canvas, status, (30, h - 30), font, 0.8, (200, 200, 200), 2, cv2.LINE_AA)
        cv2.putText(
            canvas,
            "space pause   n next   r reset   f fullscreen   q quit",
            (30, h - 70),
            font,
            0.8,
            (160, 160, 160),
            1,
            cv2.LINE_AA,
        )
        return canvas

    def room(self, camera: np.ndarray | None, faces: list, reach: str) -> np.ndarray:
        """The room check: the camera large, a box on every face found (white until it has a
        letter), what the camera sees, and what to do."""
        import cv2

        w, h = self.size
        canvas = np.full((h, w, 3), 40, np.uint8)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(canvas, "Check the room", (30, 60), font, 1.5, (255, 255, 255), 3, cv2.LINE_AA)
        self._camera(canvas, camera, faces, (30, 90, w - 60, h - 260), unconfirmed=True)
        cv2.putText(canvas, reach, (30, h - 120), font, 1.3, (255, 255, 255), 3, cv2.LINE_AA)
        cv2.putText(
            canvas,
            "Move the camera until every face has a box.   space: start   q: quit",
            (30, h - 50),
            font,
            1.0,
            (200, 200, 200),
            2,
            cv2.LINE_AA,
        )
        return canvas

    def _camera(
        self,
        canvas: np.ndarray,
        camera: np.ndarray | None,
        faces: list,
        cam_box: tuple[int, int, int, int] = (1060, 90, 510, 290),
        *,
        unconfirmed: bool = False,
    ) -> None:
        """The camera image with a box and a letter per face (or a grey box when hidden);
        ``unconfirmed``: faces without an id yet get a white box too."""
        import cv2

        font = cv2.FONT_HERSHEY_SIMPLEX
        if self.preview and camera is not None:
            ch, cw = camera.shape[:2]
            scale = min(cam_box[2] / cw, cam_box[3] / ch)
            _blit(canvas, camera, cam_box)
            ox = cam_box[0] + (cam_box[2] - int(cw * scale)) // 2
            oy = cam_box[1] + (cam_box[3] - int(ch * scale)) // 2
            for fid, bbox, _values in faces:
                if fid is None and not unconfirmed:
                    continue
                c = COLOURS[fid % len(COLOURS)] if fid is not None else (255, 255, 255)
                x0, y0, x1, y1 = (np.asarray(bbox) * scale).astype(int) + [ox, oy, ox, oy]
                cv2.rectangle(canvas, (x0, y0), (x1, y1), c, 3)
                if fid is not None:
                    cv2.putText(canvas, letter(fid), (x0, max(y0 - 8, 20)), font, 1.2, c, 3, cv2.LINE_AA)
        else:
            cv2.rectangle(canvas, cam_box[:2], (cam_box[0] + cam_box[2], cam_box[1] + cam_box[3]), (70, 70, 70), -1)
            cv2.putText(
                canvas, "camera hidden", (cam_box[0] + 120, cam_box[1] + cam_box[3] // 2), font, 1.0, (200, 200, 200), 2
            )

    def results(self, table: pd.DataFrame, kind: str, sentence: str = "") -> np.ndarray:
        """The results screen, readable from the back of a room: the class's counts and its test
        in words, then every face (up to 30) with its count and, in brackets, those soon after
        one in the video; a face too small to measure says so."""
        import cv2

        w, h = self.size
        canvas = np.full((h, w, 3), 30, np.uint8)
        font = cv2.FONT_HERSHEY_SIMPLEX
        cv2.putText(canvas, "Results", (40, 80), font, 2.0, (255, 255, 255), 4, cv2.LINE_AA)
        rows = table.set_index("face")
        c = rows.loc["class"] if "class" in rows.index else None
        if c is not None:
            line = (
                f"Class: {c.events} {kind}s, {c.after_video} soon after the video's, {c.in_baseline} before the clips"
            )
            cv2.putText(canvas, line, (40, 160), font, 1.4, (255, 255, 255), 3, cv2.LINE_AA)
        for i, part in enumerate(_wrap(sentence, 95)[:3]):
            cv2.putText(canvas, part, (40, 220 + 45 * i), font, 1.0, (230, 230, 150), 2, cv2.LINE_AA)
        faces = rows.drop(index="class", errors="ignore")
        for i, (name, r) in enumerate(faces.iterrows()):
            if i >= 30:
                break
            x, y = 40 + 310 * (i % 5), 400 + 62 * (i // 5)
            small = r.get("minutes_seen", 0) > 0 and r.get("minutes_measured", 1) == 0
            text = f"{name}: too small" if small else f"{name}: {r.events} ({r.after_video})"
            cv2.putText(canvas, text, (x, y), font, 1.2, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.putText(
            canvas,
            f"More {kind}ing later can also come from time passing: control clips tell them apart (mimicry run).",
            (40, h - 130),
            font,
            0.8,
            (200, 200, 200),
            2,
            cv2.LINE_AA,
        )
        cv2.putText(
            canvas,
            f"per face: {kind}s (soon after one in the video)",
            (40, h - 90),
            font,
            0.8,
            (200, 200, 200),
            2,
            cv2.LINE_AA,
        )
        cv2.putText(canvas, "press any key to close", (40, h - 40), font, 0.9, (160, 160, 160), 2, cv2.LINE_AA)
        return canvas


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken at spaces."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _blit(canvas: np.ndarray, image: np.ndarray, box: tuple[int, int, int, int]) -> None:
    import cv2

    x, y, bw, bh = box
    ih, iw = image.shape[:2]
    scale = min(bw / iw, bh / ih)
    nw, nh = max(1, int(iw * scale)), max(1, int(ih * scale))
    ox, oy = x + (bw - nw) // 2, y + (bh - nh) // 2
    canvas[oy : oy + nh, ox : ox + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)


def cue_image(text: str, left_s: float) -> np.ndarray:
    """A calibration cue as a picture for the clip's place on the demo screen."""
    import cv2

    img = np.full((600, 1000, 3), 60, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for i, line in enumerate((text, f"{max(0, math.ceil(left_s))}")):
        (tw, _), _ = cv2.getTextSize(line, font, 1.3 if i == 0 else 3.0, 3)
        cv2.putText(
            img, line, ((1000 - tw) // 2, 260 + 140 * i), font, 1.3 if i == 0 else 3.0, (255, 255, 255), 3, cv2.LINE_AA
        )
    return img
