#!/usr/bin/env python3
"""Builds the small captures PcapSourceTests reads, each aimed at one reassembly case.

Run from anywhere: python3 Tests/PcapSourceTests/make_fixtures.py
Packets are built with scapy; the pcap container is written by hand (below) so that the
snap length, the link-layer header and damaged records are exactly what each case needs.
The expected byte streams are spelled out in the Swift tests, next to each case.
"""
import os
import struct

from scapy.all import IP, IPv6, TCP, Raw, fragment, rdpcap, raw
from scapy.layers.inet6 import IPv6ExtHdrFragment, fragment6

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Fixtures")
CAPTURES = os.path.join(HERE, "..", "..", "Captures")

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 = 113, 276
T0 = 1_795_000_000.0


def write_pcap(name, linktype, records, snaplen=262144):
    """records: (time, captured bytes, original length) tuples; a little-endian classic pcap."""
    with open(os.path.join(OUT, name), "wb") as f:
        # magic, version 2.4, thiszone, sigfigs, snaplen, network
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        for t, data, length in records:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), length))
            f.write(data)


# --- link layers -------------------------------------------------------------------------

def ethernet(ip_bytes, vlans=()):
    ethertype = 0x86DD if ip_bytes[0] >> 4 == 6 else 0x0800
    head = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    for tpid, vid in vlans:
        head += struct.pack(">HH", tpid, vid)
    frame = head + struct.pack(">H", ethertype) + ip_bytes
    # Short frames are padded to Ethernet's 60-byte minimum, as a NIC sends them; the IP
    # length, not the frame length, says where the segment ends.
    return frame + b"\0" * max(0, 60 - len(frame))


def null(ip_bytes, byteorder):
    family = 24 if ip_bytes[0] >> 4 == 6 else 2
    return struct.pack(byteorder + "I", family) + ip_bytes


def sll(ip_bytes, outgoing):
    ethertype = 0x86DD if ip_bytes[0] >> 4 == 6 else 0x0800
    # packet type, ARPHRD_LOOPBACK (772), address length, address (8), protocol
    return struct.pack(">HHH8sH", 4 if outgoing else 0, 772, 6, b"\0" * 8, ethertype) + ip_bytes


def sll2(ip_bytes, outgoing):
    ethertype = 0x86DD if ip_bytes[0] >> 4 == 6 else 0x0800
    # protocol, reserved, interface index, ARPHRD_LOOPBACK, packet type, address length, address
    return struct.pack(">HHIHBB8s", ethertype, 0, 1, 772, 4 if outgoing else 0, 6, b"\0" * 8) + ip_bytes


# --- conversations ------------------------------------------------------------------------

class Conversation:
    """Tracks both sides' sequence numbers so each case reads as the packets it sends."""

    def __init__(self, client=("10.0.0.1", 51000), server=("10.0.0.2", 4000), isn_c=1000, isn_s=5000, v6=False):
        self.client, self.server, self.v6 = client, server, v6
        self.cseq, self.sseq = isn_c, isn_s

    def _ip(self, from_client):
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        return (IPv6 if self.v6 else IP)(src=src[0], dst=dst[0]), src[1], dst[1]

    def _pkt(self, from_client, flags, seq, ack, data=b""):
        ip, sport, dport = self._ip(from_client)
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq % 2**32, ack=ack % 2**32, window=65535)
        return ip / tcp / Raw(data) if data else ip / tcp

    def handshake(self):
        pkts = [self._pkt(True, "S", self.cseq, 0)]
        self.cseq += 1
        pkts.append(self._pkt(False, "SA", self.sseq, self.cseq))
        self.sseq += 1
        pkts.append(self._pkt(True, "A", self.cseq, self.sseq))
        return pkts

    def c(self, data, advance=True, seq=None):
        p = self._pkt(True, "PA", self.cseq if seq is None else seq, self.sseq, data)
        if advance and seq is None:
            self.cseq += len(data)
        return p

    def s(self, data, advance=True, seq=None):
        p = self._pkt(False, "PA", self.sseq if seq is None else seq, self.cseq, data)
        if advance and seq is None:
            self.sseq += len(data)
        return p

    def ack_c(self):
        """The client acknowledges everything the server sent."""
        return self._pkt(True, "A", self.cseq, self.sseq)

    def ack_s(self):
        """The server acknowledges everything the client sent."""
        return self._pkt(False, "A", self.sseq, self.cseq)

    def close(self):
        """Client FIN, server FIN, client ACK."""
        pkts = [self._pkt(True, "FA", self.cseq, self.sseq)]
        self.cseq += 1
        pkts.append(self._pkt(False, "FA", self.sseq, self.cseq))
        self.sseq += 1
        pkts.append(self._pkt(True, "A", self.cseq, self.sseq))
        return pkts


