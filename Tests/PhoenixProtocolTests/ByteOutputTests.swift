import PhoenixProtocol
import Testing

/// The transcript's output buffer against plain byte-by-byte writers.
@Suite struct ByteOutputTests {
    /// JSON's escapes (RFC 8259 section 7) one byte at a time: the reference for the block escaper.
    static func naiveQuoted(_ bytes: [UInt8]) -> [UInt8] {
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0..<0x20: out += Array(#"\u00"#.utf8) + [hexDigits[Int(b >> 4)], hexDigits[Int(b & 0xF)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    @Test func escapesLikeAByteByByteWriterWhateverTheBytes() {
        var generator = SystemRandomNumberGenerator()
        // 0x20, 0x21 and 0x23 sit next to the special bytes in the escaper's comparisons.
        let alphabet: [UInt8] = [0x00, 0x02, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x2F, 0x5C, 0x5D, 0x61, 0x7F, 0xC3, 0xA9]
        let out = ByteOutput(capacity: 16)
        for round in 0..<5_000 {
            // Dense specials, then plain text with rare ones (1 in 20) and very rare ones (1 in
            // 200): runs cross the 8-, 16- and 64-byte pieces that are copied before they are
            // checked, and the escaper goes from long steps to blocks and back.
            let rarity = [1, 20, 200][round % 3]
            let length = Int.random(in: 0...(rarity == 1 ? 100 : 600), using: &generator)
            let bytes = (0..<length).map { _ in
                Int.random(in: 0..<rarity, using: &generator) == 0
                    ? alphabet.randomElement(using: &generator)! : UInt8(ascii: "x")
            }
            let expected = Self.naiveQuoted(bytes)
            out.removeAll()
            bytes.withUnsafeBufferPointer { out.appendQuoted($0) }
            #expect(out.bytes() == expected)
            // The array writer shares the escaper: same bytes through it.
            var viaArray: [UInt8] = []
            JSONText.appendQuoted(bytes: bytes[...], to: &viaArray)
            #expect(viaArray == expected)
            // A JSON parser reads back exactly the bytes that went in.
            let decoded = try? JSONValue.parse(out.bytes()[...])
            if case .string(let s)? = decoded { #expect(Array(s.utf8) == bytes || !UTF8Validation.isValid(bytes[...])) }
        }
    }

    @Test func escapesShortTextsLikeAByteByByteWriter() {
        // Every length up to just past the two words short texts are written as, mostly plain
        // (names), with a special byte, or one next to a special value, at every position.
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x00, 0x01, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0xFF]
        let out = ByteOutput(capacity: 16)
        for length in 0...18 {
            for _ in 0..<400 {
                var bytes = (0..<length).map { _ in UInt8.random(in: 0x61...0x7A, using: &generator) }
                if length > 0, Bool.random(using: &generator) {
                    bytes[Int.random(in: 0..<length, using: &generator)] = alphabet.randomElement(using: &generator)!
                }
                out.removeAll()
                out.append(UInt8(ascii: "["))
                bytes.withUnsafeBufferPointer { out.appendQuoted($0) }
                out.append(UInt8(ascii: "]"))
                #expect(out.bytes() == [UInt8(ascii: "[")] + Self.naiveQuoted(bytes) + [UInt8(ascii: "]")], "\(bytes)")
            }
        }
    }

    @Test func writesNumbersLikeTheirDecimalText() {
        var generator = SystemRandomNumberGenerator()
        let out = ByteOutput(capacity: 16)
        var samples: [UInt64] = [0, 1, 9, 10, 11, 99, 100, 101, 999_999, 1_000_000, UInt64.max, UInt64.max - 1]
        for _ in 0..<2_000 { samples.append(UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator)) }
        for n in samples {
            out.removeAll()
            out.appendDigits(n)
            #expect(String(decoding: out.bytes(), as: UTF8.self) == String(n))
            let width = Int.random(in: 1...20, using: &generator)
            out.removeAll()
            out.appendDigits(n, minimumWidth: width)
            let padded = String(repeating: "0", count: max(0, width - String(n).count)) + String(n)
            #expect(String(decoding: out.bytes(), as: UTF8.self) == padded)
            for decimals in [0, 1, 6, 7, 19, 20] {
                out.removeAll()
                out.appendFixedPoint(n, decimals: decimals)
                let digits = String(repeating: "0", count: max(0, decimals + 1 - String(n).count)) + String(n)
                let expected = String(digits.dropLast(decimals)) + "." + String(digits.suffix(decimals))
                #expect(String(decoding: out.bytes(), as: UTF8.self) == expected, "\(n) with \(decimals) decimals")
            }
        }
    }

