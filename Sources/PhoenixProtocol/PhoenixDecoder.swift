/// Decodes one WebSocket data message (or one LongPoll line) into a Phoenix message.
///
/// The decoder needs three facts besides the bytes: the opcode (text or binary), who sent
/// it (binary pushes differ by direction), and the connection's serializer.
public enum PhoenixDecoder {
    public static func decode(
        _ frame: Bytes, opcode: DataOpcode, from direction: Direction, serializer: Serializer
    ) throws(DecodeError) -> PhoenixMessage {
        try decode(frame, opcode: opcode, from: direction, serializer: serializer, names: nil)
    }

    /// Decodes with a connection's `names`: its topics and events are then built once.
    public static func decode(
        _ frame: Bytes, opcode: DataOpcode, from direction: Direction, serializer: Serializer, names: inout NameCache
    ) throws(DecodeError) -> PhoenixMessage {
        try withUnsafeMutablePointer(to: &names) { (names) throws(DecodeError) -> PhoenixMessage in
            try decode(frame, opcode: opcode, from: direction, serializer: serializer, names: names)
        }
    }

    private static func decode(
        _ frame: Bytes, opcode: DataOpcode, from direction: Direction, serializer: Serializer,
        names: UnsafeMutablePointer<NameCache>?
    ) throws(DecodeError) -> PhoenixMessage {
        guard !frame.isEmpty else { throw .emptyFrame(opcode) }
        switch opcode {
        case .binary:
            guard serializer == .v2 else { throw .binaryWithoutV2 }
            return try V2BinaryCodec.decode(frame, from: direction)
        case .text:
            return try frame.withUnsafeBufferPointer { (buffer) throws(DecodeError) -> PhoenixMessage in
                // Outside its strings JSON is ASCII, and the scanner notes whether a string held
                // anything else: text that parses all-ASCII needs no UTF-8 pass of its own. A
                // frame that is both bad UTF-8 and bad JSON is reported as bad UTF-8, as when
                // the UTF-8 pass came first.
                func requireUTF8() throws(DecodeError) {
                    if let bad = UTF8Validation.firstInvalidOffset(buffer) {
                        throw .invalidUTF8(context: "text frame", offset: bad)
                    }
                }
                var scanner = JSONScanner(buffer)
                scanner.names = names
                let message: PhoenixMessage
                do throws(DecodeError) {
                    switch serializer {
                    case .v1: message = try V1Codec.decode(frame, &scanner, from: direction)
                    case .v2: message = try V2TextCodec.decode(frame, &scanner, from: direction)
                    }
                } catch {
                    try requireUTF8()
                    throw error
                }
                if scanner.sawNonASCII { try requireUTF8() }
                return message
            }
        }
    }

    /// Splits a server `phx_reply` JSON payload (already validated) into status and response.
    /// Returns nil when the payload is not an object with a string `status` and a `response`.
    /// The V2 decoder finds these members while it validates; this second pass serves V1 and
    /// replies whose event name was written with escapes.
    static func splitReply(_ frame: Bytes, _ buffer: UnsafeBufferPointer<UInt8>, payload: Range<Int>) -> Reply? {
        var scanner = JSONScanner(buffer)
        scanner.index = payload.lowerBound
        guard scanner.peek() == UInt8(ascii: "{") else { return nil }
        var members = ReplyMembers()
        do {
            try withUnsafeMutablePointer(to: &members) { (members) throws(DecodeError) in
                try scanner.skipObject(depth: 0, replyMembers: members)
            }
        } catch {
            return nil
        }
        return reply(frame, scanner, members)
    }

    /// The reply whose members `skipObject` found, if it has both.
    static func reply(_ frame: Bytes, _ scanner: JSONScanner, _ members: ReplyMembers) -> Reply? {
        guard let status = members.status, let response = members.response else { return nil }
        let base = frame.startIndex
        return Reply(status: scanner.decodeName(status),
                     response: .json(frame[(base + response.lowerBound)..<(base + response.upperBound)]))
    }
}
