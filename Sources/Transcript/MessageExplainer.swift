import PhoenixChecker
import PhoenixProtocol

/// Writes the one-line explanation of each message of a connection: what it is and why its
/// fields look the way they do ("reply to push 7 on room:lobby; join_ref 4 echoes the
/// channel's join", "broadcast: no join_ref and no ref, so every channel on this topic
/// receives it").
///
/// It walks the connection's messages in order, keeping what a reader of the exchange would
/// keep in mind: which join_ref each topic is joined with, which joins came before, and which
/// push each reply answers (the transcript's `reply_to`, looked up both ways).
public struct MessageExplainer: Sendable {
    /// The connection's serializer: from its open line, else read off its first frame.
    let serializer: Serializer
    private let transport: Transport
    /// Messages by seq, for naming the push a reply answers.
    private var bySeq: [Int: MessageRecord] = [:]
    /// Push seq -> the seq of its reply, for saying whether a push was answered.
    private var replyOf: [Int: MessageRecord] = [:]
    /// Topic -> the join_ref of its current join (set when the join is sent).
    private var joined: [String: Ref?] = [:]
    /// Topic -> join_refs used before the current one.
    private var earlierJoins: [String: [Ref?]] = [:]
    /// Topics whose leave was sent, so their phx_close reads as the end of a leave.
    private var leaving: Set<String> = []
    /// False when the messages are a filtered part of the connection (their numbers have gaps):
    /// then what is not shown is not said to be absent.
    private let complete: Bool

    /// An explainer for one connection: its `open` line (nil when unseen) and all its messages,
    /// so that a push can say which later message answered it.
    public init(open: OpenRecord?, messages: [MessageRecord]) {
        serializer = open?.serializer ?? (messages.first.map { Serializer.guessed(fromFrame: $0.raw) } ?? .v2)
        transport = open?.transport ?? messages.first?.transport ?? .websocket
        for m in messages {
            bySeq[m.seq] = m
            if let push = m.replyTo { replyOf[push] = m }
        }
        complete = messages.enumerated().allSatisfy { $0.offset + 1 == $0.element.seq }
    }

    /// The explanation of the next message of the connection (call in order).
    public mutating func explain(_ record: MessageRecord) -> String {
        guard case .success(let m) = record.decoded else {
            if case .failure(let error) = record.decoded {
                let tail = record.from == .client
                    ? " A Phoenix server cannot decode it either: its socket process crashes and closes the connection with 1011."
                    : " A Phoenix client cannot decode it either."
                return "Undecodable \(record.opcode.rawValue) frame of \(record.raw.count) bytes: \(error)." + tail
            }
            return ""
        }
        var text = record.from == .client ? client(record, m) : server(record, m)
        if let layout = binaryLayout(m, from: record.from, size: record.raw.count) { text += " " + layout }
        return text
    }

    // MARK: - Client messages

    private mutating func client(_ r: MessageRecord, _ m: PhoenixMessage) -> String {
        let topic = code(m.topic)
        switch m.reservedEvent {
        case .heartbeat:
            return "Heartbeat: topic `phoenix` belongs to the socket, not to a channel, so join_ref is \(ref(m.joinRef)); "
                + "ref \(ref(m.ref)) lets the client match the server's reply." + answered(r)
        case .join:
            var text: String
            let hadJoin = joined[m.topic] != nil || earlierJoins[m.topic]?.isEmpty == false
            var previous: Ref? = nil
            if let current = joined[m.topic] { previous = current } else if let last = earlierJoins[m.topic]?.last { previous = last }
            if m.topic.hasPrefix("lv:") {
                text = "LiveView join of \(topic): the payload carries the page's signed `session` and `static` tokens "
                    + "(so the server can mount the same view) and the URL; "
            } else if hadJoin {
                text = "Rejoin of \(topic) with a new join_ref \(ref(m.joinRef)) (the join before used \(ref(previous))), "
                    + "so late messages of the old join can be told apart; "
            } else {
                text = "Join request for \(topic); "
            }
            if m.joinRef == nil {
                text += "join_ref is null, so the server takes the ref \(ref(m.ref)) as the channel's join_ref."
            } else if m.joinRef == m.ref {
                text += "join_ref \(ref(m.joinRef)) equals its ref, as phoenix.js sends it, "
                    + "and every later message of this channel carries join_ref \(ref(m.joinRef))."
            } else {
                text += "join_ref \(ref(m.joinRef)) differs from ref \(ref(m.ref)) (phoenix.js makes them equal); "
                    + "replies echo both."
            }
            if let current = joined[m.topic] { earlierJoins[m.topic, default: []].append(current) }
            let channelJoinRef: Ref? = m.joinRef != nil ? m.joinRef : m.ref
            joined[m.topic] = .some(channelJoinRef)
            leaving.remove(m.topic)
            return text + answered(r)
        case .leave:
            leaving.insert(m.topic)
            if joined[m.topic] == nil, complete {
                return "Leave of \(topic), which is not joined: Phoenix just replies ok with an empty response." + answered(r)
            }
            return "Leave of \(topic) with join_ref \(ref(m.joinRef)); Phoenix replies ok and then closes the channel with phx_close."
                + answered(r)
        default:
            var text: String
            if m.event == "event", m.topic.hasPrefix("lv:"), let v = m.payload.jsonValue() {
                let type = v["type"]?.stringValue.map { " \($0)" } ?? ""
                let name = v["event"]?.stringValue.map { " " + code($0) } ?? ""
                text = "LiveView\(type) event\(name) from the page, sent on the view's channel \(topic)"
            } else {
                text = "Push \(code(m.event)) to \(topic)"
            }
            if m.joinRef == nil {
                text += " with join_ref null (the channel's join_ref is missing)"
            } else if let current = joined[m.topic], current == m.joinRef {
                text += " with join_ref \(ref(m.joinRef)) (the channel's join)"
            } else if joined[m.topic] == nil {
                text += complete ? " with join_ref \(ref(m.joinRef)), though \(topic) is not joined" : " with join_ref \(ref(m.joinRef))"
            } else {
                text += " with join_ref \(ref(m.joinRef)), not the channel's current \(ref(joined[m.topic]!))"
            }
            return text + " and ref \(ref(m.ref)), which its reply will echo." + answered(r)
        }
    }

