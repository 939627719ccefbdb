#!/usr/bin/env python3
"""Drive real Phoenix client libraries and raw-protocol scenarios against a server URL (the test server, or
`phxtap proxy` in front of it) and log what each client sent and received.

    python3 Tests/Peers/run_clients.py --url ws://127.0.0.1:4000 --log out.jsonl [--scenario NAME ...]

Prints one JSON line per scenario (`{"scenario","ok","error","seconds"}`) and exits 1 if any failed. The log
format is described in client_log.py; `client_log.comparable()` reduces two logs (with and without a proxy)
to what must be equal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import library_scenarios  # noqa: E402
import raw_scenarios  # noqa: E402
from client_log import ClientLog, current_scenario, install_websockets_tap  # noqa: E402

SCENARIOS = {**raw_scenarios.SCENARIOS, **library_scenarios.SCENARIOS}
# Named with --scenario only (they wait out a client timeout): not part of the default run.
SLOW_SCENARIOS = library_scenarios.SLOW_SCENARIOS
NAMED = {**SCENARIOS, **SLOW_SCENARIOS}


async def run(url: str, names: list[str], log: ClientLog, timeout: float) -> list[dict[str, object]]:
    """Run scenarios one after another (so logs are in a stable order)."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    http = base.replace("wss://", "https://").replace("ws://", "http://")
    install_websockets_tap(log)
    results = []
    for name in names:
        current_scenario.set(name)
        start = time.perf_counter()
        error = None
        try:
            await asyncio.wait_for(NAMED[name](base, http, log), timeout)
        except Exception as exc:  # noqa: BLE001  (any failure is reported, then the next scenario runs)
            error = f"{type(exc).__name__}: {exc}"
        results.append({"scenario": name, "ok": error is None, "error": error,
                        "seconds": round(time.perf_counter() - start, 3)})
    return results


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="ws://HOST:PORT of the server or proxy (paths are added)")
    p.add_argument("--log", required=True, help="JSON-lines file for what the clients sent and received")
    p.add_argument("--scenario", action="append", choices=sorted(NAMED),
                   help="run only these (repeatable); the default is every scenario but " + ", ".join(SLOW_SCENARIOS))
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per scenario")
    args = p.parse_args(argv)
    with open(args.log, "w", encoding="utf-8") as out:
        results = asyncio.run(run(args.url, args.scenario or list(SCENARIOS), ClientLog(out), args.timeout))
    for r in results:
        print(json.dumps(r), flush=True)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
