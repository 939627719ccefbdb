public import PhoenixProtocol

/// One end of a TCP connection, printed as `host:port` (`[v6]:port` for IPv6).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// How a connection ended, as far as the source could tell.
public enum ConnectionEnd: Sendable, Hashable {
    /// A FIN (or an orderly close on a socket) from this side.
    case fin(from: Direction)
    /// A TCP reset (or a socket error) from this side.
    case reset(from: Direction)
    /// The capture ended, or the proxy shut down, with the connection still open.
    case endOfInput
    /// The source gave up on the connection for this reason (e.g. "upstream refused the connection").
    case failed(String)
}

/// What a byte source (the proxy or a capture reader) tells the shared pipeline. Everything
/// after these events, from HTTP to transcript, is the same code for live and offline traffic.
///
/// `conn` numbers start at 1 and are unique within one source. `time` is seconds since the
/// Unix epoch: capture time offline, the proxy's clock live.
public enum ConnectionEvent: Sendable {
    /// A TCP connection was seen (SYN, or its first bytes in a capture that starts mid-stream).
    case opened(conn: Int, time: Double, client: Endpoint, server: Endpoint)
    /// Bytes of one direction, in order, with nothing missing since the previous chunk.
    case bytes(conn: Int, from: Direction, time: Double, bytes: [UInt8])
    /// Bytes of one direction were lost (capture drops, snap length). `missing` is their count
    /// when known. The pipeline resumes at the next boundary it can trust and never invents bytes.
    case gap(conn: Int, from: Direction, time: Double, missing: Int?)
    /// Something the source noticed below the bytes (an unreassembled IP fragment, a
    /// retransmission that disagrees with the original, a proxy that skipped observation).
    case sourceNote(conn: Int, time: Double, rule: String, text: String)
    /// The connection ended.
    case closed(conn: Int, time: Double, how: ConnectionEnd)
}
