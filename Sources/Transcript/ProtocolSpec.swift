public import PhoenixChecker
import PhoenixProtocol

/// A protocol reference built from the rule catalog and real traffic (`phxtap spec`): one real
/// example of each kind of message, drawn from the transcripts given, each with its explanation,
/// then every rule the checker applies, grouped by topic.
public struct ProtocolSpec: Sendable {
    /// The transcripts to draw examples from, each named by its source (e.g. `basic.pcap`),
    /// in order of preference: the first example of a kind wins.
    public var transcripts: [(source: String, records: [TranscriptRecord])]
    /// The rules to list.
    public var rules: [Rule]
    /// Frames longer than this are shown cut.
    public var maxRawBytes: Int

    /// A reference.
    public init(transcripts: [(source: String, records: [TranscriptRecord])], rules: [Rule] = RuleCatalog.all, maxRawBytes: Int = 700) {
        self.transcripts = transcripts
        self.rules = rules
        self.maxRawBytes = maxRawBytes
    }

    /// One example: where it came from and what it says.
    struct Example {
        var source: String
        var conn: Int
        var record: MessageRecord
        var explanation: String
    }

    /// The first example of every kind, in the transcripts' order.
    func examples() -> [MessageKind: Example] {
        var found: [MessageKind: Example] = [:]
        for (source, records) in transcripts {
            var opens: [Int: OpenRecord] = [:]
            var messages: [Int: [MessageRecord]] = [:]
            var order: [Int] = []
            for record in records {
                switch record {
                case .open(let o):
                    opens[o.conn] = o
                    if messages[o.conn] == nil { order.append(o.conn) }
                    messages[o.conn, default: []] += []
                case .message(let m):
                    if messages[m.conn] == nil { order.append(m.conn) }
                    messages[m.conn, default: []].append(m)
                default:
                    break
                }
            }
            for conn in order {
                let list = messages[conn] ?? []
                let bySeq = Dictionary(list.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
                var explainer = MessageExplainer(open: opens[conn], messages: list)
                let serializer = explainer.serializer
                for m in list {
                    let explanation = explainer.explain(m)
                    for kind in MessageKind.classify(m, push: m.replyTo.flatMap { bySeq[$0] }, serializer: serializer)
                    where found[kind] == nil {
                        found[kind] = Example(source: source, conn: conn, record: m, explanation: explanation)
                    }
                }
            }
        }
        return found
    }

    /// The whole reference as Markdown.
    public func render() -> String {
        let examples = examples()
        var out = "# Phoenix Channels protocol reference\n\n"
        out += "Built by `phxtap spec` from PhoenixTap's rule catalog (\(rules.count) rules) and real traffic: "
            + transcripts.map { Markdown.code($0.source) }.joined(separator: ", ") + ". "
        out += "Every example below is a frame exactly as it was on the wire (secrets redacted as "
            + "`[redacted len=N hash=H]`), with the explanation `phxtap export` gives it.\n\n"
        out += "V2 text frames are JSON arrays `[join_ref, ref, topic, event, payload]`; V1 frames are JSON objects; "
            + "V2 binary frames start with a kind byte (0 push, 1 reply, 2 broadcast) and one-byte field sizes.\n\n"
        out += "## Messages\n\n"
        var missing: [MessageKind] = []
        for kind in MessageKind.allCases {
            guard let example = examples[kind] else {
                missing.append(kind)
                continue
            }
            out += "### \(kind.title)\n\n\(kind.summary)\n\n"
            let m = example.record
            let who = m.from == .client ? "client → server" : "server → client"
            out += "From \(Markdown.code(example.source)), connection \(example.conn), message \(m.seq) (\(who), "
                + "\(m.opcode.rawValue) frame, \(m.raw.count) bytes):\n\n"
            out += Markdown.frame(m.raw, opcode: m.opcode, maxBytes: maxRawBytes, maxHexBytes: 64)
            out += example.explanation + "\n\n"
        }
        if !missing.isEmpty {
            out += "Not seen in these captures: " + missing.map(\.title).joined(separator: ", ") + ".\n\n"
        }
        out += "## Rules\n\n"
        out += "What `phxtap` checks. Severity: **error** is a protocol violation (the peer rejects or silently drops "
            + "the message, or the frame is malformed), **warning** is legal but a likely bug, **info** is worth knowing. "
            + "Ids are stable: they appear in transcripts and in `--fail-on` decisions.\n\n"
        for topic in RuleTopic.allCases {
            let group = rules.filter { $0.topic == topic }
            guard !group.isEmpty else { continue }
            out += "### \(topic.title)\n\n"
            for rule in group {
                out += "#### \(Markdown.code(rule.id)) (\(rule.severity.rawValue))\n\n"
                out += rule.summary.replacingNewlines() + " " + rule.explanation.replacingNewlines() + "\n\n"
                var facts = ["Basis: " + rule.basis.replacingNewlines()]
                if rule.appliesTo != .all { facts.append("applies to Phoenix \(rule.appliesTo)") }
                for change in rule.severityChanges {
                    facts.append("\(change.severity.rawValue) on \(change.versions): \(change.reason.replacingNewlines())")
                }
                if !rule.section9.isEmpty {
                    facts.append("PROTOCOL.md section 9 rule\(rule.section9.count == 1 ? "" : "s") "
                        + rule.section9.map(String.init).joined(separator: ", "))
                }
                out += facts.joined(separator: "; ") + ".\n\n"
            }
        }
        return out
    }
}
