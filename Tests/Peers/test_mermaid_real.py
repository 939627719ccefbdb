"""The Mermaid sequence diagrams in phxtap's Markdown exports, read by Mermaid's own parser.

The Swift tests check the diagrams against a grammar of the subset phxtap writes; here the real
parser (Mermaid 11, as a Markdown viewer runs it before drawing) reads them: every diagram of every
bundled capture must parse, draw one arrow per arrow line and one note per note line, and names
made of Mermaid's syntax (`;` ends a statement, `#...;` is an entity) must come out
as the text the transcript has.
"""

from __future__ import annotations

import glob
import html
import json
import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FENCE = re.compile(r"```mermaid\n(.*?)```", re.S)
ARROW_LINE = re.compile(r"^    [CS](->>|-->>|-x)[CS]: ", re.M)
NOTE_LINE = re.compile(r"^    Note over C,S: ", re.M)
ARROW_TYPES = {0, 1, 3}  # Mermaid's LINETYPE: SOLID (->>), DOTTED (-->>), SOLID_CROSS (-x)


def mermaid_parse(bundle: str, diagrams: list[str]) -> list[dict]:
    out = subprocess.run(["node", os.path.join(HERE, "mermaid_parse.js"), bundle], input=json.dumps(diagrams),
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def drawn(text: str) -> str:
    """A message's text as Mermaid draws it: its parser keeps `#59;` and `#quot;` as placeholders
    (`ﬂ°°59¶ß`, `ﬂ°quot¶ß`) that become HTML entities when the diagram is drawn."""
    text = re.sub(r"ﬂ°°(\d+)¶ß", lambda m: chr(int(m.group(1))), text)
    return re.sub(r"ﬂ°(\w+)¶ß", lambda m: html.unescape(f"&{m.group(1)};"), text)


def diagrams_of(markdown: str) -> list[str]:
    return FENCE.findall(markdown)


def arrows(result: dict) -> list[dict]:
    """The messages Mermaid draws as arrows: its message list also holds notes and `autonumber`."""
    return [m for m in result["messages"] if m["type"] in ARROW_TYPES]


def test_every_bundled_capture_draws_as_written(phxtap: str, mermaid_bundle: str) -> None:
    diagrams: list[str] = []
    for capture in sorted(glob.glob(os.path.join(ROOT, "Captures", "*.pcap"))):
        run = subprocess.run([phxtap, "read", "--format", "markdown", capture], capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0, run.stderr
        found = diagrams_of(run.stdout)
        assert found, f"no diagram in the export of {capture}"
        diagrams += found
    assert len(diagrams) >= 10
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        diagrams += diagrams_of(readme.read())  # the sample the README shows
    for diagram, result in zip(diagrams, mermaid_parse(mermaid_bundle, diagrams)):
        assert "error" not in result, f"{result.get('error')}\n{diagram}"
        assert result["type"] == "sequence"
        assert len(arrows(result)) == len(ARROW_LINE.findall(diagram)), diagram
        assert result["notes"] == len(NOTE_LINE.findall(diagram)), diagram


def transcript(tmp_path, frames: list[tuple[str, str]]) -> str:
    """A hand-made transcript of one connection with these (from, raw frame) messages."""
    lines = [
        {"type": "session", "format": "phxtap/1", "source": "hand-made"},
        {"type": "open", "conn": 1, "time": 1.0, "client": "127.0.0.1:5000", "server": "127.0.0.1:4000",
         "transport": "websocket", "path": "/socket/websocket", "params": {"vsn": "2.0.0"}, "serializer": "v2",
         "status": 101, "vsn": "2.0.0"},
    ]
    for seq, (sender, raw) in enumerate(frames, start=1):
        lines.append({"type": "message", "conn": 1, "seq": seq, "time": 1.0 + seq, "from": sender,
                      "opcode": "text", "size": len(raw), "raw": raw, "annotations": []})
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def test_names_made_of_mermaid_syntax_draw_as_they_are(phxtap: str, mermaid_bundle: str, tmp_path) -> None:
    topic = 'room;1#2"q"<b>%%x #35; &amp;'
    frames = [
        ("client", json.dumps(["1", "1", topic, "phx_join", {}])),
        ("server", json.dumps(["1", "1", topic, "phx_reply", {"status": "ok", "response": {}}])),
        ("client", json.dumps(["1", "2", "loop", "end", {}])),
        ("client", json.dumps(["1", "3", "alt", "Note over C,S: x-->>y", {}])),
        ("client", json.dumps(["1", "4", "t", "two\nlines", {}])),
        ("client", "not json; at all #"),
    ]
    run = subprocess.run([phxtap, "export", "--format", "markdown", transcript(tmp_path, frames)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    [diagram] = diagrams_of(run.stdout)
    [result] = mermaid_parse(mermaid_bundle, [diagram])
    assert "error" not in result, f"{result.get('error')}\n{diagram}"
    texts = [drawn(m["text"]) for m in arrows(result)]
    assert texts == [
        f"phx_join {topic} j=1 r=1",
        f"phx_reply ok {topic} j=1 r=1",
        "end loop j=1 r=2",
        "Note over C,S: x-->>y alt j=1 r=3",
        "two lines t j=1 r=4",
        "undecodable text frame, 18 bytes",
    ], diagram
    assert [(m["from"], m["to"]) for m in arrows(result)] == [
        ("C", "S"), ("S", "C"), ("C", "S"), ("C", "S"), ("C", "S"), ("C", "S")]


def test_the_parser_refuses_what_phxtap_must_escape(mermaid_bundle: str) -> None:
    """The check has teeth: the same statements unescaped break the diagram or change its text."""
    head = "sequenceDiagram\n    participant C as Client\n    participant S as Server\n"
    results = mermaid_parse(mermaid_bundle, [
        head + "    C->>S: phx_join room;1 j=1 r=1\n",
        head + "    C->>S: a #lt;b\n",
        head + "    C->>S: fine\n",
    ])
    assert "error" in results[0], results[0]
    assert drawn(results[1]["messages"][0]["text"]) == "a <b", results[1]
    assert results[2] == {"type": "sequence", "messages": [{"from": "C", "to": "S", "type": 0, "text": "fine"}],
                          "notes": 0}
