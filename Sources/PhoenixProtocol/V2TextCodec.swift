/// V2 JSON text frames: `[join_ref, ref, topic, event, payload]`
/// (Phoenix.Socket.V2.JSONSerializer; extra trailing elements are ignored by the server and
/// kept here as JSON text so nothing on the wire is lost).
enum V2TextCodec {
    @inline(__always)
    static func decode(_ frame: Bytes, _ scanner: inout JSONScanner, from direction: Direction)
        throws(DecodeError) -> PhoenixMessage
    {
        guard scanner.peek() == UInt8(ascii: "[") else {
            // Say "invalid JSON" before "not an array" when both are true.
            let start = scanner.index
            _ = try scanner.skipValue()
            try scanner.expectEnd()
            throw .notAnArray(found: scanner.typeName(at: start))
        }
        scanner.index += 1
        var elements = ElementRanges()
        var replyMembers = ReplyMembers()
        var splitsReply = false
        if scanner.peek() == UInt8(ascii: "]") {
            scanner.index += 1
        } else {
            while true {
                if elements.count == 4, direction == .server, scanner.peek() == UInt8(ascii: "{"),
                    EnvelopeField.isReplyEvent(scanner, elements[3])
                {
                    // A server reply's payload is split into status and response as it is skipped.
                    let start = scanner.index
                    try withUnsafeMutablePointer(to: &replyMembers) { (members) throws(DecodeError) in
                        try scanner.skipObject(depth: 1, replyMembers: members)
                    }
                    elements.append(start..<scanner.index)
                    splitsReply = true
                } else {
                    elements.append(try scanner.skipValue(depth: 1))
                }
                guard let next = scanner.peek() else { throw scanner.fail("',' or ']'") }
                scanner.index += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else {
                    scanner.index -= 1
                    throw scanner.fail("',' or ']'")
                }
            }
        }
        try scanner.expectEnd()
        guard elements.count >= 5 else { throw .tooFewElements(count: elements.count) }

        let topic = try EnvelopeField.string(scanner, elements[2], field: "topic")
        let event = try EnvelopeField.string(scanner, elements[3], field: "event")
        let base = frame.startIndex
        let payloadRange = elements[4]
        var reply: Reply?
        if splitsReply {
            reply = PhoenixDecoder.reply(frame, scanner, replyMembers)
        } else if direction == .server, event == ReservedEvent.reply.rawValue {
            // The event was written with escapes: split the payload in a second pass.
            reply = PhoenixDecoder.splitReply(frame, scanner.bytes, payload: payloadRange)
        }
        return PhoenixMessage(
            joinRef: EnvelopeField.ref(scanner, elements[0]),
            ref: EnvelopeField.ref(scanner, elements[1]),
            topic: topic,
            event: event,
            payload: .json(frame[(base + payloadRange.lowerBound)..<(base + payloadRange.upperBound)]),
            reply: reply,
            layout: .v2Array(extraElements: elements.extra.map { EnvelopeField.text(scanner, $0) })
        )
    }
}

/// Where the elements of a V2 array lie. The five envelope elements are held inline: this runs
/// for every message, and an array would cost an allocation each time; only elements past the
/// fifth (which Phoenix ignores) go to one.
struct ElementRanges {
    private var first: (Range<Int>, Range<Int>, Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0, 0..<0, 0..<0)
    private(set) var count = 0
    /// Elements past the fifth.
    private(set) var extra: [Range<Int>] = []

    mutating func append(_ range: Range<Int>) {
        switch count {
        case 0: first.0 = range
        case 1: first.1 = range
        case 2: first.2 = range
        case 3: first.3 = range
        case 4: first.4 = range
        default: extra.append(range)
        }
        count += 1
    }

    /// One of the first five elements (`index` below both 5 and `count`).
    subscript(index: Int) -> Range<Int> {
        switch index {
        case 0: return first.0
        case 1: return first.1
        case 2: return first.2
        case 3: return first.3
        default: return first.4
        }
    }
}

/// Reading envelope fields out of validated JSON ranges; shared by the V1 and V2 codecs.
enum EnvelopeField {
    static func ref(_ scanner: JSONScanner, _ range: Range<Int>) -> Ref? {
        switch scanner.bytes[range.lowerBound] {
        case UInt8(ascii: "\""): return .string(scanner.decodeString(range))
        case UInt8(ascii: "n"): return nil
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(text(scanner, range))
        default: return .other(text(scanner, range))
        }
    }

    /// Whether the element at `range` is the string `"phx_reply"` (as written by Phoenix, unescaped).
    static func isReplyEvent(_ scanner: JSONScanner, _ range: Range<Int>) -> Bool {
        scanner.text(at: range, is: "\"phx_reply\"")
    }

    static func string(_ scanner: JSONScanner, _ range: Range<Int>, field: String) throws(DecodeError) -> String {
        guard scanner.bytes[range.lowerBound] == UInt8(ascii: "\"") else {
            throw .wrongType(field: field, expected: "a string", found: scanner.typeName(at: range.lowerBound))
        }
        return scanner.decodeName(range)
    }

    static func text(_ scanner: JSONScanner, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
    }
}
