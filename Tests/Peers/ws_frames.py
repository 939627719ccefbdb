"""RFC 6455 framing for the test peers (server and load generator), sans-IO.

Why hand-written: the test server must behave like Bandit at the byte level (answer an empty close with 1000,
ignore unmasked client frames, close 1011 on undecodable Phoenix frames, permessage-deflate with context
takeover) and must be fast enough to take the benchmark load; a generic library hides or slows both.

    0                   1                   2                   3
    +-+-+-+-+-------+-+-------------+-------------------------------+
    |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
    |I|S|S|S|  (4)  |A|     (7)     |            (16/64)            |
    |N|V|V|V|       |S|             |   (if payload len==126/127)   |
    | |1|2|3|       |K|             |                               |
    +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
    |     Masking-key (0 or 4 bytes, client to server only)         |
    +---------------------------------------------------------------+
    |                         Payload Data                          |
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from dataclasses import dataclass

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_DEFLATE_TAIL = b"\x00\x00\xff\xff"


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR with the 4-byte mask using one big-integer operation (fast in CPython for any length)."""
    n = len(payload)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def encode_frame(opcode: int, payload: bytes, mask: bytes | None = None, fin: bool = True, rsv1: bool = False) -> bytes:
    """One frame; `mask` is the 4-byte key for client frames, None for server frames."""
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    m = 0x80 if mask is not None else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if mask is None:
        return head + payload
    return head + mask + unmask(payload, mask)


def close_payload(code: int | None, reason: str = "") -> bytes:
    """Body of a close frame: empty when there is no code."""
    return b"" if code is None else struct.pack("!H", code) + reason.encode()


@dataclass(frozen=True)
class Message:
    """A complete data message (fragments joined, inflated)."""

    opcode: int
    data: bytes


@dataclass(frozen=True)
class Control:
    """A ping, pong or close frame; for close, `code` is None when the body was empty."""

    opcode: int
    data: bytes
    code: int | None = None


@dataclass(frozen=True)
class ProtocolError:
    """A framing violation; the server answers with close 1002 (or 1007 for bad UTF-8)."""

    code: int
    text: str


@dataclass(frozen=True)
class Unmasked:
    """A client frame without a mask: Bandit ignores it and everything after it on the connection."""


Event = Message | Control | ProtocolError | Unmasked


class Deflate:
    """permessage-deflate for one direction pair; context takeover unless the offer said otherwise."""

    def __init__(self, compress_takeover: bool = True, decompress_takeover: bool = True) -> None:
        self._ctake, self._dtake = compress_takeover, decompress_takeover
        self._c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self._d = zlib.decompressobj(-15)

    def compress(self, data: bytes) -> bytes:
        """Compress one message and strip the 00 00 ff ff tail (RFC 7692 7.2.1)."""
        if not self._ctake:
            self._c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        out = self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(_DEFLATE_TAIL) else out

    def decompress(self, data: bytes) -> bytes:
        """Inflate one message (the tail is appended back)."""
        if not self._dtake:
            self._d = zlib.decompressobj(-15)
        return self._d.decompress(data + _DEFLATE_TAIL)


class FrameParser:
    """Incremental frame parser: `feed` any split of the byte stream, get events. Incomplete frames stay
    buffered and consume nothing."""

    def __init__(self, expect_mask: bool, deflate: Deflate | None = None) -> None:
        self._buf = bytearray()
        self._expect_mask = expect_mask
        self._deflate = deflate
        self._frag_opcode: int | None = None
        self._frag_rsv1 = False
        self._frags: list[bytes] = []
        self.dead = False

    def feed(self, data: bytes) -> list[Event]:
        """Parse as many whole frames as `data` completes."""
        if self.dead:
            return []
        buf = self._buf
        buf += data
        events: list[Event] = []
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            hdr = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = (buf[pos + 2] << 8) | buf[pos + 3]
                hdr = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2:pos + 10], "big")
                hdr = 10
            masked = b1 & 0x80
            if masked:
                hdr += 4
            if size - pos < hdr + n:
                break
            start = pos + hdr
            payload = bytes(buf[start:start + n])
            if masked:
                payload = unmask(payload, bytes(buf[start - 4:start]))
            pos = start + n
            if self._expect_mask and not masked:
                self.dead = True
                events.append(Unmasked())
                break
            ev = self._frame(b0, payload)
            if ev is not None:
                events.append(ev)
                if isinstance(ev, ProtocolError):
                    self.dead = True
                    break
        del buf[:pos]
        return events

    def _frame(self, b0: int, payload: bytes) -> Event | None:
        fin, rsv1, opcode = b0 & 0x80, b0 & 0x40, b0 & 0x0F
        if b0 & 0x30 or (rsv1 and self._deflate is None):
            return ProtocolError(1002, "reserved bits set without a negotiated extension")
        if opcode >= 0x8:
            if not fin or len(payload) > 125 or rsv1:
                return ProtocolError(1002, "control frames must be final, unCompressed and at most 125 bytes")
            if opcode == CLOSE:
                if len(payload) == 1:
                    return ProtocolError(1002, "close body of one byte")
                code = struct.unpack("!H", payload[:2])[0] if payload else None
                return Control(CLOSE, payload, code)
            if opcode in (PING, PONG):
                return Control(opcode, payload)
            return ProtocolError(1002, f"unknown control opcode {opcode}")
        if opcode == CONT:
            if self._frag_opcode is None:
                return ProtocolError(1002, "continuation frame without a message to continue")
            self._frags.append(payload)
            if not fin:
                return None
            data, op, comp = b"".join(self._frags), self._frag_opcode, self._frag_rsv1
            self._frags, self._frag_opcode = [], None
            return self._message(op, data, comp)
        if opcode not in (TEXT, BINARY):
            return ProtocolError(1002, f"unknown data opcode {opcode}")
        if self._frag_opcode is not None:
            return ProtocolError(1002, "new data frame while a fragmented message is open")
        if not fin:
            self._frag_opcode, self._frag_rsv1, self._frags = opcode, bool(rsv1), [payload]
            return None
        return self._message(opcode, payload, bool(rsv1))

    def _message(self, opcode: int, data: bytes, compressed: bool) -> Event:
        if compressed and self._deflate is not None:
            try:
                data = self._deflate.decompress(data)
            except zlib.error as exc:
                return ProtocolError(1007, f"permessage-deflate data did not inflate: {exc}")
        return Message(opcode, data)


def negotiate_deflate(offer: str | None) -> tuple[str, Deflate] | None:
    """Accept the first permessage-deflate offer; returns the response header value and the codec.
    Context takeover stays on in both directions unless the client asks otherwise (Bandit's default)."""
    if not offer:
        return None
    for ext in offer.split(","):
        params = [p.strip() for p in ext.split(";")]
        if params[0].lower() != "permessage-deflate":
            continue
        names = {p.split("=")[0].strip().lower() for p in params[1:]}
        reply = ["permessage-deflate"]
        server_nct = "server_no_context_takeover" in names
        client_nct = "client_no_context_takeover" in names
        if server_nct:
            reply.append("server_no_context_takeover")
        if client_nct:
            reply.append("client_no_context_takeover")
        return "; ".join(reply), Deflate(compress_takeover=not server_nct, decompress_takeover=not client_nct)
    return None
