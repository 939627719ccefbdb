import PhoenixChecker
import PhoenixProtocol
import Testing

/// A playbook: frames as they were on the wire go in, one at a time with their times, through
/// `PhoenixDecoder` and one `ConnectionChecker`; what the checker said comes out.
struct Playbook {
    var checker: ConnectionChecker
    var serializer: Serializer
    private(set) var seq = 0
    /// Everything said, in order: per-message annotations (with their seq) and findings.
    private(set) var said: [Said] = []
    private(set) var verdicts: [Int: MessageVerdict] = [:]

    struct Said: CustomStringConvertible {
        var rule: String
        var severity: Severity
        var text: String
        /// The message annotated, or the messages a finding refers to.
        var seqs: [Int]
        var isFinding: Bool

        var description: String { "\(rule)(\(severity)) \(seqs): \(text)" }
    }

    init(version: String? = nil, vsn: String? = "2.0.0", transport: Transport = .websocket, status: Int? = nil, at time: Double = 0) {
        var options = CheckerOptions()
        if let version { options.phoenixVersion = PhoenixVersion(version)! }
        checker = ConnectionChecker(options: options)
        serializer = VsnNegotiation.negotiate(vsn: vsn).serializer ?? .v2
        let opened = checker.opened(time: time, transport: transport, vsn: vsn, httpStatus: status ?? (transport == .websocket ? 101 : 410))
        said += opened.map { Said(rule: $0.rule, severity: $0.severity, text: $0.text, seqs: [], isFinding: false) }
    }

    /// A client text frame at `time`; returns its seq.
    @discardableResult
    mutating func client(_ frame: String, at time: Double) -> Int { feed(Array(frame.utf8), .text, .client, time) }

    /// A server text frame at `time`; returns its seq.
    @discardableResult
    mutating func server(_ frame: String, at time: Double) -> Int { feed(Array(frame.utf8), .text, .server, time) }

    /// A frame given as bytes (binary frames, invalid UTF-8).
    @discardableResult
    mutating func feed(_ bytes: [UInt8], _ opcode: DataOpcode, _ from: Direction, _ time: Double) -> Int {
        seq += 1
        let decoded: Result<PhoenixMessage, DecodeError>
        do {
            decoded = .success(try PhoenixDecoder.decode(bytes[...], opcode: opcode, from: from, serializer: serializer))
        } catch {
            decoded = .failure(error)
        }
        let verdict = checker.message(ObservedMessage(seq: seq, time: time, from: from, opcode: opcode, decoded: decoded))
        verdicts[seq] = verdict
        record(verdict.findings)
        said += verdict.annotations.map { Said(rule: $0.rule, severity: $0.severity, text: $0.text, seqs: [seq], isFinding: false) }
        return seq
    }

    mutating func close(from: Direction?, code: UInt16?, reason: String = "", at time: Double) {
        record(checker.closed(time: time, from: from, code: code, reason: reason))
    }

    mutating func finish(at time: Double) {
        record(checker.finish(time: time))
    }

    /// The TCP connection ended without the WebSocket close handshake.
    mutating func connectionEnded(at time: Double) {
        record(checker.finish(time: time, connectionEnded: true))
    }

    mutating func longPoll(_ method: String, status: Int, at time: Double) {
        record(checker.longPollResponse(time: time, method: method, status: status))
    }

    private mutating func record(_ findings: [Finding]) {
        said += findings.map {
            Said(rule: $0.annotation.rule, severity: $0.annotation.severity, text: $0.annotation.text, seqs: $0.refersTo, isFinding: true)
        }
    }

    /// Rule ids said, in order.
    var rules: [String] { said.map(\.rule) }

    /// What was said with rule `id`.
    func with(_ id: String) -> [Said] { said.filter { $0.rule == id } }

    /// Rule ids said about message `seq` (annotated, or referred to by a finding).
    func rules(on seq: Int) -> [String] { said.filter { $0.seqs.contains(seq) }.map(\.rule) }

    /// Everything of severity warning or error.
    var problems: [Said] { said.filter { $0.severity >= .warning } }
}

/// A joined channel on `topic` with join_ref = ref = "1", as phoenix.js does it.
func joined(_ topic: String = "room:lobby", version: String? = nil) -> Playbook {
    var p = Playbook(version: version)
    p.client(#"["1","1","\#(topic)","phx_join",{}]"#, at: 0)
    p.server(#"["1","1","\#(topic)","phx_reply",{"response":{},"status":"ok"}]"#, at: 0.01)
    return p
}