    @Test func aRepeatedFixedPointNumberIsWrittenAsTheFirstTime() {
        // Records of one packet share their time: the second and later ones are written from
        // what the first wrote, and only for the same number with the same decimals.
        let out = ByteOutput(capacity: 16)
        for n: UInt64 in [1_795_953_267_217_714, 1_795_953_267_217_714, 1_795_953_267_217_715, 7, 7] {
            out.appendFixedPoint(n, decimals: 6, repeating: true)
            out.append(UInt8(ascii: ","))
            // A number written between repeats (a round trip) leaves the last one in place.
            out.appendFixedPoint(258, decimals: 6)
            out.append(UInt8(ascii: ","))
        }
        out.appendFixedPoint(7, decimals: 2, repeating: true)
        out.append(UInt8(ascii: ","))
        out.appendFixedPoint(UInt64.max, decimals: 20, repeating: true)
        out.appendFixedPoint(UInt64.max, decimals: 20, repeating: true)
        out.appendFixedPoint(UInt64.max, decimals: 0, repeating: true)
        #expect(String(decoding: out.bytes(), as: UTF8.self)
            == "1795953267.217714,0.000258,1795953267.217714,0.000258,1795953267.217715,0.000258,"
            + "0.000007,0.000258,0.000007,0.000258,0.07,"
            + "0.184467440737095516150.1844674407370955161518446744073709551615.")
    }

    @Test func writesDigitsKeysAndGrowsPastItsCapacity() {
        let out = ByteOutput(capacity: 16)
        out.appendKey("conn", first: true)
        out.appendDigits(0)
        out.appendKey("seq", first: false)
        out.appendDigits(18_446_744_073_709_551_615)
        out.appendKey("micros", first: false)
        out.appendDigits(42, minimumWidth: 6)
        out.append(UInt8(ascii: "!"))
        #expect(String(decoding: out.bytes(), as: UTF8.self) == #""conn":0,"seq":18446744073709551615,"micros":000042!"#)
        let prefix = out.count
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000)
        long.withUnsafeBytes { out.append($0) }
        #expect(out.count == prefix + 100_000)
        let grownIntact = out.bytes(from: prefix) == long
        #expect(grownIntact)
    }

    /// Constant text of every length up to past the 16 bytes copied with two overlapping moves,
    /// as keys and as whole members, lands byte for byte.
    @Test func constantTextOfEveryShortLengthIsCopiedExactly() {
        let texts: [StaticString] = [
            "", "a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghij",
            "abcdefghijk", "abcdefghijkl", "abcdefghijklm", "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnop",
            "abcdefghijklmnopq", "abcdefghijklmnopqr", "abcdefghijklmnopqrs", "abcdefghijklmnopqrst",
        ]
        let out = ByteOutput(capacity: 16)
        var expected = ""
        for (i, text) in texts.enumerated() {
            out.append(UInt8(ascii: "|"))
            out.append(text)
            out.appendKey(text, first: i % 2 == 0)
            expected += "|\(text)" + (i % 2 == 0 ? "" : ",") + "\"\(text)\":"
        }
        #expect(String(decoding: out.bytes(), as: UTF8.self) == expected)
    }
}
