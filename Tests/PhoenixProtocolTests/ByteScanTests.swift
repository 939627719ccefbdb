@testable import PhoenixProtocol
import Testing

/// The word-at-a-time scans against a byte-by-byte reading of the same buffers: every position
/// of the byte that ends a run, within and across the 8-, 16-, 32- and 64-byte steps, and bytes that only
/// look special to a careless mask (0x80 and above, values next to the special ones).
@Suite struct ByteScanTests {
    private static func naiveJSONSpecial(_ bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } ?? bytes.count
    }

    private static func naiveNonASCII(_ bytes: [UInt8], from start: Int) -> Int {
        bytes[start...].firstIndex { $0 >= 0x80 } ?? bytes.count
    }

    private static func scans(_ bytes: [UInt8], from start: Int) -> (special: Int, nonASCII: Int) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return (start, start) }
            var seen: UInt64 = 0
            let special = ByteScan.firstJSONSpecial(base, from: start, to: bytes.count, seen: &seen)
            // What the scan passed over is in `seen`: a high byte before the result must show.
            if bytes[start..<special].contains(where: { $0 >= 0x80 }) {
                #expect(ByteScan.hasNonASCII(seen), "a byte above 0x7F before offset \(special) was not seen")
            }
            return (special, ByteScan.firstNonASCII(base, from: start, to: bytes.count))
        }
    }

    @Test func gathersEveryMaskIntoItsLaneBits() {
        // Each lane alone, then random masks: lane k is bit k, whatever the other lanes hold.
        var generator = SystemRandomNumberGenerator()
        let masks = (0..<16).map { 1 << $0 } + (0..<2_000).map { _ in Int.random(in: 0..<(1 << 16), using: &generator) }
        for mask in masks {
            var bytes = SIMD16<UInt8>(repeating: UInt8(ascii: "x"))
            for lane in 0..<16 where mask & (1 << lane) != 0 { bytes[lane] = UInt8(ascii: "\"") }
            #expect(ByteScan.lanes(ByteScan.jsonSpecials(bytes)) == UInt32(mask), "mask \(String(mask, radix: 2))")
        }
    }

    @Test(arguments: [UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x00, 0x0A, 0x1F, 0x80, 0xFF])
    func findsTheFirstSpecialByteAtEveryPosition(marker: UInt8) {
        for length in [1, 7, 8, 9, 31, 32, 33, 70, 80, 81, 95, 96, 97, 150] {
            for position in 0..<length {
                var bytes = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                bytes[position] = marker
                // A second marker later must not hide the first one.
                if position + 3 < length { bytes[position + 3] = marker }
                for start in [0, min(position, 3)] {
                    let got = Self.scans(bytes, from: start)
                    #expect(got.special == Self.naiveJSONSpecial(bytes, from: start), "length \(length), marker at \(position)")
                    #expect(got.nonASCII == Self.naiveNonASCII(bytes, from: start), "length \(length), marker at \(position)")
                }
            }
        }
    }

    @Test func agreesWithAByteByByteScanOnRandomText() {
        // Bytes next to the special values (0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F) are where a
        // mask with a borrow or a wrong constant would go wrong.
        let alphabet: [UInt8] = [0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0x1F, 0x01, 0x61, 0x7A]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...200, using: &generator)
            // Mostly plain text, so that runs of every length occur before the first special byte.
            let bytes = (0..<length).map { _ in
                Int.random(in: 0..<6, using: &generator) == 0 ? alphabet.randomElement(using: &generator)! : UInt8(ascii: "m")
            }
            let start = length == 0 ? 0 : Int.random(in: 0...length, using: &generator)
            let got = Self.scans(bytes, from: start)
            #expect(got.special == Self.naiveJSONSpecial(bytes, from: start), "\(bytes) from \(start)")
            #expect(got.nonASCII == Self.naiveNonASCII(bytes, from: start), "\(bytes) from \(start)")
        }
    }
}
