public import PhoenixProtocol

/// A WebSocket opcode (RFC 6455 5.2). A struct, not an enum, so that the reserved values
/// 3-7 and 11-15 survive as values and can be reported rather than trapped on.
public struct WebSocketOpcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The four-bit value from the first header byte.
    public let rawValue: UInt8

    /// Creates an opcode from its four-bit value (higher bits are dropped).
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    /// 0: the continuation of a fragmented message.
    public static let continuation = WebSocketOpcode(rawValue: 0x0)
    /// 1: a text message (UTF-8).
    public static let text = WebSocketOpcode(rawValue: 0x1)
    /// 2: a binary message.
    public static let binary = WebSocketOpcode(rawValue: 0x2)
    /// 8: connection close.
    public static let close = WebSocketOpcode(rawValue: 0x8)
    /// 9: ping.
    public static let ping = WebSocketOpcode(rawValue: 0x9)
    /// 10: pong.
    public static let pong = WebSocketOpcode(rawValue: 0xA)

    /// Control frames have the high bit of the opcode set (8-15).
    public var isControl: Bool { rawValue & 0x8 != 0 }

    /// Whether RFC 6455 defines this opcode (0, 1, 2, 8, 9, 10).
    public var isDefined: Bool { rawValue <= 2 || (rawValue >= 8 && rawValue <= 10) }

    /// The data opcode this is, for text and binary only.
    public var dataOpcode: DataOpcode? {
        switch rawValue {
        case 1: return .text
        case 2: return .binary
        default: return nil
        }
    }

    /// A name for messages: `text`, `close`, or `reserved 0x3`.
    public var description: String {
        switch rawValue {
        case 0: return "continuation"
        case 1: return "text"
        case 2: return "binary"
        case 8: return "close"
        case 9: return "ping"
        case 10: return "pong"
        default: return "reserved 0x" + String(rawValue, radix: 16)
        }
    }
}

/// The fixed part of a frame, as parsed from its 2 to 14 header bytes.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-------+-+-------------+-------------------------------+
///     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
///     |I|S|S|S|  (4)  |A|     (7)     |  (16 if len==126, 64 if 127)  |
///     |N|V|V|V|       |S|             |                               |
///     | |1|2|3|       |K|             |                               |
///     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
///     :   ... extended length continued (64-bit form) ...             :
///     +-------------------------------+-------------------------------+
///     |  Masking-key (4 bytes, only if MASK is set)                   |
///     +---------------------------------------------------------------+
///     |  Payload data, XORed with the masking key when MASK is set    |
public struct WebSocketFrameHeader: Sendable, Hashable {
    /// FIN: this frame ends its message.
    public var fin: Bool
    /// RSV1: "compressed" under permessage-deflate, otherwise reserved.
    public var rsv1: Bool
    /// RSV2: reserved.
    public var rsv2: Bool
    /// RSV3: reserved.
    public var rsv3: Bool
    /// The opcode.
    public var opcode: WebSocketOpcode
    /// The masking key as a big-endian number (`0x1a57a527` for key bytes 1a 57 a5 27), nil when unmasked.
    public var maskKey: UInt32?
    /// The payload length the header announces.
    public var payloadLength: UInt64
    /// How many bytes the header took (2, 4 or 10, plus 4 with a mask).
    public var headerLength: Int
    /// False when the length used more bytes than needed (RFC 6455 5.2 requires the minimal form).
    public var lengthIsMinimal: Bool

    /// Whether the MASK bit was set.
    public var masked: Bool { maskKey != nil }

    /// Creates a header.
    public init(
        fin: Bool, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false, opcode: WebSocketOpcode,
        maskKey: UInt32?, payloadLength: UInt64, headerLength: Int, lengthIsMinimal: Bool = true
    ) {
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.maskKey = maskKey
        self.payloadLength = payloadLength
        self.headerLength = headerLength
        self.lengthIsMinimal = lengthIsMinimal
    }

    /// Parses a header from the start of `bytes`; nil when more bytes are needed.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> WebSocketFrameHeader? {
        guard bytes.count >= 2 else { return nil }
        let b0 = bytes[0]
        let b1 = bytes[1]
        let masked = b1 & 0x80 != 0
        var length = UInt64(b1 & 0x7F)
        var offset = 2
        var minimal = true
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            minimal = length >= 126
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(bytes[i]) }
            minimal = length > 0xFFFF
            offset = 10
        }
        var key: UInt32?
        if masked {
            guard bytes.count >= offset + 4 else { return nil }
            key = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
                | UInt32(bytes[offset + 3])
            offset += 4
        }
        return WebSocketFrameHeader(
            fin: b0 & 0x80 != 0, rsv1: b0 & 0x40 != 0, rsv2: b0 & 0x20 != 0, rsv3: b0 & 0x10 != 0,
            opcode: WebSocketOpcode(rawValue: b0 & 0x0F), maskKey: key, payloadLength: length, headerLength: offset,
            lengthIsMinimal: minimal)
    }
}

/// One frame with its payload already unmasked.
public struct WebSocketFrame: Sendable, Hashable {
    /// The header as it was on the wire.
    public var header: WebSocketFrameHeader
    /// The unmasked payload; empty when the frame was over the observation limit. Often a
    /// slice of the bytes the frame was parsed from, shared with the frames next to it.
    public var payload: Bytes
    /// False when the payload was not kept: over the observation limit, or bytes were lost.
    public var isPayloadKept: Bool
    /// True when some payload bytes were lost in transit (a capture gap) and skipped.
    public var bytesLost: Bool

    /// Creates a frame.
    public init(header: WebSocketFrameHeader, payload: Bytes, isPayloadKept: Bool = true, bytesLost: Bool = false) {
        self.header = header
        self.payload = payload
        self.isPayloadKept = isPayloadKept
        self.bytesLost = bytesLost
    }

    /// Creates a frame with a payload of its own.
    public init(header: WebSocketFrameHeader, payload: [UInt8], isPayloadKept: Bool = true, bytesLost: Bool = false) {
        self.init(header: header, payload: payload[...], isPayloadKept: isPayloadKept, bytesLost: bytesLost)
    }

    /// The opcode.
    public var opcode: WebSocketOpcode { header.opcode }
    /// The payload length announced by the header (also when the payload was not kept).
    public var payloadLength: UInt64 { header.payloadLength }
}
