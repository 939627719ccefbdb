#!/usr/bin/env python3
"""Loopback peers for the ProxyServer tests. Every mode is bounded in time and prints its
findings as one JSON line on stdout; servers first print `PORT <n>` once they listen."""
import asyncio
import hashlib
import json
import os
import random
import socket
import ssl
import sys
import time

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.http11 import Response
from websockets.datastructures import Headers


def say(obj):
    print(json.dumps(obj), flush=True)


def server_ssl(args):
    if "--tls" not in args:
        return None
    i = args.index("--tls")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args[i + 1], args[i + 2])
    return ctx


def client_ssl(args):
    if "--ca" not in args:
        return None
    ctx = ssl.create_default_context(cafile=args[args.index("--ca") + 1])
    return ctx


# ---------------------------------------------------------------- WebSocket echo server

async def ws_echo_server(args):
    async def handler(ws):
        try:
            async for message in ws:
                await ws.send(message)
        except websockets.ConnectionClosed:
            pass

    def select(conn, offered):
        # Phoenix answers with the first subprotocol it supports; tokens ride along.
        return offered[0] if offered else None

    def refuse(conn, request):
        if request.path.startswith("/refuse"):
            return Response(403, "Forbidden", Headers([("content-length", "9")]), b"forbidden")
        return None

    async with serve(handler, "127.0.0.1", 0, select_subprotocol=select, process_request=refuse,
                     max_size=None, ssl=server_ssl(args), ping_interval=None) as server:
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(float(args[0]) if args and args[0][0].isdigit() else 120)


# ---------------------------------------------------------------- WebSocket client

async def ws_client(args):
    url = args[0]
    token = "base64url.bearer.phx.dG9rZW4tMTIz"
    out = {}
    try:
        async with connect(url, subprotocols=["phoenix", token], max_size=None, ssl=client_ssl(args),
                           additional_headers={"Cookie": "_app_key=abc123"}, ping_interval=None,
                           open_timeout=10) as ws:
            out["subprotocol"] = ws.subprotocol
            out["extensions"] = [type(e).__name__ for e in ws.protocol.extensions]
            checks = []
            text = '["1","1","room:lobby","phx_join",{}]'
            await ws.send(text)
            checks.append(await ws.recv() == text)
            blob = bytes(range(256)) * 4
            await ws.send(blob)
            checks.append(await ws.recv() == blob)
            # A fragmented text message: three frames, one message.
            await ws.send(iter(["frag", "ment", "ed"]))
            checks.append(await ws.recv() == "fragmented")
            pong = await ws.ping(b"p1")
            await asyncio.wait_for(pong, 5)
            if "--big" in args:
                big = os.urandom(16 * 1024 * 1024)
                await ws.send(big)
                checks.append(await asyncio.wait_for(ws.recv(), 60) == big)
            out["checks"] = checks
        out["close_code"] = ws.close_code
    except Exception as e:  # report, the test decides
        out["error"] = f"{type(e).__name__}: {e}"
    say(out)


async def ws_status(args):
    """Attempts an upgrade and reports the HTTP status the server (or proxy) answered."""
    try:
        async with connect(args[0], open_timeout=10, ssl=client_ssl(args)) as ws:
            say({"status": 101})
    except websockets.InvalidStatus as e:
        say({"status": e.response.status_code, "body": e.response.body.decode(errors="replace")})
    except Exception as e:
        say({"error": f"{type(e).__name__}: {e}"})


async def ws_many(args):
    """Opens N connections at once, holds them all open, echoes one message on each."""
    url, n = args[0], int(args[1])
    hold = float(args[2]) if len(args) > 2 else 0.5
    sem = asyncio.Semaphore(200)  # bound simultaneous handshakes, not open connections
    conns = []

    async def one(i):
        async with sem:
            ws = await connect(url, open_timeout=30, ping_interval=None)
        conns.append(ws)
        await ws.send(f"hello {i}")
        return await asyncio.wait_for(ws.recv(), 30) == f"hello {i}"

    start = time.time()
    results = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    ok = sum(1 for r in results if r is True)
    errors = [repr(r) for r in results if r is not True][:3]
    open_at_once = len(conns)
    await asyncio.sleep(hold)
    await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    say({"ok": ok, "open_at_once": open_at_once, "errors": errors, "seconds": time.time() - start})


