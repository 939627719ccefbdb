import Foundation
import PhoenixProtocol

/// Decode throughput on the real frames of the bundled captures, V2 text and binary, beside
/// Foundation's JSONSerialization parsing the same text frames (a reference for "parse it all").
enum DecodeBenchmark {
    struct Frame {
        var bytes: [UInt8]
        var direction: Direction
    }

    static func run(capturesDirectory: String) {
        var text: [Frame] = []
        var binary: [Frame] = []
        for name in ["basic", "binary", "errors", "heartbeat", "liveview", "longpoll", "presence"] {
            let url = URL(fileURLWithPath: capturesDirectory).appendingPathComponent("\(name).expected.jsonl")
            guard let data = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for line in data.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let payload = object["payload"] as? String
                else { continue }
                let direction: Direction = (object["direction"] as? String) == "client->server" ? .client : .server
                if object["opcode"] as? String == "binary" {
                    binary.append(Frame(bytes: Array(Data(base64Encoded: payload) ?? Data()), direction: direction))
                } else {
                    text.append(Frame(bytes: Array(payload.utf8), direction: direction))
                }
            }
        }
        // The 70 kB frames of binary.pcap would dominate the byte counts; measure typical traffic
        // (frames under 4 kB) and the large ones separately.
        let smallText = text.filter { $0.bytes.count < 4096 }
        let largeText = text.filter { $0.bytes.count >= 4096 }
        let smallBinary = binary.filter { $0.bytes.count < 4096 }
        let largeBinary = binary.filter { $0.bytes.count >= 4096 }
        print("frames: \(smallText.count) small text, \(largeText.count) large text, \(smallBinary.count) small binary, \(largeBinary.count) large binary")
        measure("phxtap V2 text (small)", smallText, minimumMessages: 2_000_000) { frame in
            (try? PhoenixDecoder.decode(frame.bytes[...], opcode: .text, from: frame.direction, serializer: .v2)) != nil
        }
        measure("JSONSerialization, same text (small)", smallText, minimumMessages: 300_000) { frame in
            frame.bytes.withUnsafeBufferPointer { buffer in
                (try? JSONSerialization.jsonObject(with: Data(buffer), options: [])) != nil
            }
        }
        measure("phxtap V2 binary (small)", smallBinary, minimumMessages: 2_000_000) { frame in
            (try? PhoenixDecoder.decode(frame.bytes[...], opcode: .binary, from: frame.direction, serializer: .v2)) != nil
        }
        measure("phxtap V2 text (70 kB)", largeText, minimumMessages: 5_000) { frame in
            (try? PhoenixDecoder.decode(frame.bytes[...], opcode: .text, from: frame.direction, serializer: .v2)) != nil
        }
        measure("JSONSerialization, same text (70 kB)", largeText, minimumMessages: 2_000) { frame in
            frame.bytes.withUnsafeBufferPointer { buffer in
                (try? JSONSerialization.jsonObject(with: Data(buffer), options: [])) != nil
            }
        }
        measure("phxtap V2 binary (70 kB)", largeBinary, minimumMessages: 50_000) { frame in
            (try? PhoenixDecoder.decode(frame.bytes[...], opcode: .binary, from: frame.direction, serializer: .v2)) != nil
        }
    }

    static func measure(_ label: String, _ frames: [Frame], minimumMessages: Int, _ body: (Frame) -> Bool) {
        guard !frames.isEmpty else { return }
        let rounds = max(1, minimumMessages / frames.count)
        let bytesPerRound = frames.reduce(0) { $0 + $1.bytes.count }
        var ok = 0
        for frame in frames where body(frame) { ok += 1 }  // warm-up
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds {
            for frame in frames where body(frame) { ok += 1 }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let messages = Double(rounds * frames.count)
        let padded = label.padding(toLength: 40, withPad: " ", startingAt: 0)
        let line = padded + String(format: " %12.0f messages/s %9.1f MB/s  (%d messages, %.2f s)",
                                   messages / seconds, Double(rounds * bytesPerRound) / seconds / 1e6, Int(messages), seconds)
        print(line)
        if ok == 0 { print("  (nothing decoded)") }
    }
}
