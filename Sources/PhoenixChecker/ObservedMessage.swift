public import PhoenixProtocol

/// How a connection carries Phoenix messages.
public enum Transport: String, Sendable, Hashable, Codable {
    /// One WebSocket per connection (`/socket/websocket`).
    case websocket
    /// HTTP long polling (`/socket/longpoll`): GET polls and POST ndjson sends under one session token.
    case longpoll
}

/// One Phoenix message as the checker sees it: where it sits in the connection, when it was seen,
/// who sent it, and what the decoder made of it.
public struct ObservedMessage: Sendable {
    /// Position in the connection, from 1 (the transcript's `seq`).
    public var seq: Int
    /// Capture or proxy time in seconds since the Unix epoch.
    public var time: Double
    /// Who sent it.
    public var from: Direction
    /// The WebSocket opcode it travelled in.
    public var opcode: DataOpcode
    /// The decoded message, or why it could not be decoded.
    public var decoded: Result<PhoenixMessage, DecodeError>

    /// A message as observed.
    public init(seq: Int, time: Double, from: Direction, opcode: DataOpcode, decoded: Result<PhoenixMessage, DecodeError>) {
        self.seq = seq
        self.time = time
        self.from = from
        self.opcode = opcode
        self.decoded = decoded
    }
}

/// Where a message sits and how it came: what the checker's rules need besides its content.
struct MessagePlace {
    var seq: Int
    var time: Double
    var from: Direction
    var opcode: DataOpcode
}

/// What the checker says about one message.
public struct MessageVerdict: Sendable, Hashable {
    /// Annotations on this message.
    public var annotations: [Annotation]
    /// For a reply: the `seq` of the push it answers.
    public var replyTo: Int?
    /// For a reply: seconds since the push it answers.
    public var roundTrip: Double?
    /// Earlier things that became certain by this message's time (timeouts, silence).
    public var findings: [Finding]

    /// A verdict.
    public init(annotations: [Annotation] = [], replyTo: Int? = nil, roundTrip: Double? = nil, findings: [Finding] = []) {
        self.annotations = annotations
        self.replyTo = replyTo
        self.roundTrip = roundTrip
        self.findings = findings
    }
}
