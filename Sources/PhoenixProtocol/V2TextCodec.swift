/// V2 JSON text frames: `[join_ref, ref, topic, event, payload]`
/// (Phoenix.Socket.V2.JSONSerializer; extra trailing elements are ignored by the server and
/// kept here as JSON text so nothing on the wire is lost).
enum V2TextCodec {
    @inline(__always)
    static func decode(_ frame: Bytes, _ scanner: inout JSONScanner, from direction: Direction)
        throws(DecodeError) -> PhoenixMessage
    {
        var compact = scanner
        if let message = decodeCompact(frame, &compact, from: direction) {
            scanner = compact
            return message
        }
        return try decodeAnyLayout(frame, &scanner, from: direction)
    }

    /// The envelope as Phoenix and phoenix.js write it: `["1","2","topic","event",payload]`,
    /// no whitespace, refs that are strings or null. Nil for anything else, valid or not, which
    /// `decodeAnyLayout` then decodes (or reports) from the start: the two give the same
    /// message for every frame this one takes. Most of a message's decoding was looking for
    /// whitespace and telling elements apart, for frames that have neither to tell.
    @inline(__always)
    static func decodeCompact(_ frame: Bytes, _ scanner: inout JSONScanner, from direction: Direction) -> PhoenixMessage? {
        let bytes = scanner.bytes
        let n = bytes.count
        @inline(__always)
        func next(_ byte: UInt8) -> Bool {
            guard scanner.index < n, bytes[scanner.index] == byte else { return false }
            scanner.index += 1
            return true
        }
        /// A string element or `null` (nil range), followed by a comma.
        @inline(__always)
        func refElement() -> Range<Int>?? {
            let start = scanner.index
            guard start < n else { return .none }
            if bytes[start] == UInt8(ascii: "\"") {
                guard (try? scanner.skipString()) != nil else { return .none }
            } else if scanner.text(at: start..<(start + 4), is: "null") {
                scanner.index += 4
                guard next(UInt8(ascii: ",")) else { return .none }
                return .some(nil)
            } else {
                return .none
            }
            let range = start..<scanner.index
            guard next(UInt8(ascii: ",")) else { return .none }
            return .some(range)
        }
        /// A string element followed by a comma.
        @inline(__always)
        func stringElement() -> Range<Int>? {
            let start = scanner.index
            guard start < n, bytes[start] == UInt8(ascii: "\""), (try? scanner.skipString()) != nil else { return nil }
            let range = start..<scanner.index
            return next(UInt8(ascii: ",")) ? range : nil
        }
        guard next(UInt8(ascii: "[")), let joinRef = refElement(), let ref = refElement(),
            let topicRange = stringElement(), let eventRange = stringElement(), scanner.index < n,
            bytes[scanner.index] > 0x20  // no whitespace before the payload either
        else { return nil }
        let payloadStart = scanner.index
        var replyMembers = ReplyMembers()
        var splitsReply = false
        do throws(DecodeError) {
            if direction == .server, bytes[payloadStart] == UInt8(ascii: "{"), EnvelopeField.isReplyEvent(scanner, eventRange) {
                try withUnsafeMutablePointer(to: &replyMembers) { (members) throws(DecodeError) in
                    try scanner.skipObject(depth: 1, replyMembers: members)
                }
                splitsReply = true
            } else {
                _ = try scanner.skipValue(depth: 1)
            }
        } catch {
            return nil
        }
        let payloadRange = payloadStart..<scanner.index
        guard next(UInt8(ascii: "]")), scanner.index == n else { return nil }

        let topic = scanner.decodeName(topicRange)
        let event = scanner.decodeName(eventRange)
        let reply = reply(frame, scanner, replyMembers, split: splitsReply, event: event, payload: payloadRange, from: direction)
        let base = frame.startIndex
        return PhoenixMessage(
            joinRef: joinRef.map { .string(scanner.decodeJoinRef($0)) },
            ref: ref.map { .string(scanner.decodeString($0)) },
            topic: topic,
            event: event,
            payload: .json(frame[(base + payloadRange.lowerBound)..<(base + payloadRange.upperBound)]),
            reply: reply,
            layout: .v2Array(extraElements: [])
        )
    }

    /// A server reply's status and response: found while its payload was skipped (`split`), or
    /// in a second pass when the event was written with escapes.
    @inline(__always)
    private static func reply(
        _ frame: Bytes, _ scanner: JSONScanner, _ members: ReplyMembers, split: Bool, event: String, payload: Range<Int>,
        from direction: Direction
    ) -> Reply? {
        if split { return PhoenixDecoder.reply(frame, scanner, members) }
        guard direction == .server, event == ReservedEvent.reply.rawValue else { return nil }
        return PhoenixDecoder.splitReply(frame, scanner.bytes, payload: payload)
    }

    /// Any V2 array, whitespace, refs of any JSON type and extra elements included.
    static func decodeAnyLayout(_ frame: Bytes, _ scanner: inout JSONScanner, from direction: Direction)
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
        let reply = reply(frame, scanner, replyMembers, split: splitsReply, event: event, payload: payloadRange, from: direction)
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
