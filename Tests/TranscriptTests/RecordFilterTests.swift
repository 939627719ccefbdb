import PhoenixChecker
import PhoenixProtocol
import Testing
import Transcript

@Suite struct RecordFilterTests {
    static func message(conn: Int = 1, _ seq: Int, _ frame: String, from: Direction = .client) -> TranscriptRecord {
        .message(RedactorTests.record(frame, from: from).with(conn: conn, seq: seq))
    }

    static let transcript: [TranscriptRecord] = [
        .session(SessionRecord(source: "t")),
        .open(OpenRecord(conn: 1, time: 0, client: "", server: "", transport: .websocket, path: "/", params: [], serializer: .v2,
                         status: 101, vsn: "2.0.0")),
        message(1, #"["1","1","room:a","phx_join",{}]"#),
        message(2, #"[null,"2","phoenix","heartbeat",{}]"#),
        message(3, #"["1","3","room:b","ping",{}]"#),
        .annotation(AnnotationRecord(conn: 1, finding: Finding(
            annotation: Annotation(rule: "push-unanswered", severity: .info, text: "x"), time: 1, refersTo: [3]))),
        message(4, #"["1","4","room:a","ping",{}]"#),
        .close(CloseRecord(conn: 1, time: 2, from: .client, code: 1000, reason: "")),
        message(conn: 2, 1, #"["1","1","room:a","ping",{}]"#),
        .summary(SummaryRecord()),
    ]

    static func seqs(_ records: [TranscriptRecord]) -> [String] {
        records.map { r in
            switch r {
            case .message(let m): return "\(m.conn).\(m.seq)"
            case .annotation(let a): return "a\(a.finding.refersTo)"
            case .session: return "session"
            case .summary: return "summary"
            case .open(let o): return "open\(o.conn)"
            case .close(let c): return "close\(c.conn)"
            }
        }
    }

    @Test func eachCriterion() {
        var all = RecordFilter()
        #expect(all.keepsEverything)
        #expect(all.apply(Self.transcript) == Self.transcript)
        var topic = RecordFilter(topics: ["room:a"])
        #expect(Self.seqs(topic.apply(Self.transcript)) == ["session", "open1", "1.1", "1.4", "close1", "2.1", "summary"])
        var glob = RecordFilter(topics: ["room:*"], hideHeartbeats: true)
        #expect(Self.seqs(glob.apply(Self.transcript)) == ["session", "open1", "1.1", "1.3", "a[3]", "1.4", "close1", "2.1", "summary"])
        var event = RecordFilter(events: ["ping"])
        #expect(Self.seqs(event.apply(Self.transcript)) == ["session", "open1", "1.3", "a[3]", "1.4", "close1", "2.1", "summary"])
        var conn = RecordFilter(conns: [2])
        #expect(Self.seqs(conn.apply(Self.transcript)) == ["session", "2.1", "summary"])
        var first = RecordFilter(maxMessages: 2)
        #expect(Self.seqs(first.apply(Self.transcript)) == ["session", "open1", "1.1", "1.2", "close1", "summary"])
    }
}

extension MessageRecord {
    func with(conn: Int, seq: Int) -> MessageRecord {
        var copy = self
        copy.conn = conn
        copy.seq = seq
        return copy
    }
}
