import PhoenixProtocol
import Transcript

/// The bodies of Phoenix's LongPoll transport (PROTOCOL.md section 6), decoded into the same
/// frames a WebSocket would carry.
enum LongPollBody {
    /// One message of a LongPoll body: the text of a V1/V2 JSON frame, or a binary frame.
    struct Frame: Equatable {
        var opcode: DataOpcode
        var bytes: [UInt8]
    }

    /// A POST body. `application/x-ndjson` carries one message per line: a line starting with
    /// `[` is text, any other is base64 of a binary frame. Any other content type is one text
    /// message (the server's backward compatibility).
    static func clientFrames(body: [UInt8], contentType: String?) -> [Frame] {
        let isNDJSON = contentType?.lowercased().hasPrefix("application/x-ndjson") ?? false
        guard isNDJSON else { return body.isEmpty ? [] : [Frame(opcode: .text, bytes: body)] }
        return body.split(separator: 0x0A, omittingEmptySubsequences: true).compactMap { line in
            var line = line
            if line.last == 0x0D { line = line.dropLast() }
            guard !line.isEmpty else { return nil }
            return frame(Array(line))
        }
    }

    /// A poll or send response: `{"status": N, "token": T, "messages": [...]}`, every field optional.
    struct Response {
        var status: Int?
        var token: String?
        var frames: [Frame]
    }

    /// Parses a response body; nil when it is not a JSON object (not a Phoenix LongPoll answer).
    static func serverResponse(body: [UInt8]) -> Response? {
        guard let value = try? JSONValue.parse(body[...]), value.objectMembers != nil else { return nil }
        var status: Int?
        if case .number(let n)? = value["status"] { status = Int(n) }
        let frames = value["messages"]?.arrayValue?.compactMap { message -> Frame? in
            guard let text = message.stringValue else { return nil }
            return frame(Array(text.utf8))
        } ?? []
        return Response(status: status, token: value["token"]?.stringValue, frames: frames)
    }

    /// A message line: JSON text when it starts like JSON, otherwise base64 of a binary frame
    /// (kept as text when it is not valid base64, so the decoder can say what is wrong).
    private static func frame(_ line: [UInt8]) -> Frame {
        if line.first == UInt8(ascii: "[") || line.first == UInt8(ascii: "{") { return Frame(opcode: .text, bytes: line) }
        if let binary = Base64.decode(line, strict: true) { return Frame(opcode: .binary, bytes: binary) }
        return Frame(opcode: .text, bytes: line)
    }
}
