import ArgumentParser
import PhoenixChecker
import Transcript

/// `--format`: how records are written.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text
    case jsonl
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
            "The Phoenix server version whose behaviour the checker assumes (default: the newest).",
            discussion: "Stale join_refs are dropped silently from 1.8.3 on; null join_refs were dropped from 1.8.3 to 1.8.11.",
            valueName: "x.y.z"))
    var phoenixVersion: String?

    func validate() throws {
        if let phoenixVersion, PhoenixVersion(phoenixVersion) == nil {
            throw ValidationError("--phoenix-version expects a version such as 1.8.3, not \"\(phoenixVersion)\"")
        }
    }

    var checkerOptions: CheckerOptions {
        CheckerOptions(phoenixVersion: phoenixVersion.flatMap(PhoenixVersion.init) ?? .newest)
    }
}

/// Options of every command that writes a transcript.
struct OutputOptionGroup: ParsableArguments {
    @Option(name: .long, help: "text (default on a terminal) or jsonl (default otherwise).")
    var format: OutputFormat?

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
    var output: String?

    @Flag(name: .long, help: "Keep tokens, cookies and CSRF values in the output (they are redacted by default).")
    var noRedact = false

    @Option(name: .long, help: "Also redact this query parameter or payload field (repeatable).")
    var redact: [String] = []

    var redactor: Redactor? { noRedact ? nil : Redactor(extra: redact) }
}
