import ArgumentParser
import PcapSource
import TapPipeline
import Transcript

/// `phxtap check`: run the checker again over recorded traffic and gate on what it finds.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check recorded traffic (a transcript, a HAR from a browser, or a capture) and exit 1 on findings.",
        discussion: """
            The checker runs over the wire bytes again, so a transcript recorded earlier is judged \
            by this version's rules, not by the annotations it was written with. It assumes what \
            the transcript was checked with (its first line: --phoenix-version, --push-timeout) \
            unless you give those options. A HAR exported from Chrome or Firefox (Network panel, "Save all as HAR") \
            needs no proxy: its WebSocket messages and LongPoll requests are checked the same way.

            Without --all it prints only what needs attention: annotated messages and standalone \
            findings, with every connection's open line for context, and a summary.

            Gate a client's CI on it:
              phxtap proxy --upstream http://127.0.0.1:4000 --record session.jsonl &
              ... run the client's test suite against 127.0.0.1:4001 ...
              phxtap check session.jsonl

            Examples:
              phxtap check session.jsonl
              phxtap check --fail-on warning --phoenix-version 1.8.5 browser.har
              phxtap check --format markdown -o findings.md --topic 'room:*' session.jsonl

            Exits 1 when findings reach --fail-on (default error), 2 when no input could be read.
            """
    )

    @Argument(help: "phxtap/1 transcripts (.jsonl), HAR files or captures; - reads a transcript or a capture from standard input.")
    var inputs: [String]

    @OptionGroup var outputOptions: OutputOptionGroup
    @OptionGroup var filterOptions: FilterOptionGroup
    @OptionGroup var checkerOptions: CheckerOptionGroup

    @Option(name: .long, help: "Exit 1 when findings reach this severity: error, warning, info or never.")
    var failOn: FailOn = .error

    @Flag(name: .long, help: "Print the whole re-checked transcript, not only the findings, their connections and the summary.")
    var all = false

    func run() throws {
        try InputRunner.refuseOverwrite(output: outputOptions.output, inputs: inputs)
        let output = try LineOutput.open(outputOptions.output)
        let format = outputOptions.format ?? (output.isTerminal ? .text : .jsonl)
        let writer = RecordWriter(
            output: output, format: format, filter: filterOptions.filter,
            payloadRedactor: format.isExport ? outputOptions.redactor : nil)
        var runner = InputRunner(captureOptions: CaptureOptions())
        let checker = checkerOptions.checkerOptions(for: inputs, runner: &runner)
        var pipeline = Pipeline(options: PipelineOptions(checker: checker, redactor: outputOptions.redactor))
        let summary = try runner.runAll(
            inputs, pipeline: &pipeline, emit: { records in writer.write(all ? records : records.filter(Self.isFinding)) },
            show: writer.show, flush: writer.flush)
        try failOn.enforce(summary)
    }

    /// Without --all: annotated messages, standalone findings, the lines that give them context
    /// (session, open) and the summary.
    static func isFinding(_ record: TranscriptRecord) -> Bool {
        switch record {
        case .message(let m): return !m.annotations.isEmpty
        case .close: return false
        default: return true
        }
    }
}
