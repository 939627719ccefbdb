import PhoenixProtocol

extension Ref {
    /// The integer a string ref spells, exactly as `Int(_:)` reads its text; nil for numbers
    /// and other JSON values (whose refs phoenix.js never sends). Plain digits, what clients
    /// send, are read here: the generic parser cost more than the other ref checks of a push
    /// together. Signs, long or other text go to `Int(_:)`.
    var stringInteger: Int? {
        guard kind == .string else { return nil }
        var text = text
        let plain: Int? = text.withUTF8 { bytes in
            guard (1...18).contains(bytes.count) else { return nil }
            var value = 0
            for byte in bytes {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value &* 10 &+ Int(digit)
            }
            return value
        }
        return plain ?? Int(text)
    }
}
