/// The body of an HTTP message as observed. Bodies beyond the observation limit are counted
/// but not kept, so a large upload never grows memory.
public struct HTTPBody: Sendable, Hashable {
    /// The bytes kept (all of them unless `truncated`).
    public var bytes: [UInt8]
    /// How many body bytes the message had on the wire (decoded from chunks, if chunked).
    public var size: Int
    /// True when `bytes` is not the whole body: past the observation limit, or bytes were lost.
    public var truncated: Bool

    /// Creates a body.
    public init(bytes: [UInt8] = [], size: Int = 0, truncated: Bool = false) {
        self.bytes = bytes
        self.size = size
        self.truncated = truncated
    }
}

/// A complete HTTP message from one direction of a connection.
public enum HTTPMessage: Sendable, Hashable {
    /// A request from the client.
    case request(HTTPRequestHead, HTTPBody)
    /// A response from the server.
    case response(HTTPResponseHead, HTTPBody)
}

/// Why bytes of one direction are not HTTP/1.x. After one of these the parser of that
/// direction stops: it never guesses where the next message might start.
public enum HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The first line is not `METHOD SP target SP HTTP/x.y` (or `HTTP/x.y SP code SP reason`).
    case notHTTP(startLine: String)
    /// No empty line ended the head within the limit.
    case headTooLarge(limit: Int)
    /// A header line without a colon, or with whitespace before the colon (RFC 9112 5.1).
    case malformedHeaderLine(String)
    /// A Content-Length that is not a decimal number, or several that disagree.
    case invalidContentLength(String)
    /// A chunk-size line that is not hexadecimal, or too large.
    case invalidChunkSize(String)
    /// Chunk data not followed by CRLF.
    case malformedChunk
    /// A Transfer-Encoding whose last coding is not `chunked`, on a request (its length is unknowable).
    case unsupportedTransferEncoding(String)

    /// One sentence, for terminals and transcripts.
    public var description: String {
        switch self {
        case .notHTTP(let line):
            return "not HTTP/1.x: the start line \"\(line)\" is neither a request line nor a status line"
        case .headTooLarge(let limit):
            return "HTTP head longer than \(limit) bytes without the empty line that ends it"
        case .malformedHeaderLine(let line):
            return "malformed HTTP header line \"\(line)\": expected \"name: value\""
        case .invalidContentLength(let value):
            return "invalid Content-Length \"\(value)\": the body length cannot be known"
        case .invalidChunkSize(let line):
            return "invalid chunk-size line \"\(line)\" in a chunked body"
        case .malformedChunk:
            return "chunk data not followed by CRLF in a chunked body"
        case .unsupportedTransferEncoding(let value):
            return "request with Transfer-Encoding \"\(value)\" whose last coding is not chunked"
        }
    }

    /// Cuts a line for display: printable ASCII only, at most 80 characters.
    static func shown(_ bytes: some Collection<UInt8>) -> String {
        var s = ""
        for b in bytes.prefix(80) {
            s.unicodeScalars.append(b >= 0x20 && b < 0x7F ? Unicode.Scalar(b) : ".")
        }
        return s
    }
}
