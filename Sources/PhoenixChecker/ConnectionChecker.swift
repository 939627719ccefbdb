public import PhoenixProtocol

/// The per-connection consistency checker: decoded messages and their times in, annotations out.
///
/// It follows what a Phoenix server and a correct client would each do with every message:
/// channels by topic with their join_refs and phase, client pushes awaiting replies, heartbeats,
/// presence per topic, and the client's silence. It never reads the clock: every deadline is
/// settled by the time of a later event, or by `closed`/`finish`. State is per connection,
/// per topic and per outstanding push, with caps on each (`CheckerOptions`), never per message.
public struct ConnectionChecker: Sendable {
    /// The options in force.
    public let options: CheckerOptions
    /// The transport announced by `opened`.
    public private(set) var transport: Transport = .websocket
    /// The serializer the server picks for the connection's vsn; nil when it refuses the vsn.
    public private(set) var serializer: Serializer? = .v2

    var channels: [String: ChannelState] = [:] {
        didSet { channelsChanged &+= 1 }
    }
    /// Counts every change to `channels`, so that `pushChannel` can tell whether the place it
    /// found last is still the topic's.
    var channelsChanged = 0
    /// Where the last push's channel was found, and the count of changes then (-1: none yet).
    /// Plain fields: an optional tuple of them was copied and destroyed through generic code.
    var lastPushTopic = ""
    var lastPushIndex: Dictionary<String, ChannelState>.Index
    var lastPushChanges = -1
    var outstanding = PendingPushTable()
    var deadlines = DeadlineHeap()
    var settled: [SettledPush] = []
    var settledNext = 0
    var lastNumericRef: Int?
    var pendingHeartbeat: Ref?
    var heartbeatRoundTrips: [Double] = []
    var lastClientTime: Double?
    var lastClientSeq: Int?
    var silenceReported = false
    var lastHeartbeatTime: Double?
    var heartbeatOverdueReported = false
    var closeFrames = 0
    var longPollHasToken = false
    var refusalReported = false
    var isClosed = false

    /// How many settled pushes are kept to explain late or repeated replies.
    static let settledLimit = 64

    /// A checker for one connection.
    public init(options: CheckerOptions = .init()) {
        self.options = options
        lastPushIndex = channels.startIndex
    }

    /// Entries the checker holds: topics, pushes awaiting replies, deadlines, presence metas and
    /// history. For diagnostics and the test that shows state does not grow with message count.
    public var stateFootprint: Int {
        channels.values.reduce(0) { total, channel in
            total + 1 + channel.earlierJoinRefs.count + channel.replacedJoinRefs.count + channel.joinTimes.count
                + channel.presence.metaCount + channel.presence.queued.count
        } + outstanding.count + deadlines.count + settled.count + heartbeatRoundTrips.count
    }

    /// Where the channel on `topic` stands, or nil when the topic was never joined (or forgotten).
    public func phase(of topic: String) -> ChannelPhase? { channels[topic]?.phase }

    /// The join_ref the server uses for `topic` (the latest join's `join_ref || ref`).
    public func joinRef(of topic: String) -> Ref? { channels[topic]?.joinRef }

    /// How many client pushes (heartbeats included) await their reply.
    public var outstandingCount: Int { outstanding.count }

    // MARK: - Connection events

    /// The handshake: transport, the raw vsn (nil when absent), HTTP status of the upgrade or first poll.
    /// For LongPoll, pass the Phoenix status from the first poll's body (410 on a new session).
    public mutating func opened(time: Double, transport: Transport, vsn: String?, httpStatus: Int?) -> [Annotation] {
        self.transport = transport
        lastClientTime = time
        lastHeartbeatTime = time
        var out: [Annotation] = []
        let negotiation = VsnNegotiation.negotiate(vsn: vsn)
        serializer = negotiation.serializer
        let upgraded = httpStatus.map { transport == .websocket ? $0 == 101 : ($0 == 200 || $0 == 410) }
        switch negotiation {
        case .unparseable(let raw), .unsupported(let raw):
            let what = negotiation == .unparseable(raw) ? "is not a semantic version" : "matches neither ~> 1.0.0 nor ~> 2.0.0"
            let outcome = upgraded == true
                ? "yet the server accepted it, so it is not using Phoenix's default serializers"
                : "so Phoenix refuses the connection with HTTP 403"
            out += note("vsn-rejected", "vsn \"\(raw)\" \(what), \(outcome)")
        case .accepted:
            if vsn == nil {
                out += note("vsn-missing", "no vsn in the connect URL: the server assumes 1.0.0 and speaks V1 JSON objects")
            }
            if let status = httpStatus, upgraded == false {
                let why = status == 403
                    ? "HTTP 403: connect/3 refused the connection or the origin check failed"
                    : "HTTP \(status): the server did not accept the connection"
                out += note("connect-refused", why)
                refusalReported = true
            }
        }
        return out
    }

