import PhoenixProtocol

/// After bytes of a WebSocket stream were lost at an unknown place, finds the next frame
/// header that can be trusted, so parsing resumes there instead of reading payload bytes as
/// headers. A candidate must look like what a Phoenix peer sends in that direction:
///
///     byte 0: FIN=1, RSV2=RSV3=0, RSV1 only if deflate was agreed, opcode text or binary
///     byte 1: MASK = (direction is client), minimal length within the frame limit, not 0
///     payload[0] (unmasked): text '[' or '{' (V2 array, V1 object); binary kind 0, 1 or 2;
///                            compressed: a deflate block type other than the invalid 11
///     and, when the whole frame is already buffered, the next header's byte 0 and 1 agree too.
///
/// Bytes before the candidate are dropped and counted; nothing is invented.
struct FrameResync: Sendable {
    enum Verdict { case no, yes, needMore }

    var buffer: [UInt8] = []
    /// Received bytes dropped so far.
    var skipped = 0
    /// What the source said was lost, when known.
    var missing: Int?

    /// Appends `bytes`; returns the bytes from the first trusted header on, or nil when none is
    /// found yet (the tail that might start one is kept, bounded by the largest header + 1).
    mutating func feed(_ bytes: some Collection<UInt8>, direction: Direction, compressed: Bool, maxPayload: Int)
        -> [UInt8]?
    {
        buffer.append(contentsOf: bytes)
        let found: (Int, Bool)? = buffer.withUnsafeBufferPointer { buf in
            var i = 0
            while i < buf.count {
                switch Self.plausible(buf, at: i, direction: direction, compressed: compressed, maxPayload: maxPayload) {
                case .yes: return (i, true)
                case .needMore: return (i, false)
                case .no: i += 1
                }
            }
            return nil
        }
        guard let (at, sure) = found else {
            skipped += buffer.count
            buffer = []
            return nil
        }
        skipped += at
        buffer.removeSubrange(0..<at)
        if sure {
            defer { buffer = [] }
            return buffer
        }
        return nil
    }

    static func plausible(
        _ buf: UnsafeBufferPointer<UInt8>, at i: Int, direction: Direction, compressed: Bool, maxPayload: Int) -> Verdict {
        let b0 = buf[i]
        let opcode = b0 & 0x0F
        guard b0 & 0x80 != 0, b0 & 0x30 == 0, opcode == 1 || opcode == 2 else { return .no }
        let rsv1 = b0 & 0x40 != 0
        if rsv1 && !compressed { return .no }
        guard i + 1 < buf.count else { return .needMore }
        guard (buf[i + 1] & 0x80 != 0) == (direction == .client) else { return .no }
        guard let h = WebSocketFrameHeader.parse(UnsafeBufferPointer(rebasing: buf[i...])) else { return .needMore }
        guard h.lengthIsMinimal, h.payloadLength > 0, h.payloadLength <= UInt64(maxPayload) else { return .no }
        let first = i + h.headerLength
        guard first < buf.count else { return .needMore }
        var p0 = buf[first]
        if let key = h.maskKey { p0 ^= UInt8(truncatingIfNeeded: key >> 24) }
        if rsv1 {
            if (p0 >> 1) & 0x3 == 0x3 { return .no }
        } else if opcode == 1 {
            if p0 != UInt8(ascii: "[") && p0 != UInt8(ascii: "{") { return .no }
        } else if p0 > 2 {
            return .no
        }
        let next = first + Int(h.payloadLength)
        if next + 1 < buf.count {
            let n0 = buf[next]
            let nextOpcode = WebSocketOpcode(rawValue: n0 & 0x0F)
            guard nextOpcode.isDefined, n0 & 0x30 == 0, (buf[next + 1] & 0x80 != 0) == (direction == .client) else {
                return .no
            }
        }
        return .yes
    }
}
