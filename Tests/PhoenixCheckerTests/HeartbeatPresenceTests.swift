import PhoenixChecker
import PhoenixProtocol
import Testing

@Suite struct HeartbeatTests {
    @Test func heartbeatRoundTrip() {
        var p = Playbook()
        p.client(#"[null,"1","phoenix","heartbeat",{}]"#, at: 0)
        p.server(#"[null,"1","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.004)
        p.client(#"[null,"2","phoenix","heartbeat",{}]"#, at: 30)
        p.server(#"[null,"2","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 30.003)
        #expect(p.said.isEmpty)
        #expect(p.verdicts[2]?.replyTo == 1)
        #expect(p.verdicts[4]?.replyTo == 3)
    }

    @Test func heartbeatNullRef() {
        var p = Playbook()
        p.client(#"[null,null,"phoenix","heartbeat",{}]"#, at: 0)
        p.server(#"[null,null,"phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["heartbeat-null-ref"])
        #expect(p.said[0].severity == .warning)
    }

    @Test func heartbeatNoReplyBeforeNextHeartbeat() {
        var p = Playbook()
        p.client(#"[null,"1","phoenix","heartbeat",{}]"#, at: 0)
        p.client(#"[null,"2","phoenix","heartbeat",{}]"#, at: 29)
        #expect(p.rules == ["heartbeat-no-reply"])
        #expect(p.said[0].severity == .error)
        #expect(p.said[0].seqs == [1])
    }

    @Test func heartbeatNoReplyByDeadline() {
        var p = Playbook()
        p.client(#"[null,"1","phoenix","heartbeat",{}]"#, at: 0)
        p.server(#"[null,null,"room:lobby","tick",{}]"#, at: 31)
        #expect(p.rules == ["heartbeat-no-reply"])
    }

    @Test func clientSilence() {
        var p = joined()
        p.server(#"[null,null,"room:lobby","tick",{}]"#, at: 49)
        #expect(p.said.isEmpty)
        p.server(#"[null,null,"room:lobby","tick",{}]"#, at: 61)
        #expect(p.rules == ["client-silence", "heartbeat-overdue"])
        #expect(p.said[0].seqs == [1])
        p.server(#"[null,null,"room:lobby","tick",{}]"#, at: 70)
        #expect(p.rules == ["client-silence", "heartbeat-overdue"])  // once per silence
    }

    @Test func heartbeatOverdueOnBusyClient() {
        var p = joined()
        for i in 1...14 {
            p.client(#"["1","\#(i + 1)","room:lobby","ping",{}]"#, at: Double(i) * 5)
            p.server(#"["1","\#(i + 1)","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: Double(i) * 5 + 0.01)
        }
        #expect(p.rules == ["heartbeat-overdue"])
        #expect(p.said[0].severity == .warning)
    }

    @Test func noSilenceWarningWhenHeartbeating() {
        var p = joined()
        for i in 1...4 {
            let t = Double(i) * 30
            p.client(#"[null,"\#(i + 1)","phoenix","heartbeat",{}]"#, at: t)
            p.server(#"[null,"\#(i + 1)","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: t + 0.01)
        }
        p.finish(at: 125)
        #expect(p.said.isEmpty, "\(p.said)")
    }

    @Test func noSilenceWarningOnLongPoll() {
        var p = Playbook(transport: .longpoll)
        p.client(#"["1","1","room:lp","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","room:lp","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.server(#"[null,null,"room:lp","tick",{}]"#, at: 90)
        #expect(p.said.isEmpty)
    }

    @Test func heartbeatTimeoutClose() {
        var p = Playbook()
        p.client(#"[null,"1","phoenix","heartbeat",{}]"#, at: 0)
        p.server(#"[null,"1","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.012)
        p.client(#"[null,"2","phoenix","heartbeat",{}]"#, at: 30)
        p.close(from: .client, code: 1000, reason: "heartbeat timeout", at: 59.9)
        #expect(p.rules.contains("heartbeat-timeout-close"))
        let close = p.with("heartbeat-timeout-close")[0]
        #expect(close.text.contains("12 ms"))
        #expect(close.text.contains("ref 2 was still unanswered"))
    }
}

@Suite struct PresenceTests {
    @Test func diffBeforeStateIsQueuedAndApplied() {
        var p = joined()
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{"alice":{"metas":[{"phx_ref":"A"}]}},"leaves":{}}]"#, at: 0.1)
        p.server(#"["1",null,"room:lobby","presence_state",{"alice":{"metas":[{"phx_ref":"A"}]}}]"#, at: 0.2)
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{},"leaves":{"alice":{"metas":[{"phx_ref":"A"}]}}}]"#, at: 0.3)
        #expect(p.rules == ["presence-diff-before-state"])
        #expect(p.said[0].severity == .info)
    }

    @Test func unknownLeave() {
        var p = joined()
        p.server(#"["1",null,"room:lobby","presence_state",{"alice":{"metas":[{"phx_ref":"A"}]}}]"#, at: 0.1)
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{},"leaves":{"bob":{"metas":[{"phx_ref":"B"}]}}}]"#, at: 0.2)
        #expect(p.rules == ["presence-unknown-leave"])
        #expect(p.said[0].severity == .warning)
    }

    @Test func updateWithAndWithoutLeave() {
        var p = joined()
        p.server(#"["1",null,"room:lobby","presence_state",{"alice":{"metas":[{"phx_ref":"A"}]}}]"#, at: 0.1)
        // A proper update: join of the new meta with phx_ref_prev, leave of the old one.
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{"alice":{"metas":[{"phx_ref":"A2","phx_ref_prev":"A"}]}},"leaves":{"alice":{"metas":[{"phx_ref":"A"}]}}}]"#, at: 0.2)
        #expect(p.said.isEmpty)
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{"alice":{"metas":[{"phx_ref":"A3","phx_ref_prev":"A2"}]}},"leaves":{}}]"#, at: 0.3)
        #expect(p.rules == ["presence-update-without-leave"])
    }
}

@Suite struct LongPollTests {
    @Test func firstGoneIsTheHandshakeLaterGoneVoidsJoins() {
        var p = Playbook(transport: .longpoll, status: 410)
        p.longPoll("GET", status: 410, at: 0)
        p.client(#"["1","1","room:lp","phx_join",{}]"#, at: 0.1)
        p.server(#"["1","1","room:lp","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.2)
        #expect(p.said.isEmpty)
        p.longPoll("GET", status: 410, at: 5)
        #expect(p.rules == ["longpoll-session-gone"])
        p.client(#"["1","2","room:lp","ping",{}]"#, at: 5.1)
        #expect(p.rules.last == "join-ref-from-previous-connection")
    }

    @Test func postTimeout() {
        var p = Playbook(transport: .longpoll, status: 410)
        p.longPoll("POST", status: 408, at: 1)
        p.longPoll("GET", status: 408, at: 2)
        #expect(p.rules == ["longpoll-request-timeout"])
    }
}

@Suite struct LiveViewTests {
    @Test func joinWithoutSession() {
        var p = Playbook()
        p.client(#"["4","4","lv:phx-F1","phx_join",{"url":"http://x/","params":{}}]"#, at: 0)
        #expect(p.rules == ["liveview-join-without-session"])
        #expect(p.said[0].severity == .error)
    }

    @Test func joinReplyShape() {
        var p = Playbook()
        p.client(#"["4","4","lv:phx-F1","phx_join",{"session":"S","static":"T"}]"#, at: 0)
        p.server(#"["4","4","lv:phx-F1","phx_reply",{"response":{"rendered":{}},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["liveview-join-reply-shape"])
        var q = Playbook()
        q.client(#"["4","4","lv:phx-F1","phx_join",{"session":"S","static":"T"}]"#, at: 0)
        q.server(#"["4","4","lv:phx-F1","phx_reply",{"response":{"rendered":{},"liveview_version":"0.20.17"},"status":"ok"}]"#, at: 0.01)
        #expect(q.said.isEmpty)
    }

    @Test func liveViewPushesHaveThirtySeconds() {
        var p = Playbook()
        p.client(#"["4","4","lv:phx-F1","phx_join",{"session":"S"}]"#, at: 0)
        p.server(#"["4","4","lv:phx-F1","phx_reply",{"response":{"rendered":{},"liveview_version":"1"},"status":"ok"}]"#, at: 0.01)
        p.client(#"["4","5","lv:phx-F1","event",{"type":"click","event":"inc","value":{}}]"#, at: 1)
        p.client(#"[null,"6","phoenix","heartbeat",{}]"#, at: 20)
        p.server(#"[null,"6","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 20.01)
        #expect(p.said.isEmpty)
        p.client(#"[null,"7","phoenix","heartbeat",{}]"#, at: 40)
        #expect(p.rules == ["push-unanswered"])
        #expect(p.said[0].text.contains("30 s"))
    }
}

@Suite struct PresenceLimitTests {
    @Test func presencePastTheLimitIsNoLongerChecked() {
        var options = CheckerOptions()
        options.maxPresenceMetas = 3
        var p = joined()
        p.checker = ConnectionChecker(options: options)
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.server(#"["1",null,"room:lobby","presence_state",{"a":{"metas":[{"phx_ref":"1"},{"phx_ref":"2"}]},"b":{"metas":[{"phx_ref":"3"},{"phx_ref":"4"}]}}]"#, at: 0.1)
        // Unknown leave, but the replica was given up: nothing to say, nothing held.
        p.server(#"[null,null,"room:lobby","presence_diff",{"joins":{},"leaves":{"z":{"metas":[{"phx_ref":"9"}]}}}]"#, at: 0.2)
        #expect(p.said.isEmpty)
        #expect(p.checker.stateFootprint < 5)
    }
}

@Suite struct LongPollRefusalTests {
    @Test func refusedSessionIsReportedOnce() {
        // The pipeline hands the first poll's status to both opened and longPollResponse.
        var p = Playbook(transport: .longpoll, status: 403)
        p.longPoll("GET", status: 403, at: 0)
        #expect(p.rules == ["connect-refused"])
    }
}
