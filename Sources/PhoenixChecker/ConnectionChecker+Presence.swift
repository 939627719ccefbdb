import PhoenixProtocol

// Presence: follow presence_state and presence_diff per topic as phoenix.js's Presence does.
extension ConnectionChecker {
    mutating func presence(_ message: PhoenixMessage, _ m: ObservedMessage, _ verdict: inout MessageVerdict) {
        let topic = message.topic
        // A diff after the channel ended (PubSub unsubscribes asynchronously) is normal and no longer followed.
        guard var channel = channels[topic], channel.isOpen else { return }
        guard let payload = message.payload.jsonValue() else { return }
        let limit = options.maxPresenceMetas
        defer { channels[topic] = channel }
        if message.event == ReservedEvent.presenceState.rawValue {
            channel.presence.applyState(payload, joinRef: channel.joinRef, limit: limit)
            let queued = channel.presence.queued
            channel.presence.queued = []
            for (seq, diff) in queued {
                for problem in channel.presence.applyDiff(diff, limit: limit) {
                    verdict.annotations += note(problem.rule, "\(problem.text) (diff seq \(seq), queued until this presence_state)")
                }
            }
            return
        }
        if channel.presence.stateJoinRef != .some(channel.joinRef) {
            guard !channel.presence.gaveUp else { return }
            if !channel.presence.reportedEarlyDiff {
                channel.presence.reportedEarlyDiff = true
                verdict.annotations += note("presence-diff-before-state", "presence_diff on \(topic) before the presence_state of join_ref \(channel.joinRef.jsonText): clients queue it until the state arrives")
            }
            if channel.presence.queued.count >= PresenceState.queueLimit {
                channel.presence.giveUp()
            } else {
                channel.presence.queued.append((m.seq, payload))
            }
            return
        }
        for problem in channel.presence.applyDiff(payload, limit: limit) {
            verdict.annotations += note(problem.rule, problem.text)
        }
    }
}
