// Measures ConnectionChecker throughput on clean, realistic traffic of one busy connection:
// joins, pushes and their replies, broadcasts, heartbeats, presence diffs, leaves and rejoins.
// The frames are V2 text as phoenix.js and Phoenix send them; decoding is timed separately.
import Dispatch
import PhoenixChecker
import PhoenixProtocol

/// Frames of a busy client on 8 topics, one per millisecond.
func traffic(count: Int) -> [(Direction, [UInt8])] {
    var frames: [(Direction, [UInt8])] = []
    frames.reserveCapacity(count + 16)
    var nextRef = 0
    var joinRefs: [String: Int] = [:]
    var round = 0
    var lastHeartbeat = 0
    let topics = (0..<8).map { "room:\($0)" }
    func add(_ from: Direction, _ text: String) { frames.append((from, Array(text.utf8))) }
    func join(_ topic: String) {
        nextRef += 1
        let r = nextRef
        joinRefs[topic] = r
        add(.client, #"["\#(r)","\#(r)","\#(topic)","phx_join",{"name":"bench"}]"#)
        add(.server, #"["\#(r)","\#(r)","\#(topic)","phx_reply",{"response":{"joined":"\#(topic)"},"status":"ok"}]"#)
        add(.server, #"["\#(r)",null,"\#(topic)","presence_state",{"u\#(r)":{"metas":[{"online_at":1795947057,"phx_ref":"P\#(r)"}]}}]"#)
    }
    while frames.count < count {
        round += 1
        let topic = topics[round % topics.count]
        guard let j = joinRefs[topic] else {
            join(topic)
            continue
        }
        if frames.count - lastHeartbeat >= 30_000 {
            lastHeartbeat = frames.count
            nextRef += 1
            add(.client, #"[null,"\#(nextRef)","phoenix","heartbeat",{}]"#)
            add(.server, #"[null,"\#(nextRef)","phoenix","phx_reply",{"response":{},"status":"ok"}]"#)
        }
        nextRef += 1
        add(.client, #"["\#(j)","\#(nextRef)","\#(topic)","new_msg",{"body":"hello from the benchmark"}]"#)
        add(.server, #"["\#(j)","\#(nextRef)","\#(topic)","phx_reply",{"response":{},"status":"ok"}]"#)
        add(.server, #"[null,null,"\#(topic)","new_msg",{"body":"hello from the benchmark"}]"#)
        if round % 20 == 0 {
            add(.server, #"[null,null,"\#(topic)","presence_diff",{"joins":{"v\#(round)":{"metas":[{"online_at":1,"phx_ref":"Q\#(round)"}]}},"leaves":{}}]"#)
            add(.server, #"[null,null,"\#(topic)","presence_diff",{"joins":{},"leaves":{"v\#(round)":{"metas":[{"online_at":1,"phx_ref":"Q\#(round)"}]}}}]"#)
        }
        if round % 1000 == 0 {
            let t = topics[(round / 1000) % topics.count]
            let old = joinRefs[t]!
            nextRef += 1
            add(.client, #"["\#(old)","\#(nextRef)","\#(t)","phx_leave",{}]"#)
            add(.server, #"["\#(old)","\#(nextRef)","\#(t)","phx_reply",{"response":{},"status":"ok"}]"#)
            add(.server, #"["\#(old)","\#(old)","\#(t)","phx_close",{}]"#)
            join(t)
        }
    }
    return frames
}

func seconds(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
let frames = traffic(count: count)

var start = DispatchTime.now().uptimeNanoseconds
var messages: [ObservedMessage] = []
messages.reserveCapacity(frames.count)
for (i, (from, bytes)) in frames.enumerated() {
    let decoded: Result<PhoenixMessage, DecodeError>
    do {
        decoded = .success(try PhoenixDecoder.decode(bytes[...], opcode: .text, from: from, serializer: .v2))
    } catch {
        decoded = .failure(error)
    }
    messages.append(ObservedMessage(seq: i + 1, time: Double(i) / 1000, from: from, opcode: .text, decoded: decoded))
}
let decodeTime = seconds(start)

var best = Double.infinity
var counts: [Severity: Int] = [:]
for _ in 0..<3 {
    var checker = ConnectionChecker()
    _ = checker.opened(time: 0, transport: .websocket, vsn: "2.0.0", httpStatus: 101)
    counts = [:]
    start = DispatchTime.now().uptimeNanoseconds
    for message in messages {
        let verdict = checker.message(message)
        for a in verdict.annotations { counts[a.severity, default: 0] += 1 }
        for f in verdict.findings { counts[f.annotation.severity, default: 0] += 1 }
    }
    for f in checker.finish(time: Double(messages.count) / 1000) { counts[f.annotation.severity, default: 0] += 1 }
    best = min(best, seconds(start))
}

let n = Double(messages.count)
print("messages: \(messages.count) (joins, pushes, replies, broadcasts, heartbeats, presence diffs, leaves)")
print("annotations: error \(counts[.error, default: 0]), warning \(counts[.warning, default: 0]), info \(counts[.info, default: 0])")
print("decode (V2 text):  \(Int(n / decodeTime)) messages/s")
print("checker:           \(Int(n / best)) messages/s (best of 3)")
print("decode + checker:  \(Int(n / (decodeTime + best))) messages/s")
