import PcapSource
import PhoenixProtocol
import TapPipeline
import TestSupport
import Testing

/// The reassembler fed byte arrays directly: splits, orders, duplicates, wrap-around, bounds.
@Suite struct TCPReassemblerTests {
    struct Segment {
        var sequence: UInt32
        var bytes: [UInt8]
        var fin = false
    }

    /// Feeds segments (and optional peer ACKs after each) and returns the direction's pieces and notes.
    static func run(
        _ segments: [Segment], start: UInt32, clean: Bool = true, maxHeld: Int = 4 << 20, history: Int = 8192,
        ackAfter: [Int: UInt32] = [:], flush: Bool = false
    ) -> (pieces: [Piece], notes: [String], finished: Bool) {
        var reassembler = TCPReassembler(conn: 1, direction: .client, maxHeldBytes: maxHeld, historyBytes: history)
        reassembler.start(at: start, clean: clean)
        var events: [ConnectionEvent] = []
        for (index, segment) in segments.enumerated() {
            segment.bytes.withUnsafeBytes {
                reassembler.segment(sequence: segment.sequence, payload: $0, lostTail: 0, fin: segment.fin, time: 0, into: &events)
            }
            if let ack = ackAfter[index] { reassembler.acknowledged(ack, time: 0, into: &events) }
        }
        if flush { reassembler.flush(time: 0, into: &events) }
        var pieces: [Piece] = []
        var notes: [String] = []
        for event in events {
            switch event {
            case .bytes(_, _, _, let bytes):
                if case .bytes(let old)? = pieces.last { pieces[pieces.count - 1] = .bytes(old + bytes) } else { pieces.append(.bytes(bytes)) }
            case .gap(_, _, _, let missing): pieces.append(.gap(missing))
            case .sourceNote(_, _, let rule, _): notes.append(rule)
            default: Issue.record("unexpected \(event)")
            }
        }
        return (pieces, notes, reassembler.isFinished)
    }

    static let data: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// Cuts `data` at random points into segments starting at `start`.
    static func cut(_ data: [UInt8], start: UInt32, maxSize: Int, using rng: inout SplitMix64) -> [Segment] {
        var segments: [Segment] = []
        var offset = 0
        while offset < data.count {
            let size = min(data.count - offset, Int.random(in: 1...maxSize, using: &rng))
            segments.append(Segment(sequence: start &+ UInt32(offset), bytes: Array(data[offset..<(offset + size)])))
            offset += size
        }
        return segments
    }

    @Test(arguments: [UInt32(1000), UInt32.max - 1500, UInt32.max])
    func anySplitAnyOrderWithDuplicatesGivesTheSameBytes(start: UInt32) {
        var rng = SplitMix64(seed: UInt64(start))
        let whole = Self.run([Segment(sequence: start, bytes: Self.data, fin: true)], start: start)
        #expect(whole.pieces == [.bytes(Self.data)])
        #expect(whole.finished)
        let oneByte = Self.run(Self.cut(Self.data, start: start, maxSize: 1, using: &rng), start: start)
        #expect(oneByte.pieces == [.bytes(Self.data)])
        for _ in 0..<20 {
            var segments = Self.cut(Self.data, start: start, maxSize: 200, using: &rng)
            segments += segments.filter { _ in Bool.random(using: &rng) }  // retransmissions
            segments.shuffle(using: &rng)
            let result = Self.run(segments, start: start)
            #expect(result.pieces == [.bytes(Self.data)])
            #expect(result.notes == [])
        }
    }

