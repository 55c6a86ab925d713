"""The stimulus library: clips of a face smiling, yawning or staying neutral, with a manifest.

A library is a folder with ``manifest.toml`` (one ``[[stimulus]]`` table per clip), the clips,
and ``tracks/<id>.csv``: the actor's per-frame signals from mimicry's own tracker (the
:data:`mimicry.schema.TRACK` format), which a live session logs next to every displayed frame.
The shipped library is ``stimuli/`` at the top of the repository (``mimicry/_stimuli`` in an
installed wheel); a study can keep its own
clips in any folder (``--library DIR``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import StimulusError
from ..series import true_runs

KINDS = ("smile", "yawn", "control")
MANIFEST = "manifest.toml"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Stimulus:
    """One manifest entry. Times in seconds, sizes in pixels."""

    id: str
    file: str
    kind: str
    fps: float
    duration_s: float
    width: int
    height: int
    sha256: str
    source: str
    license: str
    description: str
    synthetic: bool = False
    """True for a clip animated by software (a photo warped along a smile or yawn), not filmed."""
    cut_from: str = ""
    """The video a clip was cut from (``mimicry stimuli cut``), with ``cut_start_s`` and ``cut_end_s``."""
    cut_start_s: float = -1.0
    cut_end_s: float = -1.0
    actor: str = ""
    """Pseudonym of the person filmed (``mimicry stimuli record``), with ``consent`` and ``recorded_at``."""
    consent: bool = False
    recorded_at: str = ""


_TYPES = {
    "id": str,
    "file": str,
    "kind": str,
    "fps": float,
    "duration_s": float,
    "width": int,
    "height": int,
    "sha256": str,
    "source": str,
    "license": str,
    "description": str,
}
#: Optional fields (those with a default in :class:`Stimulus`) and their value when left out.
_OPTIONAL: dict[str, object] = {f.name: f.default for f in fields(Stimulus) if f.default is not MISSING}
_OPTIONAL_TYPES = {k: type(v) for k, v in _OPTIONAL.items()}


@dataclass(frozen=True)
class KindRules:
    """What a clip's actor track must show to be of its kind (MediaPipe blendshape scores)."""

    min_face_fraction: float = 0.9
    """Share of frames with the face found."""
    yawn_jaw_open: float = 0.4
    """A yawn clip reaches ``jawOpen`` >= this ..."""
    smile_mouth_smile: float = 0.6
    """... a smile clip mean ``mouthSmile`` >= this ..."""
    min_event_s: float = 1.0
    """... for at least this long, at least once."""
    control_jaw_open: float = 0.3
    """A control clip never reaches ``jawOpen`` this high ..."""
    control_mouth_smile: float = 0.5
    """... nor ``mouthSmile`` this high."""


DEFAULT_RULES = KindRules()


def shipped_folder(name: str) -> Path:
    """A data folder shipped with mimicry: ``stimuli`` or ``protocols``.

    In a source checkout (and an editable install) it is the folder at the top of the
    repository; a built wheel carries the same files as ``mimicry/_<name>``."""
    package = Path(__file__).resolve().parent.parent  # mimicry/
    checkout = package.parent / name
    marker = MANIFEST if name == "stimuli" else "contagious-yawning.toml"
    return checkout if (checkout / marker).is_file() else package / f"_{name}"


def default_library() -> Path:
    """The library shipped with mimicry (see :func:`shipped_folder`), or ``$MIMICRY_LIBRARY``."""
    env = os.environ.get("MIMICRY_LIBRARY")
    return Path(env) if env else shipped_folder("stimuli")


def _where(index: int, entry: dict) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"stimulus #{index + 1}" + (f" (id {ident!r})" if isinstance(ident, str) else "")


def validate_entry(entry: object, index: int, manifest: Path) -> Stimulus:
    """Check one ``[[stimulus]]`` table; errors name the file, the entry and the field."""
    if not isinstance(entry, dict):
        raise StimulusError(f"{manifest}: stimulus #{index + 1} must be a table")
    where = f"{manifest}: {_where(index, entry)}"
    unknown = sorted(set(entry) - set(_TYPES) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join([*_TYPES, *_OPTIONAL])
        raise StimulusError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {allowed})")
    missing = [k for k in _TYPES if k not in entry]
    if missing:
        raise StimulusError(f"{where}: missing field(s) {', '.join(missing)}")
    values = {}
    for key, typ in _TYPES.items():
        v = entry[key]
        if typ is float and isinstance(v, (int, float)) and not isinstance(v, bool):
            v = float(v)
        if typ is int and isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, typ) or isinstance(v, bool):
            raise StimulusError(
                f"{where}: field {key!r} must be {'a number' if typ is float else typ.__name__}, got {entry[key]!r}"
            )
        values[key] = v
    values.update(_optional_fields(entry, where))
    if not ID_PATTERN.match(values["id"]):
        raise StimulusError(
            f"{where}: field 'id' must be a slug (lower-case letters, digits, - and _), got {values['id']!r}"
        )
    if values["kind"] not in KINDS:
        raise StimulusError(f"{where}: field 'kind' must be one of {', '.join(KINDS)}, got {values['kind']!r}")
    f = Path(values["file"])
    if f.is_absolute() or ".." in f.parts:
        raise StimulusError(f"{where}: field 'file' must be a path inside the library, got {values['file']!r}")
    if not (0 < values["fps"] <= 240):
        raise StimulusError(f"{where}: field 'fps' must be between 0 and 240, got {values['fps']}")
    if not (0 < values["duration_s"] <= 3600):
        raise StimulusError(f"{where}: field 'duration_s' must be between 0 and 3600, got {values['duration_s']}")
    for key in ("width", "height"):
        if not (0 < values[key] <= 10000):
            raise StimulusError(f"{where}: field {key!r} must be between 1 and 10000, got {values[key]}")
    if not re.fullmatch(r"[0-9a-f]{64}", values["sha256"]):
        raise StimulusError(f"{where}: field 'sha256' must be 64 lower-case hex digits")
    for key in ("source", "license", "description"):
        if not values[key].strip():
            raise StimulusError(f"{where}: field {key!r} must not be empty")
    return Stimulus(**values)


