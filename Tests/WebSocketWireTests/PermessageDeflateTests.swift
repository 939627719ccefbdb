import CZlib
import PhoenixProtocol
import Testing
import WebSocketWire

/// A raw-deflate compressor as a permessage-deflate peer runs it: sync flush per message and
/// the trailing 00 00 FF FF removed (RFC 7692 7.2.1).
private final class Compressor {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    let resetEachMessage: Bool

    init(windowBits: Int32, resetEachMessage: Bool) {
        self.resetEachMessage = resetEachMessage
        stream.initialize(to: z_stream())
        let rc = deflateInit2_(stream, 6, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func compress(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var inp = input
        inp.withUnsafeMutableBufferPointer { ip in
            stream.pointee.next_in = ip.baseAddress
            stream.pointee.avail_in = UInt32(ip.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { cp in
                    stream.pointee.next_out = cp.baseAddress
                    stream.pointee.avail_out = UInt32(cp.count)
                    _ = deflate(stream, Z_SYNC_FLUSH)
                    out += cp.prefix(cp.count - Int(stream.pointee.avail_out))
                }
            } while stream.pointee.avail_out == 0
        }
        precondition(out.suffix(4) == [0, 0, 0xFF, 0xFF])
        if resetEachMessage { deflateReset(stream) }
        return Array(out.dropLast(4))
    }
}

private func text(_ events: [WireEvent]) -> [String] {
    events.compactMap {
        if case .message(_, _, let p, let c, _) = $0 { return (c ? "z " : "- ") + String(decoding: p, as: UTF8.self) }
        return nil
    }
}

/// Phoenix-like messages that repeat a lot, so later ones refer back to earlier ones.
private let samples = (1...6).map { i in
    "[\"4\",\"\(i)\",\"room:lobby\",\"new_msg\",{\"body\":\"hello number \(i) hello hello\",\"user\":\"alice\"}]"
}

@Suite struct PermessageDeflateTests {
    @Test func negotiationParsing() {
        func parse(_ v: String) -> (DeflateParameters?, [String]) {
            let r = DeflateParameters.negotiated(by: HTTPHeaders([HTTPHeader(name: "sec-websocket-extensions", value: v)]))
            return (r.parameters, r.problems)
        }
        #expect(parse("permessage-deflate").0 == DeflateParameters())
        #expect(
            parse("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"9\"").0
                == DeflateParameters(serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9))
        #expect(parse("x-webkit-deflate-frame").0 == nil)
        // In an answer client_max_window_bits needs a value, and 16 is out of range.
        #expect(parse("permessage-deflate; client_max_window_bits").1 == ["client_max_window_bits needs a value in the server's answer"])
        #expect(parse("permessage-deflate; server_max_window_bits=16").1 == ["server_max_window_bits=16 is not a number from 8 to 15"])
        #expect(parse("permessage-deflate; server_no_context_takeover=1; foo").1 == [
            "server_no_context_takeover takes no value", "unknown parameter foo",
        ])
    }

    @Test(arguments: 9...15)
    func contextTakeoverBothWays(windowBits: Int) {
        let parameters = DeflateParameters(serverMaxWindowBits: windowBits, clientMaxWindowBits: windowBits)
        let server = Compressor(windowBits: Int32(windowBits), resetEachMessage: false)
        let client = Compressor(windowBits: Int32(windowBits), resetEachMessage: false)
        var chunks: [(Direction, [UInt8])] = []
        for s in samples {
            chunks.append((.client, frame(0x1, client.compress(Array(s.utf8)), rsv1: true, mask: 0xA1B2_C3D4)))
            chunks.append((.server, frame(0x1, server.compress(Array(s.utf8)), rsv1: true)))
        }
        for split in [chunks, bytewise(chunks), randomSplits(chunks, seed: UInt64(windowBits))] {
            var c = WireConnection.assumingWebSocket(deflate: parameters)
            let events = run(&c, split)
            #expect(violationIDs(events).isEmpty)
            #expect(text(events) == samples.flatMap { ["z " + $0, "z " + $0] })
        }
    }

    @Test(arguments: 9...15)
    func noContextTakeover(windowBits: Int) {
        let parameters = DeflateParameters(serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: windowBits)
        let server = Compressor(windowBits: Int32(windowBits), resetEachMessage: true)
        var chunks: [(Direction, [UInt8])] = []
        for s in samples { chunks.append((.server, frame(0x1, server.compress(Array(s.utf8)), rsv1: true))) }
        var c = WireConnection.assumingWebSocket(deflate: parameters)
        let events = run(&c, chunks)
        #expect(violationIDs(events).isEmpty)
        #expect(text(events) == samples.map { "z " + $0 })
    }

    @Test func contextTakeoverIsNeededWhenTheCompressorKeepsIt() {
        // The server keeps its window but the answer said server_no_context_takeover: the
        // observer resets its inflater and the second message refers to bytes it no longer has.
        let server = Compressor(windowBits: 15, resetEachMessage: false)
        let chunks = samples.prefix(2).map { (Direction.server, frame(0x1, server.compress(Array($0.utf8)), rsv1: true)) }
        var c = WireConnection.assumingWebSocket(deflate: DeflateParameters(serverNoContextTakeover: true))
        let events = run(&c, chunks)
        #expect(violationIDs(events) == ["ws-deflate-error"])
    }

    @Test func uncompressedMessagesMixedIn() {
        // Section 12: on a compressed connection clients may still send frames with RSV1 clear.
        // A fragmented compressed message carries RSV1 on its first frame only.
        let client = Compressor(windowBits: 15, resetEachMessage: false)
        let z0 = client.compress(Array(samples[0].utf8))
        let z1 = client.compress(Array(samples[1].utf8))
        let half = z1.count / 2
        let chunks: [(Direction, [UInt8])] = [
            (.client, frame(0x1, z0, rsv1: true, mask: 9)),
            (.client, clientFrame(0x1, "[null,\"9\",\"phoenix\",\"heartbeat\",{}]")),
            (.client, frame(0x1, Array(z1.prefix(half)), fin: false, rsv1: true, mask: 10)),
            (.client, frame(0x9, [], mask: 11)),
            (.client, frame(0x0, Array(z1.suffix(from: half)), mask: 12)),
        ]
        var c = WireConnection.assumingWebSocket(deflate: DeflateParameters())
        let events = run(&c, bytewise(chunks))
        #expect(violationIDs(events).isEmpty)
        #expect(text(events) == ["z " + samples[0], "- [null,\"9\",\"phoenix\",\"heartbeat\",{}]", "z " + samples[1]])
    }

    @Test func compressedBitOnContinuationAndControl() {
        let client = Compressor(windowBits: 15, resetEachMessage: false)
        let z = client.compress(Array(samples[0].utf8))
        let chunks: [(Direction, [UInt8])] = [
            (.client, frame(0x1, Array(z.prefix(5)), fin: false, rsv1: true, mask: 1)),
            (.client, frame(0x0, Array(z.dropFirst(5)), rsv1: true, mask: 2)),
            (.client, frame(0x9, [], rsv1: true, mask: 3)),
        ]
        var c = WireConnection.assumingWebSocket(deflate: DeflateParameters())
        let events = run(&c, chunks)
        #expect(violationIDs(events) == ["ws-compressed-continuation", "ws-compressed-control"])
        #expect(text(events) == ["z " + samples[0]])
    }

    @Test func inflationLimitKeepsTheContext() {
        // 1 MB of spaces compresses to about a kilobyte: a bomb for a 64 KiB limit. The message
        // is reported and dropped, and the next message, which refers back into it, still inflates.
        let server = Compressor(windowBits: 15, resetEachMessage: false)
        let bomb = [UInt8](repeating: 0x20, count: 1_000_000)
        let chunks: [(Direction, [UInt8])] = [
            (.server, frame(0x1, server.compress(bomb), rsv1: true)),
            (.server, frame(0x1, server.compress(Array(("[" + String(repeating: " ", count: 300) + "]").utf8)), rsv1: true)),
        ]
        var c = WireConnection.assumingWebSocket(limits: WireLimits(maxMessageSize: 65536), deflate: DeflateParameters())
        let events = run(&c, chunks)
        #expect(events.first == .violation(from: .server, .inflatedOverLimit(size: 1_000_000, limit: 65536), time: 0))
        #expect(WireViolation.inflatedOverLimit(size: 1_000_000, limit: 65536).id == "ws-inflate-limit")
        #expect(text(events) == ["z [" + String(repeating: " ", count: 300) + "]"])
    }

    @Test func garbageThatIsNotDeflate() {
        // ff ff ff: block type 11 is invalid in DEFLATE.
        var c = WireConnection.assumingWebSocket(deflate: DeflateParameters())
        let events = c.feed(frame(0x1, hex("ff ff ff"), rsv1: true), from: .server, time: 0)
        #expect(events == [
            .violation(from: .server, .invalidCompressedData("invalid block type"), time: 0),
            .violation(from: .server, .compressionContextLost, time: 0),
        ])
    }

    @Test func theMessageAfterInvalidCompressedDataIsInflatedAfresh() {
        // Without the reset the stream stayed failed, and the next message came out empty and unannounced.
        var c = WireConnection.assumingWebSocket(deflate: DeflateParameters())
        _ = c.feed(frame(0x1, hex("ff ff ff"), rsv1: true), from: .server, time: 0)
        let next = Compressor(windowBits: 15, resetEachMessage: true).compress(Array(samples[0].utf8))
        let events = c.feed(frame(0x1, next, rsv1: true), from: .server, time: 1)
        #expect(text(events) == ["z " + samples[0]])
    }
}
