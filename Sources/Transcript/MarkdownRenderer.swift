import PhoenixChecker
import PhoenixProtocol

/// Turns a transcript into a Markdown document a person can read and paste into an issue or
/// a guide: per connection its handshake, a Mermaid sequence diagram, then every message as a
/// numbered step with its raw frame, a one-line explanation and what the checker said.
///
/// Pure and deterministic: the same records give the same text (golden files depend on it).
public struct MarkdownRenderer: Sendable {
    /// Frames longer than this are shown cut, with their full size (a 70 kB frame helps nobody).
    public var maxRawBytes: Int
    /// The diagram's limits.
    public var diagram: MermaidDiagram

    /// A renderer.
    public init(maxRawBytes: Int = 1500, diagram: MermaidDiagram = MermaidDiagram()) {
        self.maxRawBytes = maxRawBytes
        self.diagram = diagram
    }

    /// The whole document.
    public func render(_ records: [TranscriptRecord]) -> String {
        var session: SessionRecord?
        var summary: SummaryRecord?
        var order: [Int] = []
        var byConn: [Int: [TranscriptRecord]] = [:]
        for record in records {
            switch record {
            case .session(let s):
                session = s
            case .summary(let s):
                summary = s
            default:
                guard let conn = record.conn else { continue }
                if byConn[conn] == nil { order.append(conn) }
                byConn[conn, default: []].append(record)
            }
        }
        var out = "# Phoenix exchange" + (session.map { ": " + Markdown.code($0.source) } ?? "") + "\n\n"
        let shown = byConn.values.reduce(0) { n, rs in n + rs.filter { if case .message = $0 { return true } else { return false } }.count }
        out += "\(order.count) connection\(order.count == 1 ? "" : "s"), \(shown) message\(shown == 1 ? "" : "s") shown"
        if let summary {
            out += " (of \(summary.messages) read; \(summary.errors) error\(summary.errors == 1 ? "" : "s"), "
                + "\(summary.warnings) warning\(summary.warnings == 1 ? "" : "s"), \(summary.infos) info in all)"
        }
        out += ". "
        if let session, let assumptions = TextRenderer.assumptions(session) { out += "Checked against \(assumptions). " }
        out += "Secrets appear as `[redacted len=N hash=H]`: the length of the original and a short hash, so equal secrets look equal.\n"
        for conn in order {
            out += "\n" + connection(conn, byConn[conn] ?? [])
        }
        return out
    }

    private func connection(_ conn: Int, _ records: [TranscriptRecord]) -> String {
        let open = records.lazy.compactMap { r -> OpenRecord? in
            if case .open(let o) = r { return o }
            return nil
        }.first
        let messages = records.compactMap { r -> MessageRecord? in
            if case .message(let m) = r { return m }
            return nil
        }
        var out = "## Connection \(conn)"
        if let open {
            out += ": " + (open.transport == .longpoll ? "LongPoll " : "WebSocket ") + Markdown.code(open.path)
        }
        out += "\n\n"
        if let open { out += handshake(open) + "\n" }
        if !messages.isEmpty || records.contains(where: { if case .close = $0 { return true } else { return false } }) {
            out += Markdown.fence(diagram.render(open: open, records: records), info: "mermaid") + "\n"
        }
        var explainer = MessageExplainer(open: open, messages: messages)
        let start = open?.time ?? messages.first?.time ?? 0
        for record in records {
            switch record {
            case .open:
                continue
            case .message(let m):
                out += message(m, explanation: explainer.explain(m), start: start)
            case .annotation(let a):
                let about = a.finding.refersTo.isEmpty
                    ? "" : " (about message\(a.finding.refersTo.count == 1 ? "" : "s") " + a.finding.refersTo.map(String.init).joined(separator: ", ") + ")"
                out += "> " + annotationText(a.finding.annotation) + about + "\n\n"
            case .close(let c):
                let who = c.from.map { "The \($0.rawValue) closed the connection" } ?? "The connection ended"
                let code = c.code.map { " with code \($0)" } ?? ""
                let reason = c.reason.isEmpty ? "" : ": " + c.reason.replacingNewlines()
                out += "**Close** (+\(offset(c.time, from: start))): \(who)\(code)\(reason).\n\n"
            case .session, .summary:
                continue
            }
        }
        return out
    }

    private func handshake(_ open: OpenRecord) -> String {
        var rows: [(String, String)] = []
        rows.append(("client → server", Markdown.code(open.client.isEmpty ? "?" : open.client) + " → "
            + Markdown.code(open.server.isEmpty ? "?" : open.server)))
        var answer = open.status.map { "HTTP \($0)" } ?? "not seen (the capture starts after it)"
        if open.transport == .longpoll, let status = open.status { answer = "Phoenix status \(status) in the first poll's answer" }
        rows.append(("handshake", answer))
        let vsn = open.vsn.map { "vsn \(Markdown.code($0))" } ?? "no vsn (Phoenix then uses V1)"
        let shape = open.serializer == .v1
            ? "V1 serializer: JSON objects `{topic, event, payload, ref, join_ref}`; the server never sends join_ref"
            : "V2 serializer: JSON arrays `[join_ref, ref, topic, event, payload]`, binary frames for binary payloads"
        rows.append(("serializer", vsn + ": " + shape))
        if !open.params.isEmpty {
            rows.append(("params", open.params.map { Markdown.code("\($0.name)=\($0.value)") }.joined(separator: " ")))
        }
        if !open.subprotocols.isEmpty { rows.append(("subprotocols", open.subprotocols.map(Markdown.code).joined(separator: " "))) }
        if let ext = open.extensions { rows.append(("extensions", Markdown.code(ext))) }
        return "| | |\n|---|---|\n" + rows.map { "| \($0.0) | \(Markdown.cell($0.1)) |" }.joined(separator: "\n") + "\n"
    }

    private func message(_ m: MessageRecord, explanation: String, start: Double) -> String {
        let direction = m.from == .client ? "client → server" : "server → client"
        var title = "### \(m.seq). \(direction)"
        if let message = m.message {
            title += ": " + Markdown.code(message.event)
            if let reply = message.reply { title += " " + reply.status }
            title += " on " + Markdown.code(message.topic)
        } else {
            title += ": undecodable"
        }
        var out = title + "\n\n"
        let carrier = m.transport == .longpoll ? (m.from == .client ? ", in a LongPoll POST" : ", in a LongPoll poll answer") : ""
        out += "+\(offset(m.time, from: start)) · \(m.opcode.rawValue) frame, \(m.raw.count) bytes\(carrier)\n\n"
        out += explanation + "\n\n"
        out += Markdown.frame(m.raw, opcode: m.opcode, maxBytes: maxRawBytes)
        for a in m.annotations { out += "- " + annotationText(a) + "\n" }
        if !m.annotations.isEmpty { out += "\n" }
        return out
    }

    private func annotationText(_ a: Annotation) -> String {
        "**\(a.severity.rawValue)** \(Markdown.code(a.rule)): \(a.text.replacingNewlines())"
    }

    /// `0.254 ms` after the connection opened, or seconds past one second.
    private func offset(_ time: Double, from start: Double) -> String {
        let d = max(0, time - start)
        if d >= 1 { return "\(Double(Int((d * 1000).rounded())) / 1000) s" }
        let micros = Int((d * 1_000_000).rounded())
        let frac = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - frac.count) + frac) ms"
    }
}
