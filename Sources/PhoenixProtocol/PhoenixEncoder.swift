/// Why a message cannot be put on the wire in the requested form.
public enum EncodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A binary frame field over the 255 bytes its one-byte size allows.
    case fieldTooLong(field: String, size: Int)
    /// A binary payload on a V1 connection, or a binary reply/broadcast from a client.
    case noBinaryForm(String)

    public var description: String {
        switch self {
        case .fieldTooLong(let field, let size):
            return "\(field) is \(size) bytes; a binary frame field holds at most 255"
        case .noBinaryForm(let why):
            return why
        }
    }
}

/// A frame ready for the WebSocket layer.
public struct EncodedFrame: Sendable, Hashable {
    public var opcode: DataOpcode
    public var bytes: [UInt8]
}

/// Encodes messages the way Phoenix and phoenix.js do, so that tests and tools can produce
/// frames byte for byte like the real peers. Decoding a frame and encoding the result gives
/// the same bytes for every frame Phoenix or phoenix.js writes.
public enum PhoenixEncoder {
    public static func encode(_ message: PhoenixMessage, serializer: Serializer, from direction: Direction)
        throws(EncodeError) -> EncodedFrame
    {
        switch message.payload {
        case .binary(let body):
            guard serializer == .v2 else { throw .noBinaryForm("the V1 serializer has no binary frames") }
            return EncodedFrame(opcode: .binary, bytes: try encodeBinary(message, body: body, from: direction))
        case .json(let payload):
            var out: [UInt8] = []
            out.reserveCapacity(payload.count + message.topic.utf8.count + message.event.utf8.count + 32)
            switch serializer {
            case .v2: appendV2Array(message, payload: payload, to: &out)
            case .v1: appendV1Object(message, payload: payload, from: direction, to: &out)
            }
            return EncodedFrame(opcode: .text, bytes: out)
        }
    }

    private static func appendV2Array(_ m: PhoenixMessage, payload: Bytes, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        out.append(contentsOf: m.joinRef.jsonText.utf8)
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: m.ref.jsonText.utf8)
        out.append(UInt8(ascii: ","))
        JSONText.appendQuoted(m.topic, to: &out)
        out.append(UInt8(ascii: ","))
        JSONText.appendQuoted(m.event, to: &out)
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: payload)
        if case .v2Array(let extras) = m.layout {
            for extra in extras {
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: extra.utf8)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    /// phoenix.js writes `topic, event, payload, ref, join_ref`; the server writes
    /// `Map.take/2` output through Jason, whose keys come out sorted: event, payload, ref, topic.
    private static func appendV1Object(_ m: PhoenixMessage, payload: Bytes, from direction: Direction, to out: inout [UInt8]) {
        func key(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        out.append(UInt8(ascii: "{"))
        let withJoinRef: Bool
        if case .v1Object(let has, _) = m.layout { withJoinRef = has } else { withJoinRef = m.joinRef != nil }
        switch direction {
        case .client:
            key("topic", first: true); JSONText.appendQuoted(m.topic, to: &out)
            key("event"); JSONText.appendQuoted(m.event, to: &out)
            key("payload"); out.append(contentsOf: payload)
            key("ref"); out.append(contentsOf: m.ref.jsonText.utf8)
            if withJoinRef { key("join_ref"); out.append(contentsOf: m.joinRef.jsonText.utf8) }
        case .server:
            key("event", first: true); JSONText.appendQuoted(m.event, to: &out)
            if withJoinRef { key("join_ref"); out.append(contentsOf: m.joinRef.jsonText.utf8) }
            key("payload"); out.append(contentsOf: payload)
            key("ref"); out.append(contentsOf: m.ref.jsonText.utf8)
            key("topic"); JSONText.appendQuoted(m.topic, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func encodeBinary(_ m: PhoenixMessage, body: Bytes, from direction: Direction) throws(EncodeError) -> [UInt8] {
        let joinRef = Array((m.joinRef?.description ?? "").utf8)
        let ref = Array((m.ref?.description ?? "").utf8)
        let topic = Array(m.topic.utf8)
        let event = Array(m.event.utf8)
        let kind: BinaryKind
        let fields: [(String, [UInt8])]
        switch direction {
        case .client:
            kind = .push
            fields = [("join_ref", joinRef), ("ref", ref), ("topic", topic), ("event", event)]
        case .server:
            if let reply = m.reply {
                kind = .reply
                fields = [("join_ref", joinRef), ("ref", ref), ("topic", topic), ("status", Array(reply.status.utf8))]
            } else if m.joinRef == nil && m.ref == nil, m.layout != .v2Binary(.push) {
                kind = .broadcast
                fields = [("topic", topic), ("event", event)]
            } else {
                kind = .push
                fields = [("join_ref", joinRef), ("topic", topic), ("event", event)]
            }
        }
        var out: [UInt8] = [kind.rawValue]
        for (name, value) in fields {
            guard value.count <= 255 else { throw .fieldTooLong(field: name, size: value.count) }
            out.append(UInt8(value.count))
        }
        for (_, value) in fields { out.append(contentsOf: value) }
        out.append(contentsOf: body)
        return out
    }
}
