"""record_capture.py writes a pcap of the workload with no drops."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import HERE


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_records_a_scenario(tmp_path) -> None:
    out = tmp_path / "v1.pcap"
    proc = subprocess.run([sys.executable, os.path.join(HERE, "record_capture.py"), "--out", str(out), "--buffer-kib",
                           "4096", "clients", "--scenario", "raw_v1"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["dropped"] == 0 and report["packets"] > 10
    data = out.read_bytes()
    assert data[:4] == bytes.fromhex("d4c3b2a1")  # classic pcap, little endian, microseconds
    # the server's V1 reply is unmasked on the wire, so its bytes appear verbatim in the capture
    assert b'{"event":"phx_reply","payload":{"response":{"n":1},"status":"ok"},"ref":"2","topic":"room:rawv1"}' in data
