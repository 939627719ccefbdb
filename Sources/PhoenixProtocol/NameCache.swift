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

    public init() {}

    /// The string of the bytes inside a JSON string literal (repaired like `String(decoding:as:)`
    /// if they are not UTF-8); nil when the caller decodes them itself: longer than 16 bytes,
    /// or holding an escape.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count <= 16 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
        // The padding past a name's end is zeros, which no backslash test matches.
        let backslash = UInt8(ascii: "\\")
        guard ByteScan.byteMask(words.0, equalTo: backslash) | ByteScan.byteMask(words.1, equalTo: backslash) == 0
        else { return nil }
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
}
