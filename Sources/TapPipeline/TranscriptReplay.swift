public import PhoenixChecker
public import Transcript
import PhoenixProtocol

/// Runs the checker again over a recorded transcript (`phxtap check`): each message is decoded
/// again from its raw bytes and checked by a fresh checker, so a transcript recorded with an
/// older PhoenixTap, or for another Phoenix version, gets today's findings.
///
/// Findings about what lies below the messages (WebSocket framing, TCP gaps, the proxy) cannot be
/// re-derived from a transcript, so those annotation lines are carried over as they were.
public struct TranscriptReplay {
    private let options: CheckerOptions
    private var sessions: [Int: PhoenixSession] = [:]
    private var lastTime = 0.0
    private var summary = SummaryRecord()

    public init(options: CheckerOptions = .init()) {
        self.options = options
    }

    /// Replays one record, appending the records it gives in the new transcript.
    public mutating func replay(_ record: TranscriptRecord, into out: inout [TranscriptRecord]) {
        var records: [TranscriptRecord] = []
        switch record {
        case .session:
            records.append(record)
        case .open(let open):
            lastTime = max(lastTime, open.time)
            var session = PhoenixSession(conn: open.conn, transport: open.transport, serializer: open.serializer, options: options, time: open.time)
            records.append(record)
            session.opened(time: open.time, vsn: open.vsn, status: open.status, into: &records)
            sessions[open.conn] = session
        case .message(let m):
            lastTime = max(lastTime, m.time)
            var session = sessions[m.conn] ?? PhoenixSession(
                conn: m.conn, transport: m.transport, serializer: m.raw.first == UInt8(ascii: "{") ? .v1 : .v2,
                options: options, time: m.time)
            session.message(from: m.from, opcode: m.opcode, bytes: m.raw, time: m.time, seq: m.seq, into: &records)
            sessions[m.conn] = session
        case .annotation(let a):
            lastTime = max(lastTime, a.finding.time)
            let topic = RuleCatalog.rule(id: a.finding.annotation.rule)?.topic
            if topic == nil || topic == .websocket || topic == .source {
                records.append(record)
            }
        case .close(let c):
            lastTime = max(lastTime, c.time)
            guard var session = sessions[c.conn] else {
                records.append(record)
                break
            }
            if c.via == .closeFrame, let from = c.from {
                session.closeFrame(from: from, code: c.code, reason: c.reason, time: c.time, into: &records)
            } else {
                session.finish(time: c.time, ending: SessionEnding(via: c.via, from: c.from, reason: c.reason), into: &records)
            }
            sessions[c.conn] = session
        case .summary:
            break  // a new one is written at the end
        }
        for r in records { count(r) }
        out.append(contentsOf: records)
    }

    /// Settles what is pending and appends the new summary.
    public mutating func finish() -> [TranscriptRecord] {
        var records: [TranscriptRecord] = []
        for conn in sessions.keys.sorted() {
            sessions[conn]!.finish(time: lastTime, ending: nil, into: &records)
        }
        sessions.removeAll()
        for r in records { count(r) }
        return records + [.summary(summary)]
    }

    private mutating func count(_ record: TranscriptRecord) {
        switch record {
        case .open: summary.connections += 1
        case .message(let m):
            summary.messages += 1
            if case .failure = m.decoded { summary.decodeErrors += 1 }
            for a in m.annotations { summary.count(a.severity) }
        case .annotation(let a): summary.count(a.finding.annotation.severity)
        default: break
        }
    }
}
