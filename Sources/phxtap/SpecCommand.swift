import ArgumentParser
import PcapSource
import PhoenixChecker
import TapPipeline
import Transcript

#if canImport(FoundationEssentials)
import FoundationEssentials  // not all of Foundation: its internationalization data would be most of the binary
#else
import Foundation
#endif

/// `phxtap spec`: a protocol reference from the rule catalog and real examples.
struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Write a Phoenix Channels protocol reference with a real example of each kind of message.",
        discussion: """
            Each kind of message (join, reply, push, broadcast, presence, heartbeat, close, error, \
            V1 objects, binary frames, LongPoll, LiveView) is shown with one real frame drawn from the \
            captures, its explanation, and then every rule the checker applies. Secrets in the \
            examples are redacted.

            Without CAPTURE arguments the bundled captures are used: $PHXTAP_CAPTURES, else ./Captures, \
            else the Captures folder of the source tree the binary was built in.

            Examples:
              phxtap spec -o PROTOCOL.md
              phxtap spec my-app.pcap browser.har -o MY-PROTOCOL.md
            """
    )

    @Argument(help: "Captures, HAR files or transcripts to draw examples from (default: the bundled captures).")
    var captures: [String] = []

    @Option(name: [.customShort("o"), .long], help: "Write to this file instead of standard output.")
    var output: String?

    @OptionGroup var checkerOptions: CheckerOptionGroup

    func run() throws {
        let paths = captures.isEmpty ? try Self.bundledCaptures() : captures
        let redactor = Redactor()
        var transcripts: [(source: String, records: [TranscriptRecord])] = []
        var problems: [String] = []
        for path in paths {
            var pipeline = Pipeline(options: PipelineOptions(checker: checkerOptions.checkerOptions, redactor: redactor))
            var records = pipeline.start(source: path)
            let (found, readAny) = InputRunner(captureOptions: CaptureOptions()).run([path], pipeline: &pipeline) { records += $0 }
            records += pipeline.finish()
            problems += found
            if readAny { transcripts.append((fileName(path), records.map(redactor.redact))) }
        }
        for problem in problems { Terminal.printError("phxtap: \(problem)") }
        guard !transcripts.isEmpty else { throw CLIError("no capture could be read, so there are no examples to show") }
        let out = try LineOutput.open(output)
        out.write(Array(ProtocolSpec(transcripts: transcripts).render().utf8))
        out.flush()
    }

    /// The captures that come with PhoenixTap, in a fixed order (so the reference is stable).
    static func bundledCaptures() throws -> [String] {
        let names = ["basic", "errors", "presence", "heartbeat", "binary", "v1", "longpoll", "liveview"].map { "\($0).pcap" }
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["PHXTAP_CAPTURES"] { candidates.append(env) }
        candidates.append(FileManager.default.currentDirectoryPath + "/Captures")
        // The source tree: this file is Sources/phxtap/SpecCommand.swift.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/../Captures")
        for dir in candidates {
            let found = names.map { dir + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            if !found.isEmpty { return found }
        }
        throw CLIError("no bundled captures found (set PHXTAP_CAPTURES to their folder, or name captures)")
    }
}
