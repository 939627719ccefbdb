import Testing
import Transcript

@Suite struct LineSplitterTests {
    /// Whatever the pieces, the lines are those of the whole text split at each newline: a line
    /// may begin in one piece and end several pieces later, and a last line without a newline
    /// comes out at the end.
    @Test func linesDoNotDependOnHowTheBytesArrive() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<2_000 {
            let length = Int.random(in: 0...(round % 10 == 0 ? 5_000 : 200), using: &generator)
            let text: [UInt8] = (0..<length).map { _ in
                Int.random(in: 0..<(round % 2 == 0 ? 4 : 60), using: &generator) == 0 ? 0x0A : UInt8(ascii: "a")
            }
            var expected = text.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            if text.last == 0x0A || text.isEmpty { expected.removeLast() }

            var splitter = LineSplitter()
            var lines: [[UInt8]] = []
            var offset = 0
            while offset < text.count {
                let size = Int.random(in: 1...(round % 3 == 0 ? 3 : 700), using: &generator)
                let piece = text[offset..<min(offset + size, text.count)]
                try piece.withUnsafeBytes { try splitter.feed($0) { lines.append(Array($0)) } }
                offset += size
            }
            try splitter.finish { lines.append(Array($0)) }
            #expect(lines == expected, "round \(round): \(text.count) bytes")
        }
    }

    /// A line longer than the limit stops the splitting as soon as it is seen, whether it came
    /// whole in one piece or is still growing without its newline: a file that is not made of
    /// lines cannot fill memory. Lines up to the limit pass.
    @Test func aLineLongerThanTheLimitStopsTheSplitting() throws {
        /// The lines handed out, and the piece (its index, or `pieces.count` for the end) at
        /// which the splitting stopped with `LineTooLong`, if it did.
        func split(_ pieces: [String], limit: Int) -> (lines: [String], stoppedAt: Int?, error: LineTooLong?) {
            var splitter = LineSplitter(maxLineLength: limit)
            var lines: [String] = []
            var at = 0
            do {
                for piece in pieces {
                    try Array(piece.utf8).withUnsafeBytes { try splitter.feed($0) { lines.append(String(decoding: $0, as: UTF8.self)) } }
                    at += 1
                }
                try splitter.finish { lines.append(String(decoding: $0, as: UTF8.self)) }
            } catch {
                return (lines, at, error as? LineTooLong)
            }
            return (lines, nil, nil)
        }
        #expect(split(["12345\n1234", "5\n12345"], limit: 5) == (["12345", "12345", "12345"], nil, nil))
        #expect(split(["12345\n123456\nabc\n"], limit: 5) == (["12345"], 0, LineTooLong()))
        // Without its newline, the line is refused at the piece that makes it too long.
        #expect(split(["ok\n123", "456", "7", "8\n"], limit: 5) == (["ok"], 1, LineTooLong()))
        #expect(split(["ok\n123456", "7"], limit: 5) == (["ok"], 0, LineTooLong()))
    }
}
