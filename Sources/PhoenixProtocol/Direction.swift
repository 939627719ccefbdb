/// Which peer sent a message. Phoenix's binary push layout differs by direction, so the
/// decoder must always be told who sent the bytes.
public enum Direction: String, Sendable, Hashable, CaseIterable, Codable {
    case client
    case server

    /// The other side of the connection.
    public var opposite: Direction { self == .client ? .server : .client }
}

/// The WebSocket data opcode a Phoenix message travelled in. Phoenix uses text frames for
/// JSON and binary frames for its V2 binary layouts; LongPoll carries both as text lines.
public enum DataOpcode: String, Sendable, Hashable, Codable {
    case text
    case binary
}
