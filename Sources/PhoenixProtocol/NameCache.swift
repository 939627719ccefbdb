/// Short strings that come back on every message of a connection (its topics, its events,
/// reply statuses), kept so that decoding hands out the same `String` again instead of building
/// a new one: building one cost about 190 instructions on the benchmark capture, finding it
/// here about 100 (its bytes copied into two words, then two compares per entry). A session
/// keeps one and lends it to `PhoenixDecoder`.
///
/// Names of up to 16 bytes are kept as two words, the eight most recent distinct ones; the
/// decoded string is the one `String(decoding:as:)` gives for the same bytes, so a transcript
/// cannot tell whether a name came from here.
public struct NameCache: Sendable {
    private struct Entry: Sendable {
        var words: (UInt64, UInt64)
        var count: Int
        var string: String
    }

    private var entries: [Entry] = []
    private var next = 0
    private static let capacity = 8
    /// The last join_ref: the same on every message of a channel, kept apart from the names
    /// so that it neither pushes them out nor is looked for among them.
    private var joinRef: Entry?

    public init() {}

    /// The string of the bytes inside a JSON string literal (repaired like `String(decoding:as:)`
    /// if they are not UTF-8); nil when the caller decodes them itself: longer than 16 bytes,
    /// or holding an escape.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count <= 16, let base = bytes.baseAddress else { return nil }
        let words = Self.words(UnsafeRawPointer(base), count: bytes.count)
        guard !Self.holdsBackslash(words) else { return nil }
        for i in entries.indices
        where entries[i].words.0 == words.0 && entries[i].words.1 == words.1 && entries[i].count == bytes.count {
            return entries[i].string
        }
        let string = String(decoding: bytes, as: UTF8.self)
        let entry = Entry(words: words, count: bytes.count, string: string)
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next + 1) % Self.capacity
        }
        return string
    }

    /// Like `string(_:)`, for a join_ref: the last one is kept, whatever it was.
    mutating func joinRefString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count <= 16, let base = bytes.baseAddress else { return nil }
        let words = Self.words(UnsafeRawPointer(base), count: bytes.count)
        if let last = joinRef, last.words.0 == words.0, last.words.1 == words.1, last.count == bytes.count {
            return last.string
        }
        guard !Self.holdsBackslash(words) else { return nil }
        let string = String(decoding: bytes, as: UTF8.self)
        joinRef = Entry(words: words, count: bytes.count, string: string)
        return string
    }

    /// Whether a name's words hold an escape. The padding past its end is zeros, which no
    /// backslash test matches.
    @inline(__always)
    private static func holdsBackslash(_ words: (UInt64, UInt64)) -> Bool {
        let backslash = UInt8(ascii: "\\")
        return ByteScan.byteMask(words.0, equalTo: backslash) | ByteScan.byteMask(words.1, equalTo: backslash) != 0
    }

    /// `count` bytes (at most 16) as two words, zeros past the end, read with overlapping loads
    /// inside the bytes rather than copied (a copy call per name cost more than the lookup).
    /// Any byte order will do: the words are only compared with words made the same way.
    @inline(__always)
    static func words(_ p: UnsafeRawPointer, count n: Int) -> (UInt64, UInt64) {
        if n >= 8 {
            // The second word is bytes 8..<n: the last eight bytes, shifted down past those
            // that the first word holds (by 64 bits, to zero, when n is 8).
            let last = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
            return (UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)), last >> UInt64((16 - n) * 8))
        }
        if n >= 4 {
            let first = UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
            let last = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
            return (first | last << UInt64((n - 4) * 8), 0)
        }
        var word: UInt64 = 0
        for i in 0..<n { word |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << UInt64(i * 8) }
        return (word, 0)
    }
}
