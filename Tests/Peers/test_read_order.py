"""A long `phxtap read` keeps every record, in order, whichever thread formats its lines.

A read of a capture formats its lines on the thread that reads the capture (whenever the decoding thread has enough
to go on with), on the decoding thread, or on a thread of the writer's own, a batch of 512 records at a time. A
transcript read back goes through the writer's own thread alone. So: record a capture of real traffic with tens of
batches, read it from the file and from a pipe, read the transcript back, and compare.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import HERE


def records(text: str) -> list[dict]:
    """The transcript's records, the session record's `source` left out."""
    out = [json.loads(line) for line in text.splitlines()]
    for r in out:
        if r["type"] == "session":
            r.pop("source")
    return out


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_a_long_read_keeps_every_record_in_order(phxtap: str, tmp_path) -> None:
    capture = tmp_path / "order.pcap"
    recorded = subprocess.run([sys.executable, os.path.join(HERE, "record_capture.py"), "--out", str(capture),
                               "--buffer-kib", "8192", "load", "-n", "2", "-m", "8000", "--mode", "pipelined",
                               "--payload-size", "64"], capture_output=True, text=True, timeout=120)
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert json.loads(recorded.stdout)["dropped"] == 0

    from_file = subprocess.run([phxtap, "read", "--format", "jsonl", str(capture)], capture_output=True, text=True,
                               timeout=120)
    assert from_file.returncode == 0, from_file.stderr
    with open(capture, "rb") as piped_capture:
        from_pipe = subprocess.run(f"cat | {phxtap} read --format jsonl -", shell=True, stdin=piped_capture,
                                   capture_output=True, text=True, timeout=120)
    assert from_pipe.returncode == 0, from_pipe.stderr
    transcript = tmp_path / "order.jsonl"
    transcript.write_text(from_file.stdout)
    read_back = subprocess.run([phxtap, "read", "--format", "jsonl", str(transcript)], capture_output=True, text=True,
                               timeout=120)
    assert read_back.returncode == 0, read_back.stderr

    lines = records(from_file.stdout)
    messages = [r for r in lines if r["type"] == "message"]
    # 2 joins, their replies and presence traffic, and 8,000 pushes and replies per connection: 63 batches or so.
    assert len(messages) >= 32_000
    assert lines[-1]["type"] == "summary" and lines[-1]["messages"] == len(messages)
    # Within each connection, message numbers run 1, 2, 3... and times never go back.
    next_seq: dict[int, int] = {}
    last_time = 0.0
    for r in lines:
        if r["type"] == "message":
            assert r["seq"] == next_seq.get(r["conn"], 1), f"conn {r['conn']} seq {r['seq']}"
            next_seq[r["conn"]] = r["seq"] + 1
        if "time" in r:
            assert r["time"] >= last_time, r
            last_time = r["time"]
    assert records(from_pipe.stdout) == lines
    assert records(read_back.stdout) == lines
    # /dev/null takes its writes where the lines are formatted, without the writing thread.
    with open(os.devnull, "wb") as null:
        discarded = subprocess.run([phxtap, "read", "--format", "jsonl", str(capture)], stdout=null,
                                   stderr=subprocess.PIPE, text=True, timeout=120)
    assert discarded.returncode == 0 and discarded.stderr == ""
