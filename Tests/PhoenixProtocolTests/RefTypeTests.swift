import PhoenixProtocol
import Testing

/// A real server accepts numeric refs and echoes them as numbers (PROTOCOL.md section 12), so the
/// decoder keeps their JSON type for the checker to point at.
@Suite struct RefTypeTests {
    private func decode(_ s: String, from: Direction = .client, serializer: Serializer = .v2) throws -> PhoenixMessage {
        try PhoenixDecoder.decode(Array(s.utf8)[...], opcode: .text, from: from, serializer: serializer)
    }

    @Test func numericRefsKeepTheirType() throws {
        let m = try decode(#"[1,2,"room:lobby","ping",{}]"#)
        #expect(m.joinRef == .number("1"))
        #expect(m.ref == .number("2"))
        #expect(m.ref?.isString == false)
        #expect(m.ref.jsonText == "2")
    }

    @Test func numberLiteralsAreKeptVerbatim() throws {
        let m = try decode(#"[1.0,-3e2,"t","e",{}]"#)
        #expect(m.joinRef == .number("1.0"))
        #expect(m.ref == .number("-3e2"))
    }

    @Test func echoedNumericRefInAReply() throws {
        let m = try decode(#"[1,2,"room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, from: .server)
        #expect(m.ref == .number("2"))
        #expect(m.reply?.status == "ok")
    }

    @Test func otherJSONTypesSurviveAsValues() throws {
        let m = try decode(#"[true,{"a":1},"t","e",{}]"#)
        #expect(m.joinRef == .other("true"))
        #expect(m.ref == .other(#"{"a":1}"#))
    }

    @Test func nullRefs() throws {
        let m = try decode(#"[null,null,"room:lobby","new_msg",{"body":"hi"}]"#, from: .server)
        #expect(m.joinRef == nil)
        #expect(m.ref == nil)
    }

    @Test func v1ServerMessagesHaveNoJoinRefKey() throws {
        let m = try decode(#"{"event":"phx_reply","payload":{"response":{},"status":"ok"},"ref":"5","topic":"room:v1"}"#, from: .server, serializer: .v1)
        #expect(m.layout == .v1Object(hasJoinRefKey: false, extraKeys: []))
        #expect(m.joinRef == nil)
    }

    @Test func extraArrayElementsAndUnknownEventsSurvive() throws {
        let m = try decode(#"["1","2","t","my_event",{},"extra",[1,2]]"#)
        #expect(m.event == "my_event")
        #expect(m.reservedEvent == nil)
        #expect(m.layout == .v2Array(extraElements: [#""extra""#, "[1,2]"]))
        let encoded = try PhoenixEncoder.encode(m, serializer: .v2, from: .client)
        #expect(String(decoding: encoded.bytes, as: UTF8.self) == #"["1","2","t","my_event",{},"extra",[1,2]]"#)
    }

    @Test func reservedEventsAreRecognised() throws {
        for event in ["phx_join", "phx_reply", "phx_leave", "phx_close", "phx_error", "heartbeat", "presence_state", "presence_diff", "diff", "live_patch"] {
            #expect(ReservedEvent(rawValue: event) != nil, "\(event)")
        }
        #expect(ReservedEvent(rawValue: "diff")?.isLiveView == true)
    }

    @Test func escapedStringsDecode() throws {
        let m = try decode(#"["1","2","room:\u00e9\ud83d\ude00","a\"b",{}]"#)
        #expect(m.topic == "room:é😀")
        #expect(m.event == "a\"b")
    }

    @Test func replyWithoutTheReplyShapeIsNotSplit() throws {
        let m = try decode(#"["1","2","t","phx_reply",{"ok":true}]"#, from: .server)
        #expect(m.reply == nil)
    }
}

@Suite struct VsnNegotiationTests {
    @Test func phoenixChoosesTheSerializerFromVsn() {
        #expect(VsnNegotiation.negotiate(vsn: nil) == .accepted(.v1))
        #expect(VsnNegotiation.negotiate(vsn: "1.0.0") == .accepted(.v1))
        #expect(VsnNegotiation.negotiate(vsn: "2.0.0") == .accepted(.v2))
        #expect(VsnNegotiation.negotiate(vsn: "2.0.9+build") == .accepted(.v2))
        #expect(VsnNegotiation.negotiate(vsn: "2.1.0") == .unsupported("2.1.0"))
        #expect(VsnNegotiation.negotiate(vsn: "123.1.1") == .unsupported("123.1.1"))
        #expect(VsnNegotiation.negotiate(vsn: "2.0.0-rc.1") == .unsupported("2.0.0-rc.1"))
        #expect(VsnNegotiation.negotiate(vsn: "2.0") == .unparseable("2.0"))
        #expect(VsnNegotiation.negotiate(vsn: "02.0.0") == .unparseable("02.0.0"))
        #expect(VsnNegotiation.negotiate(vsn: "") == .unparseable(""))
    }
}
