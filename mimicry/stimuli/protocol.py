"""Protocol files: which stimuli a session shows, in what order, with what pauses.

A protocol is a TOML file::

    [protocol]
    name = "contagious-yawning"
    baseline_s = 30        # neutral screen (fixation cross) before the first block, >= 0
    isi_s = 10             # neutral screen between blocks, >= 0
    order = "shuffle"      # "fixed" | "shuffle"
    seed = 42              # optional; recorded either way
    calibration = false    # optional: cued broad smile, wide-open mouth, relaxed face before the baseline

    [[block]]
    stimulus = "yawn-man-a"   # a stimulus id from the library ...
    [[block]]
    kind = "control"          # ... or a kind: the next unused clip of that kind
    repeat = 2                # optional

Every error names the file, the field and what is allowed.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MimicryError
from .library import KINDS, Library


class ProtocolError(MimicryError):
    """A protocol file is missing or invalid."""


@dataclass(frozen=True)
class BlockSpec:
    """One ``[[block]]`` table: a stimulus id or a kind, shown ``repeat`` times."""

    stimulus: str | None
    kind: str | None
    repeat: int = 1


@dataclass(frozen=True)
class Protocol:
    """A validated protocol. Durations in seconds."""

    name: str
    baseline_s: float
    isi_s: float
    order: str
    seed: int | None
    blocks: tuple[BlockSpec, ...]
    path: Path
    text: str
    calibration: bool = False
    """A calibration phase (:mod:`mimicry.analysis.calibration`) before the baseline."""


@dataclass(frozen=True)
class ResolvedBlock:
    """A block as it will be shown: its position, stimulus and kind."""

    index: int
    stimulus_id: str
    kind: str


_PROTOCOL_KEYS = {"name": str, "baseline_s": float, "isi_s": float, "order": str, "seed": int, "calibration": bool}
_BLOCK_KEYS = {"stimulus": str, "kind": str, "repeat": int}
MAX_DURATION_S = 3600.0


def _number(value, where: str, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(f"{where}: field {field!r} must be a number of seconds, got {value!r}")
    if not lo <= float(value) <= hi:
        raise ProtocolError(f"{where}: field {field!r} must be between {lo:g} and {hi:g} s, got {value}")
    return float(value)


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol file.

    Raises
    ------
    ProtocolError
        Missing file, TOML syntax errors, unknown keys, wrong types, negative or absurd
        durations (over an hour), an empty block list, a block with both or neither of
        ``stimulus`` and ``kind``, an unknown kind, a repeat outside 1-100.
    """
    path = Path(path)
    if not path.is_file():
        raise ProtocolError(f"protocol not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProtocolError(f"{path}: TOML syntax error: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProtocolError(f"{path}: cannot read: {e}") from None
    extra = sorted(set(data) - {"protocol", "block"})
    if extra:
        raise ProtocolError(f"{path}: unknown section(s) {', '.join(extra)} (allowed: [protocol], [[block]])")
    head = data.get("protocol")
    if not isinstance(head, dict):
        raise ProtocolError(f"{path}: missing [protocol] table")
    where = f"{path}: [protocol]"
    unknown = sorted(set(head) - set(_PROTOCOL_KEYS))
    if unknown:
        raise ProtocolError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(_PROTOCOL_KEYS)})")
    name = head.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ProtocolError(f"{where}: field 'name' must be a non-empty string, got {name!r}")
    baseline = _number(head.get("baseline_s", 0.0), where, "baseline_s", 0.0, MAX_DURATION_S)
    isi = _number(head.get("isi_s", 0.0), where, "isi_s", 0.0, MAX_DURATION_S)
    order = head.get("order", "fixed")
    if order not in ("fixed", "shuffle"):
        raise ProtocolError(f'{where}: field \'order\' must be "fixed" or "shuffle", got {order!r}')
    seed = head.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ProtocolError(f"{where}: field 'seed' must be a whole number >= 0, got {seed!r}")
    calibration = head.get("calibration", False)
    if not isinstance(calibration, bool):
        raise ProtocolError(f"{where}: field 'calibration' must be true or false, got {calibration!r}")
    raw_blocks = data.get("block")
    if not isinstance(raw_blocks, list) or not raw_blocks:
        raise ProtocolError(f"{path}: no [[block]] tables: a protocol needs at least one block")
    blocks = []
    for i, b in enumerate(raw_blocks):
        bw = f"{path}: block #{i + 1}"
        if not isinstance(b, dict):
            raise ProtocolError(f"{bw}: must be a table")
        unknown = sorted(set(b) - set(_BLOCK_KEYS))
        if unknown:
            raise ProtocolError(f"{bw}: unknown field(s) {', '.join(unknown)} (allowed: stimulus, kind, repeat)")
        if ("stimulus" in b) == ("kind" in b):
            raise ProtocolError(f"{bw}: give exactly one of 'stimulus' (an id) or 'kind' ({', '.join(KINDS)})")
        stim, kind = b.get("stimulus"), b.get("kind")
        if stim is not None and (not isinstance(stim, str) or not stim):
            raise ProtocolError(f"{bw}: field 'stimulus' must be a stimulus id, got {stim!r}")
        if kind is not None and kind not in KINDS:
            raise ProtocolError(f"{bw}: field 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
        repeat = b.get("repeat", 1)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 100:
            raise ProtocolError(f"{bw}: field 'repeat' must be a whole number from 1 to 100, got {repeat!r}")
        blocks.append(BlockSpec(stim, kind, repeat))
    return Protocol(name.strip(), baseline, isi, order, seed, tuple(blocks), path, text, calibration)


def resolve_blocks(protocol: Protocol, library: Library, seed: int | None = None) -> tuple[list[ResolvedBlock], int]:
    """Expand repeats, pick clips for ``kind`` blocks, and order the blocks.

    A ``kind`` block takes the next clip of that kind not used yet by the protocol (cycling
    when all have been used). ``shuffle`` permutes the expanded blocks with ``seed`` (the
    protocol's, else the argument, else a fresh random one). Returns the blocks and the seed.

    Raises
    ------
    ProtocolError
        An unknown stimulus id, or a kind with no clip in the library.
    """
    ids = {s.id: s for s in library.stimuli}
    used: set[str] = {b.stimulus for b in protocol.blocks if b.stimulus}
    cursor = {k: 0 for k in KINDS}
    expanded: list[tuple[str, str]] = []
    for i, b in enumerate(protocol.blocks):
        for _ in range(b.repeat):
            if b.stimulus is not None:
                if b.stimulus not in ids:
                    raise ProtocolError(
                        f"{protocol.path}: block #{i + 1}: unknown stimulus {b.stimulus!r} (not in {library.manifest})"
                    )
                expanded.append((b.stimulus, ids[b.stimulus].kind))
                continue
            pool = library.of_kind(b.kind)
            if not pool:
                raise ProtocolError(f"{protocol.path}: block #{i + 1}: no {b.kind} clip in {library.manifest}")
            fresh = [s for s in pool if s.id not in used]
            if fresh:
                pick = fresh[0]
            else:  # all used: cycle through the kind
                pick = pool[cursor[b.kind] % len(pool)]
                cursor[b.kind] += 1
            used.add(pick.id)
            expanded.append((pick.id, pick.kind))
    chosen = protocol.seed if protocol.seed is not None else (seed if seed is not None else secrets.randbelow(2**31))
    if protocol.order == "shuffle":
        order = np.random.default_rng(chosen).permutation(len(expanded))
        expanded = [expanded[k] for k in order]
    return [ResolvedBlock(i, sid, kind) for i, (sid, kind) in enumerate(expanded)], int(chosen)
