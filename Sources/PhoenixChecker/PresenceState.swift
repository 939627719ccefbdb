import PhoenixProtocol

/// The presence a client following one topic would hold: for each key, the `phx_ref`s of its
/// metas. Diffs that arrive before the current join's `presence_state` are queued, as phoenix.js
/// does, and applied once the state arrives.
struct PresenceState: Sendable {
    /// Diffs kept while waiting for `presence_state`; more than this and checking stops for the join.
    static let queueLimit = 64

    /// The join_ref whose `presence_state` has been applied; nil before any.
    var stateJoinRef: Ref??
    var metas: [String: Set<String>] = [:]
    var metaCount = 0
    var queued: [(seq: Int, diff: JSONValue)] = []
    /// Set when the topic holds more metas than the checker tracks, or the queue overflowed.
    var gaveUp = false
    var reportedEarlyDiff = false

    /// A diff's problems, as annotation texts keyed by rule id.
    struct Problem {
        var rule: String
        var text: String
    }

    /// Replaces the tracked state with a `presence_state` payload.
    mutating func applyState(_ state: JSONValue, joinRef: Ref?, limit: Int) {
        metas = [:]
        metaCount = 0
        stateJoinRef = .some(joinRef)
        gaveUp = false
        for (key, entry) in state.objectMembers ?? [] {
            let refs = PresenceState.refs(of: entry)
            metas[key] = Set(refs.map(\.ref))
            metaCount += refs.count
        }
        if metaCount > limit { giveUp() }
    }

    /// Applies a diff like phoenix.js's `syncDiff`: joins first, then leaves.
    mutating func applyDiff(_ diff: JSONValue, limit: Int) -> [Problem] {
        guard !gaveUp else { return [] }
        var problems: [Problem] = []
        let leaves = diff["leaves"]?.objectMembers ?? []
        var leftRefs: Set<String> = []
        for (_, entry) in leaves { for meta in PresenceState.refs(of: entry) { leftRefs.insert(meta.ref) } }
        for (key, entry) in diff["joins"]?.objectMembers ?? [] {
            for meta in PresenceState.refs(of: entry) {
                if let prev = meta.prev, !leftRefs.contains(prev) {
                    problems.append(Problem(
                        rule: "presence-update-without-leave",
                        text: "presence key \"\(key)\" joins meta \(meta.ref) with phx_ref_prev \(prev), but the diff does not leave \(prev): clients keep both metas"))
                }
                if metas[key, default: []].insert(meta.ref).inserted { metaCount += 1 }
            }
        }
        for (key, entry) in leaves {
            for meta in PresenceState.refs(of: entry) {
                if metas[key]?.remove(meta.ref) != nil {
                    metaCount -= 1
                    if metas[key]?.isEmpty == true { metas[key] = nil }
                } else {
                    problems.append(Problem(
                        rule: "presence-unknown-leave",
                        text: "presence_diff leaves meta \(meta.ref) of key \"\(key)\", which the tracked presence does not hold: a diff was lost or applied out of order"))
                }
            }
        }
        if metaCount > limit { giveUp() }
        return problems
    }

    mutating func giveUp() {
        gaveUp = true
        metas = [:]
        metaCount = 0
        queued = []
    }

    /// The `phx_ref` (and `phx_ref_prev`) of each meta of `{"metas": [...]}`.
    static func refs(of entry: JSONValue) -> [(ref: String, prev: String?)] {
        guard let list = entry["metas"]?.arrayValue else { return [] }
        return list.compactMap { meta in
            guard let ref = meta["phx_ref"]?.stringValue else { return nil }
            return (ref, meta["phx_ref_prev"]?.stringValue)
        }
    }
}
