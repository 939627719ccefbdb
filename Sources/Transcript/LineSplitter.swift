#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts bytes that arrive in pieces into lines, so that a transcript of any size is read a
/// piece at a time and only the line being read is held whole.
///
/// Lines are handed out without their `\n` (a `\r` before it stays: the transcript reader
/// takes it for space). A last line without a newline is handed out by `finish`. A line longer
/// than `maxLineLength` stops the splitting with `LineTooLong` as soon as it is seen (the line
/// after the last one handed out), so that a file which is not made of lines cannot fill memory.
public struct LineSplitter {
    public let maxLineLength: Int
    /// The bytes of the current piece not yet handed out, and of the line begun before it.
    private var pending: [UInt8] = []

    public init(maxLineLength: Int = .max) {
        self.maxLineLength = maxLineLength
    }

    /// Calls `body` with each line that `piece` completes, in order.
    public mutating func feed(_ piece: UnsafeRawBufferPointer, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        pending.append(contentsOf: piece)
        var start = 0
        while let newline = Self.newline(in: pending, from: start) {
            try hand(pending[start..<newline], body)
            start = newline + 1
        }
        pending.removeSubrange(0..<start)
        if pending.count > maxLineLength { throw LineTooLong() }
    }

    /// Calls `body` with the last line if the input did not end with a newline.
    public mutating func finish(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        guard !pending.isEmpty else { return }
        try hand(pending[...], body)
        pending.removeAll()
    }

    private func hand(_ line: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        guard line.count <= maxLineLength else { throw LineTooLong() }
        try body(line)
    }

    /// The offset of the first `\n` at or after `start` (`memchr`: lines are long, and a byte
    /// loop over hundreds of megabytes is noticeable).
    private static func newline(in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, start < buffer.count,
                let found = memchr(base + start, 0x0A, buffer.count - start)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }
}

/// A line longer than a `LineSplitter` accepts. Its number is the reader's to tell: the one
/// after the last line handed out.
public struct LineTooLong: Error, Hashable {
    public init() {}
}
