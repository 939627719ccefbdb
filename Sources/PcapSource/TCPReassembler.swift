public import PhoenixProtocol
public import TapPipeline

/// Rebuilds one direction of a TCP connection from segments in capture order: puts
/// out-of-order segments back in place, drops retransmissions (checking that they repeat the
/// same bytes), and reports bytes that were never captured as `.gap` rather than inventing them.
///
/// Positions are kept as 64-bit stream offsets (bytes since the start of the direction), so
/// sequence-number wrap-around is only ever handled in one place: the signed 32-bit distance
/// from the next expected sequence number (RFC 1982 serial arithmetic).
///
/// ```
///  offset:  delivered                 ackedUpTo
///              |   hole    | pending  |   hole   | pending |
///  ------------+-----------+----------+----------+---------+---->
///   delivered   waiting     held        waiting    held
/// ```
///
/// A hole is given up, as a `.gap` of its size, when the peer acknowledged bytes past it (the
/// receiver had them, so the capture lost them), when the held bytes exceed the buffer bound,
/// or when the connection ends. Memory: the held segments plus a fixed history ring.
public struct TCPReassembler: Sendable {
    /// A segment held until the hole before it is filled or given up. `lost` bytes (cut by the
    /// snap length) follow `bytes` in the stream.
    private struct Held: Sendable {
        var offset: Int64
        var bytes: [UInt8]
        var lost: Int
        var end: Int64 { offset + Int64(bytes.count + lost) }
    }

    /// The connection number events carry.
    public let conn: Int
    /// The side whose bytes this is.
    public let direction: Direction
    private let maxHeldBytes: Int
    /// Held segments are also bounded in number: a flood of tiny out-of-order segments would
    /// otherwise cost far more in bookkeeping than their bytes.
    static let maxHeldSegments = 4096
    private let historyCapacity: Int

    /// Whether the stream position is known (from a SYN, the peer's handshake ACK, or data).
    public private(set) var isStarted = false
    /// Whether every byte up to the FIN has been delivered or reported lost.
    public private(set) var isFinished = false
    /// Stream offset of the next byte to deliver: bytes delivered plus bytes reported lost.
    public private(set) var delivered: Int64 = 0
    /// The sequence number of the byte at `delivered`.
    private var nextSequence: UInt32 = 0
    /// Whether the direction began before the capture did, so a `.gap` must precede its bytes.
    private var owesLeadingGap = false
    private var held: [Held] = []
    private var heldBytes = 0
    private var finOffset: Int64?
    private var ackedUpTo: Int64 = 0
    /// The last `historyCapacity` delivered bytes, as a ring, to check retransmissions against.
    private var history: [UInt8] = []
    private var historyWrite = 0
    private var historyCount = 0

    /// A reassembler for one direction of connection `conn`.
    public init(conn: Int, direction: Direction, maxHeldBytes: Int = 4 << 20, historyBytes: Int = 2 << 10) {
        self.conn = conn
        self.direction = direction
        self.maxHeldBytes = max(0, maxHeldBytes)
        self.historyCapacity = max(0, historyBytes)
    }

    /// Anchors the stream at `sequence` (the SYN's sequence number plus one, or the ACK the
    /// peer sent in the handshake). `clean` is false when earlier bytes were not captured.
    public mutating func start(at sequence: UInt32, clean: Bool) {
        guard !isStarted else { return }
        isStarted = true
        nextSequence = sequence
        owesLeadingGap = !clean
    }

    /// Takes one segment: `payload` is the captured payload, `lostTail` the bytes the snap
    /// length cut from its end, `fin` whether it carries a FIN (after the payload).
    public mutating func segment(
        sequence: UInt32, payload: UnsafeRawBufferPointer, lostTail: Int, fin: Bool, time: Double,
        into events: inout [ConnectionEvent]
    ) {
        let length = payload.count + lostTail
        if !isStarted {
            // A direction seen first mid-stream starts at its first data; a bare ACK or FIN
            // says too little (keep-alives sit one byte before the real position).
            guard length > 0 else { return }
            start(at: sequence, clean: false)
        }
        let offset = delivered + Int64(Int32(bitPattern: sequence &- nextSequence))
        // A keep-alive probe repeats the byte before the next one, and some stacks fill it with
        // garbage: it is neither data nor a retransmission worth checking.
        if length == 1 && !fin && offset == delivered - 1 && held.isEmpty { return }
        let end = offset + Int64(length)
        if fin && finOffset == nil && !isFinished { finOffset = end }
        if length > 0 {
            var payload = payload
            var lostTail = lostTail
            var start = offset
            if offset < delivered {
                // Some or all of it was delivered already: a retransmission or an overlap.
                let overlapEnd = min(end, delivered)
                checkAgainstHistory(offset: offset, bytes: payload, upTo: overlapEnd, time: time, into: &events)
                let skip = Int(overlapEnd - offset)
                if skip >= payload.count {
                    lostTail -= skip - payload.count
                    payload = UnsafeRawBufferPointer(rebasing: payload[payload.count...])
                } else {
                    payload = UnsafeRawBufferPointer(rebasing: payload[skip...])
                }
                start = overlapEnd
            }
            if start < end && !isFinished {
                if start == delivered && held.isEmpty {
                    deliver(Array(payload), lost: lostTail, time: time, into: &events)
                } else {
                    hold(offset: start, payload: payload, lost: lostTail, time: time, into: &events)
                    deliverContiguous(time: time, into: &events)
                }
            }
        }
        resolveAcknowledgedHoles(time: time, into: &events)
        enforceBound(time: time, into: &events)
        checkFinished()
    }

