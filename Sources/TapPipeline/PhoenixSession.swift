import PhoenixChecker
import PhoenixProtocol
import Transcript

/// One Phoenix socket as the transcript sees it: a WebSocket connection, or a LongPoll session
/// that spans many HTTP requests. It numbers messages, decodes them with the connection's
/// serializer and runs them through the connection's checker.
///
/// A class on purpose: the pipeline keeps sessions in dictionaries, and a struct taken out,
/// changed and put back would copy the checker's tables (every outstanding push) per message.
final class PhoenixSession {
    let conn: Int
    let transport: Transport
    let serializer: Serializer
    var checker: ConnectionChecker
    /// The connection's topics, events and statuses, decoded once each. Unchecked exclusivity:
    /// only `message` touches it, and the runtime check on every message cost two fifths of
    /// what the cache saves (about 120 of 300 instructions a message).
    @exclusivity(unchecked) private var names = NameCache()
    private(set) var seq = 0
    private(set) var lastTime: Double
    /// Whether a WebSocket close frame was recorded (else the TCP end gets a close line).
    var sawCloseFrame = false
    var finished = false

    init(conn: Int, transport: Transport, serializer: Serializer, options: CheckerOptions, time: Double) {
        self.conn = conn
        self.transport = transport
        self.serializer = serializer
        self.checker = ConnectionChecker(options: options)
        self.lastTime = time
    }

    /// The handshake's findings (vsn, refusals) as annotation lines.
    func opened(time: Double, vsn: String?, status: Int?, into out: inout [TranscriptRecord]) {
        for annotation in checker.opened(time: time, transport: transport, vsn: vsn, httpStatus: status) {
            out.append(.annotation(AnnotationRecord(conn: conn, finding: Finding(annotation: annotation, time: time, refersTo: []))))
        }
    }

    /// One data message: findings that became certain by its time first, then the message line.
    /// `seq` is given when replaying a transcript (which may have been filtered); live and
    /// offline traffic is numbered here.
    func message(
        from: Direction, opcode: DataOpcode, bytes: Bytes, time: Double, seq givenSeq: Int? = nil,
        into out: inout [TranscriptRecord]
    ) {
        seq = givenSeq ?? seq + 1
        lastTime = max(lastTime, time)
        // Decoded and checked without a `Result` in between: wrapping the message in one copied it.
        do throws(DecodeError) {
            let message = try PhoenixDecoder.decode(bytes, opcode: opcode, from: from, serializer: serializer, names: &names)
            let verdict = checker.message(decoded: message, seq: seq, time: time, from: from, opcode: opcode)
            append(verdict.findings, into: &out)
            out.append(.message(MessageRecord(
                conn: conn, seq: seq, time: time, from: from, opcode: opcode, raw: bytes, message: message,
                replyTo: verdict.replyTo, roundTrip: verdict.roundTrip, transport: transport, annotations: verdict.annotations)))
        } catch {
            let verdict = checker.message(undecodable: error, seq: seq, time: time, from: from, opcode: opcode)
            append(verdict.findings, into: &out)
            out.append(.message(MessageRecord(
                conn: conn, seq: seq, time: time, from: from, opcode: opcode, raw: bytes, decoded: .failure(error),
                replyTo: verdict.replyTo, roundTrip: verdict.roundTrip, transport: transport, annotations: verdict.annotations)))
        }
    }

    func closeFrame(from: Direction, code: UInt16?, reason: String, time: Double, into out: inout [TranscriptRecord]) {
        lastTime = max(lastTime, time)
        sawCloseFrame = true
        out.append(.close(CloseRecord(conn: conn, time: time, from: from, code: code, reason: reason)))
        append(checker.closed(time: time, from: from, code: code, reason: reason), into: &out)
    }

    func violation(id: String, text: String, time: Double, into out: inout [TranscriptRecord]) {
        lastTime = max(lastTime, time)
        append([checker.wireViolation(id: id, text: text, time: time, seq: nil)], into: &out)
    }

    func longPollStatus(_ status: Int, method: String, time: Double, into out: inout [TranscriptRecord]) {
        lastTime = max(lastTime, time)
        append(checker.longPollResponse(time: time, method: method, status: status), into: &out)
    }

    /// Settles what is pending. `ending` describes a connection that ended without a close
    /// frame (nil: say nothing more).
    func finish(time: Double, ending: SessionEnding?, into out: inout [TranscriptRecord]) {
        guard !finished else { return }
        finished = true
        if let ending, !sawCloseFrame {
            out.append(.close(CloseRecord(conn: conn, time: time, via: ending.via, from: ending.from, code: nil, reason: ending.reason)))
        }
        let wentAway = ending.map { $0.via == .tcpFin || $0.via == .tcpReset } ?? false
        append(checker.finish(time: max(time, lastTime), connectionEnded: wentAway), into: &out)
    }

    private func append(_ findings: [Finding], into out: inout [TranscriptRecord]) {
        for finding in findings {
            out.append(.annotation(AnnotationRecord(conn: conn, finding: finding)))
        }
    }
}

/// How a session ended when no close frame says so.
struct SessionEnding {
    var via: CloseVia
    var from: Direction?
    var reason: String
}
