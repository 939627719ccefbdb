import PhoenixProtocol
import TestSupport
import Testing
import WebSocketWire

/// Parses `bytes` fed in pieces of `step`, keeping an incomplete header as a caller must.
private func frames(_ bytes: [UInt8], step: Int, limit: Int = 64 << 20) -> (frames: [WebSocketFrame], leftover: Int) {
    var parser = WebSocketFrameParser(maxPayloadKept: limit)
    var pending: [UInt8] = []
    var out: [WebSocketFrame] = []
    var i = 0
    while i < bytes.count {
        pending += bytes[i..<min(bytes.count, i + step)]
        i += step
        pending.withUnsafeBufferPointer { buf in
            var index = 0
            while let f = parser.parse(buf, index: &index) { out.append(f) }
            pending = Array(buf[index...])
        }
    }
    return (out, pending.count)
}

@Suite struct WebSocketFrameParserTests {
    @Test func maskedClientTextFromCapture() throws {
        // basic.pcap frame 8: phoenix.js's phx_join, masked with key 1a 57 a5 27.
        let join = "[\"4\",\"4\",\"room:lobby\",\"phx_join\",{\"name\":\"alice\"}]"
        let wire = frame(0x1, Array(join.utf8), mask: 0x1A57_A527)
        #expect(Array(wire.prefix(6)) == hex("81 b2 1a 57 a5 27"))
        for step in [1, 2, 5, wire.count] {
            let (fs, left) = frames(wire, step: step)
            try #require(fs.count == 1)
            #expect(left == 0)
            #expect(fs[0].header.fin && fs[0].opcode == .text && fs[0].header.maskKey == 0x1A57_A527)
            #expect(Array(fs[0].payload) == Array(join.utf8))
            #expect(fs[0].payloadLength == 50 && fs[0].header.headerLength == 6)
        }
    }

    @Test func lengthForms7And16And64Bit() throws {
        for size in [0, 125, 126, 65535, 65536, 70_000] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let wire = frame(0x2, payload, mask: 0xDEAD_BEEF) + frame(0x2, payload)
            for step in [1, 1000, wire.count] where !(step == 1 && size > 1000) {
                let (fs, left) = frames(wire, step: step)
                try #require(fs.count == 2, "size \(size) step \(step)")
                #expect(left == 0)
                #expect(Array(fs[0].payload) == payload && Array(fs[1].payload) == payload)
                #expect(fs[0].header.lengthIsMinimal && fs[1].header.masked == false)
            }
        }
    }

    @Test func needMoreConsumesNoHeaderByte() {
        var parser = WebSocketFrameParser()
        // 81 fe 00: a 16-bit length whose second byte has not arrived.
        let partial = hex("81 fe 00")
        partial.withUnsafeBufferPointer { buf in
            var index = 0
            #expect(parser.parse(buf, index: &index) == nil)
            #expect(index == 0)
        }
        // 81 85 1a 57: masked, key incomplete.
        hex("81 85 1a 57").withUnsafeBufferPointer { buf in
            var index = 0
            #expect(parser.parse(buf, index: &index) == nil)
            #expect(index == 0)
        }
    }

    @Test func reservedOpcodeAndBitsSurviveAsValues() throws {
        // f3 00: FIN, RSV1-3 all set, opcode 3 (reserved), empty.
        let (fs, _) = frames(hex("f3 00"), step: 1)
        let f = try #require(fs.first)
        #expect(f.opcode == WebSocketOpcode(rawValue: 3) && !f.opcode.isDefined)
        #expect(f.header.rsv1 && f.header.rsv2 && f.header.rsv3)
        #expect(f.opcode.description == "reserved 0x3")
    }

    @Test func nonMinimalLengthIsFlagged() throws {
        // 82 7e 00 05 ...: 5 bytes announced in the 16-bit form.
        let (fs, _) = frames(hex("82 7e 00 05 01 02 03 04 05"), step: 1)
        #expect(try #require(fs.first).header.lengthIsMinimal == false)
    }

    @Test func oversizedFrameIsSkippedWhileStreaming() throws {
        let big = [UInt8](repeating: 0x5B, count: 5000)
        let wire = frame(0x1, big, mask: 1) + frame(0x1, Array("[1]".utf8), mask: 2)
        let (fs, left) = frames(wire, step: 700, limit: 1000)
        try #require(fs.count == 2)
        #expect(left == 0)
        #expect(!fs[0].isPayloadKept && fs[0].payload.isEmpty && fs[0].payloadLength == 5000)
        #expect(Array(fs[1].payload) == Array("[1]".utf8))
    }

    @Test func unmaskingMatchesBytewiseXorAtEveryPhase() throws {
        var rng = SplitMix64(seed: 7)
        // Chunks of 16 bytes and more take the vector path, shorter ones the word and byte paths.
        for n in 0..<100 {
            let payload = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let key = UInt32.random(in: 0...UInt32.max, using: &rng)
            let wire = frame(0x2, payload, mask: key)
            for step in [1, 2, 3, 5, 7, 9, 16, 17, 33, 1_000] {
                let (fs, _) = frames(wire, step: step)
                #expect(fs.first.map { Array($0.payload) } == payload, "n \(n) step \(step)")
            }
        }
    }

    @Test func lostBytesInsidePayloadAreSkippedPrecisely() throws {
        var parser = WebSocketFrameParser()
        let first = frame(0x1, Array("[\"abcdefghij\"]".utf8), mask: 0x0102_0304)
        let second = frame(0x1, Array("[2]".utf8), mask: 0x0506_0708)
        var out: [WebSocketFrame] = []
        // The header and 4 payload bytes arrive, 6 bytes are lost, the rest arrives.
        Array(first.prefix(10)).withUnsafeBufferPointer { buf in
            var i = 0
            while let f = parser.parse(buf, index: &i) { out.append(f) }
        }
        #expect(parser.remainingPayload == 10)
        let skipped = parser.skipLost(6)
        #expect(skipped)
        Array(first.suffix(4) + second).withUnsafeBufferPointer { buf in
            var i = 0
            while let f = parser.parse(buf, index: &i) { out.append(f) }
        }
        try #require(out.count == 2)
        #expect(out[0].bytesLost && !out[0].isPayloadKept)
        #expect(Array(out[1].payload) == Array("[2]".utf8))
    }
}
