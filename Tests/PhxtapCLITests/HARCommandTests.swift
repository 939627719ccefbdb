import Foundation
import Testing

/// HAR in and out through the real binary: phxtap's own HARs read back into the same
/// transcript, and a HAR in Chrome's export shape is read like a capture.
@Suite struct HARCommandTests {
    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-har-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    /// Every line but the session line (whose source names the input file).
    static func body(_ jsonl: String) -> [Substring] {
        Array(jsonl.split(separator: "\n").dropFirst())
    }

    @Test(arguments: ExportGoldenTests.captures)
    func harReadsBackIntoTheSameTranscript(capture: String) throws {
        let har = try Self.scratch("\(capture).har")
        defer { try? FileManager.default.removeItem(at: har.deletingLastPathComponent()) }
        let write = try PhxtapProcess.run(["read", "--format", "har", "--no-redact", "-o", har.path, "Captures/\(capture).pcap"])
        #expect(write.status == 0, "\(write.stderr)")
        let original = try PhxtapProcess.run(["read", "--format", "jsonl", "--no-redact", "Captures/\(capture).pcap"])
        let back = try PhxtapProcess.run(["read", "--format", "jsonl", "--no-redact", har.path])
        #expect(back.status == 0, "\(back.stderr)")
        let a = Self.body(original.stdout)
        let b = Self.body(back.stdout)
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) where x != y {
            Issue.record("differs:\n  capture: \(x.prefix(300))\n  HAR:     \(y.prefix(300))")
            break
        }
    }

    /// The fields Chrome DevTools writes for a WebSocket ("Save all as HAR with content"):
    /// `_resourceType`, `_webSocketMessages` of {type, time, opcode, data}, base64 for binary.
    static let chromeHAR = #"""
        {
          "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [{"startedDateTime": "2026-11-29T10:10:57.270Z", "id": "page_1", "title": "http://localhost:4000/", "pageTimings": {}}],
            "entries": [
              {
                "_initiator": {"type": "script"},
                "_priority": "Low",
                "_resourceType": "document",
                "cache": {}, "connection": "1",
                "pageref": "page_1",
                "request": {"method": "GET", "url": "http://localhost:4000/", "httpVersion": "HTTP/1.1",
                            "headers": [{"name": "Cookie", "value": "_app_key=SFMyNTY.cookiesecretcookiesecret"}],
                            "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                             "content": {"size": 5, "mimeType": "text/html", "text": "<html"}, "redirectURL": "",
                             "headersSize": -1, "bodySize": -1},
                "serverIPAddress": "127.0.0.1",
                "startedDateTime": "2026-11-29T10:10:57.271Z",
                "time": 3.2,
                "timings": {"blocked": 0.5, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 2, "receive": 0.6}
              },
              {
                "_initiator": {"type": "script"},
                "_resourceType": "websocket",
                "_webSocketMessages": [
                  {"type": "send", "time": 1795947057.280528, "opcode": 1, "data": "[\"4\",\"4\",\"room:lobby\",\"phx_join\",{\"name\":\"alice\"}]"},
                  {"type": "receive", "time": 1795947057.280786, "opcode": 1, "data": "[\"4\",\"4\",\"room:lobby\",\"phx_reply\",{\"response\":{\"joined\":\"room:lobby\"},\"status\":\"ok\"}]"},
                  {"type": "send", "time": 1795947057.2820, "opcode": 2, "data": "AAEBCgM0NXJvb206bG9iYnliaW4AAQI="},
                  {"type": "receive", "time": 1795947057.2821, "opcode": 1, "data": "[null,null,\"room:lobby\",\"shout\",{\"x\":1}]"},
                  {"type": "send", "time": 1795947057.2830, "opcode": 1, "data": "[\"3\",\"6\",\"room:lobby\",\"ping\",{}]"}
                ],
                "cache": {}, "connection": "42",
                "request": {"method": "GET", "url": "ws://localhost:4000/socket/websocket?token=chrome-secret-token&vsn=2.0.0",
                            "httpVersion": "HTTP/1.1",
                            "headers": [{"name": "Host", "value": "localhost:4000"}, {"name": "Upgrade", "value": "websocket"},
                                        {"name": "Cookie", "value": "_app_key=SFMyNTY.cookiesecretcookiesecret"},
                                        {"name": "Sec-WebSocket-Protocol", "value": "phoenix, base64url.bearer.phx.Y2hyb21lLWJlYXJlcg"}],
                            "queryString": [{"name": "token", "value": "chrome-secret-token"}, {"name": "vsn", "value": "2.0.0"}],
                            "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
                             "headers": [{"name": "Upgrade", "value": "websocket"}], "cookies": [],
                             "content": {"size": 0, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
                "serverIPAddress": "127.0.0.1",
                "startedDateTime": "2026-11-29T10:10:57.278Z",
                "time": 1.1,
                "timings": {"blocked": -1, "dns": -1, "ssl": -1, "connect": -1, "send": 0, "wait": 1.1, "receive": 0}
              }
            ]
          }
        }
        """#

    @Test func chromeExportIsReadLikeACapture() throws {
        let file = try Self.scratch("chrome.har")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Self.chromeHAR.write(to: file, atomically: true, encoding: .utf8)
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", file.path])
        #expect(run.status == 0, "\(run.stderr)")
        let records = try ReadCommandTests.transcript(run)
        let open = try #require(records.first { $0["type"] as? String == "open" })
        #expect(open["server"] as? String == "localhost:4000")
        #expect(open["path"] as? String == "/socket/websocket")
        #expect(open["status"] as? Int == 101)
        #expect(open["serializer"] as? String == "v2")
        let params = try #require(open["params"] as? [String: String])
        #expect(params["token"]?.hasPrefix("[redacted len=19 hash=") == true)
        #expect((open["subprotocols"] as? [String])?.last?.hasPrefix("base64url.bearer.phx.[redacted len=18 ") == true)
        let messages = records.filter { $0["type"] as? String == "message" }
        #expect(messages.map { $0["event"] as? String } == ["phx_join", "phx_reply", "bin", "shout", "ping"])
        #expect(messages.map { $0["from"] as? String } == ["client", "server", "client", "server", "client"])
        #expect(messages[1]["reply_to"] as? Int == 1)
        #expect(messages[2]["opcode"] as? String == "binary")
        #expect(messages[2]["payload_base64"] as? String == "AAEC")
        #expect(messages[2]["ref"] as? String == "5")
        #expect((messages[0]["time"] as? Double).map { abs($0 - 1795947057.280528) < 1e-6 } == true)
        // The checker ran: a push with a join_ref the channel never had is stale.
        let rules = (messages[4]["annotations"] as? [[String: Any]])?.compactMap { $0["rule"] as? String } ?? []
        #expect(!rules.isEmpty, "\(messages[4])")
        #expect(!run.stdout.contains("chrome-secret-token"))
        #expect(!run.stdout.contains("Y2hyb21lLWJlYXJlcg"))
    }

    @Test func harWithoutPhoenixTrafficSaysSo() throws {
        let file = try Self.scratch("page.har")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try #"{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"2026-11-29T10:10:57.271Z","time":1,"request":{"method":"GET","url":"http://localhost/"},"response":{"status":200}}]}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", file.path])
        #expect(run.status == 0)
        #expect(run.stderr == "phxtap: \(file.path): no WebSocket or Phoenix LongPoll traffic among its 1 entries\n")
    }

    @Test func brokenHARExitsTwoWithOneSentence() throws {
        let file = try Self.scratch("broken.har")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        // A HAR cut off in the middle of its entries.
        try #"{"log":{"version":"1.2","entries":[{"request":"#.write(to: file, atomically: true, encoding: .utf8)
        let run = try PhxtapProcess.run(["read", file.path])
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("phxtap: \(file.path): HAR: not JSON"))
        #expect(run.stderr.split(separator: "\n").count == 1)
    }
}

extension HARCommandTests {
    @Test func outputOverAnInputIsRefused() throws {
        let file = try Self.scratch("same.har")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Self.chromeHAR.write(to: file, atomically: true, encoding: .utf8)
        let run = try PhxtapProcess.run(["read", "--format", "har", "-o", file.path, file.path])
        #expect(run.status == 2)
        #expect(run.stderr == "phxtap: -o \(file.path) is also an input; writing it would destroy what is to be read\n")
        #expect(try String(contentsOf: file, encoding: .utf8) == Self.chromeHAR)
    }
}
