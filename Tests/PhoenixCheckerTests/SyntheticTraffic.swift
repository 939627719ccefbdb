import PhoenixChecker
import PhoenixProtocol

/// Clean traffic of a busy phoenix.js client, generated without end: on each of several topics,
/// pushes with replies, broadcasts, heartbeats every 30 s, presence joins and leaves, and every
/// so often a leave and rejoin with a new join_ref. One message per millisecond.
struct SyntheticTraffic: IteratorProtocol {
    let topics: [String]
    private var queue: [(Direction, PhoenixMessage)] = []
    private var nextRef = 0
    private var joinRefs: [String: Ref] = [:]
    private var round = 0
    private(set) var seq = 0
    private var lastHeartbeat = 0.0
    private static let body = Payload.json(Array(#"{"body":"hello"}"#.utf8)[...])
    private static let empty = Payload.json(Array("{}".utf8)[...])
    private static let ok = Reply(status: "ok", response: empty)

    init(topics: Int = 8) {
        self.topics = (0..<topics).map { "room:\($0)" }
    }

    var time: Double { Double(seq) / 1000 }

    private mutating func ref() -> Ref {
        nextRef += 1
        return .string(String(nextRef))
    }

    private static func message(_ j: Ref?, _ r: Ref?, _ topic: String, _ event: String, _ payload: Payload, reply: Reply? = nil) -> PhoenixMessage {
        PhoenixMessage(joinRef: j, ref: r, topic: topic, event: event, payload: reply.map { _ in empty } ?? payload, reply: reply)
    }

    private mutating func join(_ topic: String) {
        let r = ref()
        joinRefs[topic] = r
        queue.append((.client, Self.message(r, r, topic, "phx_join", Self.empty)))
        queue.append((.server, Self.message(r, r, topic, "phx_reply", Self.empty, reply: Self.ok)))
        let state = Payload.json(Array(#"{"u\#(r)":{"metas":[{"phx_ref":"P\#(r)"}]}}"#.utf8)[...])
        queue.append((.server, Self.message(r, nil, topic, "presence_state", state)))
    }

    private mutating func refill() {
        round += 1
        let topic = topics[round % topics.count]
        guard let j = joinRefs[topic] else { return join(topic) }
        if time - lastHeartbeat >= 30 {
            lastHeartbeat = time
            let r = ref()
            queue.append((.client, Self.message(nil, r, "phoenix", "heartbeat", Self.empty)))
            queue.append((.server, Self.message(nil, r, "phoenix", "phx_reply", Self.empty, reply: Self.ok)))
        }
        let r = ref()
        queue.append((.client, Self.message(j, r, topic, "new_msg", Self.body)))
        queue.append((.server, Self.message(j, r, topic, "phx_reply", Self.empty, reply: Self.ok)))
        queue.append((.server, Self.message(nil, nil, topic, "new_msg", Self.body)))
        if round % 20 == 0 {
            let joins = Payload.json(Array(#"{"joins":{"v\#(round)":{"metas":[{"phx_ref":"Q\#(round)"}]}},"leaves":{}}"#.utf8)[...])
            let leaves = Payload.json(Array(#"{"joins":{},"leaves":{"v\#(round)":{"metas":[{"phx_ref":"Q\#(round)"}]}}}"#.utf8)[...])
            queue.append((.server, Self.message(nil, nil, topic, "presence_diff", joins)))
            queue.append((.server, Self.message(nil, nil, topic, "presence_diff", leaves)))
        }
        if round % 1000 == 0 {
            // Leave and rejoin one topic, a different one each time (about every 3 s).
            let topic = topics[(round / 1000) % topics.count]
            let j = joinRefs[topic]!
            let leave = ref()
            queue.append((.client, Self.message(j, leave, topic, "phx_leave", Self.empty)))
            queue.append((.server, Self.message(j, leave, topic, "phx_reply", Self.empty, reply: Self.ok)))
            queue.append((.server, Self.message(j, j, topic, "phx_close", Self.empty)))
            join(topic)
        }
    }

    mutating func next() -> ObservedMessage? {
        while queue.isEmpty { refill() }
        let (from, message) = queue.removeFirst()
        seq += 1
        return ObservedMessage(seq: seq, time: time, from: from, opcode: .text, decoded: .success(message))
    }
}
