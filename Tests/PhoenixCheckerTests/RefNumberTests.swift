@testable import PhoenixChecker
import PhoenixProtocol
import TestSupport
import Testing

/// The number a string ref spells, which the checker compares with the previous one
/// (`non-monotonic-ref`), against `Int(_:)` reading the same text.
@Suite struct RefNumberTests {
    @Test func readsRefNumbersAsIntDoes() {
        var texts = ["", "0", "7", "007", "42", "+5", "-3", "-0", "1e3", "4.0", " 1", "1 ", "x", "١٢", "12a",
                     "999999999999999999", "9999999999999999999", "9223372036854775807", "9223372036854775808",
                     "-9223372036854775808", "00000000000000000000001"]
        var rng = SplitMix64(seed: 0x5245_4653)
        let alphabet = Array("0123456789+-. e")
        for _ in 0..<5_000 {
            texts.append(String((0..<Int.random(in: 0...22, using: &rng)).map { _ in
                Int.random(in: 0..<4, using: &rng) == 0 ? alphabet.randomElement(using: &rng)! : "7"
            }))
        }
        for text in texts {
            #expect(Ref.string(text).stringInteger == Int(text), "\(text)")
            // Numbers and other values are not what `non-monotonic-ref` compares.
            #expect(Ref.number(text).stringInteger == nil && Ref.other(text).stringInteger == nil, "\(text)")
        }
    }
}
