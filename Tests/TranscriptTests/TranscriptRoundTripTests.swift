import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

@Suite struct TranscriptRoundTripTests {
    private func decoded(_ text: String, from: Direction, serializer: Serializer = .v2) -> Result<PhoenixMessage, DecodeError> {
        Result { () throws(DecodeError) -> PhoenixMessage in
            try PhoenixDecoder.decode(Array(text.utf8)[...], opcode: .text, from: from, serializer: serializer)
        }
    }

    private func sample() -> [TranscriptRecord] {
        let join = #"["4","4","room:lobby","phx_join",{"name":"alice","token":"s3cr\"et"}]"#
        let reply = #"["4","4","room:lobby","phx_reply",{"response":{"joined":"room:lobby"},"status":"ok"}]"#
        let broken = #"["4","5","room:lobby",{}]"#
        let binary: [UInt8] = [1, 1, 1, 4, 2, 0x34, 0x36, 0x72, 0x6F, 0x6F, 0x6D, 0x6F, 0x6B, 0xFF, 0x00]
        return [
            .session(SessionRecord(source: "basic.pcap", phoenixVersion: "1.8.12")),
            .open(OpenRecord(conn: 1, time: 1795947057.277465, client: "127.0.0.1:60288", server: "127.0.0.1:4000",
                             transport: .websocket, path: "/socket/websocket",
                             params: [QueryItem(name: "user", value: "alice"), QueryItem(name: "vsn", value: "2.0.0")],
                             serializer: .v2, status: 101, vsn: "2.0.0", subprotocols: ["phoenix"])),
            .message(MessageRecord(conn: 1, seq: 1, time: 1795947057.280528, from: .client, opcode: .text, raw: Array(join.utf8)[...],
                                   decoded: decoded(join, from: .client))),
            .message(MessageRecord(conn: 1, seq: 2, time: 1795947057.280786, from: .server, opcode: .text, raw: Array(reply.utf8)[...],
                                   decoded: decoded(reply, from: .server), replyTo: 1, roundTrip: 0.000258)),
            .message(MessageRecord(conn: 1, seq: 3, time: 1795947057.3, from: .client, opcode: .text, raw: Array(broken.utf8)[...],
                                   decoded: decoded(broken, from: .client),
                                   annotations: [Annotation(rule: "malformed-text-frame", severity: .error, text: "the server closes with 1011")])),
            .message(MessageRecord(conn: 1, seq: 4, time: 1795947057.4, from: .server, opcode: .binary, raw: binary[...],
                                   decoded: Result { () throws(DecodeError) -> PhoenixMessage in
                                       try PhoenixDecoder.decode(binary[...], opcode: .binary, from: .server, serializer: .v2) })),
            .annotation(AnnotationRecord(conn: 1, finding: Finding(
                annotation: Annotation(rule: "push-timeout", severity: .warning, text: "no reply in 10 s"), time: 1795947067.3, refersTo: [3]))),
            .close(CloseRecord(conn: 1, time: 1795947057.890666, from: .client, code: nil, reason: "")),
            .summary(SummaryRecord(connections: 1, messages: 4, decodeErrors: 1, errors: 1, warnings: 1, infos: 0)),
        ]
    }

    @Test func linesReadBackIntoTheSameRecords() throws {
        var reader = TranscriptReader()
        for record in sample() {
            let line = JSONLinesEncoder.line(record)
            #expect(line.last == 0x0A)
            #expect(!line.dropLast().contains(0x0A), "one record, one line")
            let back = try reader.read(line: line[...])
            #expect(back == record)
        }
    }

    @Test func messageLineHasTheDocumentedFieldsInOrder() {
        let records = sample()
        let line = String(decoding: JSONLinesEncoder.line(records[3]), as: UTF8.self)
        #expect(line == #"{"type":"message","conn":1,"seq":2,"time":1795947057.280786,"from":"server","opcode":"text","size":85,"raw":"[\"4\",\"4\",\"room:lobby\",\"phx_reply\",{\"response\":{\"joined\":\"room:lobby\"},\"status\":\"ok\"}]","join_ref":"4","ref":"4","topic":"room:lobby","event":"phx_reply","status":"ok","response":{"joined":"room:lobby"},"payload":{"response":{"joined":"room:lobby"},"status":"ok"},"reply_to":1,"rtt":0.000258,"annotations":[]}"# + "\n")
    }

    @Test func undecodableMessagesKeepTheirBytesAndSayWhy() {
        let line = String(decoding: JSONLinesEncoder.line(sample()[4]), as: UTF8.self)
        #expect(line.contains(#""decode_error":"V2 text frame has 4 elements; Phoenix needs 5: [join_ref, ref, topic, event, payload]""#))
        #expect(line.contains(#""raw":"[\"4\",\"5\",\"room:lobby\",{}]""#))
        #expect(!line.contains(#""topic""#))
    }

