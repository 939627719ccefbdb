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
