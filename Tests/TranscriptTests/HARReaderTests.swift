import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

@Suite struct HARReaderTests {
    /// A LongPoll session as Firefox exports it: a first GET answered 410 with a token, a POST of
    /// ndjson carrying the token in the query, a poll answered with messages, an OPTIONS preflight.
    static let firefoxLongPoll = #"""
        {"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "130.0"}, "entries": [
          {"startedDateTime": "2026-11-29T11:11:55.478+01:00", "time": 6,
           "request": {"method": "GET", "url": "http://127.0.0.1:4000/socket/longpoll?user=poller&vsn=2.0.0", "headers": []},
           "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json",
             "text": "{\"messages\":[],\"status\":410,\"token\":\"SFMyNTY.sessiontokensessiontoken\"}"}}},
          {"startedDateTime": "2026-11-29T11:11:55.489+01:00", "time": 1,
           "request": {"method": "OPTIONS", "url": "http://127.0.0.1:4000/socket/longpoll?user=poller&vsn=2.0.0&token=SFMyNTY.sessiontokensessiontoken", "headers": []},
           "response": {"status": 200, "headers": [], "content": {"mimeType": "text/plain", "text": ""}}},
          {"startedDateTime": "2026-11-29T11:11:55.489+01:00", "time": 1,
           "request": {"method": "POST", "url": "http://127.0.0.1:4000/socket/longpoll?user=poller&vsn=2.0.0&token=SFMyNTY.sessiontokensessiontoken",
             "headers": [{"name": "Content-Type", "value": "application/x-ndjson"}],
             "postData": {"mimeType": "application/x-ndjson", "text": "[\"4\",\"4\",\"room:lp\",\"phx_join\",{}]\n[\"4\",\"5\",\"room:lp\",\"ping\",{}]"}},
           "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": "{\"status\":200}"}}},
          {"startedDateTime": "2026-11-29T11:11:55.485+01:00", "time": 5,
           "request": {"method": "GET", "url": "http://127.0.0.1:4000/socket/longpoll?user=poller&vsn=2.0.0&token=SFMyNTY.sessiontokensessiontoken", "headers": []},
           "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "encoding": "base64",
             "text": "eyJtZXNzYWdlcyI6WyJbXCI0XCIsXCI0XCIsXCJyb29tOmxwXCIsXCJwaHhfcmVwbHlcIix7XCJyZXNwb25zZVwiOnt9LFwic3RhdHVzXCI6XCJva1wifV0iXSwic3RhdHVzIjoyMDAsInRva2VuIjoiU0ZNeU5UWS5zZXNzaW9udG9rZW5zZXNzaW9udG9rZW4ifQ=="}}}
        ]}}
        """#

    @Test func longPollRequestsBecomeOneSession() throws {
        let archive = try HARReader.read(Array(Self.firefoxLongPoll.utf8))
        #expect(archive.connections.count == 1)
        #expect(archive.otherEntries == 0)
        let c = try #require(archive.connections.first)
        #expect(c.connection.transport == .longpoll)
        #expect(c.connection.server == "127.0.0.1:4000")
        #expect(c.connection.path == "/socket/longpoll")
        #expect(c.connection.params == [QueryItem(name: "user", value: "poller"), QueryItem(name: "vsn", value: "2.0.0")])
        #expect(c.connection.status == 410)
        // 11:11:55.478 at +01:00 is 10:11:55.478 UTC.
        #expect(abs(c.startTime - 1_795_947_115.478) < 1e-6)
        #expect(c.events.count == 4)
        guard case .longPollSend(let type, let body, _) = c.events[1] else {
            Issue.record("second event is \(c.events[1])")
            return
        }
        #expect(type == "application/x-ndjson")
        #expect(body.split(separator: 0x0A).count == 2)
        guard case .longPollAnswer(let method, let status, let answer, let time) = c.events[3] else {
            Issue.record("fourth event is \(c.events[3])")
            return
        }
        #expect(method == "GET")
        #expect(status == 200)
        #expect(String(decoding: answer, as: UTF8.self).contains(#"phx_reply"#))
        #expect(abs(time - 1_795_947_115.490) < 1e-6)
    }

    @Test func malformedFilesNameWhatIsWrong() {
        let cases: [(String, String)] = [
            // Not JSON at all.
            ("GET / HTTP/1.1", "HAR: not JSON"),
            // JSON, but no log.
            (#"{"entries":[]}"#, #"HAR: no "log" object at the top level"#),
            // A log without entries.
            (#"{"log":{"version":"1.2"}}"#, #"HAR: "log" has no "entries" list"#),
            // An entry without a URL.
            (#"{"log":{"entries":[{"request":{"method":"GET"}}]}}"#, "HAR: entry 1 has no request URL"),
            // A WebSocket message of an unknown type.
            (#"{"log":{"entries":[{"request":{"url":"ws://h/s"},"_webSocketMessages":[{"type":"ping","time":1,"opcode":1,"data":""}]}]}}"#,
             #"HAR: entry 1, WebSocket message 1: "type" must be send or receive"#),
            // A binary message whose data is not base64.
            (#"{"log":{"entries":[{"request":{"url":"ws://h/s"},"_webSocketMessages":[{"type":"send","time":1,"opcode":2,"data":"**"}]}]}}"#,
             #"HAR: entry 1, WebSocket message 1: binary "data" is not base64"#),
            // A message without a time.
            (#"{"log":{"entries":[{"request":{"url":"ws://h/s"},"_webSocketMessages":[{"type":"send","opcode":1,"data":"[]"}]}]}}"#,
             #"HAR: entry 1, WebSocket message 1: "time" must be a number of seconds"#),
        ]
        for (text, message) in cases {
            do {
                _ = try HARReader.read(Array(text.utf8))
                Issue.record("read without error: \(text)")
            } catch {
                #expect(error.description.hasPrefix(message), "\(error.description)")
            }
        }
    }

    @Test func sniffingTellsHARFromOtherJSON() {
        #expect(HARReader.looksLikeHAR(Array("\u{FEFF}\n  { \"log\" : {".utf8)))
        #expect(HARReader.looksLikeHAR(Array(#"{"log":{}}"#.utf8)))
        #expect(!HARReader.looksLikeHAR(Array(#"{"type":"session","format":"phxtap/1"}"#.utf8)))
        #expect(!HARReader.looksLikeHAR([0xD4, 0xC3, 0xB2, 0xA1]))
    }

    @Test func isoTimesBothWays() {
        #expect(ISOTime.format(1_795_947_057.280528) == "2026-11-29T10:10:57.280Z")
        #expect(ISOTime.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(ISOTime.format(951_782_400) == "2000-02-29T00:00:00.000Z")
        #expect(ISOTime.parse("2026-11-29T10:10:57.280Z") == 1_795_947_057.28)
        #expect(ISOTime.parse("2026-11-29T11:10:57+01:00") == 1_795_947_057)
        #expect(ISOTime.parse("2026-11-29T05:10:57-0500") == 1_795_947_057)
        #expect(ISOTime.parse("2000-02-29T00:00:00Z") == 951_782_400)
        for bad in ["2026-11-29", "2026-13-01T00:00:00Z", "2026-11-29T10:10:57", "2026-11-29T10:10:57.Z", "2026-11-29T10:10:57Zjunk"] {
            #expect(ISOTime.parse(bad) == nil, "\(bad)")
        }
    }

    /// What HARWriter writes, HARReader reads: messages, times to the microsecond, closes.
    @Test func writerAndReaderAgree() throws {
        func message(_ seq: Int, _ from: Direction, _ opcode: DataOpcode, _ raw: [UInt8], _ time: Double) -> TranscriptRecord {
            .message(MessageRecord(conn: 1, seq: seq, time: time, from: from, opcode: opcode, raw: raw[...],
                                   decoded: .failure(.emptyFrame(opcode))))
        }
        let records: [TranscriptRecord] = [
            .session(SessionRecord(source: "x.pcap")),
            .open(OpenRecord(conn: 1, time: 10.000001, client: "10.0.0.1:5", server: "example.test:443", transport: .websocket,
                             path: "/socket/websocket", params: [QueryItem(name: "vsn", value: "2.0.0"), QueryItem(name: "q", value: "a b&c")],
                             serializer: .v2, status: 101, vsn: "2.0.0", subprotocols: ["phoenix"], extensions: "permessage-deflate")),
            message(1, .client, .text, Array(#"["1","1","t","phx_join",{"s":"é\n"}]"#.utf8), 10.000002),
            message(2, .server, .binary, [0, 255, 10, 13], 10.123457),
            .close(CloseRecord(conn: 1, time: 11, from: .client, code: 1000, reason: "bye")),
        ]
        let archive = try HARReader.read(HARWriter.write(records))
        let c = try #require(archive.connections.first)
        #expect(c.connection.client == "10.0.0.1:5")
        #expect(c.connection.server == "example.test:443")
        #expect(c.connection.params == [QueryItem(name: "vsn", value: "2.0.0"), QueryItem(name: "q", value: "a b&c")])
        #expect(c.connection.subprotocols == ["phoenix"])
        #expect(c.connection.extensions == "permessage-deflate")
        #expect(c.startTime == 10.000001)
        #expect(c.events == [
            .message(from: .client, opcode: .text, bytes: Array(#"["1","1","t","phx_join",{"s":"é\n"}]"#.utf8), time: 10.000002),
            .message(from: .server, opcode: .binary, bytes: [0, 255, 10, 13], time: 10.123457),
            .close(via: .closeFrame, from: .client, code: 1000, reason: "bye", time: 11),
        ])
    }
}
