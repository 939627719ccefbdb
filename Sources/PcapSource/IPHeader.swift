/// The parts of an IPv4 or IPv6 header that TCP reassembly needs.
public struct IPHeader: Sendable, Hashable {
    /// Where a fragment belongs in its datagram.
    public struct Fragment: Sendable, Hashable {
        /// The datagram identification (16 bits for IPv4, 32 for IPv6).
        public var id: UInt32
        /// The fragment's offset in the datagram's payload, in bytes.
        public var offset: Int
        /// Whether more fragments follow (the MF / M flag).
        public var more: Bool

        /// A fragment position.
        public init(id: UInt32, offset: Int, more: Bool) {
            self.id = id
            self.offset = offset
            self.more = more
        }
    }

    /// Source address.
    public var source: IPAddress
    /// Destination address.
    public var destination: IPAddress
    /// The upper-layer protocol (6 for TCP), after IPv6 extension headers.
    public var proto: UInt8
    /// Offset of the upper-layer payload in the packet.
    public var payloadOffset: Int
    /// Payload length as the header declares it; the captured part may be shorter.
    public var payloadLength: Int
    /// Set when the datagram is a fragment (offset above 0 or more fragments to come).
    public var fragment: Fragment?

    /// A header with these fields (parsing is `parse(_:at:originalLength:)`).
    public init(
        source: IPAddress, destination: IPAddress, proto: UInt8, payloadOffset: Int, payloadLength: Int,
        fragment: Fragment?
    ) {
        self.source = source
        self.destination = destination
        self.proto = proto
        self.payloadOffset = payloadOffset
        self.payloadLength = payloadLength
        self.fragment = fragment
    }

    /// Parses the IP header at `offset`. `originalLength` is the packet's length on the wire,
    /// used when the header's length field is 0 (TSO/GSO super-packets, IPv6 jumbograms).
    /// Returns nil when the header is malformed or cut short.
    ///
    /// ```
    /// IPv4 | ver 4b ihl 4b | tos | total length 2 | id 2 | flags 3b fragment offset 13b |
    ///      | ttl | protocol | checksum 2 | source 4 | destination 4 | options (ihl*4-20) |
    /// IPv6 | ver 4b class 8b flow 20b | payload length 2 | next header | hop limit |
    ///      | source 16 | destination 16 | extension headers ... |
    /// ```
    public static func parse(_ p: UnsafeRawBufferPointer, at offset: Int, originalLength: Int) -> IPHeader? {
        guard offset < p.count else { return nil }
        switch p[offset] >> 4 {
        case 4: return parseIPv4(p, at: offset, originalLength: originalLength)
        case 6: return parseIPv6(p, at: offset, originalLength: originalLength)
        default: return nil
        }
    }

    private static func parseIPv4(_ p: UnsafeRawBufferPointer, at o: Int, originalLength: Int) -> IPHeader? {
        guard p.count - o >= 20 else { return nil }
        let headerLength = Int(p[o] & 0x0F) * 4
        guard headerLength >= 20, p.count - o >= headerLength else { return nil }
        var total = Int(be16(p, o + 2))
        if total == 0 { total = originalLength - o }  // TSO: the length field was left 0
        guard total >= headerLength else { return nil }
        let flags = be16(p, o + 6)
        let more = flags & 0x2000 != 0
        let fragmentOffset = Int(flags & 0x1FFF) * 8
        return IPHeader(
            source: IPAddress(ipv4: be32(p, o + 12)),
            destination: IPAddress(ipv4: be32(p, o + 16)),
            proto: p[o + 9],
            payloadOffset: o + headerLength,
            payloadLength: total - headerLength,
            fragment: more || fragmentOffset > 0
                ? Fragment(id: UInt32(be16(p, o + 4)), offset: fragmentOffset, more: more) : nil
        )
    }

    private static func parseIPv6(_ p: UnsafeRawBufferPointer, at o: Int, originalLength: Int) -> IPHeader? {
        guard p.count - o >= 40 else { return nil }
        var payloadLength = Int(be16(p, o + 4))
        if payloadLength == 0 { payloadLength = originalLength - o - 40 }  // jumbogram or GSO
        var next = p[o + 6]
        var cursor = o + 40
        var fragment: Fragment?
        // Walk the extension headers; each one shortens the upper-layer payload.
        while true {
            let extensionLength: Int
            switch next {
            case 0, 43, 60:  // hop-by-hop, routing, destination options: (len+1)*8 bytes
                guard p.count - cursor >= 2 else { return nil }
                extensionLength = (Int(p[cursor + 1]) + 1) * 8
            case 44:  // fragment: 8 bytes
                guard p.count - cursor >= 8 else { return nil }
                extensionLength = 8
                let field = be16(p, cursor + 2)
                let offset = Int(field & 0xFFF8)
                let more = field & 1 != 0
                if more || offset > 0 { fragment = Fragment(id: be32(p, cursor + 4), offset: offset, more: more) }
            case 51:  // authentication header: (len+2)*4 bytes
                guard p.count - cursor >= 2 else { return nil }
                extensionLength = (Int(p[cursor + 1]) + 2) * 4
            default:
                return IPHeader(
                    source: IPAddress(ipv6High: be64(p, o + 8), low: be64(p, o + 16)),
                    destination: IPAddress(ipv6High: be64(p, o + 24), low: be64(p, o + 32)),
                    proto: next,
                    payloadOffset: cursor,
                    payloadLength: payloadLength - (cursor - o - 40),
                    fragment: fragment
                )
            }
            guard p.count - cursor >= extensionLength, payloadLength - (cursor - o - 40) >= extensionLength else {
                return nil
            }
            next = p[cursor]
            cursor += extensionLength
            // The fragment offsets count from just after the fragment header, so reassembly
            // starts there; headers past it are read from the reassembled datagram.
            if fragment != nil {
                return IPHeader(
                    source: IPAddress(ipv6High: be64(p, o + 8), low: be64(p, o + 16)),
                    destination: IPAddress(ipv6High: be64(p, o + 24), low: be64(p, o + 32)),
                    proto: next, payloadOffset: cursor, payloadLength: payloadLength - (cursor - o - 40),
                    fragment: fragment)
            }
        }
    }
}
