import PhoenixProtocol
import Testing
import Transcript

/// A transcript read a piece at a time gives what reading it line by line gives, whatever the
/// pieces, and says which line it could not read.
@Suite struct TranscriptStreamTests {
    private static let lines = [
        #"{"type":"session","format":"phxtap/1","source":"t"}"#,
        #"{"type":"open","conn":1,"time":1.0,"client":"c:1","server":"s:2","transport":"websocket","path":"/socket/websocket","params":{"vsn":"2.0.0"},"serializer":"v2","status":101}"#,
        #"{"type":"message","conn":1,"seq":1,"time":1.1,"from":"client","opcode":"text","size":0,"raw":"[\"1\",\"1\",\"room:a\",\"phx_join\",{}]","annotations":[]}"#,
        "",
        #"{"type":"message","conn":1,"seq":2,"time":1.2,"from":"server","opcode":"text","size":0,"raw":"[\"1\",\"1\",\"room:a\",\"phx_reply\",{\"response\":{},\"status\":\"ok\"}]","annotations":[]}"#,
    ]

    /// Reads `text` in pieces of the given sizes (cycled); returns the records and the error.
    private func stream(_ text: [UInt8], pieces: [Int], limit: Int = 1 << 30) -> ([TranscriptRecord], TranscriptReadError?) {
        var stream = TranscriptStream(maxLineLength: limit)
        var records: [TranscriptRecord] = []
        var offset = 0
        var k = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(text.count, 1), alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: text)
        do throws(TranscriptReadError) {
            while offset < text.count {
                let end = min(offset + pieces[k % pieces.count], text.count)
                try stream.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<end])) { records.append($0) }
                offset = end
                k += 1
            }
            try stream.finish { records.append($0) }
        } catch {
            return (records, error)
        }
        return (records, nil)
    }

    @Test func piecesGiveTheRecordsOfTheLines() throws {
        var reader = TranscriptReader()
        let expected = try Self.lines.compactMap { try reader.read(line: Array($0.utf8)[...]) }
        let text = Array(Self.lines.joined(separator: "\n").utf8)
        for pieces in [[1], [7], [64, 3], [text.count]] {
            let (records, error) = stream(text, pieces: pieces)
            #expect(error == nil, "\(pieces)")
            #expect(records == expected, "\(pieces)")
        }
    }

    /// The line numbers (and the serializers of open lines) carry over from piece to piece.
    @Test func aDamagedLineIsNamedWhateverThePieces() {
        let text = Array((Self.lines + ["{\"type\":", Self.lines[2]]).joined(separator: "\n").utf8)
        for pieces in [[1], [13], [text.count]] {
            let (records, error) = stream(text, pieces: pieces)
            #expect(records.count == 4, "\(pieces)")
            #expect(error?.line == 6, "\(pieces)")
        }
    }

    /// A line longer than the limit is refused when it is seen, by its number.
    @Test func aLineLongerThanTheLimitIsRefusedByItsNumber() {
        let long = String(repeating: "x", count: 500)
        let text = Array((Array(Self.lines.prefix(2)) + [long, Self.lines[2]]).joined(separator: "\n").utf8)
        let (records, error) = stream(text, pieces: [100], limit: 300)
        #expect(records.count == 2)
        #expect(error == TranscriptReadError(line: 3, reason: "longer than 300 bytes, more than any message makes"))
    }
}
