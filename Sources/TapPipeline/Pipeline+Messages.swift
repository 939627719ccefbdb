public import PhoenixProtocol
public import Transcript
public import PhoenixChecker

/// Message-level input: the same Phoenix sessions (codec, checker, numbering) as byte sources
/// get, so a HAR or a re-checked transcript gives a transcript of the same shape as a capture.
/// Callers name each connection with a key of their own; the transcript numbers connections in
/// the order they open, shared with any byte-level connections of the same pipeline.
extension Pipeline {
    /// Opens a connection known from its messages; appends its `open` line and handshake findings.
    public mutating func openConnection(
        key: String, _ connection: MessageConnection, time: Double, into out: inout [TranscriptRecord]
    ) {
        lastTime = max(lastTime, time)
        let start = out.count
        if let old = messageSessions.removeValue(forKey: key) {
            old.finish(time: time, ending: SessionEnding(via: .endOfInput, from: nil, reason: "replaced by a new connection with the same key"), into: &out)
        }
        messageSessions[key] = openSession(connection, time: time, into: &out)
        tally(out, from: start)
    }

    /// Numbers a new Phoenix socket and starts its session: the `open` line (parameters and
    /// subprotocols redacted), the serializer the server negotiates, the handshake's findings.
    /// Byte sources and message sources open sessions here alike. `guessedVsn` stands in for a
    /// handshake that was not seen (a capture that starts mid-connection).
    mutating func openSession(
        _ connection: MessageConnection, time: Double, guessedVsn: String? = nil, into out: inout [TranscriptRecord]
    ) -> PhoenixSession {
        let conn = nextConn
        nextConn += 1
        let vsn = connection.vsn
        let serializer = VsnNegotiation.negotiate(vsn: vsn ?? guessedVsn).serializer ?? .v2
        var params = connection.params
        var subprotocols = connection.subprotocols
        if let redactor = options.redactor {
            params = redactor.redact(params)
            subprotocols = subprotocols.map(redactor.redact(subprotocol:))
        }
        out.append(.open(OpenRecord(
            conn: conn, time: time, client: connection.client, server: connection.server, transport: connection.transport,
            path: connection.path, params: params, serializer: serializer, status: connection.status, vsn: vsn,
            subprotocols: subprotocols, extensions: connection.extensions)))
        let session = PhoenixSession(
            conn: conn, transport: connection.transport, serializer: serializer, options: options.checker, time: time)
        if guessedVsn != nil {
            session.violation(
                id: "capture-mid-connection",
                text: "no handshake seen: decoding as WebSocket with the \(serializer.rawValue) serializer, read off the first frame",
                time: time, into: &out)
        }
        session.opened(time: time, vsn: vsn ?? guessedVsn, status: connection.status, into: &out)
        return session
    }

    /// Appends a finding that is not the checker's to re-derive (WebSocket framing, TCP gaps,
    /// the proxy), as it was recorded, on the connection behind `key`.
    public mutating func carryOver(_ finding: Finding, key: String, conn: Int, into out: inout [TranscriptRecord]) {
        lastTime = max(lastTime, finding.time)
        emit(.annotation(AnnotationRecord(conn: messageSessions[key]?.conn ?? conn, finding: finding)), into: &out)
    }

    /// One data message on an open connection; ignored for an unknown key. `seq` keeps the
    /// numbering of a transcript being checked again (it may have been filtered).
    public mutating func message(
        key: String, from: Direction, opcode: DataOpcode, bytes: Bytes, time: Double, seq: Int? = nil,
        into out: inout [TranscriptRecord]
    ) {
        lastTime = max(lastTime, time)
        guard let session = messageSessions[key] else { return }
        let start = out.count
        session.message(from: from, opcode: opcode, bytes: bytes, time: time, seq: seq, into: &out)
        tally(out, from: start)
    }

    /// The Phoenix status of a LongPoll answer (410 opens a session, 200/204 polls, 408 timeouts).
    public mutating func longPollStatus(
        key: String, status: Int, method: String, time: Double, into out: inout [TranscriptRecord]
    ) {
        lastTime = max(lastTime, time)
        guard let session = messageSessions[key] else { return }
        let start = out.count
        session.longPollStatus(status, method: method, time: time, into: &out)
        tally(out, from: start)
    }

    /// A WebSocket close frame seen on the connection.
    public mutating func closeFrame(
        key: String, from: Direction, code: UInt16?, reason: String, time: Double, into out: inout [TranscriptRecord]
    ) {
        lastTime = max(lastTime, time)
        guard let session = messageSessions[key] else { return }
        let start = out.count
        session.closeFrame(from: from, code: code, reason: reason, time: time, into: &out)
        tally(out, from: start)
    }

    /// The connection ended. `via`, `from` and `reason` say how when no close frame was
    /// recorded; `via` nil says nothing more (a LongPoll session has no connection of its own).
    public mutating func endConnection(
        key: String, time: Double, via: CloseVia?, from: Direction? = nil, reason: String = "",
        into out: inout [TranscriptRecord]
    ) {
        let ending = via.map { SessionEnding(via: $0, from: from, reason: reason) }
        lastTime = max(lastTime, time)
        guard let session = messageSessions.removeValue(forKey: key) else { return }
        let start = out.count
        session.finish(time: time, ending: ending, into: &out)
        tally(out, from: start)
    }
}
