import ArgumentParser
import PcapSource
import TapPipeline
import Transcript

/// `phxtap read`: captures in, annotated transcript out.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Decode and check the Phoenix traffic in pcap or pcapng captures or HAR files.",
        discussion: """
            Reads captures made with tcpdump, Wireshark or `phxtap proxy --pcap`, rebuilds each TCP \
            connection, and prints every Phoenix message with its meaning and every protocol mistake. \
            Several captures are read in order as one.

            Capture on your own machine with, for example:
              sudo tcpdump -i lo -w phoenix.pcap 'tcp port 4000'

            A HAR file (Chrome, Firefox: Network panel, "Save all as HAR") is read the same way: \
            its WebSocket messages and LongPoll requests go through the same decoder and checker.

            Examples:
              phxtap read Captures/basic.pcap
              phxtap read --format markdown --hide-heartbeats -o basic.md Captures/basic.pcap
              phxtap read --topic 'room:*' session.har
              phxtap read --format jsonl -o basic.jsonl Captures/basic.pcap
              phxtap read --filter 'tcp port 4000' --fail-on warning capture.pcapng
              phxtap read --assume-websocket 4000 started-late.pcap
              gunzip -c phoenix.pcap.gz | phxtap read -

            Exits 1 when findings reach --fail-on, 2 when no input could be read.
            """
    )

    @Argument(help: "pcap or pcapng captures, or HAR files exported from a browser's Network panel; - reads a capture or a transcript from standard input.")
    var captures: [String]

    @OptionGroup var outputOptions: OutputOptionGroup
    @OptionGroup var filterOptions: FilterOptionGroup
    @OptionGroup var checkerOptions: CheckerOptionGroup

    @Option(name: .long, help: "A BPF filter applied while reading, as in tcpdump (e.g. 'tcp port 4000').")
    var filter: String?

    @Option(name: .long, help: "Treat connections to this server port as WebSocket from the first byte (captures that start after the handshake). Repeatable.")
    var assumeWebsocket: [Int] = []

    @Option(name: .long, help: "Exit 1 when findings reach this severity: error, warning, info or never.")
    var failOn: FailOn = .never

    func run() throws {
        if let filter, let problem = PcapFileReader.check(filter: filter) { throw CLIError("\(problem)") }
        try InputRunner.refuseOverwrite(output: outputOptions.output, inputs: captures)
        let output = try LineOutput.open(outputOptions.output)
        let format = outputOptions.format ?? (output.isTerminal ? .text : .jsonl)
        let writer = ParallelRecordWriter(RecordWriter(
            output: output, format: format, filter: filterOptions.filter,
            payloadRedactor: format.isExport ? outputOptions.redactor : nil, writesInBackground: true))
        var runner = InputRunner(captureOptions: CaptureOptions(filter: filter, assumeServerPorts: Set(assumeWebsocket)))
        var pipeline = Pipeline(options: PipelineOptions(
            checker: checkerOptions.checkerOptions(for: captures, runner: &runner), assumeWebSocketPorts: Set(assumeWebsocket),
            redactor: outputOptions.redactor))
        let summary = try runner.runAll(captures, pipeline: &pipeline, emit: writer.write, show: writer.show, flush: writer.flush,
                                        spareWork: ParallelRecordWriter.wantsHelp ? writer : nil)
        try failOn.enforce(summary)
    }
}