    /// Whether and when a client push was answered, from the whole connection.
    private func answered(_ push: MessageRecord) -> String {
        guard let reply = replyOf[push.seq] else { return complete ? " No reply was seen." : "" }
        return " Answered by message \(reply.seq)" + (reply.roundTrip.map { ", \(DurationText.of($0)) later." } ?? ".")
    }

    // MARK: - Server messages

    private mutating func server(_ r: MessageRecord, _ m: PhoenixMessage) -> String {
        let topic = code(m.topic)
        if m.reservedEvent == .reply {
            return reply(r, m)
        }
        switch m.reservedEvent {
        case .close:
            let after = leaving.contains(m.topic) ? " after the leave" : ""
            finishJoin(m.topic)
            return "The server closed channel \(topic)\(after): ref equals join_ref \(ref(m.joinRef)), as in every phx_close; "
                + "to use \(topic) again the client must join with a new join_ref."
        case .error:
            finishJoin(m.topic)
            return "Channel \(topic) crashed on the server: phx_error carries ref = join_ref \(ref(m.joinRef)) of the join that died; "
                + "phoenix.js rejoins with a new join_ref, and pushes still waiting get no reply."
        case .presenceState:
            let keys = m.payload.jsonValue()?.objectMembers?.count
            return "Presence state, sent by the channel after the join: everyone present on \(topic) now"
                + (keys.map { " (\($0) \($0 == 1 ? "key" : "keys"))" } ?? "") + ". " + shape(m, subject: code(m.event)) + "."
        case .presenceDiff:
            let v = m.payload.jsonValue()
            let joins = v?["joins"]?.objectMembers?.map(\.key) ?? []
            let leaves = v?["leaves"]?.objectMembers?.map(\.key) ?? []
            var what: [String] = []
            if !joins.isEmpty { what.append("joined: " + joins.map(code).joined(separator: ", ")) }
            if !leaves.isEmpty { what.append("left: " + leaves.map(code).joined(separator: ", ")) }
            return "Presence diff (\(what.isEmpty ? "no change" : what.joined(separator: "; "))). " + shape(m, subject: code(m.event)) + "."
        default:
            let lead = m.event == "diff" && m.topic.hasPrefix("lv:") ? "LiveView diff: changes to the rendered page. " : ""
            return lead + shape(m, subject: code(m.event)) + "."
        }
    }

    /// Why a server push or broadcast has the refs it has, as a sentence about `subject`.
    private func shape(_ m: PhoenixMessage, subject: String) -> String {
        if serializer == .v1 {
            return m.ref == nil
                ? "Server message \(subject) with ref null: a push or a broadcast, not a reply (V1 never sends join_ref, so which of the two cannot be told)"
                : "Server message \(subject) with ref \(ref(m.ref)), which answers no push"
        }
        switch (m.joinRef, m.ref) {
        case (nil, nil):
            return "Broadcast \(subject): no join_ref and no ref, so every channel on this topic receives it"
        case (let j?, nil):
            let current = joined[m.topic].flatMap { $0 }
            if current == j {
                return "Push \(subject) from the channel process: join_ref \(ref(j)) (the channel's join) and no ref, so only that join receives it"
            }
            return "Push \(subject) with join_ref \(ref(j)), which is not the current join of this topic, so phoenix.js drops it as outdated"
        case (let j, let rf?):
            return "Server message \(subject) with join_ref \(ref(j)) and ref \(ref(rf)), a shape Phoenix gives only to replies, phx_close and phx_error"
        }
    }

