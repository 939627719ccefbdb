/// The part of the protocol a rule is about; the Markdown reference is grouped by it, in this order.
public enum RuleTopic: String, Sendable, Hashable, CaseIterable, Codable {
    /// The connect request: vsn, serializer, HTTP status.
    case handshake
    /// The frame's shape and the envelope fields.
    case envelope
    /// refs and join_refs.
    case refs
    /// Replies to client pushes, and pushes that get none.
    case replies
    /// Joining, using, leaving and ending channels.
    case lifecycle
    /// Heartbeats and client silence.
    case heartbeats
    /// presence_state and presence_diff.
    case presence
    /// The LongPoll transport.
    case longpoll
    /// LiveView on lv: topics.
    case liveview
    /// RFC 6455 framing and RFC 7692 compression (the wire layer).
    case websocket
    /// What the capture reader or the proxy could not see.
    case source

    /// A heading for the reference.
    public var title: String {
        switch self {
        case .handshake: return "Handshake"
        case .envelope: return "Envelope"
        case .refs: return "Refs and join_refs"
        case .replies: return "Replies"
        case .lifecycle: return "Channel lifecycle"
        case .heartbeats: return "Heartbeats"
        case .presence: return "Presence"
        case .longpoll: return "LongPoll"
        case .liveview: return "LiveView"
        case .websocket: return "WebSocket"
        case .source: return "Capture and proxy"
        }
    }
}

/// A rule's severity on some Phoenix versions, where it differs from the rule's usual severity.
public struct SeverityChange: Sendable, Hashable {
    /// The versions this severity applies to.
    public var versions: VersionRange
    /// The severity on those versions.
    public var severity: Severity
    /// Why it differs, in one sentence.
    public var reason: String

    /// A severity override for a version range.
    public init(_ versions: VersionRange, _ severity: Severity, _ reason: String) {
        self.versions = versions
        self.severity = severity
        self.reason = reason
    }
}

/// One check the checker (or the wire layer) makes, as `phxtap rules` lists it.
public struct Rule: Sendable, Hashable {
    /// Stable kebab-case id, written into transcripts.
    public var id: String
    /// Severity on the newest Phoenix (see `severityChanges` for others).
    public var severity: Severity
    /// One line.
    public var summary: String
    /// What happens on the wire and what a client author should do, in a few sentences.
    public var explanation: String
    /// Where the behaviour comes from: Phoenix file:line, or the RFC section.
    public var basis: String
    /// The Phoenix versions the rule applies to.
    public var appliesTo: VersionRange
    /// The numbers of the PROTOCOL.md section 9 rules it implements (empty for WebSocket and source rules).
    public var section9: [Int]
    /// The group it belongs to.
    public var topic: RuleTopic
    /// Versions on which the severity differs from `severity`.
    public var severityChanges: [SeverityChange]

    /// A rule.
    public init(
        _ id: String, _ severity: Severity, topic: RuleTopic, section9: [Int] = [], summary: String,
        explanation: String, basis: String, appliesTo: VersionRange = .all, severityChanges: [SeverityChange] = []
    ) {
        self.id = id
        self.severity = severity
        self.summary = summary
        self.explanation = explanation
        self.basis = basis
        self.appliesTo = appliesTo
        self.section9 = section9
        self.topic = topic
        self.severityChanges = severityChanges
    }

    /// The severity on `version`, or nil when the rule does not apply to it.
    public func severity(for version: PhoenixVersion) -> Severity? {
        guard appliesTo.contains(version) else { return nil }
        return severityChanges.first(where: { $0.versions.contains(version) })?.severity ?? severity
    }
}
