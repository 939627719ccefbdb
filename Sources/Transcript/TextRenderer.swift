import PhoenixChecker
import PhoenixProtocol

/// Renders records for a terminal: one line per message with time, connection, direction,
/// topic, event, refs, a compact payload and the annotations. Colour is the caller's choice
/// (on for terminals only), so the renderer stays pure and testable.
public struct TextRenderer: Sendable {
    public var color: Bool
    /// Payloads longer than this are cut with an ellipsis.
    public var payloadWidth: Int

    public init(color: Bool = false, payloadWidth: Int = 120) {
        self.color = color
        self.payloadWidth = payloadWidth
    }

    /// What the checker assumed, for a session's heading: `Phoenix 1.7.24 behaviour, 2 s push
    /// timeout`; nil when the record says nothing of it.
    static func assumptions(_ session: SessionRecord) -> String? {
        let parts = [
            session.phoenixVersion.map { "Phoenix \($0) behaviour" },
            session.pushTimeout.map { "\(DurationText.of($0)) push timeout" },
        ].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The text for one record, without a trailing newline.
    public func render(_ record: TranscriptRecord) -> String {
        switch record {
        case .session(let r):
            return paint("phxtap/1 transcript of \(r.source)" + (Self.assumptions(r).map { " (\($0))" } ?? ""), .dim)
        case .open(let r):
            var parts = [Self.clock(r.time), paint("#\(r.conn)", .bold), "open", "\(r.client) → \(r.server)", r.transport.rawValue, r.path]
            let query = r.params.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            if !query.isEmpty { parts.append("?" + query) }
            parts.append("serializer \(r.serializer.rawValue)")
            if let status = r.status { parts.append(paint("HTTP \(status)", status == 101 || status == 200 ? .green : .red)) }
            return parts.joined(separator: " ")
        case .message(let r):
            return message(r)
        case .annotation(let r):
            let refs = r.finding.refersTo.isEmpty ? "" : " (#" + r.finding.refersTo.map(String.init).joined(separator: ", #") + ")"
            return [Self.clock(r.finding.time), paint("#\(r.conn)", .bold), annotation(r.finding.annotation) + refs].joined(separator: " ")
        case .close(let r):
            let what: String
            if r.via == .closeFrame {
                let who = r.from.map { "close frame from the \($0.rawValue)" } ?? "close frame"
                let code = r.code.map { ", code \($0)" } ?? ", no code"
                let reason = r.reason.isEmpty ? "" : ", reason \(JSONText.quoted(r.reason))"
                what = who + code + reason
            } else {
                what = r.reason
            }
            return [Self.clock(r.time), paint("#\(r.conn)", .bold), paint("close", .dim), what].joined(separator: " ")
        case .summary(let r):
            return paint(
                "summary: \(r.connections) connection\(r.connections == 1 ? "" : "s"), \(r.messages) message\(r.messages == 1 ? "" : "s"), "
                    + "\(r.decodeErrors) undecodable, \(r.errors) error\(r.errors == 1 ? "" : "s"), "
                    + "\(r.warnings) warning\(r.warnings == 1 ? "" : "s"), \(r.infos) info", .bold)
        }
    }

    private func message(_ r: MessageRecord) -> String {
        var parts = [Self.clock(r.time), paint("#\(r.conn)", .bold), paint("\(r.seq)", .dim)]
        parts.append(r.from == .client ? paint("C→S", .cyan) : paint("S→C", .magenta))
        switch r.decoded {
        case .success(let m):
            parts.append(m.topic)
            parts.append(paint(m.event, eventStyle(m)))
            parts.append(paint("j=\(Self.refText(m.joinRef)) r=\(Self.refText(m.ref))", .dim))
            if let reply = m.reply {
                parts.append(paint(reply.status, reply.status == "ok" ? .green : .red))
                parts.append(compact(reply.response))
            } else {
                parts.append(compact(m.payload))
            }
            if let replyTo = r.replyTo {
                let rtt = r.roundTrip.map { ", " + DurationText.of($0) } ?? ""
                parts.append(paint("(reply to \(replyTo)\(rtt))", .dim))
            }
        case .failure(let error):
            parts.append(paint("undecodable \(r.opcode.rawValue) frame, \(r.raw.count) bytes: \(error)", .red))
        }
        for a in r.annotations { parts.append(annotation(a)) }
        return parts.joined(separator: " ")
    }

    private func annotation(_ a: Annotation) -> String {
        let style: Style = a.severity == .error ? .red : a.severity == .warning ? .yellow : .blue
        return paint("[\(a.severity.rawValue) \(a.rule): \(a.text)]", style)
    }

    private func eventStyle(_ m: PhoenixMessage) -> Style {
        switch m.reservedEvent {
        case .error, .close: return .red
        case .join, .leave, .reply: return .bold
        case .heartbeat: return .dim
        default: return .plain
        }
    }

    private func compact(_ payload: Payload) -> String {
        switch payload {
        case .json(let json):
            return Self.truncate(String(decoding: json, as: UTF8.self), to: payloadWidth)
        case .binary(let bytes):
            let head = bytes.prefix(16).map { Self.hexByte($0) }.joined(separator: " ")
            return "<binary \(bytes.count) bytes\(bytes.isEmpty ? "" : ": " + head)\(bytes.count > 16 ? " …" : "")>"
        }
    }

    // MARK: Formatting helpers

    static func refText(_ ref: Ref?) -> String {
        guard let ref else { return "null" }
        if ref.kind == .string { return ref.text }
        return ref.jsonText  // numbers and others stand out by being unquoted in JSON, so show them as JSON
    }

    static func truncate(_ s: String, to width: Int) -> String {
        guard s.count > width else { return s }
        return String(s.prefix(max(width - 1, 0))) + "…"
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    /// UTC wall-clock time with microseconds: `10:10:57.280528`.
    static func clock(_ time: Double) -> String {
        let micros = Int64((time * 1_000_000).rounded())
        let secondsOfDay = (micros / 1_000_000) % 86_400
        let fraction = micros % 1_000_000
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let f = String(fraction)
        return "\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))."
            + String(repeating: "0", count: 6 - f.count) + f
    }

    // MARK: Colour

    enum Style {
        case plain, bold, dim, red, green, yellow, blue, magenta, cyan

        var code: String {
            switch self {
            case .plain: return ""
            case .bold: return "1"
            case .dim: return "2"
            case .red: return "31"
            case .green: return "32"
            case .yellow: return "33"
            case .blue: return "34"
            case .magenta: return "35"
            case .cyan: return "36"
            }
        }
    }

    func paint(_ s: String, _ style: Style) -> String {
        guard color, style != .plain else { return s }
        return "\u{1B}[\(style.code)m\(s)\u{1B}[0m"
    }
}
