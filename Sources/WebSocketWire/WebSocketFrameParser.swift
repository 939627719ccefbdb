/// A sans-IO RFC 6455 frame parser for one direction, in the manner of swift-nio's
/// `WebSocketFrameDecoder`: the state says exactly what has been parsed so far.
///
/// A header is all or nothing: when its bytes are incomplete, `parse` consumes nothing and the
/// caller keeps them. A payload streams: its bytes are consumed as they come and unmasked into
/// the frame being built, so a frame never has to be buffered twice. A payload larger than
/// `maxPayloadKept` is skipped as it streams past (counted, not kept), never buffered whole.
public struct WebSocketFrameParser: Sendable {
    enum State: Sendable, Equatable {
        /// Waiting for the next header.
        case header
        /// Inside a payload: `remaining` bytes still to come; `keep` is false when skipping.
        case payload(WebSocketFrameHeader, remaining: UInt64, keep: Bool)
    }

    /// Payloads longer than this are skipped rather than kept.
    public let maxPayloadKept: UInt64
    var state = State.header
    var payload: [UInt8] = []
    /// How far into the payload we are, modulo 4: the mask key byte the next byte uses.
    var maskPhase = 0
    /// Bytes of the payload in progress were lost.
    var lost = false

    /// Creates a parser that keeps payloads up to `maxPayloadKept` bytes (64 MiB by default).
    public init(maxPayloadKept: Int = 64 * 1024 * 1024) {
        self.maxPayloadKept = UInt64(max(0, maxPayloadKept))
    }

    /// The header of the frame whose payload is in progress, if any.
    public var frameInProgress: WebSocketFrameHeader? {
        if case .payload(let h, _, _) = state { return h }
        return nil
    }

    /// Payload bytes still expected for the frame in progress (nil between frames).
    public var remainingPayload: UInt64? {
        if case .payload(_, let r, _) = state { return r }
        return nil
    }

    /// Parses from `bytes[index...]`, advancing `index` over what it consumed. Returns a frame
    /// when one is complete, nil when more bytes are needed (having consumed every payload byte
    /// available, but no part of an incomplete header).
    public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>, index: inout Int) -> WebSocketFrame? {
        var inPlace: Range<Int>?
        return parse(bytes, index: &index, payloads: .copied, inPlace: &inPlace)
    }

    /// Where a payload that lies whole in the bytes being parsed goes.
    enum Payloads {
        /// Into the frame, copied (and unmasked).
        case copied
        /// Nowhere: the caller slices it out of its bytes. Masked payloads are unmasked where
        /// they lie if `writable`, and copied otherwise.
        case inPlace(writable: Bool)
    }

    /// Like `parse(_:index:)`; with `payloads` `.inPlace`, a payload that lies whole in `bytes`
    /// is not copied: it is unmasked where it lies, the frame comes back with an empty payload,
    /// and `inPlace` gives the payload's range in `bytes`, for the caller to slice from the
    /// array it lent. `writable` promises that `bytes` may be changed.
    ///
    /// A capture segment holds dozens of frames: slicing them out of it saves an allocation and
    /// a copy per message, and frees them together.
    mutating func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, index: inout Int, payloads: Payloads, inPlace: inout Range<Int>?
    ) -> WebSocketFrame? {
        let sliced: Bool, writable: Bool
        switch payloads {
        case .copied: (sliced, writable) = (false, false)
        case .inPlace(let w): (sliced, writable) = (true, w)
        }
        inPlace = nil
        while true {
            switch state {
            case .header:
                guard let header = WebSocketFrameHeader.parse(UnsafeBufferPointer(rebasing: bytes[index...])) else {
                    return nil
                }
                index += header.headerLength
                let keep = header.payloadLength <= maxPayloadKept
                if header.payloadLength == 0 { return WebSocketFrame(header: header, payload: []) }
                payload = []
                maskPhase = 0
                lost = false
                state = .payload(header, remaining: header.payloadLength, keep: keep)
            case .payload(let header, let remaining, let keep):
                let available = bytes.count - index
                guard available > 0 else { return nil }
                let n = Int(min(UInt64(available), remaining))
                let whole = payload.isEmpty && UInt64(n) == remaining
                if keep && whole && sliced && (header.maskKey == nil || writable) {
                    // The whole payload is here (the common case): unmasked where it lies.
                    if let key = header.maskKey, let base = bytes.baseAddress {
                        Masking.unmask(UnsafeMutableBufferPointer(start: UnsafeMutablePointer(mutating: base + index), count: n), key: key, phase: 0)
                    }
                    inPlace = index..<(index + n)
                } else if keep {
                    let chunk = UnsafeBufferPointer(rebasing: bytes[index..<(index + n)])
                    if whole {
                        // Copied and unmasked in one pass.
                        payload = Masking.unmasked(chunk, key: header.maskKey)
                    } else {
                        // Reserve what a plausible frame needs; a header that only claims a large
                        // size (garbage, a cut capture) must not allocate it up front.
                        if payload.isEmpty { payload.reserveCapacity(Int(min(header.payloadLength, 1 << 20))) }
                        let start = payload.count
                        payload.append(contentsOf: chunk)
                        if let key = header.maskKey {
                            payload.withUnsafeMutableBufferPointer { p in
                                Masking.unmask(UnsafeMutableBufferPointer(rebasing: p[start...]), key: key, phase: maskPhase)
                            }
                        }
                    }
                }
                maskPhase = (maskPhase + n) & 3
                index += n
                if UInt64(n) == remaining {
                    state = .header
                    let frame = WebSocketFrame(header: header, payload: payload[...], isPayloadKept: keep, bytesLost: lost)
                    payload = []
                    lost = false
                    return frame
                }
                state = .payload(header, remaining: remaining - UInt64(n), keep: keep)
                return nil
            }
        }
    }

    /// Skips `count` payload bytes that were lost, when they fall inside the payload in
    /// progress. The frame is then no longer kept (its bytes are not all known). Returns false,
    /// changing nothing, when there is no payload in progress or it is shorter than `count`.
    public mutating func skipLost(_ count: Int) -> Bool {
        guard case .payload(let header, let remaining, _) = state, UInt64(count) < remaining else { return false }
        payload = []
        lost = true
        maskPhase = (maskPhase + count) & 3
        state = .payload(header, remaining: remaining - UInt64(count), keep: false)
        return true
    }

    /// Forgets the frame in progress (after a gap that cannot be skipped precisely).
    public mutating func reset() {
        state = .header
        payload = []
        maskPhase = 0
        lost = false
    }
}

