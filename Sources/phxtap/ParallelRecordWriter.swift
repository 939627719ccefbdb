import Dispatch
import NIOCore
import Transcript

/// Formats and writes records away from the caller's thread, so a long `read` uses both cores:
/// the caller's thread decodes and checks while batches of its records are escaped and written
/// as JSON elsewhere, in order. Memory stays bounded: once `maxPending` batches wait, the
/// caller formats one itself before going on.
///
/// Where the batches are formatted: by a thread of this writer's own, unless a helper has
/// offered to (`SpareWork`): the thread that reads a capture formats whenever the caller has
/// enough of its events to go on with. Three busy threads on two cores (reader, decoder,
/// formatter) left a core idle 0.115 s of a read of the benchmark capture (from /proc/stat,
/// mean of 30), one thread waiting for another that waited for its turn on the other core; two
/// busy threads sharing the formatting left it idle 0.060 s, and the median read took 0.368 s
/// instead of 0.431 (30 interleaved pairs, faster in 23).
///
/// With three cores or more, each of those threads has one, and this writer's thread formats
/// every batch: `wantsHelp` is false and the writer is not offered as spare work.
///
/// Not for the proxy, whose lines must reach the file as soon as they are known.
final class ParallelRecordWriter: SpareWork, @unchecked Sendable {
    // @unchecked: `writer` is used by one thread at a time, the holder of `formatting`;
    // `pending` and `helperWake` only under `lock`; `batch` by the caller's thread alone.
    private let writer: RecordWriter
    private let formatting = DispatchSemaphore(value: 1)
    private let lock = DispatchSemaphore(value: 1)
    /// Batches waiting to be formatted, oldest first.
    private var pending = CircularBuffer<[TranscriptRecord]>()
    private var helperWake: DispatchSemaphore?
    private let ownThread = DispatchQueue(label: "phxtap.record-writer")
    private var batch: [TranscriptRecord] = []
    private let batchSize: Int
    private let maxPending: Int

    init(_ writer: RecordWriter, batchSize: Int = 512, maxPending: Int = 24) {
        self.writer = writer
        self.batchSize = batchSize
        self.maxPending = maxPending
    }

    /// Whether the formatting should be shared with the thread reading a capture: when the
    /// process has fewer than three cores to run on (SwiftNIO's count, which heeds a
    /// container's CPU quota and cpuset).
    static var wantsHelp: Bool { System.coreCount < 3 }

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
        afterFormattingAll { $0.show() }
    }

    /// Writes everything handed over so far and returns once it is out.
    func flush() {
        afterFormattingAll { $0.flush() }
    }

    /// Formats the oldest batch not yet taken, if there is one. One thread formats at a time,
    /// and each takes the oldest batch once it may: lines come out in order whoever formats.
    func doOne() -> Bool {
        formatting.wait()
        defer { formatting.signal() }
        lock.wait()
        let records = pending.popFirst()
        lock.signal()
        guard let records else { return false }
        writer.writeAll(taking: records)
        return true
    }

    func setHelper(_ wake: DispatchSemaphore?) {
        lock.wait()
        helperWake = wake
        let waiting = pending.count
        lock.signal()
        // What the helper leaves behind goes to this writer's thread.
        if wake == nil, waiting > 0 { ownThread.async { while self.doOne() {} } }
    }

    private func send() {
        guard !batch.isEmpty else { return }
        // Moved, not shared, into `pending`: whoever formats it then owns every record.
        var full: [TranscriptRecord] = []
        swap(&full, &batch)
        lock.wait()
        pending.append(consume full)
        let waiting = pending.count
        let helperWake = helperWake
        lock.signal()
        if let helperWake {
            helperWake.signal()
        } else {
            ownThread.async { _ = self.doOne() }
        }
        if waiting > maxPending { _ = doOne() }
    }

    /// Formats every batch handed over so far, then runs `body` on the writer.
    private func afterFormattingAll(_ body: (RecordWriter) -> Void) {
        send()
        while doOne() {}
        formatting.wait()
        body(writer)
        formatting.signal()
    }
}
