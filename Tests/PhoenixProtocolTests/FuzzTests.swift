import PhoenixProtocol
import TestSupport
import Testing

/// 100,000 random and mutated frames through every decoder: each must return a message or a
/// typed error, never crash or hang. The generator is seeded, so a failure reproduces.
@Suite struct FuzzTests {
    @Test func hundredThousandRandomAndMutatedFrames() throws {
        var rng = SplitMix64(seed: 0x5048_5854_4150)
        let seeds = try CaptureFixtures.allExpectedMessages().map(\.bytes).filter { $0.count < 4096 }
        let tokens: [[UInt8]] = ["[", "]", "{", "}", "\"", ",", ":", "null", "\\u00", "\\", "1e", "-", "phx_reply", "\"status\"", "\u{FF}"]
            .map { Array($0.utf8) }
        var decoded = 0
        var rejected = 0
        for i in 0..<100_000 {
            var frame: [UInt8]
            switch i % 4 {
            case 0:  // pure noise, mostly short
                frame = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1:  // a real frame with bytes flipped
                frame = seeds.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !frame.isEmpty {
                    frame[Int.random(in: 0..<frame.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 2:  // a real frame cut short or with JSON tokens spliced in
                frame = seeds.randomElement(using: &rng)!
                if Bool.random(using: &rng) {
                    frame = Array(frame.prefix(Int.random(in: 0...frame.count, using: &rng)))
                } else {
                    frame.insert(contentsOf: tokens.randomElement(using: &rng)!, at: Int.random(in: 0...frame.count, using: &rng))
                }
            default:  // binary headers with random sizes
                frame = [UInt8.random(in: 0...3, using: &rng)] + (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...12, using: &rng) }
            }
            for opcode in [DataOpcode.text, .binary] {
                for direction in Direction.allCases {
                    for serializer in [Serializer.v1, .v2] {
                        // A text frame is refused as bad UTF-8 exactly when it is not UTF-8,
                        // though all-ASCII JSON is not run through the UTF-8 check.
                        let utf8Error = UTF8Validation.firstInvalidOffset(frame[...]).map { DecodeError.invalidUTF8(context: "text frame", offset: $0) }
                        if opcode == .text, !frame.isEmpty {
                            let result = Result { () throws(DecodeError) in
                                try PhoenixDecoder.decode(frame[...], opcode: .text, from: direction, serializer: serializer)
                            }
                            if let utf8Error {
                                #expect(throws: utf8Error) { try result.get() }
                            } else if case .failure(let error) = result {
                                #expect(error.description.contains("UTF-8") == false, "\(error)")
                            }
                        }
                        do {
                            let m = try PhoenixDecoder.decode(frame[...], opcode: opcode, from: direction, serializer: serializer)
                            _ = try? PhoenixEncoder.encode(m, serializer: serializer, from: direction)
                            _ = m.payload.jsonValue()
                            decoded += 1
                        } catch {
                            _ = error.description
                            rejected += 1
                        }
                    }
                }
            }
        }
        #expect(decoded + rejected == 800_000)
        #expect(decoded > 10_000, "the mutations should keep many frames decodable")
        #expect(rejected > 100_000)
    }
}
