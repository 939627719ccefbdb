public import PhoenixChecker
public import PhoenixProtocol

/// The transcript format's name and version, written in the `session` line.
public let transcriptFormat = "phxtap/1"

/// The first line: what was read or proxied, and what the checker assumed of the peers.
/// `phxtap check` of the transcript assumes the same, unless its command line says otherwise.
public struct SessionRecord: Sendable, Hashable {
    public var source: String
    /// The Phoenix version whose behaviour the checker assumed.
    public var phoenixVersion: String?
    /// The client's push timeout the checker measured against, in seconds, when it was not
    /// phoenix.js's 10 s (`--push-timeout`).
    public var pushTimeout: Double?

    public init(source: String, phoenixVersion: String? = nil, pushTimeout: Double? = nil) {
        self.source = source
        self.phoenixVersion = phoenixVersion
        self.pushTimeout = pushTimeout
    }
}

/// A connection's handshake: who, where, and which serializer the server chose.
public struct OpenRecord: Sendable, Hashable {
    public var conn: Int
    public var time: Double
    public var client: String
    public var server: String
    public var transport: Transport
    public var path: String
    /// Query parameters in order, secrets already redacted by whoever built the record.
    public var params: [QueryItem]
    public var serializer: Serializer
    /// The HTTP status of the upgrade (101, 403, ...) or of the first LongPoll response; nil if unseen.
    public var status: Int?
    /// The raw `vsn` parameter; nil when absent (the server then uses V1).
    public var vsn: String?
    public var subprotocols: [String]
    public var extensions: String?

    public init(
        conn: Int, time: Double, client: String, server: String, transport: Transport, path: String,
        params: [QueryItem], serializer: Serializer, status: Int?, vsn: String?, subprotocols: [String] = [],
        extensions: String? = nil
    ) {
        self.conn = conn
        self.time = time
        self.client = client
        self.server = server
        self.transport = transport
        self.path = path
        self.params = params
        self.serializer = serializer
        self.status = status
        self.vsn = vsn
        self.subprotocols = subprotocols
        self.extensions = extensions
    }
}

/// One `name=value` pair of a URL query, in wire order (names may repeat).
public struct QueryItem: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One Phoenix message as seen on the wire, with its decoded view and what the checker said.
public struct MessageRecord: Sendable, Hashable {
    // `annotations` comes first so that the memberwise initializer's labels differ from the
    // public one's, which hands over to it: one setting each property itself made every record
    // leave it as a copy (see `PhoenixMessage`).
    public var annotations: [Annotation]
    public var conn: Int
    /// Position within the connection, from 1.
    public var seq: Int
    public var time: Double
    public var from: Direction
    public var opcode: DataOpcode
    /// The message bytes exactly as received (after unmasking and inflation): often a slice of
    /// the capture segment the message came in, shared with its neighbours.
    public var raw: Bytes
    /// The decoded message, read in place by the transcript writer; an empty placeholder (no
    /// refs, empty topic and event) when `decodeError` is set, which is why other modules see
    /// it only as `message` or `decoded`. Kept apart from the error rather than in a `Result`:
    /// a message bound out of a `Result` case was copied whole for each record written, a
    /// retain and a release of every field.
    private(set) var decodedMessage: PhoenixMessage
    /// Why the bytes did not decode, nil when they did.
    public private(set) var decodeError: DecodeError?
    /// For replies: the `seq` of the push this answers.
    public var replyTo: Int?
    /// For replies: seconds between the push and this reply.
    public var roundTrip: Double?
    public var transport: Transport

    /// The decoded message, or why there is none.
    public var decoded: Result<PhoenixMessage, DecodeError> {
        get { decodeError.map { .failure($0) } ?? .success(decodedMessage) }
        set {
            switch newValue {
            case .success(let message): (decodedMessage, decodeError) = (message, nil)
            case .failure(let error): (decodedMessage, decodeError) = (.undecoded, error)
            }
        }
    }

    /// The decoded message, if decoding succeeded.
    public var message: PhoenixMessage? { decodeError == nil ? decodedMessage : nil }
}

