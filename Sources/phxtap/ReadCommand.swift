import ArgumentParser
import PcapSource
import TapPipeline
import Transcript

/// `phxtap read`: captures in, annotated transcript out.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Decode and check the Phoenix traffic in pcap or pcapng captures.",
        discussion: """
            Reads captures made with tcpdump, Wireshark or `phxtap proxy --pcap`, rebuilds each TCP \
            connection, and prints every Phoenix message with its meaning and every protocol mistake. \
            Several captures are read in order as one.

            Capture on your own machine with, for example:
              sudo tcpdump -i lo -w phoenix.pcap 'tcp port 4000'

            Examples:
              phxtap read Captures/basic.pcap
              phxtap read --format jsonl -o basic.jsonl Captures/basic.pcap
              phxtap read --filter 'tcp port 4000' --fail-on warning capture.pcapng
              phxtap read --assume-websocket 4000 started-late.pcap

            Exits 1 when findings reach --fail-on, 2 when no capture could be read.
            """
    )

    @Argument(help: "pcap or pcapng files.")
    var captures: [String]

    @OptionGroup var outputOptions: OutputOptionGroup
    @OptionGroup var checkerOptions: CheckerOptionGroup

    @Option(name: .long, help: "A BPF filter applied while reading, as in tcpdump (e.g. 'tcp port 4000').")
    var filter: String?

    @Option(name: .long, help: "Treat connections to this server port as WebSocket from the first byte (captures that start after the handshake). Repeatable.")
    var assumeWebsocket: [Int] = []

    @Option(name: .long, help: "Exit 1 when findings reach this severity: error, warning, info or never.")
    var failOn: FailOn = .never

    func run() throws {
        let writer = RecordWriter(output: try LineOutput.open(outputOptions.output), format: outputOptions.format)
        var pipeline = Pipeline(options: PipelineOptions(
            checker: checkerOptions.checkerOptions, assumeWebSocketPorts: Set(assumeWebsocket),
            redactor: outputOptions.redactor))
        writer.write(pipeline.start(source: captures.joined(separator: " ")))
        var records: [TranscriptRecord] = []
        let progress = Progress(paths: captures)
        let report = CaptureReader.read(
            paths: captures,
            options: CaptureOptions(filter: filter, assumeServerPorts: Set(assumeWebsocket)),
            progress: progress.update
        ) { event in
            pipeline.handle(event, into: &records)
            writer.write(records)
            records.removeAll(keepingCapacity: true)
        }
        progress.done()
        let tail = pipeline.finish()
        writer.write(tail)
        writer.flush()
        for problem in report.problems { Terminal.printError("phxtap: \(problem)") }
        if report.nothingRead { throw ExitCode(2) }
        try failOn.enforce(pipeline.currentSummary)
    }
}
