import Testing
import WebSocketWire

/// Runs a parser over `bytes` fed in pieces of `step` bytes, collecting messages and errors.
private func parseAll(
    _ role: HTTPStreamParser.Role, _ bytes: [UInt8], step: Int, maxBody: Int = 16 << 20, finish: Bool = false
) -> (messages: [HTTPMessage], error: HTTPParseError?, ending: HTTPStreamParser.Ending?) {
    var parser = HTTPStreamParser(role: role, maxBodyKept: maxBody)
    var out: [HTTPMessage] = []
    var i = 0
    while i < bytes.count {
        parser.append(bytes[i..<min(bytes.count, i + step)])
        i += step
        do {
            while let o = try parser.next() {
                if case .message(let m) = o { out.append(m) }
            }
        } catch {
            return (out, error, nil)
        }
    }
    return (out, nil, finish ? parser.finish() : nil)
}

@Suite struct HTTPStreamParserTests {
    @Test func upgradeRequestFromPhoenixJS() throws {
        for step in [1, 7, upgradeRequest.count] {
            let (msgs, error, _) = parseAll(.request, upgradeRequest, step: step)
            #expect(error == nil)
            try #require(msgs.count == 1)
            guard case .request(let head, let body) = msgs[0] else { Issue.record("not a request"); return }
            #expect(head.method == "GET")
            #expect(head.target == "/socket/websocket?token=abc&user=alice&vsn=2.0.0")
            #expect(head.path == "/socket/websocket")
            #expect(head.query.map(\.name) == ["token", "user", "vsn"])
            #expect(head.queryValue("vsn") == "2.0.0")
            #expect(head.version == "HTTP/1.1")
            #expect(head.headers.first("sec-websocket-key") == "y4fRzd3+Nm7/C8J6fAavaQ==")
            #expect(head.headers.map(\.name).first == "Sec-WebSocket-Version")
            #expect(head.isWebSocketUpgrade)
            #expect(body == HTTPBody())
        }
    }

    @Test func aSecondGapWhileResynchronisingAddsToTheFirst() throws {
        var parser = HTTPStreamParser(role: .request)
        parser.append(Array("GET /a HT".utf8))
        #expect(try parser.next() == nil)
        let firstInBody = parser.gap(missing: 3)   // 9 bytes dropped, 3 lost
        #expect(!firstInBody)
        parser.append(Array("xx".utf8))
        #expect(try parser.next() == nil)           // 2 more dropped while looking
        let secondInBody = parser.gap(missing: 5)  // 5 more lost
        #expect(!secondInBody)
        parser.append(Array("yy\r\nGET /b HTTP/1.1\r\n\r\n".utf8))
        #expect(try parser.next() == .resynchronised(skipped: 9 + 2 + 4, missing: 3 + 5))
        _ = parser.gap(missing: nil)
        _ = parser.gap(missing: 7)
        #expect(parser.resyncProgress?.missing == nil, "a loss of unknown size makes the total unknown")
    }

