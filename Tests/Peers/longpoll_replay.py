"""Replay the client side of a LongPoll capture (GET polls, POST ndjson) against a server with aiohttp.

Why compare flattened messages: how server messages are grouped into poll responses depends on timing, but
their order and bytes do not.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

import capture_replay as cr


async def replay_longpoll(name: str, base: str, timeout: float = 3.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Returns (got, want), each `{"first": status, "posts": [statuses], "messages": [normalised]}`."""
    messages = cr.load(name, "expected")
    requests = [h for h in cr.load(name, "http") if h["kind"] == "request"]
    first_uri = requests[0]["uri"]
    want = {"first": 410, "posts": [200] * sum(m["direction"] == "client->server" for m in messages),
            "messages": [cr.normalise(m["payload"]) for m in messages if m["direction"] == "server->client"]}
    got: dict[str, Any] = {"first": None, "posts": [], "messages": []}
    cond = asyncio.Condition()
    async with aiohttp.ClientSession() as http:
        async with http.get(base + first_uri) as r:
            first = json.loads(await r.read())
        got["first"] = first["status"]
        uri = base + first_uri + ("" if first_uri.endswith("&") else "&") + "token=" + first["token"]

        async def poll() -> None:
            while True:
                async with http.get(uri, headers={"Content-Type": "application/json"}) as r:
                    reply = json.loads(await r.read())
                if reply["status"] not in (200, 204):
                    return
                async with cond:
                    got["messages"] += [cr.normalise(m) for m in reply["messages"]]
                    cond.notify_all()

        poller = asyncio.create_task(poll())
        seen = 0
        for m in messages:
            if m["direction"] == "server->client":
                seen += 1
                continue
            n = seen
            await cr._wait_for(cond, lambda: len(got["messages"]) >= n, timeout)
            async with http.post(uri, data=m["payload"].encode(),
                                 headers={"Content-Type": "application/x-ndjson"}) as r:
                got["posts"].append(json.loads(await r.read())["status"])
        n = seen
        await cr._wait_for(cond, lambda: len(got["messages"]) >= n, timeout)
        await asyncio.sleep(0.2)
        poller.cancel()
        try:
            await poller
        except asyncio.CancelledError:
            pass
    return got, want
