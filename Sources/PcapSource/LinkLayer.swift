/// The link-layer header types this reader decodes, as libpcap's `pcap_datalink` reports them
/// (DLT values, which differ from the LINKTYPE values in the file for raw IP on some systems).
public enum LinkLayer {
    /// BSD loopback: a 4-byte address family in the byte order of the machine that captured.
    public static let null: Int32 = 0
    /// Ethernet II, possibly with 802.1Q / 802.1ad VLAN tags.
    public static let ethernet: Int32 = 1
    /// Raw IP (DLT_RAW on most systems).
    public static let raw: Int32 = 12
    /// Raw IP (DLT_RAW on OpenBSD).
    public static let rawOpenBSD: Int32 = 14
    /// Raw IP as LINKTYPE_RAW, when libpcap passes the file's value through.
    public static let linktypeRaw: Int32 = 101
    /// OpenBSD loopback: like NULL, but the family is always big-endian.
    public static let loop: Int32 = 108
    /// Linux cooked capture v1 (`tcpdump -i any` before libpcap 1.10).
    public static let linuxSLL: Int32 = 113
    /// Raw IPv4.
    public static let ipv4: Int32 = 228
    /// Raw IPv6.
    public static let ipv6: Int32 = 229
    /// Linux cooked capture v2 (`tcpdump -i any` since libpcap 1.10).
    public static let linuxSLL2: Int32 = 276

    /// Whether packets of this link type can be decoded.
    public static func isSupported(_ linkType: Int32) -> Bool {
        switch linkType {
        case null, ethernet, raw, rawOpenBSD, linktypeRaw, loop, linuxSLL, ipv4, ipv6, linuxSLL2: return true
        default: return false
        }
    }

    /// The offset of the IP header in a packet, or nil when the packet carries no IP (ARP,
    /// LLDP, an unknown family) or is too short to say.
    ///
    /// ```
    /// Ethernet   | dst 6 | src 6 | [0x8100 tag 2]* | ethertype 2 | IP ...
    /// SLL (v1)   | packet type 2 | ARPHRD 2 | addr len 2 | addr 8 | protocol 2 | IP ...
    /// SLL2       | protocol 2 | reserved 2 | ifindex 4 | ARPHRD 2 | type 1 | addr len 1 | addr 8 | IP ...
    /// NULL/LOOP  | family 4 (host order / big-endian) | IP ...
    /// raw        | IP ...
    /// ```
    public static func ipOffset(linkType: Int32, packet p: UnsafeRawBufferPointer) -> Int? {
        switch linkType {
        case ethernet:
            var offset = 12
            while offset + 2 <= p.count {
                let type = be16(p, offset)
                switch type {
                case 0x8100, 0x88A8, 0x9100:  // 802.1Q, 802.1ad and the old QinQ tag: 4 bytes each
                    offset += 4
                case 0x0800, 0x86DD:
                    return offset + 2
                default:
                    return nil
                }
            }
            return nil
        case linuxSLL:
            guard p.count >= 16 else { return nil }
            return isIPEtherType(be16(p, 14)) ? 16 : nil
        case linuxSLL2:
            guard p.count >= 20 else { return nil }
            return isIPEtherType(be16(p, 0)) ? 20 : nil
        case null, loop:
            guard p.count >= 4 else { return nil }
            let big = UInt32(p[0]) << 24 | UInt32(p[1]) << 16 | UInt32(p[2]) << 8 | UInt32(p[3])
            // NULL is in the capturing host's byte order, which the file does not record; the
            // known family values are small, so whichever reading is small is the right one.
            let family = linkType == loop || big < 256 ? big : big.byteSwapped
            // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, and swift-nio-extras'
            // writer), 28 (FreeBSD), 30 (Darwin) or 10 (Linux).
            switch family {
            case 2, 10, 24, 28, 30: return 4
            default: return nil
            }
        case raw, rawOpenBSD, linktypeRaw, ipv4, ipv6:
            return 0
        default:
            return nil
        }
    }

    @inline(__always)
    private static func isIPEtherType(_ type: UInt16) -> Bool { type == 0x0800 || type == 0x86DD }
}

/// A big-endian 16-bit field; the caller has checked the bounds.
@inline(__always)
func be16(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
    UInt16(p[offset]) << 8 | UInt16(p[offset + 1])
}

/// A big-endian 32-bit field; the caller has checked the bounds.
@inline(__always)
func be32(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(p[offset]) << 24 | UInt32(p[offset + 1]) << 16 | UInt32(p[offset + 2]) << 8 | UInt32(p[offset + 3])
}

/// A big-endian 64-bit field; the caller has checked the bounds.
@inline(__always)
func be64(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
    UInt64(be32(p, offset)) << 32 | UInt64(be32(p, offset + 4))
}
