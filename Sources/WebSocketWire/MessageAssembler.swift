public import PhoenixProtocol

/// Turns one direction's frames into messages: joins fragments (with control frames allowed
/// between them), inflates permessage-deflate messages, parses close frames, and reports every
/// framing rule of RFC 6455 and RFC 7692 that a frame breaks. It reports; it does not enforce:
/// a message is delivered whenever its bytes are known, violation or not.
public struct MessageAssembler: Sendable {
    struct Partial: Sendable {
        var opcode: DataOpcode
        var compressed: Bool
        /// Bytes of the message so far (inflated size when compressed), kept or not.
        var size = 0
        var frames = 0
        /// Some of its bytes are unknown (lost or skipped): it is not delivered.
        var damaged = false
    }

    /// The side whose frames these are.
    public let direction: Direction
    let deflate: DeflateParameters?
    let maxFramePayload: Int
    let maxMessageSize: Int
    let inflater: PermessageInflater?
    var partial: Partial?
    /// The kept bytes of the message in progress. Held apart from `partial`, whose plain
    /// fields are then copied as such; with a slice among them, each copy of the optional went
    /// through the type's generic copy functions.
    var payload: Bytes = []
    var closed = false
    var reportedAfterClose = false

    /// Creates an assembler for `direction`'s frames. `deflate` is what the handshake agreed.
    public init(direction: Direction, deflate: DeflateParameters?, limits: WireLimits = .init()) {
        self.direction = direction
        self.deflate = deflate
        self.maxFramePayload = limits.maxFramePayload
        self.maxMessageSize = limits.maxMessageSize
        self.inflater = deflate.map { PermessageInflater(noContextTakeover: $0.noContextTakeover(for: direction)) }
    }

    /// Takes one frame, appending what it completes to `events`.
    public mutating func push(_ frame: WebSocketFrame, time: Double, into events: inout [WireEvent]) {
        let h = frame.header
        func report(_ v: WireViolation) { events.append(.violation(from: direction, v, time: time)) }

        if closed && !reportedAfterClose {
            reportedAfterClose = true
            report(.dataAfterClose(h.opcode))
        }
        if direction == .client && !h.masked { report(.unmaskedClientFrame(h.opcode)) }
        if direction == .server && h.masked { report(.maskedServerFrame(h.opcode)) }
        if !h.lengthIsMinimal || h.payloadLength >> 63 != 0 { report(.nonMinimalLength(h.payloadLength)) }
        guard h.opcode.isDefined else {
            report(.unknownOpcode(h.opcode.rawValue))
            return
        }
        if !frame.isPayloadKept && !frame.bytesLost { report(.oversizedFrame(length: h.payloadLength, limit: maxFramePayload)) }

        if h.opcode.isControl {
            if h.rsv1 && deflate != nil { report(.compressedControlFrame(h.opcode)) }
            if h.rsv2 || h.rsv3 || (h.rsv1 && deflate == nil) {
                report(.reservedBits(rsv1: h.rsv1 && deflate == nil, rsv2: h.rsv2, rsv3: h.rsv3, opcode: h.opcode))
            }
            if !h.fin { report(.fragmentedControlFrame(h.opcode)) }
            if h.payloadLength > 125 { report(.oversizedControlFrame(h.opcode, length: h.payloadLength)) }
            guard frame.isPayloadKept else { return }
            control(frame, time: time, into: &events)
            return
        }

        if h.rsv2 || h.rsv3 || (h.rsv1 && deflate == nil) {
            report(.reservedBits(rsv1: h.rsv1 && deflate == nil, rsv2: h.rsv2, rsv3: h.rsv3, opcode: h.opcode))
        }
        if let opcode = h.opcode.dataOpcode {
            if let p = partial {
                report(.dataFrameInsideFragmentedMessage(h.opcode))
                if p.compressed { lostBytes(time: time, into: &events) }
            }
            partial = Partial(opcode: opcode, compressed: h.rsv1 && deflate != nil)
            payload = []
        } else {
            // continuation
            guard partial != nil else {
                report(.continuationWithoutStart)
                return
            }
            if h.rsv1 && deflate != nil { report(.compressedContinuation) }
        }
        append(frame, time: time, into: &events)
        if h.fin { finishMessage(time: time, into: &events) }
    }

    /// Bytes of this direction were lost: the message in progress is dropped, and a compressed
    /// stream with context takeover can no longer be trusted.
    public mutating func lostBytes(time: Double, into events: inout [WireEvent]) {
        if let inflater {
            inflater.reset()
            if deflate?.noContextTakeover(for: direction) == false {
                events.append(.violation(from: direction, .compressionContextLost, time: time))
            }
        }
        partial = nil
        payload = []
    }

