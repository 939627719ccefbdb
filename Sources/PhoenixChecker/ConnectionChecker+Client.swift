import PhoenixProtocol

// Client to server: joins, leaves, pushes and heartbeats, judged by what the Phoenix server of
// the configured version will do with them (PROTOCOL.md 4.3).
extension ConnectionChecker {
    mutating func clientMessage(_ message: PhoenixMessage, _ m: MessagePlace, _ verdict: inout MessageVerdict) {
        var notes: [Annotation] = []
        // Checked before building any text: this runs for every client message.
        if message.ref?.isString == false || message.joinRef?.isString == false {
            let nonString = [("ref", message.ref), ("join_ref", message.joinRef)].compactMap { name, ref in
                ref.flatMap { $0.isString ? nil : "\(name) \($0.jsonText)" }
            }
            notes += note("non-string-ref", "\(nonString.joined(separator: " and ")) is not a string; phoenix.js compares refs with === and will not match a string against it")
        }
        // Hashed once: looked up here, and inserted below once the push is built.
        let refHash = message.ref.map(PendingPushTable.hash)
        if let ref = message.ref, let refHash {
            if let index = outstanding.index(of: ref, hash: refHash) {
                let other = outstanding[index]
                notes += note("duplicate-outstanding-ref", "ref \(ref) is already used by \(other.event) (seq \(other.seq)), which still awaits its reply: replies cannot be told apart")
            }
            if let number = ref.stringInteger {
                if let last = lastNumericRef, number <= last {
                    notes += note("non-monotonic-ref", "ref \(number) is not above the previous ref \(last); phoenix.js refs only increase")
                }
                lastNumericRef = number
            }
        }

        var kind = PushKind.push
        var expectNoReply: String?
        let event = CheckedEvent(message.event)
        if event == .heartbeat && message.topic == phoenixSocketTopic {
            kind = .heartbeat
            notes += heartbeat(message, m, &verdict)
        } else {
            switch event {
            case .join:
                kind = .join
                notes += join(message, m)
            case .leave:
                kind = .leave
                (notes, expectNoReply) = leave(message, m, notes)
            default:
                (notes, expectNoReply) = push(message, m, notes)
            }
        }
        // Most messages have nothing to add, and appending nothing still costs a call.
        if !notes.isEmpty { verdict.annotations += notes }
        guard let ref = message.ref, let refHash else { return }
        let deadline = m.time + (kind == .heartbeat ? options.heartbeatInterval : timeout(for: message.topic))
        var pending = PendingPush(
            seq: m.seq, time: m.time, topic: message.topic, event: message.event, ref: ref,
            joinRef: message.joinRef, kind: kind, deadline: deadline, expectNoReply: expectNoReply)
        pending.expectsUnmatchedTopic = notes.contains {
            $0.rule == "push-to-unjoined-topic" || $0.rule == "join-ref-from-previous-connection"
        }
        let findings = expectReply(consume pending, refHash: refHash)
        if !findings.isEmpty { verdict.findings += findings }
    }

    private mutating func heartbeat(_ message: PhoenixMessage, _ m: MessagePlace, _ verdict: inout MessageVerdict) -> [Annotation] {
        var notes: [Annotation] = []
        if let previous = pendingHeartbeat, let pending = outstanding.remove(previous) {
            remember(pending, .timedOut)
            verdict.findings += finding(
                "heartbeat-no-reply",
                "heartbeat ref \(previous) got no reply before the next heartbeat; phoenix.js would close with 1000 \"heartbeat timeout\"",
                m.time, [pending.seq])
        }
        pendingHeartbeat = message.ref
        lastHeartbeatTime = m.time
        heartbeatOverdueReported = false
        if message.ref == nil {
            notes += note("heartbeat-null-ref", "heartbeat with ref null: Phoenix replies with ref null, and the reply cannot be matched to this heartbeat")
        }
        return notes
    }

