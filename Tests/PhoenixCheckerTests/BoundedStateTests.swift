import PhoenixChecker
import PhoenixProtocol
import Testing

@Suite struct BoundedStateTests {
    /// A million messages through one connection: what the checker holds depends on topics and
    /// outstanding pushes, not on how many messages went by.
    @Test func millionMessagesKeepStateFlat() {
        var checker = ConnectionChecker()
        _ = checker.opened(time: 0, transport: .websocket, vsn: "2.0.0", httpStatus: 101)
        var traffic = SyntheticTraffic()
        var problems: [String] = []
        var footprints: [Int: Int] = [:]
        var largest = 0
        for n in 1...1_000_000 {
            let verdict = checker.message(traffic.next()!)
            for a in verdict.annotations + verdict.findings.map(\.annotation) where a.severity >= .warning {
                if problems.count < 5 { problems.append("\(n): \(a.rule) \(a.text)") }
            }
            largest = max(largest, checker.stateFootprint)
            if n == 100_000 || n == 1_000_000 { footprints[n] = checker.stateFootprint }
        }
        #expect(problems.isEmpty, "\(problems)")
        let early = footprints[100_000]!, late = footprints[1_000_000]!
        print("checker state entries: \(early) after 100,000 messages, \(late) after 1,000,000, at most \(largest)")
        #expect(late <= early + 64, "state grew from \(early) to \(late)")
        #expect(largest < 2_000, "largest footprint \(largest)")
    }

    /// Pushes that are never answered are settled by their timeouts, so they do not pile up.
    @Test func unansweredPushesDoNotAccumulate() {
        var p = joined()
        for i in 0..<50_000 {
            _ = p.checker.message(ObservedMessage(
                seq: 10 + i, time: 1 + Double(i) * 0.01, from: .client, opcode: .text,
                decoded: .success(PhoenixMessage(joinRef: .string("1"), ref: .string("r\(i)"), topic: "room:lobby", event: "fire",
                    payload: .json(Array("{}".utf8)[...])))))
        }
        // 10 s of pushes at 100 per second are outstanding at most, plus their deadlines.
        #expect(p.checker.stateFootprint < 3_000)
    }

    /// The checker never tracks more outstanding pushes than its cap.
    @Test func outstandingPushesAreCapped() {
        var options = CheckerOptions()
        options.maxOutstanding = 100
        var checker = ConnectionChecker(options: options)
        _ = checker.opened(time: 0, transport: .websocket, vsn: "2.0.0", httpStatus: 101)
        var early = 0
        for i in 0..<1_000 {
            let verdict = checker.message(ObservedMessage(
                seq: i + 1, time: 0, from: .client, opcode: .text,
                decoded: .success(PhoenixMessage(joinRef: nil, ref: .string("\(i)"), topic: "t", event: "e", payload: .json(Array("{}".utf8)[...])))))
            early += verdict.findings.filter { $0.annotation.text.contains("no longer followed") }.count
        }
        #expect(early == 900)
        #expect(checker.stateFootprint < 1_000)
    }

    /// Topics are capped too: the least recently used closed ones are forgotten first.
    @Test func topicsAreCapped() {
        var options = CheckerOptions()
        options.maxTopics = 64
        var checker = ConnectionChecker(options: options)
        _ = checker.opened(time: 0, transport: .websocket, vsn: "2.0.0", httpStatus: 101)
        for i in 0..<2_000 {
            let r = Ref.string("\(i)")
            _ = checker.message(ObservedMessage(
                seq: i + 1, time: Double(i), from: .client, opcode: .text,
                decoded: .success(PhoenixMessage(joinRef: r, ref: r, topic: "t:\(i)", event: "phx_join", payload: .json(Array("{}".utf8)[...])))))
        }
        #expect(checker.stateFootprint < 64 * 4 + 2_000 / 100)
    }
}
