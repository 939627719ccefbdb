import PhoenixChecker
public import PhoenixProtocol

/// The kinds of message a Phoenix reference shows one example of, with what each is for.
/// `classify` sorts a transcript's messages into them, using the push a reply answers.
public enum MessageKind: String, Sendable, Hashable, CaseIterable {
    case join, joinReplyOk, joinReplyError, unmatchedTopicReply
    case push, replyOk, replyError
    case serverPush, broadcast
    case presenceState, presenceDiff
    case heartbeat, heartbeatReply
    case leave, leaveReply, close, channelError
    case v1ClientMessage, v1ServerMessage
    case binaryClientPush, binaryServerPush, binaryReply, binaryBroadcast
    case longPollMessage
    case liveViewJoin, liveViewEvent, liveViewReply

    /// A heading.
    public var title: String {
        switch self {
        case .join: return "Join"
        case .joinReplyOk: return "Join accepted"
        case .joinReplyError: return "Join refused"
        case .unmatchedTopicReply: return "Unmatched topic"
        case .push: return "Client push"
        case .replyOk: return "Reply ok"
        case .replyError: return "Reply error"
        case .serverPush: return "Server push"
        case .broadcast: return "Broadcast"
        case .presenceState: return "Presence state"
        case .presenceDiff: return "Presence diff"
        case .heartbeat: return "Heartbeat"
        case .heartbeatReply: return "Heartbeat reply"
        case .leave: return "Leave"
        case .leaveReply: return "Leave reply"
        case .close: return "Channel closed (phx_close)"
        case .channelError: return "Channel crashed (phx_error)"
        case .v1ClientMessage: return "V1 client message"
        case .v1ServerMessage: return "V1 server message"
        case .binaryClientPush: return "Binary client push (kind 0)"
        case .binaryServerPush: return "Binary server push (kind 0)"
        case .binaryReply: return "Binary reply (kind 1)"
        case .binaryBroadcast: return "Binary broadcast (kind 2)"
        case .longPollMessage: return "A message over LongPoll"
        case .liveViewJoin: return "LiveView join"
        case .liveViewEvent: return "LiveView event"
        case .liveViewReply: return "LiveView reply with a diff"
        }
    }

    /// What the kind is and the rules its fields follow, in a few sentences.
    public var summary: String {
        switch self {
        case .join:
            return "The client asks to join a topic: `[join_ref, ref, topic, \"phx_join\", params]`. phoenix.js makes join_ref equal to the join's own ref; every later message of the channel carries that join_ref, and each rejoin uses a new one."
        case .joinReplyOk:
            return "`phx_reply` with status ok echoes the join's join_ref and ref. From here the channel is joined and pushes on the topic are handled."
        case .joinReplyError:
            return "The channel's `join/3` refused: status error with the application's response. The topic is not joined; pushes on it get `unmatched topic`."
        case .unmatchedTopicReply:
            return "A message to a topic that is not joined on this socket (or a join no route matches) gets status error `{\"reason\":\"unmatched topic\"}` with join_ref null: the server has no channel to take one from."
        case .push:
            return "A client event on a joined channel: join_ref is the channel's join, ref a fresh number the reply will echo."
        case .replyOk:
            return "`phx_reply` answers one push: same topic, the push's ref, the channel's join_ref, and `{\"status\", \"response\"}` as payload."
        case .replyError:
            return "A reply with status error: the application's `{:reply, {:error, map}, socket}`. The push was handled; it failed."
        case .serverPush:
            return "`push/3` from the channel process: join_ref of the channel, ref null. Only that join receives it; a client drops it when the join_ref is not its current one."
        case .broadcast:
            return "A broadcast reaches every subscriber of the topic, encoded once: join_ref null and ref null."
        case .presenceState:
            return "The channel pushes the full presence list after the join (it is the application's `push`, not automatic): a map of keys to `metas`."
        case .presenceDiff:
            return "Presence changes are broadcast as `{\"joins\", \"leaves\"}`. One arriving before `presence_state` is normal; phoenix.js queues it."
        case .heartbeat:
            return "phoenix.js sends `[null, ref, \"phoenix\", \"heartbeat\", {}]` every 30 s on WebSocket (never on LongPoll); the server closes a socket that stays silent for 60 s."
        case .heartbeatReply:
            return "The socket itself answers a heartbeat at once: ok `{}`, the heartbeat's ref, join_ref null."
        case .leave:
            return "The client leaves a channel: `phx_leave` with the channel's join_ref. Phoenix replies ok and then sends `phx_close`."
        case .leaveReply:
            return "The reply to `phx_leave`: ok with an empty response, join_ref and ref echoed."
        case .close:
            return "The channel ended normally (leave, `{:stop, ...}` or a duplicate join): `phx_close` with ref equal to join_ref. A new join needs a new join_ref."
        case .channelError:
            return "The channel process crashed: `phx_error` with ref equal to join_ref. Pushes still waiting get no reply; phoenix.js rejoins."
        case .v1ClientMessage:
            return "With `vsn=1.0.0` (or no vsn) messages are JSON objects `{topic, event, payload, ref, join_ref}`."
        case .v1ServerMessage:
            return "The V1 server never sends join_ref, so pushes and broadcasts look alike; replies carry `{status, response}` in `payload`."
        case .binaryClientPush:
            return "A client push whose payload is binary (an ArrayBuffer in phoenix.js) goes in a binary frame: kind 0, sizes of join_ref, ref, topic and event (one byte each), those fields, then the raw payload."
        case .binaryServerPush:
            return "A server push with a `{:binary, data}` payload: kind 0 with a 4-byte header, because server pushes have no ref."
        case .binaryReply:
            return "A reply with a binary response: kind 1 with the sizes of join_ref, ref, topic and status."
        case .binaryBroadcast:
            return "A broadcast with a binary payload: kind 2, only topic and event, no refs."
        case .longPollMessage:
            return "LongPoll carries the same frames: the client POSTs ndjson (one message per line, binary as base64), the server answers polls with `{\"status\": 200, \"token\", \"messages\": [...]}` inside an HTTP 200."
        case .liveViewJoin:
            return "LiveView mounts a view by joining `lv:<id>` with the page's signed `session` and `static` tokens, the URL and `params` (with `_csrf_token`); without `session` the server answers `stale`."
        case .liveViewEvent:
            return "A user action (`phx-click` and the like) is an `event` push: `{type, event, value}`."
        case .liveViewReply:
            return "The server answers an event with a reply whose response holds the changes to the rendered page (`diff`)."
        }
    }

