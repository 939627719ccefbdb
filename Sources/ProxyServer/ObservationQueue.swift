import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TapPipeline
import PhoenixProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// What the relay hands over for observation. Bytes stay a `ByteBuffer` (the same storage the
/// relay wrote to the other leg) so the event loop never copies; the copy into `[UInt8]` is
/// made by the consumer, off the event loops.
enum Observation: Sendable {
    case event(ConnectionEvent)
    case bytes(conn: Int, from: Direction, time: Double, buffer: ByteBuffer)
}

/// A queue between the relay's event loops and the observer with a byte budget: offering never
/// blocks and never waits. When the budget is spent the offer is refused and the relay records
/// the skipped bytes as a gap instead of slowing the traffic down.
///
/// The consumer is one thread of its own that drains the queue in batches and polls when it is
/// empty (1 ms, backing off to 10 ms when idle). The relay therefore never wakes anybody: an
/// offer is a lock and an append, with no system call on the relay's path.
final class ObservationQueue: Sendable {
    /// Scheduling niceness of the observer thread on Linux (0 normal, 19 lowest). The lowest:
    /// on a busy machine the observer runs in the gaps and catches up afterwards (the byte
    /// budget absorbs the backlog); measured in bench/proxy.md.
    static let defaultNice: Int32 = 19

    private struct State {
        var items: [Observation] = []
        var usedBytes = 0
        var finishing = false
    }

    private let budget: Int
    private let state = NIOLockedValueBox(State())
    private let pool = NIOThreadPool(numberOfThreads: 1)
    private let done: NIOLockedValueBox<Bool> = NIOLockedValueBox(false)

    /// `observer` gets each event in order; `drained` is called after each batch (a good moment
    /// to flush output).
    init(
        budgetBytes: Int, observerNice: Int32 = ObservationQueue.defaultNice,
        observer: @escaping @Sendable (ConnectionEvent) -> Void, drained: @escaping @Sendable () -> Void
    ) {
        self.budget = budgetBytes
        pool.start()
        let state = self.state
        let done = self.done
        pool.submit { _ in
            #if os(Linux)
            // The relay comes first: when the machine is short of CPU the observer yields to
            // the event loops (and to the peers), falls behind, and the byte budget turns the
            // backlog into reported gaps rather than slower traffic. On Linux the nice value is
            // per thread and `who == 0` is the calling thread.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, observerNice)
            #endif
            var batch: [Observation] = []
            var idleMicros: UInt32 = 1_000
            while true {
                let finishing = state.withLockedValue { state -> Bool in
                    swap(&state.items, &batch)
                    return state.finishing
                }
                if batch.isEmpty {
                    if finishing { break }
                    usleep(idleMicros)
                    idleMicros = min(idleMicros * 2, 10_000)
                    continue
                }
                idleMicros = 1_000
                var released = 0
                for item in batch {
                    switch item {
                    case .event(let event):
                        observer(event)
                    case .bytes(let conn, let from, let time, let buffer):
                        released += buffer.readableBytes
                        observer(.bytes(conn: conn, from: from, time: time, bytes: Array(buffer.readableBytesView)))
                    }
                }
                batch.removeAll(keepingCapacity: true)
                state.withLockedValue { $0.usedBytes -= released }
                drained()
            }
            done.withLockedValue { $0 = true }
        }
    }

    /// Queues an event that is not bytes; always accepted (they are few and small).
    func offer(_ event: ConnectionEvent) {
        state.withLockedValue { $0.items.append(.event(event)) }
    }

    /// Queues the events that announce a gap and then the bytes, or refuses all of it when the
    /// budget cannot take the bytes. Returns whether they were queued.
    func offer(prefix: [ConnectionEvent], conn: Int, from: Direction, time: Double, buffer: ByteBuffer) -> Bool {
        let size = buffer.readableBytes
        return state.withLockedValue { state -> Bool in
            guard state.usedBytes + size <= budget else { return false }
            state.usedBytes += size
            for event in prefix { state.items.append(.event(event)) }
            state.items.append(.bytes(conn: conn, from: from, time: time, buffer: buffer))
            return true
        }
    }

    /// Ends the queue and waits until the observer has seen everything queued before.
    func finish() async {
        state.withLockedValue { $0.finishing = true }
        while !done.withLockedValue({ $0 }) {
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        try? await pool.shutdownGracefully()
    }
}
