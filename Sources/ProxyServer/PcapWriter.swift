public import TapPipeline
import PhoenixProtocol

/// Builds a classic pcap capture of relayed traffic as synthetic Ethernet/IP/TCP packets, so
/// that `phxtap read`, Wireshark and tshark see the proxied conversation as if they had sniffed
/// it: a three-way handshake, the bytes of each direction with consistent sequence and
/// acknowledgement numbers, and the FIN or RST that ended it.
///
/// The writer is pure: it is fed ``ConnectionEvent`` values and returns bytes; the caller owns
/// the file. It keeps only per-connection sequence state, never the bytes themselves.
///
/// ```
///  pcap file   = global header (24 bytes) , record*
///  record      = record header (16 bytes) , Ethernet (14) , IPv4 (20) | IPv6 (40) , TCP (20) , payload
/// ```
public struct PcapWriter: Sendable {
    /// Largest TCP payload per synthetic packet. An IPv4 total length is 16 bits, so a packet
    /// must stay under 65,535 bytes with its headers; smaller segments also keep tools happy.
    public static let maximumSegment = 65_000

    /// The snap length written in the global header: every record is written whole.
    public static let snapLength: UInt32 = 262_144

    private struct Flow: Sendable {
        var client: Endpoint
        var server: Endpoint
        /// The hosts as addresses, parsed once for every packet of the connection.
        var clientIP: IPAddressBytes
        var serverIP: IPAddressBytes
        /// Next sequence number each side will send.
        var clientSeq: UInt32
        var serverSeq: UInt32
        var clientFinished = false
        var serverFinished = false
    }

    private var flows: [Int: Flow] = [:]

    /// Creates a writer with no connections.
    public init() {}

