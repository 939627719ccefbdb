import ArgumentParser
import PcapSource
import TapPipeline
import Transcript

/// `phxtap export`: a recorded exchange as a document for people (Markdown) or tools (HAR).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Turn a transcript, capture or HAR into Markdown for people or HAR for browser tools.",
        discussion: """
            markdown: per connection, the handshake, a Mermaid sequence diagram, then every message \
            as a numbered step with its raw frame, a one-line explanation of what it is and why its \
            fields look that way, and what the checker said about it. Paste it into an issue or a guide.

            har: HAR 1.2 with Chrome's _webSocketMessages, which Chrome DevTools, mitmproxy and \
            HTTP Toolkit open. LongPoll sessions become the GET and POST requests that carried them.

            Secrets are redacted by default: the connect token, the base64url.bearer.phx. subprotocol, \
            the LongPoll session token, cookies, Authorization, _csrf_token, and LiveView's session and \
            static tokens, plus any --redact KEY. A redacted value keeps its shape: \
            [redacted len=N hash=H], the same hash for the same secret. --no-redact keeps them.

            A single transcript is shown as recorded (its annotations included); captures, HARs and \
            several transcripts go through the decoder and checker first.

            Examples:
              phxtap export basic.jsonl -o basic.md
              phxtap export --format har -o basic.har Captures/basic.pcap
              phxtap export --hide-heartbeats --max-messages 20 --topic 'room:*' session.har

            Exits 2 when the input cannot be read.
            """
    )

    @Argument(help: "A phxtap/1 transcript (.jsonl), a capture, or a HAR file; - reads a transcript or a capture from standard input.")
    var inputs: [String]

    @Option(name: .long, help: "markdown (default), har, text or jsonl.")
    var format: OutputFormat = .markdown

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
    var output: String?

    @Flag(name: .long, help: "Keep tokens, cookies and CSRF values (they are redacted by default).")
    var noRedact = false

    @Option(name: .long, help: ArgumentHelp("Also redact this query parameter, header or payload field (repeatable).", valueName: "key"))
    var redact: [String] = []

    @OptionGroup var filterOptions: FilterOptionGroup
    @OptionGroup var checkerOptions: CheckerOptionGroup

    func run() throws {
        try InputRunner.refuseOverwrite(output: output, inputs: inputs)
        let redactor = noRedact ? nil : Redactor(extra: redact)
        let writer = RecordWriter(
            output: try LineOutput.open(output), format: format, filter: filterOptions.filter, payloadRedactor: redactor)
        // One transcript is shown as recorded, its annotations and summary included.
        if inputs.count == 1, InputKind.of(inputs[0]) == .transcript {
            // Streamed: a damaged line ends the export (exit 2) after what came before it.
            var damage: CLIError?
            do throws(CLIError) {
                try InputRunner.forEachRecord(ofTranscript: inputs[0]) { writer.write($0) }
            } catch {
                damage = error
            }
            writer.flush()
            if let damage { throw damage }
            return
        }
        var runner = InputRunner(captureOptions: CaptureOptions())
        let checker = checkerOptions.checkerOptions(for: inputs, runner: &runner)
        var pipeline = Pipeline(options: PipelineOptions(checker: checker, redactor: redactor))
        _ = try runner.runAll(inputs, pipeline: &pipeline, emit: writer.write, flush: writer.flush)
    }
}
