import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

/// The explanations say what a message is and why its refs look the way they do.
@Suite struct MessageExplainerTests {
    static func explain(_ frames: [(Direction, String, Int?)]) -> [String] {
        let messages = frames.enumerated().map { i, f in
            var m = RedactorTests.record(f.1, from: f.0).with(conn: 1, seq: i + 1)
            m.replyTo = f.2
            return m
        }
        var explainer = MessageExplainer(open: nil, messages: messages)
        return messages.map { explainer.explain($0) }
    }

    @Test func aChannelsLife() {
        let lines = Self.explain([
            (.client, #"["4","4","room:lobby","phx_join",{}]"#, nil),
            (.server, #"["4","4","room:lobby","phx_reply",{"status":"ok","response":{}}]"#, 1),
            (.client, #"["4","7","room:lobby","ping",{}]"#, nil),
            (.server, #"["4","7","room:lobby","phx_reply",{"status":"ok","response":{}}]"#, 3),
            (.server, #"[null,null,"room:lobby","shout",{}]"#, nil),
            (.server, #"["4",null,"room:lobby","welcome",{}]"#, nil),
            (.server, #"["2",null,"room:lobby","old",{}]"#, nil),
            (.server, #"["4","4","room:lobby","phx_error",{}]"#, nil),
            (.client, #"["9","9","room:lobby","phx_join",{}]"#, nil),
            (.client, #"[null,"10","phoenix","heartbeat",{}]"#, nil),
        ])
        #expect(lines[0] == "Join request for `room:lobby`; join_ref 4 equals its ref, as phoenix.js sends it, and every later message of this channel carries join_ref 4. Answered by message 2.")
        #expect(lines[1] == "Join of `room:lobby` accepted (reply to message 1); join_ref 4 and ref 4 echo the join; the channel is now joined.")
        #expect(lines[3] == "Reply to push 3 (`ping`) on `room:lobby`: ok; join_ref 4 echoes the channel's join, ref 7 the push's.")
        #expect(lines[4] == "Broadcast `shout`: no join_ref and no ref, so every channel on this topic receives it.")
        #expect(lines[5].hasPrefix("Push `welcome` from the channel process: join_ref 4 (the channel's join) and no ref"))
        #expect(lines[6].hasPrefix("Push `old` with join_ref 2, which is not the current join of this topic, so phoenix.js drops it"))
        #expect(lines[7].hasPrefix("Channel `room:lobby` crashed on the server: phx_error carries ref = join_ref 4"))
        #expect(lines[8].hasPrefix("Rejoin of `room:lobby` with a new join_ref 9 (the join before used 4)"))
        #expect(lines[9] == "Heartbeat: topic `phoenix` belongs to the socket, not to a channel, so join_ref is null; ref 10 lets the client match the server's reply. No reply was seen.")
    }

    @Test func unmatchedTopicAndNumericRefs() {
        let lines = Self.explain([
            (.client, #"[null,5,"room:x","ping",{}]"#, nil),
            (.server, #"[null,5,"room:x","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]"#, 1),
            (.client, #"not json"#, nil),
        ])
        #expect(lines[0].contains("ref 5 (a JSON number)"))
        #expect(lines[1] == #"Reply to push 1 (`ping`) on `room:x`: error (reason "unmatched topic"); join_ref is null because the server has no channel on this topic to take one from."#)
        #expect(lines[2].hasPrefix("Undecodable text frame of 8 bytes: "))
        #expect(lines[2].hasSuffix("closes the connection with 1011."))
    }
}

extension MessageExplainerTests {
    /// A filtered view (numbers with gaps) must not call absent what is only hidden.
    @Test func filteredViewsDoNotClaimWhatTheyCannotSee() {
        var push = RedactorTests.record(#"["4","5","room:lobby","ping",{}]"#).with(conn: 1, seq: 6)
        push.replyTo = nil
        var reply = RedactorTests.record(#"["4","5","room:lobby","phx_reply",{"status":"ok","response":{}}]"#, from: .server).with(conn: 1, seq: 9)
        reply.replyTo = 8
        var explainer = MessageExplainer(open: nil, messages: [push, reply])
        #expect(explainer.explain(push) == "Push `ping` to `room:lobby` with join_ref 4 and ref 5, which its reply will echo.")
        #expect(explainer.explain(reply) == "Reply to message 8 (not shown) on `room:lobby`: ok; ref 5 echoes the push's, with join_ref 4.")
    }
}
