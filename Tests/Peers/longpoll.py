"""LongPoll sessions (PROTOCOL.md section 6): GET polls, POST ndjson sends, status inside HTTP 200 JSON bodies.

Why its own module: a LongPoll session outlives the HTTP requests that drive it, so the Phoenix socket lives
here and requests only look it up by token. Server binary messages are sent as base64 strings in `messages`
(inference: the same convention the client uses for binary lines; the captures have no server binary over
LongPoll).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import time
from typing import Any, Callable

import phx_serializer as ser
from phx_socket import PhxSocket


def body(value: dict[str, Any]) -> bytes:
    """Compact JSON with sorted keys, like Jason for these small maps."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


class Session:
    """One LongPoll session: the Phoenix socket, messages waiting for a poll, and the poll waiting for them."""

    def __init__(self, token: str, socket_factory: Callable[[Callable[[bool, bytes], None]], PhxSocket]) -> None:
        self.token = token
        self.queue: list[str] = []
        self.waiter: asyncio.Future[None] | None = None
        self.socket = socket_factory(self._emit)
        self.expiry: asyncio.TimerHandle | None = None

    def _emit(self, is_binary: bool, data: bytes) -> None:
        self.queue.append(base64.b64encode(data).decode() if is_binary else data.decode())
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def take(self) -> list[str]:
        """Everything queued so far, in order."""
        out, self.queue = self.queue, []
        return out


class LongPollManager:
    """Token -> session, token minting, and the three request kinds."""

    def __init__(self, window: float, socket_factory: Callable[[int, dict[str, str], Callable[[bool, bytes], None]], PhxSocket]) -> None:
        self.window = window
        self._factory = socket_factory
        self._sessions: dict[str, Session] = {}
        self._secret = os.urandom(16)
        self._counter = itertools.count(1)

    def _mint(self) -> str:
        # Shaped like a Phoenix.Token ("SFMyNTY" is base64 of "HS256"): payload.signature, both base64url.
        payload = f"phx:lp:{next(self._counter)}:{time.time_ns()}".encode()
        sig = hmac.new(self._secret, payload, hashlib.sha256).digest()
        b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
        return f"SFMyNTY.{b64(payload)}.{b64(sig)}"

    def find(self, params: dict[str, str], headers: dict[str, str]) -> Session | None:
        """The session named by the `x-phoenix-longpoll-token` header or the `token` param."""
        token = headers.get("x-phoenix-longpoll-token") or params.get("token")
        return self._sessions.get(token) if token else None

    def _close(self, session: Session) -> None:
        self._sessions.pop(session.token, None)
        session.socket.terminate()
        if session.waiter is not None and not session.waiter.done():
            session.waiter.cancel()

    def _arm_expiry(self, session: Session) -> None:
        # The server shuts a session down when no poll came for window * 1.5 (long_poll_server.ex).
        if session.expiry is not None:
            session.expiry.cancel()
        session.expiry = asyncio.get_running_loop().call_later(self.window * 1.5, self._close, session)

    async def get(self, params: dict[str, str], headers: dict[str, str]) -> bytes:
        """A poll: 410 + token for a new session, then 200 with messages or 204 after the window."""
        session = self.find(params, headers)
        if session is None:
            vsn = ser.parse_vsn(params.get("vsn"))
            if vsn is None or params.get("token") == "bad":
                return body({"status": 403})
            token = self._mint()
            session = Session(token, lambda emit: self._factory(vsn, params, emit))
            self._sessions[token] = session
            self._arm_expiry(session)
            return body({"messages": [], "status": 410, "token": token})
        if session.expiry is not None:
            session.expiry.cancel()
        if session.waiter is not None and not session.waiter.done():
            session.waiter.cancel()  # a newer poll replaces the older one
        try:
            if not session.queue:
                session.waiter = asyncio.get_running_loop().create_future()
                try:
                    await asyncio.wait_for(asyncio.shield(session.waiter), self.window)
                except asyncio.TimeoutError:
                    pass
                except asyncio.CancelledError:
                    if session.token not in self._sessions:
                        return body({"status": 410})
                    return body({"messages": [], "status": 204, "token": session.token})
                await asyncio.sleep(0)  # let messages emitted in the same step join this response
            messages = session.take()
            status = 200 if messages else 204
            return body({"messages": messages, "status": status, "token": session.token})
        finally:
            if session.token in self._sessions:
                self._arm_expiry(session)

    def post(self, params: dict[str, str], headers: dict[str, str], data: bytes) -> bytes:
        """A send: ndjson lines (`[` starts a JSON message, anything else is base64 of a binary frame)."""
        session = self.find(params, headers)
        if session is None:
            return body({"status": 410})
        if headers.get("content-type", "").split(";")[0].strip() == "application/x-ndjson":
            lines = [line for line in data.split(b"\n") if line.strip()]
            items = [(not line.startswith(b"["), line.rstrip(b"\r")) for line in lines]
        else:
            items = [(False, data)]
        for is_binary, line in items:
            try:
                raw = base64.b64decode(line, validate=True) if is_binary else line
                msg = ser.decode(session.socket.vsn, is_binary, raw)
                session.socket.handle_in(msg)
            except Exception:  # noqa: BLE001
                # An undecodable message (or a crash while handling it) ends the session process; the client
                # must start over.
                self._close(session)
                return body({"status": 410})
        return body({"status": 200})
