#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts bytes that arrive in pieces into lines, so that a transcript of any size is read a
/// piece at a time and only the line being read is held whole.
///
/// Lines are handed out without their `\n` (a `\r` before it stays: the transcript reader
/// takes it for space). A last line without a newline is handed out by `finish`.
public struct LineSplitter {
    /// The bytes of the current piece not yet handed out, and of the line begun before it.
    private var pending: [UInt8] = []

    public init() {}

    /// Calls `body` with each line that `piece` completes, in order.
    public mutating func feed<E: Error>(_ piece: UnsafeRawBufferPointer, _ body: (ArraySlice<UInt8>) throws(E) -> Void) throws(E) {
        pending.append(contentsOf: piece)
        var start = 0
        while let newline = Self.newline(in: pending, from: start) {
            try body(pending[start..<newline])
            start = newline + 1
        }
        pending.removeSubrange(0..<start)
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

    /// Calls `body` with the last line if the input did not end with a newline.
    public mutating func finish<E: Error>(_ body: (ArraySlice<UInt8>) throws(E) -> Void) throws(E) {
        guard !pending.isEmpty else { return }
        try body(pending[...])
        pending.removeAll()
    }
}
