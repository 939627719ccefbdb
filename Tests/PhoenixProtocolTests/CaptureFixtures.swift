import Foundation
import PhoenixProtocol

/// The WebSocket messages the real Phoenix 1.7.24 captures in `Captures/` carry, as listed in
/// their `*.expected.jsonl` files (derived with tshark, independently of PhoenixTap).
struct ExpectedMessage {
    var capture: String
    var line: Int
    var direction: Direction
    var opcode: DataOpcode
    /// Text payloads as UTF-8, binary ones decoded from base64.
    var bytes: [UInt8]
    var serializer: Serializer

    var frame: Bytes { bytes[...] }
}

enum CaptureFixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let capturesDirectory = packageRoot.appendingPathComponent("Captures")
    static let names = ["basic", "binary", "errors", "heartbeat", "liveview", "longpoll", "presence", "v1"]

    static func expectedMessages(_ name: String) throws -> [ExpectedMessage] {
        let text = try String(contentsOf: capturesDirectory.appendingPathComponent("\(name).expected.jsonl"), encoding: .utf8)
        var messages: [ExpectedMessage] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let opcode = DataOpcode(rawValue: object["opcode"] as! String)!
            let payload = object["payload"] as! String
            let bytes = opcode == .text ? Array(payload.utf8) : Array(Data(base64Encoded: payload)!)
            messages.append(ExpectedMessage(
                capture: name, line: index + 1,
                direction: (object["direction"] as! String) == "client->server" ? .client : .server,
                opcode: opcode, bytes: bytes, serializer: name == "v1" ? .v1 : .v2))
        }
        return messages
    }

    static func allExpectedMessages() throws -> [ExpectedMessage] {
        try names.flatMap { try expectedMessages($0) }
    }
}