    /// The 24-byte pcap global header; write it once at the start of the file.
    ///
    /// ```
    /// struct pcap_file_header {
    ///     uint32 magic;          // 0xa1b2c3d4 (microsecond timestamps), written little-endian
    ///     uint16 version_major;  // 2
    ///     uint16 version_minor;  // 4
    ///     int32  thiszone;       // 0: timestamps are UTC
    ///     uint32 sigfigs;        // 0
    ///     uint32 snaplen;        // largest record kept
    ///     uint32 linktype;       // 1 = LINKTYPE_ETHERNET
    /// };
    /// ```
    public static func fileHeader() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        out.appendLE(UInt32(0xa1b2_c3d4))
        out.appendLE(UInt16(2))
        out.appendLE(UInt16(4))
        out.appendLE(UInt32(0))
        out.appendLE(UInt32(0))
        out.appendLE(snapLength)
        out.appendLE(UInt32(1))
        return out
    }

    /// The pcap records for one event (possibly none). Events for a connection that was never
    /// opened are ignored, since the writer cannot invent its addresses.
    public mutating func records(for event: ConnectionEvent) -> [UInt8] {
        var out: [UInt8] = []
        switch event {
        case .opened(let conn, let time, let client, let server):
            // Initial sequence numbers are derived from the connection number so that two
            // runs over the same events give byte-identical captures.
            let isn = UInt32(truncatingIfNeeded: conn &* 7_919) &* 1_000
            var flow = Flow(
                client: client, server: server, clientIP: IPAddressBytes(client.host), serverIP: IPAddressBytes(server.host),
                clientSeq: isn, serverSeq: isn &+ 500_000)
            packet(&out, flow: flow, from: .client, time: time, flags: .syn, seq: flow.clientSeq, ack: 0, payload: [])
            packet(
                &out, flow: flow, from: .server, time: time, flags: [.syn, .ack], seq: flow.serverSeq,
                ack: flow.clientSeq &+ 1, payload: [])
            flow.clientSeq &+= 1
            flow.serverSeq &+= 1
            packet(&out, flow: flow, from: .client, time: time, flags: .ack, seq: flow.clientSeq, ack: flow.serverSeq, payload: [])
            flows[conn] = flow
        case .bytes(let conn, let from, let time, let bytes):
            guard var flow = flows[conn] else { return [] }
            var start = 0
            while start < bytes.count {
                let end = min(start + Self.maximumSegment, bytes.count)
                let (seq, ack) = from == .client ? (flow.clientSeq, flow.serverSeq) : (flow.serverSeq, flow.clientSeq)
                packet(&out, flow: flow, from: from, time: time, flags: [.psh, .ack], seq: seq, ack: ack, payload: bytes[start..<end])
                let advance = UInt32(end - start)
                if from == .client { flow.clientSeq &+= advance } else { flow.serverSeq &+= advance }
                start = end
            }
            flows[conn] = flow
        case .gap(let conn, let from, _, let missing):
            // Skipping sequence space makes Wireshark report "previous segment not captured",
            // which is what happened: the bytes were relayed but not recorded.
            guard var flow = flows[conn] else { return [] }
            let skip = UInt32(truncatingIfNeeded: max(missing ?? 1, 1))
            if from == .client { flow.clientSeq &+= skip } else { flow.serverSeq &+= skip }
            flows[conn] = flow
        case .sourceNote:
            break
        case .closed(let conn, let time, let how):
            guard let flow = flows[conn] else { return [] }
            switch how {
            case .reset(let from):
                let seq = from == .client ? flow.clientSeq : flow.serverSeq
                packet(&out, flow: flow, from: from, time: time, flags: [.rst, .ack], seq: seq, ack: 0, payload: [])
            case .fin(let from):
                finish(&out, flow: flow, first: from, time: time)
            case .endOfInput, .failed:
                // Nothing went over the wire for these; the capture simply ends the stream
                // with an orderly close so readers do not wait for more.
                finish(&out, flow: flow, first: .client, time: time)
            }
            flows[conn] = nil
        }
        return out
    }

    private func finish(_ out: inout [UInt8], flow: Flow, first: Direction, time: Double) {
        let second = first.opposite
        for side in [first, second] {
            let (seq, ack) = side == .client ? (flow.clientSeq, flow.serverSeq) : (flow.serverSeq, flow.clientSeq)
            // The second FIN acknowledges the first one, which consumed one sequence number.
            let finAck = side == second ? ack &+ 1 : ack
            packet(&out, flow: flow, from: side, time: time, flags: [.fin, .ack], seq: seq, ack: finAck, payload: [])
        }
        let (seq, ack) = first == .client ? (flow.clientSeq, flow.serverSeq) : (flow.serverSeq, flow.clientSeq)
        packet(&out, flow: flow, from: first, time: time, flags: .ack, seq: seq &+ 1, ack: ack &+ 1, payload: [])
    }

    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let fin = Flags(rawValue: 0x01)
        static let syn = Flags(rawValue: 0x02)
        static let rst = Flags(rawValue: 0x04)
        static let psh = Flags(rawValue: 0x08)
        static let ack = Flags(rawValue: 0x10)
    }

    private func packet(
        _ out: inout [UInt8], flow: Flow, from: Direction, time: Double, flags: Flags, seq: UInt32, ack: UInt32,
        payload: ArraySlice<UInt8>
    ) {
        let (src, dst) = from == .client ? (flow.client, flow.server) : (flow.server, flow.client)
        let (srcIP, dstIP) = from == .client ? (flow.clientIP, flow.serverIP) : (flow.serverIP, flow.clientIP)
        // A mixed v4/v6 pair cannot be one packet; both sides then fall back to IPv6 mapping.
        let v6 = srcIP.isV6 || dstIP.isV6
        let tcp = tcpSegment(
            src: src, dst: dst, srcIP: srcIP.bytes(v6: v6), dstIP: dstIP.bytes(v6: v6), flags: flags, seq: seq,
            ack: ack, payload: payload)
        let ipHeaderLength = v6 ? 40 : 20
        let frameLength = 14 + ipHeaderLength + tcp.count

        // struct pcap_sf_pkthdr { uint32 ts_sec; uint32 ts_usec; uint32 caplen; uint32 len; };
        // Rounded, not truncated: 0.000587 * 1e6 is 586.99999... in binary floating point.
        let micros = Int64((time * 1_000_000).rounded())
        out.appendLE(UInt32(clamping: micros / 1_000_000))
        out.appendLE(UInt32(clamping: micros % 1_000_000))
        out.appendLE(UInt32(frameLength))
        out.appendLE(UInt32(frameLength))

        // Ethernet II: dst MAC, src MAC (locally administered, one per side), ethertype.
        let clientMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
        let serverMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]
        out += from == .client ? serverMAC : clientMAC
        out += from == .client ? clientMAC : serverMAC
        out.appendBE(UInt16(v6 ? 0x86dd : 0x0800))

        if v6 {
            // version 6, traffic class 0, flow label 0 | payload length | next header 6 (TCP) | hop limit 64
            out.appendBE(UInt32(0x6000_0000))
            out.appendBE(UInt16(tcp.count))
            out.append(6)
            out.append(64)
            out += srcIP.bytes(v6: true)
            out += dstIP.bytes(v6: true)
        } else {
            var ip: [UInt8] = []
            ip.reserveCapacity(20)
            ip.append(0x45)  // version 4, header length 5 words
            ip.append(0)  // DSCP/ECN
            ip.appendBE(UInt16(20 + tcp.count))  // total length
            ip.appendBE(UInt16(0))  // identification
            ip.appendBE(UInt16(0x4000))  // flags: don't fragment
            ip.append(64)  // TTL
            ip.append(6)  // protocol TCP
            ip.appendBE(UInt16(0))  // checksum, filled below
            ip += srcIP.bytes(v6: false)
            ip += dstIP.bytes(v6: false)
            let sum = internetChecksum(ip[...], initial: 0)
            ip[10] = UInt8(sum >> 8)
            ip[11] = UInt8(sum & 0xff)
            out += ip
        }
        out += tcp
    }

    /// A TCP header and payload with a correct checksum over the pseudo-header.
    ///
    /// ```
    ///  0      2      4          8          12     13     14     16     18     20
    ///  +------+------+----------+----------+------+------+------+------+------+
    ///  | sport| dport|   seq    |   ack    | off  |flags | win  | csum | urg  | payload...
    ///  +------+------+----------+----------+------+------+------+------+------+
    /// ```
    private func tcpSegment(
        src: Endpoint, dst: Endpoint, srcIP: [UInt8], dstIP: [UInt8], flags: Flags, seq: UInt32, ack: UInt32,
        payload: ArraySlice<UInt8>
    ) -> [UInt8] {
        var tcp: [UInt8] = []
        tcp.reserveCapacity(20 + payload.count)
        tcp.appendBE(UInt16(truncatingIfNeeded: src.port))
        tcp.appendBE(UInt16(truncatingIfNeeded: dst.port))
        tcp.appendBE(seq)
        tcp.appendBE(flags.contains(.ack) ? ack : 0)
        tcp.append(0x50)  // data offset 5 words, no options
        tcp.append(flags.rawValue)
        tcp.appendBE(UInt16(65_535))  // window
        tcp.appendBE(UInt16(0))  // checksum, filled below
        tcp.appendBE(UInt16(0))  // urgent pointer
        tcp += payload

        // Pseudo-header: source, destination, zero, protocol, TCP length.
        var pseudo: UInt32 = 0
        for address in [srcIP, dstIP] {
            var i = 0
            while i < address.count {
                pseudo &+= UInt32(address[i]) << 8 | UInt32(address[i + 1])
                i += 2
            }
        }
        pseudo &+= 6
        pseudo &+= UInt32(tcp.count & 0xffff) &+ UInt32(tcp.count >> 16)
        let sum = internetChecksum(tcp[...], initial: pseudo)
        tcp[16] = UInt8(sum >> 8)
        tcp[17] = UInt8(sum & 0xff)
        return tcp
    }
}

