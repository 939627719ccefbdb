import PhoenixChecker
import PhoenixProtocol
import Testing

/// PROTOCOL.md section 11: the traffic each real client bug produced, and the rule that shows it.
@Suite struct ClientBugRegressionTests {
    @Test func phoenix1483JoinLeaveJoinStuckJoining() {
        var p = joined()
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.1)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.11)  // rejoin before the leave finished
        p.server(#"["1","2","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.12)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.13)  // belongs to the old join
        #expect(p.rules.contains("stale-server-join-ref"))
        #expect(p.rules(on: 6) == ["stale-server-join-ref"])
    }

    @Test func phoenix2035DuplicateJoinsSomeWithNullRef() {
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0.5)
        p.client(#"[null,null,"room:lobby","phx_join",{}]"#, at: 0.6)
        #expect(p.rules(on: 2).contains("duplicate-outstanding-ref"))
        #expect(p.rules(on: 2).contains("duplicate-join"))
        #expect(p.rules(on: 3).contains("duplicate-join"))
    }

    @Test func phoenix1579RejoinLoopAfterReconnect() {
        var p = Playbook()
        for i in 0..<6 {
            p.client(#"["\#(i + 1)","\#(i + 1)","room:lobby","phx_join",{}]"#, at: Double(i) * 1.5)
        }
        #expect(p.rules.contains("rejoin-loop"))
    }

    @Test func phoenix3349JoinThenLeaveRejoinsForever() {
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.client(#"["1","2","room:lobby","phx_leave",{}]"#, at: 0.001)
        for i in 0..<4 {
            p.client(#"["\#(i + 3)","\#(i + 3)","room:lobby","phx_join",{}]"#, at: 1 + Double(i) * 2)
        }
        #expect(p.rules.contains("rejoin-loop"))
    }

    @Test func phoenix3458DisconnectConnectDoesNotRejoin() {
        // The new connection: the client pushes with the join_ref of the previous one.
        var p = Playbook()
        p.client(#"["4","9","room:lobby","new_msg",{}]"#, at: 0)
        p.server(#"[null,"9","room:lobby","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]"#, at: 0.01)
        #expect(p.rules == ["join-ref-from-previous-connection"])
    }

    @Test func javaPhoenixClient91UnmatchedTopicAfterReconnect() {
        var p = Playbook()
        p.client(#"[null,"30","phoenix","heartbeat",{}]"#, at: 0)
        p.server(#"[null,"30","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.client(#"["12","31","room:device","status",{}]"#, at: 0.1)
        p.server(#"[null,"31","room:device","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]"#, at: 0.11)
        #expect(p.rules == ["join-ref-from-previous-connection"])
    }

    @Test func javaPhoenixClient32HeartbeatFailureWithoutReconnect() {
        var p = joined()
        p.client(#"[null,"2","phoenix","heartbeat",{}]"#, at: 30)
        p.client(#"[null,"3","phoenix","heartbeat",{}]"#, at: 60)
        p.close(from: .client, code: 1000, reason: "heartbeat timeout", at: 90)
        #expect(p.rules.contains("heartbeat-no-reply"))
        #expect(p.rules.contains("heartbeat-timeout-close"))
    }

    @Test func swiftPhoenixClient176RejoinOnlyAfterFirstOutage() {
        // Second reconnection: the channel is not rejoined, pushes carry the old join_ref.
        var p = Playbook()
        p.client(#"["7","20","room:lobby","ping",{}]"#, at: 0)
        #expect(p.rules == ["join-ref-from-previous-connection"])
    }

    @Test func swiftPhoenixClient177DuplicateBufferedJoin() {
        var p = Playbook()
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0)
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.0001)  // the copy left in sendBuffer
        #expect(p.rules(on: 2).contains("duplicate-outstanding-ref"))
        #expect(p.rules(on: 2).contains("duplicate-join"))
    }

    @Test func swiftPhoenixClient214NoReconnectAfterHeartbeatTimeout() {
        var p = joined()
        p.client(#"[null,"2","phoenix","heartbeat",{}]"#, at: 30)
        p.server(#"[null,"2","phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 30.02)
        p.client(#"[null,"3","phoenix","heartbeat",{}]"#, at: 60)
        p.close(from: .client, code: 1000, reason: "heartbeat timeout", at: 90)
        #expect(p.rules.contains("heartbeat-no-reply"))
        #expect(p.with("heartbeat-timeout-close")[0].text.contains("20 ms"))
    }

    @Test func phoenixSharp11JoinRefSetAfterJoinPushed() {
        // The join went out with the previous join's join_ref; the reply echoes it and the client
        // looks for its new ref.
        var p = Playbook()
        p.client(#"["1","1","room:lobby","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.server(#"["1","1","room:lobby","phx_error",{}]"#, at: 1)
        p.client(#"["1","5","room:lobby","phx_join",{}]"#, at: 2)
        #expect(p.rules(on: 4).contains("join-ref-differs-from-ref"))
        #expect(p.rules(on: 4).contains("client-reused-join-ref"))
    }

    @Test func phoenixSocketDart28PendingHeartbeatFromPreviousConnection() {
        var p = joined()
        p.client(#"[null,"10","phoenix","heartbeat",{}]"#, at: 0.02)
        p.close(from: .client, code: 1000, reason: "heartbeat timeout", at: 0.03)
        let close = p.with("heartbeat-timeout-close")
        #expect(close.count == 1)
        #expect(close[0].text.contains("recent heartbeat round trips: none"))
    }

    @Test func phoenixSocketDart66JoinBeforeOpenLostMessages() {
        var p = Playbook()
        p.client(#"[null,"2","room:lobby","new_msg",{}]"#, at: 0)  // sent before the join
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.01)
        #expect(p.rules(on: 1) == ["push-to-unjoined-topic"])
    }

    @Test func supabaseSwift1145StaleCloseTearsDownSubscription() {
        var p = joined("realtime:public")
        p.server(#"["1","1","realtime:public","phx_error",{}]"#, at: 1)
        p.client(#"["3","3","realtime:public","phx_join",{}]"#, at: 2)
        p.server(#"["3","3","realtime:public","phx_reply",{"response":{},"status":"ok"}]"#, at: 2.01)
        p.server(#"["1","1","realtime:public","phx_close",{}]"#, at: 2.02)
        #expect(p.rules(on: 6) == ["stale-server-join-ref"])
    }

    @Test func supabasePy1627JoinWithNullJoinRef() {
        var p = Playbook()
        p.client(#"[null,"1","realtime:db","phx_join",{}]"#, at: 0)
        p.server(#"["1","1","realtime:db","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        p.client(#"["2","3","realtime:db","access_token",{}]"#, at: 0.1)
        #expect(p.rules(on: 1) == ["join-ref-differs-from-ref"])
        #expect(p.rules(on: 3) == ["stale-join-ref"])
        #expect(p.with("stale-join-ref")[0].severity == .error)
    }

    @Test func supabasePy1311LeaveAndJoinBackToBackOnReconnect() {
        var p = Playbook()
        p.client(#"["1","8","realtime:db","phx_leave",{}]"#, at: 0)
        p.client(#"["9","9","realtime:db","phx_join",{}]"#, at: 0.001)
        #expect(p.rules(on: 1) == ["leave-unjoined"])
    }

    @Test func realtimeJs94NoHeartbeatsServerClosesAfter60s() {
        var p = joined("realtime:db")
        for i in 1...7 {
            p.server(#"[null,null,"realtime:db","postgres_changes",{}]"#, at: Double(i) * 9)
        }
        p.close(from: .server, code: 1000, at: 63)
        #expect(p.rules.contains("client-silence"))
        #expect(p.rules.contains("heartbeat-overdue"))
    }

    @Test func realtimePy289HeartbeatWithNullRef() {
        var p = Playbook()
        p.client(#"[null,null,"phoenix","heartbeat",{}]"#, at: 0)
        p.server(#"[null,null,"phoenix","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
        #expect(p.rules == ["heartbeat-null-ref"])
    }

    @Test func firezone4296AnyEmptyReplyTakenForHeartbeatReply() {
        var p = joined("gateway")
        p.client(#"[null,"5","phoenix","heartbeat",{}]"#, at: 1)
        p.client(#"["1","6","gateway","ping",{}]"#, at: 1.1)
        p.server(#"["1","6","gateway","phx_reply",{"response":{},"status":"ok"}]"#, at: 1.2)
        p.client(#"[null,"7","phoenix","heartbeat",{}]"#, at: 31)
        // The empty reply answered the ping, not the heartbeat, which never got its reply.
        #expect(p.verdicts[5]?.replyTo == 4)
        #expect(p.rules == ["heartbeat-no-reply"])
        #expect(p.said[0].seqs == [3])
    }

    @Test func firezone12312HeartbeatTimerResetOnSend() {
        var p = joined("client")
        for i in 1...14 {
            p.client(#"["1","\#(i + 1)","client","broadcast_ice_candidates",{}]"#, at: Double(i) * 5)
        }
        #expect(p.rules.contains("heartbeat-overdue"))
        #expect(!p.rules.contains("client-silence"))
    }

    @Test func firezone10397GatewaySilentlyLostItsRoom() {
        var p = joined("gateway")
        p.server(#"["1","1","gateway","phx_close",{}]"#, at: 1)
        p.client(#"["1","2","gateway","flow_authorized",{}]"#, at: 2)
        p.server(#"[null,"2","gateway","phx_reply",{"response":{"reason":"unmatched topic"},"status":"error"}]"#, at: 2.01)
        #expect(p.rules == ["push-to-unjoined-topic"])
    }

    @Test func slipstream84PushesWithNilJoinRefDropped() {
        var p = joined("device:1", version: "1.8.5")
        p.client(#"[null,"2","device:1","status_update",{}]"#, at: 0.1)
        p.finish(at: 20)
        #expect(p.with("null-join-ref")[0].severity == .error)
        #expect(p.with("push-unanswered")[0].text.contains("null join_ref"))
    }

    @Test func phoenixClient19ErrorDoesNotClearJoinedState() {
        var p = joined("device:1")
        p.server(#"["1","1","device:1","phx_error",{}]"#, at: 1)
        p.client(#"["1","2","device:1","update",{}]"#, at: 2)
        #expect(p.rules == ["push-to-unjoined-topic"])
        #expect(p.said[0].text.contains("phx_error"))
    }

    @Test func liveViewNative1119SecondJoinReplyAndZombieJoin() {
        var p = Playbook()
        p.client(#"["4","4","lv:phx-F1","phx_join",{"session":"S"}]"#, at: 0)
        p.server(#"["4","4","lv:phx-F1","phx_reply",{"response":{"rendered":{},"liveview_version":"1"},"status":"ok"}]"#, at: 0.01)
        p.server(#"["4","4","lv:phx-F1","phx_reply",{"response":{"rendered":{},"liveview_version":"1"},"status":"ok"}]"#, at: 0.5)
        p.server(#"["4","4","lv:phx-F1","phx_error",{}]"#, at: 1)
        p.client(#"["4","5","lv:phx-F1","event",{"type":"click","event":"x","value":{}}]"#, at: 2)
        #expect(p.rules == ["duplicate-reply", "push-to-unjoined-topic"])
    }

    @Test func gql231NoJoinRefSent() {
        // gql's transport speaks V1 with numeric refs and no join_ref key.
        var p = Playbook(vsn: nil)
        p.client(#"{"topic":"__absinthe__:control","event":"phx_join","payload":{},"ref":1}"#, at: 0)
        p.server(#"{"event":"phx_reply","payload":{"response":{},"status":"ok"},"ref":1,"topic":"__absinthe__:control"}"#, at: 0.01)
        p.client(#"{"topic":"__absinthe__:control","event":"doc","payload":{},"ref":2}"#, at: 0.1)
        #expect(p.rules(on: 3).contains("null-join-ref"))
    }

    @Test func supabaseFlutter519RejoinLoopAfterOffline() {
        var p = joined("realtime:db")
        var t = 1.0
        for i in 0..<4 {
            p.server(#"["\#(i * 2 + 1)","\#(i * 2 + 1)","realtime:db","phx_error",{}]"#, at: t)
            p.client(#"["\#(i * 2 + 3)","\#(i * 2 + 3)","realtime:db","phx_join",{}]"#, at: t + 0.05)
            p.server(#"["\#(i * 2 + 3)","\#(i * 2 + 3)","realtime:db","phx_reply",{"response":{},"status":"ok"}]"#, at: t + 0.06)
            t += 0.5
        }
        #expect(p.rules.contains("rejoin-too-fast"))
        #expect(p.rules.contains("rejoin-loop"))
    }
}
