import PhoenixChecker
import PhoenixProtocol
import Testing

@Suite struct LifecycleTests {
    @Test func pushToNeverJoinedTopic() {
        var p = Playbook()
        p.client(#"[null,"2","room:nowhere","ping",{}]"#, at: 0)
        p.server(#"[null,"2","room:nowhere","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]"#, at: 0.01)
        // The reply is what the flagged push predicted: one finding, on the push.
        #expect(p.rules == ["push-to-unjoined-topic"])
        #expect(p.said.allSatisfy { $0.severity == .error })
        #expect(p.verdicts[2]?.replyTo == 1)
    }

    @Test func unexpectedUnmatchedTopicIsAnError() {
        // The checker saw the join succeed, yet the server answers unmatched topic: the two
        // disagree about what is joined (a server restart, a lost channel), which the client must hear.
        var p = joined()
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.1)
        p.server(#"[null,"2","room:lobby","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]"#, at: 0.11)
        #expect(p.rules == ["unmatched-topic"])
        #expect(p.said.allSatisfy { $0.severity == .error })
    }

    @Test func pushAfterPhxClose() {
        var p = joined()
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.1)
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.2)
        #expect(p.rules == ["push-to-unjoined-topic"])
        #expect(p.said[0].text.contains("after its phx_close"))
    }

    @Test func pushBeforeJoinReply() {
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.001)
        p.server(#"["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.02)
        #expect(p.rules == ["push-before-join-reply"])
        #expect(p.said[0].severity == .info)
    }

    @Test func duplicateJoinThenCloseOfOldJoinIsExpected() {
        var p = joined()
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.1)
        p.server(#"["3","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.12)
        #expect(p.rules == ["duplicate-join"])
        #expect(p.said[0].severity == .info)
        // The new join survives the old join's close.
        p.client(#"["3","4","room:lobby","ping",{}]"#, at: 0.2)
        #expect(p.rules == ["duplicate-join"])
    }

    @Test func rejoinLoop() {
        var p = Playbook()
        for i in 0..<5 {
            let r = 1 + i
            p.client(#"["\#(r)","\#(r)","room:lobby","phx_join",{}]"#, at: Double(i) * 2)
            p.server(#"["\#(r)","\#(r)","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: Double(i) * 2 + 0.01)
        }
        #expect(p.with("rejoin-loop").count == 1)
        #expect(p.with("rejoin-loop")[0].severity == .warning)
    }

    @Test func rejoinAfterOneSecondIsNotTooFast() {
        var p = joined()
        p.server(#"["1","1","room:lobby","phx_error",{}]"#, at: 1)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 2.0)
        #expect(p.said.isEmpty)
    }

    @Test func rejoinTooFast() {
        var p = joined()
        p.server(#"["1","1","room:lobby","phx_error",{}]"#, at: 1)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 1.05)
        #expect(p.rules == ["rejoin-too-fast"])
    }

    @Test func leaveWithStaleJoinRefIsIgnored() {
        var p = joined()
        p.client(#"["9","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        #expect(p.rules == ["leave-ignored"])
        p.finish(at: 20)
        #expect(p.with("push-unanswered")[0].text.contains("ignores a leave"))
    }

    @Test func leaveWithJoinRefOfOtherJSONType() {
        var p = Playbook()
        p.client(#"[1,1,"room:lobby","phx_join",{}]"#, at: 0)
        p.server(#"[1,1,"room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        #expect(p.rules == ["non-string-ref", "leave-ignored"])
        #expect(p.with("leave-ignored")[0].text.contains("different JSON type"))
    }

    @Test func leaveWithNullJoinRefDependsOnVersion() {
        var old = joined(version: "1.8.11")
        old.client(#"[null,"2","room:lobby","phx_leave",{}]"#, at: 0.1)
        #expect(old.rules == ["leave-ignored"])
        var new = joined(version: "1.8.12")
        new.client(#"[null,"2","room:lobby","phx_leave",{}]"#, at: 0.1)
        #expect(new.rules == ["null-join-ref"])
    }

    @Test func leaveOfUnjoinedTopic() {
        var p = Playbook()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["leave-unjoined"])
    }

    @Test func leaveThenCloseInEitherOrder() {
        var p = joined()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        // LiveView sends phx_close before the leave reply.
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.11)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.12)
        #expect(p.said.isEmpty, "\(p.said)")
        #expect(p.verdicts[5]?.replyTo == 3)
    }

    @Test func messageAfterClose() {
        var p = joined()
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.1)
        p.server(#"["1",null,"room:lobby","welcome",{}]"#, at: 0.2)
        #expect(p.rules == ["message-after-close"])
    }

    @Test func broadcastAfterCloseIsNormal() {
        var p = joined()
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.1)
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{},"leaves":{"a":{"metas":[{"phx_ref":"X"}]}}}]"#, at: 0.2)
        #expect(p.said.isEmpty)
    }

    @Test func crashSettlesPendingPushAsInfo() {
        var p = joined()
        p.client(#"["1","2","room:lobby","crash",{}]"#, at: 0.1)
        p.server(#"["1","1","room:lobby","phx_error",{}]"#, at: 0.11)
        #expect(p.rules == ["push-unanswered"])
        #expect(p.said[0].severity == .info)
        #expect(p.said[0].text.contains("crashed"))
    }

    @Test func tooManyChannelsOnNewerVersionsOnly() {
        for (version, fires) in [("1.8.12", true), ("1.7.24", false)] {
            var p = Playbook(version: version)
            for i in 0...100 {
                p.client(#"["\#(i + 1)","\#(i + 1)","room:\#(i)","phx_join",{}]"#, at: Double(i) * 0.001)
            }
            #expect(p.rules.contains("too-many-channels") == fires)
            #expect(p.rules(on: 101) == (fires ? ["too-many-channels"] : []))
        }
    }

    @Test func connectionCloseCodes() {
        var p = joined()
        p.close(from: .client, code: 1000, at: 1)
        p.close(from: .server, code: 1000, at: 1.01)
        #expect(p.rules == ["connection-close"])
        var q = joined()
        q.close(from: .server, code: 1011, at: 1)
        #expect(q.rules == ["connection-close"])
        #expect(q.said[0].text.contains("crashed"))
        var r = joined()
        r.close(from: .client, code: nil, at: 1)
        r.close(from: .server, code: 1000, at: 1.01)
        #expect(r.said.isEmpty)
    }
}

@Suite struct ChannelPhaseTests {
    @Test func phasesFollowTheTraffic() {
        var p = Playbook()
        #expect(p.checker.phase(of: "room:lobby") == nil)
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        #expect(p.checker.phase(of: "room:lobby") == .joining)
        #expect(p.checker.outstandingCount == 1)
        p.server(#"["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.checker.phase(of: "room:lobby") == .joined)
        #expect(p.checker.joinRef(of: "room:lobby") == .string("1"))
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        #expect(p.checker.phase(of: "room:lobby") == .leaving)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.12)
        #expect(p.checker.phase(of: "room:lobby") == .closed)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.2)
        p.server(#"["3","3","room:lobby","phx_reply",{"response":{"reason":"nope"},"status":"error"}]"#, at: 0.21)
        #expect(p.checker.phase(of: "room:lobby") == .joinFailed)
        #expect(p.checker.outstandingCount == 0)
    }
}
