public import Transcript
import PhoenixChecker
import PhoenixProtocol
import WebSocketWire

/// The shared pipeline: connection events from any byte source in, transcript records out.
///
///     ConnectionEvent -> wire stage (HTTP, upgrade, RFC 6455, deflate: WireConnection)
///                     -> StagedEvent -> Phoenix session (codec, checker)  -> TranscriptRecord
///
/// The proxy and the capture reader both feed one of these, so the same bytes give the same
/// transcript live and offline. The proxy runs both halves here; `phxtap read` runs the wire
/// stage on its reading thread (`takeWireStage`) and hands the staged events in. It is pure:
/// no clock, no I/O; time comes with each event.
/// Transcript connection numbers count Phoenix sockets in the order they open (a LongPoll
/// session spans several TCP connections; plain HTTP connections get no number).
public struct Pipeline {
    public let options: PipelineOptions
    private var wireStage: WireStage
    private var taps: [Int: TCPTap] = [:]
    private var longPoll: [String: PhoenixSession] = [:]
    var nextConn = 1
    var lastTime = 0.0
    var summary = SummaryRecord()
    /// Connections known from their messages rather than their bytes (HAR files, transcripts),
    /// by the caller's key; see `Pipeline+Messages.swift`.
    var messageSessions: [String: PhoenixSession] = [:]

    public init(options: PipelineOptions = .init()) {
        self.options = options
        wireStage = WireStage(options: options)
    }

    /// The first line of the transcript.
    public mutating func start(source: String) -> [TranscriptRecord] {
        var out: [TranscriptRecord] = []
        let checker = options.checker
        let pushTimeout = checker.pushTimeout == CheckerOptions.phoenixJSPushTimeout ? nil : checker.pushTimeout
        emit(.session(SessionRecord(source: source, phoenixVersion: checker.phoenixVersion.description, pushTimeout: pushTimeout)), into: &out)
        return out
    }

    /// Handles one event, appending the records it completes.
    public mutating func handle(_ event: ConnectionEvent, into out: inout [TranscriptRecord]) {
        var staged = wireStage.stage(event)
        handle(&staged, into: &out)
    }

    /// Handles one event that went through a wire stage elsewhere (see `takeWireStage()`). Its
    /// wire events are moved out as they are applied.
    public mutating func handle(_ event: inout StagedEvent, into out: inout [TranscriptRecord]) {
        // Records go straight into `out` (often a batch shared with the writer) and are counted
        // there: passing through a second array copied every record twice.
        let start = out.count
        let conn = event.conn
        let time = event.time
        lastTime = max(lastTime, time)
        switch event.kind {
        case .opened(let client, let server):
            taps[conn] = TCPTap(client: client, server: server)
        case .wire:
            apply(&event.events, tcp: conn, into: &out)
        case .sourceNote(let rule, let text):
            note(tcp: conn, rule: rule, text: text, time: time, into: &out)
        case .closed(let how):
            close(tcp: conn, time: time, how: how, lastEvents: &event.events, into: &out)
        }
        tally(out, from: start)
    }

    /// Hands the wire stage over, to run on another thread (a capture's reading thread) ahead
    /// of this pipeline; events then come in through `handle(_: StagedEvent, into:)` until
    /// `returnWireStage` gives it back.
    public mutating func takeWireStage() -> WireStage {
        defer { wireStage = WireStage(options: options) }
        return wireStage
    }

    /// Takes the wire stage back: `finish()` ends the connections still open with it.
    public mutating func returnWireStage(_ stage: WireStage) {
        wireStage = stage
    }

    /// Convenience for one event.
    public mutating func handle(_ event: ConnectionEvent) -> [TranscriptRecord] {
        var out: [TranscriptRecord] = []
        handle(event, into: &out)
        return out
    }

