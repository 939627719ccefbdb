/// A parsed JSON value, for the few places that need one (reply status, presence diffs,
/// reading transcripts). Numbers keep their literal text and objects keep their key order,
/// so nothing is lost between the wire and the value.
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n): hasher.combine(n)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o):
            for member in o {
                hasher.combine(member.key)
                hasher.combine(member.value)
            }
        }
    }

    /// Parses a complete JSON text, leaving out the members of the top-level object that
    /// `skipping` names: they are validated but not built. A reader that needs a few fields of
    /// a long line (a transcript's message, whose payload it does not use) builds only those.
    public static func parse(_ bytes: Bytes, skipping: Set<String> = []) throws(DecodeError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(DecodeError) -> JSONValue in
            var scanner = JSONScanner(buffer)
            let value = try scanner.parseValue(skipping: skipping)
            try scanner.expectEnd()
            return value
        }
    }

    /// Parses a complete JSON text given as a string.
    public static func parse(_ text: String) throws(DecodeError) -> JSONValue {
        try parse(Bytes(text.utf8))
    }

    /// The member `key` of an object (the last one if repeated, as Elixir's Jason does).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectMembers: [(key: String, value: JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// A number's value as a `Double` (large integers lose precision).
    public var numberValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The JSON type name, for messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Compact JSON text of this value.
    public var jsonText: String {
        var out: [UInt8] = []
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON text of this value.
    public func append(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): JSONText.appendQuoted(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.append(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (i, m) in o.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(m.key, to: &out)
                out.append(UInt8(ascii: ":"))
                m.value.append(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

extension JSONScanner {
    /// Parses one value into a `JSONValue`; if it is an object, without the members that
    /// `skipping` names (nested objects keep all theirs).
    mutating func parseValue(depth: Int = 0, skipping: Set<String> = []) throws(DecodeError) -> JSONValue {
        guard let first = peek() else { throw fail("a value") }
        switch first {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw fail("nesting of at most \(Self.maxDepth) levels") }
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            if peek() == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("a string key") }
                let start = index
                try skipString()
                let key = decodeString(start..<index)
                try expect(UInt8(ascii: ":"), "':'")
                if !skipping.isEmpty, skipping.contains(key) {
                    _ = try skipValue(depth: depth + 1)
                } else {
                    members.append((key, try parseValue(depth: depth + 1)))
                }
                skipWhitespace()
                guard index < bytes.count else { throw fail("',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw fail("',' or '}'")
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail("nesting of at most \(Self.maxDepth) levels") }
            index += 1
            var elements: [JSONValue] = []
            if peek() == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("',' or ']'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw fail("',' or ']'")
            }
        default:
            let range = try skipValue(depth: depth)
            switch bytes[range.lowerBound] {
            case UInt8(ascii: "\""): return .string(decodeString(range))
            case UInt8(ascii: "t"): return .bool(true)
            case UInt8(ascii: "f"): return .bool(false)
            case UInt8(ascii: "n"): return .null
            default: return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
            }
        }
    }
}
