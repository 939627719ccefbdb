"""Raw-protocol scenarios with the plain `websockets` client and aiohttp (LongPoll).

Why raw frames: the real client libraries never send the edge cases the checker must recognise (duplicate
joins, stale join_refs, null heartbeat refs, binary pushes, refused upgrades), so these scenarios send them by
hand and read back exactly the number of messages Phoenix answers with.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import websockets
from websockets.exceptions import InvalidStatus

from client_log import ClientLog

STEP_TIMEOUT = 3.0


class ScenarioError(Exception):
    """A server answer that differs from what Phoenix sends."""


class Raw:
    """One raw WebSocket connection that logs every message (the websockets tap does the logging)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, base: str, query: str) -> Raw:
        """Connect to /socket/websocket?query."""
        return cls(await websockets.connect(f"{base}/socket/websocket?{query}", max_size=None, compression=None))

    async def send(self, message: Any) -> None:
        """Send one message: list/dict as compact JSON (as phoenix.js writes it), bytes as a binary frame."""
        await self.ws.send(message if isinstance(message, (bytes, str)) else json.dumps(message, separators=(",", ":")))

    async def step(self, message: Any, expect: int) -> list[Any]:
        """Send one message (None: nothing) and read exactly `expect` messages."""
        if message is not None:
            await self.send(message)
        return [await self.read() for _ in range(expect)]

    async def read(self) -> Any:
        """One message, decoded JSON for text frames."""
        try:
            msg = await asyncio.wait_for(self.ws.recv(), STEP_TIMEOUT)
        except asyncio.TimeoutError:
            raise ScenarioError("no message within the step timeout") from None
        return msg if isinstance(msg, bytes) else json.loads(msg)

    async def quiet(self, wait: float = 0.2) -> None:
        """Fail if anything else arrives within `wait` seconds."""
        try:
            extra = await asyncio.wait_for(self.ws.recv(), wait)
        except asyncio.TimeoutError:
            return
        raise ScenarioError(f"unexpected message {extra!r:.120}")

    async def close(self) -> None:
        """Close like phoenix.js: an empty close frame."""
        async with self.ws.send_context():
            self.ws.protocol.send_close()
        await asyncio.wait_for(self.ws.wait_closed(), STEP_TIMEOUT)


def check(cond: bool, text: str) -> None:
    """Raise ScenarioError(text) unless cond."""
    if not cond:
        raise ScenarioError(text)


def binary_push(join_ref: str, ref: str, topic: str, event: str, payload: bytes) -> bytes:
    """A client kind-0 binary push (5-byte header)."""
    j, r, t, e = (s.encode() for s in (join_ref, ref, topic, event))
    return bytes((0, len(j), len(r), len(t), len(e))) + j + r + t + e + payload


async def raw_v2_text(base: str, http: str, log: ClientLog) -> None:
    """V2 text: join, replies ok/error, broadcast, slow reply, heartbeats (also a null ref), duplicate join,
    stale join_ref, unmatched topic, crash + rejoin, stop, leave of an unjoined topic."""
    c = await Raw.open(base, "token=abc&user=raw&vsn=2.0.0")
    t = "room:raw"
    joined = await c.step(["1", "1", t, "phx_join", {"name": "raw"}], 4)
    check(joined[0] == ["1", "1", t, "phx_reply", {"response": {"joined": t}, "status": "ok"}], "join reply")
    check(joined[1][3] == "welcome" and joined[2][3] == "presence_diff" and joined[3][3] == "presence_state", "after join")
    check((await c.step(["1", "2", t, "ping", {"n": 1}], 1))[0][4] == {"response": {"n": 1}, "status": "ok"}, "ping")
    check((await c.step(["1", "3", t, "fail", {}], 1))[0][4]["status"] == "error", "fail")
    check((await c.step(["1", "4", t, "new_msg", {"body": "hi"}], 1))[0][:2] == [None, None], "broadcast refs")
    check((await c.step(["1", "5", t, "slow", {"x": 1}], 1))[0][4]["response"]["slow"] is True, "slow")
    check((await c.step([None, "6", "phoenix", "heartbeat", {}], 1))[0][:2] == [None, "6"], "heartbeat")
    check((await c.step([None, None, "phoenix", "heartbeat", {}], 1))[0][:2] == [None, None], "null-ref heartbeat")
    dup = await c.step(["8", "8", t, "phx_join", {"name": "raw"}], 6)
    check(dup[0][:4] == ["8", "8", t, "phx_reply"] and dup[1] == ["1", "1", t, "phx_close", {}], "duplicate join order")
    stale = await c.step(["1", "9", t, "ping", {"stale": True}], 1)
    check(stale[0][:2] == ["8", "9"], "1.7 forwards a stale join_ref and replies with the current one")
    unmatched = await c.step(["1", "10", "room:other", "ping", {}], 1)
    check(unmatched[0] == [None, "10", "room:other", "phx_reply",
                           {"response": {"reason": "unmatched topic"}, "status": "error"}], "unmatched topic")
    check((await c.step(["8", "11", t, "crash", {}], 1))[0] == ["8", "8", t, "phx_error", {}], "phx_error")
    await c.step(["12", "12", t, "phx_join", {"name": "raw"}], 4)
    check((await c.step(["12", "13", t, "stop", {}], 1))[0] == ["12", "12", t, "phx_close", {}], "phx_close")
    check((await c.step(["14", "14", "room:gone", "phx_leave", {}], 1))[0][:2] == ["14", "14"], "leave unjoined")
    await c.quiet()
    await c.close()