    private mutating func join(_ message: PhoenixMessage, _ m: MessagePlace) -> [Annotation] {
        var notes: [Annotation] = []
        let topic = message.topic
        var channel = channel(topic, time: m.time)
        let effective = message.joinRef ?? message.ref
        if message.joinRef != message.ref {
            let text = message.joinRef == nil
                ? "phx_join has join_ref null: the server uses its ref \(message.ref.jsonText) as the join_ref, and later messages must carry that"
                : "phx_join has join_ref \(message.joinRef.jsonText) but ref \(message.ref.jsonText); phoenix.js sends them equal"
            notes += note("join-ref-differs-from-ref", text)
        }
        if let j = message.joinRef, channel.earlierJoinRefs.contains(j) || (channel.joinRef == j && channels[topic] != nil) {
            notes += note("client-reused-join-ref", "phx_join of \(topic) reuses join_ref \(j) of an earlier join: late phx_close or phx_error of that join will hit this one")
        }
        if channels[topic] != nil, channel.timedOutJoin == .notLeft, let old = channel.joinRef {
            // A rejoin after a join timeout, the timed-out join not left: said once, whether or not
            // the late ok to it made the topic joined again (a duplicate join then, for the server).
            let fate = channel.phase == .joined
                ? "its ok came late, so the server has it joined; it ends that join with phx_close when this one arrives"
                : "the server may still complete it, and then ends it with phx_close when this join arrives"
            let hazard = message.layout.isV1 ? "; in V1 that phx_close carries no join_ref, and a client takes it for this join's" : ""
            notes += note("join-timeout-no-leave", "phx_join of \(topic) follows the join with join_ref \(old), which got no reply in time, without a phx_leave for it (phoenix.js leaves a timed-out join first): \(fate)\(hazard)")
            ChannelState.appendCapped(&channel.replacedJoinRefs, old)
        } else if channels[topic] != nil, channel.phase == .joined || channel.phase == .joining {
            let prior = channel.joinRef.map { " \($0)" } ?? ""
            notes += note("duplicate-join", "\(topic) is already \(channel.phase == .joined ? "joined" : "being joined") (join_ref\(prior)) and no phx_leave was sent: the server closes that join (phx_close) and answers this one")
            if let old = channel.joinRef { ChannelState.appendCapped(&channel.replacedJoinRefs, old) }
        }
        if let failure = channel.lastFailure, m.time - failure < options.minimumRejoinDelay, channel.phase != .joined {
            notes += note("rejoin-too-fast", "rejoin of \(topic) \(DurationText.of(m.time - failure)) after it failed; phoenix.js waits 1 s, 2 s, 5 s, then 10 s")
        }
        channel.joinTimes = channel.joinTimes.filter { m.time - $0 <= options.rejoinWindow }
        channel.joinTimes.append(m.time)
        if channel.joinTimes.count > options.rejoinLoopCount {
            if !channel.loopReported {
                channel.loopReported = true
                notes += note("rejoin-loop", "\(channel.joinTimes.count) joins of \(topic) within \(DurationText.of(options.rejoinWindow)): a rejoin loop")
            }
        } else {
            channel.loopReported = false
        }
        if channel.isLiveView, topic.hasPrefix("lv:"), message.payload.jsonValue()?["session"] == nil {
            notes += note("liveview-join-without-session", "LiveView join of \(topic) has no \"session\": the server refuses it with {\"reason\":\"stale\"}")
        }
        let open = channels.values.reduce(0) { $0 + ($1.isOpen ? 1 : 0) } - (channels[topic]?.isOpen == true ? 1 : 0)
        if open >= 100 {
            notes += note("too-many-channels", "\(open) other topics are joined on this socket; Phoenix refuses joins past 100 with \"too many channels joined\"")
        }
        channel.timedOutJoin = nil
        channel.answeredLeave = nil
        if channels[topic] != nil, channel.joinRef != effective { channel.retire(channel.joinRef) }
        channel.joinRef = effective
        channel.phase = .joining
        channel.lastUsed = m.time
        channel.presence.stateJoinRef = nil
        channel.presence.queued = []
        channel.presence.reportedEarlyDiff = false
        channels[topic] = channel
        return notes
    }

    private mutating func leave(_ message: PhoenixMessage, _ m: MessagePlace, _ notes: [Annotation]) -> ([Annotation], String?) {
        var notes = notes
        let topic = message.topic
        if var channel = channels[topic], channel.phase == .errored, channel.timedOutJoin == .notLeft,
            message.joinRef == channel.joinRef
        {
            // phoenix.js leaving the join that timed out, before it joins again: expected, and
            // answered ok whether or not the server completed that join.
            channel.timedOutJoin = .left
            channel.lastUsed = m.time
            channels[topic] = channel
            return (notes, nil)
        }
        guard var channel = channels[topic], channel.isOpen else {
            notes += note("leave-unjoined", "phx_leave of \(topic), which is not joined: Phoenix replies ok {} and nothing else happens")
            return (notes, nil)
        }
        channel.lastUsed = m.time
        defer { channels[topic] = channel }
        let current = channel.joinRef
        if message.joinRef == current || current == nil {
            channel.phase = .leaving
            channel.timedOutJoin = nil
            return (notes, nil)
        }
        if message.joinRef == nil {
            if options.phoenixVersion <= PhoenixVersion(1, 8, 11) {
                notes += note("leave-ignored", "phx_leave with join_ref null on \(topic) (joined with \(current.jsonText)): Phoenix \(options.phoenixVersion) ignores it, sends no reply and keeps the channel joined")
                return (notes, "Phoenix ignores a leave with a null join_ref")
            }
            notes += note("null-join-ref", "phx_leave with join_ref null on \(topic) (joined with \(current.jsonText)); accepted from 1.8.12, ignored by earlier servers")
            channel.phase = .leaving
            return (notes, nil)
        }
        notes += note("leave-ignored", "phx_leave with join_ref \(message.joinRef.jsonText) on \(topic), whose current join_ref is \(current.jsonText)\(typeHint(message.joinRef, current)): the server ignores it, sends no reply and keeps the channel joined")
        return (notes, "the server ignores a leave with a stale join_ref")
    }

