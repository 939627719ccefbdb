import Foundation
import PhoenixProtocol
import TestSupport
import Testing
import WebSocketWire

/// Every real Phoenix 1.7.24 capture through `WireConnection`: messages, closes and HTTP heads
/// must equal what tshark and the client logs recorded.
@Suite struct CaptureTests {
    static let names = ["basic", "binary", "errors", "heartbeat", "liveview", "longpoll", "presence", "v1"]

    private func direction(_ s: Any?) -> Direction { (s as? String) == "client->server" ? .client : .server }
    private func ts(_ s: Any?) -> Double { Double(s as! String)! }

    @Test(arguments: names)
    func messagesClosesAndHeads(name: String) throws {
        let capture = try TestCapture(named: "\(name).pcap")
        #expect(capture.problems.isEmpty)
        let events = capture.events()

        // Messages, per connection, in order: direction, opcode, payload and time.
        let expected = try jsonLines("\(name).expected.jsonl").filter { $0["transport"] as? String != "longpoll" }
        var seenMessages = 0
        for port in Set(expected.map { $0["client_port"] as! Int }) {
            let want = expected.filter { $0["client_port"] as! Int == port }
            let got: [(Direction, DataOpcode, [UInt8], Double)] = events[port, default: []].compactMap {
                if case .message(let d, let op, let p, let compressed, let t) = $0 {
                    #expect(!compressed)
                    return (d, op, Array(p), t)
                }
                return nil
            }
            try #require(got.count == want.count, "\(name) port \(port): \(got.count) messages, expected \(want.count)")
            for (g, w) in zip(got, want) {
                #expect(g.0 == direction(w["direction"]))
                #expect(g.1.rawValue == w["opcode"] as! String)
                let payload = w["payload"] as! String
                let bytes = g.1 == .text ? Array(payload.utf8) : [UInt8](Data(base64Encoded: payload)!)
                #expect(g.2 == bytes, "\(name) frame \(w["frame"]!)")
                #expect(abs(g.3 - ts(w["ts"])) < 1e-6, "\(name) frame \(w["frame"]!) time")
            }
            seenMessages += got.count
        }
        #expect(seenMessages == expected.count)

        // Closes.
        let closes = try jsonLines("\(name).control.jsonl")
        for port in Set(closes.map { $0["client_port"] as! Int }) {
            let want = closes.filter { $0["client_port"] as! Int == port }
            let got: [(Direction, UInt16?, String, Double)] = events[port, default: []].compactMap {
                if case .close(let d, let code, let reason, let t) = $0 { return (d, code, reason, t) }
                return nil
            }
            try #require(got.count == want.count)
            for (g, w) in zip(got, want) {
                #expect(g.0 == direction(w["direction"]))
                #expect(g.1.map(Int.init) == w["close_code"] as? Int)
                #expect(g.2 == w["close_reason"] as! String)
                #expect(abs(g.3 - ts(w["ts"])) < 1e-6)
            }
        }

        // HTTP heads (and LongPoll bodies).
        let heads = try jsonLines("\(name).http.jsonl")
        for port in Set(heads.map { $0["client_port"] as! Int }) {
            let want = heads.filter { $0["client_port"] as! Int == port }
            let got = events[port, default: []].filter {
                switch $0 {
                case .request, .response: return true
                default: return false
                }
            }
            try #require(got.count == want.count, "\(name) port \(port): \(got.count) HTTP messages, expected \(want.count)")
            for (g, w) in zip(got, want) {
                let lines: [String]
                let body: HTTPBody
                switch g {
                case .request(let head, let b, let t):
                    #expect(w["kind"] as! String == "request")
                    #expect(head.method == w["method"] as! String && head.target == w["uri"] as! String)
                    #expect(abs(t - ts(w["ts"])) < 1e-6)
                    lines = head.headers.map { "\($0.name): \($0.value)" }
                    body = b
                case .response(let head, let b, let t):
                    #expect(w["kind"] as! String == "response")
                    #expect(head.status == w["status"] as! Int)
                    #expect(abs(t - ts(w["ts"])) < 1e-6)
                    lines = head.headers.map { "\($0.name): \($0.value)" }
                    body = b
                default:
                    continue
                }
                #expect(lines == w["headers"] as! [String])
                #expect(String(decoding: body.bytes, as: UTF8.self) == (w["body"] as? String ?? ""))
                #expect(!body.truncated)
            }
        }

        // Real Phoenix and phoenix.js break no wire rule.
        let violations = events.values.flatMap { violationIDs($0) }
        #expect(violations.isEmpty, "\(name): \(violations)")
    }

    @Test func binaryCaptureInEverySplit() throws {
        // One TCP segment of binary.pcap ends one frame and starts the next; feeding each
        // connection byte by byte and in random cuts must give the same events.
        let capture = try TestCapture(named: "binary.pcap")
        let reference = capture.events()
        for seed in [1, 2, 3] as [UInt64] {
            var rng = SplitMix64(seed: seed)
            var connections: [Int: WireConnection] = [:]
            var out: [Int: [WireEvent]] = [:]
            for s in capture.segments {
                var i = 0
                while i < s.bytes.count {
                    let n = seed == 1 ? 1 : Int(rng.next() % 1500) + 1
                    out[s.clientPort, default: []] += connections[s.clientPort, default: WireConnection()]
                        .feed(Array(s.bytes[i..<min(s.bytes.count, i + n)]), from: s.from, time: s.time)
                    i += n
                }
            }
            for port in connections.keys { out[port, default: []] += connections[port]!.finish(time: capture.segments.last!.time) }
            #expect(out == reference)
        }
    }
}