extension MessageRecord {
    public init(
        conn: Int, seq: Int, time: Double, from: Direction, opcode: DataOpcode, raw: Bytes,
        decoded: consuming Result<PhoenixMessage, DecodeError>, replyTo: Int? = nil, roundTrip: Double? = nil,
        transport: Transport = .websocket, annotations: [Annotation] = []
    ) {
        switch consume decoded {
        case .success(let message):
            self.init(
                conn: conn, seq: seq, time: time, from: from, opcode: opcode, raw: raw, message: message,
                replyTo: replyTo, roundTrip: roundTrip, transport: transport, annotations: annotations)
        case .failure(let error):
            self.init(
                annotations: annotations, conn: conn, seq: seq, time: time, from: from, opcode: opcode, raw: raw,
                decodedMessage: .undecoded, decodeError: error, replyTo: replyTo, roundTrip: roundTrip, transport: transport)
        }
    }

    /// A record of a message that decoded: what the pipeline builds for nearly every message,
    /// small enough to be inlined where it is called.
    public init(
        conn: Int, seq: Int, time: Double, from: Direction, opcode: DataOpcode, raw: Bytes, message: PhoenixMessage,
        replyTo: Int?, roundTrip: Double?, transport: Transport, annotations: [Annotation]
    ) {
        self.init(
            annotations: annotations, conn: conn, seq: seq, time: time, from: from, opcode: opcode, raw: raw,
            decodedMessage: message, decodeError: nil, replyTo: replyTo, roundTrip: roundTrip, transport: transport)
    }
}

extension PhoenixMessage {
    /// What a record holds in place of a message its bytes did not decode into.
    static var undecoded: PhoenixMessage { PhoenixMessage(joinRef: nil, ref: nil, topic: "", event: "", payload: .json([])) }
}

/// A finding not tied to one message as it passed.
public struct AnnotationRecord: Sendable, Hashable {
    public var conn: Int
    public var finding: Finding

    public init(conn: Int, finding: Finding) {
        self.conn = conn
        self.finding = finding
    }
}

/// What a `close` line reports.
public enum CloseVia: String, Sendable, Hashable {
    /// A WebSocket close frame (one line per side that sent one).
    case closeFrame = "close-frame"
    /// The TCP connection ended with a FIN and no close frame had been seen.
    case tcpFin = "tcp-fin"
    /// The TCP connection was reset.
    case tcpReset = "tcp-reset"
    /// The server refused the upgrade or the LongPoll session.
    case refused
    /// The capture or the proxy ended with the connection still open.
    case endOfInput = "end-of-input"
    /// The source gave up on the connection (e.g. the upstream could not be reached).
    case failed
}

/// How a connection ended: a WebSocket close frame, or the TCP connection going away.
public struct CloseRecord: Sendable, Hashable {
    public var conn: Int
    public var time: Double
    public var via: CloseVia
    /// Who closed; nil when nobody did (the capture or the proxy ended first).
    public var from: Direction?
    /// The close code; nil for a close frame without one, or a connection that ended without a close frame.
    public var code: UInt16?
    public var reason: String

    public init(conn: Int, time: Double, via: CloseVia = .closeFrame, from: Direction?, code: UInt16?, reason: String) {
        self.conn = conn
        self.time = time
        self.via = via
        self.from = from
        self.code = code
        self.reason = reason
    }
}

/// The last line: counts for a quick look and for CI gates.
public struct SummaryRecord: Sendable, Hashable {
    public var connections: Int
    public var messages: Int
    public var decodeErrors: Int
    public var errors: Int
    public var warnings: Int
    public var infos: Int

    public init(connections: Int = 0, messages: Int = 0, decodeErrors: Int = 0, errors: Int = 0, warnings: Int = 0, infos: Int = 0) {
        self.connections = connections
        self.messages = messages
        self.decodeErrors = decodeErrors
        self.errors = errors
        self.warnings = warnings
        self.infos = infos
    }

    /// Counts one annotation of this severity.
    public mutating func count(_ severity: Severity) {
        switch severity {
        case .error: errors += 1
        case .warning: warnings += 1
        case .info: infos += 1
        }
    }

    /// The number of annotations at or above `severity`.
    public func count(atLeast severity: Severity) -> Int {
        switch severity {
        case .error: return errors
        case .warning: return errors + warnings
        case .info: return errors + warnings + infos
        }
    }
}

/// One line of a transcript.
public enum TranscriptRecord: Sendable, Hashable {
    case session(SessionRecord)
    case open(OpenRecord)
    case message(MessageRecord)
    case annotation(AnnotationRecord)
    case close(CloseRecord)
    case summary(SummaryRecord)

    /// The connection the record belongs to, if any.
    public var conn: Int? {
        switch self {
        case .session, .summary: return nil
        case .open(let r): return r.conn
        case .message(let r): return r.conn
        case .annotation(let r): return r.conn
        case .close(let r): return r.conn
        }
    }
}
