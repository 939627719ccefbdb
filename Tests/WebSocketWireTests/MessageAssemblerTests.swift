import PhoenixProtocol
import Testing
import WebSocketWire

/// Parses frames from `bytes` and runs them through an assembler for `direction`.
private func assemble(_ bytes: [UInt8], from direction: Direction, deflate: DeflateParameters? = nil, limits: WireLimits = .init())
    -> [WireEvent]
{
    var connection = WireConnection.assumingWebSocket(limits: limits, deflate: deflate)
    let all = connection.feed(bytes, from: direction, time: 0)
    // Any split must give the same events.
    var again = WireConnection.assumingWebSocket(limits: limits, deflate: deflate)
    var one: [WireEvent] = []
    for b in bytes { one += again.feed([b], from: direction, time: 0) }
    #expect(one == all)
    return all
}

@Suite struct MessageAssemblerTests {
    @Test func fragmentsWithPingBetween() {
        let bytes = clientFrame(0x1, "[\"4\",\"5\",", fin: false) + clientFrame(0x9, "hb") + clientFrame(0x0, "\"t\",\"e\",", fin: false)
            + clientFrame(0x0, "{}]")
        let events = assemble(bytes, from: .client)
        #expect(events == [
            .ping(from: .client, payload: Array("hb".utf8), time: 0),
            .message(from: .client, opcode: .text, payload: Array("[\"4\",\"5\",\"t\",\"e\",{}]".utf8)[...], compressed: false, time: 0),
        ])
    }

    @Test func unmaskedClientFrame() {
        // 81 03 5b 31 5d: a client text frame "[1]" without the mask bit.
        #expect(violationIDs(assemble(hex("81 03 5b 31 5d"), from: .client)) == ["ws-unmasked-client-frame"])
    }

    @Test func maskedServerFrame() {
        // 81 83 00 00 00 00 5b 31 5d: a server frame with the mask bit (and a zero key).
        #expect(violationIDs(assemble(hex("81 83 00 00 00 00 5b 31 5d"), from: .server)) == ["ws-masked-server-frame"])
    }

    @Test func reservedBitsWithoutExtension() {
        // c1 03 ...: RSV1 on a text frame, no permessage-deflate agreed. a1 ...: RSV2.
        let events = assemble(hex("c1 03 5b 31 5d a1 03 5b 32 5d"), from: .server)
        #expect(violationIDs(events) == ["ws-reserved-bits", "ws-reserved-bits"])
        #expect(messages(events) == ["server text [1]", "server text [2]"])
        guard case .violation(_, let v, _) = events[0] else { return }
        #expect(v == .reservedBits(rsv1: true, rsv2: false, rsv3: false, opcode: .text))
        #expect(v.description == "text frame has RSV1 set, but no extension that defines it was negotiated")
    }

    @Test func fragmentedControlFrame() {
        // 09 00: a ping without FIN.
        #expect(violationIDs(assemble(hex("09 00"), from: .server)) == ["ws-fragmented-control"])
    }

    @Test func controlPayloadOver125() {
        let events = assemble(frame(0x9, [UInt8](repeating: 0, count: 126)), from: .server)
        #expect(violationIDs(events) == ["ws-control-too-long"])
    }

    @Test func continuationWithoutStart() {
        // 80 03 5b 31 5d: FIN continuation with nothing to continue.
        let events = assemble(hex("80 03 5b 31 5d"), from: .server)
        #expect(violationIDs(events) == ["ws-unexpected-continuation"])
        #expect(messages(events).isEmpty)
    }

    @Test func newDataFrameInsideFragmentedMessage() {
        // 01 02 5b 31: text without FIN; then 81 03 5b 32 5d: a new text frame instead of a continuation.
        let events = assemble(hex("01 02 5b 31 81 03 5b 32 5d"), from: .server)
        #expect(violationIDs(events) == ["ws-interleaved-data"])
        #expect(messages(events) == ["server text [2]"])
    }

    @Test func unknownOpcode() {
        // 83 00 and 8b 00: opcodes 3 and 0xb are reserved.
        let events = assemble(hex("83 00 8b 00"), from: .server)
        #expect(events == [
            .violation(from: .server, .unknownOpcode(3), time: 0), .violation(from: .server, .unknownOpcode(11), time: 0),
        ])
    }

    @Test func closePayloads() {
        // 88 00: empty close (what phoenix.js sends); 88 02 03 e8: 1000 (Bandit's answer).
        #expect(assemble(hex("88 00"), from: .server) == [.close(from: .server, code: nil, reason: "", time: 0)])
        #expect(assemble(hex("88 02 03 e8"), from: .server) == [.close(from: .server, code: 1000, reason: "", time: 0)])
        // 88 01 03: a one-byte close payload.
        #expect(violationIDs(assemble(hex("88 01 03"), from: .server)) == ["ws-invalid-close-payload"])
        // 88 04 03 f3 68 69: 1011 with reason "hi" is fine.
        #expect(assemble(hex("88 04 03 f3 68 69"), from: .server) == [.close(from: .server, code: 1011, reason: "hi", time: 0)])
        // 88 03 03 e8 ff: reason byte ff is not UTF-8.
        #expect(violationIDs(assemble(hex("88 03 03 e8 ff"), from: .server)) == ["ws-close-reason-utf8"])
    }

    @Test func closeCodesOfRFC6455Section7_4() {
        let invalid: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]
        let valid: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999]
        for code in invalid {
            let events = assemble(frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]), from: .server)
            #expect(events.first == .violation(from: .server, .invalidCloseCode(code), time: 0), "code \(code)")
        }
        for code in valid {
            #expect(violationIDs(assemble(frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)]), from: .server)).isEmpty, "code \(code)")
        }
    }

    @Test func dataAfterClose() {
        let events = assemble(serverFrame(0x8, "") + serverFrame(0x1, "[1]") + serverFrame(0x1, "[2]"), from: .server)
        #expect(violationIDs(events) == ["ws-data-after-close"])
        #expect(messages(events) == ["server text [1]", "server text [2]"])
    }

    @Test func oversizedMessageFromFragments() {
        let limits = WireLimits(maxFramePayload: 100, maxMessageSize: 150)
        let bytes = serverFrame(0x1, String(repeating: "a", count: 100), fin: false) + serverFrame(0x0, String(repeating: "b", count: 100))
        let events = assemble(bytes, from: .server, limits: limits)
        #expect(events == [.violation(from: .server, .oversizedMessage(size: 200, limit: 150), time: 0)])
    }

    @Test func oversizedFrameIsReportedAndSkipped() {
        let limits = WireLimits(maxFramePayload: 100)
        let events = assemble(serverFrame(0x1, String(repeating: "a", count: 300)) + serverFrame(0x1, "[1]"), from: .server, limits: limits)
        #expect(events == [
            .violation(from: .server, .oversizedFrame(length: 300, limit: 100), time: 0),
            .message(from: .server, opcode: .text, payload: Array("[1]".utf8)[...], compressed: false, time: 0),
        ])
    }

    @Test func everyIDIsListedAndKebabCase() {
        #expect(Set(WireViolation.allIDs).count == WireViolation.allIDs.count)
        for id in WireViolation.allIDs {
            #expect(id.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(id)")
        }
    }
}
