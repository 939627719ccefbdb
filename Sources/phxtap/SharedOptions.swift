import ArgumentParser
import PhoenixChecker
import PhoenixProtocol
import Transcript

/// `--format`: how records are written.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text
    case jsonl
    case markdown
    case har

    /// Exports are documents for other people and tools: they are written whole at the end,
    /// and their payloads are redacted too (not only connection parameters).
    var isExport: Bool { self == .markdown || self == .har }
}

/// `--fail-on`: the severity from which findings make the command exit 1.
enum FailOn: String, CaseIterable, ExpressibleByArgument {
    case error
    case warning
    case info
    case never

    var severity: Severity? {
        switch self {
        case .error: return .error
        case .warning: return .warning
        case .info: return .info
        case .never: return nil
        }
    }

    /// Exits 1 when the summary has findings at or above this level.
    func enforce(_ summary: SummaryRecord) throws {
        guard let severity, summary.count(atLeast: severity) > 0 else { return }
        throw ExitCode(1)
    }
}

/// Options of every command that runs the checker.
struct CheckerOptionGroup: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The Phoenix server version whose behaviour the checker assumes (default: a transcript's own, else the newest).",
            discussion: "Stale join_refs are dropped silently from 1.8.3 on; null join_refs were dropped from 1.8.3 to 1.8.11.",
            valueName: "x.y.z"))
    var phoenixVersion: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "How long your client waits for the reply to a join or push, in seconds (default: a transcript's own, else 10, as phoenix.js).",
            discussion: "Join and push timeouts, late replies and rejoins after a timeout are judged by it. lv: topics keep LiveView's 30 s.",
            valueName: "seconds"))
    var pushTimeout: Double?

    func validate() throws {
        if let phoenixVersion, PhoenixVersion(phoenixVersion) == nil {
            throw ValidationError("--phoenix-version expects a version such as 1.8.3, not \"\(phoenixVersion)\"")
        }
        if let pushTimeout, Self.validPushTimeout(pushTimeout) == nil {
            throw ValidationError("--push-timeout expects seconds above 0 and below a day, not \(pushTimeout)")
        }
    }

    /// `seconds` if it can be a client's push timeout: above 0 and below a day.
    static func validPushTimeout(_ seconds: Double?) -> Double? {
        guard let seconds, seconds > 0, seconds < 86_400 else { return nil }
        return seconds
    }

    var checkerOptions: CheckerOptions {
        var options = CheckerOptions(phoenixVersion: phoenixVersion.flatMap(PhoenixVersion.init) ?? .newest)
        if let pushTimeout { options.pushTimeout = pushTimeout }
        return options
    }

    /// The options for a run of `runner` over `inputs`: the command line's, and where it is silent,
    /// what the transcripts among the inputs were checked with (their session lines), so that
    /// checking a transcript again judges its traffic as the run that wrote it did (`proxy
    /// --phoenix-version 1.7.24` then `check`). Where transcripts disagree, the default stands
    /// and a sentence on standard error says so.
    func checkerOptions(for inputs: [String], runner: inout InputRunner) -> CheckerOptions {
        let (options, notes) = checkerOptions(adopting: runner.sessionRecords(of: inputs))
        for note in notes { Terminal.printError("phxtap: \(note)") }
        return options
    }

    /// The options given these transcripts' session lines, and a sentence for each setting they
    /// disagree on.
    func checkerOptions(adopting recorded: [SessionRecord]) -> (options: CheckerOptions, notes: [String]) {
        var notes: [String] = []
        /// The one value the transcripts agree on, if they recorded any.
        func agreed<Value: Hashable>(_ value: (SessionRecord) -> Value?, option: String, describe: (Value) -> String) -> Value? {
            let values = recorded.compactMap(value)
            let distinct = values.reduce(into: [Value]()) { if !$0.contains($1) { $0.append($1) } }
            guard distinct.count > 1 else { return distinct.first }
            notes.append("the transcripts were checked with different \(option) values (\(distinct.map(describe).joined(separator: ", "))); "
                + "the default applies to all of them unless you give \(option)")
            return nil
        }
        var options = checkerOptions
        if phoenixVersion == nil,
            let version = agreed({ $0.phoenixVersion.flatMap(PhoenixVersion.init) }, option: "--phoenix-version", describe: { "\($0)" }) {
            options.phoenixVersion = version
        }
        // A transcript that records no push timeout was checked with phoenix.js's, the default.
        if pushTimeout == nil,
            let timeout = agreed({ Self.validPushTimeout($0.pushTimeout) ?? CheckerOptions.phoenixJSPushTimeout }, option: "--push-timeout", describe: DurationText.of) {
            options.pushTimeout = timeout
        }
        return (options, notes)
    }
}

/// Options of every command that writes a transcript.
struct OutputOptionGroup: ParsableArguments {
    @Option(name: .long, help: "text (default on a terminal), jsonl (default otherwise), markdown or har.")
    var format: OutputFormat?

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
    var output: String?

    @Flag(name: .long, help: "Keep tokens, cookies and CSRF values in the output (they are redacted by default).")
    var noRedact = false

    @Option(name: .long, help: ArgumentHelp(
        "Also redact this query parameter, header or payload field (repeatable).",
        discussion: "Connection parameters are redacted in every format; payload fields in markdown and har exports.",
        valueName: "key"))
    var redact: [String] = []

    var redactor: Redactor? { noRedact ? nil : Redactor(extra: redact) }
}

/// Which records to show; every command that writes records applies them in `RecordWriter`.
struct FilterOptionGroup: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only this connection (repeatable).", valueName: "n"))
    var conn: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Only messages on this topic; a trailing * matches any suffix, e.g. 'room:*' (repeatable).",
                                            valueName: "topic"))
    var topic: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only messages with this event, e.g. phx_join (repeatable).", valueName: "event"))
    var event: [String] = []

    @Flag(name: .long, help: "Leave out heartbeats and their replies.")
    var hideHeartbeats = false

    @Option(name: .long, help: ArgumentHelp("Show at most this many messages.", valueName: "n"))
    var maxMessages: Int?

    func validate() throws {
        if let maxMessages, maxMessages < 0 { throw ValidationError("--max-messages must be 0 or more, not \(maxMessages)") }
        if let bad = conn.first(where: { $0 < 1 }) { throw ValidationError("--conn numbers start at 1, not \(bad)") }
    }

    var filter: RecordFilter {
        RecordFilter(conns: Set(conn), topics: topic, events: Set(event), hideHeartbeats: hideHeartbeats, maxMessages: maxMessages)
    }
}
