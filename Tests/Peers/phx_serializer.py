"""Phoenix V1 JSON, V2 JSON and V2 binary serializers, server side.

Why a separate module: the socket logic must not care which serializer a connection negotiated, and the
binary layouts differ by direction (a client push has a ref, a server push does not), so decoding here is
always "a client frame" and encoding always "a server frame".

V2 binary layouts (each size is one unsigned byte, so each field is at most 255 bytes):

    client push   +------+--------+-------+---------+---------+----------+-----+-------+-------+---------+
    (kind 0)      | 0x00 | J size | R size| T size  | E size  | join_ref | ref | topic | event | payload |
                  +------+--------+-------+---------+---------+----------+-----+-------+-------+---------+
    server push   | 0x00 | J size | T size| E size  | join_ref | topic | event | payload |
    server reply  | 0x01 | J size | R size| T size  | S size   | join_ref | ref | topic | status | payload |
    broadcast     | 0x02 | T size | E size| topic   | event    | payload |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import phx_json

JsonRef = Union[str, int, float, bool, None]
Payload = Any  # a decoded JSON value, or bytes for a binary payload

PUSH, REPLY, BROADCAST = 0, 1, 2


class DecodeError(Exception):
    """A client frame the Phoenix serializer cannot decode; real Phoenix crashes the socket (close 1011)."""


@dataclass(frozen=True)
class ClientMessage:
    """One decoded client message; `payload` is bytes when it came in a binary frame."""

    join_ref: JsonRef
    ref: JsonRef
    topic: str
    event: str
    payload: Payload


@dataclass(frozen=True)
class Reply:
    """The payload of a phx_reply: `response` is JSON or bytes (a binary reply)."""

    status: str
    response: Payload


def parse_vsn(vsn: str | None) -> int | None:
    """Map the `vsn` query param to a serializer version (1 or 2) as Phoenix does: no vsn means 1.0.0; the
    requirement is `~> 1.0.0` or `~> 2.0.0` (so 1.0.x / 2.0.x, no pre-releases); anything else is None (403)."""
    if vsn is None:
        return 1
    core, _, build = vsn.partition("+")
    core, dash, pre = core.partition("-")
    parts = core.split(".")
    if len(parts) != 3 or not all(p.isdigit() and (p == "0" or not p.startswith("0")) for p in parts):
        return None
    if dash and not pre:
        return None
    major, minor = int(parts[0]), int(parts[1])
    if pre:
        return None
    if (major, minor) == (1, 0):
        return 1
    if (major, minor) == (2, 0):
        return 2
    return None


def _text_ref(value: Any, field: str) -> JsonRef:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise DecodeError(f"{field} must be a string, number or null")


def decode(vsn: int, binary: bool, data: bytes) -> ClientMessage:
    """Decode one client WebSocket message (or LongPoll line) of the negotiated serializer."""
    if binary:
        if vsn != 2:
            raise DecodeError("the V1 serializer does not accept binary frames")
        return _decode_binary(data)
    try:
        value = phx_json.decode(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None
    if vsn == 1:
        if not isinstance(value, dict):
            raise DecodeError("V1 JSON Serializer expected a map")
        for key in ("topic", "event", "payload", "ref"):
            if key not in value:
                raise DecodeError(f"missing key {key!r}")
        join_ref, ref, topic, event, payload = (
            value.get("join_ref"), value["ref"], value["topic"], value["event"], value["payload"])
    else:
        if not isinstance(value, list) or len(value) < 5:
            raise DecodeError("V2 text frame must be an array of at least 5 elements")
        join_ref, ref, topic, event, payload = value[:5]
    if not isinstance(topic, str) or not isinstance(event, str):
        raise DecodeError("topic and event must be strings")
    return ClientMessage(_text_ref(join_ref, "join_ref"), _text_ref(ref, "ref"), topic, event, payload)


def _decode_binary(data: bytes) -> ClientMessage:
    if len(data) < 5:
        raise DecodeError(f"binary frame of {len(data)} bytes is shorter than the 5-byte push header")
    if data[0] != PUSH:
        raise DecodeError(f"binary frame kind {data[0]} is not a push (0)")
    sizes = data[1:5]
    end = 5 + sum(sizes)
    if end > len(data):
        raise DecodeError(f"binary push header sizes need {end} bytes, frame has {len(data)}")
    fields, offset = [], 5
    for size in sizes:
        fields.append(data[offset:offset + size].decode("utf-8", "surrogateescape"))
        offset += size
    join_ref, ref, topic, event = fields
    return ClientMessage(join_ref, ref, topic, event, bytes(data[end:]))


def _b(value: JsonRef) -> bytes:
    raw = "" if value is None else str(value)
    encoded = raw.encode("utf-8", "surrogateescape")
    if len(encoded) > 255:
        raise ValueError(f"binary field {raw[:20]!r}... must be less than or equal to 255 bytes")
    return encoded


def encode(vsn: int, join_ref: JsonRef, ref: JsonRef, topic: str, event: str, payload: Payload) -> tuple[bool, bytes]:
    """Encode one server message; returns (is_binary, bytes). `payload` is a `Reply` for phx_reply."""
    if isinstance(payload, Reply):
        if isinstance(payload.response, (bytes, bytearray)):
            return True, _binary(REPLY, join_ref, ref, topic, payload.status, bytes(payload.response))
        body: Any = {"response": payload.response, "status": payload.status}
    elif isinstance(payload, (bytes, bytearray)):
        kind = BROADCAST if join_ref is None and ref is None else PUSH
        return True, _binary(kind, join_ref, ref, topic, event, bytes(payload))
    else:
        body = payload
    ordered = isinstance(body, phx_json.HoldsOrdered)
    if vsn == 1:
        # V1 never sends join_ref (Map.take([:topic, :event, :payload, :ref])).
        envelope: Any = {"event": event, "payload": body, "ref": ref, "topic": topic}
        return False, phx_json.encode(envelope, ordered).encode()
    return False, phx_json.encode([join_ref, ref, topic, event, body], ordered).encode()


def _binary(kind: int, join_ref: JsonRef, ref: JsonRef, topic: str, name: str, payload: bytes) -> bytes:
    t, n = _b(topic), _b(name)
    if kind == BROADCAST:
        return bytes((BROADCAST, len(t), len(n))) + t + n + payload
    j = _b(join_ref)
    if kind == PUSH:
        return bytes((PUSH, len(j), len(t), len(n))) + j + t + n + payload
    r = _b(ref)
    return bytes((REPLY, len(j), len(r), len(t), len(n))) + j + r + t + n + payload