    /// The input ended: settles every connection still open and appends the summary.
    public mutating func finish() -> [TranscriptRecord] {
        var records: [TranscriptRecord] = []
        for conn in taps.keys.sorted() {
            var lastEvents = wireStage.close(conn: conn, time: lastTime)
            close(tcp: conn, time: lastTime, how: .endOfInput, lastEvents: &lastEvents, into: &records)
        }
        for token in longPoll.keys.sorted(by: { longPoll[$0]!.conn < longPoll[$1]!.conn }) {
            longPoll[token]!.finish(time: lastTime, ending: nil, into: &records)
        }
        longPoll.removeAll()
        for key in messageSessions.keys.sorted(by: { messageSessions[$0]!.conn < messageSessions[$1]!.conn }) {
            // Like captured LongPoll sessions, a LongPoll session has no connection of its own to end.
            let ending: SessionEnding? = messageSessions[key]!.transport == .longpoll
                ? nil : SessionEnding(via: .endOfInput, from: nil, reason: "still open when the input ended")
            messageSessions[key]!.finish(time: lastTime, ending: ending, into: &records)
        }
        messageSessions.removeAll()
        var out: [TranscriptRecord] = []
        for record in records { emit(record, into: &out) }
        out.append(.summary(summary))
        return out
    }

    /// The summary so far (counts of what was emitted).
    public var currentSummary: SummaryRecord { summary }

    // MARK: - Wire events

    /// Applies `events` in order, moving each out of the array (left holding a placeholder):
    /// read in place, every event was copied first, its payload retained and released.
    private mutating func apply(_ events: inout [WireEvent], tcp: Int, into out: inout [TranscriptRecord]) {
        let tap = taps[tcp]  // once for all the events (see `webSocketSession`)
        for i in events.indices {
            var event = WireEvent.ping(from: .client, payload: [], time: 0)
            swap(&event, &events[i])
            switch consume event {
            case .request(let head, let body, let time):
                request(head, body: body.bytes, time: time, tcp: tcp, into: &out)
            case .response(let head, let body, let time):
                response(head, body: body.bytes, time: time, tcp: tcp, into: &out)
            case .upgraded(let request, let response, _, let time):
                openWebSocket(tcp: tcp, request: request, response: response, time: time, into: &out)
            case .message(let from, let opcode, let payload, _, let time):
                // Not through a closure: capturing the payload retained it once more per message.
                guard let tap else { continue }
                webSocketSession(of: tap, tcp: tcp, time: time, firstFrame: payload, into: &out)
                    .message(from: from, opcode: opcode, bytes: payload, time: time, into: &out)
            case .close(let from, let code, let reason, let time):
                guard let tap else { continue }
                webSocketSession(of: tap, tcp: tcp, time: time, into: &out)
                    .closeFrame(from: from, code: code, reason: reason, time: time, into: &out)
            case .ping, .pong:
                break
            case .violation(_, let violation, let time):
                note(tcp: tcp, rule: violation.id, text: violation.description, time: time, into: &out)
            }
        }
    }

    private mutating func request(_ head: HTTPRequestHead, body: [UInt8], time: Double, tcp: Int, into out: inout [TranscriptRecord]) {
        taps[tcp]?.pending.append(PendingRequest(head: head, time: time))
        guard Self.isLongPoll(head), head.method == "POST", let token = Self.longPollToken(head),
            let session = longPoll[token]
        else { return }
        for frame in LongPollBody.clientFrames(body: body, contentType: head.headers.first("Content-Type")) {
            session.message(from: .client, opcode: frame.opcode, bytes: frame.bytes[...], time: time, into: &out)
        }
    }

