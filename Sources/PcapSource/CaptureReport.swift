/// What reading one or more captures came to.
public struct CaptureReport: Sendable {
    /// Packets read from all files.
    public var packets = 0
    /// One sentence per problem: a file that could not be opened, or damage that stopped one.
    public var problems: [CaptureError] = []
    /// The decoder's counts.
    public var statistics = CaptureDecoder.Statistics()
    /// Whether nothing at all could be read (the `phxtap read` exit status 2 case).
    public var nothingRead: Bool { packets == 0 && !problems.isEmpty }
}

/// Where reading stands, for a progress bar on stderr.
public struct CaptureProgress: Sendable, Hashable {
    /// The file being read.
    public var path: String
    /// Its position among the files (0-based), and how many there are.
    public var fileIndex: Int, fileCount: Int
    /// Bytes of the file consumed so far, and its size when known.
    public var bytesRead: Int64, fileSize: Int64?
    /// Packets read from all files so far.
    public var packets: Int
}