    /// The connection ended: reports a fragmented message left unfinished.
    public mutating func finish(time: Double, into events: inout [WireEvent]) {
        if let p = partial {
            events.append(.violation(from: direction, .incompleteMessage(frames: p.frames), time: time))
            partial = nil
            payload = []
        }
    }

    // MARK: - Internals

    mutating func append(_ frame: WebSocketFrame, time: Double, into events: inout [WireEvent]) {
        guard var p = partial else { return }
        partial = nil
        p.frames += 1
        if !frame.isPayloadKept {
            p.damaged = true
            if p.compressed { lostBytes(time: time, into: &events) }
        } else if p.damaged {
            // Nothing more to keep.
        } else if p.compressed, let inflater {
            if let why = inflater.inflate(frame.payload, into: &payload, limit: maxMessageSize, total: &p.size) {
                events.append(.violation(from: direction, .invalidCompressedData(why), time: time))
                p.damaged = true
                // The stream is unusable from here: start the next message on a fresh one, as after lost bytes.
                lostBytes(time: time, into: &events)
            }
        } else {
            let room = maxMessageSize - payload.count
            if payload.isEmpty && frame.payload.count <= room {
                payload = frame.payload  // the common single-frame message: no copy
            } else if room > 0 {
                payload.append(contentsOf: frame.payload.prefix(room))
            }
            p.size += frame.payload.count
        }
        partial = p
    }

    mutating func finishMessage(time: Double, into events: inout [WireEvent]) {
        guard var p = partial else { return }
        partial = nil
        var bytes: Bytes = []
        swap(&bytes, &payload)
        if p.compressed, let inflater, !p.damaged {
            if let why = inflater.finishMessage(into: &bytes, limit: maxMessageSize, total: &p.size) {
                events.append(.violation(from: direction, .invalidCompressedData(why), time: time))
                return
            }
        }
        if p.damaged { return }
        if p.size > maxMessageSize {
            let violation: WireViolation = p.compressed
                ? .inflatedOverLimit(size: p.size, limit: maxMessageSize)
                : .oversizedMessage(size: p.size, limit: maxMessageSize)
            events.append(.violation(from: direction, violation, time: time))
            return
        }
        events.append(.message(from: direction, opcode: p.opcode, payload: bytes, compressed: p.compressed, time: time))
    }

    mutating func control(_ frame: WebSocketFrame, time: Double, into events: inout [WireEvent]) {
        switch frame.opcode {
        case .ping:
            events.append(.ping(from: direction, payload: Array(frame.payload), time: time))
        case .pong:
            events.append(.pong(from: direction, payload: Array(frame.payload), time: time))
        default:
            closed = true
            let (code, reason, problems) = Self.parseClose(frame.payload)
            for v in problems { events.append(.violation(from: direction, v, time: time)) }
            events.append(.close(from: direction, code: code, reason: reason, time: time))
        }
    }

    /// Splits a close payload into code and reason and checks both (RFC 6455 5.5.1, 7.4).
    ///
    ///     +--------+--------+-------------------------+
    ///     |  code (uint16 BE) |  reason (UTF-8, <= 123) |
    ///     +--------+--------+-------------------------+
    static func parseClose(_ payload: Bytes) -> (UInt16?, String, [WireViolation]) {
        if payload.isEmpty { return (nil, "", []) }
        if payload.count == 1 { return (nil, "", [.invalidClosePayload]) }
        let start = payload.startIndex
        let code = UInt16(payload[start]) << 8 | UInt16(payload[start + 1])
        let reasonBytes = payload[(start + 2)...]
        let reason = String(decoding: reasonBytes, as: UTF8.self)
        var problems: [WireViolation] = []
        if !isSendableCloseCode(code) { problems.append(.invalidCloseCode(code)) }
        // Decoding replaces bad sequences with U+FFFD, so a round trip differs exactly when the bytes are not UTF-8.
        if !reason.utf8.elementsEqual(reasonBytes) { problems.append(.invalidCloseReasonUTF8) }
        return (code, reason, problems)
    }

    /// Codes an endpoint may put in a close frame: 1000-1003 and 1007-1014 (RFC 6455 and the
    /// IANA registry), 3000-4999 for libraries and applications. 1004 is reserved, 1005, 1006
    /// and 1015 are for reporting only, 1016-2999 are unassigned.
    public static func isSendableCloseCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
