import Dispatch
import PcapSource
import TapPipeline

/// Reads captures on a thread of its own and hands their connection events over in batches,
/// in order. The kernel's copying of the file, libpcap and TCP reassembly then overlap the
/// decoding and checking on the caller's thread: on the benchmark capture they took a fifth of
/// that thread's time. Memory stays bounded: at most `maxBatchesInFlight` batches wait.
final class CaptureEventStream: @unchecked Sendable {
    // @unchecked: `batches` and `report` are touched only under `lock`; the reading thread
    // owns everything else it uses (the decoder, the progress bar) until it has finished.
    private let queue = DispatchQueue(label: "phxtap.capture-reader")
    private let lock = DispatchSemaphore(value: 1)
    private let ready = DispatchSemaphore(value: 0)
    private let freeSlots: DispatchSemaphore
    private var batches: [[ConnectionEvent]] = []
    private var report: CaptureReport?

    /// Starts reading `paths`. `progress` is called on the reading thread.
    init(
        paths: [String], options: CaptureOptions, progress: Progress,
        batchSize: Int = 16, maxBatchesInFlight: Int = 4
    ) {
        freeSlots = DispatchSemaphore(value: maxBatchesInFlight)
        let progress = ReaderOwned(progress)
        queue.async {
            var batch: [ConnectionEvent] = []
            batch.reserveCapacity(batchSize)
            let report = CaptureReader.read(paths: paths, options: options, progress: progress.value.update) { event in
                batch.append(event)
                if batch.count >= batchSize {
                    self.hand(batch)
                    batch = []
                    batch.reserveCapacity(batchSize)
                }
            }
            if !batch.isEmpty { self.hand(batch) }
            self.lock.wait()
            self.report = report
            self.lock.signal()
            self.ready.signal()  // the end: a signal with no batch behind it
        }
    }

    /// The next batch of events in capture order; nil once every capture has been read.
    func next() -> [ConnectionEvent]? {
        ready.wait()
        lock.wait()
        defer { lock.signal() }
        guard !batches.isEmpty else { return nil }
        freeSlots.signal()
        return batches.removeFirst()
    }

    /// What the reader found; valid once `next()` has returned nil.
    var finalReport: CaptureReport {
        lock.wait()
        defer { lock.signal() }
        guard let report else { preconditionFailure("finalReport read before next() returned nil") }
        return report
    }

    private func hand(_ batch: [ConnectionEvent]) {
        freeSlots.wait()
        lock.wait()
        batches.append(batch)
        lock.signal()
        ready.signal()
    }

    /// Something used by the reading thread alone while it runs.
    private struct ReaderOwned<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}
