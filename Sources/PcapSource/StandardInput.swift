import CPcap

#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// Standard input as the reading commands see it (`-` among the inputs): one C stream, which
/// libpcap reads for a capture and the transcript reader for a transcript.
public enum StandardInput {
    /// C's `stdin`.
    public static var stream: UnsafeMutablePointer<FILE> { phxtap_stdin() }

    /// Whether standard input starts with `{` (JSON: a transcript), looked at without taking
    /// the byte: it is pushed back into the stream, so whoever reads next gets it.
    public static var startsWithBrace: Bool {
        let first = getc(stream)
        guard first != EOF else { return false }
        ungetc(first, stream)
        return first == Int32(UInt8(ascii: "{"))
    }
}
