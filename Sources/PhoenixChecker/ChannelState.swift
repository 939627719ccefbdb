import PhoenixProtocol

/// Where a channel (one topic on one connection) stands, as far as the traffic shows.
public enum ChannelPhase: String, Sendable, Hashable {
    /// `phx_join` sent, no reply yet.
    case joining
    /// The join was answered ok.
    case joined
    /// `phx_leave` accepted (sent with the current join_ref), `phx_close` not seen yet.
    case leaving
    /// The server sent `phx_close` for the current join_ref.
    case closed
    /// The server sent `phx_error` for the current join_ref, or the join timed out.
    case errored
    /// The join was answered with an error.
    case joinFailed
}

/// A join that timed out may still be completed by the server (the socket process finishes
/// join/3 whatever the client concluded): phoenix.js leaves it before it joins again.
enum TimedOutJoin: Sendable {
    /// No phx_leave for it yet.
    case notLeft
    /// The client sent phx_leave with its join_ref: if the server completes the join, it then
    /// takes the leave, replies ok and closes the channel.
    case left
}

/// What the checker remembers about one topic. Every list is capped, so a topic's state does
/// not grow with the number of messages on it.
struct ChannelState: Sendable {
    /// How many earlier join_refs are remembered per topic.
    static let historyLimit = 8

    var phase: ChannelPhase = .joining
    /// The channel's join_ref as the server knows it: the join's `join_ref || ref`.
    var joinRef: Ref?
    /// join_refs of earlier joins of this topic on this connection, oldest first.
    var earlierJoinRefs: [Ref] = []
    /// join_refs replaced by a duplicate join: their `phx_close` is expected, not stale.
    var replacedJoinRefs: [Ref] = []
    /// Times of the latest joins, for rejoin-loop detection.
    var joinTimes: [Double] = []
    var loopReported = false
    /// When the channel last failed (phx_error, join error, join timeout), for rejoin cadence.
    var lastFailure: Double?
    var lastUsed: Double
    /// Where the client stands with a join of this topic that got no reply in time (the current
    /// join_ref's): nil when it was answered in time.
    var timedOutJoin: TimedOutJoin?
    /// The seq of the phx_leave the server answered ok, while the phx_close that Phoenix sends
    /// after it is awaited.
    var answeredLeave: Int?
    /// `lv:` and `lvu:` topics use LiveView's longer push timeout and join checks.
    var isLiveView: Bool
    var presence = PresenceState()

    init(topic: String, time: Double) {
        lastUsed = time
        isLiveView = EventName.isLiveViewTopic(topic)
    }

    /// Marks the channel used at `time` and returns what a push is checked against. Called on
    /// the dictionary's storage (`&channels.values[i]`): reading a field through the values'
    /// subscript would copy the whole state first.
    static func touch(_ channel: inout ChannelState, at time: Double) -> (phase: ChannelPhase, joinRef: Ref?) {
        channel.lastUsed = time
        return (channel.phase, channel.joinRef)
    }

    /// True while the server has a channel process for the topic.
    var isOpen: Bool { phase == .joining || phase == .joined || phase == .leaving }

    /// Records a join_ref that is no longer current.
    mutating func retire(_ ref: Ref?) {
        guard let ref else { return }
        ChannelState.appendCapped(&earlierJoinRefs, ref)
    }

    static func appendCapped<T>(_ list: inout [T], _ value: T) {
        if list.count >= historyLimit { list.removeFirst() }
        list.append(value)
    }

    /// How a join_ref on a server message relates to this topic's joins.
    func classify(_ ref: Ref) -> JoinRefRelation {
        if ref == joinRef { return .current }
        if replacedJoinRefs.contains(ref) { return .replaced }
        if earlierJoinRefs.contains(ref) { return .earlier }
        return .unknown
    }
}

/// How a join_ref relates to a topic's joins.
enum JoinRefRelation {
    case current
    /// Replaced by a duplicate join whose `phx_close` is expected.
    case replaced
    case earlier
    case unknown
}
