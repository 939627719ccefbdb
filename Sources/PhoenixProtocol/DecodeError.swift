/// Why a frame is not a Phoenix message. Each case reads as one item of a checklist of
/// protocol violations, and carries what a user needs to find the fault: offset, field, sizes.
///
/// Indirect: errors are rare, and a record or a thrown error then carries one word where it
/// carried fifty bytes on every message.
public indirect enum DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A data frame with no bytes at all.
    case emptyFrame(DataOpcode)
    /// A text frame (or binary field) whose bytes are not UTF-8, at the given byte offset.
    case invalidUTF8(context: String, offset: Int)
    /// JSON that does not parse, at the given byte offset.
    case invalidJSON(offset: Int, expected: String)
    /// A V2 text frame that is valid JSON but not an array.
    case notAnArray(found: String)
    /// A V2 text frame whose array has fewer than the five elements Phoenix requires.
    case tooFewElements(count: Int)
    /// A V1 frame that is valid JSON but not an object.
    case notAnObject(found: String)
    /// A V1 object missing one of topic, event, payload or ref.
    case missingKey(String)
    /// An envelope field of the wrong JSON type (topic and event must be strings).
    case wrongType(field: String, expected: String, found: String)
    /// A binary frame shorter than its layout's header.
    case truncatedHeader(layout: String, needed: Int, frameSize: Int)
    /// A binary frame whose header announces a field that runs past the end of the frame.
    case fieldPastEnd(layout: String, field: String, size: Int, frameSize: Int)
    /// A binary frame whose first byte is not a kind Phoenix defines.
    case unknownKind(UInt8)
    /// A binary frame from the client with a server-only kind (reply or broadcast).
    case serverKindFromClient(BinaryKind)
    /// A binary frame on a connection whose serializer (V1) has no binary form.
    case binaryWithoutV2

    /// One sentence, for terminals and transcripts.
    public var description: String {
        switch self {
        case .emptyFrame(let opcode):
            return "empty \(opcode.rawValue) frame: a Phoenix message needs at least an envelope"
        case .invalidUTF8(let context, let offset):
            return "\(context): invalid UTF-8 at byte \(offset)"
        case .invalidJSON(let offset, let expected):
            return "invalid JSON at byte \(offset): expected \(expected)"
        case .notAnArray(let found):
            return "V2 text frame is a JSON \(found), not an array [join_ref, ref, topic, event, payload]"
        case .tooFewElements(let count):
            return "V2 text frame has \(count) element\(count == 1 ? "" : "s"); Phoenix needs 5: [join_ref, ref, topic, event, payload]"
        case .notAnObject(let found):
            return "V1 frame is a JSON \(found), not an object with topic, event, payload and ref"
        case .missingKey(let key):
            return "V1 frame has no \"\(key)\" key"
        case .wrongType(let field, let expected, let found):
            return "\(field) is a JSON \(found), expected \(expected)"
        case .truncatedHeader(let layout, let needed, let frameSize):
            return "\(layout): header needs \(needed) bytes but the frame has \(frameSize)"
        case .fieldPastEnd(let layout, let field, let size, let frameSize):
            return "\(layout): \(field) size \(size) runs past the end of a \(frameSize)-byte frame"
        case .unknownKind(let kind):
            return "binary frame of unknown kind \(kind); Phoenix defines 0 (push), 1 (reply) and 2 (broadcast)"
        case .serverKindFromClient(let kind):
            return "binary frame from the client has kind \(kind.rawValue) (\(kind == .reply ? "reply" : "broadcast")), which only servers send; clients send kind 0"
        case .binaryWithoutV2:
            return "binary frame on a V1 connection: only the V2 serializer has a binary form"
        }
    }
}
