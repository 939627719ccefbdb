import PhoenixChecker
import PhoenixProtocol

/// A Mermaid `sequenceDiagram` of one connection, small enough to stay readable.
///
/// The subset it emits (`MermaidDiagramTests` checks it against a grammar of the subset,
/// `Tests/Peers/test_mermaid_real.py` with Mermaid's own parser):
///
///     sequenceDiagram
///         participant C as Client 127.0.0.1:60288
///         participant S as Server 127.0.0.1:4000
///         autonumber                                  only when message numbers run 1, 2, 3 ...
///         C->>S: phx_join room:lobby j=4 r=4          requests and pushes: solid arrows
///         S-->>C: phx_reply ok room:lobby j=4 r=4     replies: dotted arrows
///         C-xS: undecodable text frame                frames nobody can decode: crosses
///         Note over C,S: warning stale-join-ref       errors, warnings and closes
///
/// Text goes through `escape`: Mermaid ends a statement at `;` and reads `#...;` as an entity,
/// so `;`, `#`, quotes, angle brackets and `%` are written as entity codes (`#59;`, `#35;` ...).
public struct MermaidDiagram: Sendable {
    /// Messages drawn at most; the rest are summed up in a note (they are still listed in full).
    public var maxMessages: Int
    /// Labels longer than this are cut with an ellipsis.
    public var maxLabel: Int

    /// A diagram writer.
    public init(maxMessages: Int = 60, maxLabel: Int = 72) {
        self.maxMessages = maxMessages
        self.maxLabel = maxLabel
    }

    /// The diagram source (without the surrounding code fence) for one connection's records.
    public func render(open: OpenRecord?, records: [TranscriptRecord]) -> String {
        var lines = ["sequenceDiagram"]
        lines.append("    participant C as " + escape("Client" + (open.map { $0.client.isEmpty ? "" : " " + $0.client } ?? "")))
        lines.append("    participant S as " + escape("Server" + (open.map { $0.server.isEmpty ? "" : " " + $0.server } ?? "")))
        let messages = records.compactMap { r -> MessageRecord? in
            if case .message(let m) = r { return m }
            return nil
        }
        let numbered = messages.enumerated().allSatisfy { $0.offset + 1 == $0.element.seq }
        if numbered, !messages.isEmpty { lines.append("    autonumber") }
        var drawn = 0
        var skipped = 0
        for record in records {
            switch record {
            case .message(let m):
                guard drawn < maxMessages else {
                    skipped += 1
                    continue
                }
                drawn += 1
                lines.append("    " + arrow(m) + ": " + escape(cut((numbered ? "" : "\(m.seq) ") + label(m))))
                for a in m.annotations where a.severity >= .warning {
                    lines.append("    Note over C,S: " + escape(cut("\(a.severity.rawValue) \(a.rule)")))
                }
            case .annotation(let a) where a.finding.annotation.severity >= .warning && skipped == 0:
                lines.append("    Note over C,S: " + escape(cut("\(a.finding.annotation.severity.rawValue) \(a.finding.annotation.rule)")))
            case .close(let c) where skipped == 0:
                let who = c.from.map { "\($0.rawValue) closed" } ?? "connection ended"
                lines.append("    Note over C,S: " + escape(cut(who + (c.code.map { " with code \($0)" } ?? ""))))
            default:
                break
            }
        }
        if skipped > 0 {
            lines.append("    Note over C,S: " + escape("\(skipped) more message\(skipped == 1 ? "" : "s") not drawn, listed below"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func arrow(_ m: MessageRecord) -> String {
        let (a, b) = m.from == .client ? ("C", "S") : ("S", "C")
        guard let message = m.message else { return a + "-x" + b }
        return a + (message.reservedEvent == .reply ? "-->>" : "->>") + b
    }

    private func label(_ m: MessageRecord) -> String {
        guard let message = m.message else { return "undecodable \(m.opcode.rawValue) frame, \(m.raw.count) bytes" }
        var parts = [message.event]
        if let reply = message.reply { parts.append(reply.status) }
        parts.append(message.topic)
        parts.append("j=\(TextRenderer.refText(message.joinRef)) r=\(TextRenderer.refText(message.ref))")
        if m.opcode == .binary { parts.append("binary") }
        return parts.joined(separator: " ")
    }

    private func cut(_ s: String) -> String { TextRenderer.truncate(s, to: maxLabel) }

    /// Text safe inside a Mermaid sequence diagram statement: one line, no statement
    /// separators, no unintended entities or HTML.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case ";": out += "#59;"
            case "#": out += "#35;"
            case "\"": out += "#quot;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "%": out += "#37;"
            case "\n", "\r", "\r\n", "\t": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    private func escape(_ s: String) -> String { Self.escape(s) }
}
