/// A fault below the Phoenix layer: in HTTP, WebSocket framing, compression, or the byte
/// stream itself. Each case has a stable kebab-case `id` (the checker's rule id) and one
/// sentence (`description`) that a client author understands.
public enum WireViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// A client frame without the MASK bit (RFC 6455 5.1: the server must close the connection).
    case unmaskedClientFrame(WebSocketOpcode)
    /// A server frame with the MASK bit (RFC 6455 5.1: the client must close the connection).
    case maskedServerFrame(WebSocketOpcode)
    /// RSV bits set that no negotiated extension defines (RFC 6455 5.2).
    case reservedBits(rsv1: Bool, rsv2: Bool, rsv3: Bool, opcode: WebSocketOpcode)
    /// RSV1 on a continuation frame: permessage-deflate marks only a message's first frame (RFC 7692 6).
    case compressedContinuation
    /// A control frame with RSV1: control frames are never compressed (RFC 7692 6.1).
    case compressedControlFrame(WebSocketOpcode)
    /// A control frame without FIN (RFC 6455 5.5: control frames must not be fragmented).
    case fragmentedControlFrame(WebSocketOpcode)
    /// A control frame with more than 125 payload bytes (RFC 6455 5.5).
    case oversizedControlFrame(WebSocketOpcode, length: UInt64)
    /// A continuation frame with no fragmented message in progress (RFC 6455 5.4).
    case continuationWithoutStart
    /// A text or binary frame while a fragmented message is still in progress (RFC 6455 5.4).
    case dataFrameInsideFragmentedMessage(WebSocketOpcode)
    /// An opcode RFC 6455 reserves (3-7, 11-15).
    case unknownOpcode(UInt8)
    /// An extended payload length in more bytes than needed (RFC 6455 5.2), or with the top bit set.
    case nonMinimalLength(UInt64)
    /// A close frame with a 1-byte payload: a close code takes two (RFC 6455 5.5.1).
    case invalidClosePayload
    /// A close code that must not be sent (RFC 6455 7.4: below 1000, 1004-1006, 1015, 1016-2999 unassigned, 5000 up).
    case invalidCloseCode(UInt16)
    /// A close reason that is not UTF-8 (RFC 6455 5.5.1).
    case invalidCloseReasonUTF8
    /// A frame after this side's close frame (RFC 6455 5.5.1: nothing follows a close).
    case dataAfterClose(WebSocketOpcode)
    /// A frame larger than the observation limit: counted and skipped, not kept.
    case oversizedFrame(length: UInt64, limit: Int)
    /// A message (after reassembly or inflation) larger than the observation limit: not kept.
    case oversizedMessage(size: Int, limit: Int)
    /// A compressed message that inflates past the observation limit (a compression bomb, or
    /// just a large message): inflation stopped there and the message was not kept.
    case inflatedOverLimit(size: Int, limit: Int)
    /// Compressed data that zlib cannot inflate.
    case invalidCompressedData(String)
    /// After lost bytes, inflating a context-takeover stream cannot be trusted.
    case compressionContextLost
    /// A `Sec-WebSocket-Extensions` answer with a permessage-deflate parameter RFC 7692 forbids.
    case invalidExtensionNegotiation(String)
    /// Bytes that are not HTTP/1.x where HTTP was expected.
    case malformedHTTP(HTTPParseError)
    /// Bytes were lost: `missing` when the source knows how many, `skipped` received bytes
    /// dropped until the next trustworthy boundary, and where the stream resumed.
    case gap(missing: Int?, skipped: Int, resumed: String)
    /// The connection ended inside a frame: `have` of `of` payload bytes seen (`of` is nil
    /// when the header itself was cut off).
    case incompleteFrame(have: UInt64, of: UInt64?)
    /// The connection ended inside a fragmented message.
    case incompleteMessage(frames: Int)
    /// The connection ended inside an HTTP message.
    case incompleteHTTP(String)
    /// A WebSocket upgrade request that never got a response.
    case upgradeUnanswered(target: String)
    /// Bytes from the client before the server answered its upgrade request beyond what is held.
    case tooMuchBeforeUpgrade(limit: Int)

    /// The stable rule id.
    public var id: String {
        switch self {
        case .unmaskedClientFrame: return "ws-unmasked-client-frame"
        case .maskedServerFrame: return "ws-masked-server-frame"
        case .reservedBits: return "ws-reserved-bits"
        case .compressedContinuation: return "ws-compressed-continuation"
        case .compressedControlFrame: return "ws-compressed-control"
        case .fragmentedControlFrame: return "ws-fragmented-control"
        case .oversizedControlFrame: return "ws-control-too-long"
        case .continuationWithoutStart: return "ws-unexpected-continuation"
        case .dataFrameInsideFragmentedMessage: return "ws-interleaved-data"
        case .unknownOpcode: return "ws-unknown-opcode"
        case .nonMinimalLength: return "ws-non-minimal-length"
        case .invalidClosePayload: return "ws-invalid-close-payload"
        case .invalidCloseCode: return "ws-invalid-close-code"
        case .invalidCloseReasonUTF8: return "ws-close-reason-utf8"
        case .dataAfterClose: return "ws-data-after-close"
        case .oversizedFrame: return "ws-oversized"
        case .oversizedMessage: return "ws-oversized"
        case .inflatedOverLimit: return "ws-inflate-limit"
        case .invalidCompressedData: return "ws-deflate-error"
        case .compressionContextLost: return "ws-deflate-error"
        case .invalidExtensionNegotiation: return "ws-extension-negotiation"
        case .malformedHTTP: return "http-malformed"
        case .gap: return "ws-gap"
        case .incompleteFrame: return "ws-truncated"
        case .incompleteMessage: return "ws-truncated"
        case .incompleteHTTP: return "http-truncated"
        case .upgradeUnanswered: return "ws-upgrade-unanswered"
        case .tooMuchBeforeUpgrade: return "ws-held-before-upgrade"
        }
    }

    /// Every rule id this module can report, for rule catalogs (several cases share one rule).
    public static let allIDs: [String] = [
        "ws-unmasked-client-frame", "ws-masked-server-frame", "ws-reserved-bits", "ws-compressed-continuation",
        "ws-compressed-control", "ws-fragmented-control", "ws-control-too-long", "ws-unexpected-continuation",
        "ws-interleaved-data", "ws-unknown-opcode", "ws-non-minimal-length", "ws-invalid-close-payload",
        "ws-invalid-close-code", "ws-close-reason-utf8", "ws-data-after-close", "ws-oversized", "ws-inflate-limit", "ws-deflate-error",
        "ws-extension-negotiation", "http-malformed", "ws-gap", "ws-truncated", "http-truncated",
        "ws-upgrade-unanswered", "ws-held-before-upgrade",
    ]

    /// One sentence, for terminals and transcripts.
    public var description: String {
        switch self {
        case .unmaskedClientFrame(let op):
            return "client sent an unmasked \(op) frame; RFC 6455 requires every client frame to be masked"
        case .maskedServerFrame(let op):
            return "server sent a masked \(op) frame; RFC 6455 forbids masking server frames"
        case .reservedBits(let r1, let r2, let r3, let op):
            let bits = [(r1, "RSV1"), (r2, "RSV2"), (r3, "RSV3")].filter(\.0).map(\.1).joined(separator: ", ")
            return "\(op) frame has \(bits) set, but no extension that defines it was negotiated"
        case .compressedContinuation:
            return "continuation frame has RSV1 set; permessage-deflate marks only the first frame of a message"
        case .compressedControlFrame(let op):
            return "\(op) frame has RSV1 set; control frames are never compressed"
        case .fragmentedControlFrame(let op):
            return "\(op) frame without FIN; control frames must not be fragmented"
        case .oversizedControlFrame(let op, let length):
            return "\(op) frame carries \(length) bytes; control frames are limited to 125"
        case .continuationWithoutStart:
            return "continuation frame with no fragmented message in progress"
        case .dataFrameInsideFragmentedMessage(let op):
            return "new \(op) frame while a fragmented message is unfinished; only continuation frames may follow"
        case .unknownOpcode(let raw):
            return "frame with reserved opcode 0x\(String(raw, radix: 16)); the peer must fail the connection"
        case .nonMinimalLength(let length):
            return "payload length \(length) encoded in more bytes than needed (or with the top bit set)"
        case .invalidClosePayload:
            return "close frame with a 1-byte payload; a close code needs exactly 2 bytes"
        case .invalidCloseCode(let code):
            return "close code \(code) must not be sent on the wire (RFC 6455 7.4)"
        case .invalidCloseReasonUTF8:
            return "close reason is not valid UTF-8"
        case .dataAfterClose(let op):
            return "\(op) frame after this side's close frame; nothing may follow a close"
        case .oversizedFrame(let length, let limit):
            return "frame of \(length) bytes is over the observation limit of \(limit) bytes; it was skipped"
        case .oversizedMessage(let size, let limit):
            return "message of \(size) bytes is over the observation limit of \(limit) bytes; it was not kept"
        case .inflatedOverLimit(let size, let limit):
            return "compressed message inflates to at least \(size) bytes, over the limit of \(limit) bytes; inflation stopped and it was not kept"
        case .invalidCompressedData(let why):
            return "compressed message cannot be inflated: \(why)"
        case .compressionContextLost:
            return "bytes were lost on a compressed stream with context takeover; later messages may not inflate"
        case .invalidExtensionNegotiation(let why):
            return "server's permessage-deflate answer is invalid: \(why)"
        case .malformedHTTP(let error):
            return error.description
        case .gap(let missing, let skipped, let resumed):
            let lost = missing.map { "\($0) bytes lost" } ?? "bytes lost (count unknown)"
            return "\(lost); \(skipped) received bytes skipped; resumed \(resumed)"
        case .incompleteFrame(let have, let of):
            guard let of else { return "connection ended inside a frame header (\(have) bytes seen)" }
            return "connection ended inside a frame: \(have) of \(of) payload bytes seen"
        case .incompleteMessage(let frames):
            return "connection ended inside a fragmented message after \(frames) frames"
        case .incompleteHTTP(let why):
            return why
        case .upgradeUnanswered(let target):
            return "WebSocket upgrade request for \(target) never got a response"
        case .tooMuchBeforeUpgrade(let limit):
            return "client sent more than \(limit) bytes before the server answered its upgrade; the rest was not kept"
        }
    }
}
