"""Replay the client side of a /work/shared/captures/NAME.expected.jsonl against a server and collect what the
server sends, normalised where a real server must differ (presence phx_refs, online_at times, LongPoll tokens).

Why a module and not inline test code: run_clients.py and the proxy tests replay captures too.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.exceptions import InvalidStatus

CAPTURES = os.environ.get("PHXTAP_CAPTURES", "/work/shared/captures")
_PHX_REF = re.compile(r'"phx_ref":"[A-Za-z0-9_-]+"')
_ONLINE_AT = re.compile(r'"online_at":\d+')


def normalise(text: str) -> str:
    """Replace the values a different server run must produce differently."""
    return _ONLINE_AT.sub('"online_at":0', _PHX_REF.sub('"phx_ref":"*"', text))


def load(name: str, kind: str) -> list[dict[str, Any]]:
    """Lines of NAME.KIND.jsonl."""
    with open(os.path.join(CAPTURES, f"{name}.{kind}.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wire_form(opcode: str, payload: str) -> str:
    """How a message is compared: normalised text, or `b64:` + base64 for binary."""
    return "b64:" + payload if opcode == "binary" else normalise(payload)


@dataclass
class Outcome:
    """What the server did on each stream: upgrade status, messages, and the close code it answered with."""

    status: dict[int, int] = field(default_factory=dict)
    received: dict[int, list[str]] = field(default_factory=dict)
    close_codes: dict[int, int | None] = field(default_factory=dict)


def expected_outcome(name: str) -> Outcome:
    """The capture's own outcome, in the same shape."""
    out = Outcome()
    for h in load(name, "http"):
        if h["kind"] == "response" and "/websocket" in _request_uri(name, h["request_in"]):
            out.status[h["stream"]] = h["status"]
    for m in load(name, "expected"):
        if m["direction"] == "server->client":
            out.received.setdefault(m["stream"], []).append(wire_form(m["opcode"], m["payload"]))
    for c in load(name, "control"):
        if c["direction"] == "server->client":
            out.close_codes[c["stream"]] = c["close_code"]
    return out


def _request_uri(name: str, frame: int) -> str:
    return next(h["uri"] for h in load(name, "http") if h["kind"] == "request" and h["frame"] == frame)


async def _wait_for(cond: asyncio.Condition, pred: Any, timeout: float) -> None:
    try:
        async with cond:
            await asyncio.wait_for(cond.wait_for(pred), timeout)
    except asyncio.TimeoutError:
        pass  # the comparison afterwards shows what was missing


async def replay_websocket(name: str, base: str, timeout: float = 3.0, compression: str | None = None) -> Outcome:
    """Open every stream of the capture with its URL, send its client messages in capture order (each one after
    the server messages that came before it in the capture), then close like phoenix.js (an empty close)."""
    requests = [h for h in load(name, "http") if h["kind"] == "request" and "/websocket" in h["uri"]]
    messages = load(name, "expected")
    out = Outcome()
    conns: dict[int, Any] = {}
    cond = asyncio.Condition()
    readers: list[asyncio.Task[None]] = []

    async def reader(stream: int, ws: Any) -> None:
        try:
            async for msg in ws:
                form = "b64:" + base64.b64encode(msg).decode() if isinstance(msg, bytes) else normalise(msg)
                async with cond:
                    out.received.setdefault(stream, []).append(form)
                    cond.notify_all()
        except websockets.ConnectionClosed:
            pass
        rcvd = ws.protocol.close_rcvd
        out.close_codes[stream] = rcvd.code if rcvd is not None and rcvd.code != 1005 else None
        async with cond:
            cond.notify_all()

    events: list[tuple[str, int, dict[str, Any]]] = []
    for r in requests:
        events.append(("open", r["stream"], r))
    for m in messages:
        events.append(("msg", m["stream"], m))
    events.sort(key=lambda e: float(e[2]["ts"]))

    seen_server: dict[int, int] = {}
    for kind, stream, item in events:
        if kind == "open":
            try:
                ws = await websockets.connect(base + item["uri"], compression=compression, max_size=None)
            except InvalidStatus as exc:
                out.status[stream] = exc.response.status_code
                continue
            out.status[stream] = 101
            conns[stream] = ws
            readers.append(asyncio.create_task(reader(stream, ws)))
            continue
        if item["direction"] == "server->client":
            seen_server[stream] = seen_server.get(stream, 0) + 1
            continue
        want = dict(seen_server)
        await _wait_for(cond, lambda: all(len(out.received.get(s, [])) >= n for s, n in want.items()), timeout)
        data = base64.b64decode(item["payload"]) if item["opcode"] == "binary" else item["payload"]
        await conns[stream].send(data)
    want = dict(seen_server)
    await _wait_for(cond, lambda: all(len(out.received.get(s, [])) >= n for s, n in want.items()), timeout)
    await asyncio.sleep(0.2)  # room for messages the capture does not have
    for stream, ws in conns.items():
        async with ws.send_context():
            ws.protocol.send_close()  # phoenix.js closes with an empty close frame (no status code)
        await asyncio.wait_for(ws.wait_closed(), timeout)
    await asyncio.gather(*readers)
    return out
