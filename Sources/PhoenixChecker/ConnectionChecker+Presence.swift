import PhoenixProtocol

// Presence: follow presence_state and presence_diff per topic as phoenix.js's Presence does.
extension ConnectionChecker {
    mutating func presence(_ message: PhoenixMessage, _ m: MessagePlace, _ verdict: inout MessageVerdict) {
        let topic = message.topic
        // A diff after the channel ended (PubSub unsubscribes asynchronously) is normal and no longer followed.
        guard channels[topic]?.isOpen == true, let payload = message.payload.jsonValue() else { return }
        let joinRef = channels[topic]!.joinRef
        let limit = options.maxPresenceMetas
        // The presence state is mutated in place (channels[topic]!...) so that a diff never copies
        // the whole replica.
        if message.event == "presence_state" {
            channels[topic]!.presence.applyState(payload, joinRef: joinRef, limit: limit)
            let queued = channels[topic]!.presence.queued
            channels[topic]!.presence.queued = []
            for (seq, diff) in queued {
                for problem in channels[topic]!.presence.applyDiff(diff, limit: limit) {
                    verdict.annotations += note(problem.rule, "\(problem.text) (diff seq \(seq), queued until this presence_state)")
                }
            }
            return
        }
        if channels[topic]!.presence.stateJoinRef != .some(joinRef) {
            guard !channels[topic]!.presence.gaveUp else { return }
            if !channels[topic]!.presence.reportedEarlyDiff {
                channels[topic]!.presence.reportedEarlyDiff = true
                verdict.annotations += note("presence-diff-before-state", "presence_diff on \(topic) before the presence_state of join_ref \(joinRef.jsonText): clients queue it until the state arrives")
            }
            if channels[topic]!.presence.queued.count >= PresenceState.queueLimit {
                channels[topic]!.presence.giveUp()
            } else {
                channels[topic]!.presence.queued.append((m.seq, payload))
            }
            return
        }
        for problem in channels[topic]!.presence.applyDiff(payload, limit: limit) {
            verdict.annotations += note(problem.rule, problem.text)
        }
    }
}
