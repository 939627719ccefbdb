#!/usr/bin/env python3
"""Makes a large capture for pcap-bench by repeating Captures/binary.pcap's connection with
a new client port each time, ten connections interleaved at once, until the file reaches the
requested size (100 MB by default).

    python3 bench/pcap-bench/make_big_capture.py /tmp/big.pcap [MEGABYTES] [CAPTURE] [CONCURRENT]

CAPTURE is another of Captures/*.pcap to repeat instead (heartbeat.pcap gives small packets);
CONCURRENT is how many connections are open at once (10 by default).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "Captures", "binary.pcap")


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack_from("<I", data, 0)
    assert magic == 0xA1B2C3D4, "expected a little-endian microsecond pcap"
    linktype, = struct.unpack_from("<I", data, 20)
    assert linktype == 1, "expected Ethernet"
    packets, pos = [], 24
    while pos + 16 <= len(data):
        sec, usec, caplen, length = struct.unpack_from("<IIII", data, pos)
        packets.append((sec + usec / 1e6, bytearray(data[pos + 16:pos + 16 + caplen]), length))
        pos += 16 + caplen
    return data[:24], packets


def main():
    out = sys.argv[1]
    target = int(float(sys.argv[2]) * 1e6) if len(sys.argv) > 2 else 100_000_000
    source = os.path.join(os.path.dirname(SOURCE), sys.argv[3]) if len(sys.argv) > 3 else SOURCE
    header, packets = read_pcap(source)
    client_port = None
    for _, pkt, _ in packets:
        if pkt[47] & 0x02 and not pkt[47] & 0x10:  # the SYN: its source port is the client's
            client_port = struct.unpack_from(">H", pkt, 34)[0]
            break
    t0 = packets[0][0]
    span = packets[-1][0] - t0 + 0.001
    concurrent = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    written, copy = 24, 0
    with open(out, "wb") as f:
        f.write(header)
        while written < target:
            group = []
            for k in range(concurrent):
                port = 10000 + (copy + k) % 50000
                copies = []
                for t, pkt, length in packets:
                    pkt = bytearray(pkt)
                    sport, dport = struct.unpack_from(">HH", pkt, 34)
                    if sport == client_port:
                        struct.pack_into(">H", pkt, 34, port)
                    if dport == client_port:
                        struct.pack_into(">H", pkt, 36, port)
                    copies.append((t, pkt, length))
                group.append(copies)
            base = t0 + (copy // concurrent) * span
            # Round-robin over the open connections, packet by packet.
            for i in range(max(len(c) for c in group)):
                for copies in group:
                    if i < len(copies):
                        t, pkt, length = copies[i]
                        t = base + (t - t0)
                        sec = int(t)
                        f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(pkt), length))
                        f.write(pkt)
                        written += 16 + len(pkt)
            copy += concurrent
    print(f"{out}: {written} bytes, {copy} connections, {copy * len(packets)} packets")


if __name__ == "__main__":
    main()