async def raw_v2_binary(base: str, http: str, log: ClientLog) -> None:
    """V2 binary: binary push/reply/broadcast of 5, 300 and 70,000 bytes, a binary ping, then leave."""
    c = await Raw.open(base, "token=bin&vsn=2.0.0")
    t = "room:rawbin"
    await c.step(["1", "1", t, "phx_join", {"name": "bits"}], 4)
    for ref, size in (("2", 5), ("3", 300), ("4", 70_000)):
        data = bytes((i * 7) & 0xFF for i in range(size))
        push, reply = await c.step(binary_push("1", ref, t, "bin", data), 2)
        check(isinstance(push, bytes) and push[0] == 0 and push.endswith(data), "binary push")
        check(isinstance(reply, bytes) and reply[0] == 1 and reply.endswith(data), "binary reply")
    echo = await c.step(binary_push("1", "5", t, "ping", b"\x01\x02"), 1)
    check(echo[0] == bytes((1, 1, 1, len(t), 2)) + b"15" + t.encode() + b"ok\x01\x02", "binary ping reply bytes")
    bcast = await c.step(binary_push("1", "6", t, "bin_bcast", b"\xde\xad\xbe\xef"), 1)
    check(bcast[0] == bytes((2, len(t), 9)) + t.encode() + b"bin_bcast\xde\xad\xbe\xef", "binary broadcast bytes")
    left = await c.step(["1", "7", t, "phx_leave", {}], 2)
    check(left[1] == ["1", "1", t, "phx_close", {}], "leave then phx_close")
    await c.quiet()
    await c.close()


async def raw_v1(base: str, http: str, log: ClientLog) -> None:
    """V1 objects: no join_ref key in server messages; heartbeats; broadcast; leave."""
    c = await Raw.open(base, "token=v1&vsn=1.0.0")
    t = "room:rawv1"
    joined = await c.step({"topic": t, "event": "phx_join", "payload": {"name": "old"}, "ref": "1", "join_ref": "1"}, 4)
    check(all(isinstance(m, dict) and "join_ref" not in m for m in joined), "V1 server messages have no join_ref")
    await c.step({"topic": t, "event": "ping", "payload": {"n": 1}, "ref": "2", "join_ref": "1"}, 1)
    await c.step({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "3"}, 1)
    await c.step({"topic": t, "event": "new_msg", "payload": {"body": "v1"}, "ref": "4", "join_ref": "1"}, 1)
    await c.step({"topic": t, "event": "phx_leave", "payload": {}, "ref": "5", "join_ref": "1"}, 2)
    await c.quiet()
    await c.close()


async def raw_presence(base: str, http: str, log: ClientLog) -> None:
    """Two sockets on one topic: presence_state, join and leave diffs."""
    a = await Raw.open(base, "token=t-alice&vsn=2.0.0")
    b = await Raw.open(base, "token=t-bob&vsn=2.0.0")
    t = "room:rawpres"
    await a.step(["1", "1", t, "phx_join", {"name": "alice"}], 4)
    await b.step(["1", "1", t, "phx_join", {"name": "bob"}], 2)
    diff_a = await a.read()
    diff_b, state_b = await b.step(None, 2)
    check(diff_a == diff_b and "bob" in diff_a[4]["joins"], "both see bob's join diff")
    check(sorted(state_b[4]) == ["alice", "bob"], "bob's presence_state lists both")
    await b.step(["1", "2", t, "phx_leave", {}], 2)
    leave = await a.read()
    check("bob" in leave[4]["leaves"], "alice sees bob leave")
    await a.step(["1", "2", t, "phx_leave", {}], 2)
    await b.close()
    await a.close()


