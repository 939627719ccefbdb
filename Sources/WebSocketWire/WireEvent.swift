public import PhoenixProtocol

/// What became known about a connection, in the order it became known. `time` is the time of
/// the bytes that completed the event.
///
/// The HTTP cases are rare and large (two heads for an upgrade), so they are held behind a
/// reference (`indirect`): every event, moved several times for each message, is then the
/// size of a message event rather than of those.
public enum WireEvent: Sendable, Hashable {
    /// A complete HTTP request from the client (an upgrade request included).
    indirect case request(HTTPRequestHead, body: HTTPBody, time: Double)
    /// A complete HTTP response from the server: every one, 101 and 403 included.
    indirect case response(HTTPResponseHead, body: HTTPBody, time: Double)
    /// The server accepted a WebSocket upgrade; frames follow in both directions. `deflate`
    /// holds the agreed permessage-deflate parameters, if any. `request` is nil when the capture
    /// began after the request but the 101 (with `Upgrade: websocket`) was seen.
    indirect case upgraded(request: HTTPRequestHead?, response: HTTPResponseHead, deflate: DeflateParameters?, time: Double)
    /// A complete text or binary message, reassembled and inflated. `compressed` says whether
    /// it was sent with permessage-deflate.
    case message(from: Direction, opcode: DataOpcode, payload: Bytes, compressed: Bool, time: Double)
    /// A close frame. `code` is nil for an empty close payload.
    case close(from: Direction, code: UInt16?, reason: String, time: Double)
    /// A ping frame.
    case ping(from: Direction, payload: [UInt8], time: Double)
    /// A pong frame.
    case pong(from: Direction, payload: [UInt8], time: Double)
    /// Something below the Phoenix layer went wrong. `from` is nil when no side is to blame
    /// (an upgrade left unanswered when the connection ended).
    case violation(from: Direction?, WireViolation, time: Double)

    /// The time of the event.
    public var time: Double {
        switch self {
        case .request(_, _, let t), .response(_, _, let t), .upgraded(_, _, _, let t), .message(_, _, _, _, let t),
            .close(_, _, _, let t), .ping(_, _, let t), .pong(_, _, let t), .violation(_, _, let t):
            return t
        }
    }
}
