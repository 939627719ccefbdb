import PhoenixChecker
public import PhoenixProtocol

/// The Phoenix traffic of a HAR file, as connections with what happened on each, in order.
///
/// A HAR (HTTP Archive 1.2) keeps WebSocket traffic the way Chrome exports it: one entry per
/// socket with a `_webSocketMessages` list of `{type: send|receive, time, opcode, data}`.
/// LongPoll traffic is ordinary requests: GET polls whose JSON answer carries the messages,
/// and POSTs whose ndjson body carries the client's. `HARReader` builds this model from either;
/// the pipeline replays it through the same Phoenix sessions as a capture.
public struct HARArchive: Sendable, Hashable {
    /// The Phoenix connections in the order they started.
    public var connections: [HARConnection]
    /// Entries that were neither a WebSocket nor a Phoenix LongPoll request.
    public var otherEntries: Int

    /// An archive.
    public init(connections: [HARConnection], otherEntries: Int = 0) {
        self.connections = connections
        self.otherEntries = otherEntries
    }
}

/// One WebSocket, or one LongPoll session spread over many requests.
public struct HARConnection: Sendable, Hashable {
    /// Identifies the connection inside the archive (the entry's index, or the LongPoll session).
    public var key: String
    /// Who talked to whom, where, and how the handshake went. The client is `_phxtapClient`
    /// when phxtap wrote the file, else `browser`; params are percent-decoded, in URL order.
    public var connection: MessageConnection
    /// When the connection started, in seconds since the Unix epoch.
    public var startTime: Double
    /// What happened, in order.
    public var events: [HAREvent]

    /// A connection.
    public init(key: String, connection: MessageConnection, startTime: Double, events: [HAREvent] = []) {
        self.key = key
        self.connection = connection
        self.startTime = startTime
        self.events = events
    }
}

/// Something that happened on a HAR connection.
public enum HAREvent: Sendable, Hashable {
    /// A WebSocket data message.
    case message(from: Direction, opcode: DataOpcode, bytes: [UInt8], time: Double)
    /// A LongPoll POST: its body holds the client's messages (ndjson, or one text message).
    case longPollSend(contentType: String?, body: [UInt8], time: Double)
    /// A LongPoll answer: `{"status", "token", "messages"}` in the body of an HTTP 200.
    case longPollAnswer(method: String, httpStatus: Int, body: [UInt8], time: Double)
    /// A close frame or another end of the connection (phxtap's `_phxtapCloses`, with `via`).
    case close(via: CloseVia, from: Direction?, code: UInt16?, reason: String, time: Double)

    /// When it happened, in seconds since the Unix epoch.
    public var time: Double {
        switch self {
        case .message(_, _, _, let t), .longPollSend(_, _, let t), .longPollAnswer(_, _, _, let t), .close(_, _, _, _, let t):
            return t
        }
    }
}

/// Why a HAR file could not be read; printed as one sentence.
public struct HARReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the entry when it is about one.
    public var reason: String

    /// An error.
    public init(_ reason: String) { self.reason = reason }

    public var description: String { "HAR: \(reason)" }
}
