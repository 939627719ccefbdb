"""One TCP connection of the test server: HTTP/1.1 requests (LongPoll, refused upgrades) and, after a 101,
WebSocket frames.

Why asyncio.Protocol and not a framework: the replies must be Bandit's at the byte level (header names and
order, close codes) and the server must keep up with the benchmark load, so there is no per-message task:
frames are parsed in `data_received` and replies are written in one batch per read.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import phx_serializer as ser
import ws_frames as wsf
from live_counter import live_page
from longpoll import LongPollManager
from phx_hub import Hub
from phx_socket import PhxSocket, Version

_REASONS = {101: "Switching Protocols", 200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            413: "Request Entity Too Large"}
_CACHE = ("cache-control", "max-age=0, private, must-revalidate")
_MAX_HEAD = 64 * 1024
_MAX_BODY = 16 * 1024 * 1024


@dataclass
class ServerConfig:
    """Everything connections share."""

    hub: Hub
    version: Version
    compress: bool
    mounts: dict[str, list[tuple[str, Any]]]  # "/socket" -> channel routes
    longpoll_window: float = 10.0
    ws_timeout: float = 60.0
    longpolls: dict[str, LongPollManager] = field(init=False)

    def __post_init__(self) -> None:
        self.longpolls = {mount: LongPollManager(self.longpoll_window, self._factory(mount)) for mount in self.mounts}

    def _factory(self, mount: str) -> Callable[[int, dict[str, str], Callable[[bool, bytes], None]], PhxSocket]:
        return lambda vsn, params, emit: self.make_socket(mount, vsn, params, emit)

    def make_socket(self, mount: str, vsn: int, params: dict[str, str],
                    emit: Callable[[bool, bytes], None]) -> PhxSocket:
        """A Phoenix socket for one transport connection or LongPoll session on `mount`."""
        return PhxSocket(self.hub, vsn, self.version, emit, self.mounts[mount], params)


def connect_refused(params: dict[str, str], bearer: str | None) -> bool:
    """The app's `connect/3`: refuse `token=bad` (query param or bearer subprotocol)."""
    return params.get("token") == "bad" or bearer == "bad"


def bandit_close_reply(code: int | None) -> int:
    """The code Bandit answers a client close with (RFC 6455 7.4.1-2): 1000 for an empty close or a code a
    client may send, 1002 for the reserved ones (1004-1006, 1012-2999, below 1000)."""
    if code is None or 1000 <= code <= 1003 or 1007 <= code <= 1011 or code > 2999:
        return 1000
    return 1002


