"""run_clients.py drives every scenario green against the test server, and its log is stable across runs
(which is what lets the proxy tests compare runs with and without the proxy)."""

from __future__ import annotations

import json
import subprocess
import sys

from client_log import comparable
from conftest import HERE


def _run(server, path: str) -> list[dict]:
    proc = subprocess.run([sys.executable, f"{HERE}/run_clients.py", "--url", server.url(""), "--log", path],
                          capture_output=True, text=True, timeout=60)
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return results


def test_all_scenarios_pass_and_logs_are_stable(server, tmp_path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    results = _run(server, str(first))
    assert {r["scenario"] for r in results} == {
        "raw_v2_text", "raw_client_bugs", "raw_v2_binary", "raw_v1", "raw_presence", "refused", "longpoll",
        "phoenix_client_v2", "phoenix_client_v1", "realtime"}
    _run(server, str(second))
    assert comparable(str(first)) == comparable(str(second))

    lines = [json.loads(line) for line in first.read_text().splitlines()]
    by = lambda scenario, direction: [ln for ln in lines if ln["scenario"] == scenario and ln["direction"] == direction]  # noqa: E731
    # the realtime client's heartbeat goes out with a null ref (supabase/realtime-py#289)
    assert any('"heartbeat"' in ln["payload"] and '"ref":null' in ln["payload"] for ln in by("realtime", "sent"))
    # binary frames both ways, and LongPoll traffic, are in the log
    assert {ln["opcode"] for ln in by("raw_v2_binary", "sent")} == {"text", "binary"}
    assert any(ln["opcode"] == "binary" and ln.get("transport") == "longpoll" for ln in by("longpoll", "received"))
    assert [ln["payload"] for ln in by("refused", "received") if ln["opcode"] == "http"] == ["403", "403", "403"]
    # the V1 library sends no join_ref, so a 1.7 server leaves its phx_leave unanswered
    assert any(ln["opcode"] == "note" for ln in by("phoenix_client_v1", "received"))
