#!/usr/bin/env python3
"""Record a pcap of test traffic: start the test server, capture its loopback port with tcpdump, run a workload
(run_clients.py scenarios or load.py), stop, and report what was captured as one JSON line.

Why: the pcap reader's tests and benchmarks need captures of known traffic at any size (the shared captures are
small), made the same way the real ones were (tcpdump on loopback, Ethernet link type).

    python3 Tests/Peers/record_capture.py --out big.pcap -- load -n 8 -m 200000 --format binary
    python3 Tests/Peers/record_capture.py --out clients.pcap --server-arg=--compress -- clients --scenario raw_v1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def start_server(extra: list[str]) -> tuple[subprocess.Popen[str], int]:
    """The test server on a free port."""
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "phoenix_test_server.py"), "--port", "0", *extra],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if line[:1] != ["LISTENING"]:
        proc.terminate()
        raise SystemExit("the test server did not start")
    return proc, int(line[1])


def start_tcpdump(out: str, port: int, buffer_kib: int, stdout: int | None = None) -> subprocess.Popen[str]:
    """tcpdump on lo for the server port, writing to `out` (`-` for its stdout, then given as `stdout`, e.g.
    subprocess.PIPE); returns once it is listening (so no packet is missed)."""
    # As root, tcpdump would drop to its own user and then fail to write into a private directory.
    keep_user = ["-Z", "root"] if os.geteuid() == 0 else []
    # --immediate-mode: without it libpcap hands packets over a block at a time (after up to
    # a second), and a short workload stopped with SIGINT can end with none of them written.
    proc = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "--immediate-mode", "-B", str(buffer_kib), *keep_user, "-w", out,
                             "tcp", "port", str(port)], stdout=stdout, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if "listening on" not in line:
        proc.terminate()
        raise SystemExit(f"tcpdump did not start: {line.strip()}")
    return proc


def workload(kind: str, args: list[str], port: int) -> list[str]:
    """The command line of the workload against the server."""
    if kind == "clients":
        log = os.environ.get("PHX_CLIENT_LOG", os.devnull)
        return [sys.executable, os.path.join(HERE, "run_clients.py"), "--url", f"ws://127.0.0.1:{port}",
                "--log", log, *args]
    return [sys.executable, os.path.join(HERE, "load.py"), "--url", f"ws://127.0.0.1:{port}/socket/websocket", *args]


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit status of the workload (2 if packets were dropped or none were captured)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="pcap file to write")
    p.add_argument("--server-arg", action="append", default=[], help="extra server argument (repeatable)")
    p.add_argument("--buffer-kib", type=int, default=262_144, help="tcpdump kernel buffer (-B), KiB")
    p.add_argument("kind", choices=["clients", "load"])
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for run_clients.py or load.py")
    ns = p.parse_args(argv)
    server, port = start_server(ns.server_arg)
    try:
        dump = start_tcpdump(ns.out, port, ns.buffer_kib)
        start = time.perf_counter()
        work = subprocess.run(workload(ns.kind, [a for a in ns.args if a != "--"], port),
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        time.sleep(0.3)  # let the last FINs reach the capture
        dump.send_signal(signal.SIGINT)
        _, err = dump.communicate(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=10)
    captured = re.search(r"(\d+) packets? captured", err)
    dropped = re.search(r"(\d+) packets? dropped by kernel", err)
    report = {"pcap": ns.out, "bytes": os.path.getsize(ns.out), "packets": int(captured.group(1)) if captured else None,
              "dropped": int(dropped.group(1)) if dropped else None, "workload_exit": work.returncode,
              "seconds": round(elapsed, 3), "workload_output": work.stdout.strip().splitlines()}
    print(json.dumps(report), flush=True)
    if report["dropped"] or not report["packets"]:
        print("record_capture: the capture dropped packets or is empty", file=sys.stderr)
        return 2
    return work.returncode


if __name__ == "__main__":
    sys.exit(main())