    private mutating func reply(_ r: MessageRecord, _ m: PhoenixMessage) -> String {
        let topic = code(m.topic)
        let status = m.reply?.status ?? "?"
        let reason = m.reply.flatMap { reply -> String? in
            guard case .json = reply.response else { return nil }
            return reply.response.jsonValue()?["reason"]?.stringValue
        }
        let outcome = status + (reason.map { " (reason \(JSONText.quoted($0)))" } ?? "")
        let rtt = r.roundTrip.map { ", \(DurationText.of($0)) after it" } ?? ""
        if let pushSeq = r.replyTo, bySeq[pushSeq] == nil {
            // The push is in the connection but not among the messages shown.
            let joinRef = serializer == .v1 ? "" : ", with join_ref \(ref(m.joinRef))"
            return "Reply to message \(pushSeq) (not shown) on \(topic)\(rtt): \(outcome); ref \(ref(m.ref)) echoes the push's\(joinRef)."
        }
        guard let pushSeq = r.replyTo, let push = bySeq[pushSeq], let p = push.message else {
            return "Reply \(outcome) on \(topic) with ref \(ref(m.ref)), which matches no push still waiting for one "
                + "(phoenix.js ignores it)."
        }
        if p.reservedEvent == .heartbeat {
            return "Reply to heartbeat \(pushSeq)\(rtt): \(outcome); join_ref null as on the heartbeat, ref \(ref(m.ref)) echoes it."
        }
        let echo: String
        if serializer == .v1 {
            echo = "ref \(ref(m.ref)) echoes the push (V1 replies carry no join_ref)"
        } else if m.joinRef == nil {
            echo = reason == "unmatched topic"
                ? "join_ref is null because the server has no channel on this topic to take one from"
                : "join_ref is null"
        } else if m.joinRef == p.joinRef {
            echo = p.reservedEvent == .join
                ? "join_ref \(ref(m.joinRef)) and ref \(ref(m.ref)) echo the join"
                : "join_ref \(ref(m.joinRef)) echoes the channel's join, ref \(ref(m.ref)) the push's"
        } else {
            echo = "join_ref \(ref(m.joinRef)) is the channel's current join, not the push's \(ref(p.joinRef))"
        }
        switch p.reservedEvent {
        case .join:
            if status == "ok" {
                let lv = m.topic.hasPrefix("lv:") ? " The response carries the first rendering of the page." : ""
                return "Join of \(topic) accepted (reply to message \(pushSeq)\(rtt)); \(echo); the channel is now joined.\(lv)"
            }
            finishJoin(m.topic)
            return "Join of \(topic) refused (reply to message \(pushSeq)\(rtt)): \(outcome); \(echo); the channel is not joined."
        case .leave:
            return "Leave of \(topic) acknowledged (reply to message \(pushSeq)\(rtt)): \(outcome); \(echo)."
        default:
            let diff = m.topic.hasPrefix("lv:") && m.reply?.response.jsonValue()?["diff"] != nil
                ? " The response's `diff` holds the changes to the rendered page." : ""
            return "Reply to push \(pushSeq) (\(code(p.event))) on \(topic)\(rtt): \(outcome); \(echo).\(diff)"
        }
    }

    private mutating func finishJoin(_ topic: String) {
        if let current = joined.removeValue(forKey: topic) { earlierJoins[topic, default: []].append(current) }
        leaving.remove(topic)
    }

    // MARK: - Binary layouts

    /// How a V2 binary frame is laid out, in one sentence.
    private func binaryLayout(_ m: PhoenixMessage, from: Direction, size: Int) -> String? {
        guard case .v2Binary(let kind) = m.layout else { return nil }
        let payload = (m.reply?.response ?? m.payload).bytes.count
        switch (kind, from) {
        case (.push, .client):
            return "Binary push (kind 0): a 5-byte header of sizes, then join_ref, ref, topic and event, then \(payload) raw payload bytes."
        case (.push, .server):
            return "Binary push (kind 0) from the server: a 4-byte header (no ref), then join_ref, topic and event, then \(payload) raw bytes."
        case (.reply, _):
            return "Binary reply (kind 1): sizes of join_ref, ref, topic and status, those fields, then \(payload) raw response bytes."
        case (.broadcast, _):
            return "Binary broadcast (kind 2): only topic and event sizes (no refs), then \(payload) raw bytes."
        }
    }

    // MARK: - Text helpers

    /// A ref as a reader says it: `4` for the string "4"; numbers, which phoenix.js never
    /// sends, are marked as such because `===` will not match them with a string.
    private func ref(_ r: Ref?) -> String {
        guard let r else { return "null" }
        switch r.kind {
        case .string: return r.text.isEmpty ? "\"\"" : r.text
        case .number: return "\(r.text) (a JSON number)"
        case .other: return r.text
        }
    }

    /// Markdown inline code, safe for any text.
    func code(_ s: String) -> String { Markdown.code(s) }
}