def _optional_fields(entry: dict, where: str) -> dict:
    """``synthetic`` (true or false) and the ``cut_*`` fields, with their defaults."""
    out = {}
    for key, default in _OPTIONAL.items():
        v = entry.get(key, default)
        typ = _OPTIONAL_TYPES[key]
        if typ is float and isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        if not isinstance(v, typ) or (typ is not bool and isinstance(v, bool)):
            kind = {bool: "true or false", float: "a number", str: "text"}[typ]
            raise StimulusError(f"{where}: field {key!r} must be {kind}, got {v!r}")
        out[key] = v
    return out


@dataclass
class Library:
    """A stimulus library folder and its manifest entries."""

    root: Path
    stimuli: list[Stimulus]

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    def get(self, stimulus_id: str) -> Stimulus:
        for s in self.stimuli:
            if s.id == stimulus_id:
                return s
        raise StimulusError(f"no stimulus {stimulus_id!r} in {self.manifest}")

    def of_kind(self, kind: str) -> list[Stimulus]:
        return [s for s in self.stimuli if s.kind == kind]

    def clip_path(self, s: Stimulus) -> Path:
        return self.root / s.file

    def verified_clip(self, s: Stimulus) -> Path:
        """The clip of ``s``, checked to exist and to match the manifest's sha256 (a missing
        or changed clip would be logged as shown while something else is on screen).

        Raises
        ------
        StimulusError
            The clip is missing or its sha256 differs from the manifest's.
        """
        clip = self.clip_path(s)
        if not clip.is_file():
            raise StimulusError(f"stimulus {s.id!r}: clip missing: {clip} (mimicry stimuli check lists every problem)")
        if sha256_of(clip) != s.sha256:
            raise StimulusError(
                f"stimulus {s.id!r}: {clip} is not the clip of the manifest (sha256 differs); "
                "re-add it with mimicry stimuli add"
            )
        return clip

    def track_path(self, s: Stimulus | str) -> Path:
        return self.root / "tracks" / f"{s if isinstance(s, str) else s.id}.csv"

    def events_path(self, s: Stimulus | str) -> Path:
        return self.root / "tracks" / f"{s if isinstance(s, str) else s.id}.events.csv"

    def track(self, s: Stimulus | str) -> pd.DataFrame:
        """The actor's track (:data:`mimicry.schema.TRACK` columns)."""
        p = self.track_path(s)
        if not p.is_file():
            raise StimulusError(f"no track for {s if isinstance(s, str) else s.id!r}: {p}")
        return pd.read_csv(p)

    def save(self) -> None:
        """Write the manifest atomically (temporary file, then rename)."""
        import tomli_w

        text = "# mimicry stimulus library: one [[stimulus]] table per clip (see the docs: Your own stimuli)\n\n"
        text += tomli_w.dumps({"stimulus": [_entry(s) for s in self.stimuli]})
        tmp = self.manifest.with_name(MANIFEST + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.manifest)


def _entry(s: Stimulus) -> dict:
    """A manifest table: every field, ``synthetic`` always, the ``cut_*`` and recording fields when set."""
    d = asdict(s)
    for key in ("cut_from", "cut_start_s", "cut_end_s") if not s.cut_from else ():
        d.pop(key)
    for key in ("actor", "consent", "recorded_at") if not s.actor else ():
        d.pop(key)
    return d


