/// Bytes of a frame, shared with the frame they came from (no copy on decode).
public typealias Bytes = ArraySlice<UInt8>

/// A message payload exactly as it was on the wire.
///
/// JSON payloads stay JSON text: re-encoding would reorder keys and renumber floats, and users
/// must see what their peer sent. Parse them with `JSONValue.parse` only where a value is needed.
public enum Payload: Sendable, Hashable {
    /// The JSON text of the payload element (V1 `payload` value, V2 element 4).
    case json(Bytes)
    /// The raw bytes after a V2 binary frame's header.
    case binary(Bytes)

    /// The bytes on the wire, whichever form.
    public var bytes: Bytes {
        switch self {
        case .json(let b), .binary(let b): return b
        }
    }

    /// Calls `body` with whether the payload is JSON and its bytes, lent where they lie: a
    /// payload bound out of its case is a copy, a retain and a release of the frame it is in.
    @inlinable @inline(__always)
    public func withUnsafeBytes<R>(_ body: (_ isJSON: Bool, _ bytes: UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch self {
        case .json(let b): return b.withUnsafeBufferPointer { body(true, $0) }
        case .binary(let b): return b.withUnsafeBufferPointer { body(false, $0) }
        }
    }

    /// Parses a JSON payload into a value; nil for binary payloads. The decoder has already
    /// validated the text, so this only fails on payloads built by hand.
    public func jsonValue() -> JSONValue? {
        guard case .json(let b) = self else { return nil }
        return try? JSONValue.parse(b)
    }
}

/// The two halves of a `phx_reply` payload: `{"status": S, "response": R}` in JSON, or the
/// status field and the raw body of a binary reply (kind 1).
public struct Reply: Sendable, Hashable {
    // `response` comes first so that the public initializer can hand over to the memberwise
    // one (see `PhoenixMessage`).
    /// The `response` value, as on the wire.
    public var response: Payload
    /// `ok` or `error` from Phoenix; applications may use others.
    public var status: String
}

extension Reply {
    public init(status: String, response: Payload) {
        self.init(response: response, status: status)
    }
}

/// The wire form a message came in, which is what an encoder needs to reproduce it.
public enum WireLayout: Sendable, Hashable {
    /// A V1 JSON object. Phoenix's V1 server never sends the `join_ref` key.
    case v1Object(hasJoinRefKey: Bool, extraKeys: [String])
    /// A V2 JSON array; elements past the fifth survive as JSON text.
    case v2Array(extraElements: [String])
    /// A V2 binary frame of the given kind.
    case v2Binary(BinaryKind)

    /// A V1 object: no join_ref from the server, and phx_close and phx_error carry theirs in `ref`.
    public var isV1: Bool {
        if case .v1Object = self { return true }
        return false
    }
}

/// The kind byte of a V2 binary frame.
public enum BinaryKind: UInt8, Sendable, Hashable {
    case push = 0
    case reply = 1
    case broadcast = 2

    /// How this layout is named in error sentences and transcripts.
    public func name(from direction: Direction) -> String {
        switch (self, direction) {
        case (.push, .client): return "binary push from the client"
        case (.push, .server): return "binary push from the server"
        case (.reply, _): return "binary reply"
        case (.broadcast, _): return "binary broadcast"
        }
    }
}

/// One decoded Phoenix message: the envelope fields, the payload as on the wire, and for
/// replies the status and response split out.
public struct PhoenixMessage: Sendable, Hashable {
    // `layout` comes first so that the memberwise initializer's labels differ from the public
    // one's below, which can then hand over to it: an initializer that sets each property
    // itself made every decoded message leave it as a copy (a retain and a release of each
    // field), and the memberwise one does not.
    public var layout: WireLayout
    public var joinRef: Ref?
    public var ref: Ref?
    public var topic: String
    public var event: String
    public var payload: Payload
    /// Set for server `phx_reply` messages whose payload has the reply shape.
    public var reply: Reply?

    /// The reserved meaning of the event, if it has one.
    public var reservedEvent: ReservedEvent? { ReservedEvent(rawValue: event) }

    /// True for the socket-level heartbeat and its reply (topic `phoenix`).
    public var isHeartbeatTraffic: Bool { topic == phoenixSocketTopic }
}

extension PhoenixMessage {
    public init(
        joinRef: Ref?, ref: Ref?, topic: String, event: String, payload: Payload, reply: Reply? = nil,
        layout: WireLayout = .v2Array(extraElements: [])
    ) {
        self.init(layout: layout, joinRef: joinRef, ref: ref, topic: topic, event: event, payload: payload, reply: reply)
    }
}