/// XOR unmasking, sixteen bytes at a time.
enum Masking {
    /// A whole payload, copied out of `bytes` and unmasked with `key` (copied as is when nil).
    ///
    /// Copied first and unmasked in place: an array allocated uninitialized and unmasked into
    /// took a generic path of the standard library (a run-time type lookup per frame) that
    /// cost more than the copy.
    static func unmasked(_ bytes: UnsafeBufferPointer<UInt8>, key: UInt32?) -> [UInt8] {
        var payload = Array(bytes)
        if let key {
            payload.withUnsafeMutableBufferPointer { unmask($0, key: key, phase: 0) }
        }
        return payload
    }

    /// Unmasks `bytes` in place. `phase` is the payload offset of `bytes[0]` modulo 4.
    static func unmask(_ bytes: UnsafeMutableBufferPointer<UInt8>, key: UInt32, phase: Int) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        xor(from: base, to: base, count: bytes.count, key: key, phase: phase)
    }

    /// Writes `count` bytes from `source`, XORed with the mask, to `target` (which may be
    /// `source`). `phase` is the payload offset of `source[0]` modulo 4.
    private static func xor(from source: UnsafePointer<UInt8>, to target: UnsafeMutablePointer<UInt8>, count n: Int, key: UInt32, phase: Int) {
        // Key bytes in wire order, rotated so that index 0 is the byte for source[0].
        let k0 = UInt8(truncatingIfNeeded: key >> 24), k1 = UInt8(truncatingIfNeeded: key >> 16)
        let k2 = UInt8(truncatingIfNeeded: key >> 8), k3 = UInt8(truncatingIfNeeded: key)
        var k: (UInt8, UInt8, UInt8, UInt8)
        switch phase & 3 {
        case 0: k = (k0, k1, k2, k3)
        case 1: k = (k1, k2, k3, k0)
        case 2: k = (k2, k3, k0, k1)
        default: k = (k3, k0, k1, k2)
        }
        // The same four bytes twice, laid out in memory order whatever the host's endianness.
        var wide: UInt64 = 0
        withUnsafeMutableBytes(of: &wide) { w in
            w[0] = k.0; w[1] = k.1; w[2] = k.2; w[3] = k.3
            w[4] = k.0; w[5] = k.1; w[6] = k.2; w[7] = k.3
        }
        let output = UnsafeMutableRawPointer(target)
        let input = UnsafeRawPointer(source)
        var i = 0
        // Sixteen bytes per step with a vector XOR, then words for what is left.
        let vector = unsafeBitCast((wide, wide), to: SIMD16<UInt8>.self)
        while i + 16 <= n {
            let v = input.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            output.storeBytes(of: v ^ vector, toByteOffset: i, as: SIMD16<UInt8>.self)
            i += 16
        }
        while i + 8 <= n {
            let v = input.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            output.storeBytes(of: v ^ wide, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        withUnsafeBytes(of: wide) { w in
            while i < n {
                target[i] = source[i] ^ w[i & 7]
                i += 1
            }
        }
    }
}
