/// A `ref` or `join_ref` as it appeared on the wire.
///
/// Phoenix documents refs as strings, and phoenix.js compares them with `===`. A real server
/// nevertheless accepts numbers and echoes them back as numbers, so the decoder keeps the JSON
/// type: the checker needs to point at a numeric ref, and the transcript must show the wire.
/// A JSON `null` is represented by `Optional.none` wherever a `Ref?` appears.
public enum Ref: Sendable, Hashable, CustomStringConvertible {
    /// A JSON string (or, in binary frames, the field's bytes).
    case string(String)
    /// A JSON number, kept as its literal text (`4`, `4.0`, `1e3` are different refs on the wire).
    case number(String)
    /// Any other JSON value (true, an object, ...), kept as its literal text.
    case other(String)

    /// The ref as a client author would read it: the string's contents, or the literal.
    public var description: String {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .other(let o): return o
        }
    }

    /// The JSON text of this ref, as it would be written in a V1 or V2 JSON frame.
    public var jsonText: String {
        switch self {
        case .string(let s): return JSONText.quoted(s)
        case .number(let n): return n
        case .other(let o): return o
        }
    }

    /// True for the form Phoenix documents: a JSON string.
    public var isString: Bool {
        if case .string = self { return true }
        return false
    }
}

extension Optional where Wrapped == Ref {
    /// `null` for a missing ref, the JSON text otherwise.
    public var jsonText: String { self?.jsonText ?? "null" }
}
