"""Analysis settings as plain data: every constant of :class:`~mimicry.analysis.AnalysisConfig`
to and from a JSON-ready dict, so an analysis can be recorded beside its outputs
(``analysis_config.json``) and rerun with exactly the same settings (pre-registration).
"""

from __future__ import annotations

import dataclasses
import typing
import warnings

from ..errors import MimicryError


class SettingsError(MimicryError):
    """An analysis configuration file is invalid."""


def to_dict(config) -> dict:
    """Every field of a (nested) settings dataclass, tuples as lists."""
    return _plain(dataclasses.asdict(config))


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


#: Settings of earlier versions that no longer exist, with why: read with a warning, not used.
RETIRED = {
    "shuffle_segment_s": "the block-shuffle p-value (p_value_shuffle) was dropped in mimicry 0.2: it ran hot",
}


def from_dict(cls, data: object, where: str = "analysis"):
    """Build ``cls`` (a frozen settings dataclass, nested ones included) from ``data``.

    Missing fields keep their defaults; an unknown field or a value of the wrong type raises
    :class:`SettingsError` naming the field (``where`` is the path to it). A retired setting
    (:data:`RETIRED`) is left out with a warning.
    """
    if not isinstance(data, dict):
        raise SettingsError(f"{where} must be a JSON object, got {type(data).__name__}")
    for key in sorted(set(data) & set(RETIRED)):
        warnings.warn(f"{where}.{key} is not used any more: {RETIRED[key]}", stacklevel=2)
    data = {k: v for k, v in data.items() if k not in RETIRED}
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise SettingsError(f"{where}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(names))})")
    kwargs = {name: _value(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise SettingsError(f"{where}: {e}") from None


def _value(hint, value, where: str):
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    origin = typing.get_origin(hint)
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list) or len(value) != len(args):
            raise SettingsError(f"{where} must be a list of {len(args)} numbers, got {value!r}")
        return tuple(_value(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if hint is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"{where} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{where} must be a whole number, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SettingsError(f"{where} must be a number, got {value!r}")
        return float(value)
    return value
