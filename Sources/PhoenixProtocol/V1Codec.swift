/// V1 JSON objects: `{"topic", "event", "payload", "ref", "join_ref"?}`
/// (Phoenix.Socket.V1.JSONSerializer and Phoenix.Socket.Message.from_map!). The V1 server
/// never writes `join_ref`; clients may.
enum V1Codec {
    static func decode(_ frame: Bytes, _ scanner: inout JSONScanner, from direction: Direction)
        throws(DecodeError) -> PhoenixMessage
    {
        guard scanner.peek() == UInt8(ascii: "{") else {
            let start = scanner.index
            _ = try scanner.skipValue()
            try scanner.expectEnd()
            throw .notAnObject(found: scanner.typeName(at: start))
        }
        scanner.index += 1
        var topic: Range<Int>?
        var event: Range<Int>?
        var payload: Range<Int>?
        var ref: Range<Int>?
        var joinRef: Range<Int>?
        var extraKeys: [String] = []
        if scanner.peek() == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let keyStart = scanner.index
                guard keyStart < scanner.bytes.count, scanner.bytes[keyStart] == UInt8(ascii: "\"") else {
                    throw scanner.fail("a string key")
                }
                try scanner.skipString()
                let key = scanner.decodeString(keyStart..<scanner.index)
                try scanner.expect(UInt8(ascii: ":"), "':'")
                let value = try scanner.skipValue(depth: 1)
                switch key {
                case "topic": topic = value
                case "event": event = value
                case "payload": payload = value
                case "ref": ref = value
                case "join_ref": joinRef = value
                default: extraKeys.append(key)
                }
                guard let next = scanner.peek() else { throw scanner.fail("',' or '}'") }
                scanner.index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else {
                    scanner.index -= 1
                    throw scanner.fail("',' or '}'")
                }
            }
        }
        try scanner.expectEnd()
        guard let topic else { throw .missingKey("topic") }
        guard let event else { throw .missingKey("event") }
        guard let payload else { throw .missingKey("payload") }
        guard let ref else { throw .missingKey("ref") }

        let eventName = try EnvelopeField.string(scanner, event, field: "event")
        let base = frame.startIndex
        var message = PhoenixMessage(
            joinRef: joinRef.flatMap { EnvelopeField.ref(scanner, $0) },
            ref: EnvelopeField.ref(scanner, ref),
            topic: try EnvelopeField.string(scanner, topic, field: "topic"),
            event: eventName,
            payload: .json(frame[(base + payload.lowerBound)..<(base + payload.upperBound)]),
            layout: .v1Object(hasJoinRefKey: joinRef != nil, extraKeys: extraKeys)
        )
        if direction == .server, eventName == ReservedEvent.reply.rawValue {
            message.reply = PhoenixDecoder.splitReply(frame, scanner.bytes, payload: payload)
        }
        return message
    }
}