def load_library(root: str | Path | None = None, create: bool = False) -> Library:
    """Load and validate a library (``None``: the shipped one).

    Raises
    ------
    StimulusError
        Missing folder or manifest (unless ``create``), TOML syntax errors, invalid entries,
        duplicate ids or files.
    """
    root = Path(root) if root is not None else default_library()
    manifest = root / MANIFEST
    if not manifest.exists():
        if create:
            root.mkdir(parents=True, exist_ok=True)
            return Library(root, [])
        raise StimulusError(f"no stimulus library at {root} (missing {MANIFEST})")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise StimulusError(f"{manifest}: TOML syntax error: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise StimulusError(f"{manifest}: cannot read: {e}") from None
    extra = sorted(set(data) - {"stimulus"})
    if extra:
        raise StimulusError(f"{manifest}: unknown top-level key(s) {', '.join(extra)} (only [[stimulus]] tables)")
    entries = data.get("stimulus", [])
    if not isinstance(entries, list):
        raise StimulusError(f"{manifest}: 'stimulus' must be an array of tables ([[stimulus]])")
    stimuli = [validate_entry(e, i, manifest) for i, e in enumerate(entries)]
    seen: dict[str, int] = {}
    for i, s in enumerate(stimuli):
        if s.id in seen:
            raise StimulusError(
                f"{manifest}: stimulus #{i + 1}: duplicate id {s.id!r} (also stimulus #{seen[s.id] + 1})"
            )
        seen[s.id] = i
    files = [s.file for s in stimuli]
    dup = sorted({f for f in files if files.count(f) > 1})
    if dup:
        raise StimulusError(f"{manifest}: file {dup[0]!r} is listed twice")
    return Library(root, stimuli)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _longest_run_s(t: np.ndarray, ok: np.ndarray) -> float:
    """Longest stretch, in seconds, where ``ok`` holds on consecutive samples."""
    starts, stops = true_runs(ok)
    ends = stops - 1  # inclusive run ends
    if starts.size == 0:
        return 0.0
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    return float((t[ends] - t[starts]).max()) + dt


def verify_kind(track: pd.DataFrame, kind: str, rules: KindRules = DEFAULT_RULES) -> list[str]:
    """Problems that make ``track`` (an actor's :data:`~mimicry.schema.TRACK` CSV) contradict
    ``kind``; an empty list when it agrees."""
    problems = []
    det = track[track["detected"] == 1] if len(track) else track
    frac = len(det) / max(len(track), 1)
    if frac < rules.min_face_fraction:
        problems.append(f"face found in only {frac:.0%} of frames (need {rules.min_face_fraction:.0%})")
    t = track["t_s"].to_numpy(float)
    jaw = track["jawOpen"].fillna(0).to_numpy(float)
    smile = ((track["mouthSmileLeft"] + track["mouthSmileRight"]) / 2).fillna(0).to_numpy(float)
    if kind == "yawn":
        run = _longest_run_s(t, jaw >= rules.yawn_jaw_open)
        if run < rules.min_event_s:
            problems.append(
                f"no yawn-like opening: jawOpen >= {rules.yawn_jaw_open} lasts at most {run:.2f} s "
                f"(need {rules.min_event_s} s)"
            )
    elif kind == "smile":
        run = _longest_run_s(t, smile >= rules.smile_mouth_smile)
        if run < rules.min_event_s:
            problems.append(
                f"no clear smile: mouthSmile >= {rules.smile_mouth_smile} lasts at most {run:.2f} s "
                f"(need {rules.min_event_s} s)"
            )
    elif kind == "control":
        if jaw.max(initial=0) >= rules.control_jaw_open:
            problems.append(
                f"mouth opens too wide for a control clip (jawOpen up to {jaw.max():.2f}, "
                f"limit {rules.control_jaw_open})"
            )
        if smile.max(initial=0) >= rules.control_mouth_smile:
            problems.append(
                f"actor smiles in a control clip (mouthSmile up to {smile.max():.2f}, "
                f"limit {rules.control_mouth_smile})"
            )
    else:
        problems.append(f"unknown kind {kind!r}")
    return problems


def fitting_kinds(track: pd.DataFrame, rules: KindRules = DEFAULT_RULES) -> list[str]:
    """The kinds (of :data:`KINDS`) that ``track`` does not contradict (:func:`verify_kind`):
    one for a clip whose actor does one clear thing, none or several when the face cannot tell."""
    return [k for k in KINDS if not verify_kind(track, k, rules)]


def synthetic_note(stimuli: list[Stimulus]) -> str | None:
    """One line when every clip shown is synthetic (None otherwise)."""
    if stimuli and all(s.synthetic for s in stimuli):
        return (
            "note: every clip here is synthetic (a photo animated by mimicry, not a filmed person); "
            "record or cut real clips with 'mimicry stimuli record' or 'mimicry stimuli cut'"
        )
    return None


def check_library(lib: Library, rules: KindRules = DEFAULT_RULES) -> dict[str, list[str]]:
    """Problems per stimulus id: missing clip, wrong hash, missing track, track contradicting kind."""
    report = {}
    for s in lib.stimuli:
        problems = []
        clip = lib.clip_path(s)
        if not clip.is_file():
            problems.append(f"clip missing: {clip}")
        elif sha256_of(clip) != s.sha256:
            problems.append(f"sha256 of {clip} does not match the manifest")
        if not lib.events_path(s).is_file():
            problems.append(f"actor events missing: {lib.events_path(s)}")
        if not lib.track_path(s).is_file():
            problems.append(f"track missing: {lib.track_path(s)}")
        else:
            problems += verify_kind(lib.track(s), s.kind, rules)
        report[s.id] = problems
    return report


STIMULUS_FIELDS = [f.name for f in fields(Stimulus)]
