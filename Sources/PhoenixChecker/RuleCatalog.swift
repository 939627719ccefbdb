/// Every rule PhoenixTap knows, with stable ids. The checker emits the Phoenix-level ones; the
/// wire layer and the byte sources emit the WebSocket-level and capture-level ones.
public enum RuleCatalog {
    /// All rules, grouped by topic in `RuleTopic` order.
    public static let all: [Rule] = {
        let rules = handshakeAndEnvelope + refsAndReplies + lifecycleAndHeartbeats + presenceLongPollLiveView
            + upgrade + webSocket + source
        let order = Dictionary(uniqueKeysWithValues: RuleTopic.allCases.enumerated().map { ($1, $0) })
        // A stable sort: rules keep their written order inside a topic.
        return rules.enumerated().sorted { a, b in
            let (ta, tb) = (order[a.element.topic]!, order[b.element.topic]!)
            return ta != tb ? ta < tb : a.offset < b.offset
        }.map(\.element)
    }()

    private static let byId: [String: Rule] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })

    /// The rule with this id, if there is one.
    public static func rule(id: String) -> Rule? { byId[id] }
}
