import PhoenixChecker
import PhoenixProtocol
import Testing

/// PROTOCOL.md section 12: what a real Phoenix 1.7.24 server did is normal server behaviour. No
/// server message in these playbooks may carry a warning or an error.
@Suite struct ObservedPhoenix1724Tests {
    /// Warnings and errors on server messages (client-side findings are allowed).
    func serverFaults(_ p: Playbook, serverSeqs: Set<Int>) -> [Playbook.Said] {
        p.problems.filter { !$0.isFinding && $0.seqs.allSatisfy(serverSeqs.contains) }
    }

    @Test func everyObservedBehaviourIsAccepted() {
        for version in ["1.7.24", "1.8.12"] {
            var p = Playbook(version: version)
            var server: Set<Int> = []
            p.client(#"[1,1,"room:a","phx_join",{}]"#, at: 0)
            server.insert(p.server(#"[1,1,"room:a","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01))  // numbers echoed
            p.client(#"[1,2,"room:a","ping",{}]"#, at: 0.02)
            server.insert(p.server(#"[1,2,"room:a","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.03))
            // Duplicate join: the new join's reply comes before the old join's phx_close.
            p.client(#"["3","3","room:a","phx_join",{}]"#, at: 0.1)
            server.insert(p.server(#"["3","3","room:a","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11))
            server.insert(p.server(#"[1,1,"room:a","phx_close",{}]"#, at: 0.12))
            // A push right after phx_join, before its reply, is handled.
            p.client(#"["4","4","room:b","phx_join",{}]"#, at: 0.2)
            p.client(#"["4","5","room:b","ping",{}]"#, at: 0.2)
            server.insert(p.server(#"["4","4","room:b","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.21))
            server.insert(p.server(#"["4","5","room:b","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.22))
            // phx_error after a crash carries {}; a presence_diff broadcast can follow the end.
            p.client(#"["4","6","room:b","crash",{}]"#, at: 0.3)
            server.insert(p.server(#"["4","4","room:b","phx_error",{}]"#, at: 0.31))
            server.insert(p.server(#"[null,null,"room:b","presence_diff",{"joins":{},"leaves":{"x":{"metas":[{"phx_ref":"R"}]}}}]"#, at: 0.32))
            // A stale leave is ignored: no reply (the client's fault, not the server's).
            p.client(#"["9","7","room:a","phx_leave",{}]"#, at: 0.4)
            // An undecodable client frame crashes the socket: close 1011.
            p.client(#"["3","8","room:a","ping"]"#, at: 0.5)
            p.close(from: .server, code: 1011, at: 0.5)
            #expect(serverFaults(p, serverSeqs: server).isEmpty, "\(version): \(p.problems)")
            #expect(p.said.filter { $0.isFinding }.allSatisfy { $0.severity == .info }, "\(version): \(p.said)")
        }
    }

    @Test func stalePushReplyWithCurrentJoinRefOn1_7() {
        var p = joined(version: "1.7.24")
        p.client(#"["3","3","room:lobby","phx_join",{}]"#, at: 0.1)
        p.server(#"["3","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.11)
        p.server(#"["1","1","room:lobby","phx_close",{}]"#, at: 0.12)
        p.client(#"["1","4","room:lobby","ping",{}]"#, at: 0.2)
        let reply = p.server(#"["3","4","room:lobby","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.21)
        #expect(p.rules(on: reply).isEmpty)
    }
}
