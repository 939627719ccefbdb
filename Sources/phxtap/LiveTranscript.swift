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
/// `PhoenixProxy` calls its observer (and `flush`) from one thread and `finish()` is called only
/// after the proxy has shut down, so this state is never touched concurrently.
final class LiveTranscript: @unchecked Sendable {
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

    func start(source: String) {
        write(pipeline.start(source: source))
    }

    func handle(_ event: ConnectionEvent) {
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
        output.flush()
        record?.flush()
        if let pcapFile { fflush(pcapFile) }
    }

    /// Settles what is still open, writes the summary and closes the files.
    func finish() -> SummaryRecord {
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