    private mutating func response(_ head: HTTPResponseHead, body: [UInt8], time: Double, tcp: Int, into out: inout [TranscriptRecord]) {
        guard let tap = taps[tcp] else { return }
        let request = tap.pending.isEmpty ? nil : tap.pending.removeFirst()
        guard let request else { return }
        if request.head.isWebSocketUpgrade {
            // 101 goes on as `.upgraded`; anything else is a refusal, recorded as a connection
            // that opened and ended at once.
            guard head.status != 101 else { return }
            let session = newSession(tcp: tcp, transport: .websocket, request: request.head, status: head.status,
                                     time: request.time, extensions: nil, into: &out)
            session.finish(time: time, ending: SessionEnding(via: .refused, from: .server, reason: "upgrade refused with HTTP \(head.status)"), into: &out)
            return
        }
        guard Self.isLongPoll(request.head), let answer = LongPollBody.serverResponse(body: body) else { return }
        let status = answer.status ?? head.status
        if let token = Self.longPollToken(request.head), let session = longPoll[token] {
            session.longPollStatus(status, method: request.head.method, time: time, into: &out)
            for frame in answer.frames {
                session.message(from: .server, opcode: frame.opcode, bytes: frame.bytes[...], time: time, into: &out)
            }
        } else if request.head.method == "GET" {
            // A poll without a known session: Phoenix answers a new session with 410 and its token
            // (or 403 when connect/3 refuses it).
            let session = newSession(tcp: tcp, transport: .longpoll, request: request.head, status: status,
                                     time: request.time, extensions: nil, into: &out)
            session.longPollStatus(status, method: "GET", time: time, into: &out)
            if let token = answer.token, status == 410 {
                longPoll[token] = session
            } else {
                session.finish(time: time, ending: SessionEnding(via: .refused, from: .server, reason: "LongPoll session refused with status \(status)"), into: &out)
            }
        }
    }

    private mutating func openWebSocket(tcp: Int, request: HTTPRequestHead?, response: HTTPResponseHead, time: Double, into out: inout [TranscriptRecord]) {
        guard taps[tcp]?.session == nil else { return }
        let session = newSession(tcp: tcp, transport: .websocket, request: request, status: response.status, time: time,
                                 extensions: response.headers.first("Sec-WebSocket-Extensions"), into: &out)
        taps[tcp]?.session = session
    }

    /// A finding about a TCP connection's bytes. Before its session exists it is held: on a
    /// connection seen without its handshake the first message decides the serializer, and a
    /// finding that came first must not decide it instead.
    private mutating func note(tcp: Int, rule: String, text: String, time: Double, into out: inout [TranscriptRecord]) {
        guard let tap = taps[tcp] else { return }
        guard let session = tap.session else {
            tap.heldFindings.append(HeldFinding(rule: rule, text: text, time: time))
            // Bytes that keep failing without a message in sight: report on a session after all.
            if tap.heldFindings.count >= Self.maxHeldFindings {
                webSocketSession(of: tap, tcp: tcp, time: time, into: &out)
            }
            return
        }
        session.violation(id: rule, text: text, time: time, into: &out)
    }

    static let maxHeldFindings = 32

    /// The WebSocket session of `tap` (TCP connection `tcp`), opened for traffic that began
    /// without a handshake (the serializer is then read off the first frame's shape). Callers
    /// pass the tap they looked up: a chunk of a busy connection holds dozens of messages, and
    /// hashing the connection number for each cost more than its checks.
    @discardableResult
    private mutating func webSocketSession(
        of tap: TCPTap, tcp: Int, time: Double, firstFrame: Bytes = [], into out: inout [TranscriptRecord]
    ) -> PhoenixSession {
        if let session = tap.session { return session }
        let vsn = Serializer.guessed(fromFrame: firstFrame).vsn
        let session = newSession(tcp: tcp, transport: .websocket, request: nil, status: nil, time: time, extensions: nil,
                                 guessedVsn: vsn, into: &out)
        tap.session = session
        return session
    }