    /// The peer acknowledged everything before `acknowledgement`: any hole before that point
    /// was received by the peer but not captured, so it becomes a `.gap` now.
    public mutating func acknowledged(_ acknowledgement: UInt32, time: Double, into events: inout [ConnectionEvent]) {
        guard isStarted, !isFinished else { return }
        let distance = Int32(bitPattern: acknowledgement &- nextSequence)
        guard distance > 0 else { return }
        var target = delivered + Int64(distance)
        if let fin = finOffset, target > fin { target = fin }  // the FIN itself takes one number
        ackedUpTo = max(ackedUpTo, target)
        resolveAcknowledgedHoles(time: time, into: &events)
        checkFinished()
    }

    /// The connection ended: delivers everything held, reporting each hole as a `.gap`, and
    /// any acknowledged or FIN-bounded bytes that never appeared.
    public mutating func flush(time: Double, into events: inout [ConnectionEvent]) {
        guard isStarted, !isFinished else { return }
        while let first = held.first {
            if first.offset > delivered { reportGap(upTo: first.offset, time: time, into: &events) }
            deliverContiguous(time: time, into: &events)
        }
        // The FIN's position is exact; without one, the peer's ACK is the best bound (it counts
        // one too many if the FIN itself was not captured).
        let known = finOffset ?? ackedUpTo
        if known > delivered { reportGap(upTo: known, time: time, into: &events) }
        isFinished = true
    }

    // MARK: - Delivery

    private mutating func deliver(_ bytes: [UInt8], lost: Int, time: Double, into events: inout [ConnectionEvent]) {
        if owesLeadingGap {
            owesLeadingGap = false
            events.append(.gap(conn: conn, from: direction, time: time, missing: nil))
        }
        if !bytes.isEmpty {
            remember(bytes)
            events.append(.bytes(conn: conn, from: direction, time: time, bytes: bytes))
        }
        if lost > 0 { events.append(.gap(conn: conn, from: direction, time: time, missing: lost)) }
        advance(to: delivered + Int64(bytes.count + lost), remembered: bytes.count)
    }

    private mutating func reportGap(upTo offset: Int64, time: Double, into events: inout [ConnectionEvent]) {
        owesLeadingGap = false  // the gap says it all
        events.append(.gap(conn: conn, from: direction, time: time, missing: Int(offset - delivered)))
        advance(to: offset, remembered: 0)
    }

    /// Moves the delivery point to `offset`, of which the last `remembered` bytes went into the
    /// history. Bytes nobody saw break the ring's alignment with `delivered`, so passing over any
    /// empties it: a retransmission from before a gap cannot be checked.
    private mutating func advance(to offset: Int64, remembered: Int) {
        if offset - delivered > Int64(remembered) { historyCount = 0 }
        nextSequence &+= UInt32(truncatingIfNeeded: offset - delivered)
        delivered = offset
    }

    private mutating func deliverContiguous(time: Double, into events: inout [ConnectionEvent]) {
        var taken = 0
        while taken < held.count, held[taken].offset <= delivered {
            var segment = held[taken]
            heldBytes -= segment.bytes.count
            taken += 1
            if segment.end <= delivered { continue }  // a gap report moved past it
            let skip = Int(delivered - segment.offset)
            if skip > 0 {
                if skip >= segment.bytes.count {
                    segment.lost -= skip - segment.bytes.count
                    segment.bytes = []
                } else {
                    segment.bytes.removeFirst(skip)
                }
            }
            deliver(segment.bytes, lost: segment.lost, time: time, into: &events)
        }
        if taken > 0 { held.removeFirst(taken) }
    }

    private mutating func resolveAcknowledgedHoles(time: Double, into events: inout [ConnectionEvent]) {
        while let first = held.first, first.offset > delivered, ackedUpTo > delivered {
            reportGap(upTo: min(ackedUpTo, first.offset), time: time, into: &events)
            deliverContiguous(time: time, into: &events)
        }
        // Everything up to the FIN was acknowledged but not all of it captured.
        if held.isEmpty, let fin = finOffset, ackedUpTo >= fin, delivered < fin {
            reportGap(upTo: fin, time: time, into: &events)
        }
    }