    @Test func queryItemsArePercentDecodedInOrder() {
        let head = HTTPRequestHead(
            method: "GET", target: "/ws%2Fx/websocket?a=1&b=hello%20world&c=x+y&&flag&d=%ZZ&a=2&", version: "HTTP/1.1",
            headers: HTTPHeaders())
        #expect(head.path == "/ws/x/websocket")
        #expect(
            head.query == [
                QueryItem(name: "a", value: "1"), QueryItem(name: "b", value: "hello world"),
                QueryItem(name: "c", value: "x y"), QueryItem(name: "flag", value: nil),
                QueryItem(name: "d", value: "%ZZ"), QueryItem(name: "a", value: "2"),
            ])
        #expect(head.queryValue("a") == "2")  // Plug lets the last repeated parameter win
        #expect(head.queryValue("flag") == "")
        let absolute = HTTPRequestHead(method: "GET", target: "http://127.0.0.1:4000/socket/websocket?vsn=1.0.0", version: "HTTP/1.1", headers: HTTPHeaders())
        #expect(absolute.path == "/socket/websocket")
        #expect(absolute.queryValue("vsn") == "1.0.0")
    }

    @Test func refusalWithContentLengthThenKeepAlive() throws {
        // Bandit's 403 for token=bad, then a second response on the same connection.
        let bytes = Array(
            ("HTTP/1.1 403 Forbidden\r\ndate: Sun, 29 Nov 2026 10:11:03 GMT\r\ncontent-length: 0\r\n\r\n"
                + "HTTP/1.1 200 OK\r\ncontent-length: 14\r\ncontent-type: application/json\r\n\r\n{\"status\":200}").utf8)
        for step in [1, 5, bytes.count] {
            let (msgs, error, _) = parseAll(.response, bytes, step: step)
            #expect(error == nil)
            try #require(msgs.count == 2)
            guard case .response(let r1, let b1) = msgs[0], case .response(let r2, let b2) = msgs[1] else {
                Issue.record("not responses")
                return
            }
            #expect(r1.status == 403 && r1.reason == "Forbidden" && b1.size == 0)
            #expect(r2.status == 200 && String(decoding: b2.bytes, as: UTF8.self) == "{\"status\":200}")
            #expect(r2.headers.first("Content-Type") == "application/json")
        }
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let bytes = Array(
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + "5;ext=1\r\nhello\r\n" + "7\r\n, world\r\n"
                + "0\r\nX-Trailer: yes\r\n\r\n" + "HTTP/1.1 204 No Content\r\n\r\n").utf8)
        for step in [1, 3, bytes.count] {
            let (msgs, error, _) = parseAll(.response, bytes, step: step)
            #expect(error == nil)
            try #require(msgs.count == 2)
            guard case .response(_, let body) = msgs[0] else { return }
            #expect(String(decoding: body.bytes, as: UTF8.self) == "hello, world")
            #expect(body.size == 12 && !body.truncated)
        }
    }

    @Test func responseWithoutLengthRunsUntilClose() throws {
        let bytes = Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this".utf8)
        let (msgs, error, ending) = parseAll(.response, bytes, step: 4, finish: true)
        #expect(msgs.isEmpty && error == nil)
        guard case .message(.response(let head, let body)) = ending else {
            Issue.record("expected the body to end with the connection, got \(String(describing: ending))")
            return
        }
        #expect(head.version == "HTTP/1.0")
        #expect(String(decoding: body.bytes, as: UTF8.self) == "all of this")
    }

    @Test func responseToHeadHasNoBody() throws {
        var parser = HTTPStreamParser(role: .response)
        parser.expectResponse(toMethod: "HEAD")
        parser.expectResponse(toMethod: "GET")
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8))
        guard case .message(.response(_, let b1)) = try parser.next(), case .message(.response(_, let b2)) = try parser.next()
        else {
            Issue.record("expected two responses")
            return
        }
        #expect(b1.size == 0 && b2.bytes == Array("ok".utf8))
    }

    @Test func bodyBeyondObservationLimitIsCountedNotKept() throws {
        let body = [UInt8](repeating: 0x61, count: 1000)
        let bytes = Array("POST /socket/longpoll HTTP/1.1\r\nContent-Length: 1000\r\n\r\n".utf8) + body
        let (msgs, error, _) = parseAll(.request, bytes, step: 97, maxBody: 100)
        #expect(error == nil)
        guard case .request(_, let b) = try #require(msgs.first) else { return }
        #expect(b.bytes.count == 100 && b.size == 1000 && b.truncated)
    }

    @Test func garbageIsOneTypedErrorAtOnce() {
        // 16 03 01 ...: a TLS ClientHello sent to a plain-HTTP port (record header, then 90 bytes
        // of handshake with no line feed): fails once 80 bytes show no request line can come.
        let tls = hex("16 03 01 02 00 01 00 01 fc 03 03") + [UInt8](repeating: 0x41, count: 90)
        for step in [1, 7, tls.count] {
            let (msgs, error, _) = parseAll(.request, tls, step: step)
            #expect(msgs.isEmpty)
            #expect(error == .notHTTP(startLine: "..........." + String(repeating: "A", count: 69)))
        }
        // A server that answers with something that is not a status line.
        let (_, error2, _) = parseAll(.response, Array("SSH-2.0-OpenSSH_9.6\r\n".utf8), step: 1)
        #expect(error2 == .notHTTP(startLine: "SSH-2.0-OpenSSH_9.6"))
    }

    @Test func headWithoutEndIsLimited() {
        // A start line, then header lines forever: stops at the 64 KiB head limit.
        var bytes = Array("GET / HTTP/1.1\r\n".utf8)
        while bytes.count < 70_000 { bytes += Array("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8) }
        let (_, error, _) = parseAll(.request, bytes, step: 1000)
        #expect(error == .headTooLarge(limit: 65536))
    }

    @Test func malformedHeaderLineAndContentLength() {
        // "Host 127.0.0.1" has no colon.
        let (_, e1, _) = parseAll(.request, Array("GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n".utf8), step: 3)
        #expect(e1 == .malformedHeaderLine("Host 127.0.0.1"))
        // Two Content-Length values that disagree: request smuggling territory.
        let (_, e2, _) = parseAll(.request, Array("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n".utf8), step: 100)
        #expect(e2 == .invalidContentLength("3, 4"))
        // A chunk size that is not hexadecimal.
        let (_, e3, _) = parseAll(.response, Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8), step: 100)
        #expect(e3 == .invalidChunkSize("zz"))
    }

    @Test func cutOffMessageIsReportedAtFinish() {
        let bytes = Array("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc".utf8)
        let (_, _, ending) = parseAll(.request, bytes, step: 100, finish: true)
        #expect(ending == .incomplete("the connection ended 7 bytes before the end of an HTTP body"))
    }

    @Test func gapInsideBodySkipsExactlyAndResyncFindsNextHead() throws {
        var parser = HTTPStreamParser(role: .request)
        parser.append(Array("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(try parser.next() == nil)
        let precise = parser.gap(missing: 4)
        #expect(precise)
        parser.append(Array("hij".utf8))
        guard case .message(.request(_, let body)) = try parser.next() else {
            Issue.record("expected the request")
            return
        }
        #expect(body.bytes == Array("abchij".utf8) && body.size == 10 && body.truncated)
        // A loss of unknown size inside a head: drop it and look for the next request line.
        parser.append(Array("GET /a HT".utf8))
        #expect(try parser.next() == nil)
        let precise2 = parser.gap(missing: nil)
        #expect(!precise2)
        parser.append(Array("tail of something\r\nGET /b HTTP/1.1\r\n\r\n".utf8))
        #expect(try parser.next() == .resynchronised(skipped: 9 + 19, missing: nil))
        guard case .message(.request(let head, _)) = try parser.next() else {
            Issue.record("expected the request after the gap")
            return
        }
        #expect(head.target == "/b")
    }
}
