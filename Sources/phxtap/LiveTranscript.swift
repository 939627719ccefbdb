import NIOConcurrencyHelpers
import PhoenixProtocol
import ProxyServer
import TapPipeline
import Transcript

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxy's observer: runs the shared pipeline over the live events and writes the
/// transcript (and optionally a pcap of the traffic) as each record is known.
///
/// `PhoenixProxy` calls its observer (and `flush`) from one thread of its own; the command calls
/// `begin` and `finish` from another. A lock keeps them apart; it is uncontended while traffic flows.
final class LiveTranscript: @unchecked Sendable {
    private let lock = NIOLock()
    private var source: String?
    private var pipeline: Pipeline
    private let output: RecordWriter
    private let record: RecordWriter?
    private var pcapWriter = PcapWriter()
    private let pcapFile: UnsafeMutablePointer<FILE>?
    private var records: [TranscriptRecord] = []

    init(output: RecordWriter, record: RecordWriter?, pcapPath: String?, options: PipelineOptions) throws(CLIError) {
        self.pipeline = Pipeline(options: options)
        self.output = output
        self.record = record
        if let pcapPath {
            guard let file = fopen(pcapPath, "w") else {
                throw CLIError("cannot write \(pcapPath): \(String(cString: strerror(errno)))")
            }
            pcapFile = file
            let header = PcapWriter.fileHeader()
            _ = header.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        } else {
            pcapFile = nil
        }
    }

    /// Names the source for the session line, which is written once the proxy listens (or
    /// with the first event, whichever comes first), so a proxy that cannot start prints none.
    func prepare(source: String) {
        lock.withLock { self.source = source }
    }

    /// Writes the session line now if no event has written it yet.
    func begin() {
        lock.withLock { writeSessionIfNeeded() }
    }

    private func writeSessionIfNeeded() {
        guard let source else { return }
        self.source = nil
        write(pipeline.start(source: source))
    }

    func handle(_ event: ConnectionEvent) {
        lock.lock()
        defer { lock.unlock() }
        writeSessionIfNeeded()
        if let pcapFile {
            let bytes = pcapWriter.records(for: event)
            _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, pcapFile) }
        }
        pipeline.handle(event, into: &records)
        write(records)
        records.removeAll(keepingCapacity: true)
    }

    /// Pushes what was written so far to the files (called between batches of events).
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        // Markdown and HAR are documents: RecordWriter writes them whole on flush, so they
        // are flushed once, by finish().
        if !output.format.isExport { output.flush() }
        record?.flush()
        if let pcapFile { fflush(pcapFile) }
    }

    /// Settles what is still open, writes the summary and closes the files.
    func finish() -> SummaryRecord {
        lock.lock()
        defer { lock.unlock() }
        writeSessionIfNeeded()
        write(pipeline.finish())
        output.flush()
        record?.flush()
        if let pcapFile { fclose(pcapFile) }
        return pipeline.currentSummary
    }

    private func write(_ records: [TranscriptRecord]) {
        output.write(records)
        record?.write(records)
    }
}
