import PhoenixProtocol
import TestSupport
import Testing

/// String literals of every length around the decoder's 16-byte first test, as payload values
/// and keys, against a byte-by-byte reading of JSON's string grammar: a frame decodes exactly
/// when its literal is valid, and then keeps its bytes as they were.
@Suite struct StringLiteralTests {
    enum Verdict: Equatable {
        case valid
        /// Refused at this offset of the literal (a control character, a bad escape), with the
        /// scanner's words for what it expected there.
        case refused(at: Int, expected: String)
        /// Refused after the literal ended early (a stray quote, a final backslash).
        case refusedLater
    }

    /// Reads `literal` (quotes included) as JSON's grammar does, byte by byte: plain bytes from
    /// 0x20 up except `"` and `\`, escapes `\" \\ \/ \b \f \n \r \t` and `\u` with four hex
    /// digits, and a closing quote as its last byte. UTF-8 is the frame check's, not this one's.
    static func verdict(_ literal: [UInt8]) -> Verdict {
        var i = 1
        while i < literal.count {
            let b = literal[i]
            if b == UInt8(ascii: "\"") { return i == literal.count - 1 ? .valid : .refusedLater }
            if b < 0x20 { return .refused(at: i, expected: "no raw control character inside a string") }
            if b == UInt8(ascii: "\\") {
                guard i + 1 < literal.count - 1 else { return .refusedLater }
                let e = literal[i + 1]
                if Array("\"\\/bfnrt".utf8).contains(e) {
                    i += 2
                } else if e == UInt8(ascii: "u") {
                    let hex = Array("0123456789abcdefABCDEF".utf8)
                    for j in (i + 2)..<(i + 6) where j >= literal.count - 1 || !hex.contains(literal[j]) {
                        return j >= literal.count - 1 ? .refusedLater : .refused(at: j, expected: "4 hex digits after \\u")
                    }
                    i += 6
                } else {
                    return .refused(at: i + 1, expected: "a valid escape after '\\'")
                }
                continue
            }
            i += 1
        }
        return .refusedLater
    }

    /// Pieces of literal text: plain, two-byte UTF-8 and a byte that is never UTF-8, good and
    /// bad escapes, a raw control character, a stray quote. None is `,` `:` `{` `}`, so a
    /// literal that ends early leaves bytes no JSON reading can accept.
    static let pieces: [[UInt8]] = [
        "a", "a", "a", "abcdefgh", "é", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\uD83D", "\\x", "\\u12", "\u{01}",
        "\u{1F}", "\"", " ", "\\",
    ].map { Array($0.utf8) } + [[0xFF]]

    @Test func literalsAroundTheFirstBlockDecodeExactlyWhenValid() throws {
        var rng = SplitMix64(seed: 0x5354_524C)
        var counts: [String: Int] = [:]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...9, using: &rng)).flatMap { _ in Self.pieces.randomElement(using: &rng)! }
            let literal = [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")]
            let verdict = Self.verdict(literal)
            // Padding after the literal decides whether 16 bytes follow its opening quote.
            let padding = String(repeating: "p", count: Int.random(in: 0...24, using: &rng))
            let asValue = (Array("{\"k\":".utf8), literal, Array(",\"\(padding)\":1}".utf8))
            let asKey = (Array("{".utf8), literal, Array(":\"\(padding)\"}".utf8))
            for (before, literal, after) in [asValue, asKey] {
                let envelope = Array("[\"1\",\"2\",\"room:lobby\",\"msg\",".utf8)
                let frame = envelope + before + literal + after + Array("]".utf8)
                let shown = String(decoding: literal, as: UTF8.self)
                let result = Result { () throws(DecodeError) in
                    try PhoenixDecoder.decode(frame[...], opcode: .text, from: .client, serializer: .v2)
                }
                if let bad = UTF8Validation.firstInvalidOffset(frame[...]) {
                    #expect(throws: DecodeError.invalidUTF8(context: "text frame", offset: bad)) { try result.get() }
                    counts["not UTF-8", default: 0] += 1
                    continue
                }
                switch (verdict, result) {
                case (.valid, .success(let message)):
                    #expect(Array(message.payload.bytes) == before + literal + after, "\(shown)")
                case (.refused(let at, let expected), .failure(let error)):
                    #expect(error == .invalidJSON(offset: envelope.count + before.count + at, expected: expected), "\(shown)")
                case (.refusedLater, .failure):
                    break
                default:
                    Issue.record("\(shown): expected \(verdict), got \(result)")
                }
                switch verdict {
                case .valid: counts["valid", default: 0] += 1
                case .refused: counts["refused inside", default: 0] += 1
                case .refusedLater: counts["refused later", default: 0] += 1
                }
            }
        }
        // Every kind must be common, or the test says little.
        #expect(counts.count == 4 && counts.values.allSatisfy { $0 > 2_000 }, "\(counts)")
    }
}