async def ws_vanish(args):
    """Upgrades, exchanges one message, then drops the TCP connection without a close frame:
    `fin` closes the socket, `rst` resets it."""
    url, how = args[0], args[1]
    ws = await connect(url, open_timeout=10, ping_interval=None)
    await ws.send("before vanishing")
    echoed = await ws.recv()
    sock = ws.transport.get_extra_info("socket")
    if how == "rst":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    ws.transport.abort() if how == "rst" else ws.transport.close()
    say({"echoed": echoed == "before vanishing"})


async def ws_hold(args):
    """Upgrades, exchanges one message, then waits up to `seconds` for the server to go away
    and reports how the connection ended."""
    url, seconds = args[0], float(args[1])
    ws = await connect(url, open_timeout=10, ping_interval=None)
    await ws.send("hold")
    echoed = await ws.recv()
    start = time.time()
    try:
        await asyncio.wait_for(ws.recv(), seconds)
        say({"echoed": echoed == "hold", "closed": False})
    except websockets.ConnectionClosed as e:
        say({"echoed": echoed == "hold", "closed": True, "code": e.rcvd.code if e.rcvd else None,
             "after": time.time() - start})
    except asyncio.TimeoutError:
        say({"echoed": echoed == "hold", "closed": False})


# ---------------------------------------------------------------- raw TCP peers

def pattern(seed, n):
    return random.Random(seed).randbytes(n)


async def raw_server(args):
    """Per connection: sends 300 kB of seeded bytes at once, reads until the client's FIN,
    answers the SHA-256 of what it read, then FIN. Reports per connection on stderr."""
    async def handle(reader, writer):
        writer.write(pattern(7, 300_000))
        await writer.drain()
        got = await reader.read(-1)
        writer.write(hashlib.sha256(got).hexdigest().encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(float(args[0]) if args else 120)


async def raw_client(args):
    """Sends 500 kB of seeded bytes in random-sized writes, then FIN; expects the server's
    300 kB and the digest of what it sent."""
    host, port = args[0], int(args[1])
    reader, writer = await asyncio.open_connection(host, port)
    data = pattern(11, 500_000)
    rng = random.Random(3)
    i = 0
    while i < len(data):
        n = rng.randint(1, 40_000)
        writer.write(data[i:i + n])
        await writer.drain()
        i += n
    writer.write_eof()
    got = await asyncio.wait_for(reader.read(-1), 30)
    expect = pattern(7, 300_000) + hashlib.sha256(data).hexdigest().encode()
    say({"same": got == expect, "received": len(got), "expected": len(expect)})


async def raw_send(args):
    """Sends the given bytes (hex), then reads what comes back until EOF or 10 s."""
    host, port, hexdata = args[0], int(args[1]), args[2]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(bytes.fromhex(hexdata))
    await writer.drain()
    try:
        got = await asyncio.wait_for(reader.read(-1), 10)
        say({"reply": got.decode(errors="replace")})
    except asyncio.TimeoutError:
        say({"reply": None, "timeout": True})


async def flood_server(args):
    """Per connection: writes as fast as the socket accepts for `seconds`, never reading;
    reports how many bytes the kernel accepted from it."""
    seconds = float(args[0])
    done = asyncio.get_running_loop().create_future()

    def handle(conn):
        conn.setblocking(False)
        chunk = b"x" * 65536
        sent = 0
        end = time.time() + seconds
        while time.time() < end:
            try:
                sent += conn.send(chunk)
            except BlockingIOError:
                time.sleep(0.005)
        return sent

    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen()
    print("PORT", lsock.getsockname()[1], flush=True)
    conn, _ = lsock.accept()
    sent = await asyncio.get_running_loop().run_in_executor(None, handle, conn)
    say({"sent": sent})
    conn.close()


async def slow_client(args):
    """Connects, sends one line, reads nothing for `seconds`, then reports."""
    host, port, seconds = args[0], int(args[1]), float(args[2])
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    await asyncio.sleep(seconds)
    say({"slept": seconds})
    sock.close()


MODES = {
    "ws-echo-server": ws_echo_server, "ws-client": ws_client, "ws-status": ws_status, "ws-many": ws_many,
    "ws-vanish": ws_vanish, "ws-hold": ws_hold, "raw-server": raw_server, "raw-client": raw_client, "raw-send": raw_send,
    "flood-server": flood_server, "slow-client": slow_client,
}

if __name__ == "__main__":
    asyncio.run(MODES[sys.argv[1]](sys.argv[2:]))
