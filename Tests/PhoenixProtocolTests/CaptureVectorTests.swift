import Foundation
import PhoenixProtocol
import Testing

/// Every real frame of the captures decodes, and its fields agree with an independent reading
/// of the raw text (Foundation's JSONSerialization) or of the binary header.
@Suite struct CaptureVectorTests {
    @Test(arguments: CaptureFixtures.names)
    func everyFrameDecodesLikeTheRawText(capture: String) throws {
        let messages = try CaptureFixtures.expectedMessages(capture)
        #expect(!messages.isEmpty)
        for expected in messages {
            let message = try PhoenixDecoder.decode(
                expected.frame, opcode: expected.opcode, from: expected.direction, serializer: expected.serializer)
            switch expected.opcode {
            case .text: try checkText(message, expected)
            case .binary: try checkBinary(message, expected)
            }
        }
    }

    private func checkText(_ message: PhoenixMessage, _ expected: ExpectedMessage) throws {
        let where_ = "\(expected.capture) line \(expected.line)"
        let root = try JSONSerialization.jsonObject(with: Data(expected.bytes), options: [.fragmentsAllowed])
        let fields: (joinRef: Any?, ref: Any?, topic: Any?, event: Any?, payload: Any?)
        if expected.serializer == .v1 {
            let object = try #require(root as? [String: Any], "\(where_)")
            fields = (object["join_ref"], object["ref"], object["topic"], object["event"], object["payload"])
        } else {
            let array = try #require(root as? [Any], "\(where_)")
            fields = (array[0], array[1], array[2], array[3], array[4])
        }
        #expect(message.topic == fields.topic as? String, "\(where_)")
        #expect(message.event == fields.event as? String, "\(where_)")
        #expect(refText(message.joinRef) == refText(fields.joinRef), "\(where_)")
        #expect(refText(message.ref) == refText(fields.ref), "\(where_)")
        guard case .json(let payload) = message.payload else {
            Issue.record("\(where_): text frame with a non-JSON payload")
            return
        }
        let payloadValue = try JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])
        #expect(NSDictionary(dictionary: ["p": payloadValue]).isEqual(to: ["p": fields.payload!]), "\(where_)")
        if message.event == "phx_reply", expected.direction == .server {
            let reply = try #require(message.reply, "\(where_): reply not split")
            let object = fields.payload as! [String: Any]
            #expect(reply.status == object["status"] as? String, "\(where_)")
        }
        // Re-encoding reproduces the frame: Phoenix and phoenix.js write compact JSON in a fixed key order.
        let encoded = try PhoenixEncoder.encode(message, serializer: expected.serializer, from: expected.direction)
        #expect(encoded.bytes == expected.bytes, "\(where_)")
    }

    private func checkBinary(_ message: PhoenixMessage, _ expected: ExpectedMessage) throws {
        let where_ = "\(expected.capture) line \(expected.line)"
        let b = expected.bytes
        // An independent reading of the header, per PROTOCOL.md 2.3.
        var sizes: [Int]
        var names: [String]
        switch (b[0], expected.direction) {
        case (0, .client): sizes = Array(b[1...4]).map(Int.init); names = ["join_ref", "ref", "topic", "event"]
        case (0, .server): sizes = Array(b[1...3]).map(Int.init); names = ["join_ref", "topic", "event"]
        case (1, _): sizes = Array(b[1...4]).map(Int.init); names = ["join_ref", "ref", "topic", "status"]
        default: sizes = Array(b[1...2]).map(Int.init); names = ["topic", "event"]
        }
        var offset = 1 + sizes.count
        var fields: [String: String] = [:]
        for (name, size) in zip(names, sizes) {
            fields[name] = String(decoding: b[offset..<(offset + size)], as: UTF8.self)
            offset += size
        }
        #expect(message.topic == fields["topic"], "\(where_)")
        #expect(message.event == (fields["event"] ?? "phx_reply"), "\(where_)")
        #expect(message.joinRef?.description == fields["join_ref"].flatMap { $0.isEmpty ? nil : $0 }, "\(where_)")
        #expect(message.ref?.description == fields["ref"].flatMap { $0.isEmpty ? nil : $0 }, "\(where_)")
        #expect(message.payload == .binary(b[offset...]), "\(where_)")
        if let status = fields["status"] { #expect(message.reply?.status == status, "\(where_)") }
        let encoded = try PhoenixEncoder.encode(message, serializer: .v2, from: expected.direction)
        #expect(encoded.opcode == .binary)
        #expect(encoded.bytes == b, "\(where_): binary re-encoding differs")
    }

    private func refText(_ ref: Ref?) -> String {
        ref.map { "\($0.isString ? "s" : "n"):\($0.description)" } ?? "null"
    }

    private func refText(_ value: Any?) -> String {
        switch value {
        case let s as String: return "s:\(s)"
        case let n as NSNumber: return "n:\(n)"
        default: return "null"
        }
    }

    @Test func capturesCoverEveryBinaryLayout() throws {
        let binary = try CaptureFixtures.expectedMessages("binary").filter { $0.opcode == .binary }
        let layouts = Set(try binary.map { m -> String in
            let decoded = try PhoenixDecoder.decode(m.frame, opcode: .binary, from: m.direction, serializer: .v2)
            guard case .v2Binary(let kind) = decoded.layout else { return "?" }
            return kind.name(from: m.direction)
        })
        #expect(layouts == ["binary push from the client", "binary push from the server", "binary reply", "binary broadcast"])
    }
}
