/// A `ref` or `join_ref` as it appeared on the wire.
///
/// Phoenix documents refs as strings, and phoenix.js compares them with `===`. A real server
/// nevertheless accepts numbers and echoes them back as numbers, so the decoder keeps the JSON
/// type: the checker needs to point at a numeric ref, and the transcript must show the wire.
/// A JSON `null` is represented by `Optional.none` wherever a `Ref?` appears.
///
/// A kind and a text rather than an enum with a string in each case: every message carries
/// two refs, copied along with it several times, and such an enum (an optional one above all)
/// was copied through its type's generic copy functions.
public struct Ref: Sendable, Hashable, CustomStringConvertible {
    /// The JSON type of a ref on the wire.
    public enum Kind: UInt8, Sendable, Hashable {
        /// A JSON string (or, in binary frames, the field's bytes).
        case string
        /// A JSON number, kept as its literal text (`4`, `4.0`, `1e3` are different refs on the wire).
        case number
        /// Any other JSON value (true, an object, ...), kept as its literal text.
        case other
    }

    // The text first: laid out after it, the kind takes the byte past the string instead of
    // a word of its own before it.
    /// The string's contents, or the literal text of a number or other value.
    public let text: String
    public let kind: Kind

    public init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    /// A JSON string ref.
    public static func string(_ s: String) -> Ref { Ref(kind: .string, text: s) }
    /// A JSON number ref, as its literal text.
    public static func number(_ literal: String) -> Ref { Ref(kind: .number, text: literal) }
    /// Any other JSON value as a ref, as its literal text.
    public static func other(_ literal: String) -> Ref { Ref(kind: .other, text: literal) }

    /// The ref as a client author would read it: the string's contents, or the literal.
    public var description: String { text }

    /// The JSON text of this ref, as it would be written in a V1 or V2 JSON frame.
    public var jsonText: String { kind == .string ? JSONText.quoted(text) : text }

    /// True for the form Phoenix documents: a JSON string.
    public var isString: Bool { kind == .string }
}

extension Optional where Wrapped == Ref {
    /// `null` for a missing ref, the JSON text otherwise.
    public var jsonText: String { self?.jsonText ?? "null" }
}