async def refused(base: str, http: str, log: ClientLog) -> None:
    """Upgrades Phoenix refuses with 403 (unsupported vsn, connect/3 refusal) and one it accepts without vsn."""
    for query in ("vsn=3.0.0", "token=bad&vsn=2.0.0", "vsn=2.0"):
        try:
            ws = await websockets.connect(f"{base}/socket/websocket?{query}")
        except InvalidStatus as exc:
            log.log("received", str(exc.response.status_code), opcode="http", query=query)
            check(exc.response.status_code == 403, f"{query}: 403")
            continue
        await ws.close()
        raise ScenarioError(f"{query}: upgrade was accepted")
    c = await Raw.open(base, "token=novsn")  # no vsn: V1 objects
    await c.step({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "1"}, 1)
    await c.close()


async def longpoll(base: str, http: str, log: ClientLog) -> None:
    """A LongPoll session: 410 + token, POST ndjson (a text line and a base64 binary line), polls."""
    uri = f"{http}/socket/longpoll?user=poller&vsn=2.0.0"
    t = "room:rawlp"
    async with aiohttp.ClientSession() as s:
        async def get(url: str) -> dict[str, Any]:
            async with s.get(url) as r:
                body = json.loads(await r.read())
            for m in body.get("messages", []):
                log.log("received", m if m.startswith("[") else base64.b64decode(m), transport="longpoll")
            return body

        async def post(url: str, lines: list[str | bytes]) -> None:
            text = []
            for line in lines:
                log.log("sent", line, transport="longpoll")
                text.append(line if isinstance(line, str) else base64.b64encode(line).decode())
            async with s.post(url, data="\n".join(text).encode(),
                              headers={"content-type": "application/x-ndjson"}) as r:
                check(json.loads(await r.read()) == {"status": 200}, "POST status 200")

        first = await get(uri)
        check(first["status"] == 410 and first["messages"] == [], "first poll: 410 with a token")
        url = uri + "&token=" + first["token"]

        async def collect(n: int) -> list[str]:
            got: list[str] = []
            while len(got) < n:
                body = await asyncio.wait_for(get(url), STEP_TIMEOUT)
                check(body["status"] in (200, 204), "poll status")
                got += body["messages"]
            return got

        await post(url, ['["1","1","room:rawlp","phx_join",{"name":"poller"}]'])
        await collect(4)
        await post(url, ['["1","2","room:rawlp","ping",{"n":1}]', binary_push("1", "3", t, "bin", b"\x00\xff")])
        got = await collect(3)
        check(sum(not m.startswith("[") for m in got) == 2, "binary push and reply come base64")
        await post(url, ['["1","4","room:rawlp","phx_leave",{}]'])
        await collect(2)


async def raw_client_bugs(base: str, http: str, log: ClientLog) -> None:
    """Client mistakes from PROTOCOL.md section 11 that a 1.7 server tolerates or answers oddly, for the
    checker: a join with a null join_ref (supabase-py #1627), a push with a null join_ref (Slipstream), two
    outstanding pushes with the same ref, leave and rejoin back to back (supabase-py #1311), a push with the
    join_ref of a closed join, and a push before the join reply arrived."""
    c = await Raw.open(base, "token=bugs&vsn=2.0.0")
    t = "room:bugs"
    joined = await c.step([None, "1", t, "phx_join", {"name": "bug"}], 4)
    check(joined[0][:2] == ["1", "1"], "a null join_ref join is keyed by its ref")
    check((await c.step([None, "2", t, "ping", {}], 1))[0][:2] == ["1", "2"], "null join_ref push answered on 1.7")
    await c.send(["1", "3", t, "slow", {"a": 1}])
    dup = await c.step(["1", "3", t, "slow", {"a": 2}], 2)
    check([m[1] for m in dup] == ["3", "3"], "two replies with the same ref")
    await c.send(["1", "4", t, "phx_leave", {}])
    again = await c.step(["5", "5", t, "phx_join", {"name": "bug"}], 6)
    check([m[3] for m in again[:3]] == ["phx_reply", "phx_close", "phx_reply"], "leave reply, close, join reply")
    check((await c.step(["5", "6", t, "stop", {}], 1))[0][3] == "phx_close", "stop")
    late = await c.step(["5", "7", t, "ping", {}], 1)
    check(late[0][0] is None and late[0][4]["response"] == {"reason": "unmatched topic"}, "push after close")
    await c.send(["8", "8", "room:eager", "phx_join", {"name": "eager"}])
    eager = await c.step(["8", "9", "room:eager", "ping", {"early": True}], 5)
    check(eager[4][:2] == ["8", "9"], "a push sent before the join reply is handled after the join")
    await c.quiet()
    await c.close()


SCENARIOS = {"raw_v2_text": raw_v2_text, "raw_client_bugs": raw_client_bugs, "raw_v2_binary": raw_v2_binary, "raw_v1": raw_v1,
             "raw_presence": raw_presence, "refused": refused, "longpoll": longpoll}
