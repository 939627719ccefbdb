import PhoenixChecker
import PhoenixProtocol
import TestSupport
import Testing

/// Foreign traffic never traps the checker: random envelopes, refs of every JSON type, times that
/// jump backwards, closes and LongPoll statuses in any order.
@Suite struct RobustnessTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomTrafficNeverTraps(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var options = CheckerOptions(phoenixVersion: [PhoenixVersion(1, 7, 24), PhoenixVersion(1, 8, 5), .newest][Int(seed % 3)])
        options.maxTopics = 16
        options.maxOutstanding = 64
        var checker = ConnectionChecker(options: options)
        _ = checker.opened(time: 0, transport: seed % 2 == 0 ? .websocket : .longpoll, vsn: "2.0.0", httpStatus: 101)
        let refs: [Ref?] = [nil, .string("1"), .string("2"), .string("3"), .number("1"), .number("2.5"), .other("true"), .string("")]
        let topics = ["phoenix", "room:a", "room:b", "lv:x", "t:\u{1F600}", ""]
        let events = ["phx_join", "phx_leave", "phx_reply", "phx_close", "phx_error", "heartbeat", "presence_state", "presence_diff", "ping"]
        let payloads = [
            "{}", #"{"status":"ok","response":{}}"#, #"{"status":"error","response":{"reason":"unmatched topic"}}"#,
            #"{"joins":{"a":{"metas":[{"phx_ref":"A","phx_ref_prev":"Z"}]}},"leaves":{"b":{"metas":[{"phx_ref":"B"}]}}}"#,
            #"{"a":{"metas":[{"phx_ref":"A"}]},"b":{"metas":"nope"}}"#, "[]", "7",
        ]
        var time = 0.0
        for seq in 1...20_000 {
            time += Double(Int.random(in: -5...200, using: &rng)) / 10
            switch Int.random(in: 0..<100, using: &rng) {
            case 0:
                _ = checker.closed(time: time, from: Bool.random(using: &rng) ? .client : nil, code: UInt16.random(in: 0...5000, using: &rng), reason: "heartbeat timeout")
            case 1:
                _ = checker.longPollResponse(time: time, method: "POST", status: [200, 204, 403, 408, 410][Int.random(in: 0..<5, using: &rng)])
            case 2:
                _ = checker.message(ObservedMessage(seq: seq, time: time, from: .client, opcode: .binary, decoded: .failure(.unknownKind(9))))
            default:
                let payload = payloads.randomElement(using: &rng)!
                let message = PhoenixMessage(
                    joinRef: refs.randomElement(using: &rng)!, ref: refs.randomElement(using: &rng)!,
                    topic: topics.randomElement(using: &rng)!, event: events.randomElement(using: &rng)!,
                    payload: .json(Array(payload.utf8)[...]),
                    reply: Bool.random(using: &rng) ? Reply(status: ["ok", "error", ""].randomElement(using: &rng)!, response: .json(Array(payload.utf8)[...])) : nil)
                _ = checker.message(ObservedMessage(seq: seq, time: time, from: Bool.random(using: &rng) ? .client : .server, opcode: .text, decoded: .success(message)))
            }
        }
        _ = checker.finish(time: .nan)
        _ = checker.finish(time: 1e300)
        #expect(checker.stateFootprint < 16 * 40 + 64 * 8)
    }
}
