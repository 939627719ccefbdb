import PhoenixProtocol

// Server to client: replies, channel ends, pushes, broadcasts and presence, judged by what
// Phoenix produces (PROTOCOL.md 4.2, section 12) and what phoenix.js does with them.
extension ConnectionChecker {
    mutating func serverMessage(_ message: PhoenixMessage, _ m: MessagePlace, _ verdict: inout MessageVerdict) {
        // V1 never sends join_ref; phx_close and phx_error carry the join_ref in `ref`.
        let isV1 = message.layout.isV1
        let event = CheckedEvent(message.event)
        switch event {
        case .reply:
            reply(message, m, isV1: isV1, &verdict)
        case .close, .error:
            channelEnd(message, m, isV1: isV1, &verdict)
        default:
            guard message.topic != phoenixSocketTopic else { return }
            if !isV1, let r = message.ref {
                verdict.annotations += note("server-field-pattern", "server \(message.event) on \(message.topic) has ref \(r); Phoenix pushes and broadcasts have ref null")
            }
            var current = true
            if !isV1, let j = message.joinRef {
                current = checkServerJoinRef(j, message, m, &verdict)
            }
            if current, event == .presenceState || event == .presenceDiff {
                presence(message, m, &verdict)
            }
        }
    }

    /// Checks a server push's non-null join_ref against the topic's joins; true when it is current.
    private mutating func checkServerJoinRef(_ j: Ref, _ message: PhoenixMessage, _ m: MessagePlace, _ verdict: inout MessageVerdict) -> Bool {
        let topic = message.topic
        guard let channel = channels[topic] else {
            verdict.annotations += note("unknown-server-join-ref", "\(message.event) on \(topic) carries join_ref \(j), but the client never joined \(topic) on this connection")
            return false
        }
        switch channel.classify(j) {
        case .current:
            if channel.phase == .closed || channel.phase == .errored {
                verdict.annotations += note("message-after-close", "\(message.event) on \(topic) carries join_ref \(j), whose channel already ended with phx_\(channel.phase == .closed ? "close" : "error")")
            }
            return true
        case .replaced, .earlier:
            verdict.annotations += note("stale-server-join-ref", "\(message.event) on \(topic) carries the earlier join_ref \(j) (current: \(channel.joinRef.jsonText)); phoenix.js drops it as outdated")
        case .unknown:
            verdict.annotations += note("unknown-server-join-ref", "\(message.event) on \(topic) carries join_ref \(j), which no join of \(topic) on this connection used")
        }
        return false
    }

    private mutating func channelEnd(_ message: PhoenixMessage, _ m: MessagePlace, isV1: Bool, _ verdict: inout MessageVerdict) {
        let topic = message.topic
        let isClose = message.event == "phx_close"
        let j: Ref?
        if isV1 {
            j = message.ref
        } else {
            j = message.joinRef
            if message.ref != message.joinRef {
                verdict.annotations += note("server-field-pattern", "\(message.event) on \(topic) has join_ref \(message.joinRef.jsonText) and ref \(message.ref.jsonText); Phoenix sets both to the ended join's join_ref")
            }
        }
        guard let j else { return }
        guard var channel = channels[topic] else {
            verdict.annotations += note("unknown-server-join-ref", "\(message.event) on \(topic) carries join_ref \(j), but the client never joined \(topic) on this connection")
            return
        }
        switch channel.classify(j) {
        case .replaced:
            // The close that a duplicate join announced (sent after the new join's reply on 1.7.24).
            channel.replacedJoinRefs.removeAll { $0 == j }
            channels[topic] = channel
        case .earlier:
            verdict.annotations += note("stale-server-join-ref", "\(message.event) on \(topic) for the earlier join_ref \(j) (current: \(channel.joinRef.jsonText)); phoenix.js ignores it, a client that routes by topic alone would tear down the current join")
        case .unknown:
            verdict.annotations += note("unknown-server-join-ref", "\(message.event) on \(topic) carries join_ref \(j), which no join of \(topic) on this connection used")
        case .current:
            if channel.phase == .closed || channel.phase == .errored {
                verdict.annotations += note("message-after-close", "\(message.event) on \(topic) for join_ref \(j), whose channel already ended")
                return
            }
            let why: String
            switch (isClose, channel.phase) {
            case (true, .leaving): why = "the channel closed after phx_leave without replying (normal for {:noreply, socket})"
            case (true, _): why = "the channel stopped (phx_close) before replying"
            default: why = "the channel crashed (phx_error) before replying"
            }
            channel.phase = isClose ? .closed : .errored
            // Not only a join leads back to `.leaving`: a repeated late ok to a join that timed out
            // and was left does too, and must not find this leave waiting.
            channel.answeredLeave = nil
            if !isClose { channel.lastFailure = m.time }
            channel.lastUsed = m.time
            channels[topic] = channel
            verdict.findings += settleChannel(topic: topic, joinRef: j, time: m.time, because: why)
        }
    }