    private mutating func newSession(
        tcp: Int, transport: Transport, request: HTTPRequestHead?, status: Int?, time: Double, extensions: String?,
        guessedVsn: String? = nil, into out: inout [TranscriptRecord]
    ) -> PhoenixSession {
        let tap = taps[tcp]
        let connection = MessageConnection(
            client: tap?.client.description ?? "", server: tap?.server.description ?? "", transport: transport,
            path: request?.path ?? "",
            params: request?.query.map { Transcript.QueryItem(name: $0.name, value: $0.value ?? "") } ?? [],
            subprotocols: request?.headers.tokens("Sec-WebSocket-Protocol") ?? [], status: status, extensions: extensions)
        let session = openSession(connection, time: time, guessedVsn: guessedVsn, into: &out)
        for held in tap?.heldFindings ?? [] {
            session.violation(id: held.rule, text: held.text, time: held.time, into: &out)
        }
        tap?.heldFindings = []
        return session
    }

    private mutating func close(
        tcp: Int, time: Double, how: ConnectionEnd, lastEvents: inout [WireEvent], into out: inout [TranscriptRecord]
    ) {
        guard let tap = taps[tcp] else { return }
        apply(&lastEvents, tcp: tcp, into: &out)  // may still open a session or record a close frame
        if tap.session == nil, let first = tap.heldFindings.first {
            // Findings but never a message: they need a connection to be reported on.
            webSocketSession(of: tap, tcp: tcp, time: first.time, into: &out)
        }
        guard let session = taps.removeValue(forKey: tcp)?.session else { return }
        let ending: SessionEnding
        switch how {
        case .fin(let from): ending = SessionEnding(via: .tcpFin, from: from, reason: "TCP connection closed by the \(from.rawValue) without a close frame")
        case .reset(let from): ending = SessionEnding(via: .tcpReset, from: from, reason: "TCP connection reset by the \(from.rawValue)")
        case .endOfInput: ending = SessionEnding(via: .endOfInput, from: nil, reason: "still open when the input ended")
        case .failed(let reason): ending = SessionEnding(via: .failed, from: nil, reason: reason)
        }
        session.finish(time: time, ending: ending, into: &out)
    }

    // MARK: - Helpers

    private static func isLongPoll(_ head: HTTPRequestHead) -> Bool { head.path.hasSuffix("/longpoll") }

    /// Phoenix ≤ 1.8.9 reads the session token from the query; later servers also from a header.
    private static func longPollToken(_ head: HTTPRequestHead) -> String? {
        if let token = head.queryValue("token"), !token.isEmpty { return token }
        return head.headers.first("X-Phoenix-LongPoll-Token")
    }

    mutating func emit(_ record: TranscriptRecord, into out: inout [TranscriptRecord]) {
        out.append(record)
        tally(out, from: out.count - 1)
    }

    /// Counts the records of `records` from `start` on in the summary.
    mutating func tally(_ records: [TranscriptRecord], from start: Int) {
        for i in start..<records.count {
            switch records[i] {
            case .open:
                summary.connections += 1
            case .message(let m):
                summary.messages += 1
                if m.decodeError != nil { summary.decodeErrors += 1 }
                for a in m.annotations { summary.count(a.severity) }
            case .annotation(let a):
                summary.count(a.finding.annotation.severity)
            default:
                break
            }
        }
    }
}

/// A finding waiting for its connection's session.
struct HeldFinding {
    var rule: String
    var text: String
    var time: Double
}

/// A request waiting for its response (HTTP/1.1 answers in order).
struct PendingRequest {
    var head: HTTPRequestHead
    var time: Double
}

/// One TCP connection as the second half of the pipeline sees it: its endpoints, requests
/// awaiting responses and, once upgraded, its Phoenix session (its bytes are `WireStage`'s).
/// A class so that the pipeline's dictionary lookups never copy the checker state.
final class TCPTap {
    let client: Endpoint
    let server: Endpoint
    var pending: [PendingRequest] = []
    var session: PhoenixSession?
    /// Findings from before the session opened (see `Pipeline.note`).
    var heldFindings: [HeldFinding] = []

    init(client: Endpoint, server: Endpoint) {
        self.client = client
        self.server = server
    }
}
