"""HAR interoperability with mitmproxy, a real consumer and producer of Chrome's HAR shape.

    python3 mitmproxy_har.py load FILE.har...        load each HAR with mitmproxy's reader; print the flows
    python3 mitmproxy_har.py make EXPECTED.jsonl OUT.har
        write, with mitmproxy's own HAR exporter (the savehar addon), one WebSocket flow carrying the
        messages of a capture's expected-messages listing
"""

import base64
import json
import sys

from mitmproxy import connection, http, websocket
from mitmproxy.addons.savehar import SaveHar
from mitmproxy.io import FlowReader
from wsproto.frame_protocol import Opcode


def load(paths):
    for path in paths:
        with open(path, "rb") as f:
            flows = list(FlowReader(f).stream())
        for flow in flows:
            print(path, flow.request.method, flow.request.url, flow.response.status_code)


def make(expected, out):
    lines = [json.loads(line) for line in open(expected)]
    start = float(lines[0]["ts"]) - 0.002
    client = connection.Client(peername=("127.0.0.1", 60288), sockname=("127.0.0.1", 4000), timestamp_start=start)
    server = connection.Server(address=("127.0.0.1", 4000), peername=("127.0.0.1", 4000))
    flow = http.HTTPFlow(client, server)
    flow.request = http.Request(
        "127.0.0.1", 4000, b"GET", b"http", b"127.0.0.1:4000", b"/socket/websocket?token=abc&user=alice&vsn=2.0.0",
        b"HTTP/1.1",
        headers=http.Headers(host="127.0.0.1:4000", connection="Upgrade", upgrade="websocket",
                             sec_websocket_version="13", sec_websocket_key="dGhlIHNhbXBsZSBub25jZQ=="),
        content=b"", trailers=None, timestamp_start=start, timestamp_end=start)
    flow.response = http.Response(
        b"HTTP/1.1", 101, b"Switching Protocols",
        headers=http.Headers(connection="Upgrade", upgrade="websocket", sec_websocket_accept="s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        content=b"", trailers=None, timestamp_start=start, timestamp_end=start)
    flow.websocket = websocket.WebSocketData()
    for line in lines:
        binary = line["opcode"] == "binary"
        content = base64.b64decode(line["payload"]) if binary else line["payload"].encode()
        flow.websocket.messages.append(websocket.WebSocketMessage(
            Opcode.BINARY if binary else Opcode.TEXT, line["direction"] == "client->server", content,
            float(line["ts"])))
    with open(out, "w") as f:
        json.dump(SaveHar().make_har([flow]), f, indent=2)


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2:])
    else:
        make(sys.argv[2], sys.argv[3])
