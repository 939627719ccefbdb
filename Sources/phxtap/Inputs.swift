import ArgumentParser
import CPcap
import PcapSource
import TapPipeline
import Transcript

#if canImport(FoundationEssentials)
import FoundationEssentials  // not all of Foundation: its internationalization data would be most of the binary
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kinds of file the reading commands accept, told apart by extension and, failing that,
/// by their first bytes.
enum InputKind: Equatable {
    case capture
    case har
    case transcript

    /// `.har` and `.jsonl` by name; otherwise a HAR starts `{"log"`, a transcript `{"type"`,
    /// and anything else is left to libpcap (which says clearly when it is not a capture).
    /// `-` is standard input: a transcript when it starts with `{`, else a capture (a HAR file
    /// is not read from standard input).
    static func of(_ path: String) -> InputKind {
        if path == "-" { return StandardInput.startsWithBrace ? .transcript : .capture }
        let lower = path.lowercased()
        if lower.hasSuffix(".har") { return .har }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .transcript }
        if lower.hasSuffix(".pcap") || lower.hasSuffix(".pcapng") || lower.hasSuffix(".cap") { return .capture }
        guard let file = fopen(path, "rb") else { return .capture }
        defer { fclose(file) }
        var head = [UInt8](repeating: 0, count: 64)
        let count = head.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        head.removeSubrange(count...)
        if HARReader.looksLikeHAR(head) { return .har }
        let compact = head.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if compact.starts(with: Array(#"{"type""#.utf8)) { return .transcript }
        return .capture
    }
}

/// Feeds inputs of any kind through one pipeline into one writer, in the order given.
struct InputRunner {
    var captureOptions: CaptureOptions
    /// The first line of standard input when `sessionRecords(of:)` took it to look at (a
    /// transcript's session line): read before the rest of it.
    private var standardInputHead: [UInt8] = []
    /// What `sessionRecords(of:)` found each input to be, so that the run does not read a
    /// file's first bytes again (nor look at standard input past the line it took).
    private var kinds: [String: InputKind] = [:]

    init(captureOptions: CaptureOptions) {
        self.captureOptions = captureOptions
    }
    static let batchSize = 512

    /// What every reading command does with its inputs: the session line, each input through
    /// `pipeline`, the records that end it, then the problems met on standard error. Records go
    /// to `emit` as they come, and `flush` is called once they are all out. Throws exit status 2
    /// when no input could be read; returns the summary otherwise.
    ///
    /// `show` is called when a capture coming down a pipe pauses, after the records so far have
    /// gone to `emit`: the caller writes them out, for someone watching a live capture.
    ///
    /// `spareWork` is what the thread reading a capture takes on while it would otherwise wait.
    func runAll(
        _ inputs: [String], pipeline: inout Pipeline, emit: ([TranscriptRecord]) -> Void, show: () -> Void = {},
        flush: () -> Void, spareWork: (any SpareWork)? = nil
    ) throws -> SummaryRecord {
        phxtap_keep_freed_memory()
        emit(pipeline.start(source: inputs.joined(separator: " ")))
        let (problems, readAny) = run(inputs, pipeline: &pipeline, emit: emit, show: show, spareWork: spareWork)
        emit(pipeline.finish())
        flush()
        for problem in problems { Terminal.printError("phxtap: \(problem)") }
        if !readAny { throw ExitCode(2) }
        return pipeline.currentSummary
    }

    /// Reads every input; returns the problems met (one sentence each) and whether anything was read.
    func run(
        _ paths: [String], pipeline: inout Pipeline, emit: ([TranscriptRecord]) -> Void, show: () -> Void = {},
        spareWork: (any SpareWork)? = nil
    ) -> (problems: [String], readAny: Bool) {
        var problems: [String] = []
        var readAny = false
        var records: [TranscriptRecord] = []
        var pendingCaptures: [String] = []

        /// Hands the records so far on. The batch itself changes hands without copying a
        /// record; the array keeps its room for the next.
        func handOn() {
            emit(records)
            records.removeAll(keepingCapacity: true)
        }
        /// A piped input pauses: what it gave so far is written out.
        func showSoFar() {
            handOn()
            show()
        }

        func flushCaptures() {
            guard !pendingCaptures.isEmpty else { return }
            let progress = Progress(paths: pendingCaptures)
            let stream = CaptureEventStream(
                paths: pendingCaptures, options: captureOptions, wireStage: pipeline.takeWireStage(), progress: progress,
                spareWork: spareWork)
            while var batch = stream.next() {
                for i in batch.events.indices {
                    // In place: the pipeline moves each message out of the batch without a copy.
                    // Records are handed on a few hundred at a time, appended in place.
                    pipeline.handle(&batch.events[i], into: &records)
                    if records.count >= Self.batchSize { handOn() }
                }
                if batch.inputWaits { showSoFar() }
            }
            let (report, wireStage) = stream.final
            pipeline.returnWireStage(wireStage)
            handOn()
            progress.done()
            problems += report.problems.map { "\($0)" }
            if !report.nothingRead { readAny = true }
            pendingCaptures.removeAll()
        }

        for path in paths {
            switch kinds[path] ?? InputKind.of(path) {
            case .capture:
                pendingCaptures.append(path)
            case .har:
                flushCaptures()
                do {
                    let archive = try HARReader.read(try Self.bytes(path))
                    pipeline.replay(archive, into: &records)
                    handOn()
                    readAny = true
                    if archive.connections.isEmpty {
                        problems.append("\(path): no WebSocket or Phoenix LongPoll traffic among its \(archive.otherEntries) entries")
                    }
                } catch let error as CLIError {
                    problems.append(error.message)
                } catch {
                    problems.append("\(path): \(error)")
                }
            case .transcript:
                flushCaptures()
                do throws(CLIError) {
                    // The wire bytes go through the checker again; the recorded annotations are
                    // not reused. Records are handed on in batches as the file is read.
                    try Self.forEachRecord(ofTranscript: path, head: path == "-" ? standardInputHead : [], waiting: showSoFar) { record in
                        pipeline.recheck(record, into: &records)
                        if records.count >= Self.batchSize { handOn() }
                    }
                    readAny = true
                } catch {
                    problems.append(error.message)
                }
                // A damaged line makes the transcript unreadable (a transcript is written whole,
                // unlike a capture cut short), but what came before it is still shown.
                handOn()
            }
        }
        flushCaptures()
        return (problems, readAny)
    }