    /// A WebSocket-level violation reported by the wire layer, or a capture or proxy problem
    /// reported by the source, as a finding with the catalog's severity.
    public func wireViolation(id: String, text: String, time: Double, seq: Int?) -> Finding {
        let severity = RuleCatalog.rule(id: id)?.severity(for: options.phoenixVersion) ?? .warning
        return Finding(annotation: Annotation(rule: id, severity: severity, text: text), time: time, refersTo: seq.map { [$0] } ?? [])
    }

    /// A LongPoll response's Phoenix status (from its JSON body). The first 410 opens a session;
    /// a later one ends it and voids every join; a 408 on a POST lost some of its lines.
    public mutating func longPollResponse(time: Double, method: String, status: Int) -> [Finding] {
        var out = advance(to: time)
        switch status {
        case 410 where longPollHasToken:
            out += finding("longpoll-session-gone", "the LongPoll session is gone (410): every channel must be joined again before pushing", time, [])
            out += settleAll(time: time, because: "the LongPoll session ended before a reply")
            channels.removeAll()
        case 410:
            longPollHasToken = true
        case 408 where method.uppercased() == "POST":
            out += finding("longpoll-request-timeout", "POST answered 408: the server stopped dispatching its lines at one that was not acknowledged in time", time, [])
        case 403 where !refusalReported:
            refusalReported = true
            out += note("connect-refused", "LongPoll status 403: connect/3 refused the session").map { Finding(annotation: $0, time: time, refersTo: []) }
        default:
            break
        }
        return out
    }

    /// A close frame from either side (`from` nil when the source cannot tell).
    public mutating func closed(time: Double, from: Direction?, code: UInt16?, reason: String) -> [Finding] {
        var out = advance(to: time)
        closeFrames += 1
        switch (from, code) {
        case (.client, 1000) where reason == "heartbeat timeout":
            let history = heartbeatRoundTrips.map { DurationText.of($0) }.joined(separator: ", ")
            let pending = pendingHeartbeat.map { "; heartbeat ref \($0) was still unanswered" } ?? ""
            out += finding("heartbeat-timeout-close", "client closed with 1000 \"heartbeat timeout\"; recent heartbeat round trips: \(history.isEmpty ? "none" : history)\(pending)", time, [])
        case (.client, 1000):
            out += finding("connection-close", "client closed with 1000: a deliberate disconnect(), after which phoenix.js does not reconnect", time, [])
        case (.server, 1001):
            out += finding("connection-close", "server closed with 1001 (a disconnect broadcast): the client reconnects and must rejoin its channels", time, [])
        case (.server, 1012):
            out += finding("connection-close", "server closed with 1012 (drain or restart): the client reconnects and must rejoin its channels", time, [])
        case (.server, 1011):
            out += finding("connection-close", "server closed with 1011: the socket process crashed, usually on a client frame it could not decode", time, [])
        default:
            break
        }
        // After the server's close nothing more can answer; after the client's alone, the server may still reply.
        if from != .client || closeFrames >= 2 {
            isClosed = true
            out += settleAll(time: time, because: "the connection closed before a reply")
            out += leavesWithoutClose(time: time)
        }
        return out
    }

    /// The connection closed (close handshake, or TCP): every leave the server accepted should
    /// have ended its channel with phx_close by now (rule 17). Not asked when the input merely
    /// ends, which can fall between the reply and the close.
    private func leavesWithoutClose(time: Double) -> [Finding] {
        let waiting = channels.compactMap { topic, channel in
            channel.phase == .leaving ? channel.answeredLeave.map { (topic: topic, joinRef: channel.joinRef, leave: $0) } : nil
        }
        return waiting.sorted { $0.leave < $1.leave }.flatMap { w in
            finding(
                "leave-without-close",
                "phx_leave of \(w.topic) was answered ok, but no phx_close for join_ref \(w.joinRef.map { "\($0)" } ?? "null") came before the connection closed: Phoenix ends every channel it lets leave with one, and a client that waits for it never sees \(w.topic) close",
                time, [w.leave])
        }
    }

    /// The input ended, or (`connectionEnded`) the connection went away without the close
    /// handshake, e.g. a TCP FIN or reset: settles everything pending.
    public mutating func finish(time: Double, connectionEnded: Bool = false) -> [Finding] {
        var out = advance(to: time)
        let why = isClosed || connectionEnded ? "the connection closed before a reply" : "the input ended before a reply"
        out += settleAll(time: time, because: why)
        if connectionEnded, !isClosed { out += leavesWithoutClose(time: time) }
        isClosed = true
        return out
    }

    // MARK: - Messages

    /// Checks one message and returns its annotations, the push a reply answers, and any earlier
    /// findings that became certain by the message's time.
    public mutating func message(_ m: ObservedMessage) -> MessageVerdict {
        message(m.decoded, seq: m.seq, time: m.time, from: m.from, opcode: m.opcode)
    }

    /// `message(_:)` for a message whose decoded form the caller keeps: it is lent, not copied
    /// into an `ObservedMessage`.
    public mutating func message(
        _ decoded: Result<PhoenixMessage, DecodeError>, seq: Int, time: Double, from: Direction, opcode: DataOpcode
    ) -> MessageVerdict {
        switch decoded {
        case .success(let message): return self.message(decoded: message, seq: seq, time: time, from: from, opcode: opcode)
        case .failure(let error): return self.message(undecodable: error, seq: seq, time: time, from: from, opcode: opcode)
        }
    }

