import PhoenixProtocol

// Deadlines and settlement: every pending thing ends as a reply, a timeout that a later event's
// time proves, the end of its channel, or the end of the connection.
extension ConnectionChecker {
    /// Settles everything whose deadline lies before `time`: push and join timeouts, unanswered
    /// heartbeats, and client silence.
    mutating func advance(to time: Double) -> [Finding] {
        var out: [Finding] = []
        while let top = deadlines.top, top.deadline <= time {
            deadlines.pop()
            guard let pending = outstanding.remove(top) else { continue }
            out += timedOut(pending)
        }
        if transport == .websocket, !isClosed, !silenceReported, let last = lastClientTime,
            time - last > options.silenceWarning
        {
            silenceReported = true
            let idle = options.serverIdleTimeout
            let tail = time - last >= idle
                ? "; Phoenix closes the WebSocket after \(DurationText.of(idle)) without client data"
                : "; Phoenix will close the WebSocket at \(DurationText.of(idle))"
            out += finding(
                "client-silence",
                "the client sent nothing for more than \(DurationText.of(options.silenceWarning)) (heartbeats are due every \(DurationText.of(options.heartbeatInterval)))\(tail)",
                last + options.silenceWarning, lastClientSeq.map { [$0] } ?? [])
        }
        let overdue = 2 * options.heartbeatInterval
        if transport == .websocket, !isClosed, !heartbeatOverdueReported, let last = lastHeartbeatTime, time - last > overdue {
            heartbeatOverdueReported = true
            out += finding(
                "heartbeat-overdue",
                "no heartbeat from the client for more than \(DurationText.of(overdue)); phoenix.js sends one every \(DurationText.of(options.heartbeatInterval)) whatever else it sends",
                last + overdue, [])
        }
        return out
    }

    private mutating func timedOut(_ pending: PendingPush) -> [Finding] {
        remember(pending, .timedOut)
        let limit = DurationText.of(pending.deadline - pending.time)
        switch pending.kind {
        case .heartbeat:
            if pendingHeartbeat == pending.ref { pendingHeartbeat = nil }
            return finding(
                "heartbeat-no-reply",
                "heartbeat ref \(pending.ref) got no reply within \(limit); phoenix.js closes with 1000 \"heartbeat timeout\" and reconnects",
                pending.deadline, [pending.seq])
        case .join:
            if var channel = channels[pending.topic], channel.phase == .joining, channel.joinRef == effectiveJoinRef(pending) {
                channel.phase = .errored
                channel.timedOutJoin = .notLeft
                channel.lastFailure = pending.deadline
                channels[pending.topic] = channel
            }
            return finding(
                "join-timeout",
                "phx_join of \(pending.topic) (ref \(pending.ref)) got no reply within \(limit); phoenix.js sends phx_leave with this join_ref and rejoins with a new one",
                pending.deadline, [pending.seq])
        case .leave, .push:
            let why = pending.expectNoReply.map { " (\($0))" } ?? "; normal when the handler returns {:noreply, socket}"
            return finding(
                "push-unanswered",
                "\(pending.event) on \(pending.topic) (ref \(pending.ref)) got no reply within \(limit), the client's timeout\(why)",
                pending.deadline, [pending.seq])
        }
    }

    /// Settles every pending push, e.g. when the connection closes.
    mutating func settleAll(time: Double, because reason: String) -> [Finding] {
        let pending = outstanding.pushes.sorted { $0.seq < $1.seq }
        outstanding.removeAll()
        deadlines.removeAll()
        pendingHeartbeat = nil
        return pending.flatMap { push -> [Finding] in
            remember(push, .dropped)
            let what = push.kind == .heartbeat ? "heartbeat" : push.event
            return finding("push-unanswered", "\(what) on \(push.topic) (ref \(push.ref)) got no reply: \(reason)", time, [push.seq])
        }
    }

    /// Settles the pushes of a channel that has just ended (`phx_close` or `phx_error`).
    mutating func settleChannel(topic: String, joinRef: Ref?, time: Double, because reason: String) -> [Finding] {
        let ended = outstanding.pushes.filter { push in
            push.topic == topic && push.kind == .push && (push.joinRef == nil || push.joinRef == joinRef)
        }.sorted { $0.seq < $1.seq }
        return ended.flatMap { push -> [Finding] in
            outstanding.remove(push.ref)
            remember(push, .channelEnded)
            return finding("push-unanswered", "\(push.event) on \(topic) (ref \(push.ref)) will get no reply: \(reason)", time, [push.seq])
        }
    }

    /// Starts waiting for the reply to a client message.
    /// `refHash` is `PendingPushTable.hash(push.ref)`.
    mutating func expectReply(_ push: consuming PendingPush, refHash: UInt64) -> [Finding] {
        var out: [Finding] = []
        if outstanding.count >= options.maxOutstanding {
            // Settle the push closest to its deadline early rather than grow without bound.
            while let top = deadlines.pop() {
                guard let oldest = outstanding.remove(top) else { continue }
                remember(oldest, .dropped)
                out += finding("push-unanswered", "\(oldest.event) on \(oldest.topic) (ref \(oldest.ref)) is no longer followed: more than \(options.maxOutstanding) pushes await replies", push.time, [oldest.seq])
                break
            }
        }
        deadlines.push(.init(deadline: push.deadline, seq: push.seq, ref: push.ref))
        outstanding.insert(push, hash: refHash)  // its last use: moved in, not copied
        // Answered pushes leave their entries behind; rebuild before they outnumber live ones.
        // The room is kept: a pipelining client refills it within a few hundred pushes, and
        // growing it again from nothing copied the entries at every doubling.
        if deadlines.count > 4 * max(outstanding.count, 256) {
            deadlines.removeAll(keepingCapacity: true)
            for pending in outstanding.pushes {
                deadlines.push(.init(deadline: pending.deadline, seq: pending.seq, ref: pending.ref))
            }
        }
        return out
    }

    /// Keeps a settled push for a while, to explain a late or repeated reply.
    mutating func remember(_ push: PendingPush, _ outcome: SettledPush.Outcome) {
        let entry = SettledPush(
            ref: push.ref, topic: push.topic, seq: push.seq, time: push.time, outcome: outcome, kind: push.kind,
            channelJoinRef: effectiveJoinRef(push))
        // A ring: the oldest entry is overwritten, nothing shifts.
        if settled.count < Self.settledLimit {
            settled.append(entry)
        } else {
            settled[settledNext] = entry
        }
        settledNext = (settledNext + 1) % Self.settledLimit
    }

    /// The join_ref the server gives a channel joined by `push`: `join_ref || ref`.
    func effectiveJoinRef(_ push: PendingPush) -> Ref? { push.joinRef ?? push.ref }

    /// The channel for `topic`, created if new; forgets old closed topics past the cap.
    mutating func channel(_ topic: String, time: Double) -> ChannelState {
        if let existing = channels[topic] { return existing }
        if channels.count >= options.maxTopics { evictTopics() }
        return ChannelState(topic: topic, time: time)
    }

    private mutating func evictTopics() {
        let target = options.maxTopics * 3 / 4
        let byAge = channels.sorted { a, b in
            // Closed topics go first, then the least recently used.
            if a.value.isOpen != b.value.isOpen { return !a.value.isOpen }
            return a.value.lastUsed < b.value.lastUsed
        }
        for (topic, _) in byAge.prefix(max(0, channels.count - target)) { channels[topic] = nil }
    }
}
