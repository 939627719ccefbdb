import PcapSource
import TapPipeline
import TestSupport
import Testing

/// Link, IP and TCP headers, good and malformed, as literal hex.
@Suite struct HeaderParsingTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }
        return stride(from: 0, to: digits.count, by: 2).map {
            let start = digits.index(digits.startIndex, offsetBy: $0)
            return UInt8(digits[start..<digits.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    static func ipOffset(_ linkType: Int32, _ hex: String) -> Int? {
        bytes(hex).withUnsafeBytes { LinkLayer.ipOffset(linkType: linkType, packet: $0) }
    }

    @Test func linkLayers() {
        let macs = "020000000002 020000000001"
        #expect(Self.ipOffset(LinkLayer.ethernet, macs + "0800 45") == 14)
        #expect(Self.ipOffset(LinkLayer.ethernet, macs + "8100 002a 86dd 60") == 18)
        #expect(Self.ipOffset(LinkLayer.ethernet, macs + "88a8 0007 8100 002a 0800 45") == 22)
        // ARP is not IP.
        #expect(Self.ipOffset(LinkLayer.ethernet, macs + "0806 0001") == nil)
        // Cut inside the ethertype.
        #expect(Self.ipOffset(LinkLayer.ethernet, macs + "08") == nil)
        // A VLAN tag with nothing after it.
        #expect(Self.ipOffset(LinkLayer.ethernet, macs + "8100 002a") == nil)
        // NULL: AF_INET little-endian, AF_INET6 (24) big-endian, Linux AF_INET6 (10), unknown 23.
        #expect(Self.ipOffset(LinkLayer.null, "02000000 45") == 4)
        #expect(Self.ipOffset(LinkLayer.null, "00000018 60") == 4)
        #expect(Self.ipOffset(LinkLayer.null, "0a000000 60") == 4)
        #expect(Self.ipOffset(LinkLayer.null, "17000000 45") == nil)
        // LOOP is always big-endian, so little-endian AF_INET is unknown there.
        #expect(Self.ipOffset(LinkLayer.loop, "00000002 45") == 4)
        #expect(Self.ipOffset(LinkLayer.loop, "02000000 45") == nil)
        // SLL v1: protocol at 14; SLL2: protocol first.
        #expect(Self.ipOffset(LinkLayer.linuxSLL, "0000 0304 0006 0000000000000000 0800 45") == 16)
        #expect(Self.ipOffset(LinkLayer.linuxSLL2, "86dd 0000 00000001 0304 00 06 0000000000000000 60") == 20)
        // SLL2 cut short, and carrying ARP.
        #expect(Self.ipOffset(LinkLayer.linuxSLL2, "0800 0000 00000001") == nil)
        #expect(Self.ipOffset(LinkLayer.linuxSLL2, "0806 0000 00000001 0304 00 06 0000000000000000") == nil)
        #expect(Self.ipOffset(LinkLayer.raw, "45") == 0)
        #expect(Self.ipOffset(147, "45") == nil)  // a user DLT
        #expect(!LinkLayer.isSupported(147))
    }

    static func ip(_ hex: String, originalLength: Int? = nil) -> IPHeader? {
        let b = bytes(hex)
        return b.withUnsafeBytes { IPHeader.parse($0, at: 0, originalLength: originalLength ?? b.count) }
    }

    @Test func ipv4() {
        // 20-byte header, total length 40, id 0x1234, DF, TCP, 10.0.0.1 -> 10.0.0.2.
        let good = Self.ip("4500 0028 1234 4000 4006 0000 0a000001 0a000002" + String(repeating: "00", count: 20))
        #expect(good == IPHeader(
            source: IPAddress(ipv4: 0x0A00_0001), destination: IPAddress(ipv4: 0x0A00_0002), proto: 6,
            payloadOffset: 20, payloadLength: 20, fragment: nil))
        // IHL 4: a header shorter than its fixed part.
        #expect(Self.ip("4400 0028 1234 4000 4006 0000 0a000001 0a000002") == nil)
        // Total length 16, less than the header.
        #expect(Self.ip("4500 0010 1234 4000 4006 0000 0a000001 0a000002") == nil)
        // Cut inside the addresses.
        #expect(Self.ip("4500 0028 1234 4000 4006 0000 0a00") == nil)
        // Version 5.
        #expect(Self.ip("5500 0028 1234 4000 4006 0000 0a000001 0a000002") == nil)
        // A middle fragment: MF set, offset 60 (x8 = 480).
        let fragment = Self.ip("4500 0028 004d 203c 4006 0000 0a000001 0a000002")
        #expect(fragment?.fragment == IPHeader.Fragment(id: 0x4D, offset: 480, more: true))
        // Total length 0 (TSO): the wire length stands in.
        #expect(Self.ip("4500 0000 1234 4000 4006 0000 0a000001 0a000002", originalLength: 9000)?.payloadLength == 8980)
    }

    @Test func ipv6() {
        let addresses = "20010db8000000000000000000000001 20010db8000000000000000000000002"
        // Payload 20, next header TCP.
        let plain = Self.ip("6000 0000 0014 06 40" + addresses)
        #expect(plain?.proto == 6)
        #expect(plain?.payloadOffset == 40)
        #expect(plain?.source.description == "2001:db8::1")
        // A hop-by-hop header (8 bytes) before TCP.
        let hop = Self.ip("6000 0000 001c 00 40" + addresses + "06 00 0000 00000000")
        #expect(hop?.proto == 6)
        #expect(hop?.payloadOffset == 48)
        #expect(hop?.payloadLength == 20)
        // A fragment header: offset 69 (x8 = 552), M set, id 0x63.
        let fragment = Self.ip("6000 0000 0010 2c 40" + addresses + "06 00 0229 00000063")
        #expect(fragment?.fragment == IPHeader.Fragment(id: 0x63, offset: 552, more: true))
        #expect(fragment?.payloadOffset == 48)
        // An extension header whose length runs past the packet.
        #expect(Self.ip("6000 0000 0010 00 40" + addresses + "06 05 0000") == nil)
    }

    @Test func tcp() {
        func parse(_ hex: String, length: Int? = nil) -> TCPHeader? {
            let b = Self.bytes(hex)
            return b.withUnsafeBytes { TCPHeader.parse($0, at: 0, segmentLength: length ?? b.count) }
        }
        // Ports 51000 -> 4000, seq 1, ack 2, data offset 5, PSH|ACK, then 3 payload bytes.
        let good = parse("c738 0fa0 00000001 00000002 5018 ffff 0000 0000 616263")
        #expect(good?.sourcePort == 51000)
        #expect(good?.destinationPort == 4000)
        #expect(good?.capturedPayloadLength == 3)
        #expect(good?.ack == true && good?.fin == false)
        // Data offset 4: shorter than the fixed header.
        #expect(parse("c738 0fa0 00000001 00000002 4018 ffff 0000 0000") == nil)
        // Data offset 15 (60 bytes) in a 23-byte segment.
        #expect(parse("c738 0fa0 00000001 00000002 f018 ffff 0000 0000 616263") == nil)
        // The snap length kept 2 of 10 payload bytes.
        #expect(parse("c738 0fa0 00000001 00000002 5018 ffff 0000 0000 6162", length: 30)?.capturedPayloadLength == 2)
        // Cut inside the fixed header.
        #expect(parse("c738 0fa0 00000001") == nil)
    }

    @Test func ipv6AddressText() {
        func text(_ high: UInt64, _ low: UInt64) -> String { IPAddress(ipv6High: high, low: low).description }
        #expect(text(0, 1) == "::1")
        #expect(text(0, 0) == "::")
        #expect(text(0x0001_0000_0000_0000, 0) == "1::")
        #expect(text(0x2001_0DB8_0000_0001, 0x0001_0001_0001_0001) == "2001:db8:0:1:1:1:1:1")  // one zero group stays
        #expect(text(0x2001_0000_0000_0001, 0x0000_0000_0000_0001) == "2001:0:0:1::1")  // the longer run wins
        #expect(IPAddress(ipv4: 0x7F00_0001).description == "127.0.0.1")
    }

    @Test func garbageNeverCrashesTheDecoder() {
        var rng = SplitMix64(seed: 7)
        var decoder = CaptureDecoder()
        var events: [ConnectionEvent] = []
        let linkTypes: [Int32] = [0, 1, 12, 101, 108, 113, 228, 229, 276, 147]
        // Random packets, and random mutations of a valid TCP packet so the deeper layers are reached.
        let valid = Self.bytes("4500 002b 0001 0000 4006 0000 0a000001 0a000002 c738 0fa0 00000001 00000002 5018 ffff 0000 0000 616263")
        for i in 0..<20_000 {
            var packet: [UInt8]
            if i % 2 == 0 {
                packet = (0..<Int.random(in: 0..<80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                packet = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    packet[Int.random(in: 0..<packet.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                packet = Array(packet.prefix(Int.random(in: 0...packet.count, using: &rng)))
            }
            let linkType = i % 2 == 0 ? linkTypes[i % linkTypes.count] : LinkLayer.raw
            packet.withUnsafeBytes {
                decoder.packet(linkType: linkType, time: Double(i), data: $0, originalLength: Int.random(in: 0...2000, using: &rng), into: &events)
            }
        }
        decoder.finish(time: 20_000, into: &events)
        var log = EventLog()
        for event in events { log.add(event) }
        #expect(log.problems == [])
        #expect(decoder.openConnections == 0)
        #expect(decoder.statistics.packets == 20_000)
    }
}
