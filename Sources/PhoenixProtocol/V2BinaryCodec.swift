/// V2 binary frames (Phoenix ≥ 1.6; serializer.js and V2.JSONSerializer). Every size is one
/// unsigned byte, so each field is at most 255 bytes; the payload is whatever follows.
///
///     client push (kind 0), 5-byte header
///     +----+------------+--------+-----------+-----------+----------+-----+-------+-------+---------+
///     | 00 | join_ref n | ref n  | topic n   | event n   | join_ref | ref | topic | event | payload |
///     +----+------------+--------+-----------+-----------+----------+-----+-------+-------+---------+
///     server push (kind 0), 4-byte header: no ref
///     | 00 | join_ref n | topic n | event n  | join_ref | topic | event | payload |
///     reply (kind 1, server only)
///     | 01 | join_ref n | ref n  | topic n   | status n  | join_ref | ref | topic | status | response |
///     broadcast (kind 2, server only)
///     | 02 | topic n    | event n | topic | event | payload |
///
/// Binary frames have no null: Phoenix writes a nil join_ref as an empty field, so an empty
/// join_ref or ref decodes as nil and nil encodes as empty.
enum V2BinaryCodec {
    static func decode(_ frame: Bytes, from direction: Direction) throws(DecodeError) -> PhoenixMessage {
        let kindByte = frame[frame.startIndex]
        guard let kind = BinaryKind(rawValue: kindByte) else { throw .unknownKind(kindByte) }
        if direction == .client, kind != .push { throw .serverKindFromClient(kind) }

        let fieldNames: [String]
        switch (kind, direction) {
        case (.push, .client): fieldNames = ["join_ref", "ref", "topic", "event"]
        case (.push, .server): fieldNames = ["join_ref", "topic", "event"]
        case (.reply, _): fieldNames = ["join_ref", "ref", "topic", "status"]
        case (.broadcast, _): fieldNames = ["topic", "event"]
        }
        let layout = kind.name(from: direction)
        var reader = FieldReader(frame: frame, layout: layout, headerLength: 1 + fieldNames.count)
        try reader.checkHeader()
        var fields: [String: String] = [:]
        for (i, name) in fieldNames.enumerated() {
            fields[name] = try reader.field(name, sizeAt: 1 + i)
        }
        let rest = reader.rest

        func ref(_ name: String) -> Ref? {
            guard let value = fields[name], !value.isEmpty else { return nil }
            return .string(value)
        }
        let topic = fields["topic"]!
        switch kind {
        case .push, .broadcast:
            return PhoenixMessage(
                joinRef: ref("join_ref"), ref: ref("ref"), topic: topic, event: fields["event"]!,
                payload: .binary(rest), layout: .v2Binary(kind))
        case .reply:
            return PhoenixMessage(
                joinRef: ref("join_ref"), ref: ref("ref"), topic: topic, event: ReservedEvent.reply.rawValue,
                payload: .binary(rest), reply: Reply(status: fields["status"]!, response: .binary(rest)),
                layout: .v2Binary(.reply))
        }
    }

    /// Reads the size-prefixed fields that follow the header, in order.
    private struct FieldReader {
        let frame: Bytes
        let layout: String
        let headerLength: Int
        var offset: Int

        init(frame: Bytes, layout: String, headerLength: Int) {
            self.frame = frame
            self.layout = layout
            self.headerLength = headerLength
            self.offset = headerLength
        }

        func checkHeader() throws(DecodeError) {
            guard frame.count >= headerLength else {
                throw .truncatedHeader(layout: layout, needed: headerLength, frameSize: frame.count)
            }
        }

        mutating func field(_ name: String, sizeAt headerIndex: Int) throws(DecodeError) -> String {
            let size = Int(frame[frame.startIndex + headerIndex])
            guard offset + size <= frame.count else {
                throw .fieldPastEnd(layout: layout, field: name, size: size, frameSize: frame.count)
            }
            let bytes = frame[(frame.startIndex + offset)..<(frame.startIndex + offset + size)]
            if let bad = UTF8Validation.firstInvalidOffset(bytes) {
                throw .invalidUTF8(context: "\(layout) \(name)", offset: offset + bad)
            }
            offset += size
            return String(decoding: bytes, as: UTF8.self)
        }

        var rest: Bytes { frame[(frame.startIndex + offset)...] }
    }
}
