import PhoenixProtocol

/// Chooses which records of a transcript to show: `--conn`, `--topic`, `--event`,
/// `--hide-heartbeats` and `--max-messages`, applied in one place for every command.
///
/// It decides record by record as they stream past, so `read` and `proxy` can filter live:
/// messages must match every given criterion; `open` and `close` lines follow their
/// connection; an annotation is kept when its connection is and it is about a kept message
/// (or about no message in particular). The `session` and `summary` lines always pass; the
/// summary keeps counting everything read, before filtering.
public struct RecordFilter: Sendable {
    /// Connection numbers to keep; empty keeps all.
    public var conns: Set<Int>
    /// Topics to keep; a trailing `*` matches any suffix (`room:*`). Empty keeps all.
    public var topics: [String]
    /// Events to keep; empty keeps all.
    public var events: Set<String>
    /// Drops heartbeats and their replies (topic `phoenix`).
    public var hideHeartbeats: Bool
    /// Keeps at most this many messages in all.
    public var maxMessages: Int?

    private var keptMessages = 0
    private var keptSeqs: [Int: Set<Int>] = [:]
    private var droppedSeqs: [Int: Set<Int>] = [:]

    /// A filter; with no arguments it keeps everything.
    public init(conns: Set<Int> = [], topics: [String] = [], events: Set<String> = [], hideHeartbeats: Bool = false,
                maxMessages: Int? = nil) {
        self.conns = conns
        self.topics = topics
        self.events = events
        self.hideHeartbeats = hideHeartbeats
        self.maxMessages = maxMessages
    }

    /// True when the filter keeps every record.
    public var keepsEverything: Bool {
        conns.isEmpty && topics.isEmpty && events.isEmpty && !hideHeartbeats && maxMessages == nil
    }

    /// Whether to keep this record; call once per record, in transcript order.
    public mutating func keep(_ record: TranscriptRecord) -> Bool {
        // No bookkeeping (and no memory per message) when nothing is filtered.
        if keepsEverything { return true }
        switch record {
        case .session, .summary:
            return true
        case .open(let o):
            return conns.isEmpty || conns.contains(o.conn)
        case .close(let c):
            return conns.isEmpty || conns.contains(c.conn)
        case .annotation(let a):
            guard conns.isEmpty || conns.contains(a.conn) else { return false }
            let about = a.finding.refersTo
            if about.isEmpty { return maxMessages.map { keptMessages < $0 } ?? true }
            let kept = keptSeqs[a.conn] ?? []
            let dropped = droppedSeqs[a.conn] ?? []
            // Findings settled later refer to earlier messages; ones about messages not seen yet stay.
            return about.contains(where: { kept.contains($0) || !dropped.contains($0) })
        case .message(let m):
            let keep = matches(m) && maxMessages.map { keptMessages < $0 } ?? true
            if keep {
                keptMessages += 1
                keptSeqs[m.conn, default: []].insert(m.seq)
            } else {
                droppedSeqs[m.conn, default: []].insert(m.seq)
            }
            return keep
        }
    }

    /// Filters a whole transcript.
    public mutating func apply(_ records: [TranscriptRecord]) -> [TranscriptRecord] {
        records.filter { keep($0) }
    }

    private func matches(_ m: MessageRecord) -> Bool {
        if !conns.isEmpty, !conns.contains(m.conn) { return false }
        let message = m.message
        if hideHeartbeats, message?.isHeartbeatTraffic == true { return false }
        if !topics.isEmpty {
            guard let topic = message?.topic, topics.contains(where: { Self.topic(topic, matches: $0) }) else { return false }
        }
        if !events.isEmpty {
            guard let event = message?.event, events.contains(event) else { return false }
        }
        return true
    }

    /// `room:lobby` matches `room:lobby` and `room:*`; `*` alone matches everything.
    static func topic(_ topic: String, matches pattern: String) -> Bool {
        if pattern.hasSuffix("*") { return topic.hasPrefix(pattern.dropLast()) }
        return topic == pattern
    }
}
