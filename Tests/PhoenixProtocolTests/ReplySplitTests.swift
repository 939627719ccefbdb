import PhoenixProtocol
import Testing

/// A server reply is split into status and response while its payload is validated; a reply
/// whose event is written with escapes takes the older second pass. Both must agree.
@Suite struct ReplySplitTests {
    static let payloads = [
        #"{"status":"ok","response":{"a":1}}"#,
        #"{"response":{"status":"nested"},"status":"error"}"#,
        #"{ "status" : "ok" , "response" : [1, {"status": 2}] }"#,
        #"{"status":"ok","status":"error","response":null}"#,
        #"{"status":1,"response":{}}"#,
        #"{"status":"ok","status":2,"response":"x"}"#,
        #"{"st\u0061tus":"ok","resp\u006fnse":true}"#,
        #"{"status":"ok"}"#,
        #"{"response":{}}"#,
        #"{}"#,
        #"{"statuses":"ok","response":1}"#,
        #"[1,2]"#,
        #""text""#,
    ]

    @Test(arguments: payloads)
    func singlePassSplitsLikeTheSecondPass(payload: String) throws {
        let plain = Array(#"["1","2","room:1","phx_reply",\#(payload)]"#.utf8)
        let escaped = Array(#"["1","2","room:1","phx\u005freply",\#(payload)]"#.utf8)
        let a = try PhoenixDecoder.decode(plain[...], opcode: .text, from: .server, serializer: .v2)
        let b = try PhoenixDecoder.decode(escaped[...], opcode: .text, from: .server, serializer: .v2)
        #expect(a.event == "phx_reply" && b.event == "phx_reply")
        #expect(a.reply == b.reply)
        #expect(a.payload == b.payload)
    }

    @Test func splitsTheLastStringStatusAndTheTopLevelResponse() throws {
        let frame = Array(#"["1","2","room:1","phx_reply",{"response":{"status":"nested"},"status":"ok","status":3}]"#.utf8)
        let reply = try PhoenixDecoder.decode(frame[...], opcode: .text, from: .server, serializer: .v2).reply
        #expect(reply?.status == "ok")
        #expect(reply.map { Array($0.response.bytes) } == Array(#"{"status":"nested"}"#.utf8))
    }

    @Test func clientMessagesAreNotSplit() throws {
        let frame = Array(#"["1","2","room:1","phx_reply",{"status":"ok","response":{}}]"#.utf8)
        #expect(try PhoenixDecoder.decode(frame[...], opcode: .text, from: .client, serializer: .v2).reply == nil)
    }
}
