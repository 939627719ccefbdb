import Testing
import Transcript

@Suite struct LineSplitterTests {
    /// Whatever the pieces, the lines are those of the whole text split at each newline: a line
    /// may begin in one piece and end several pieces later, and a last line without a newline
    /// comes out at the end.
    @Test func linesDoNotDependOnHowTheBytesArrive() {
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
                piece.withUnsafeBytes { splitter.feed($0) { lines.append(Array($0)) } }
                offset += size
            }
            splitter.finish { lines.append(Array($0)) }
            #expect(lines == expected, "round \(round): \(text.count) bytes")
        }
    }
}