    /// The session lines the transcripts among `inputs` start with, read before the run (a file
    /// is opened again to be read in full). Standard input cannot be read twice: its first line is
    /// kept, and the run reads it before the rest.
    mutating func sessionRecords(of inputs: [String]) -> [SessionRecord] {
        inputs.compactMap { path in
            let kind = kinds[path] ?? InputKind.of(path)
            kinds[path] = kind
            guard kind == .transcript else { return nil }
            if path == "-" {
                if standardInputHead.isEmpty { standardInputHead = Self.firstLine(of: StandardInput.stream) }
                return Self.sessionRecord(in: standardInputHead)
            }
            guard let file = fopen(path, "rb") else { return nil }
            defer { fclose(file) }
            return Self.sessionRecord(in: Self.firstLine(of: file))
        }
    }

    /// The first line of a C stream, its newline included: up to 64 KiB, as much as a session
    /// line needs (a longer line is not one, and its bytes are still all returned).
    private static func firstLine(of file: UnsafeMutablePointer<FILE>) -> [UInt8] {
        var line: [UInt8] = []
        while line.count < 1 << 16 {
            let c = getc(file)
            if c == EOF { break }
            line.append(UInt8(truncatingIfNeeded: c))
            if c == 0x0A { break }
        }
        return line
    }

    /// The session record `line` holds, if it is one.
    private static func sessionRecord(in line: [UInt8]) -> SessionRecord? {
        var reader = TranscriptReader()
        let content = line.last == 0x0A ? line.dropLast() : line[...]
        guard case .session(let session)? = try? reader.read(line: content) else { return nil }
        return session
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw unreadable(path) }
        return Array(data)
    }

    /// The sentence for a file that cannot be opened.
    private static func unreadable(_ path: String) -> CLIError {
        CLIError("cannot read \(path): " + (FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"))
    }

    /// Calls `body` with each record of a `phxtap/1` transcript (`-`: standard input), reading
    /// the file a megabyte at a time with a progress bar for a long one: memory stays flat
    /// however long the transcript. At the first line that cannot be read, throws one sentence
    /// naming the file and the line, after the records before it.
    ///
    /// `waiting` is called when the input has nothing more for the moment (a transcript coming
    /// down a pipe from a live proxy), after the records read so far have gone to `body`.
    /// `head` is what was already taken from the start of the stream (at most 64 KiB), read first.
    static func forEachRecord(
        ofTranscript path: String, head: [UInt8] = [], waiting: () -> Void = {}, _ body: (TranscriptRecord) -> Void
    ) throws(CLIError) {
        // C streams, not FileHandle: standard input may have had its first byte looked at
        // through its stream already (`InputKind.of`), and libpcap reads it the same way.
        guard let file = path == "-" ? StandardInput.stream : fopen(path, "rb") else { throw unreadable(path) }
        defer { if path != "-" { fclose(file) } }
        let progress = Progress(paths: [path])
        defer { progress.done() }
        // nil for a pipe, whose pauses are the moments to show what has been read.
        let size = StreamInput.regularFileSize(file)
        var bytesRead: Int64 = 0
        var transcript = TranscriptStream()
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
        defer { piece.deallocate() }
        var failed = false
        do throws(TranscriptReadError) {
            if !head.isEmpty {
                piece.copyBytes(from: head)
                try transcript.feed(UnsafeRawBufferPointer(rebasing: piece[..<head.count]), body)
                bytesRead += Int64(head.count)
            }
            while true {
                // What has arrived, not a full megabyte: a pipe's lines are read as they come.
                let count = StreamInput.readSome(file, into: piece)
                guard count > 0 else {
                    failed = count < 0
                    break
                }
                try transcript.feed(UnsafeRawBufferPointer(rebasing: piece[..<count]), body)
                bytesRead += Int64(count)
                progress.update(file: 0, bytesRead: bytesRead, fileSize: size)
                if size == nil, StreamInput.wouldWait(file) { waiting() }
            }
            if !failed { try transcript.finish(body) }
        } catch {
            throw CLIError("\(path): \(error)")
        }
        if failed { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))") }
    }
}

extension InputRunner {
    /// `-o` naming one of the inputs would truncate it before it is read.
    static func refuseOverwrite(output: String?, inputs: [String]) throws {
        guard let output, output != "-" else { return }
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        for input in inputs where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath().path == target {
            throw CLIError("-o \(output) is also an input; writing it would destroy what is to be read")
        }
    }
}