class Connection(asyncio.Protocol):
    """HTTP until an upgrade, then WebSocket."""

    def __init__(self, config: ServerConfig) -> None:
        self.cfg = config
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.mode = "http"  # http | ws | ignore | closed
        self.busy = False
        self.parser: wsf.FrameParser | None = None
        self.deflate: wsf.Deflate | None = None
        self.socket: PhxSocket | None = None
        self.close_sent = False
        self._batch: list[bytes] | None = None
        self._last_rx = 0.0
        self._idle: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:  # noqa: D102
        if self.mode == "ws":
            self._ws_data(data)
        elif self.mode == "http":
            self.buf += data
            if not self.busy:
                self._http_loop()

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        self.mode = "closed"
        if self._idle is not None:
            self._idle.cancel()
        if self.socket is not None:
            self.socket.terminate()

    # --- output helpers ----------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self._batch is not None:
            self._batch.append(data)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _respond(self, status: int, headers: list[tuple[str, str]], payload: bytes = b"", close: bool = False) -> None:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}", f"date: {formatdate(usegmt=True)}"]
        lines += [f"{k}: {v}" for k, v in headers]
        self._write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        if close and self.transport is not None:
            self.transport.close()

    def _plain(self, status: int, close: bool = False) -> None:
        self._respond(status, [("content-length", "0"), ("vary", "accept-encoding"), _CACHE], close=close)

    def _json(self, payload: bytes) -> None:
        self._respond(200, [("content-length", str(len(payload))), ("vary", "accept-encoding"), _CACHE,
                            ("access-control-allow-origin", "*"),
                            ("content-type", "application/json; charset=utf-8")], payload)

    # --- HTTP --------------------------------------------------------------------------------------

    def _http_loop(self) -> None:
        while self.mode == "http" and not self.busy:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > _MAX_HEAD:
                    self._plain(400, close=True)
                return
            try:
                head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
                method, target, _ = head[0].split(" ", 2)
                headers = {}
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
            except ValueError:
                self._plain(400, close=True)
                return
            if not 0 <= length <= _MAX_BODY or "chunked" in headers.get("transfer-encoding", ""):
                self._plain(400, close=True)
                return
            if len(self.buf) < end + 4 + length:
                return
            payload = bytes(self.buf[end + 4:end + 4 + length])
            del self.buf[:end + 4 + length]
            self._request(method, target, headers, payload)

    def _request(self, method: str, target: str, headers: dict[str, str], payload: bytes) -> None:
        url = urlsplit(target)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        mount, _, transport = url.path.rstrip("/").rpartition("/")
        if mount in self.cfg.mounts and transport == "websocket":
            self._upgrade(mount, method, params, headers)
        elif mount in self.cfg.mounts and transport == "longpoll":
            self._longpoll(self.cfg.longpolls[mount], method, params, headers, payload)
        elif method == "GET" and url.path == "/counter":
            page = live_page().encode()
            self._respond(200, [("content-length", str(len(page))), ("vary", "accept-encoding"),
                                ("content-type", "text/html; charset=utf-8"), _CACHE], page)
        else:
            self._plain(404)

    def _longpoll(self, lp: LongPollManager, method: str, params: dict[str, str], headers: dict[str, str],
                  payload: bytes) -> None:
        if method == "POST":
            self._json(lp.post(params, headers, payload))
        elif method == "OPTIONS":
            self._respond(200, [("content-length", "0"), _CACHE, ("access-control-allow-origin", "*"),
                                ("access-control-allow-headers", "content-type, x-phoenix-longpoll-token"),
                                ("access-control-allow-methods", "GET, POST, OPTIONS")])
        elif method == "GET":
            self.busy = True
            task = asyncio.ensure_future(lp.get(params, headers))
            task.add_done_callback(self._poll_done)
        else:
            self._plain(400)

    def _poll_done(self, task: asyncio.Future[bytes]) -> None:
        self.busy = False
        if self.mode != "http" or task.cancelled():
            return
        self._json(task.result())
        self._http_loop()

    def _upgrade(self, mount: str, method: str, params: dict[str, str], headers: dict[str, str]) -> None:
        key = headers.get("sec-websocket-key")
        if (method != "GET" or "websocket" not in headers.get("upgrade", "").lower()
                or "upgrade" not in headers.get("connection", "").lower() or not key
                or headers.get("sec-websocket-version") != "13"):
            self._plain(400)
            return
        protocols = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        bearer = None
        for p in protocols:
            if p.startswith("base64url.bearer.phx."):
                raw = p[len("base64url.bearer.phx."):]
                try:
                    bearer = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
                except ValueError:
                    bearer = ""
        vsn = ser.parse_vsn(params.get("vsn"))
        if vsn is None or connect_refused(params, bearer):
            self._plain(403)  # Phoenix refuses before the upgrade: 403, empty body
            return
        reply = [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", wsf.accept_key(key))]
        if "phoenix" in protocols:
            reply.append(("sec-websocket-protocol", "phoenix"))
        if self.cfg.compress:
            negotiated = wsf.negotiate_deflate(headers.get("sec-websocket-extensions"))
            if negotiated is not None:
                reply.append(("sec-websocket-extensions", negotiated[0]))
                self.deflate = negotiated[1]
        reply.append(_CACHE)
        self._respond(101, reply)
        self.mode = "ws"
        self.parser = wsf.FrameParser(expect_mask=True, deflate=self.deflate)
        self.socket = self.cfg.make_socket(mount, vsn, params, self._emit)
        self._last_rx = asyncio.get_running_loop().time()
        self._arm_idle(self.cfg.ws_timeout)
        rest = bytes(self.buf)
        self.buf.clear()
        if rest:
            self._ws_data(rest)

    # --- WebSocket ---------------------------------------------------------------------------------

    def _emit(self, is_binary: bool, data: bytes) -> None:
        if self.close_sent:
            return
        opcode = wsf.BINARY if is_binary else wsf.TEXT
        if self.deflate is not None:
            self._write(wsf.encode_frame(opcode, self.deflate.compress(data), rsv1=True))
        else:
            self._write(wsf.encode_frame(opcode, data))

    def _close(self, code: int | None) -> None:
        if not self.close_sent:
            self._write(wsf.encode_frame(wsf.CLOSE, wsf.close_payload(code)))
            self.close_sent = True
        self._flush()
        if self.transport is not None:
            self.transport.close()
        self.mode = "closed"
        if self.socket is not None:
            self.socket.terminate()

    def _flush(self) -> None:
        batch, self._batch = self._batch, None
        if batch and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(batch))

    def _arm_idle(self, delay: float) -> None:
        self._idle = asyncio.get_running_loop().call_later(delay, self._idle_check)

    def _idle_check(self) -> None:
        # Phoenix's `timeout` (60 s): no data from the client for that long and Bandit closes with 1002.
        if self.mode != "ws":
            return
        left = self._last_rx + self.cfg.ws_timeout - asyncio.get_running_loop().time()
        if left > 0:
            self._arm_idle(left)
        else:
            self._close(1002)

    def _ws_data(self, data: bytes) -> None:
        assert self.parser is not None and self.socket is not None
        self._last_rx = asyncio.get_running_loop().time()
        self._batch = []
        try:
            for ev in self.parser.feed(data):
                if self.mode != "ws":
                    break
                if isinstance(ev, wsf.Message):
                    try:
                        msg = ser.decode(self.socket.vsn, ev.opcode == wsf.BINARY, ev.data)
                    except ser.DecodeError:
                        self._close(1011)  # the socket process crashes: close 1011 at once, then FIN
                        return
                    try:
                        self.socket.handle_in(msg)
                    except Exception:  # noqa: BLE001  (a crash in the app crashes the socket, as in Phoenix)
                        self._close(1011)
                        return
                elif isinstance(ev, wsf.Control):
                    if ev.opcode == wsf.PING:
                        self._write(wsf.encode_frame(wsf.PONG, ev.data))
                    elif ev.opcode == wsf.CLOSE:
                        self._close(bandit_close_reply(ev.code))
                        return
                elif isinstance(ev, wsf.ProtocolError):
                    self._close(ev.code)
                    return
                elif isinstance(ev, wsf.Unmasked):
                    self.mode = "ignore"  # what Bandit 1.8 did: no close, no reply, later frames ignored
        finally:
            self._flush()