/// RFC 1071 ones' complement sum of 16-bit words, folded and inverted.
func internetChecksum(_ bytes: ArraySlice<UInt8>, initial: UInt32) -> UInt16 {
    var sum = UInt64(initial)
    var i = bytes.startIndex
    let end = bytes.endIndex
    while i + 1 < end {
        sum &+= UInt64(bytes[i]) << 8 | UInt64(bytes[i + 1])
        i += 2
    }
    if i < end { sum &+= UInt64(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
    return ~UInt16(truncatingIfNeeded: sum)
}

/// An endpoint host parsed as an IP address. A host that is not a literal address (it should
/// not happen: the proxy records resolved addresses) is written as 0.0.0.0 rather than dropped.
struct IPAddressBytes: Sendable {
    var v4: [UInt8]?
    var v6: [UInt8]?

    var isV6: Bool { v6 != nil }

    init(_ host: String) {
        if let four = Self.parseV4(host) {
            v4 = four
        } else if let six = Self.parseV6(host) {
            v6 = six
        } else {
            v4 = [0, 0, 0, 0]
        }
    }

    func bytes(v6 wantV6: Bool) -> [UInt8] {
        if !wantV6 { return v4 ?? [0, 0, 0, 0] }
        if let v6 { return v6 }
        // IPv4-mapped IPv6 (::ffff:a.b.c.d).
        return [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + (v4 ?? [0, 0, 0, 0])
    }

    static func parseV4(_ s: String) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, let v = UInt8(part) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseV6(_ raw: String) -> [UInt8]? {
        // Drop a zone index ("fe80::1%lo0"); it is not part of the address on the wire.
        let s = raw.split(separator: "%", maxSplits: 1).first.map(String.init) ?? raw
        guard s.contains(":") else { return nil }
        let halves = s.splitAtDoubleColon()
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let four = parseV4(String(piece)) {
                    out.append(UInt16(four[0]) << 8 | UInt16(four[1]))
                    out.append(UInt16(four[2]) << 8 | UInt16(four[3]))
                } else {
                    guard !piece.isEmpty, piece.count <= 4, let g = UInt16(piece, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

extension String {
    /// Splits at the first "::" only (a second one makes the address invalid).
    fileprivate func splitAtDoubleColon() -> [Substring] {
        guard let range = self.firstRange(of: "::") else { return [self[...]] }
        let rest = self[range.upperBound...]
        if rest.firstRange(of: "::") != nil { return [self[..<range.lowerBound], rest, rest] }
        return [self[..<range.lowerBound], rest]
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
