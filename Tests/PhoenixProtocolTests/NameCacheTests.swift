@testable import PhoenixProtocol
import TestSupport
import Testing

/// Decoding names through a connection's cache gives what decoding them afresh gives.
@Suite struct NameCacheTests {
    /// What a lookup of `bytes` must give: nil for names the caller decodes itself (an escape,
    /// more than 16 bytes), else the string `String(decoding:as:)` makes of them.
    private static func expectDecodedAfresh(_ got: String?, _ bytes: [UInt8]) {
        if bytes.contains(0x5C) || bytes.count > 16 {
            #expect(got == nil)
        } else {
            #expect(got.map { Array($0.utf8) } == Array(String(decoding: bytes, as: UTF8.self).utf8))
        }
    }

    @Test func givesTheStringsOfTheBytesWhateverCameBefore() {
        var rng = SplitMix64(seed: 0x6E61_6D65)
        var cache = NameCache()
        // A small alphabet with a backslash, invalid UTF-8 and a zero byte, lengths around the
        // 8- and 16-byte words: names repeat (hits), collide in their padding, and evict.
        let alphabet: [UInt8] = [0x00, 0x5C, 0x61, 0x62, 0x3A, 0xC3, 0xA9, 0xFF]
        for _ in 0..<50_000 {
            let length = Int.random(in: 0...20, using: &rng)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            Self.expectDecodedAfresh(bytes.withUnsafeBufferPointer { cache.string($0) }, bytes)
        }
    }

    @Test func joinRefsGiveTheStringsOfTheirBytesWhateverCameBefore() {
        // The last join_ref is kept: repeats (hits), changes, padding collisions, escapes.
        var rng = SplitMix64(seed: 0x6A72_6566)
        var cache = NameCache()
        let alphabet: [UInt8] = [0x00, 0x5C, 0x30, 0x31, 0xC3, 0xA9, 0xFF]
        var last: [UInt8] = []
        for _ in 0..<20_000 {
            let bytes = Int.random(in: 0..<3, using: &rng) == 0 ? last
                : (0..<Int.random(in: 0...18, using: &rng)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }
            last = bytes
            Self.expectDecodedAfresh(bytes.withUnsafeBufferPointer { cache.joinRefString($0) }, bytes)
        }
    }

    @Test func namesBecomeTheirBytesInTwoWordsWithZerosPastTheEnd() {
        var rng = SplitMix64(seed: 0x776F_7264)
        for length in 0...16 {
            for _ in 0..<200 {
                // Read from inside a larger buffer, as names lie inside frames: bytes around the
                // name must not leak into its words.
                let around = (0..<(length + 16)).map { _ in UInt8.random(in: 1...255, using: &rng) }
                let name = Array(around[8..<(8 + length)])
                var expected: (UInt64, UInt64) = (0, 0)
                for (i, b) in name.enumerated() {
                    if i < 8 { expected.0 |= UInt64(b) << UInt64(8 * i) } else { expected.1 |= UInt64(b) << UInt64(8 * (i - 8)) }
                }
                let got = around.withUnsafeBytes { NameCache.words($0.baseAddress! + 8, count: length) }
                #expect(got.0 == expected.0 && got.1 == expected.1, "length \(length)")
            }
        }
    }

    @Test func decodingWithACacheGivesTheSameMessages() throws {
        var names = NameCache()
        let frames = [
            #"["1","1","room:lobby","phx_join",{}]"#, #"["1","2","room:lobby","new_msg",{"body":"hi"}]"#,
            #"["1","3","room:l\u006fbby","new_msg",{}]"#, #"["1","4","room:lobby","new_msg",{}]"#,
            #"["1","5","room:a-much-longer-topic-name","ping",{}]"#, #"["1","6","room:lobby","phx_leave",{}]"#,
        ]
        for text in frames + frames.reversed() {
            let bytes = Array(text.utf8)[...]
            let plain = try PhoenixDecoder.decode(bytes, opcode: .text, from: .client, serializer: .v2)
            let cached = try PhoenixDecoder.decode(bytes, opcode: .text, from: .client, serializer: .v2, names: &names)
            #expect(plain == cached)
        }
        let reply = Array(#"["1","2","room:lobby","phx_reply",{"status":"ok","response":{}}]"#.utf8)[...]
        for _ in 0..<3 {
            let cached = try PhoenixDecoder.decode(reply, opcode: .text, from: .server, serializer: .v2, names: &names)
            #expect(cached.reply?.status == "ok")
            #expect(cached.event == "phx_reply")
        }
    }
}
