"""A real client's join timeout, seen through `phxtap proxy` (PROTOCOL.md section 9, rule 21).

Supabase's `realtime` joins `realtime:slow-join`, whose first join the test server answers after 10.5 s, past the
client's 10 s timeout. phoenix.js would send phx_leave for the timed-out join before joining again; realtime only
sends the join again. The proxy's transcript must name each step: the timeout, the late reply, the rejoin without
a leave, and it must take the server's phx_close of the replaced join as expected. About 12 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from conftest import HERE, ServerProcess


def start_proxy(phxtap: str, upstream_port: int, record: str) -> tuple[subprocess.Popen, int]:
    """`phxtap proxy` on a free port in front of the server; returns it and the port it announced."""
    proxy = subprocess.Popen([phxtap, "proxy", "--upstream", f"http://127.0.0.1:{upstream_port}",
                              "--listen", "127.0.0.1:0", "--record", record, "--format", "jsonl"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proxy.stderr is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proxy.stderr.readline()
        if "proxying 127.0.0.1:" in line:
            return proxy, int(line.split("proxying 127.0.0.1:")[1].split()[0])
        if not line and proxy.poll() is not None:
            break
    proxy.kill()
    raise AssertionError("phxtap proxy did not announce its port")


def test_realtime_rejoin_after_a_join_timeout(server: ServerProcess, phxtap: str, tmp_path) -> None:
    record = str(tmp_path / "session.jsonl")
    proxy, port = start_proxy(phxtap, server.port, record)
    try:
        clients = subprocess.run([sys.executable, os.path.join(HERE, "run_clients.py"), "--url", f"ws://127.0.0.1:{port}",
                                  "--log", str(tmp_path / "clients.jsonl"), "--scenario", "realtime_join_timeout"],
                                 capture_output=True, text=True, timeout=60)
        assert clients.returncode == 0, clients.stdout + clients.stderr
    finally:
        proxy.send_signal(signal.SIGINT)
        proxy.wait(timeout=20)
    records = [json.loads(line) for line in open(record, encoding="utf-8")]
    messages = [r for r in records if r["type"] == "message"]
    joins = [m for m in messages if m.get("event") == "phx_join"]
    assert [j["topic"] for j in joins] == ["realtime:slow-join"] * 2
    assert not any(m.get("event") == "phx_leave" for m in messages), "realtime sends no leave for the timed-out join"

    def rules(record: dict) -> list[str]:
        return [a["rule"] for a in record.get("annotations", [])]

    timeouts = [r for r in records if r["type"] == "annotation" and r["rule"] == "join-timeout"]
    assert [t["refers_to"] for t in timeouts] == [[joins[0]["seq"]]]
    late = [m for m in messages if m.get("event") == "phx_reply" and m.get("ref") == joins[0]["ref"]]
    assert len(late) == 1 and rules(late[0]) == ["orphan-reply"]
    assert rules(joins[1]) == ["join-timeout-no-leave"], joins[1]
    note = joins[1]["annotations"][0]["text"]
    assert "its ok came late" in note and "in V1 that phx_close carries no join_ref" in note
    # The server's close of the join it completed late is expected: nothing is said about it.
    closes = [m for m in messages if m.get("event") == "phx_close"]
    assert len(closes) == 1 and closes[0]["ref"] == joins[0]["ref"] and rules(closes[0]) == []
    every_rule = {rule for r in messages for rule in rules(r)}
    assert not every_rule & {"duplicate-join", "leave-unjoined", "stale-server-join-ref", "unknown-server-join-ref"}
