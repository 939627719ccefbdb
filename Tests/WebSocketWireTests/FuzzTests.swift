import PhoenixProtocol
import TestSupport
import Testing
import WebSocketWire

/// 100,000 random and mutated inputs through `WireConnection` (fixed seed): no crash, no hang,
/// and nothing kept beyond the limits.
@Suite struct FuzzTests {
    /// Valid traffic to mutate: a handshake with deflate, plain and fragmented frames, a close.
    static let seedConversation: [(Direction, [UInt8])] = [
        (.client, upgradeRequest),
        (.server, upgradeResponse(extensions: "permessage-deflate; client_no_context_takeover")),
        (.client, clientFrame(0x1, "[\"4\",\"4\",\"room:lobby\",\"phx_join\",{}]")),
        (.server, serverFrame(0x1, "[\"4\",\"4\",\"room:lobby\",\"phx_reply\",{\"response\":{},\"status\":\"ok\"}]")),
        (.client, clientFrame(0x1, "[\"4\",", fin: false) + clientFrame(0x9, "p") + clientFrame(0x0, "\"5\"]")),
        (.server, frame(0x2, hex("00 01 0a 05 34 72 6f 6f 6d 3a 61 62 78 03 ff"))),
        (.server, frame(0x1, hex("f2 48 ad c9 c9 07 00"), rsv1: true)),
        (.client, frame(0x8, hex("03 e8 62 79 65"), mask: 0x0102_0304)),
        (.server, frame(0x8, hex("03 e8"))),
    ]

    @Test func randomAndMutatedInputs() {
        var rng = SplitMix64(seed: 0x5EED_F00D)
        let limits = WireLimits(maxHeadSize: 512, maxBodyKept: 64, maxFramePayload: 256, maxMessageSize: 300, maxHeldBeforeUpgrade: 128)
        var totalEvents = 0
        var overLimit = 0
        for round in 0..<100_000 {
            var connection: WireConnection
            switch round % 3 {
            case 0: connection = WireConnection(limits: limits)
            case 1: connection = .assumingWebSocket(limits: limits)
            default: connection = .assumingWebSocket(limits: limits, deflate: DeflateParameters(serverNoContextTakeover: round % 2 == 0))
            }
            var chunks: [(Direction, [UInt8])]
            if round % 2 == 0 {
                // Mutate the valid conversation: flip bits, drop, insert and repeat bytes.
                chunks = Self.seedConversation
                for _ in 0..<Int(rng.next() % 4) + 1 {
                    let c = Int(rng.next() % UInt64(chunks.count))
                    var bytes = chunks[c].1
                    guard !bytes.isEmpty else { continue }
                    let at = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 5 {
                    case 0: bytes[at] ^= UInt8(1 << (rng.next() % 8))
                    case 1: bytes.remove(at: at)
                    case 2: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                    case 3: bytes[at] = [0x00, 0x7E, 0x7F, 0xFF, 0x80, 0x0A][Int(rng.next() % 6)]
                    default: bytes = Array(bytes.prefix(at))
                    }
                    chunks[c].1 = bytes
                }
            } else {
                // Pure noise, sometimes shaped like frame headers.
                chunks = (0..<Int(rng.next() % 6) + 1).map { _ in
                    let n = Int(rng.next() % 200)
                    var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    if n > 2 && rng.next() % 2 == 0 { bytes[0] = 0x81; bytes[1] = UInt8(truncatingIfNeeded: rng.next()) | 0x7E }
                    return (rng.next() % 2 == 0 ? Direction.client : .server, bytes)
                }
            }
            for piece in randomSplits(chunks, seed: rng.next()) {
                if rng.next() % 50 == 0 {
                    totalEvents += connection.gap(from: piece.0, missing: rng.next() % 2 == 0 ? nil : Int(rng.next() % 40), time: 0).count
                }
                for event in connection.feed(piece.1, from: piece.0, time: 0) {
                    totalEvents += 1
                    switch event {
                    case .message(_, _, let payload, _, _):
                        if payload.count > limits.maxMessageSize { overLimit += 1 }
                    case .request(_, let body, _), .response(_, let body, _):
                        if body.bytes.count > limits.maxBodyKept { overLimit += 1 }
                    default: break
                    }
                }
            }
            totalEvents += connection.finish(time: 1).count
        }
        #expect(overLimit == 0)
        #expect(totalEvents > 100_000)
    }
}
