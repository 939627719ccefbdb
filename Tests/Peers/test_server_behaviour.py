"""Server behaviour beyond the captures: PROTOCOL.md section 12 observations, the --phoenix-version flag,
crashes on undecodable frames, unmasked frames, compression, LongPoll edge cases, the load generator."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import websockets

import capture_replay as cr
import ws_frames as wsf
from conftest import HERE


async def _session(url: str, sends: list, expect: int, wait: float = 0.3, **kw) -> tuple[list, object]:
    """Send each item, then collect messages until `expect` arrived (or `wait` of silence); returns the
    decoded messages and the close frame received (if any)."""
    got: list = []
    async with websockets.connect(url, **kw) as ws:
        for item in sends:
            await ws.send(item if isinstance(item, (bytes, str)) else json.dumps(item))
        try:
            while True:
                msg = await asyncio.wait_for(ws.recv(), wait if len(got) >= expect else 3)
                got.append(msg if isinstance(msg, bytes) else json.loads(msg))
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            pass
        return got, ws.protocol.close_rcvd


def _join(j: object, topic: str = "room:t") -> list:
    return [j, j, topic, "phx_join", {"name": "n"}]


def test_numeric_refs_are_echoed_as_numbers(server) -> None:
    got, _ = asyncio.run(_session(server.url("/socket/websocket?vsn=2.0.0"),
                                  [_join(1), [1, 2, "room:t", "ping", {}], [1, 3, "room:t", "stop", {}]], 6))
    assert got[0][:2] == [1, 1] and got[4] == [1, 2, "room:t", "phx_reply", {"response": {}, "status": "ok"}]
    assert got[5] == [1, 1, "room:t", "phx_close", {}]


def test_leave_with_another_type_or_null_join_ref_is_ignored_on_1_7(server) -> None:
    sends = [_join(1), ["1", "2", "room:t", "phx_leave", {}], [None, "3", "room:t", "phx_leave", {}],
             [1, "4", "room:t", "ping", {}]]
    got, _ = asyncio.run(_session(server.url("/socket/websocket?vsn=2.0.0"), sends, 5))
    assert [m[1] for m in got[4:]] == ["4"]  # only the ping answered; both leaves ignored, still joined


@pytest.mark.parametrize("version,stale_answered,null_answered", [
    ("1.7.24", True, True), ("1.8.3", False, False), ("1.8.11", False, False), ("1.8.12", False, True)])
def test_stale_and_null_join_ref_by_version(server_factory, version: str, stale_answered: bool,
                                            null_answered: bool) -> None:
    s = server_factory("--phoenix-version", version)
    sends = [_join("1"), _join("5"), ["1", "6", "room:t", "ping", {}], [None, "7", "room:t", "ping", {}]]
    got, _ = asyncio.run(_session(s.url("/socket/websocket?vsn=2.0.0"), sends, 10))
    answered = [m[1] for m in got if m[3] == "phx_reply" and m[1] in ("6", "7")]
    assert answered == [r for r, ok in (("6", stale_answered), ("7", null_answered)) if ok]
    assert all(m[0] == "5" for m in got if m[1] in ("6", "7"))  # replies carry the current join_ref


def test_too_many_channels_from_1_8_9(server_factory) -> None:
    s = server_factory("--phoenix-version", "1.8.9")
    sends = [_join(str(i), f"room:{i}") for i in range(101)]
    got, _ = asyncio.run(_session(s.url("/socket/websocket?vsn=2.0.0"), sends, 401))
    assert got[-1] == ["100", "100", "room:100", "phx_reply",
                       {"response": {"reason": "too many channels joined"}, "status": "error"}]


@pytest.mark.parametrize("frame", [
    '{"topic":"room:t"}',            # a V2 text frame that is an object
    '[null,"1","room:t","ping"]',    # four elements
    '["1","1","room:t",',            # invalid JSON
    bytes.fromhex("0001010803") + b"45",          # binary push whose sizes run past the end
    bytes.fromhex("0101010802") + b"45room:binok",  # a binary reply (kind 1) from a client
])
def test_undecodable_frame_closes_with_1011(server, frame) -> None:
    got, close = asyncio.run(_session(server.url("/socket/websocket?vsn=2.0.0"), [frame], 0))
    assert got == [] and close is not None and close.code == 1011


def test_unmasked_client_frame_is_ignored_with_everything_after_it(server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(b"GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        head = sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101 ") and b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
        hb = b'[null,"1","phoenix","heartbeat",{}]'
        sock.sendall(wsf.encode_frame(wsf.TEXT, hb) + wsf.encode_frame(wsf.TEXT, hb, mask=b"abcd"))
        sock.settimeout(0.4)
        with pytest.raises(socket.timeout):
            sock.recv(100)


def test_refused_upgrade_is_403_with_an_empty_body(server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(b"GET /socket/websocket?vsn=123.1.1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        head = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"\r\ncontent-length: 0\r\n" in head and head.endswith(b"\r\n\r\n")


def test_websocket_ping_gets_a_pong(server) -> None:
    async def go() -> float:
        async with websockets.connect(server.url("/socket/websocket?vsn=2.0.0")) as ws:
            return await asyncio.wait_for(await ws.ping(b"x"), 2)
    assert asyncio.run(go()) >= 0


def test_compression_is_negotiated_only_with_the_flag(server, server_factory) -> None:
    async def extensions(url: str) -> str | None:
        async with websockets.connect(url, compression="deflate") as ws:
            return ws.response.headers.get("sec-websocket-extensions")
    assert asyncio.run(extensions(server.url("/socket/websocket?vsn=2.0.0"))) is None
    s = server_factory("--compress")
    assert asyncio.run(extensions(s.url("/socket/websocket?vsn=2.0.0"))) == "permessage-deflate"
    got = asyncio.run(cr.replay_websocket("basic", s.url(""), compression="deflate"))
    assert got.received == cr.expected_outcome("basic").received


def test_longpoll_edges(server) -> None:
    def call(method: str, query: str, data: bytes | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(server.url(f"/socket/longpoll?{query}", "http"), data=data, method=method,
                                     headers={"content-type": "application/x-ndjson"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    assert call("GET", "token=bad&vsn=2.0.0") == (200, b'{"status":403}')
    assert call("GET", "vsn=3.0.0") == (200, b'{"status":403}')
    assert call("POST", "token=nope&vsn=2.0.0", b"[]") == (200, b'{"status":410}')
    assert call("OPTIONS", "vsn=2.0.0") == (200, b"")
    with pytest.raises(urllib.error.HTTPError) as exc:
        call("PUT", "vsn=2.0.0", b"")
    assert exc.value.code == 400
    status, body = call("GET", "vsn=2.0.0")
    token = json.loads(body)["token"]
    push = bytes((0, 1, 1, 6, 4)) + b"12room:xping" + b"\x07"
    lines = b'["1","1","room:x","phx_join",{}]\n' + base64.b64encode(push)
    assert call("POST", f"vsn=2.0.0&token={token}", lines) == (200, b'{"status":200}')
    status, body = call("GET", f"vsn=2.0.0&token={token}")
    messages = json.loads(body)["messages"]
    assert json.loads(body)["status"] == 200 and len(messages) == 5
    assert base64.b64decode(messages[4]) == bytes((1, 1, 1, 6, 2)) + b"12room:xok\x07"
    status, body = call("GET", f"vsn=2.0.0&token={token}")  # nothing pending: 204 after the 1 s window
    assert json.loads(body) == {"messages": [], "status": 204, "token": token}


@pytest.mark.parametrize("fmt,mode", [("text", "pipelined"), ("binary", "pipelined"), ("text", "reqresp")])
def test_load_generator_reports_all_replies(server, fmt: str, mode: str) -> None:
    proc = subprocess.run([sys.executable, os.path.join(HERE, "load.py"), "--url", server.url("/socket/websocket"),
                           "-n", "2", "-m", "500", "--format", fmt, "--mode", mode, "--timeout", "20"],
                          capture_output=True, text=True, timeout=40)
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["errors"] == [] and result["replies"] == 1000
    assert result["msgs_per_s"] > 0 and 0 < result["latency_us"]["p50"] <= result["latency_us"]["p99"]


def test_load_over_server_workers_and_load_processes(server_factory) -> None:
    s = server_factory("--workers", "2")
    proc = subprocess.run([sys.executable, os.path.join(HERE, "load.py"), "--url", s.url("/socket/websocket"),
                           "-n", "4", "-m", "300", "--processes", "2", "--format", "binary", "--timeout", "20"],
                          capture_output=True, text=True, timeout=40)
    result = json.loads(proc.stdout)
    assert proc.returncode == 0 and result["processes"] == 2 and result["replies"] == 1200


def test_load_generator_refuses_non_loopback() -> None:
    proc = subprocess.run([sys.executable, os.path.join(HERE, "load.py"), "--url", "ws://192.0.2.1:4000/socket/websocket"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0 and "loopback" in proc.stderr


def test_liveview_page_and_stale_join(server) -> None:
    with urllib.request.urlopen(server.url("/counter", "http"), timeout=3) as r:
        page = r.read().decode()
    assert 'data-phx-session="SFMyNTY.' in page and "count: 0" in page
    got, _ = asyncio.run(_session(server.url("/live/websocket?vsn=2.0.0"),
                                  [["1", "1", "lv:phx-x", "phx_join", {"url": "http://x/counter"}]], 1))
    assert got == [["1", "1", "lv:phx-x", "phx_reply", {"response": {"reason": "stale"}, "status": "error"}]]


@pytest.mark.parametrize("code,reply", [(None, 1000), (1000, 1000), (1001, 1000), (4000, 1000), (1012, 1002),
                                        (2999, 1002)])
def test_close_is_answered_like_bandit(server, code: int | None, reply: int) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(b"GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        sock.recv(4096)
        sock.sendall(wsf.encode_frame(wsf.CLOSE, wsf.close_payload(code), mask=b"abcd"))
        assert sock.recv(100) == bytes((0x88, 2)) + reply.to_bytes(2, "big")
        assert sock.recv(100) == b""  # then FIN


def test_a_slow_join_holds_the_socket_as_phoenix_does(server_factory) -> None:
    """Phoenix's socket process runs join/3 to the end before it reads the next message: a heartbeat and a second
    join sent meanwhile are answered after the slow join, in order; the second join then replaces the first."""
    s = server_factory("--slow-join-ms", "400")
    sends = [_join("1", "realtime:slow-join"), [None, "2", "phoenix", "heartbeat", {}], _join("3", "realtime:slow-join")]
    got, _ = asyncio.run(_session(s.url("/socket/websocket?vsn=2.0.0"), sends, 4))
    assert [m[:4] for m in got] == [["1", "1", "realtime:slow-join", "phx_reply"], [None, "2", "phoenix", "phx_reply"],
                                    ["3", "3", "realtime:slow-join", "phx_reply"],
                                    ["1", "1", "realtime:slow-join", "phx_close"]]


def test_idle_websocket_is_closed_with_1002(server_factory) -> None:
    s = server_factory("--ws-timeout-ms", "300")
    got, close = asyncio.run(_session(s.url("/socket/websocket?vsn=2.0.0"), [], 0, wait=1.0))
    assert got == [] and close is not None and close.code == 1002


def test_garbage_never_takes_the_server_down(server) -> None:
    junk = [b"\x00\xff garbage\r\n\r\n", b"GET\r\n\r\n", b"POST /socket/longpoll HTTP/1.1\r\ncontent-length: -5\r\n\r\n",
            b"GET /socket/websocket?vsn=%ZZ HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n" + bytes(range(256)) * 4]
    for data in junk:
        with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
            sock.sendall(data)
            sock.settimeout(0.2)
            try:
                sock.recv(4096)
            except (socket.timeout, ConnectionResetError):
                pass
    # a lone surrogate survives JSON decoding but cannot be encoded back: the socket crashes (1011), not the server
    got, close = asyncio.run(_session(server.url("/socket/websocket?vsn=2.0.0"),
                                      [_join("1"), '["1","2","room:t","ping",{"s":"\\ud800"}]'], 4))
    assert close is not None and close.code == 1011
    got, _ = asyncio.run(_session(server.url("/socket/websocket?vsn=2.0.0"), [[None, "1", "phoenix", "heartbeat", {}]], 1))
    assert got == [[None, "1", "phoenix", "phx_reply", {"response": {}, "status": "ok"}]]
