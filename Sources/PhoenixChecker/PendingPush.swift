import PhoenixProtocol

/// What kind of client message awaits a reply.
enum PushKind: Sendable {
    case join
    case leave
    case heartbeat
    case push
}

/// A client message that awaits its reply.
struct PendingPush: Sendable {
    var seq: Int
    var time: Double
    var topic: String
    var event: String
    var ref: Ref
    /// The join_ref the message carried.
    var joinRef: Ref?
    var kind: PushKind
    var deadline: Double
    /// Set when the checker already knows the server will not answer, and why.
    var expectNoReply: String?
    /// Set when the push was already flagged as going to a topic the server does not have
    /// joined: its `unmatched topic` reply is then the expected consequence, not a new finding.
    var expectsUnmatchedTopic = false
}

/// A push that has been settled (answered, timed out, or ended with its channel), remembered
/// briefly to explain a late or repeated reply.
struct SettledPush: Sendable {
    enum Outcome: Sendable {
        case replied
        case timedOut
        case channelEnded
        case dropped
    }

    var ref: Ref
    var topic: String
    var seq: Int
    var time: Double
    var outcome: Outcome
    var kind: PushKind
    /// For joins: the join_ref the server gives the channel.
    var channelJoinRef: Ref?
}

/// A min-heap of push deadlines. Entries are not removed when a push is answered; they are
/// skipped when they surface (the push is no longer pending under that seq), which keeps a
/// reply O(1) and bounds the heap by the pushes sent within one timeout window.
struct DeadlineHeap: Sendable {
    struct Entry: Sendable {
        var deadline: Double
        var seq: Int
        var ref: Ref
    }

    private(set) var entries: [Entry] = []

    var count: Int { entries.count }
    var top: Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let top = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    mutating func removeAll(keepingCapacity: Bool = false) { entries.removeAll(keepingCapacity: keepingCapacity) }
}
