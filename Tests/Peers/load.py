#!/usr/bin/env python3
"""Bounded load generator for benchmarks: N WebSocket connections, M pushes each, V2 text or binary, pipelined
or request/response, loopback only. Prints one JSON line: messages/s and latency p50/p99 in microseconds.

Why raw asyncio and pre-built frames: a generic client spends more CPU per message than the server under test;
here every client frame (masked) is built before the clock starts, replies are matched by slicing the ref out
of the frame without a JSON parse, and writes are batched per read.

    python3 Tests/Peers/load.py --url ws://127.0.0.1:4000/socket/websocket -n 4 -m 50000 --mode pipelined
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import sys
import time
from array import array
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ws_frames as wsf  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def build_frames(index: int, count: int, fmt: str, size: int, mask: bytes) -> tuple[bytes, list[bytes]]:
    """The join frame and `count` masked `ping` pushes (refs "1".."count", join_ref "0")."""
    topic = f"room:load:{index}"
    join = json.dumps(["0", "0", topic, "phx_join", {"name": f"load{index}"}], separators=(",", ":")).encode()
    frames = []
    if fmt == "text":
        body = "x" * max(0, size - 11)
        for ref in range(1, count + 1):
            text = f'["0","{ref}","{topic}","ping",{{"body":"{body}"}}]'.encode()
            frames.append(wsf.encode_frame(wsf.TEXT, text, mask=mask))
    else:
        payload = bytes(i & 0xFF for i in range(size))
        t = topic.encode()
        for ref in range(1, count + 1):
            r = str(ref).encode()
            data = bytes((0, 1, len(r), len(t), 4)) + b"0" + r + t + b"ping" + payload
            frames.append(wsf.encode_frame(wsf.BINARY, data, mask=mask))
    return wsf.encode_frame(wsf.TEXT, join, mask=mask), frames


class LoadConnection(asyncio.Protocol):
    """One connection: upgrade, join, then keep up to `window` pushes outstanding until all are answered."""

    def __init__(self, host: str, path: str, join: bytes, frames: list[bytes], window: int,
                 latencies: list[int], done: asyncio.Future[None]) -> None:
        self.host, self.path, self.join, self.frames, self.window = host, path, join, frames, window
        self.latencies, self.done = latencies, done
        self.sent_at = [0] * (len(frames) + 1)
        self.next = 0
        self.answered = 0
        self.state = "handshake"
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.error: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .encode())

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        if not self.done.done():
            self.error = self.error or f"connection lost after {self.answered} replies"
            self.done.set_result(None)

    def _fail(self, text: str) -> None:
        self.error = text
        if not self.done.done():
            self.done.set_result(None)
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:  # noqa: D102
        buf = self.buf
        buf += data
        if self.state == "handshake":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._fail("upgrade refused: " + bytes(buf[:end]).split(b"\r\n")[0].decode("latin-1"))
                return
            del buf[:end + 4]
            self.state = "joining"
            assert self.transport is not None
            self.transport.write(self.join)
        pos, size, answered = 0, len(buf), self.answered
        now = time.perf_counter_ns()
        while size - pos >= 2:
            n = buf[pos + 1] & 0x7F
            hdr = 2
            if n == 126:
                if size - pos < 4:
                    break
                n, hdr = (buf[pos + 2] << 8) | buf[pos + 3], 4
            elif n == 127:
                if size - pos < 10:
                    break
                n, hdr = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
            if size - pos < hdr + n:
                break
            opcode, start = buf[pos] & 0x0F, pos + hdr
            pos = start + n
            ref = self._reply_ref(opcode, buf, start, n)
            if ref is None:
                if opcode == wsf.CLOSE:
                    self._fail("server closed the connection")
                    return
                continue
            if ref == 0:
                self.state = "running"
            else:
                self.latencies.append(now - self.sent_at[ref])
                answered += 1
        del buf[:pos]
        self.answered = answered
        if self.state == "running":
            self._top_up()

    @staticmethod
    def _reply_ref(opcode: int, buf: bytearray, start: int, n: int) -> int | None:
        # Text reply: ["0","17","room:load:i","phx_reply",...]; binary reply: kind 1, sizes J R T S.
        if opcode == wsf.TEXT:
            head = bytes(buf[start:start + 64])
            if b'"phx_reply"' not in head:
                return None
            parts = head.split(b'"', 4)
            return int(parts[3]) if len(parts) > 4 and parts[3].isdigit() else None
        if opcode == wsf.BINARY and n >= 5 and buf[start] == 1:
            j, r = buf[start + 1], buf[start + 2]
            return int(bytes(buf[start + 5 + j:start + 5 + j + r]))
        return None

    def _top_up(self) -> None:
        total = len(self.frames)
        if self.answered >= total:
            if not self.done.done():
                self.done.set_result(None)
            return
        limit = min(total, self.answered + self.window)
        if self.next >= limit:
            return
        batch = self.frames[self.next:limit]
        now = time.perf_counter_ns()
        for ref in range(self.next + 1, limit + 1):
            self.sent_at[ref] = now
        self.next = limit
        assert self.transport is not None
        self.transport.write(b"".join(batch))


def percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    if not sorted_ns:
        return 0.0
    k = min(len(sorted_ns) - 1, max(0, int(round(q * len(sorted_ns))) - 1))
    return round(sorted_ns[k] / 1000, 1)


async def drive(args: argparse.Namespace, first: int, count: int) -> dict[str, object]:
    """Open connections first..first+count-1, wait for all replies (or the deadline); raw results."""
    url = urlsplit(args.url)
    if url.hostname not in LOOPBACK:
        raise SystemExit("load.py only targets loopback addresses")
    path = (url.path or "/socket/websocket") + "?" + (url.query + "&" if url.query else "") + "vsn=2.0.0"
    port = url.port or 80
    window = 1 if args.mode == "reqresp" else args.window
    loop = asyncio.get_running_loop()
    latencies: list[int] = []
    conns: list[LoadConnection] = []
    futures = []
    for i in range(first, first + count):
        join, frames = build_frames(i, args.messages, args.format, args.payload_size, os.urandom(4))
        done = loop.create_future()
        conns.append(LoadConnection(f"{url.hostname}:{port}", path, join, frames, window, latencies, done))
        futures.append(done)
    start = time.perf_counter()
    for conn in conns:
        await loop.create_connection(lambda c=conn: c, url.hostname, port)
    try:
        await asyncio.wait_for(asyncio.gather(*futures), args.timeout)
    except asyncio.TimeoutError:
        pass
    elapsed = time.perf_counter() - start
    for conn in conns:
        if conn.transport is not None:
            conn.transport.write(wsf.encode_frame(wsf.CLOSE, b"\x03\xe8", mask=os.urandom(4)))
            conn.transport.close()
    errors = [c.error for c in conns if c.error] + [
        f"timeout: {c.answered}/{len(c.frames)} replies" for c in conns if c.answered < len(c.frames) and not c.error]
    return {"answered": sum(c.answered for c in conns), "elapsed": elapsed, "errors": errors,
            "latencies": array("q", latencies).tobytes()}


def _process(args: argparse.Namespace, first: int, count: int) -> dict[str, object]:
    return asyncio.run(drive(args, first, count))


def run(args: argparse.Namespace) -> dict[str, object]:
    """Drive all connections (split over `--processes`) and summarise as one JSON-able dict."""
    procs = max(1, min(args.processes, args.connections))
    shares = [args.connections // procs + (1 if i < args.connections % procs else 0) for i in range(procs)]
    firsts = [sum(shares[:i]) for i in range(procs)]
    if procs == 1:
        parts = [_process(args, 0, args.connections)]
    else:
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            parts = pool.starmap(_process, [(args, f, n) for f, n in zip(firsts, shares)])
    answered = sum(int(p["answered"]) for p in parts)  # type: ignore[call-overload]
    elapsed = max(float(p["elapsed"]) for p in parts)  # type: ignore[arg-type]
    latencies = sorted(x for p in parts for x in array("q", p["latencies"]))  # type: ignore[arg-type]
    return {"connections": args.connections, "processes": procs, "pushes_per_connection": args.messages,
            "mode": args.mode, "format": args.format, "payload_size": args.payload_size,
            "window": 1 if args.mode == "reqresp" else args.window,
            "replies": answered, "elapsed_s": round(elapsed, 3),
            "msgs_per_s": round(answered / elapsed) if elapsed else 0,
            "wire_msgs_per_s": round(2 * answered / elapsed) if elapsed else 0,
            "latency_us": {"p50": percentile(latencies, 0.50), "p99": percentile(latencies, 0.99),
                           "max": percentile(latencies, 1.0)},
            "errors": [e for p in parts for e in p["errors"]]}  # type: ignore[attr-defined]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    p = argparse.ArgumentParser(description="Phoenix V2 WebSocket load generator (loopback only)")
    p.add_argument("--url", required=True, help="ws://127.0.0.1:PORT/socket/websocket (vsn=2.0.0 is added)")
    p.add_argument("-n", "--connections", type=int, default=4)
    p.add_argument("-m", "--messages", type=int, default=10_000, help="pushes per connection")
    p.add_argument("--mode", choices=["pipelined", "reqresp"], default="pipelined")
    p.add_argument("--format", choices=["text", "binary"], default="text")
    p.add_argument("--payload-size", type=int, default=32, help="approximate payload bytes per push")
    p.add_argument("--window", type=int, default=256, help="outstanding pushes per connection when pipelined")
    p.add_argument("--processes", type=int, default=1, help="split the connections over this many processes")
    p.add_argument("--timeout", type=float, default=120.0, help="stop after this many seconds whatever happens")
    return p.parse_args(argv)


def main() -> None:
    """Entry point: one JSON line on stdout; exit 1 if any connection failed or timed out."""
    result = run(parse_args())
    print(json.dumps(result), flush=True)
    sys.exit(1 if result["errors"] else 0)


if __name__ == "__main__":
    main()
