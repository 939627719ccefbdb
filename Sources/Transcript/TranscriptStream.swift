/// A `phxtap/1` transcript read a piece at a time: lines cut out of the pieces as they come
/// (`LineSplitter`) and read into records (`TranscriptReader`). Only the line being read is
/// held whole, and a line longer than `maxLineLength` is refused as soon as it is seen.
public struct TranscriptStream {
    private var reader = TranscriptReader()
    private var lines: LineSplitter

    /// A message is at most 64 MiB; escaped, and written again as payload and response, its
    /// transcript line stays below the default.
    public init(maxLineLength: Int = 1 << 30) {
        lines = LineSplitter(maxLineLength: maxLineLength)
    }

    /// Calls `body` with each record of the lines `piece` completes; throws at the first line
    /// that cannot be read, after the records before it.
    public mutating func feed(_ piece: UnsafeRawBufferPointer, _ body: (TranscriptRecord) -> Void) throws(TranscriptReadError) {
        try read(piece, body)
    }

    /// Calls `body` with the record of a last line without a newline.
    public mutating func finish(_ body: (TranscriptRecord) -> Void) throws(TranscriptReadError) {
        try read(nil, body)
    }

    /// The lines `piece` completes, or with nil the last one, read into records for `body`.
    private mutating func read(_ piece: UnsafeRawBufferPointer?, _ body: (TranscriptRecord) -> Void) throws(TranscriptReadError) {
        // The reader goes into the splitter's callback as a local: the splitter is being changed
        // meanwhile, and both are parts of `self`.
        var reader = self.reader
        defer { self.reader = reader }
        func record(_ line: ArraySlice<UInt8>) throws {
            if let record = try reader.read(line: line) { body(record) }
        }
        do {
            if let piece { try lines.feed(piece, record) } else { try lines.finish(record) }
        } catch {
            throw Self.readError(error, after: reader, limit: lines.maxLineLength)
        }
    }

    /// The reader's own error, or for a line too long, one that names the line after the last
    /// one read.
    private static func readError(_ error: any Error, after reader: TranscriptReader, limit: Int) -> TranscriptReadError {
        error as? TranscriptReadError
            ?? TranscriptReadError(line: reader.lineNumber + 1, reason: "longer than \(limit) bytes, more than any message makes")
    }
}
