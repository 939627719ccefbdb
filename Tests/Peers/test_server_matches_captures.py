"""The test server reproduces the real Phoenix 1.7.24 captures: same messages, same order, same bytes (apart
from presence phx_refs, online_at times and LongPoll tokens)."""

from __future__ import annotations

import asyncio

import pytest

import capture_replay as cr
from longpoll_replay import replay_longpoll

WEBSOCKET_CAPTURES = ["basic", "binary", "errors", "heartbeat", "presence", "v1", "liveview"]


@pytest.mark.parametrize("name", WEBSOCKET_CAPTURES)
def test_websocket_capture(server, name: str) -> None:
    got = asyncio.run(cr.replay_websocket(name, server.url("")))
    want = cr.expected_outcome(name)
    assert got.status == want.status
    for stream in want.received:
        assert got.received.get(stream, []) == want.received[stream], f"stream {stream}"
    assert set(got.received) == set(want.received)
    assert got.close_codes == want.close_codes


def test_longpoll_capture(server) -> None:
    got, want = asyncio.run(replay_longpoll("longpoll", server.url("", scheme="http")))
    assert got == want


def _raw_response(server, request: bytes) -> list[str]:
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
    return data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")


def _capture_headers(name: str, status: int) -> list[str]:
    response = next(h for h in cr.load(name, "http") if h["kind"] == "response" and h["status"] == status)
    return [h.split(":")[0] for h in response["headers"]]


@pytest.mark.parametrize("name,query,status", [("basic", "token=abc&vsn=2.0.0", 101),
                                               ("errors", "token=bad&vsn=2.0.0", 403)])
def test_upgrade_response_headers_match_the_capture(server, name: str, query: str, status: int) -> None:
    lines = _raw_response(server, f"GET /socket/websocket?{query} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Key: y4fRzd3+Nm7/C8J6fAavaQ==\r\n"
                                  "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    assert lines[0].startswith(f"HTTP/1.1 {status} ")
    assert [h.split(":")[0] for h in lines[1:]] == _capture_headers(name, status)
    if status == 101:
        assert "sec-websocket-accept: g44T2S1DQPG8nRRuXL3VINZKZ8k=" in lines  # the capture's own key and accept


def test_longpoll_response_headers_match_the_capture(server) -> None:
    lines = _raw_response(server, b"GET /socket/longpoll?user=poller&vsn=2.0.0& HTTP/1.1\r\nHost: x\r\n\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert [h.split(":")[0] for h in lines[1:]] == _capture_headers("longpoll", 200)
