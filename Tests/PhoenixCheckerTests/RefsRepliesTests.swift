import PhoenixChecker
import PhoenixProtocol
import Testing

@Suite struct RefTests {
    @Test func duplicateOutstandingRef() {
        var p = joined()
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.1)
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.2)
        #expect(p.rules.contains("duplicate-outstanding-ref"))
        #expect(p.rules(on: 4).contains("duplicate-outstanding-ref"))
    }

    @Test func refReusedAfterReplyIsNotDuplicate() {
        var p = joined()
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.2)
        #expect(!p.rules.contains("duplicate-outstanding-ref"))
        #expect(p.rules == ["non-monotonic-ref"])
    }

    @Test func nonMonotonicRefAndGapsAreFine() {
        var p = joined()
        p.client(#"["1","7","room:lobby","ping",{}]"#, at: 0.1)  // a gap: fine
        #expect(p.said.isEmpty)
        p.client(#"["1","5","room:lobby","ping",{}]"#, at: 0.2)
        #expect(p.rules == ["non-monotonic-ref"])
        #expect(p.said[0].severity == .info)
    }

    @Test func joinRefDiffersFromRef() {
        var p = Playbook()
        p.client(#"[null,"1","room:lobby","phx_join",{}]"#, at: 0)
        // The server uses join_ref || ref: the reply carries "1".
        p.server(#"["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["join-ref-differs-from-ref"])
        #expect(p.said[0].severity == .info)
    }

    @Test func staleJoinRefIsErrorOnNewestAndWarningOn1_7() {
        for (version, severity, dropped) in [("1.8.12", Severity.error, true), ("1.7.24", Severity.warning, false)] {
            var p = joined(version: version)
            p.client(#"["9","2","room:lobby","ping",{}]"#, at: 0.1)
            #expect(p.rules == ["stale-join-ref"])
            #expect(p.said[0].severity == severity)
            p.finish(at: 20)
            let timeout = p.with("push-unanswered")
            #expect(timeout.count == 1)
            #expect(timeout[0].text.contains("drops messages with a stale join_ref") == dropped)
        }
    }

    @Test func reply1_7ToStalePushCarriesCurrentJoinRefIsNormal() {
        var p = joined(version: "1.7.24")
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.1)  // a duplicate join replaces join_ref 1
        p.server(#"["3","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.12)
        p.client(#"["1","4","room:lobby","ping",{}]"#, at: 0.2)  // old join_ref
        p.server(#"["3","4","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.21)
        // 1.7.24 answers the new join first, then closes the old one: both are normal.
        #expect(p.rules == ["duplicate-join", "stale-join-ref"])
        #expect(p.with("stale-join-ref")[0].severity == .warning)
        #expect(!p.rules.contains("reply-join-ref-mismatch"))
        #expect(p.verdicts[7]?.replyTo == 6)
    }

    @Test func nullJoinRefSeverityDependsOnVersion() {
        for (version, severity) in [("1.8.2", Severity.warning), ("1.8.3", .error), ("1.8.11", .error), ("1.8.12", .warning)] {
            var p = joined(version: version)
            p.client(#"[null,"2","room:lobby","ping",{}]"#, at: 0.1)
            #expect(p.rules == ["null-join-ref"], "\(version)")
            #expect(p.said[0].severity == severity, "\(version)")
        }
    }

    @Test func unknownServerJoinRef() {
        var p = joined()
        p.server(#"["9",null,"room:lobby","welcome",{}]"#, at: 0.1)
        p.server(#"["2",null,"room:other","welcome",{}]"#, at: 0.2)
        #expect(p.rules == ["unknown-server-join-ref", "unknown-server-join-ref"])
        #expect(p.said.allSatisfy { $0.severity == .error })
    }

    @Test func staleServerJoinRef() {
        var p = joined()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.12)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.2)
        p.server(#"["3","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.21)
        #expect(p.said.isEmpty)
        p.server(#"["1",null,"room:lobby","welcome",{}]"#, at: 0.3)
        p.server(#"["1","1","room:lobby","phx_error",{}]"#, at: 0.4)
        #expect(p.rules == ["stale-server-join-ref", "stale-server-join-ref"])
        #expect(p.said[0].severity == .info)
    }

    @Test func clientReusedJoinRef() {
        var p = joined()
        p.server(#"["1","1","room:lobby","phx_error",{}]"#, at: 0.1)
        p.client(#"["1","5","room:lobby","phx_join",{}]"#, at: 1.2)
        #expect(p.rules.contains("client-reused-join-ref"))
        #expect(p.rules(on: 4).contains("client-reused-join-ref"))
    }

    @Test func joinRefFromPreviousConnection() {
        var p = Playbook()
        p.client(#"["7","8","room:lobby","new_msg",{}]"#, at: 0)
        p.server(#"[null,"8","room:lobby","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]"#, at: 0.01)
        #expect(p.rules == ["join-ref-from-previous-connection"])
    }
}

@Suite struct ReplyTests {
    @Test func orphanReplyForUnknownRef() {
        var p = joined()
        p.server(#"["1","42","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.1)
        #expect(p.rules == ["orphan-reply"])
        #expect(p.said[0].severity == .warning)
    }

    @Test func lateReplyAfterTimeoutIsOrphan() {
        var p = joined()
        p.client(#"["1","2","room:lobby","slow",{}]"#, at: 1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 12)
        #expect(p.rules == ["push-unanswered", "orphan-reply"])
        #expect(p.said[0].seqs == [3])
        #expect(p.said[1].text.contains("after the client's timeout"))
    }

    @Test func replyWithinTimeoutIsMatched() {
        var p = joined()
        p.client(#"["1","2","room:lobby","slow",{}]"#, at: 1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 1.2)
        #expect(p.said.isEmpty)
        #expect(p.verdicts[4]?.replyTo == 3)
        #expect(abs((p.verdicts[4]?.roundTrip ?? 0) - 0.2) < 1e-9)
    }

    @Test func replyJoinRefMismatch() {
        var p = joined()
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.1)
        p.server(#"["5","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        #expect(p.rules == ["reply-join-ref-mismatch"])
    }

    @Test func duplicateReply() {
        var p = joined()
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.12)
        #expect(p.rules == ["duplicate-reply"])
        #expect(p.said[0].seqs == [5])
    }

    @Test func joinReplyMismatch() {
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.server(#"["2","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["join-reply-mismatch"])
        #expect(p.said[0].severity == .error)
    }

    @Test func joinTimeoutThenLeaveAndRejoin() {
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 10.001)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 11)
        p.server(#"["3","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 11.01)
        // The leave is phoenix.js cleaning up the join that timed out: expected, not a leave of an unjoined topic.
        #expect(p.rules == ["join-timeout"])
        #expect(p.said[0].severity == .warning)
        #expect(p.said[0].seqs == [1])
    }

    @Test func noreplyPushIsInfoNotError() {
        var p = joined()
        p.client(#"["1","2","room:lobby","fire_and_forget",{}]"#, at: 1)
        p.finish(at: 30)
        #expect(p.rules == ["push-unanswered"])
        #expect(p.said[0].severity == .info)
        #expect(p.said[0].text.contains("{:noreply, socket}"))
    }

    @Test func pushPendingAtCloseIsSettledThen() {
        var p = joined()
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 1)
        p.close(from: .client, code: nil, at: 1.5)
        #expect(p.said.isEmpty)  // the server may still answer before its close
        p.close(from: .server, code: 1000, at: 1.6)
        #expect(p.rules == ["push-unanswered"])
        #expect(p.said[0].text.contains("closed before a reply"))
    }

    @Test func joinRejected() {
        var p = Playbook()
        p.client(#"["1","1","room:private","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","room:private","phx_reply",{"response":{"reason":"unauthorized"},"status":"error"}]"#, at: 0.01)
        #expect(p.rules == ["join-rejected"])
        #expect(p.said[0].severity == .info)
        p.client(#"["1","2","room:private","ping",{}]"#, at: 0.1)
        #expect(p.rules.last == "push-to-unjoined-topic")
    }
}

@Suite struct LateJoinReplyTests {
    @Test func lateOkJoinReplyStillJoinsTheChannel() {
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 12)
        #expect(p.rules == ["join-timeout", "orphan-reply"])
        #expect(p.checker.phase(of: "room:lobby") == .joined)
        // A client that ignores its timeout keeps pushing, and the server accepts it.
        p.client(#"["1","2","room:lobby","ping",{}]"#, at: 12.1)
        #expect(p.rules == ["join-timeout", "orphan-reply"])
    }
}
