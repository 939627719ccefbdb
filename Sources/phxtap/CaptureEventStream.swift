import Dispatch
import PcapSource
import TapPipeline

/// Reads captures on a thread of its own, runs their connection events through the pipeline's
/// wire stage there (HTTP, WebSocket framing, unmasking), and hands them over in batches, in
/// order. The kernel's copying of the file, libpcap, TCP reassembly and framing then overlap
/// the decoding and checking on the caller's thread, which is the busiest of the run. Memory
/// stays bounded: at most `maxBatchesInFlight` batches wait.
final class CaptureEventStream: @unchecked Sendable {
    // @unchecked: `batches`, `report` and `wireStage` are touched only under `lock`; the
    // reading thread owns everything else it uses (the decoder, the wire stage it runs, the
    // progress bar) until it has finished.
    private let queue = DispatchQueue(label: "phxtap.capture-reader")
    private let lock = DispatchSemaphore(value: 1)
    private let ready = DispatchSemaphore(value: 0)
    private let freeSlots: DispatchSemaphore
    /// Work either thread takes on instead of waiting for the other (formatting records).
    private let spareWork: (any SpareWork)?
    /// Wakes the reading thread when it waits for either a free slot or spare work.
    private let readerWake = DispatchSemaphore(value: 0)
    private var batches: [Batch] = []
    private var report: CaptureReport?
    private var wireStage: WireStage?

    /// Starts reading `paths` through `wireStage`. `progress` is called on the reading thread,
    /// and so is `spareWork` whenever the caller has enough to go on with (see `hand`).
    init(
        paths: [String], options: CaptureOptions, wireStage: WireStage, progress: Progress, spareWork: (any SpareWork)? = nil,
        batchSize: Int = 16, maxBatchesInFlight: Int = 4
    ) {
        freeSlots = DispatchSemaphore(value: maxBatchesInFlight)
        self.spareWork = spareWork
        spareWork?.setHelper(readerWake)
        let progress = ReaderOwned(progress)
        queue.async {
            var stage = wireStage
            var batch: [StagedEvent] = []
            batch.reserveCapacity(batchSize)
            var stagedSinceWait = false
            // A capture coming down a pipe has gaps: what is known when one starts is handed
            // over at once, marked so that it is shown rather than held for more (once a gap,
            // and only if something came since the last).
            let waiting = {
                guard stagedSinceWait else { return }
                self.hand(Batch(events: batch, inputWaits: true))
                batch = []
                stagedSinceWait = false
            }
            let report = CaptureReader.read(
                paths: paths, options: options, progress: progress.value.update, waiting: waiting
            ) { (event: consuming ConnectionEvent) in
                batch.append(stage.stage(consume event))
                stagedSinceWait = true
                if batch.count >= batchSize {
                    self.hand(Batch(events: batch, inputWaits: false))
                    batch = []
                    batch.reserveCapacity(batchSize)
                }
            }
            if !batch.isEmpty { self.hand(Batch(events: batch, inputWaits: false)) }
            self.spareWork?.setHelper(nil)
            self.lock.wait()
            self.report = report
            self.wireStage = stage
            self.lock.signal()
            self.ready.signal()  // the end: a signal with no batch behind it
        }
    }

    /// Events handed over together.
    struct Batch {
        var events: [StagedEvent]
        /// The input had nothing more for now when this batch was handed over: a pipe from a
        /// live capture, whose records so far should be written out.
        var inputWaits: Bool
    }

    /// The next batch of events in capture order; nil once every capture has been read.
    func next() -> Batch? {
        // Nothing read yet: spare work first, then sleep.
        while ready.wait(timeout: .now()) != .success {
            guard let spareWork, spareWork.doOne() else {
                ready.wait()
                break
            }
        }
        lock.wait()
        defer { lock.signal() }
        guard !batches.isEmpty else { return nil }
        freeSlots.signal()
        if spareWork != nil { readerWake.signal() }  // the reader may be waiting for this slot
        return batches.removeFirst()
    }

    /// What the reader found, and the wire stage with the connections still open; valid once
    /// `next()` has returned nil.
    var final: (report: CaptureReport, wireStage: WireStage) {
        lock.wait()
        defer { lock.signal() }
        guard let report, let wireStage else { preconditionFailure("final read before next() returned nil") }
        return (report, wireStage)
    }

    /// Queues a batch for the caller. With spare work on offer, the reading thread takes it on
    /// whenever the caller has `lead` batches or more to go on with, and while all the slots
    /// are full: it waits only when there is neither a free slot nor work to do.
    private func hand(_ batch: Batch) {
        if let spareWork {
            while true {
                if queuedBatches >= Self.lead, spareWork.doOne() { continue }
                if freeSlots.wait(timeout: .now()) == .success { break }
                if spareWork.doOne() { continue }
                readerWake.wait()  // a slot freed or work arrived (or a signal left from earlier)
            }
        } else {
            freeSlots.wait()
        }
        lock.wait()
        batches.append(batch)
        lock.signal()
        ready.signal()
    }

    /// Batches the caller has to go on with before the reader must hand it more. On the
    /// benchmark capture a batch of events is some 880 messages, about 0.65 ms of the caller's
    /// work (0.24 s of its CPU time for 320,000 messages in a profile), and a batch of records
    /// about 0.3 ms of formatting (0.19 s for 625): with two waiting, the caller does not run dry
    /// while the reader formats. Leads of 1 and 3 read the capture as fast (20 interleaved runs).
    private static let lead = 2

    private var queuedBatches: Int {
        lock.wait()
        defer { lock.signal() }
        return batches.count
    }

    /// Something used by the reading thread alone while it runs.
    private struct ReaderOwned<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}
