/// Decodes one WebSocket data message (or one LongPoll line) into a Phoenix message.
///
/// The decoder needs three facts besides the bytes: the opcode (text or binary), who sent
/// it (binary pushes differ by direction), and the connection's serializer.
public enum PhoenixDecoder {
    public static func decode(
        _ frame: Bytes, opcode: DataOpcode, from direction: Direction, serializer: Serializer
    ) throws(DecodeError) -> PhoenixMessage {
        guard !frame.isEmpty else { throw .emptyFrame(opcode) }
        switch opcode {
        case .binary:
            guard serializer == .v2 else { throw .binaryWithoutV2 }
            return try V2BinaryCodec.decode(frame, from: direction)
        case .text:
            return try frame.withUnsafeBufferPointer { (buffer) throws(DecodeError) -> PhoenixMessage in
                if let bad = UTF8Validation.firstInvalidOffset(buffer) {
                    throw .invalidUTF8(context: "text frame", offset: bad)
                }
                switch serializer {
                case .v1: return try V1Codec.decode(frame, buffer, from: direction)
                case .v2: return try V2TextCodec.decode(frame, buffer, from: direction)
                }
            }
        }
    }

    /// Splits a server `phx_reply` JSON payload into status and response. Returns nil when the
    /// payload is not an object with a string `status` and a `response`.
    static func splitReply(_ frame: Bytes, _ buffer: UnsafeBufferPointer<UInt8>, payload: Range<Int>) -> Reply? {
        var scanner = JSONScanner(UnsafeBufferPointer(rebasing: buffer[payload]))
        guard (try? scanner.expect(UInt8(ascii: "{"), "'{'")) != nil else { return nil }
        var status: String?
        var response: Range<Int>?
        if scanner.peek() == UInt8(ascii: "}") { return nil }
        while true {
            scanner.skipWhitespace()
            let keyStart = scanner.index
            guard keyStart < scanner.bytes.count, scanner.bytes[keyStart] == UInt8(ascii: "\""),
                (try? scanner.skipString()) != nil
            else { return nil }
            let key = scanner.decodeString(keyStart..<scanner.index)
            guard (try? scanner.expect(UInt8(ascii: ":"), "':'")) != nil, let valueRange = try? scanner.skipValue()
            else { return nil }
            if key == "status", scanner.bytes[valueRange.lowerBound] == UInt8(ascii: "\"") {
                status = scanner.decodeString(valueRange)
            } else if key == "response" {
                response = valueRange
            }
            guard let next = scanner.peek() else { return nil }
            scanner.index += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else { return nil }
        }
        guard let status, let response else { return nil }
        let base = frame.startIndex + payload.lowerBound
        return Reply(status: status, response: .json(frame[(base + response.lowerBound)..<(base + response.upperBound)]))
    }
}
