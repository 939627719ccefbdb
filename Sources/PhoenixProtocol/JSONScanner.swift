/// Where a reply payload's `status` and `response` values lie, found while skipping it.
struct ReplyMembers {
    var status: Range<Int>?
    var response: Range<Int>?
}

/// A validating JSON scanner over borrowed bytes.
///
/// Decoding a Phoenix envelope needs the five top-level elements and nothing inside the
/// payload, so the scanner can *skip* a value (checking it is valid JSON) and report its byte
/// range instead of building it. That is most of the decoder's speed. Offsets are relative to
/// the start of `bytes`, which is also what error messages report.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int = 0
    /// The OR of the string bytes scanned so far (see `ByteScan.firstJSONSpecial`). Outside
    /// strings JSON is ASCII, so text that parsed with no high bit here is valid UTF-8.
    private var stringBytesSeen: UInt64 = 0
    /// Where envelope names (topic, event, reply status) are looked up first; nil builds each.
    var names: UnsafeMutablePointer<NameCache>?

    /// Whether a string scanned so far held a byte above 0x7F (false: all ASCII).
    var sawNonASCII: Bool { ByteScan.hasNonASCII(stringBytesSeen) }

    /// Deeper nesting is refused so that hostile frames cannot exhaust the stack.
    static let maxDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { index >= bytes.count }

    func fail(_ expected: String) -> DecodeError {
        .invalidJSON(offset: index, expected: expected)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(DecodeError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw fail(what) }
        index += 1
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws(DecodeError) {
        skipWhitespace()
        guard isAtEnd else { throw fail("end of text after the top-level value") }
    }

    /// Skips one value, validating it, and returns its byte range (without surrounding space).
    mutating func skipValue(depth: Int = 0) throws(DecodeError) -> Range<Int> {
        skipWhitespace()
        guard index < bytes.count else { throw fail("a value") }
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"):
            try skipObject(depth: depth, replyMembers: nil)
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail("nesting of at most \(Self.maxDepth) levels") }
            index += 1
            if peek() == UInt8(ascii: "]") {
                index += 1
            } else {
                while true {
                    _ = try skipValue(depth: depth + 1)
                    skipWhitespace()
                    guard index < bytes.count else { throw fail("',' or ']'") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                    throw fail("',' or ']'")
                }
            }
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        default:
            throw fail("a value")
        }
        return start..<index
    }

    /// Skips the object at `index`, and notes where its `status` (when a string) and `response`
    /// members are if `replyMembers` is given: a server reply is split while it is validated,
    /// instead of being scanned a second time. A repeated key counts for its last occurrence.
    mutating func skipObject(depth: Int, replyMembers: UnsafeMutablePointer<ReplyMembers>?) throws(DecodeError) {
        guard depth < Self.maxDepth else { throw fail("nesting of at most \(Self.maxDepth) levels") }
        index += 1
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("a string key") }
            let keyStart = index
            let escaped = try skipString()
            let key = keyStart..<index
            try expect(UInt8(ascii: ":"), "':'")
            let value = try skipValue(depth: depth + 1)
            if let replyMembers {
                switch memberName(key, escaped: escaped) {
                case .status where bytes[value.lowerBound] == UInt8(ascii: "\""): replyMembers.pointee.status = value
                case .response: replyMembers.pointee.response = value
                default: break
                }
            }
            skipWhitespace()
            guard index < bytes.count else { throw fail("',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw fail("',' or '}'")
        }
    }

    private enum ReplyMember { case status, response, other }

    /// Which reply member the key string at `key` (quotes included) names.
    private func memberName(_ key: Range<Int>, escaped: Bool) -> ReplyMember {
        if escaped {
            // Rare enough to decode: `"st\u0061tus"` is still `status`.
            switch decodeString(key) {
            case "status": return .status
            case "response": return .response
            default: return .other
            }
        }
        let inner = (key.lowerBound + 1)..<(key.upperBound - 1)
        if text(at: inner, is: "status") { return .status }
        if text(at: inner, is: "response") { return .response }
        return .other
    }

    /// Whether the bytes at `range` are exactly `word`.
    @inline(__always)
    func text(at range: Range<Int>, is word: StaticString) -> Bool {
        range.upperBound <= bytes.count && ByteScan.equals(UnsafeBufferPointer(rebasing: bytes[range]), word)
    }

    private mutating func skipLiteral(_ word: StaticString) throws(DecodeError) {
        let n = word.utf8CodeUnitCount
        guard text(at: index..<(index + n), is: word) else { throw fail("'\(word)'") }
        index += n
    }

    /// JSON numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func skipNumber() throws(DecodeError) {
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a digit") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a digit after '.'") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a digit in the exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
    }

    private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// Skips a string starting at `index` (which must be a quote). Returns true if it had escapes.
    ///
    /// Most strings (refs, topics, events, keys) end within the 16 bytes after their quote: one
    /// vector test finds the closing quote there, inline. The others, and any with an escape or
    /// a control character in that block, go through `skipLongString`, whose set-up for long
    /// runs had cost more than the test itself on every short string.
    @inline(__always)
    @discardableResult
    mutating func skipString() throws(DecodeError) -> Bool {
        let first = index &+ 1
        if first &+ 16 <= bytes.count, let base = bytes.baseAddress {
            var block = SIMD16<UInt8>(repeating: 0)
            if let end = ByteScan.special(inBlockAt: first, of: UnsafeRawPointer(base), passed: &block),
                base[end] == UInt8(ascii: "\"")
            {
                // The whole block, as `firstJSONSpecial` notes it: bytes past the quote are
                // JSON outside strings (ASCII) or the start of another string.
                stringBytesSeen |= ByteScan.or(of: block)
                index = end &+ 1
                return false
            }
        }
        return try skipLongString()
    }

    /// `skipString` for strings that do not end plainly within 16 bytes.
    @inline(never)
    private mutating func skipLongString() throws(DecodeError) -> Bool {
        index += 1
        var escaped = false
        let base = UnsafeRawPointer(bytes.baseAddress)
        while index < bytes.count {
            if let base { index = ByteScan.firstJSONSpecial(base, from: index, to: bytes.count, seen: &stringBytesSeen) }
            guard index < bytes.count else { break }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return escaped
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                index += 1
                guard index < bytes.count else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard index < bytes.count, hexValue(bytes[index]) != nil else { throw fail("4 hex digits after \\u") }
                        index += 1
                    }
                default:
                    throw fail("a valid escape after '\\'")
                }
                continue
            }
            guard b >= 0x20 else { throw fail("no raw control character inside a string") }
            index += 1
        }
        throw fail("'\"' to end the string")
    }

    /// Decodes a join_ref string literal like `decodeString`, through the last one `names` kept.
    func decodeJoinRef(_ range: Range<Int>) -> String {
        guard let names else { return decodeString(range) }
        return names.pointee.joinRefString(inside(range)) ?? decodeString(range)
    }

    /// Decodes a name (topic, event, reply status) occupying `range` like `decodeString`,
    /// through `names` when there is one and the literal has no escapes.
    func decodeName(_ range: Range<Int>) -> String {
        guard let names else { return decodeString(range) }
        return names.pointee.string(inside(range)) ?? decodeString(range)
    }

    /// The bytes between the quotes of the string literal at `range`.
    @inline(__always)
    private func inside(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes.baseAddress! + range.lowerBound + 1, count: range.count - 2)
    }

    /// Decodes the string literal occupying `range` (quotes included), which was validated.
    ///
    /// Inside a validated string the only special byte left is the backslash, so the text
    /// between escapes is copied a run at a time: transcripts carry whole frames as escaped
    /// strings, where byte-by-byte appends had cost more than reading the rest of the line.
    func decodeString(_ range: Range<Int>) -> String {
        let inner = UnsafeBufferPointer(rebasing: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)])
        guard let base = inner.baseAddress, inner.contains(UInt8(ascii: "\\")) else {
            return String(decoding: inner, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var i = 0
        var pendingHigh: UInt32?
        func appendScalar(_ v: UInt32, _ out: inout [UInt8]) {
            let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        var ignored: UInt64 = 0
        while i < inner.count {
            let escape = ByteScan.firstJSONSpecial(UnsafeRawPointer(base), from: i, to: inner.count, seen: &ignored)
            if escape > i {
                if let h = pendingHigh { appendScalar(h, &out); pendingHigh = nil }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: inner[i..<escape]))
                i = escape
                continue
            }
            let e = inner[i + 1]
            i += 2
            if e == UInt8(ascii: "u") {
                var v: UInt32 = 0
                for k in 0..<4 { v = v << 4 | UInt32(hexValue(inner[i + k])!) }
                i += 4
                if let h = pendingHigh {
                    pendingHigh = nil
                    if (0xDC00...0xDFFF).contains(v) {
                        appendScalar(0x10000 + ((h - 0xD800) << 10) + (v - 0xDC00), &out)
                        continue
                    }
                    appendScalar(h, &out)
                }
                if (0xD800...0xDBFF).contains(v) { pendingHigh = v; continue }
                appendScalar(v, &out)
                continue
            }
            if let h = pendingHigh { appendScalar(h, &out); pendingHigh = nil }
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            default: out.append(e)  // \" \\ \/
            }
        }
        if let h = pendingHigh { appendScalar(h, &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The JSON type name of the value starting at `offset`, for error messages.
    func typeName(at offset: Int) -> String {
        guard offset < bytes.count else { return "nothing" }
        switch bytes[offset] {
        case UInt8(ascii: "\""): return "string"
        case UInt8(ascii: "{"): return "object"
        case UInt8(ascii: "["): return "array"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "number"
        }
    }
}
