import Dispatch
import Transcript

/// Formats and writes records on a thread of their own, so a long `read` uses both cores: the
/// caller's thread decodes and checks (captures are read on a third, `CaptureEventStream`)
/// while this one escapes and writes JSON. Order is kept (one serial queue), and memory stays
/// bounded: at most `maxBatchesInFlight` batches wait.
///
/// On average this thread keeps up, but it shares a core with the capture reader, which reads in
/// bursts: with four batches in flight the decoding thread, the busiest, waited for it up to 200
/// times a read of the benchmark capture (5 to 130 ms in all, 46 ms the median of 19 reads;
/// with twelve, 6 to 50 ms, median 31 ms of 6). Twelve made the read about 20 ms faster (60
/// interleaved pairs of runs), for up to 6 MB more at the peak (34 MB before, 35 to 40 after).
///
/// Not for the proxy, whose lines must reach the file as soon as they are known.
final class ParallelRecordWriter: @unchecked Sendable {
    // @unchecked: after init, `writer` is touched only on `queue`, and `batch` only by the
    // producing thread; the semaphore bounds the hand-over.
    private let writer: RecordWriter
    private let queue = DispatchQueue(label: "phxtap.record-writer")
    private let slots: DispatchSemaphore
    private var batch: [TranscriptRecord] = []
    private let batchSize: Int

    init(_ writer: RecordWriter, batchSize: Int = 512, maxBatchesInFlight: Int = 12) {
        self.writer = writer
        self.batchSize = batchSize
        self.slots = DispatchSemaphore(value: maxBatchesInFlight)
    }

    func write(_ records: [TranscriptRecord]) {
        if batch.isEmpty {
            // Take the caller's array as the batch: it changes hands without copying a record.
            batch = records
        } else {
            batch.append(contentsOf: records)
        }
        if batch.count >= batchSize { send() }
    }

    /// Writes out the lines of everything handed over so far (see `RecordWriter.show`).
    func show() {
        send()
        queue.sync { writer.show() }
    }

    /// Writes everything handed over so far and returns once it is out.
    func flush() {
        send()
        queue.sync { writer.flush() }
    }

    private func send() {
        guard !batch.isEmpty else { return }
        let records = Handover(batch)
        batch = []
        slots.wait()
        queue.async {
            self.writer.writeAll(taking: records.take())
            self.slots.signal()
        }
    }
}

/// A batch on its way to the writing thread, which takes it out whole: the closure that carries
/// it then no longer shares it, and the writer owns every record it formats.
private final class Handover: @unchecked Sendable {
    private var records: [TranscriptRecord]
    init(_ records: [TranscriptRecord]) { self.records = records }
    func take() -> [TranscriptRecord] {
        defer { records = [] }
        return records
    }
}
