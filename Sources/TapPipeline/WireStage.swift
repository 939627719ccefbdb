import PhoenixProtocol
public import WebSocketWire

/// The first half of the pipeline: each TCP connection's bytes to HTTP and WebSocket events
/// (`WireConnection`). What it does for a connection depends on that connection's bytes alone,
/// so it can run on a thread of its own ahead of the second half (sessions, decoding, checker,
/// records), which must see all connections in order.
///
/// `Pipeline` runs both halves one after the other; `phxtap read` runs this one on the thread
/// that reads the capture, which takes the framing and unmasking off the checking thread.
public struct WireStage: Sendable {
    private let limits: WireLimits
    private let assumeWebSocketPorts: Set<Int>
    private var taps: [Int: WireTap] = [:]

    public init(options: PipelineOptions) {
        limits = options.wireLimits
        assumeWebSocketPorts = options.assumeWebSocketPorts
    }

    /// Runs one connection event through its connection's wire state. Bytes given up with the
    /// event (`consume`) are unmasked in place; still shared, they are copied first.
    public mutating func stage(_ event: consuming ConnectionEvent) -> StagedEvent {
        switch consume event {
        case .opened(let conn, let time, let client, let server):
            taps[conn] = WireTap(limits: limits, assumeWebSocket: assumeWebSocketPorts.contains(server.port))
            return StagedEvent(.opened(client: client, server: server), conn: conn, time: time)
        case .bytes(let conn, let from, let time, let bytes):
            let events = taps[conn]?.feed(consume bytes, from: from, time: time) ?? []
            return StagedEvent(.wire, conn: conn, time: time, events: events)
        case .gap(let conn, let from, let time, let missing):
            let events = taps[conn]?.wire.gap(from: from, missing: missing, time: time) ?? []
            return StagedEvent(.wire, conn: conn, time: time, events: events)
        case .sourceNote(let conn, let time, let rule, let text):
            return StagedEvent(.sourceNote(rule: rule, text: text), conn: conn, time: time)
        case .closed(let conn, let time, let how):
            return StagedEvent(.closed(how), conn: conn, time: time, events: close(conn: conn, time: time))
        }
    }

    /// Ends a connection's wire state; returns what its unfinished bytes still give.
    mutating func close(conn: Int, time: Double) -> [WireEvent] {
        taps.removeValue(forKey: conn)?.wire.finish(time: time) ?? []
    }
}

/// A connection event after the wire stage: bytes and gaps have become wire events.
///
/// A struct with the events beside the kind, not an enum holding them: the pipeline applies
/// the events where they lie (`inout`), and binding them out of an enum case copied them.
public struct StagedEvent: Sendable {
    public enum Kind: Sendable {
        case opened(client: Endpoint, server: Endpoint)
        /// What a chunk of bytes or a gap gave (possibly nothing).
        case wire
        case sourceNote(rule: String, text: String)
        /// The connection ended; `events` is what its unfinished bytes still gave.
        case closed(ConnectionEnd)
    }

    public var kind: Kind
    public var conn: Int
    public var time: Double
    public var events: [WireEvent]

    init(_ kind: Kind, conn: Int, time: Double, events: [WireEvent] = []) {
        self.kind = kind
        self.conn = conn
        self.time = time
        self.events = events
    }
}

/// One TCP connection's wire state. A class so that the stage's dictionary lookups never copy
/// the connection's buffers.
final class WireTap: @unchecked Sendable {
    // @unchecked: a tap belongs to one WireStage, which one thread uses at a time.
    var wire: WireConnection
    /// Undecided until the first bytes: HTTP, or WebSocket frames without a handshake.
    private var sawBytes = false
    private let assumeWebSocket: Bool

    init(limits: WireLimits, assumeWebSocket: Bool) {
        self.assumeWebSocket = assumeWebSocket
        wire = WireConnection(limits: limits)
    }

    func feed(_ bytes: consuming [UInt8], from: Direction, time: Double) -> [WireEvent] {
        if !sawBytes {
            sawBytes = true
            // The unseen handshake may have agreed compression: frames of either kind count.
            if assumeWebSocket || WireConnection.startsLikeWebSocket(bytes, from: from, compressed: true) {
                wire = WireConnection.assumingWebSocket(limits: wire.limits)
            }
        }
        var events: [WireEvent] = []
        // A large chunk (a 64 kB capture segment) gets room for a message per 512 bytes up
        // front: growing from empty copied its dozens of events several times over. Small chunks
        // (the proxy's reads, most of which finish one message or none) allocate only if needed.
        if bytes.count >= 4096 { events.reserveCapacity(bytes.count / 512) }
        wire.feed(consume bytes, from: from, time: time, into: &events)
        return events
    }
}