    /// Where `topic`'s channel is. A client pushes to the same topic message after message,
    /// and looking it up by its name hashed the name each time: the place found last is used
    /// again as long as `channels` has not changed since (its own update in place included).
    private func pushChannel(_ topic: String) -> Dictionary<String, ChannelState>.Index? {
        if lastPushChanges == channelsChanged, lastPushTopic == topic { return lastPushIndex }
        return channels.index(forKey: topic)
    }

    private mutating func push(_ message: PhoenixMessage, _ m: MessagePlace, _ notes: [Annotation]) -> ([Annotation], String?) {
        var notes = notes
        let topic = message.topic
        // One lookup, and the channel is updated in place: copying it out and back cost more
        // than the rest of the check for an ordinary push.
        guard let index = pushChannel(topic) else {
            if let j = message.joinRef {
                notes += note("join-ref-from-previous-connection", "\(message.event) on \(topic) carries join_ref \(j), but \(topic) was never joined on this connection: the join belongs to an earlier connection and the server answers unmatched topic")
            } else {
                notes += note("push-to-unjoined-topic", "\(message.event) on \(topic), which was never joined on this connection: the server answers unmatched topic")
            }
            return (notes, nil)
        }
        let (phase, joinRef) = ChannelState.touch(&channels.values[index], at: m.time)
        (lastPushTopic, lastPushIndex, lastPushChanges) = (topic, index, channelsChanged)
        switch phase {
        case .closed, .errored, .joinFailed:
            let after = [ChannelPhase.closed: "after its phx_close", .errored: "after its phx_error or join timeout", .joinFailed: "after its join was refused"][phase]!
            notes += note("push-to-unjoined-topic", "\(message.event) on \(topic) \(after), without a new join: the server answers unmatched topic")
            return (notes, nil)
        case .joining:
            notes += note("push-before-join-reply", "\(message.event) on \(topic) before the reply to its phx_join: it reaches the channel only if the join succeeds")
        case .joined, .leaving:
            break
        }
        guard let current = joinRef else { return (notes, nil) }
        let version = options.phoenixVersion
        if message.joinRef == nil {
            let drops = version >= PhoenixVersion(1, 8, 3) && version <= PhoenixVersion(1, 8, 11)
            let outcome = drops
                ? "Phoenix \(version) drops it silently: no reply, the push will time out"
                : "accepted by Phoenix \(version), but 1.8.3 to 1.8.11 drop it silently"
            notes += note("null-join-ref", "\(message.event) on \(topic) has join_ref null while the channel is joined with \(current.jsonText): \(outcome)")
            return (notes, drops ? "Phoenix \(version) drops messages with a null join_ref" : nil)
        }
        if let j = message.joinRef, j != current {
            let channel = channels.values[index]
            let which = channel.earlierJoinRefs.contains(j) || channel.replacedJoinRefs.contains(j) ? "an earlier join's" : "an unknown"
            let drops = version >= PhoenixVersion(1, 8, 3)
            let outcome = drops
                ? "Phoenix \(version) drops it silently: no reply, the push will time out"
                : "Phoenix \(version) still forwards it (and replies with the current join_ref); 1.8.3 and later drop it silently"
            notes += note("stale-join-ref", "\(message.event) on \(topic) carries \(which) join_ref \(j), not the current \(current)\(typeHint(j, current)): \(outcome)")
            return (notes, drops ? "Phoenix drops messages with a stale join_ref" : nil)
        }
        return (notes, nil)
    }

    /// Explains a mismatch that is only a difference of JSON type ("1" against 1).
    func typeHint(_ a: Ref?, _ b: Ref?) -> String {
        guard let a, let b, a.description == b.description else { return "" }
        return " (same digits, different JSON type)"
    }
}
