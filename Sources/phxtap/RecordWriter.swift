import PhoenixProtocol
import Transcript

/// Writes transcript records in the chosen format. Text and JSON Lines go out one line each,
/// as soon as they are known; Markdown and HAR are documents, written whole by `flush()`.
/// Filters and payload redaction are applied here, in one place for every command.
final class RecordWriter {
    private let output: LineOutput
    let format: OutputFormat
    private let renderer: TextRenderer
    private var filter: RecordFilter
    private let payloadRedactor: Redactor?
    private var document: [TranscriptRecord] = []
    /// JSON Lines not yet handed to `output`: formatting into one buffer and writing it in
    /// large pieces is what keeps a transcript of millions of lines cheap.
    private var pendingLines: ByteOutput
    private static let pendingLimit = 1 << 20
    /// Set for long offline runs to a file or a pipe: full buffers are written on a thread of
    /// their own.
    private let background: BackgroundOutput?

    /// `payloadRedactor` redacts message payloads and subprotocols (exports); connection
    /// parameters are the pipeline's to redact. `writesInBackground` hands full JSON Lines
    /// buffers to a thread of their own (`read`) unless the output takes writes at once; live
    /// output is written where it is formatted.
    init(
        output: LineOutput, format: OutputFormat?, filter: RecordFilter = RecordFilter(), payloadRedactor: Redactor? = nil,
        writesInBackground: Bool = false
    ) {
        self.output = output
        let format = format ?? (output.isTerminal ? .text : .jsonl)
        self.format = format
        self.renderer = TextRenderer(color: output.wantsColor)
        self.filter = filter
        self.payloadRedactor = payloadRedactor
        let bufferSize = Self.pendingLimit + (1 << 16)
        pendingLines = ByteOutput(capacity: format == .jsonl ? bufferSize : 16)
        // A device that takes a write at once (/dev/null) gains nothing from the other thread:
        // handing it the buffers cost more than the writes, 7% of a read of the benchmark
        // capture (median 0.312 against 0.291 s, 40 interleaved pairs, 31 faster without).
        let worthIt = writesInBackground && format == .jsonl && !output.takesWritesAtOnce
        background = worthIt ? BackgroundOutput(output, capacity: bufferSize) : nil
    }

    func write(_ record: TranscriptRecord) {
        guard filter.keep(record) else { return }
        if let payloadRedactor {
            emit(payloadRedactor.redact(record))
        } else {
            emit(record)
        }
    }

    private func emit(_ record: TranscriptRecord) {
        switch format {
        case .jsonl:
            JSONLinesEncoder.append(record, to: pendingLines)
            if pendingLines.count >= Self.pendingLimit { writePendingLines() }
        case .text:
            output.writeLine(renderer.render(record))
        case .markdown, .har:
            document.append(record)
        }
    }

    func write(_ records: [TranscriptRecord]) {
        // By index: each record is lent to `write` where it lies, not copied out of the array.
        for i in records.indices { write(records[i]) }
    }

    /// Writes a batch it may take apart: each record is swapped out of the batch for an empty
    /// one and formatted as a value of its own. Lent from the array instead, every record was
    /// copied first (a retain per field, and a release after), because the array's memory might
    /// change during the calls that format it.
    func writeAll(taking records: consuming [TranscriptRecord]) {
        var records = records
        records.withUnsafeMutableBufferPointer { batch in
            for i in batch.indices {
                var record = TranscriptRecord.summary(SummaryRecord())
                swap(&record, &batch[i])
                write(record)
            }
        }
    }

    private func writePendingLines() {
        if let background {
            pendingLines = background.hand(pendingLines)
        } else {
            pendingLines.withUnsafeBytes { output.write($0) }
            pendingLines.removeAll()
        }
    }

    /// Writes out the lines formatted so far, for someone watching a capture as it arrives.
    /// Markdown and HAR are documents: they still wait for `flush()`.
    func show() {
        guard !format.isExport else { return }
        flush()
    }

    /// Writes everything out: the lines not yet written, or the whole document.
    func flush() {
        switch format {
        case .markdown:
            output.write(Array(MarkdownRenderer().render(document).utf8))
            document.removeAll()
        case .har:
            output.write(HARWriter.write(document))
            document.removeAll()
        case .jsonl:
            writePendingLines()
        case .text:
            break
        }
        if let background {
            background.flush()  // waits for the buffers in flight, then flushes on their thread
        } else {
            output.flush()
        }
    }
}