    /// `message(_:)` for a message that decoded, lent by the caller: what a capture's every
    /// message goes through, without wrapping the message in a `Result` (a copy of it).
    public mutating func message(
        decoded message: PhoenixMessage, seq: Int, time: Double, from: Direction, opcode: DataOpcode
    ) -> MessageVerdict {
        let m = MessagePlace(seq: seq, time: time, from: from, opcode: opcode)
        var verdict = arrival(m)
        if m.from == .client {
            clientMessage(message, m, &verdict)
        } else {
            serverMessage(message, m, &verdict)
        }
        return verdict
    }

    /// `message(_:)` for bytes that did not decode.
    public mutating func message(
        undecodable error: DecodeError, seq: Int, time: Double, from: Direction, opcode: DataOpcode
    ) -> MessageVerdict {
        let m = MessagePlace(seq: seq, time: time, from: from, opcode: opcode)
        var verdict = arrival(m)
        verdict.annotations = decodeFailure(error, m)
        return verdict
    }

    /// What any message's arrival settles: findings due by its time, and the client's last
    /// activity.
    private mutating func arrival(_ m: MessagePlace) -> MessageVerdict {
        let verdict = MessageVerdict(findings: advance(to: m.time))
        if m.from == .client {
            lastClientTime = m.time
            lastClientSeq = m.seq
            silenceReported = false
        }
        return verdict
    }

    private func decodeFailure(_ error: DecodeError, _ m: MessagePlace) -> [Annotation] {
        let consequence = m.from == .client
            ? "; a Phoenix server cannot decode it and closes the socket with 1011, dropping every channel"
            : "; the client cannot decode it"
        if case .invalidUTF8 = error {
            return note("ws-invalid-utf8", "\(error)\(consequence)")
        }
        return note(m.opcode == .binary ? "malformed-binary-frame" : "malformed-text-frame", "\(error)\(consequence)")
    }

    // MARK: - Helpers shared by the extensions

    /// An annotation of rule `id` with the severity for the configured version; none when the
    /// rule does not apply to that version.
    func note(_ id: String, _ text: String) -> [Annotation] {
        guard let severity = RuleCatalog.rule(id: id)?.severity(for: options.phoenixVersion) else { return [] }
        return [Annotation(rule: id, severity: severity, text: text)]
    }

    func finding(_ id: String, _ text: String, _ time: Double, _ refersTo: [Int]) -> [Finding] {
        note(id, text).map { Finding(annotation: $0, time: time, refersTo: refersTo) }
    }

    /// The timeout phoenix.js (or LiveView) applies to a push on `topic`.
    func timeout(for topic: String) -> Double {
        EventName.isLiveViewTopic(topic) ? options.liveViewPushTimeout : options.pushTimeout
    }
}

/// The events the checker treats specially. This runs on every message, and most events are
/// application events that match none of them: the name's bytes are compared by length and
/// first byte before anything else (a `switch` over the strings compared them one by one).
enum CheckedEvent {
    case join, reply, leave, close, error, heartbeat, presenceState, presenceDiff, other

    init(_ event: String) {
        var event = event
        self = event.withUTF8(Self.classify)
    }

    private static func classify(_ name: UnsafeBufferPointer<UInt8>) -> CheckedEvent {
        // Every reserved event the checker follows starts with "p" or "h".
        guard let first = name.first, first == UInt8(ascii: "p") || first == UInt8(ascii: "h") else { return .other }
        switch name.count {
        case 8:
            return ByteScan.equals(name, "phx_join") ? .join : .other
        case 9:
            if ByteScan.equals(name, "phx_reply") { return .reply }
            if ByteScan.equals(name, "phx_leave") { return .leave }
            if ByteScan.equals(name, "phx_close") { return .close }
            if ByteScan.equals(name, "phx_error") { return .error }
            return ByteScan.equals(name, "heartbeat") ? .heartbeat : .other
        case 13:
            return ByteScan.equals(name, "presence_diff") ? .presenceDiff : .other
        case 14:
            return ByteScan.equals(name, "presence_state") ? .presenceState : .other
        default:
            return .other
        }
    }
}

/// Byte tests of names for the per-message checks (`String`'s `hasPrefix` goes through
/// Unicode-aware paths costing a hundred instructions or more).
enum EventName {
    /// `lv:` and `lvu:` topics are LiveView's: a longer push timeout and join checks of their own.
    static func isLiveViewTopic(_ topic: String) -> Bool {
        var topic = topic
        return topic.withUTF8 { t in
            guard t.count >= 3, t[0] == UInt8(ascii: "l"), t[1] == UInt8(ascii: "v") else { return false }
            return t[2] == UInt8(ascii: ":") || (t.count >= 4 && t[2] == UInt8(ascii: "u") && t[3] == UInt8(ascii: ":"))
        }
    }
}
