import PhoenixProtocol
import Testing

/// The word-at-a-time scans against a byte-by-byte reading of the same buffers: every position
/// of the byte that ends a run, within and across the 8- and 32-byte steps, and bytes that only
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
            return (ByteScan.firstJSONSpecial(base, from: start, to: bytes.count),
                    ByteScan.firstNonASCII(base, from: start, to: bytes.count))
        }
    }

    @Test(arguments: [UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x00, 0x0A, 0x1F, 0x80, 0xFF])
    func findsTheFirstSpecialByteAtEveryPosition(marker: UInt8) {
        for length in [1, 7, 8, 9, 31, 32, 33, 70] {
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
            let length = Int.random(in: 0...90, using: &generator)
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

/// The transcript's output buffer against the array-based writers it replaced.
@Suite struct ByteOutputTests {
    @Test func escapesLikeTheArrayWriterWhateverTheBytes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x00, 0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1F, 0x20, 0x22, 0x2F, 0x5C, 0x61, 0x7F, 0xC3, 0xA9]
        let out = ByteOutput(capacity: 16)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...100, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            var expected: [UInt8] = []
            JSONText.appendQuoted(bytes: bytes[...], to: &expected)
            out.removeAll()
            bytes.withUnsafeBufferPointer { out.appendQuoted($0) }
            #expect(out.bytes() == expected)
            // A JSON parser reads back exactly the bytes that went in.
            let decoded = try? JSONValue.parse(out.bytes()[...])
            if case .string(let s)? = decoded { #expect(Array(s.utf8) == bytes || !UTF8Validation.isValid(bytes)) }
        }
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
}

/// A server reply is split into status and response while its payload is validated; a reply
/// whose event is written with escapes takes the older second pass. Both must agree.
@Suite struct ReplySplitTests {
    static let payloads = [
        #"{"status":"ok","response":{"a":1}}"#,
        #"{"response":{"status":"nested"},"status":"error"}"#,
        #"{ "status" : "ok" , "response" : [1, {"status": 2}] }"#,
        #"{"status":"ok","status":"error","response":null}"#,
        #"{"status":1,"response":{}}"#,
        #"{"status":"ok","status":2,"response":"x"}"#,
        #"{"st\u0061tus":"ok","resp\u006fnse":true}"#,
        #"{"status":"ok"}"#,
        #"{"response":{}}"#,
        #"{}"#,
        #"{"statuses":"ok","response":1}"#,
        #"[1,2]"#,
        #""text""#,
    ]

    @Test(arguments: payloads)
    func singlePassSplitsLikeTheSecondPass(payload: String) throws {
        let plain = Array(#"["1","2","room:1","phx_reply",\#(payload)]"#.utf8)
        let escaped = Array(#"["1","2","room:1","phx\u005freply",\#(payload)]"#.utf8)
        let a = try PhoenixDecoder.decode(plain[...], opcode: .text, from: .server, serializer: .v2)
        let b = try PhoenixDecoder.decode(escaped[...], opcode: .text, from: .server, serializer: .v2)
        #expect(a.event == "phx_reply" && b.event == "phx_reply")
        #expect(a.reply == b.reply)
        #expect(a.payload == b.payload)
    }

    @Test func splitsTheLastStringStatusAndTheTopLevelResponse() throws {
        let frame = Array(#"["1","2","room:1","phx_reply",{"response":{"status":"nested"},"status":"ok","status":3}]"#.utf8)
        let reply = try PhoenixDecoder.decode(frame[...], opcode: .text, from: .server, serializer: .v2).reply
        #expect(reply?.status == "ok")
        #expect(reply.map { Array($0.response.bytes) } == Array(#"{"status":"nested"}"#.utf8))
    }

    @Test func clientMessagesAreNotSplit() throws {
        let frame = Array(#"["1","2","room:1","phx_reply",{"status":"ok","response":{}}]"#.utf8)
        #expect(try PhoenixDecoder.decode(frame[...], opcode: .text, from: .client, serializer: .v2).reply == nil)
    }
}