    @Test func binaryRepliesCarryBase64() {
        let line = String(decoding: JSONLinesEncoder.line(sample()[5]), as: UTF8.self)
        #expect(line.contains(#""raw_base64":"AQEBBAI0NnJvb21va/8A""#))
        #expect(line.contains(#""status":"ok","response_base64":"/wA=""#))
    }

    @Test func otherLines() {
        let lines = sample().map { String(decoding: JSONLinesEncoder.line($0), as: UTF8.self) }
        #expect(lines[0] == #"{"type":"session","format":"phxtap/1","source":"basic.pcap","phoenix_version":"1.8.12"}"# + "\n")
        #expect(lines[1] == #"{"type":"open","conn":1,"time":1795947057.277465,"client":"127.0.0.1:60288","server":"127.0.0.1:4000","transport":"websocket","path":"/socket/websocket","params":{"user":"alice","vsn":"2.0.0"},"serializer":"v2","status":101,"vsn":"2.0.0","subprotocols":["phoenix"]}"# + "\n")
        #expect(lines[6] == #"{"type":"annotation","conn":1,"time":1795947067.300000,"rule":"push-timeout","severity":"warning","text":"no reply in 10 s","refers_to":[3]}"# + "\n")
        #expect(lines[7] == #"{"type":"close","conn":1,"time":1795947057.890666,"via":"close-frame","from":"client","code":null,"reason":""}"# + "\n")
        #expect(lines[8] == #"{"type":"summary","connections":1,"messages":4,"decode_errors":1,"annotations":{"error":1,"warning":1,"info":0}}"# + "\n")
    }

    /// A push timeout other than phoenix.js's is recorded in seconds, as every duration is, and read back.
    @Test func sessionPushTimeoutRoundTrips() throws {
        for (seconds, text) in [(2.0, "2.000000"), (0.5, "0.500000"), (12.25, "12.250000")] {
            let line = JSONLinesEncoder.line(.session(SessionRecord(source: "s", phoenixVersion: "1.7.24", pushTimeout: seconds)))
            #expect(String(decoding: line, as: UTF8.self) == #"{"type":"session","format":"phxtap/1","source":"s","phoenix_version":"1.7.24","push_timeout":\#(text)}"# + "\n")
            var reader = TranscriptReader()
            #expect(try reader.read(line: line.dropLast()) == .session(SessionRecord(source: "s", phoenixVersion: "1.7.24", pushTimeout: seconds)))
        }
    }

    @Test func readerErrorsAreOneSentence() throws {
        var reader = TranscriptReader()
        #expect(throws: TranscriptReadError(line: 1, reason: "no \"type\" field")) { try reader.read(line: Array("{}".utf8)[...]) }
        #expect(throws: TranscriptReadError(line: 2, reason: "unknown record type \"bogus\"")) {
            try reader.read(line: Array(#"{"type":"bogus"}"#.utf8)[...])
        }
        #expect(throws: TranscriptReadError(line: 3, reason: "format is \"other/2\", expected \"phxtap/1\"")) {
            try reader.read(line: Array(#"{"type":"session","format":"other/2"}"#.utf8)[...])
        }
        #expect(try reader.read(line: Array("  ".utf8)[...]) == nil)
    }

    /// The payload and response members of a message line are derived from `raw` and are not
    /// built when it is read back, but a line whose payload is not JSON is still refused.
    @Test func derivedMembersAreCheckedThoughNotKept() throws {
        let good = #"{"type":"message","conn":1,"seq":1,"time":1.5,"from":"client","opcode":"text","size":2,"raw":"[null,\"1\",\"t\",\"e\",{}]","payload":{"a":[1,{"b":"c"}]},"annotations":[]}"#
        var reader = TranscriptReader()
        guard case .message(let m)? = try reader.read(line: Array(good.utf8)[...]) else {
            Issue.record("not a message")
            return
        }
        #expect(m.message?.topic == "t")
        let bad = good.replacing(#""payload":{"a""#, with: #""payload":{a""#)
        #expect(throws: TranscriptReadError.self) { try reader.read(line: Array(bad.utf8)[...]) }
    }

    @Test func textRendering() {
        let renderer = TextRenderer(color: false)
        let lines = sample().map(renderer.render)
        #expect(lines[2] == #"10:10:57.280528 #1 1 C→S room:lobby phx_join j=4 r=4 {"name":"alice","token":"s3cr\"et"}"#)
        #expect(lines[3] == #"10:10:57.280786 #1 2 S→C room:lobby phx_reply j=4 r=4 ok {"joined":"room:lobby"} (reply to 1, 0.26 ms)"#)
        #expect(lines[4].hasSuffix("[error malformed-text-frame: the server closes with 1011]"))
        #expect(lines[5] == "10:10:57.400000 #1 4 S→C room phx_reply j=4 r=6 ok <binary 2 bytes: ff 00>")
        #expect(lines[8] == "summary: 1 connection, 4 messages, 1 undecodable, 1 error, 1 warning, 0 info")
        let colored = TextRenderer(color: true).render(sample()[4])
        #expect(colored.contains("\u{1B}[31m"))
        #expect(!lines.joined().contains("\u{1B}"))
    }
}
