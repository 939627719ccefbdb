import PhoenixChecker
import PhoenixProtocol
import Testing

@Suite struct HandshakeTests {
    @Test func vsnRejectedFiresOnUnsupportedVersion() {
        let p = Playbook(vsn: "123.1.1", status: 403)
        #expect(p.rules == ["vsn-rejected"])
        #expect(p.said[0].severity == .error)
        #expect(p.checker.serializer == nil)
    }

    @Test func vsnRejectedFiresOnUnparseableVersion() {
        let p = Playbook(vsn: "2.0", status: 403)
        #expect(p.rules == ["vsn-rejected"])
        #expect(p.said[0].text.contains("is not a semantic version"))
    }

    @Test func handshakeSilentForV2() {
        let p = Playbook(vsn: "2.0.0", status: 101)
        #expect(p.said.isEmpty)
        #expect(p.checker.serializer == .v2)
    }

    @Test func vsnMissingMeansV1() {
        let p = Playbook(vsn: nil, status: 101)
        #expect(p.rules == ["vsn-missing"])
        #expect(p.said[0].severity == .info)
        #expect(p.checker.serializer == .v1)
        #expect(Playbook(vsn: "1.0.0", status: 101).said.isEmpty)
    }

    @Test func connectRefusedOn403WithValidVsn() {
        let p = Playbook(vsn: "2.0.0", status: 403)
        #expect(p.rules == ["connect-refused"])
        #expect(p.said[0].severity == .info)
    }
}

@Suite struct EnvelopeTests {
    @Test func malformedTextFrameFromClient() {
        var p = Playbook()
        // A V2 text frame that is an object, not an array.
        p.client(#"{"topic":"room:lobby","event":"phx_join","payload":{},"ref":"1"}"#, at: 0)
        // Four elements: the payload is missing.
        p.client(#"["1","2","room:lobby","ping"]"#, at: 0.1)
        #expect(p.rules == ["malformed-text-frame", "malformed-text-frame"])
        #expect(p.said[0].text.contains("not an array"))
        #expect(p.said[0].text.contains("1011"))
        #expect(p.said[1].text.contains("has 4 elements"))
    }

    @Test func malformedBinaryFrames() {
        var p = Playbook()
        // Kind 1 (reply) from a client: only servers send it.
        p.feed([0x01, 0x01, 0x01, 0x01, 0x02, 0x31, 0x31, 0x74, 0x6f, 0x6b], .binary, .client, 0)
        // Kind 0 push whose topic size (0x20) runs past the end of the frame.
        p.feed([0x00, 0x01, 0x01, 0x20, 0x01, 0x31, 0x32, 0x74], .binary, .client, 0.1)
        #expect(p.rules == ["malformed-binary-frame", "malformed-binary-frame"])
        #expect(p.said[1].text.contains("runs past the end"))
    }

    @Test func wellFormedBinaryPushIsSilent() {
        var p = joined()
        // kind 0, join_ref "1", ref "2", topic "room:lobby", event "bin", payload 01 02.
        var frame: [UInt8] = [0x00, 1, 1, 10, 3]
        frame += Array("12room:lobbybin".utf8) + [0x01, 0x02]
        p.feed(frame, .binary, .client, 0.1)
        #expect(p.said.isEmpty)
    }

    @Test func invalidUTF8InTextFrame() {
        var p = Playbook()
        // 0xff can never appear in UTF-8.
        p.feed([0x5b, 0x22, 0xff, 0x22, 0x5d], .text, .client, 0)
        #expect(p.rules == ["ws-invalid-utf8"])
        #expect(p.said[0].severity == .error)
    }

    @Test func nonStringRefFromClientButNotOnServerEcho() {
        var p = Playbook()
        p.client(#"[1,1,"room:lobby","phx_join",{}]"#, at: 0)
        p.server(#"[1,1,"room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["non-string-ref"])
        #expect(p.said[0].seqs == [1])
        #expect(p.verdicts[2]?.replyTo == 1)
    }

    @Test func serverFieldPattern() {
        var p = joined()
        p.server(#"["1","7","room:lobby","welcome",{}]"#, at: 0.1)  // a push with a ref
        p.server(#"["1","2","room:lobby","phx_error",{}]"#, at: 0.2)  // ref != join_ref
        #expect(p.rules == ["server-field-pattern", "server-field-pattern"])
    }

    @Test func serverFieldPatternSilentOnPhoenixShapes() {
        var p = joined()
        p.server(#"["1",null,"room:lobby","welcome",{}]"#, at: 0.1)
        p.server(#"[null,null,"room:lobby","new_msg",{}]"#, at: 0.2)
        p.client(#"[null,"3","phoenix","heartbeat",{}]"#, at: 0.3)
        p.server(#"[null,"3","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.31)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.4)
        #expect(p.said.isEmpty, "\(p.said)")
    }
}
