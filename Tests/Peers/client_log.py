"""JSON-lines log of what a client sent and received, shared by the client scenarios.

Why: the proxy tests run the same scenarios with and without `phxtap proxy` in between and compare what each side
saw. A line is `{"scenario","direction","opcode","payload"}` (`direction` is `sent`/`received`, binary payloads
are base64); HTTP outcomes use opcode `http`, LongPoll messages carry `"transport":"longpoll"`.
"""

from __future__ import annotations

import base64
import contextvars
import json
from typing import IO, Any

from websockets.asyncio.connection import Connection

import capture_replay

current_scenario: contextvars.ContextVar[str] = contextvars.ContextVar("scenario", default="-")


class ClientLog:
    """Appends one JSON line per message to a file (flushed per line, so a crash loses nothing)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.count = 0

    def log(self, direction: str, data: str | bytes, opcode: str | None = None, **extra: Any) -> None:
        """Record one message; `opcode` defaults to text/binary from the data type."""
        if opcode is None:
            opcode = "binary" if isinstance(data, (bytes, bytearray)) else "text"
        payload = base64.b64encode(data).decode() if isinstance(data, (bytes, bytearray)) else data
        line = {"scenario": current_scenario.get(), "direction": direction, "opcode": opcode, "payload": payload}
        line.update(extra)
        self.out.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.out.flush()
        self.count += 1


def install_websockets_tap(log: ClientLog) -> None:
    """Wrap `websockets` connections (used by both real client libraries) so every data message they send or
    receive is logged under the running scenario."""
    if getattr(Connection, "_phx_tapped", False):
        Connection._phx_log = log  # type: ignore[attr-defined]
        return
    original_send, original_recv = Connection.send, Connection.recv

    async def send(self: Connection, message: Any, text: bool | None = None) -> None:
        if isinstance(message, (str, bytes, bytearray)):
            Connection._phx_log.log("sent", message)  # type: ignore[attr-defined]
        await original_send(self, message, text)

    async def recv(self: Connection, decode: bool | None = None) -> Any:
        message = await original_recv(self, decode)
        Connection._phx_log.log("received", message)  # type: ignore[attr-defined]
        return message

    Connection.send, Connection.recv = send, recv  # type: ignore[method-assign,assignment]
    Connection._phx_tapped = True  # type: ignore[attr-defined]
    Connection._phx_log = log  # type: ignore[attr-defined]


def comparable(path: str, drop_heartbeats: bool = True) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """A log reduced to what must be equal across runs: one sequence per (scenario, direction), because how
    sends and receives interleave depends on timing; presence refs and times normalised; heartbeats and their
    replies (whose count depends on timing) dropped."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = json.loads(raw)
            payload = line["payload"]
            if drop_heartbeats and line["opcode"] == "text" and ('"phoenix"' in payload and
                                                                   ("heartbeat" in payload or "phx_reply" in payload)):
                continue
            if line["opcode"] == "text":
                payload = capture_replay.normalise(payload)
            out.setdefault((line["scenario"], line["direction"]), []).append((line["opcode"], payload))
    return out
