#!/usr/bin/env python3
"""A Phoenix-protocol test server that behaves like the Phoenix 1.7.24 app of /work/shared/captures.

Why: real Phoenix cannot be installed on these machines, and PhoenixTap's integration tests and benchmarks need
a peer that speaks V1, V2 text and binary, LongPoll and permessage-deflate like Phoenix does. Usage:

    python3 Tests/Peers/phoenix_test_server.py --port 0 [--compress] [--phoenix-version 1.8.3]

prints `LISTENING <port>` on stdout once it accepts connections (tests read that line).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from http_conn import Connection, ServerConfig  # noqa: E402
from live_counter import live_routes  # noqa: E402
from phx_channels import default_routes  # noqa: E402
from phx_hub import Hub  # noqa: E402
from phx_socket import parse_version  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line; the host is fixed to loopback on purpose."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1"], help="listen address (loopback only)")
    p.add_argument("--port", type=int, default=4000, help="TCP port; 0 picks a free one")
    p.add_argument("--compress", action="store_true", help="accept permessage-deflate (websocket compress: true)")
    p.add_argument("--phoenix-version", default="1.7.24",
                   help="server behaviour for stale join_refs: <1.8.3 forwards, 1.8.3-1.8.11 drops stale and null, "
                        ">=1.8.12 drops stale only")
    p.add_argument("--ws-timeout-ms", type=int, default=60_000,
                   help="close a WebSocket (1002, as Bandit) after this long without client data (Phoenix: 60000)")
    p.add_argument("--workers", type=int, default=1,
                   help="forked processes sharing the port, for load tests (broadcasts and presence stay per worker)")
    p.add_argument("--longpoll-window-ms", type=int, default=10_000, help="LongPoll poll window (Phoenix: 10000)")
    p.add_argument("--slow-join-ms", type=int, default=10_500,
                   help="how long the first join of realtime:slow-join on a socket takes (past the clients' 10 s timeout)")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace, sock: socket.socket, announce: bool) -> None:
    """Serve on an already listening socket until SIGINT/SIGTERM."""
    config = ServerConfig(hub=Hub(), version=parse_version(args.phoenix_version), compress=args.compress,
                          mounts={"/socket": default_routes(args.slow_join_ms / 1000), "/live": live_routes()},
                          longpoll_window=args.longpoll_window_ms / 1000, ws_timeout=args.ws_timeout_ms / 1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(config), sock=sock)
    if announce:
        print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def listen(host: str, port: int) -> socket.socket:
    """Bind before any worker starts, so `--port 0` gives one port that every worker accepts on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def main() -> None:
    """Entry point. With `--workers N` the listening socket is shared by N forked processes (for load only:
    PubSub broadcasts and Presence do not cross workers)."""
    args = parse_args()
    sock = listen(args.host, args.port)
    if args.workers <= 1:
        asyncio.run(serve(args, sock, announce=True))
        return
    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            try:
                asyncio.run(serve(args, sock, announce=False))
            finally:
                os._exit(0)
        children.append(pid)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    for pid in children:
        os.kill(pid, signal.SIGTERM)
    for pid in children:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