    private mutating func reply(_ message: PhoenixMessage, _ m: MessagePlace, isV1: Bool, _ verdict: inout MessageVerdict) {
        let topic = message.topic
        guard let ref = message.ref else {
            if topic != phoenixSocketTopic {
                verdict.annotations += note("orphan-reply", "phx_reply on \(topic) with ref null cannot answer any push")
            } else if !isV1, message.joinRef != nil {
                verdict.annotations += note("server-field-pattern", "heartbeat reply with join_ref \(message.joinRef.jsonText); Phoenix sends null")
            }
            return
        }
        // One hash lookup finds and removes the push (this runs for every reply).
        guard let index = outstanding.index(of: ref), outstanding[index].topic == topic else {
            verdict.annotations += orphan(ref, topic, m)
            lateJoinReply(message, ref: ref)
            return
        }
        let pending = outstanding.remove(at: index)
        remember(pending, .replied)
        verdict.replyTo = pending.seq
        verdict.roundTrip = m.time - pending.time
        let status = message.reply?.status
        if pending.kind == .heartbeat {
            if pendingHeartbeat == ref { pendingHeartbeat = nil }
            ChannelState.appendCapped(&heartbeatRoundTrips, m.time - pending.time)
            if !isV1, message.joinRef != nil {
                verdict.annotations += note("server-field-pattern", "heartbeat reply with join_ref \(message.joinRef.jsonText); Phoenix sends null")
            }
            return
        }
        // Parsing the response is only needed for errors and LiveView joins: ok replies stay bytes.
        let needsResponse = status != "ok" || (pending.kind == .join && channels[topic]?.isLiveView == true)
        let response = needsResponse ? message.reply?.response.jsonValue() : nil
        let reason = response?["reason"]?.stringValue
        let unmatched = status == "error" && reason == "unmatched topic"
        if !isV1 {
            checkReplyJoinRef(message, pending, unmatched: unmatched, &verdict)
        }
        switch pending.kind {
        case .join:
            joinAnswered(message, pending, status: status, reason: reason, response: response, m, &verdict)
        case .push, .leave:
            if unmatched, !pending.expectsUnmatchedTopic {
                verdict.annotations += note("unmatched-topic", "\(pending.event) on \(topic) was answered \"unmatched topic\": \(topic) is not joined on this connection")
            }
            // An accepted leave: Phoenix's phx_close for the channel is due (rule 17).
            if pending.kind == .leave, status == "ok", var channel = channels[topic], channel.phase == .leaving,
                pending.joinRef == nil || pending.joinRef == channel.joinRef
            {
                channel.answeredLeave = pending.seq
                channels[topic] = channel
            }
        case .heartbeat:
            break
        }
    }

    private func checkReplyJoinRef(_ message: PhoenixMessage, _ pending: PendingPush, unmatched: Bool, _ verdict: inout MessageVerdict) {
        let j = message.joinRef
        if pending.kind == .join {
            let expected = effectiveJoinRef(pending)
            if j != expected, !(unmatched && j == nil) {
                verdict.annotations += note("join-reply-mismatch", "reply to phx_join of \(message.topic) has join_ref \(j.jsonText), not the join's \(expected.jsonText)")
            }
            return
        }
        if j == pending.joinRef || (unmatched && j == nil) || j == channels[message.topic]?.joinRef { return }
        verdict.annotations += note("reply-join-ref-mismatch", "reply to \(pending.event) on \(message.topic) has join_ref \(j.jsonText); the push carried \(pending.joinRef.jsonText) and the channel's is \(channels[message.topic]?.joinRef.jsonText ?? "unknown")")
    }

