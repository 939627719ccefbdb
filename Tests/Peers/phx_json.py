"""JSON encoding the way Phoenix 1.7 (Jason) puts it on the wire.

Why: tests compare our server's frames byte for byte with real Phoenix captures. Jason writes compact JSON,
keeps non-ASCII characters as UTF-8, and Erlang small maps come out with their keys sorted. Presence metas are
the one exception seen in the captures: `phx_ref` comes first (`{"phx_ref":..,"online_at":..}`), so such maps
are built as `Ordered` and keep their insertion order.
"""

from __future__ import annotations

import json
from typing import Any

_SEPARATORS = (",", ":")


class Ordered(dict):  # type: ignore[type-arg]
    """A JSON object whose keys are written in insertion order instead of sorted."""


class HoldsOrdered(dict):  # type: ignore[type-arg]
    """A payload (sorted itself) with `Ordered` objects somewhere inside; marking it saves a search of every
    payload on the hot path."""


def _reject(constant: str) -> Any:
    raise ValueError(f"invalid JSON constant {constant}")


_SORTED = json.JSONEncoder(separators=_SEPARATORS, ensure_ascii=False, sort_keys=True, allow_nan=False)
_AS_BUILT = json.JSONEncoder(separators=_SEPARATORS, ensure_ascii=False, allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_reject)


def _sorted_copy(value: Any) -> Any:
    if isinstance(value, Ordered):
        return {k: _sorted_copy(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _sorted_copy(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_copy(v) for v in value]
    return value


def encode(value: Any, ordered: bool = False) -> str:
    """Compact JSON with sorted keys, except inside `Ordered` objects when `ordered` says there are some
    (Python sorts str by code point, the same order as Erlang's byte order of UTF-8 binaries)."""
    if ordered:
        return _AS_BUILT.encode(_sorted_copy(value))
    return _SORTED.encode(value)


def decode(text: str | bytes) -> Any:
    """Strict JSON decoding: NaN and Infinity are not JSON, so Jason would reject them and so do we."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    return _DECODER.decode(text)
