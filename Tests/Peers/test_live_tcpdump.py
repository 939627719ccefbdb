"""`tcpdump -U -w - | phxtap read -` with a real tcpdump, a real client library and the test server.

What it checks, from the user's side: messages appear in phxtap's transcript while the capture is still running
(not only once tcpdump ends), and when it ends the transcript is the one `phxtap read FILE` gives for the same bytes
saved to a file. The test copies tcpdump's output to phxtap and to that file itself, as `tee` would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import HERE, ServerProcess
from record_capture import start_tcpdump


def copy(source: int, sinks: list) -> None:
    """Copies everything from the descriptor `source` to each of `sinks` (binary files) until end of file."""
    while chunk := os.read(source, 65536):
        for sink in sinks:
            sink.write(chunk)
            sink.flush()
    for sink in sinks:
        sink.close()


def without_source(lines: list[str]) -> list[dict]:
    """Transcript records, the session record's `source` ("-" or a path) left out."""
    records = [json.loads(line) for line in lines]
    for r in records:
        if r["type"] == "session":
            r.pop("source")
    return records


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_live_capture_from_tcpdump(server: ServerProcess, phxtap: str, tmp_path) -> None:
    saved = tmp_path / "live.pcap"
    dump = start_tcpdump("-", server.port, buffer_kib=4096, stdout=subprocess.PIPE)
    reading = subprocess.Popen([phxtap, "read", "--format", "jsonl", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert dump.stdout is not None and reading.stdin is not None and reading.stdout is not None
    copier = threading.Thread(target=copy, args=(dump.stdout.fileno(), [reading.stdin, open(saved, "wb")]))
    copier.start()
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.decode() for line in reading.stdout))
    reader.start()

    def events_shown() -> set[str]:
        return {r.get("event", "") for r in map(json.loads, list(lines)) if r["type"] == "message"}

    try:
        client = subprocess.run([sys.executable, os.path.join(HERE, "run_clients.py"), "--url",
                                 f"ws://127.0.0.1:{server.port}", "--log", os.devnull, "--scenario",
                                 "phoenix_client_v2"], capture_output=True, text=True, timeout=60)
        assert client.returncode == 0, client.stdout + client.stderr

        # While tcpdump still runs: the client's join and the server's reply are already in the transcript.
        deadline = time.monotonic() + 10
        while not {"phx_join", "phx_reply"} <= events_shown() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert dump.poll() is None, "tcpdump ended early"
        assert {"phx_join", "phx_reply"} <= events_shown(), f"nothing shown while the capture ran: {lines}"
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
        copier.join(timeout=10)
        reading.wait(timeout=30)
        reader.join(timeout=10)
    assert reading.returncode == 0, reading.stderr.read().decode() if reading.stderr else ""

    offline = subprocess.run([phxtap, "read", "--format", "jsonl", str(saved)], capture_output=True, text=True,
                             timeout=60)
    assert offline.returncode == 0, offline.stderr
    live = without_source(lines)
    assert live == without_source(offline.stdout.splitlines())
    messages = [r for r in live if r["type"] == "message"]
    assert len(messages) >= 4 and all("decode_error" not in r for r in messages)
    assert live[-1]["type"] == "summary" and live[-1]["messages"] == len(messages)
