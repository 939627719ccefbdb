import PhoenixChecker
import PhoenixProtocol
import Testing

/// What follows a leave and a join timeout (PROTOCOL.md section 9, rules 17 and 21): the
/// phx_close an accepted leave ends with, and the phx_leave phoenix.js sends for a timed-out join.
@Suite struct FollowThroughTests {
    // MARK: - Rule 21: a join that timed out is left, then joined again

    @Test func phoenixJsLeavesATimedOutJoinThatTheServerCompletesLate() {
        var p = Playbook()
        p.client(#"["1","1","room:slow","phx_join",{}]"#, at: 0)
        p.client(#"["1","2","room:slow","phx_leave",{}]"#, at: 10.001)  // phoenix.js, on the join's timeout
        p.server(#"["1","1","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.5)  // join/3 returned at last
        p.server(#"["1","2","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.51)
        p.server(#"["1","1","room:slow","phx_close",{}]"#, at: 10.52)
        p.client(#"["3","3","room:slow","phx_join",{}]"#, at: 12)
        p.server(#"["3","3","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 12.01)
        p.close(from: .server, code: 1000, at: 13)
        #expect(p.rules == ["join-timeout", "orphan-reply"], "\(p.said)")
        #expect(p.checker.phase(of: "room:slow") == .joined)
    }

    @Test func theLeaveOfAJoinTheServerNeverCompletedIsExpectedToo() {
        var p = Playbook()
        p.client(#"["1","1","room:slow","phx_join",{}]"#, at: 0)
        p.client(#"["1","2","room:slow","phx_leave",{}]"#, at: 10.001)
        p.server(#"["1","2","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.01)  // not joined: ok {}, no close
        p.close(from: .server, code: 1000, at: 11)
        #expect(p.rules == ["join-timeout"], "\(p.said)")
    }

    @Test func aRejoinWithoutLeavingTheTimedOutJoinIsNoted() {
        var p = Playbook()
        p.client(#"["1","1","room:slow","phx_join",{}]"#, at: 0)
        let rejoin = p.client(#"["3","3","room:slow","phx_join",{}]"#, at: 11)
        p.server(#"["1","1","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 11.2)
        // Phoenix ends the join it completed late when the new one arrives.
        p.server(#"["1","1","room:slow","phx_close",{}]"#, at: 11.21)
        p.server(#"["3","3","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 11.22)
        #expect(p.rules == ["join-timeout", "join-timeout-no-leave", "orphan-reply"], "\(p.said)")
        let note = p.with("join-timeout-no-leave")[0]
        #expect(note.seqs == [rejoin])
        #expect(note.severity == .info)
        #expect(note.text.contains("join_ref 1"))
    }

    @Test func aRejoinAfterTheLateOkOfATimedOutJoinGetsTheSameNoteNotDuplicateJoin() {
        // realtime-py on a join timeout: it sends the join again (a new ref), with no phx_leave.
        var p = Playbook()
        p.client(#"["1","1","realtime:slow","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","realtime:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.5)
        p.client(#"["3","3","realtime:slow","phx_join",{}]"#, at: 11)
        // Phoenix 1.7.24: the new join's reply, then the close of the join it replaces.
        p.server(#"["3","3","realtime:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 11.01)
        p.server(#"["1","1","realtime:slow","phx_close",{}]"#, at: 11.02)
        #expect(p.rules == ["join-timeout", "orphan-reply", "join-timeout-no-leave"], "\(p.said)")
        #expect(p.with("join-timeout-no-leave").first?.text.contains("its ok came late") == true)
        #expect(p.checker.phase(of: "realtime:slow") == .joined)
    }

    @Test func aJoinAnsweredInTimeNeedsNoLeave() {
        var p = joined()
        p.client(#"["3","3","room:other","phx_join",{}]"#, at: 1)
        p.server(#"["3","3","room:other","phx_reply",{"response":{},"status":"ok"}]"#, at: 1.01)
        #expect(p.said.isEmpty, "\(p.said)")
    }

    // MARK: - Rule 17: an accepted leave ends with phx_close

    @Test func anAcceptedLeaveWithoutItsCloseIsNotedWhenTheConnectionCloses() {
        var p = joined()
        let leave = p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        #expect(p.said.isEmpty)
        p.close(from: .client, code: 1000, at: 5)
        p.close(from: .server, code: 1000, at: 5.01)
        let notes = p.with("leave-without-close")
        #expect(notes.count == 1, "\(p.said)")
        #expect(notes.first?.seqs == [leave])
        #expect(notes.first?.severity == .info)
        #expect(notes.first?.text.contains("room:lobby") == true)
    }

    @Test func anAcceptedLeaveFollowedByItsCloseIsNotNoted() {
        var p = joined()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.12)
        p.close(from: .server, code: 1000, at: 5)
        #expect(p.said.filter { $0.rule != "connection-close" }.isEmpty, "\(p.said)")
    }

    @Test func anAcceptedLeaveWithoutItsCloseIsNotedWhenTCPEndsWithoutACloseFrame() {
        var p = joined()
        let leave = p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.client(#"["3","3","room:other","phx_join",{}]"#, at: 0.2)
        p.connectionEnded(at: 3)
        #expect(p.rules == ["push-unanswered", "leave-without-close"], "\(p.said)")
        #expect(p.with("leave-without-close").first?.seqs == [leave])
        // What the ending leaves unanswered is lost to the closed connection, not to the end of the input.
        #expect(p.with("push-unanswered").first?.text.contains("the connection closed before a reply") == true, "\(p.said)")
    }

    @Test func aChannelThatEndedHasNoLeaveWaitingEvenIfALateJoinReplyComesAgain() {
        var p = Playbook()
        p.client(#"["1","1","room:slow","phx_join",{}]"#, at: 0)
        p.client(#"["1","2","room:slow","phx_leave",{}]"#, at: 10.001)
        p.server(#"["1","1","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.5)
        p.server(#"["1","2","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.51)
        p.server(#"["1","1","room:slow","phx_error",{}]"#, at: 10.52)
        p.server(#"["1","1","room:slow","phx_reply",{"response":{},"status":"ok"}]"#, at: 10.6)  // the late ok again
        p.close(from: .server, code: 1000, at: 11)
        #expect(!p.rules.contains("leave-without-close"), "\(p.said)")
    }

    @Test func aCaptureThatEndsBetweenTheReplyAndTheCloseIsNotNoted() {
        var p = joined()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.finish(at: 0.11)
        #expect(p.said.isEmpty, "\(p.said)")
    }

    @Test func aRefusedLeaveExpectsNoClose() {
        var p = joined()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{"reason":"no"},"status":"error"}]"#, at: 0.11)
        p.close(from: .server, code: 1000, at: 5)
        #expect(!p.rules.contains("leave-without-close"), "\(p.said)")
    }
}
