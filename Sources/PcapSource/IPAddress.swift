/// An IPv4 or IPv6 address held in two integers, so that flow keys hash and compare without
/// allocating. IPv4 addresses live in the low 32 bits of `low`.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first 8 bytes of an IPv6 address, big-endian; 0 for IPv4.
    public var high: UInt64
    /// The last 8 bytes of an IPv6 address, or the IPv4 address in the low 32 bits.
    public var low: UInt64
    /// Whether this is an IPv6 address.
    public var isIPv6: Bool

    /// An IPv4 address from its 32-bit big-endian value.
    public init(ipv4: UInt32) {
        self.high = 0
        self.low = UInt64(ipv4)
        self.isIPv6 = false
    }

    /// An IPv6 address from its two big-endian halves.
    public init(ipv6High: UInt64, low: UInt64) {
        self.high = ipv6High
        self.low = low
        self.isIPv6 = true
    }

    /// An arbitrary but fixed order (IPv4 before IPv6, then by value), to order flow keys.
    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv6 != b.isIPv6 { return !a.isIPv6 }
        return a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// Dotted quad for IPv4; RFC 5952 text for IPv6 (lower case, longest zero run as `::`).
    public var description: String {
        if !isIPv6 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            groups[i] = UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64(i)))
            groups[i + 4] = UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64(i)))
        }
        // RFC 5952 4.2: compress the longest run of two or more zero groups, the first if tied.
        var bestStart = -1, bestLength = 1, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}