    @Test func overlappingPiecesInAnyOrderGiveEachByteOnce() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20 {
            // Segments at random offsets and lengths covering everything, overlapping freely.
            var segments = Self.cut(Self.data, start: 5, maxSize: 300, using: &rng)
            for _ in 0..<30 {
                let from = Int.random(in: 0..<Self.data.count, using: &rng)
                let to = min(Self.data.count, from + Int.random(in: 1...400, using: &rng))
                segments.append(Segment(sequence: 5 + UInt32(from), bytes: Array(Self.data[from..<to])))
            }
            segments.shuffle(using: &rng)
            let result = Self.run(segments, start: 5)
            #expect(result.pieces == [.bytes(Self.data)])
            #expect(result.notes == [])
        }
    }

    @Test func aHeldSegmentThatDisagreesWithAnOverlapIsNotedAndTheFirstCopyKept() {
        let result = Self.run([
            Segment(sequence: 110, bytes: Array("KLMNO".utf8)),
            Segment(sequence: 113, bytes: Array("nopq".utf8)),  // "no" disagrees with "NO"
            Segment(sequence: 100, bytes: Array("ABCDEFGHIJ".utf8)),
        ], start: 100)
        #expect(result.pieces == [.text("ABCDEFGHIJKLMNOpq")])
        #expect(result.notes == ["tcp-retransmission-mismatch"])
    }

    @Test func retransmissionsOlderThanTheHistoryCannotBeChecked() {
        let result = Self.run([
            Segment(sequence: 0, bytes: Array("0123456789".utf8)),
            Segment(sequence: 10, bytes: Array("abcdefghij".utf8)),
            Segment(sequence: 0, bytes: Array("XXXXX".utf8)),  // older than the 8-byte history: silent
            Segment(sequence: 15, bytes: Array("FGH".utf8)),   // within it and different: noted
        ], start: 0, history: 8)
        #expect(result.pieces == [.text("0123456789abcdefghij")])
        #expect(result.notes == ["tcp-retransmission-mismatch"])
    }

    @Test func bytesFromBeforeAGapAreNotComparedWithTheWrongHistory() {
        // "0123456789" delivered, 10..<20 never captured, "abcdefghij" held until the peer's ACK
        // turns the hole into a gap. A late copy of the missing bytes cannot be checked (nothing
        // of them was seen); a retransmission after the gap still can.
        let result = Self.run([
            Segment(sequence: 0, bytes: Array("0123456789".utf8)),
            Segment(sequence: 20, bytes: Array("abcdefghij".utf8)),
            Segment(sequence: 10, bytes: Array("KLMNOPQRST".utf8)),  // late: silent
            Segment(sequence: 22, bytes: Array("cdef".utf8)),        // same bytes: silent
            Segment(sequence: 25, bytes: Array("FGH".utf8)),         // different: noted
        ], start: 0, ackAfter: [1: 30])
        #expect(result.pieces == [.text("0123456789"), .gap(10), .text("abcdefghij")])
        #expect(result.notes == ["tcp-retransmission-mismatch"])
    }

    @Test func aKeepAliveProbeWithAGarbageByteIsNotAMismatch() {
        let result = Self.run([
            Segment(sequence: 0, bytes: Array("abc".utf8)),
            Segment(sequence: 2, bytes: [0]),  // keep-alive: one byte before the next, filled with 0
            Segment(sequence: 3, bytes: Array("d".utf8)),
        ], start: 0)
        #expect(result.pieces == [.text("abcd")])
        #expect(result.notes == [])
    }

    @Test func theBufferBoundGivesUpTheHole() {
        // 10 bytes missing at 100..<110; 30 bytes held past a 16-byte bound.
        let result = Self.run([
            Segment(sequence: 100 - 5, bytes: Array("start".utf8)),
            Segment(sequence: 110, bytes: Array("0123456789".utf8)),
            Segment(sequence: 120, bytes: Array("abcdefghij".utf8)),
            Segment(sequence: 130, bytes: Array("ABCDEFGHIJ".utf8)),
            Segment(sequence: 140, bytes: Array("!".utf8)),
        ], start: 95, maxHeld: 16)
        #expect(result.pieces == [.text("start"), .gap(10), .text("0123456789abcdefghijABCDEFGHIJ!")])
    }

    @Test func thePeersAckTurnsAHoleIntoAGapAtOnce() {
        let segments = [Segment(sequence: 0, bytes: Array("ab".utf8)), Segment(sequence: 5, bytes: Array("fg".utf8))]
        let waiting = Self.run(segments, start: 0)
        #expect(waiting.pieces == [.text("ab")])  // the hole may still fill
        let acked = Self.run(segments, start: 0, ackAfter: [1: 7])
        #expect(acked.pieces == [.text("ab"), .gap(3), .text("fg")])
        let partly = Self.run(segments, start: 0, ackAfter: [1: 4])  // the peer only had up to 4
        #expect(partly.pieces == [.text("ab"), .gap(2)])
    }

    @Test func flushReportsHolesHeldBytesAndTheFinBound() {
        let result = Self.run([
            Segment(sequence: 0, bytes: Array("ab".utf8)),
            Segment(sequence: 4, bytes: Array("ef".utf8)),
            Segment(sequence: 9, bytes: [], fin: true),
        ], start: 0, flush: true)
        #expect(result.pieces == [.text("ab"), .gap(2), .text("ef"), .gap(3)])
        #expect(result.finished)
    }

    @Test func aDirectionSeenMidStreamStartsWithAGapOfUnknownSize() {
        var reassembler = TCPReassembler(conn: 3, direction: .server)
        var events: [ConnectionEvent] = []
        Array("late".utf8).withUnsafeBytes {
            reassembler.segment(sequence: 77, payload: $0, lostTail: 0, fin: false, time: 1.5, into: &events)
        }
        guard events.count == 2, case .gap(3, .server, 1.5, nil) = events[0],
            case .bytes(3, .server, 1.5, let bytes) = events[1]
        else {
            Issue.record("unexpected \(events)")
            return
        }
        #expect(bytes == Array("late".utf8))
    }

    @Test func aFloodOfTinyOutOfOrderSegmentsStaysBoundedAndInventsNothing() {
        // 60,000 one-byte segments after a 1-byte hole, in random order: the segment-count bound
        // gives up holes as gaps, and every byte that comes out is the byte at its position.
        var rng = SplitMix64(seed: 9)
        let count = 60_000
        let data = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        var segments = (1..<count).map { Segment(sequence: UInt32($0), bytes: [data[$0]]) }
        segments.shuffle(using: &rng)
        let result = Self.run(segments, start: 0, flush: true)
        var position = 0
        var gaps = 0
        for piece in result.pieces {
            switch piece {
            case .bytes(let bytes):
                #expect(Array(data[position..<(position + bytes.count)]) == bytes)
                position += bytes.count
            case .gap(let missing):
                position += missing ?? 0
                gaps += 1
            }
        }
        #expect(position == count)
        #expect(gaps > 1)  // the first hole, then holes given up by the bound
    }
}
