import ArgumentParser
import Foundation
import PhoenixProtocol
import TapPipeline
import Transcript

/// `phxtap check`: a CI gate over a recorded transcript.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a recorded transcript again and fail on protocol mistakes.",
        discussion: """
            Reads a phxtap/1 transcript (from `phxtap read --format jsonl` or `phxtap proxy --record`), \
            decodes every message again from its raw bytes, runs the checker with today's rules \
            and the chosen --phoenix-version, and prints what it found: the annotated messages, \
            the standalone findings and a summary.

            Gate a client's CI on it:
              phxtap proxy --upstream http://127.0.0.1:4000 --record session.jsonl &
              ... run the client's test suite against 127.0.0.1:4001 ...
              phxtap check session.jsonl

            Exits 1 when findings reach --fail-on (default error), 2 when the transcript cannot be read.
            """
    )

    @Argument(help: "A phxtap/1 JSON Lines transcript.")
    var transcript: String

    @OptionGroup var checkerOptions: CheckerOptionGroup

    @Option(name: .long, help: "Exit 1 when findings reach this severity: error, warning, info or never.")
    var failOn: FailOn = .error

    @Option(name: .long, help: "text (default on a terminal) or jsonl (default otherwise).")
    var format: OutputFormat?

    @Option(name: [.customShort("o"), .long], help: "Write the findings to this file instead of standard output.")
    var output: String?

    @Flag(name: .long, help: "Print the whole re-checked transcript, not only the findings.")
    var all = false

    func run() throws {
        guard let file = FileHandle(forReadingAtPath: transcript) else {
            throw CLIError("cannot read \(transcript): no such file or not readable")
        }
        let writer = RecordWriter(output: try LineOutput.open(output), format: format)
        var reader = TranscriptReader()
        var replay = TranscriptReplay(options: checkerOptions.checkerOptions)
        var records: [TranscriptRecord] = []
        var sawSession = false
        var pending = Data()
        func handle(line: Data) throws {
            guard let record = try reader.read(line: Array(line)[...]) else { return }
            if case .session = record { sawSession = true }
            replay.replay(record, into: &records)
            emit(records, writer)
            records.removeAll(keepingCapacity: true)
        }
        do {
            while true {
                let chunk = file.readData(ofLength: 1 << 20)
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    try handle(line: pending[pending.startIndex..<newline])
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { try handle(line: pending) }
        } catch let error as TranscriptReadError {
            throw CLIError("\(transcript): \(error)")
        }
        guard sawSession else { throw CLIError("\(transcript) is not a phxtap/1 transcript: it has no session line") }
        let tail = replay.finish()
        emit(tail, writer)
        writer.flush()
        if case .summary(let summary)? = tail.last { try failOn.enforce(summary) }
    }

    /// Everything with --all; otherwise the findings, their connections' open lines and the summary.
    private func emit(_ records: [TranscriptRecord], _ writer: RecordWriter) {
        for record in records {
            switch record {
            case .message(let m) where !all && m.annotations.isEmpty: continue
            case .close where !all: continue
            default: writer.write(record)
            }
        }
    }
}
