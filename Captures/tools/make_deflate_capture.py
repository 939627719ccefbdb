#!/usr/bin/env python3
"""Records Captures/deflate.pcap: a phoenix.js-shaped V2 session over a WebSocket with permessage-deflate,
between the `websockets` client (which offers the extension by default) and the project's test server started
with --compress (as Phoenix's `websocket: [compress: true]`). Context takeover is on in both directions, so later
messages reuse earlier ones' dictionary, which is what makes a stateful inflater per direction necessary.

    python3 Captures/tools/make_deflate_capture.py Captures/deflate.pcap
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "Peers"))

import websockets  # noqa: E402
from record_capture import start_server, start_tcpdump  # noqa: E402


async def session(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/socket/websocket?vsn=2.0.0"
    async with websockets.connect(url, compression="deflate") as ws:
        async def push(frame: list) -> None:
            await ws.send(json.dumps(frame, separators=(",", ":")))

        await push(["4", "4", "room:squash", "phx_join", {"name": "deflate"}])
        for ref in range(5, 15):
            await push(["4", str(ref), "room:squash", "ping", {"text": "the same words again and again " * 8, "n": ref}])
        await push(["4", "15", "room:squash", "phx_leave", {}])
        deadline = time.monotonic() + 5
        seen = 0
        while seen < 14 and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(ws.recv(), timeout=1)
                seen += 1
            except asyncio.TimeoutError:
                break


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "deflate.pcap")
    server, port = start_server(["--compress"])
    try:
        dump = start_tcpdump(out, port, 4096)
        asyncio.run(session(port))
        time.sleep(0.3)
        dump.send_signal(signal.SIGINT)
        dump.communicate(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