    private mutating func joinAnswered(
        _ message: PhoenixMessage, _ pending: PendingPush, status: String?, reason: String?, response: JSONValue?,
        _ m: MessagePlace, _ verdict: inout MessageVerdict
    ) {
        let topic = message.topic
        guard var channel = channels[topic], channel.joinRef == effectiveJoinRef(pending) else { return }
        channel.lastUsed = m.time
        if status == "ok" {
            channel.phase = .joined
            channel.lastFailure = nil
            if channel.isLiveView, topic.hasPrefix("lv:"), let response, response["rendered"] == nil || response["liveview_version"] == nil {
                verdict.annotations += note("liveview-join-reply-shape", "ok reply to the LiveView join of \(topic) lacks rendered or liveview_version")
            }
        } else {
            channel.phase = .joinFailed
            channel.lastFailure = m.time
            let why: String
            switch reason {
            case "unmatched topic"?: why = "no channel route matches \(topic)"
            case "join crashed"?: why = "join/3 crashed"
            case "too many channels joined"?: why = "the socket already has the most channels Phoenix allows"
            case let r?: why = "the application refused it (\"\(r)\")"
            case nil: why = "status \(status ?? "missing")"
            }
            verdict.annotations += note("join-rejected", "join of \(topic) refused: \(why); pushes on \(topic) get unmatched topic until a join succeeds")
            if reason == "too many channels joined" {
                verdict.annotations += note("too-many-channels", "the server refused the join of \(topic): too many channels joined on this socket")
            }
        }
        channels[topic] = channel
    }

    /// A join reply after the client's timeout still tells what the server did: an ok means the
    /// channel is joined on the server, whatever the client concluded.
    private mutating func lateJoinReply(_ message: PhoenixMessage, ref: Ref) {
        let topic = message.topic
        guard message.reply?.status == "ok",
            let past = settled.filter({ $0.ref == ref && $0.topic == topic }).max(by: { $0.seq < $1.seq }),
            past.kind == .join, past.outcome == .timedOut,
            channels[topic]?.phase == .errored, channels[topic]?.joinRef == past.channelJoinRef
        else { return }
        // Left already (phoenix.js): the server takes that leave next, replies ok and closes.
        channels[topic]!.phase = channels[topic]!.timedOutJoin == .left ? .leaving : .joined
    }

    private func orphan(_ ref: Ref, _ topic: String, _ m: MessagePlace) -> [Annotation] {
        if let other = outstanding[ref] {
            return note("orphan-reply", "phx_reply on \(topic) has ref \(ref), which belongs to \(other.event) on \(other.topic) (seq \(other.seq)): a reply answers a push on its own topic")
        }
        guard let past = settled.filter({ $0.ref == ref && $0.topic == topic }).max(by: { $0.seq < $1.seq }) else {
            let what = topic == phoenixSocketTopic ? "heartbeat reply" : "phx_reply on \(topic)"
            return note("orphan-reply", "\(what) has ref \(ref), which no outstanding client push on this connection used")
        }
        let late = DurationText.of(m.time - past.time)
        switch past.outcome {
        case .replied:
            return note("duplicate-reply", "second phx_reply for ref \(ref) on \(topic) (push seq \(past.seq)); phoenix.js ignores replies after the first")
        case .timedOut:
            return note("orphan-reply", "phx_reply for ref \(ref) on \(topic) arrived \(late) after its push (seq \(past.seq)), after the client's timeout: the client has given up on it")
        case .channelEnded, .dropped:
            return note("orphan-reply", "phx_reply for ref \(ref) on \(topic) arrived after its push (seq \(past.seq)) was settled by the end of its channel or connection")
        }
    }
}
