import PhoenixProtocol

/// Renders the rule catalog for `phxtap rules`: a terminal listing, a Markdown protocol reference
/// that a client author reads top to bottom, or JSON for tools.
public enum RuleCatalogRenderer {
    /// The output formats.
    public enum Format: String, Sendable, CaseIterable {
        /// Plain text for a terminal, wrapped at 100 columns.
        case text
        /// A Markdown reference grouped by topic.
        case markdown
        /// A JSON array of rule objects.
        case json
    }

    /// The catalog (or `rules`) in `format`, ending with a newline.
    public static func render(_ rules: [Rule] = RuleCatalog.all, format: Format) -> String {
        switch format {
        case .text: return text(rules)
        case .markdown: return markdown(rules)
        case .json: return json(rules)
        }
    }

    /// One sentence per topic, for the reference's section openings.
    static func introduction(_ topic: RuleTopic) -> String {
        switch topic {
        case .handshake: return "How the connect request chooses a serializer, and when the server refuses it."
        case .envelope: return "The shape of every frame: what Phoenix can decode, and the fields it fills in."
        case .refs: return "refs match replies to pushes; join_refs tie every message to one join of a topic."
        case .replies: return "Each client push gets at most one reply, on its topic, carrying its ref, within the client's timeout."
        case .lifecycle: return "A topic is joined, used, left or ended by the server; pushes are only valid while it is joined."
        case .heartbeats: return "The client keeps the connection alive; the server only answers and closes idle sockets."
        case .presence: return "presence_state and presence_diff keep a replica of who is on a topic."
        case .longpoll: return "LongPoll carries the same messages over HTTP polls, with the Phoenix status inside the JSON body."
        case .liveview: return "LiveView runs on ordinary channels on lv: topics, with a few rules of its own."
        case .websocket: return "Emitted by the frame layer: RFC 6455 framing and RFC 7692 compression."
        case .source: return "Emitted by the capture reader and the proxy: what PhoenixTap could not see."
        }
    }

    static func severityLine(_ rule: Rule) -> String {
        var line = rule.severity.rawValue
        for change in rule.severityChanges {
            line += "; \(change.severity.rawValue) on \(change.versions): \(change.reason)"
        }
        return line
    }

    private static func text(_ rules: [Rule]) -> String {
        var out = ""
        for topic in RuleTopic.allCases {
            let group = rules.filter { $0.topic == topic }
            guard !group.isEmpty else { continue }
            out += "\(topic.title)\n"
            for rule in group {
                let severity = rule.severity.rawValue + String(repeating: " ", count: 8 - rule.severity.rawValue.count)
                out += "  \(severity) \(rule.id)\n"
                out += wrap(rule.summary, indent: 11)
                out += wrap(rule.explanation, indent: 11)
                if !rule.severityChanges.isEmpty || rule.appliesTo != .all {
                    out += wrap("Versions: \(rule.appliesTo); severity \(severityLine(rule))", indent: 11)
                }
                out += wrap("Basis: \(rule.basis)", indent: 11)
            }
            out += "\n"
        }
        return out
    }

    private static func markdown(_ rules: [Rule]) -> String {
        var out = """
            # Phoenix Channels: the rules PhoenixTap checks

            Each rule has a stable id, written into transcripts. Severity: **error**, a protocol violation (the \
            peer rejects or silently drops the message, or the frame is malformed); **warning**, legal on the \
            wire but a likely bug; **info**, worth knowing. Where Phoenix versions behave differently, the \
            severity is given per version; `--phoenix-version X.Y.Z` selects one (default: the newest \
            behaviour). "J" is a join_ref and "R" a ref.


            """
        for topic in RuleTopic.allCases {
            let group = rules.filter { $0.topic == topic }
            guard !group.isEmpty else { continue }
            out += "## \(topic.title)\n\n\(introduction(topic))\n\n"
            for rule in group {
                out += "### `\(rule.id)`\n\n**\(rule.summary)**\n\n\(rule.explanation)\n\n"
                out += "- Severity: \(severityLine(rule))\n"
                out += "- Versions: \(rule.appliesTo)\n"
                if !rule.section9.isEmpty {
                    out += "- PROTOCOL.md section 9: \(rule.section9.map(String.init).joined(separator: ", "))\n"
                }
                out += "- Basis: \(rule.basis)\n\n"
            }
        }
        return out
    }

    private static func json(_ rules: [Rule]) -> String {
        func version(_ v: PhoenixVersion?) -> String { v.map { JSONText.quoted($0.description) } ?? "null" }
        let objects = rules.map { rule -> String in
            let changes = rule.severityChanges.map { change in
                "{\"from\":\(version(change.versions.from)),\"through\":\(version(change.versions.through)),"
                    + "\"severity\":\(JSONText.quoted(change.severity.rawValue)),\"reason\":\(JSONText.quoted(change.reason))}"
            }
            let fields = [
                "\"id\":\(JSONText.quoted(rule.id))",
                "\"severity\":\(JSONText.quoted(rule.severity.rawValue))",
                "\"topic\":\(JSONText.quoted(rule.topic.rawValue))",
                "\"summary\":\(JSONText.quoted(rule.summary))",
                "\"explanation\":\(JSONText.quoted(rule.explanation))",
                "\"basis\":\(JSONText.quoted(rule.basis))",
                "\"applies_to\":{\"from\":\(version(rule.appliesTo.from)),\"through\":\(version(rule.appliesTo.through))}",
                "\"section9\":[\(rule.section9.map(String.init).joined(separator: ","))]",
                "\"severity_changes\":[\(changes.joined(separator: ","))]",
            ]
            return "  {" + fields.joined(separator: ",") + "}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    /// Greedy word wrap at 100 columns with a hanging indent.
    static func wrap(_ text: String, indent: Int, width: Int = 100) -> String {
        let pad = String(repeating: " ", count: indent)
        var out = ""
        var line = pad
        for word in text.split(separator: " ") {
            if line.count > indent, line.count + 1 + word.count > width {
                out += line + "\n"
                line = pad
            }
            line += (line.count > indent ? " " : "") + word
        }
        if line.count > indent { out += line + "\n" }
        return out
    }
}
