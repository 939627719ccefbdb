/// Puts fragmented IPv4 and IPv6 datagrams back together (RFC 791, RFC 8200 section 4.5).
/// Fragments are rare in TCP traffic, so this favours simplicity: each datagram keeps its
/// fragments in a list and is checked for completeness when one arrives. Memory is bounded by
/// a count of datagrams and a timeout in capture time.
public struct IPFragmentReassembler: Sendable {
    /// Identifies one datagram's fragments.
    struct Key: Sendable, Hashable {
        var source: IPAddress
        var destination: IPAddress
        var id: UInt32
        var proto: UInt8
    }

    private struct Datagram: Sendable {
        var firstSeen: Double
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        var totalLength: Int?
        var received = 0
    }

    /// A datagram given up before all its fragments arrived.
    public struct Abandoned: Sendable {
        /// Source address of the datagram.
        public var source: IPAddress
        /// Destination address of the datagram.
        public var destination: IPAddress
        /// The datagram identification.
        public var id: UInt32
        /// The TCP ports, when the first fragment (which holds them) was captured.
        public var ports: (source: UInt16, destination: UInt16)?
        /// Payload bytes received.
        public var received: Int
        /// Payload length, when the last fragment was captured.
        public var totalLength: Int?
    }

    private var datagrams: [Key: Datagram] = [:]
    private let timeout: Double
    private let maxDatagrams: Int
    /// The largest IP payload a datagram can have (65,535 minus the smallest header).
    private static let maxPayload = 65_535

    /// A reassembler that gives up on a datagram after `timeout` seconds of capture time, and
    /// holds at most `maxDatagrams` incomplete ones.
    public init(timeout: Double = 30, maxDatagrams: Int = 256) {
        self.timeout = timeout
        self.maxDatagrams = max(1, maxDatagrams)
    }

    /// The number of incomplete datagrams held.
    public var pendingCount: Int { datagrams.count }

    /// Adds one fragment; `payload` is its captured payload. Returns the whole upper-layer
    /// payload when this fragment completed its datagram. Datagrams given up on (timed out,
    /// evicted, or impossible) are appended to `abandoned`.
    public mutating func add(
        header: IPHeader, fragment: IPHeader.Fragment, payload: UnsafeRawBufferPointer, time: Double,
        abandoned: inout [Abandoned]
    ) -> [UInt8]? {
        expire(olderThan: time - timeout, into: &abandoned)
        let key = Key(source: header.source, destination: header.destination, id: fragment.id, proto: header.proto)
        var datagram = datagrams.removeValue(forKey: key) ?? Datagram(firstSeen: time)
        let end = fragment.offset + payload.count
        if end > Self.maxPayload || (!fragment.more && datagram.totalLength.map { $0 != end } ?? false) {
            datagram.pieces.append((fragment.offset, Array(payload)))
            abandoned.append(describe(key, datagram))
            return nil
        }
        if !fragment.more { datagram.totalLength = fragment.offset + header.payloadLength }
        // Overlapping fragments: the one with the lower offset supplies the shared bytes.
        datagram.pieces.append((fragment.offset, Array(payload)))
        datagram.received += payload.count
        if let total = datagram.totalLength, let whole = Self.assemble(datagram.pieces, total: total) {
            return whole
        }
        if datagrams.count >= maxDatagrams, let oldest = datagrams.min(by: { $0.value.firstSeen < $1.value.firstSeen }) {
            datagrams.removeValue(forKey: oldest.key)
            abandoned.append(describe(oldest.key, oldest.value))
        }
        datagrams[key] = datagram
        return nil
    }

    /// Gives up every datagram first seen before `time`.
    mutating func expire(olderThan time: Double, into abandoned: inout [Abandoned]) {
        guard !datagrams.isEmpty else { return }
        for (key, datagram) in datagrams where datagram.firstSeen < time {
            datagrams.removeValue(forKey: key)
            abandoned.append(describe(key, datagram))
        }
    }

    /// Gives up the incomplete datagrams that `belongs` picks (e.g. those of a connection
    /// about to close, so their loss can still be noted on it).
    public mutating func abandon(where belongs: (Abandoned) -> Bool, into abandoned: inout [Abandoned]) {
        guard !datagrams.isEmpty else { return }
        for (key, datagram) in datagrams {
            let described = describe(key, datagram)
            if belongs(described) {
                datagrams.removeValue(forKey: key)
                abandoned.append(described)
            }
        }
    }

    /// Gives up every datagram still incomplete (the capture ended).
    public mutating func finish(into abandoned: inout [Abandoned]) {
        for (key, datagram) in datagrams.sorted(by: { $0.value.firstSeen < $1.value.firstSeen }) {
            abandoned.append(describe(key, datagram))
        }
        datagrams.removeAll()
    }

    private func describe(_ key: Key, _ datagram: Datagram) -> Abandoned {
        var ports: (UInt16, UInt16)?
        if let first = datagram.pieces.first(where: { $0.offset == 0 }), first.bytes.count >= 4 {
            ports = (UInt16(first.bytes[0]) << 8 | UInt16(first.bytes[1]), UInt16(first.bytes[2]) << 8 | UInt16(first.bytes[3]))
        }
        return Abandoned(
            source: key.source, destination: key.destination, id: key.id, ports: ports,
            received: datagram.received, totalLength: datagram.totalLength)
    }

    /// The datagram's payload if the pieces cover `0..<total` without a hole.
    private static func assemble(_ pieces: [(offset: Int, bytes: [UInt8])], total: Int) -> [UInt8]? {
        let ordered = pieces.sorted { $0.offset < $1.offset }
        var covered = 0
        for piece in ordered {
            if piece.offset > covered { return nil }
            covered = max(covered, piece.offset + piece.bytes.count)
        }
        guard covered >= total else { return nil }
        var whole = [UInt8](repeating: 0, count: total)
        var filled = 0
        for piece in ordered where piece.offset + piece.bytes.count > filled {
            let skip = filled - piece.offset
            let count = min(piece.bytes.count - skip, total - filled)
            guard count > 0 else { continue }
            whole.replaceSubrange(filled..<(filled + count), with: piece.bytes[skip..<(skip + count)])
            filled += count
        }
        return whole
    }
}
