#!/usr/bin/env python3
"""Records the live_* fixtures: a real loopback TCP exchange captured by tcpdump twice, once
with `-i any` (Linux cooked v2) and once on `lo` with a 300-byte snap length.

    tcpdump -i any -w Fixtures/live_any.pcap "tcp port 4700" &
    tcpdump -i lo -s 300 -w Fixtures/live_lo_snap300.pcap "tcp port 4700" &
    python3 record_exchange.py 4700      # writes Fixtures/live.client and Fixtures/live.server
    kill %1 %2

The client sends 40,000 seeded random bytes in random-sized writes; the server answers with
30,000 bytes in 3,000-byte writes, then both close. The tests compare the reassembled
streams with live.client and live.server.
"""
import os
import random
import socket
import sys
import threading
import time

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")

random.seed(5)
port = int(sys.argv[1])
client_data = bytes(random.getrandbits(8) for _ in range(40000))
server_data = bytes(random.getrandbits(8) for _ in range(30000))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(("127.0.0.1", port)); srv.listen(1)
def serve():
    c, _ = srv.accept()
    got = b""
    while len(got) < len(client_data):
        got += c.recv(65536)
    for i in range(0, len(server_data), 3000):
        c.sendall(server_data[i:i+3000]); time.sleep(0.001)
    c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
t = threading.Thread(target=serve); t.start()
s = socket.create_connection(("127.0.0.1", port))
i = 0
while i < len(client_data):
    n = random.randint(1, 5000); s.sendall(client_data[i:i+n]); i += n
got = b""
while True:
    d = s.recv(65536)
    if not d: break
    got += d
s.close(); t.join()
assert got == server_data
open(os.path.join(OUT, "live.client"), "wb").write(client_data); open(os.path.join(OUT, "live.server"), "wb").write(server_data)
