import PhoenixProtocol
import Testing
import WebSocketWire

@Suite struct WireConnectionTests {
    /// The handshake, then frames that arrive in the same segment as the 101.
    let conversation: [(Direction, [UInt8])] = [
        (.client, upgradeRequest),
        (.server, upgradeResponse() + serverFrame(0x1, "[null,null,\"room:lobby\",\"hello\",{}]")),
        (.client, clientFrame(0x1, "[\"4\",\"4\",\"room:lobby\",\"phx_join\",{}]") + clientFrame(0x8, "")),
        (.server, frame(0x8, hex("03 e8"))),
    ]

    @Test func upgradeThenFramesInAnySplit() throws {
        var whole = WireConnection()
        let expected = run(&whole, conversation, finish: true)
        try #require(expected.count == 7)
        guard case .request(let req, _, _) = expected[0], case .response(let res, _, _) = expected[1],
            case .upgraded(let ureq, let ures, let deflate, _) = expected[2]
        else {
            Issue.record("handshake events out of order: \(expected)")
            return
        }
        #expect(req.queryValue("vsn") == "2.0.0" && res.status == 101)
        #expect(ureq == req && ures == res && deflate == nil)
        #expect(messages(expected) == [
            "server text [null,null,\"room:lobby\",\"hello\",{}]", "client text [\"4\",\"4\",\"room:lobby\",\"phx_join\",{}]",
        ])
        #expect(expected[5] == .close(from: .client, code: nil, reason: "", time: 0))
        #expect(expected[6] == .close(from: .server, code: 1000, reason: "", time: 0))
        var b = WireConnection()
        #expect(run(&b, bytewise(conversation), finish: true) == expected)
        for seed in 1...20 {
            var r = WireConnection()
            #expect(run(&r, randomSplits(conversation, seed: UInt64(seed)), finish: true) == expected)
        }
    }

    @Test func refusedUpgradeStaysHTTP() {
        // Phoenix answers a bad token with 403 and an empty body; the client may try again on
        // the same connection, and that one succeeds.
        let refused = Array("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n".utf8)
        var c = WireConnection()
        let events = run(&c, [(.client, upgradeRequest), (.server, refused), (.client, upgradeRequest), (.server, upgradeResponse())])
        let kinds = events.map { e -> String in
            switch e {
            case .request: return "request"
            case .response(let h, _, _): return "response \(h.status)"
            case .upgraded: return "upgraded"
            default: return "other"
            }
        }
        #expect(kinds == ["request", "response 403", "request", "response 101", "upgraded"])
        #expect(c.isWebSocket)
    }

    @Test func clientBytesHeldUntilTheAnswer() {
        // The client pipelines a frame right behind its upgrade request; it is a frame only once the 101 arrives.
        let join = clientFrame(0x1, "[\"4\",\"4\",\"room:lobby\",\"phx_join\",{}]")
        var c = WireConnection()
        let first = c.feed(upgradeRequest + join, from: .client, time: 1)
        #expect(first.count == 1)
        let second = c.feed(upgradeResponse(extensions: "permessage-deflate"), from: .server, time: 2)
        #expect(messages(second) == ["client text [\"4\",\"4\",\"room:lobby\",\"phx_join\",{}]"])
        guard case .upgraded(_, _, let deflate, let t) = second[1] else {
            Issue.record("expected upgraded")
            return
        }
        #expect(deflate == DeflateParameters() && t == 2)
    }

    @Test func longPollKeepAliveExchanges() {
        let poll = Array("GET /socket/longpoll?vsn=2.0.0 HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let post = Array("POST /socket/longpoll?vsn=2.0.0 HTTP/1.1\r\nContent-Length: 7\r\n\r\n[1,2,3]".utf8)
        let ok = Array("HTTP/1.1 200 OK\r\ncontent-length: 14\r\n\r\n{\"status\":200}".utf8)
        var c = WireConnection()
        let events = run(&c, bytewise([(.client, poll + post), (.server, ok + ok)]), finish: true)
        #expect(events.count == 4)
        guard case .request(_, let body, _) = events[1] else { return }
        #expect(body.bytes == Array("[1,2,3]".utf8))
        #expect(!c.isWebSocket)
    }

    @Test func unansweredUpgradeAndCutFrameAtFinish() {
        var c = WireConnection()
        _ = c.feed(upgradeRequest, from: .client, time: 0)
        #expect(c.finish(time: 5) == [.violation(from: nil, .upgradeUnanswered(target: "/socket/websocket?token=abc&user=alice&vsn=2.0.0"), time: 5)])
        var w = WireConnection.assumingWebSocket()
        let f = serverFrame(0x1, "[1,2,3,4,5]", fin: false)
        _ = w.feed(Array(f.prefix(6)), from: .server, time: 0)
        _ = w.feed(Array(hex("81 fe 01")), from: .client, time: 0)
        #expect(violationIDs(w.finish(time: 1)) == ["ws-truncated", "ws-truncated"])
        var m = WireConnection.assumingWebSocket()
        _ = m.feed(f, from: .server, time: 0)
        #expect(m.finish(time: 1) == [.violation(from: .server, .incompleteMessage(frames: 1), time: 1)])
    }

    @Test func gapInsidePayloadIsSkippedPrecisely() {
        var c = WireConnection.assumingWebSocket()
        let big = serverFrame(0x1, "[\"" + String(repeating: "x", count: 200) + "\"]")
        let next = serverFrame(0x1, "[2]")
        var events = c.feed(Array(big.prefix(50)), from: .server, time: 0)
        events += c.gap(from: .server, missing: 100, time: 1)
        events += c.feed(Array(big.suffix(from: 150)) + next, from: .server, time: 2)
        #expect(violationIDs(events) == ["ws-gap"])
        #expect(messages(events) == ["server text [2]"])
    }

    @Test func gapOfUnknownSizeResynchronisesOnAPlausibleHeader() {
        // After an unknown loss the stream resumes mid-payload; the scan must skip bytes that
        // only look like headers (81 05 "hello" is text not starting with [ or {) and resume at "[3]".
        var c = WireConnection.assumingWebSocket()
        var events = c.feed(Array(serverFrame(0x1, "[1,2,3,4,5,6,7,8,9]").prefix(8)), from: .server, time: 0)
        events += c.gap(from: .server, missing: nil, time: 1)
        let resumed = Array("7,8,9]".utf8) + serverFrame(0x1, "hello") + serverFrame(0x1, "[3]") + serverFrame(0x1, "[4]")
        events += c.feed(resumed, from: .server, time: 2)
        #expect(messages(events) == ["server text [3]", "server text [4]"])
        #expect(events.first == .violation(from: .server, .gap(missing: nil, skipped: 13, resumed: "at a frame header"), time: 2))
        // The same in single bytes.
        var b = WireConnection.assumingWebSocket()
        var bytewiseEvents = b.feed(Array(serverFrame(0x1, "[1,2,3,4,5,6,7,8,9]").prefix(8)), from: .server, time: 0)
        bytewiseEvents += b.gap(from: .server, missing: nil, time: 1)
        for x in resumed { bytewiseEvents += b.feed([x], from: .server, time: 2) }
        #expect(bytewiseEvents == events)
    }

    @Test func gapInHTTPHeadResumesAtNextMessage() {
        var c = WireConnection()
        var events = c.feed(Array("GET /socket/longpoll HTTP/1.1\r\nHo".utf8), from: .client, time: 0)
        events += c.gap(from: .client, missing: 10, time: 1)
        events += c.feed(Array("x\r\n\r\nGET /b HTTP/1.1\r\n\r\n".utf8), from: .client, time: 2)
        #expect(violationIDs(events) == ["ws-gap"])
        guard case .violation(_, let v, _) = events[0], case .request(let head, _, _) = events[1] else {
            Issue.record("expected a gap then a request: \(events)")
            return
        }
        #expect(v == .gap(missing: 10, skipped: 33 + 5, resumed: "at the next HTTP message"))
        #expect(head.target == "/b")
    }

    @Test func garbageInsteadOfHTTP() {
        var c = WireConnection()
        let events = c.feed(hex("16 03 01 00 a5 01 00 00 a1 03 03 0a"), from: .client, time: 0)
            + c.feed([UInt8](repeating: 0x0A, count: 1), from: .client, time: 0)
        #expect(violationIDs(events) == ["http-malformed"])
        #expect(c.feed(upgradeRequest, from: .client, time: 0).isEmpty)
    }

    @Test func tooMuchBeforeUpgradeIsCappedOnce() {
        var c = WireConnection(limits: WireLimits(maxHeldBeforeUpgrade: 100))
        var events = c.feed(upgradeRequest, from: .client, time: 0)
        events += c.feed([UInt8](repeating: 0x81, count: 80), from: .client, time: 0)
        events += c.feed([UInt8](repeating: 0x81, count: 80), from: .client, time: 0)
        events += c.feed([UInt8](repeating: 0x81, count: 80), from: .client, time: 0)
        #expect(violationIDs(events) == ["ws-held-before-upgrade"])
    }

    @Test func invalidDeflateAnswerIsReportedAndFollowed() {
        var c = WireConnection()
        let events = run(&c, [(.client, upgradeRequest), (.server, upgradeResponse(extensions: "permessage-deflate; client_max_window_bits"))])
        #expect(events.contains(.violation(from: .server, .invalidExtensionNegotiation("client_max_window_bits needs a value in the server's answer"), time: 0)))
        #expect(c.deflateParameters == DeflateParameters())
    }

    @Test func nonMinimalLength() {
        // 81 7e 00 03 5b 31 5d: "[1]" with its 3-byte length in the 16-bit form.
        var c = WireConnection.assumingWebSocket()
        let events = c.feed(hex("81 7e 00 03 5b 31 5d"), from: .server, time: 0)
        #expect(violationIDs(events) == ["ws-non-minimal-length"])
        #expect(messages(events) == ["server text [1]"])
    }

    @Test func gapOnCompressedStreamWithContextTakeover() {
        var c = WireConnection.assumingWebSocket(deflate: DeflateParameters())
        let events = c.gap(from: .server, missing: nil, time: 0)
        #expect(violationIDs(events) == ["ws-deflate-error"])
        // Without context takeover nothing is lost beyond the message in progress.
        var n = WireConnection.assumingWebSocket(deflate: DeflateParameters(serverNoContextTakeover: true))
        #expect(n.gap(from: .server, missing: nil, time: 0).isEmpty)
    }

    @Test func upgradeSeenOnlyFromTheResponse() {
        // A capture that starts after the request: the 101 alone switches the connection.
        var c = WireConnection()
        let events = run(&c, [(.server, upgradeResponse() + serverFrame(0x1, "[1]"))])
        guard case .upgraded(let request, _, _, _) = events[1] else {
            Issue.record("expected upgraded, got \(events)")
            return
        }
        #expect(request == nil)
        #expect(messages(events) == ["server text [1]"])
    }

    @Test func midConnectionSniffing() {
        #expect(WireConnection.startsLikeWebSocket(clientFrame(0x1, "[null,\"9\",\"phoenix\",\"heartbeat\",{}]"), from: .client))
        #expect(WireConnection.startsLikeWebSocket(serverFrame(0x1, "{\"topic\":\"t\"}"), from: .server))
        // The same server frame read as client bytes has the wrong mask bit.
        #expect(!WireConnection.startsLikeWebSocket(serverFrame(0x1, "[1]"), from: .client))
        #expect(!WireConnection.startsLikeWebSocket(upgradeRequest, from: .client))
        #expect(!WireConnection.startsLikeWebSocket(Array("HTTP/1.1 200 OK\r\n".utf8), from: .server))
    }

    /// The payloads of one chunk's frames, in order.
    private func payloads(_ events: [WireEvent]) -> [Bytes] {
        events.compactMap { if case .message(_, _, let p, _, _) = $0 { return p } else { return nil } }
    }

    @Test func framesFillingAChunkAreSlicedFromItAndTheCallersBytesStayAsTheyWere() throws {
        // A capture segment full of messages: client frames are unmasked where they lie, in
        // the connection's own copy of the chunk, never in the caller's bytes.
        let texts = (0..<20).map { "[\"\($0)\",\"\($0)\",\"room:lobby\",\"msg\",{\"n\":\($0)}]" }
        for direction in [Direction.client, .server] {
            let chunk = texts.flatMap { direction == .client ? clientFrame(0x1, $0) : serverFrame(0x1, $0) }
            let original = chunk
            var wire = WireConnection.assumingWebSocket()
            let got = payloads(wire.feed(chunk, from: direction, time: 0))
            #expect(chunk == original, "\(direction): the caller's bytes changed")
            #expect(got.map { String(decoding: $0, as: UTF8.self) } == texts, "\(direction)")
            // Slices of the chunk: each starts where its frame's header ends.
            #expect(got.allSatisfy { $0.startIndex > 0 }, "\(direction): payloads were copied")
        }
    }

    @Test func clientBytesGivenUpAreUnmaskedWhereTheyLie() throws {
        // A capture reader hands each segment over (`consume`): the payloads are slices of
        // that very storage, unmasked in place, with no copy of the segment first.
        let texts = (0..<20).map { "[\"\($0)\",\"\($0)\",\"room:lobby\",\"msg\",{\"n\":\($0)}]" }
        let chunk = texts.flatMap { clientFrame(0x1, $0) }
        let storage = chunk.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        var wire = WireConnection.assumingWebSocket()
        let got = payloads(wire.feed(consume chunk, from: .client, time: 0))
        #expect(got.map { String(decoding: $0, as: UTF8.self) } == texts)
        for payload in got {
            let start = payload.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            #expect(start == storage + UInt(payload.startIndex), "the segment was copied before unmasking")
        }
    }

    @Test func aSmallMessageDoesNotHoldALargeChunk() throws {
        // One small message, then the start of a large frame that the next chunks finish: the
        // small one gets bytes of its own (a slice would keep the whole chunk alive as long as
        // the message is held).
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        let large = frame(0x1, Array("[\"1\",\"1\",\"t\",\"e\",\"".utf8) + big + Array("\"]".utf8), mask: 0x0102_0304)
        let small = clientFrame(0x1, "[\"0\",\"0\",\"t\",\"e\",{}]")
        let first = small + large.prefix(30_000)
        var wire = WireConnection.assumingWebSocket()
        let got = payloads(wire.feed(first, from: .client, time: 0))
        try #require(got.count == 1)
        #expect(String(decoding: got[0], as: UTF8.self) == "[\"0\",\"0\",\"t\",\"e\",{}]")
        #expect(got[0].startIndex == 0, "the small message is a slice of the 30 kB chunk")
        let rest = payloads(wire.feed(Array(large.dropFirst(30_000)), from: .client, time: 0))
        try #require(rest.count == 1)
        #expect(rest[0].count == big.count + 20)
    }
}
