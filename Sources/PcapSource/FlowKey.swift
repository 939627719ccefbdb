/// The key of a TCP connection: both endpoints, ordered so that the two directions of one
/// connection give the same key. Two integers per address keep hashing allocation-free.
public struct FlowKey: Sendable, Hashable {
    /// The lower endpoint's address.
    public var lowAddress: IPAddress
    /// The higher endpoint's address.
    public var highAddress: IPAddress
    /// The lower endpoint's port.
    public var lowPort: UInt16
    /// The higher endpoint's port.
    public var highPort: UInt16

    /// Folds the fields into one word before hashing: a lookup per packet is the hot path, and
    /// one `combine` costs a third of combining seven fields.
    public func hash(into hasher: inout Hasher) {
        let low = lowAddress.low &* 0x9E37_79B9_7F4A_7C15 ^ lowAddress.high
        let high = highAddress.low &* 0xC2B2_AE3D_27D4_EB4F ^ highAddress.high
        let ports = UInt64(lowPort) << 32 | UInt64(highPort) | (lowAddress.isIPv6 ? 1 << 63 : 0)
        hasher.combine(low ^ (high >> 1 | high << 63) ^ ports)
    }

    /// The key of the connection a packet from `source` to `destination` belongs to, and
    /// whether the packet came from the lower endpoint.
    public static func of(
        source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16
    ) -> (key: FlowKey, fromLow: Bool) {
        let fromLow = source < destination || (source == destination && sourcePort <= destinationPort)
        return fromLow
            ? (FlowKey(lowAddress: source, highAddress: destination, lowPort: sourcePort, highPort: destinationPort), true)
            : (FlowKey(lowAddress: destination, highAddress: source, lowPort: destinationPort, highPort: sourcePort), false)
    }
}
