import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

@Suite struct RedactorTests {
    static func record(_ frame: String, from: Direction = .client, serializer: Serializer = .v2) -> MessageRecord {
        let raw = Array(frame.utf8)
        return MessageRecord(conn: 1, seq: 1, time: 1, from: from, opcode: .text, raw: raw[...], decoded: Result {
            () throws(DecodeError) -> PhoenixMessage in try PhoenixDecoder.decode(raw[...], opcode: .text, from: from, serializer: serializer)
        })
    }

    @Test func liveViewJoinKeepsItsShape() throws {
        let join = Self.record(#"["4","4","lv:phx-1","phx_join",{"url":"http://x/","params":{"_csrf_token":"CSRFCSRF","_mounts":0},"session":"SESSION-TOKEN","static":"STATIC"}]"#)
        let out = Redactor().redact(join)
        let text = String(decoding: out.raw, as: UTF8.self)
        #expect(text == #"["4","4","lv:phx-1","phx_join",{"url":"http://x/","params":{"_csrf_token":"[redacted len=8 hash=\#(Self.hash("CSRFCSRF"))]","_mounts":0},"session":"[redacted len=13 hash=\#(Self.hash("SESSION-TOKEN"))]","static":"[redacted len=6 hash=\#(Self.hash("STATIC"))]"}]"#)
        // The envelope decodes again from the redacted bytes.
        let m = try #require(out.message)
        #expect(m.topic == "lv:phx-1")
        #expect(m.event == "phx_join")
        #expect(m.payload.jsonValue()?["session"]?.stringValue?.hasPrefix("[redacted len=13 ") == true)
        // Redacting twice changes nothing.
        #expect(Redactor().redact(out) == out)
    }

    static func hash(_ s: String) -> String {
        let marker = Redactor.marker(for: s)
        return String(marker.split(separator: "=").last!.dropLast())
    }

    @Test func framesWithoutSecretsStayByteForByte() {
        // Escapes that compact re-encoding would change must survive when nothing is secret.
        let frame = Self.record(#"["4","5","room:lobby","ping",{"s":"\u00e9\/","n":1.50}]"#)
        #expect(Redactor().redact(frame) == frame)
        let v1 = Self.record(#"{"topic":"room:v1","event":"phx_join","payload":{"token":"abc"},"ref":"1","join_ref":"1"}"#, serializer: .v1)
        let out = Redactor().redact(v1)
        #expect(String(decoding: out.raw, as: UTF8.self).contains(#""payload":{"token":"[redacted len=3 "#))
        #expect(out.message?.layout == v1.message?.layout)
    }

    @Test func extraKeysAndNesting() {
        let frame = Self.record(#"["4","5","room:lobby","login",{"user":{"password":"hunter2","name":"a"},"apiSecret":"k","list":[{"pin":"1234"}]}]"#)
        let out = String(decoding: Redactor(extra: ["PIN", "apiSecret"]).redact(frame).raw, as: UTF8.self)
        #expect(!out.contains("hunter2"))
        #expect(!out.contains(#""k""#))
        #expect(!out.contains("1234"))
        #expect(out.contains(#""name":"a""#))
    }

    @Test func headersKeepTheirNamesAndSchemes() {
        let r = Redactor()
        #expect(r.redact(headerName: "Cookie", value: "_app_key=SECRET; theme=dark")
            == "_app_key=\(Redactor.marker(for: "SECRET")); theme=\(Redactor.marker(for: "dark"))")
        #expect(r.redact(headerName: "set-cookie", value: "_app_key=SECRET; path=/; HttpOnly")
            == "_app_key=\(Redactor.marker(for: "SECRET")); path=/; HttpOnly")
        #expect(r.redact(headerName: "Authorization", value: "Bearer abc.def") == "Bearer \(Redactor.marker(for: "abc.def"))")
        #expect(r.redact(headerName: "Sec-WebSocket-Protocol", value: "phoenix, base64url.bearer.phx.dG9r")
            == "phoenix, base64url.bearer.phx.\(Redactor.marker(for: "dG9r"))")
        #expect(r.redact(headerName: "X-Phoenix-LongPoll-Token", value: "tok") == Redactor.marker(for: "tok"))
        #expect(r.redact(headerName: "Host", value: "example.test") == "example.test")
    }

    @Test func openRecordsAndBinaryFrames() {
        let open = TranscriptRecord.open(OpenRecord(
            conn: 1, time: 0, client: "", server: "", transport: .websocket, path: "/socket/websocket",
            params: [QueryItem(name: "token", value: "abc"), QueryItem(name: "vsn", value: "2.0.0")], serializer: .v2, status: 101,
            vsn: "2.0.0", subprotocols: ["phoenix", "base64url.bearer.phx.dG9r"]))
        guard case .open(let o) = Redactor().redact(open) else { return }
        #expect(o.params[0].value == Redactor.marker(for: "abc"))
        #expect(o.params[1].value == "2.0.0")
        #expect(o.subprotocols == ["phoenix", "base64url.bearer.phx." + Redactor.marker(for: "dG9r")])
        // Binary payloads are opaque bytes: nothing to find, nothing changed.
        let binary = MessageRecord(conn: 1, seq: 1, time: 0, from: .client, opcode: .binary, raw: [0, 1, 1, 1, 1, 0x31, 0x32, 0x74, 0x65],
                                   decoded: .failure(.emptyFrame(.binary)))
        #expect(Redactor().redact(binary) == binary)
    }
}