    /// The kinds a message is an example of (a LiveView join is also a join, a binary reply also a reply).
    public static func classify(_ m: MessageRecord, push: MessageRecord?, serializer: Serializer) -> [MessageKind] {
        guard let message = m.message else { return [] }
        var kinds: [MessageKind] = []
        if m.transport == .longpoll { kinds.append(.longPollMessage) }
        if serializer == .v1 { kinds.append(m.from == .client ? .v1ClientMessage : .v1ServerMessage) }
        if case .v2Binary(let kind) = message.layout {
            switch (kind, m.from) {
            case (.push, .client): kinds.append(.binaryClientPush)
            case (.push, .server): kinds.append(.binaryServerPush)
            case (.reply, _): kinds.append(.binaryReply)
            case (.broadcast, _): kinds.append(.binaryBroadcast)
            }
        }
        let liveView = message.topic.hasPrefix("lv:")
        if m.from == .client {
            switch message.reservedEvent {
            case .heartbeat: kinds.append(.heartbeat)
            case .join: kinds.append(liveView ? .liveViewJoin : .join)
            case .leave: kinds.append(.leave)
            default: kinds.append(liveView && message.event == "event" ? .liveViewEvent : .push)
            }
            return kinds
        }
        if let reply = message.reply {
            let reason = reply.response.jsonValue()?["reason"]?.stringValue
            let pushed = push?.message
            if reason == "unmatched topic" {
                kinds.append(.unmatchedTopicReply)
            } else if pushed?.reservedEvent == .heartbeat {
                kinds.append(.heartbeatReply)
            } else if pushed?.reservedEvent == .join {
                kinds.append(reply.status == "ok" ? .joinReplyOk : .joinReplyError)
            } else if pushed?.reservedEvent == .leave {
                kinds.append(.leaveReply)
            } else if liveView, reply.response.jsonValue()?["diff"] != nil {
                kinds.append(.liveViewReply)
            } else if pushed != nil {
                kinds.append(reply.status == "ok" ? .replyOk : .replyError)
            }
            return kinds
        }
        switch message.reservedEvent {
        case .close: kinds.append(.close)
        case .error: kinds.append(.channelError)
        case .presenceState: kinds.append(.presenceState)
        case .presenceDiff: kinds.append(.presenceDiff)
        default:
            if serializer == .v2 {
                if message.joinRef == nil, message.ref == nil { kinds.append(.broadcast) }
                if message.joinRef != nil, message.ref == nil { kinds.append(.serverPush) }
            }
        }
        return kinds
    }
}
