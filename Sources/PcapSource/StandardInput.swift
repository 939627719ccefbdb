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

/// Reading a C stream as its bytes arrive, for inputs that come down a pipe while they are
/// being made (a live tcpdump or proxy): the reading commands show what they have whenever the
/// input pauses, instead of waiting for a buffer to fill or the input to end.
public enum StreamInput {
    /// Up to `buffer.count` bytes: what the stream holds, or else what arrives next (waiting
    /// only while nothing has). 0 at the end; -1 on an error, with `errno` set.
    public static func readSome(_ stream: UnsafeMutablePointer<FILE>, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        phxtap_read_some(stream, buffer.baseAddress, buffer.count)
    }

    /// The size of the regular file the stream reads, for a progress bar; nil for a pipe, a
    /// FIFO or a terminal, whose input may pause (and whose size cannot be told).
    public static func regularFileSize(_ stream: UnsafeMutablePointer<FILE>) -> Int64? {
        var status = stat()
        guard fstat(fileno(stream), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(status.st_size)
    }

    /// Whether reading now would wait: nothing in the stream's buffer, nothing ready on its
    /// descriptor.
    public static func wouldWait(_ stream: UnsafeMutablePointer<FILE>) -> Bool {
        phxtap_stream_would_wait(stream) != 0
    }
}
