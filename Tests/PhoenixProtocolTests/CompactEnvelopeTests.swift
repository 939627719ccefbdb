@testable import PhoenixProtocol
import TestSupport
import Testing

/// The decoder's path for envelopes as Phoenix writes them against the path for any layout:
/// whatever the first takes, the second must decode to the same message.
@Suite struct CompactEnvelopeTests {
    private func compact(_ frame: [UInt8], _ direction: Direction) -> PhoenixMessage? {
        frame.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            return V2TextCodec.decodeCompact(frame[...], &scanner, from: direction)
        }
    }

    private func anyLayout(_ frame: [UInt8], _ direction: Direction) -> Result<PhoenixMessage, DecodeError> {
        frame.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            return Result { () throws(DecodeError) in
                let message = try V2TextCodec.decodeAnyLayout(frame[...], &scanner, from: direction)
                try scanner.expectEnd()
                return message
            }
        }
    }

    @Test func takesWhatPhoenixWritesAndDecodesItAsAnyLayoutWould() throws {
        let frames = [
            #"["1","2","room:lobby","phx_join",{}]"#, #"[null,"7","phoenix","heartbeat",{}]"#, #"[null,null,"t","e",[1,2]]"#,
            #"["1","2","room:lobby","phx_reply",{"status":"ok","response":{"a":"b\"c"}}]"#,
            #"["1","2","room:lobby","phx_reply",{"response":{},"status":"error","status":"ok"}]"#,
            #"["1","2","room:lobby","phx_reply",{"response":{}}]"#, #"["1","2","t","phx_reply","not an object"]"#,
            #"["1","2","t","ph\u0078_reply",{"status":"ok","response":{}}]"#, #"["\u0031","2","t\n","e",{"k":"\u00e9"}]"#,
            #"["1","2","t","e","x"]"#, #"["1","2","t","e",null]"#, #"["","","","",""]"#,
        ].map { Array($0.utf8) }
        for frame in frames {
            for direction in Direction.allCases {
                let fast = try #require(compact(frame, direction), "not taken: \(String(decoding: frame, as: UTF8.self))")
                #expect(try anyLayout(frame, direction).get() == fast, "\(String(decoding: frame, as: UTF8.self))")
            }
        }
    }

    @Test func leavesEverythingElseToTheGeneralPath() {
        let frames = [
            #" ["1","2","t","e",{}]"#, #"["1", "2","t","e",{}]"#, #"["1","2","t","e",{}] "#, #"[1,"2","t","e",{}]"#,
            #"["1",2,"t","e",{}]"#, #"["1","2",3,"e",{}]"#, #"["1","2","t",null,{}]"#, #"["1","2","t","e"]"#,
            #"["1","2","t","e",{},"extra"]"#, #"["1","2","t","e",{]"#, #"["1","2","t","e",{}"#, #"["1","2","t","e",{}]]"#,
            #"[nul,"2","t","e",{}]"#, #"[nullx,"2","t","e",{}]"#, #"["1","2","t","e",{"a":"\x"}]"#, #"{"topic":"t"}"#,
        ].map { Array($0.utf8) }
        for frame in frames {
            #expect(compact(frame, .client) == nil && compact(frame, .server) == nil, "\(String(decoding: frame, as: UTF8.self))")
        }
    }

    @Test func agreesWithTheGeneralPathOnMutatedRealFrames() throws {
        var rng = SplitMix64(seed: 0x636F_6D70)
        let seeds = try CaptureFixtures.allExpectedMessages().map(\.bytes).filter { $0.count < 4096 && $0.first == UInt8(ascii: "[") }
        let tokens = ["[", "]", "{", "}", "\"", ",", ":", "null", "\\u00", "\\", " ", "phx_reply", "\"status\"", "\u{FF}"].map { Array($0.utf8) }
        var taken = 0
        for i in 0..<20_000 {
            var frame = seeds.randomElement(using: &rng)!
            if i % 3 != 0 {
                frame.insert(contentsOf: tokens.randomElement(using: &rng)!, at: Int.random(in: 0...frame.count, using: &rng))
            }
            for direction in Direction.allCases {
                guard let fast = compact(frame, direction) else { continue }
                taken += 1
                #expect(try anyLayout(frame, direction).get() == fast, "\(String(decoding: frame, as: UTF8.self))")
            }
        }
        #expect(taken > 10_000, "the compact path took only \(taken) of 40,000")
    }
}