def timed(pkts, step=0.001, start=T0):
    return [(start + i * step, raw(p)) for i, p in enumerate(pkts)]


def records(ip_packets, link=ethernet):
    return [(t, link(b), len(link(b))) for t, b in ip_packets]


REQUEST = b"GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\n\r\n"
RESPONSE = b"HTTP/1.1 101 Switching Protocols\r\n\r\n"


def simple(conv=None):
    """Handshake, a request in three segments, a response, close: the shared shape."""
    conv = conv or Conversation()
    pkts = conv.handshake()
    pkts += [conv.c(REQUEST[:10]), conv.c(REQUEST[10:30]), conv.c(REQUEST[30:]), conv.ack_s(), conv.s(RESPONSE),
             conv.ack_c()]
    pkts += conv.close()
    return pkts


def main():
    os.makedirs(OUT, exist_ok=True)

    # Link layers: the same conversation under each header.
    base = timed(simple())
    write_pcap("ethernet.pcap", LINKTYPE_ETHERNET, records(base))
    write_pcap("vlan.pcap", LINKTYPE_ETHERNET, records(base, lambda b: ethernet(b, [(0x8100, 42)])))
    write_pcap("qinq.pcap", LINKTYPE_ETHERNET, records(base, lambda b: ethernet(b, [(0x88A8, 7), (0x8100, 42)])))
    write_pcap("null_le.pcap", LINKTYPE_NULL, records(base, lambda b: null(b, "<")))
    write_pcap("null_be.pcap", LINKTYPE_NULL, records(base, lambda b: null(b, ">")))
    write_pcap("raw.pcap", LINKTYPE_RAW, records(base, lambda b: b))
    write_pcap("sll.pcap", LINKTYPE_LINUX_SLL, records(base, lambda b: sll(b, b[15] == 1)))
    write_pcap("sll2.pcap", LINKTYPE_LINUX_SLL2, records(base, lambda b: sll2(b, b[15] == 1)))
    v6 = Conversation(client=("2001:db8::1", 51000), server=("2001:db8::2", 4000), v6=True)
    write_pcap("ipv6.pcap", LINKTYPE_ETHERNET, records(timed(simple(v6))))
    v6null = Conversation(client=("::1", 51000), server=("::1", 4000), v6=True)
    write_pcap("ipv6_null.pcap", LINKTYPE_NULL, records(timed(simple(v6null)), lambda b: null(b, "<")))

    # Reordering: the request's segments arrive 1, 3, 2.
    conv = Conversation()
    hs = conv.handshake()
    a, b, c = conv.c(b"GET /sock"), conv.c(b"et/websocket"), conv.c(b"?vsn=2.0.0\r\n\r\n")
    pkts = hs + [a, c, b, conv.ack_s(), conv.s(RESPONSE)] + conv.close()
    write_pcap("reorder.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # Retransmissions: one exact copy (silent), then one with different bytes (noted; first kept).
    conv = Conversation()
    hs = conv.handshake()
    first = conv.c(b"hello ")
    second = conv.c(b"world")
    again = conv.c(b"hello ", seq=1001)
    liar = conv.c(b"HELLO ", seq=1001)
    pkts = hs + [first, second, again, liar, conv.ack_s(), conv.c(b"!")] + conv.close()
    write_pcap("retransmit.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # Overlaps: a segment that repeats the tail of the previous one and adds more, and an
    # out-of-order pair where the later one overlaps the held one.
    conv = Conversation()
    hs = conv.handshake()
    p1 = conv.c(b"0123456789", advance=False, seq=1001)
    p2 = conv.c(b"56789ABCDE", advance=False, seq=1006)
    held1 = conv.c(b"MNOPQR", advance=False, seq=1023)   # ahead of a hole at 1016..1023
    held2 = conv.c(b"PQRSTU", advance=False, seq=1026)   # overlaps held1 by "PQR"
    fill = conv.c(b"FGHIJKL", advance=False, seq=1016)   # fills the hole
    conv.cseq = 1032
    pkts = hs + [p1, p2, held1, held2, fill, conv.ack_s()] + conv.close()
    write_pcap("overlap.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # Loss: the second of three client segments was not captured; the server's ACK for all of
    # them proves the server had it, so the hole is a gap of exactly its size.
    conv = Conversation()
    hs = conv.handshake()
    s1, lost, s3 = conv.c(b"AAAA"), conv.c(b"BBBBBBB"), conv.c(b"CC")
    pkts = hs + [s1, s3, conv.ack_s(), conv.s(b"ok")] + conv.close()
    write_pcap("loss.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # Loss at the end with no ACK to prove it: the FIN's sequence number bounds the gap.
    conv = Conversation()
    hs = conv.handshake()
    s1, lost = conv.c(b"AAAA"), conv.c(b"BBBBB")
    pkts = hs + [s1] + conv.close()
    write_pcap("loss_tail.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # Snap length 80: a 100-byte payload loses its last bytes; the next segment follows on.
    conv = Conversation()
    hs = conv.handshake()
    big = conv.c(bytes(range(65, 65 + 50)) * 2)
    after = conv.c(b"next")
    pkts = timed(hs + [big, after, conv.ack_s()] + conv.close())
    snap = 80
    write_pcap("snaplen.pcap", LINKTYPE_ETHERNET,
               [(t, ethernet(b)[:snap], len(ethernet(b))) for t, b in pkts], snaplen=snap)

    # Sequence wrap-around: the client's ISN sits 5 bytes before 2^32, the server's 3 before.
    conv = Conversation(isn_c=2**32 - 6, isn_s=2**32 - 4)
    hs = conv.handshake()
    w1, w2 = conv.c(b"wrap"), conv.c(b"-around")
    w3 = conv.c(b"!!")
    pkts = hs + [w1, w3, w2, conv.ack_s(), conv.s(b"server wraps too")] + conv.close()
    write_pcap("wrap.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # Three connections interleaved packet by packet; the second from another client host.
    convs = [Conversation(client=("10.0.0.1", 51000 + i), isn_c=100 * i + 7) for i in range(3)]
    convs[1].client = ("10.0.0.9", 51001)
    scripts = []
    for i, cv in enumerate(convs):
        p = cv.handshake() + [cv.c(b"conn%d-request" % i), cv.ack_s(), cv.s(b"conn%d-response" % i)]
        p += cv.close()
        scripts.append(p)
    interleaved = [p for group in zip(*scripts) for p in group]
    write_pcap("interleaved.pcap", LINKTYPE_ETHERNET, records(timed(interleaved)))

    # Mid-connection start: no handshake; the server (port 4000) speaks first.
    conv = Conversation(client=("10.0.0.1", 51000), server=("10.0.0.2", 4000))
    pkts = [conv.s(b"tail of a frame"), conv.c(b"client bytes"), conv.s(b" and more")] + conv.close()
    write_pcap("midstream.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))
    # The same with ports where the lower one is the client's: only assumeServerPorts helps.
    conv = Conversation(client=("10.0.0.1", 3000), server=("10.0.0.2", 8443))
    pkts = [conv.c(b"client first"), conv.s(b"server reply")]
    write_pcap("midstream_ports.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # IPv4 fragments: a 1200-byte segment split in 3 fragments, delivered last-first; then a
    # datagram whose middle fragment is missing (never completed).
    conv = Conversation()
    hs = conv.handshake()
    whole = conv.c(bytes((i * 7) % 256 for i in range(1200)))
    whole[IP].id = 77
    frags = fragment(whole, fragsize=480)
    broken_seg = conv.c(b"Z" * 1000)
    broken_seg[IP].id = 78
    broken = fragment(broken_seg, fragsize=400)
    pkts = hs + [frags[2], frags[0], frags[1], broken[0], broken[2], conv.c(b"tail"), conv.ack_s()] + conv.close()
    write_pcap("ipv4_fragments.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # IPv6 fragments: the same 1200 bytes through a fragment header, in order.
    conv = Conversation(client=("2001:db8::1", 51000), server=("2001:db8::2", 4000), v6=True)
    hs = conv.handshake()
    seg = conv.c(bytes((i * 7) % 256 for i in range(1200)))
    seg = IPv6(src=seg[IPv6].src, dst=seg[IPv6].dst) / IPv6ExtHdrFragment(id=99) / seg[TCP]
    frags6 = fragment6(seg, 600)
    pkts = hs + list(frags6) + [conv.ack_s()] + conv.close()
    write_pcap("ipv6_fragments.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # A RST ends a connection with a hole still open.
    conv = Conversation()
    hs = conv.handshake()
    r1, rlost, r2 = conv.c(b"before"), conv.c(b"lost"), conv.c(b"after")
    rst = conv._pkt(False, "R", conv.sseq, 0)
    write_pcap("reset.pcap", LINKTYPE_ETHERNET, records(timed(hs + [r1, r2, rst])))

    # Port reuse: a connection that never closed, then a new SYN on the same ports.
    old = Conversation(isn_c=1000)
    new = Conversation(isn_c=90000)
    pkts = old.handshake() + [old.c(b"old connection")] + new.handshake() + [new.c(b"new connection")] + new.close()
    write_pcap("port_reuse.pcap", LINKTYPE_ETHERNET, records(timed(pkts)))

    # A link type this reader does not decode (USER0).
    write_pcap("user_link.pcap", 147, [(T0, b"\x01\x02\x03", 3)])

    # Damaged files: the ethernet case cut in the middle of its 8th record, and one whose
    # 5th record header claims a 200 MB packet.
    with open(os.path.join(OUT, "ethernet.pcap"), "rb") as f:
        good = f.read()
    offsets = []
    pos = 24
    while pos < len(good):
        offsets.append(pos)
        pos += 16 + struct.unpack_from("<I", good, pos + 8)[0]
    with open(os.path.join(OUT, "truncated.pcap"), "wb") as f:
        f.write(good[: offsets[7] + 16 + 20])
    corrupt = bytearray(good)
    struct.pack_into("<II", corrupt, offsets[4] + 8, 200_000_000, 200_000_000)
    with open(os.path.join(OUT, "corrupt.pcap"), "wb") as f:
        f.write(bytes(corrupt))
    with open(os.path.join(OUT, "not_a_capture.pcap"), "wb") as f:
        f.write(b"this is not a capture file at all\n")

    # The real basic.pcap rewritten as `tcpdump -i any` would have written it.
    real = rdpcap(os.path.join(CAPTURES, "basic.pcap"))
    ip_packets = [(float(p.time), raw(p)[14:]) for p in real]
    write_pcap("basic_sll.pcap", LINKTYPE_LINUX_SLL, [(t, sll(b, False), len(sll(b, False))) for t, b in ip_packets])
    write_pcap("basic_sll2.pcap", LINKTYPE_LINUX_SLL2, [(t, sll2(b, False), len(sll2(b, False))) for t, b in ip_packets])
    write_basic_variants(ip_packets)


def write_basic_variants(ip_packets):
    """basic.pcap as other links and networks would have carried it: the same Phoenix messages
    must come out of each (ReadCommandTests runs the binary over them)."""
    write_pcap("basic_vlan.pcap", LINKTYPE_ETHERNET, records(ip_packets, lambda b: ethernet(b, [(0x8100, 42)])))
    write_pcap("basic_null.pcap", LINKTYPE_NULL, records(ip_packets, lambda b: null(b, "<")))
    write_pcap("basic_raw.pcap", LINKTYPE_RAW, records(ip_packets, lambda b: b))

    # IPv6 between ::1 and ::1, the TCP segments unchanged.
    v6 = []
    for t, b in ip_packets:
        ip = IP(b)
        v6.append((t, raw(IPv6(src="::1", dst="::1", hlim=64) / ip[TCP])))
    write_pcap("basic_ipv6.pcap", LINKTYPE_ETHERNET, records(v6))

    # Every datagram with more than 64 bytes of TCP in IP fragments of 64 bytes, last first.
    fragmented = []
    for t, b in ip_packets:
        ip = IP(b)
        if len(ip[TCP]) > 64:
            ip.flags = 0
            pieces = fragment(ip, fragsize=64)
            fragmented += [(t, raw(f)) for f in reversed(pieces)]
        else:
            fragmented.append((t, b))
    write_pcap("basic_fragments.pcap", LINKTYPE_ETHERNET, records(fragmented))

    def piece(ip, offset, end):
        """The segment carrying bytes offset..<end of `ip`'s TCP payload, as the sender would."""
        tcp = ip[TCP]
        return raw(IP(src=ip.src, dst=ip.dst, id=ip.id) / TCP(
            sport=tcp.sport, dport=tcp.dport, seq=(tcp.seq + offset) % 2**32, ack=tcp.ack, flags=tcp.flags,
            window=tcp.window) / Raw(bytes(tcp.payload)[offset:end]))

    def each_data_segment(min_length, replace):
        """The packets, each data segment of at least `min_length` bytes replaced by what
        `replace(t, b, ip, n)` gives: (time, packet) pairs for the segment `b` of `n` bytes."""
        out = []
        for t, b in ip_packets:
            ip = IP(b)
            n = len(ip[TCP].payload)
            out += replace(t, b, ip, n) if n >= min_length else [(t, b)]
        return out

    # Every data segment cut in two, the second half sent first: its bytes wait for the hole
    # before them to be filled.
    reordered = each_data_segment(
        2, lambda t, b, ip, n: [(t, piece(ip, n // 2, n)), (t + 0.0001, piece(ip, 0, n // 2))])
    write_pcap("basic_reordered.pcap", LINKTYPE_ETHERNET, records(reordered))

    # Every data segment of 3 bytes or more sent as two pieces that overlap by a third of it:
    # the bytes they share must come out once.
    overlapping = each_data_segment(
        3, lambda t, b, ip, n: [(t, piece(ip, 0, 2 * n // 3)), (t + n // 3 * 1e-7, piece(ip, n // 3, n))])
    write_pcap("basic_overlap.pcap", LINKTYPE_ETHERNET, records(overlapping))

    # The server's third data segment lost: a gap of its size, then frames again from the next.
    server_data = [k for k, (t, b) in enumerate(ip_packets) if IP(b)[TCP].sport == IP(ip_packets[0][1])[TCP].dport
                   and len(IP(b)[TCP].payload) > 0]
    lost = server_data[2]
    write_pcap("basic_loss.pcap", LINKTYPE_ETHERNET, records([p for k, p in enumerate(ip_packets) if k != lost]))

    # Every data segment sent twice (exact retransmissions, which change nothing).
    doubled = each_data_segment(1, lambda t, b, ip, n: [(t, b), (t + 0.0002, b)])
    write_pcap("basic_retransmitted.pcap", LINKTYPE_ETHERNET, records(doubled))


if __name__ == "__main__":
    main()
