import NIOConcurrencyHelpers
import NIOCore
import TapPipeline
import PhoenixProtocol

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
final class ObservationQueue: Sendable {
    private let budget: Int
    private let used = NIOLockedValueBox(0)
    private let continuation: AsyncStream<Observation>.Continuation
    private let consumer: Task<Void, Never>

    init(budgetBytes: Int, observer: @escaping @Sendable (ConnectionEvent) -> Void) {
        // Unbounded in count: the byte budget above is what bounds memory, and events other
        // than bytes are a handful per connection.
        let (stream, continuation) = AsyncStream<Observation>.makeStream(bufferingPolicy: .unbounded)
        self.budget = budgetBytes
        self.continuation = continuation
        let used = self.used
        self.consumer = Task.detached {
            for await item in stream {
                switch item {
                case .event(let event):
                    observer(event)
                case .bytes(let conn, let from, let time, let buffer):
                    let bytes = Array(buffer.readableBytesView)
                    observer(.bytes(conn: conn, from: from, time: time, bytes: bytes))
                    used.withLockedValue { $0 -= bytes.count }
                }
            }
        }
    }

    /// Queues an event that is not bytes; always accepted (they are few and small).
    func offer(_ event: ConnectionEvent) {
        continuation.yield(.event(event))
    }

    /// Queues the events that announce a gap and then the bytes, or refuses all of it when the
    /// budget cannot take the bytes. Returns whether they were queued.
    func offer(prefix: [ConnectionEvent], conn: Int, from: Direction, time: Double, buffer: ByteBuffer) -> Bool {
        let size = buffer.readableBytes
        let admitted = used.withLockedValue { used -> Bool in
            guard used + size <= budget else { return false }
            used += size
            return true
        }
        guard admitted else { return false }
        for event in prefix { continuation.yield(.event(event)) }
        continuation.yield(.bytes(conn: conn, from: from, time: time, buffer: buffer))
        return true
    }

    /// Ends the queue and waits until the observer has seen everything queued before.
    func finish() async {
        continuation.finish()
        await consumer.value
    }
}
