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

        let layout = kind.name(from: direction)
        switch (kind, direction) {
        case (.push, .client):
            var reader = try FieldReader(frame: frame, layout: layout, fields: 4)
            let joinRef = try reader.next("join_ref"), ref = try reader.next("ref")
            let topic = try reader.next("topic"), event = try reader.next("event")
            return PhoenixMessage(
                joinRef: Self.ref(joinRef), ref: Self.ref(ref), topic: topic, event: event, payload: .binary(reader.rest),
                layout: .v2Binary(.push))
        case (.push, .server):
            var reader = try FieldReader(frame: frame, layout: layout, fields: 3)
            let joinRef = try reader.next("join_ref"), topic = try reader.next("topic"), event = try reader.next("event")
            return PhoenixMessage(
                joinRef: Self.ref(joinRef), ref: nil, topic: topic, event: event, payload: .binary(reader.rest),
                layout: .v2Binary(.push))
        case (.reply, _):
            var reader = try FieldReader(frame: frame, layout: layout, fields: 4)
            let joinRef = try reader.next("join_ref"), ref = try reader.next("ref")
            let topic = try reader.next("topic"), status = try reader.next("status")
            let body = reader.rest
            return PhoenixMessage(
                joinRef: Self.ref(joinRef), ref: Self.ref(ref), topic: topic, event: ReservedEvent.reply.rawValue,
                payload: .binary(body), reply: Reply(status: status, response: .binary(body)), layout: .v2Binary(.reply))
        case (.broadcast, _):
            var reader = try FieldReader(frame: frame, layout: layout, fields: 2)
            let topic = try reader.next("topic"), event = try reader.next("event")
            return PhoenixMessage(
                joinRef: nil, ref: nil, topic: topic, event: event, payload: .binary(reader.rest), layout: .v2Binary(.broadcast))
        }
    }

    private static func ref(_ field: String) -> Ref? {
        field.isEmpty ? nil : .string(field)
    }

    /// Reads the size-prefixed fields that follow the header, in order.
    private struct FieldReader {
        let frame: Bytes
        let layout: String
        var headerIndex = 1
        var offset: Int

        init(frame: Bytes, layout: String, fields: Int) throws(DecodeError) {
            guard frame.count >= 1 + fields else {
                throw .truncatedHeader(layout: layout, needed: 1 + fields, frameSize: frame.count)
            }
            self.frame = frame
            self.layout = layout
            self.offset = 1 + fields
        }

        mutating func next(_ name: String) throws(DecodeError) -> String {
            let size = Int(frame[frame.startIndex + headerIndex])
            headerIndex += 1
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