    private mutating func enforceBound(time: Double, into events: inout [ConnectionEvent]) {
        while heldBytes > maxHeldBytes || held.count > Self.maxHeldSegments, let first = held.first {
            if first.offset > delivered { reportGap(upTo: first.offset, time: time, into: &events) }
            deliverContiguous(time: time, into: &events)
        }
    }

    private mutating func checkFinished() {
        if let fin = finOffset, delivered >= fin, held.isEmpty { isFinished = true }
    }

    // MARK: - Held segments

    /// Inserts the parts of `[offset, offset + payload + lost)` that no held segment covers
    /// yet; where they overlap, the first copy wins and a disagreement is noted.
    private mutating func hold(
        offset: Int64, payload: UnsafeRawBufferPointer, lost: Int, time: Double, into events: inout [ConnectionEvent]
    ) {
        let realEnd = offset + Int64(payload.count)
        let end = realEnd + Int64(lost)
        var cursor = offset
        // Start at the first held segment that ends after `offset` (binary search: segments
        // mostly arrive in ascending order, so this is usually the end of the list).
        var low = 0, high = held.count
        while low < high {
            let middle = (low + high) / 2
            if held[middle].end <= offset { low = middle + 1 } else { high = middle }
        }
        var index = low
        var mismatched = false
        func piece(_ from: Int64, _ to: Int64) -> Held {
            let bytesEnd = min(to, realEnd)
            let bytes = from < bytesEnd
                ? Array(payload[Int(from - offset)..<Int(bytesEnd - offset)]) : []
            return Held(offset: from, bytes: bytes, lost: Int(to - max(from, bytesEnd)))
        }
        while index < held.count && cursor < end {
            let other = held[index]
            if other.end <= cursor { index += 1; continue }
            if other.offset >= end { break }
            if other.offset > cursor {
                let newPiece = piece(cursor, other.offset)
                heldBytes += newPiece.bytes.count
                held.insert(newPiece, at: index)
                index += 1
            }
            // Compare the bytes both copies really have.
            let from = max(cursor, other.offset)
            let to = min(min(end, realEnd), other.offset + Int64(other.bytes.count))
            if from < to {
                for position in from..<to
                where payload[Int(position - offset)] != other.bytes[Int(position - other.offset)] {
                    mismatched = true
                    break
                }
            }
            cursor = max(cursor, other.end)
            index += 1
        }
        if cursor < end {
            let newPiece = piece(cursor, end)
            heldBytes += newPiece.bytes.count
            held.insert(newPiece, at: index)
        }
        if mismatched { noteMismatch(at: offset, time: time, into: &events) }
    }

    // MARK: - Retransmission history

    private mutating func remember(_ bytes: [UInt8]) {
        guard historyCapacity > 0 else { return }
        if history.isEmpty { history = [UInt8](repeating: 0, count: historyCapacity) }
        let tail = bytes.count > historyCapacity ? bytes.count - historyCapacity : 0
        var source = tail
        while source < bytes.count {
            let chunk = min(bytes.count - source, historyCapacity - historyWrite)
            history.withUnsafeMutableBufferPointer { ring in
                bytes.withUnsafeBufferPointer { input in
                    _ = UnsafeMutableBufferPointer(rebasing: ring[historyWrite..<(historyWrite + chunk)])
                        .initialize(from: input[source..<(source + chunk)])
                }
            }
            source += chunk
            historyWrite = (historyWrite + chunk) % historyCapacity
        }
        historyCount = min(historyCapacity, historyCount + bytes.count)
    }

    /// Compares the part of a retransmission before `upTo` with the delivered bytes still in
    /// the history ring; older bytes cannot be checked.
    private mutating func checkAgainstHistory(
        offset: Int64, bytes: UnsafeRawBufferPointer, upTo: Int64, time: Double, into events: inout [ConnectionEvent]
    ) {
        let oldest = delivered - Int64(historyCount)
        let from = max(offset, oldest)
        let to = min(upTo, offset + Int64(bytes.count))
        guard from < to else { return }
        for position in from..<to {
            let back = Int(delivered - position)
            let index = (historyWrite - back + historyCapacity) % historyCapacity
            if history[index] != bytes[Int(position - offset)] {
                noteMismatch(at: offset, time: time, into: &events)
                return
            }
        }
    }

    private func noteMismatch(at offset: Int64, time: Double, into events: inout [ConnectionEvent]) {
        events.append(.sourceNote(
            conn: conn, time: time, rule: "tcp-retransmission-mismatch",
            text: "A retransmitted \(direction.rawValue) segment at stream offset \(offset) carries different "
                + "bytes than the first copy; the first copy was kept."))
    }
}
