import PhoenixProtocol

/// An incremental HTTP/1.x parser for one direction of a connection: requests from the client
/// or responses from the server, fed bytes in any split, several messages per connection.
///
/// It owns the bytes it has not yet used. `next()` returns one complete message at a time, so
/// the caller can stop after a WebSocket upgrade request and take the rest with
/// `takeRemaining()` once the 101 arrives. Heads are limited in size; bodies are kept up to an
/// observation limit and only counted beyond it, so memory stays bounded.
public struct HTTPStreamParser: Sendable {
    /// Which side's messages this parser reads.
    public enum Role: Sendable, Hashable {
        /// Requests, from the client.
        case request
        /// Responses, from the server.
        case response
    }

    /// What `next()` found.
    public enum Output: Sendable, Hashable {
        /// A complete message.
        case message(HTTPMessage)
        /// After a gap, the parser found the start of a message again, having dropped `skipped`
        /// bytes; `missing` is how many were lost in the gaps, nil when any loss was of unknown size.
        case resynchronised(skipped: Int, missing: Int?)
    }

    /// What `finish()` found at the end of the stream.
    public enum Ending: Sendable, Hashable {
        /// Nothing was pending.
        case clean
        /// A response whose body ran until the connection closed is now complete.
        case message(HTTPMessage)
        /// A message was cut off; the text says where.
        case incomplete(String)
    }

    enum BodyFraming: Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    enum State: Equatable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case resync(skipped: Int, missing: Int?)
        case failed
    }

    /// The role given at creation.
    public let role: Role
    let maxHeadSize: Int
    let maxBodyKept: Int
    var buffer: [UInt8] = []
    var readIndex = 0
    /// Where to resume looking for the end of the head, so a head fed byte by byte is scanned once.
    var scanIndex = 0
    var state = State.head
    var pendingHead: HTTPMessageHead?
    var body = HTTPBody()
    /// Methods of requests whose responses have not arrived, oldest first (a HEAD response has no body).
    var awaitedMethods: [String] = []

    /// Creates a parser. `maxHeadSize` bounds a head (start line and headers); `maxBodyKept`
    /// bounds the body bytes kept per message.
    public init(role: Role, maxHeadSize: Int = 64 * 1024, maxBodyKept: Int = 16 * 1024 * 1024) {
        self.role = role
        self.maxHeadSize = maxHeadSize
        self.maxBodyKept = maxBodyKept
    }

    /// Bytes held and not yet parsed.
    public var bufferedCount: Int { buffer.count - readIndex }

    /// While looking for the next message after a gap: the bytes dropped so far and the bytes
    /// lost (nil when unknown); else nil.
    public var resyncProgress: (skipped: Int, missing: Int?)? {
        if case .resync(let skipped, let missing) = state { return (skipped + bufferedCount, missing) }
        return nil
    }

    /// Adds bytes received in this direction.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard state != .failed else { return }
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Tells a response parser that a request with this method was sent, so that it knows
    /// whether the matching response has a body (responses to HEAD never do).
    public mutating func expectResponse(toMethod method: String) {
        awaitedMethods.append(method)
    }

    /// The next complete message, nil when more bytes are needed. Throws once when the bytes
    /// are not HTTP; the parser then ignores everything after.
    public mutating func next() throws(HTTPParseError) -> Output? {
        while true {
            switch state {
            case .failed:
                return nil
            case .resync(let skipped, let missing):
                guard let start = findMessageStart() else { return nil }
                readIndex = start.index
                scanIndex = readIndex
                state = .head
                return .resynchronised(skipped: skipped + start.dropped, missing: missing)
            case .head:
                guard let head = try parseHead() else { return nil }
                pendingHead = head
                body = HTTPBody()
                switch try framing(of: head) {
                case .none: return .message(completeMessage())
                case .length(let n): state = n == 0 ? .head : .body(remaining: n)
                    if n == 0 { return .message(completeMessage()) }
                case .chunked: state = .chunkSize
                case .untilClose: state = .untilClose
                }
            case .body(let remaining):
                let n = min(remaining, bufferedCount)
                guard n > 0 else { return nil }
                keepBody(count: n)
                if n == remaining {
                    state = .head
                    return .message(completeMessage())
                }
                state = .body(remaining: remaining - n)
                return nil
            case .chunkSize:
                guard let line = takeLine() else { return try checkedLineWait() }
                let text = line.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)[0]
                guard let size = Self.parseHex(text) else { return try fail(.invalidChunkSize(HTTPParseError.shown(line))) }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let n = min(remaining, bufferedCount)
                guard n > 0 else { return nil }
                keepBody(count: n)
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            case .chunkDataEnd:
                guard let line = takeLine() else { return try checkedLineWait() }
                guard line.isEmpty else { return try fail(.malformedChunk) }
                state = .chunkSize
            case .trailers:
                guard let line = takeLine() else { return try checkedLineWait() }
                if line.isEmpty {
                    state = .head
                    return .message(completeMessage())
                }
            case .untilClose:
                let n = bufferedCount
                guard n > 0 else { return nil }
                keepBody(count: n)
                return nil
            }
        }
    }

    /// The connection ended: completes a read-until-close body, or says what was cut off.
    public mutating func finish() -> Ending {
        switch state {
        case .untilClose:
            state = .head
            return .message(completeMessage())
        case .head where bufferedCount > 0 && !onlyBlankLines:
            return .incomplete("the connection ended inside an HTTP head (\(bufferedCount) bytes)")
        case .body(let remaining), .chunkData(let remaining):
            return .incomplete("the connection ended \(remaining) bytes before the end of an HTTP body")
        case .chunkSize, .chunkDataEnd, .trailers:
            return .incomplete("the connection ended inside a chunked HTTP body")
        case .head, .resync, .failed:
            return .clean
        }
    }

    /// Bytes of this direction were lost. Inside a body of known length with a known loss, the
    /// parser skips exactly that many bytes and marks the body truncated; returns true then.
    /// Otherwise it drops the message in progress and looks for the start of the next one.
    public mutating func gap(missing: Int?) -> Bool {
        if let missing {
            switch state {
            case .body(let remaining) where missing < remaining:
                body.truncated = true
                body.size += missing
                state = .body(remaining: remaining - missing)
                return true
            case .chunkData(let remaining) where missing < remaining:
                body.truncated = true
                body.size += missing
                state = .chunkData(remaining: remaining - missing)
                return true
            case .untilClose:
                body.truncated = true
                body.size += missing
                return true
            default: break
            }
        }
        guard state != .failed else { return false }
        // A second gap while still looking adds to what the first one dropped and lost.
        var skipped = bufferedCount
        var lost = missing
        if case .resync(let earlierSkipped, let earlierMissing) = state {
            skipped += earlierSkipped
            lost = WireConnection.sum(earlierMissing, missing)
        }
        readIndex = buffer.count
        scanIndex = readIndex
        pendingHead = nil
        state = .resync(skipped: skipped, missing: lost)
        return false
    }

    /// Hands over the bytes not yet parsed (after an upgrade they are WebSocket frames) and
    /// stops this parser.
    public mutating func takeRemaining() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer = []
        readIndex = 0
        scanIndex = 0
        state = .failed
        return rest
    }

    // MARK: - Internals

    var onlyBlankLines: Bool {
        buffer[readIndex...].allSatisfy { $0 == 0x0D || $0 == 0x0A }
    }

    mutating func fail(_ error: HTTPParseError) throws(HTTPParseError) -> Output? {
        state = .failed
        buffer = []
        readIndex = 0
        scanIndex = 0
        throw error
    }

    /// A line-based state waits for CRLF, but not forever: a chunk line longer than the head
    /// limit is not HTTP.
    mutating func checkedLineWait() throws(HTTPParseError) -> Output? {
        if bufferedCount > maxHeadSize {
            return try fail(.invalidChunkSize(HTTPParseError.shown(buffer[readIndex...])))
        }
        return nil
    }

    mutating func keepBody(count n: Int) {
        let room = maxBodyKept - body.bytes.count
        if room > 0 {
            body.bytes.append(contentsOf: buffer[readIndex..<(readIndex + min(room, n))])
        }
        if n > room { body.truncated = true }
        body.size += n
        readIndex += n
        scanIndex = readIndex
    }

    mutating func completeMessage() -> HTTPMessage {
        let head = pendingHead!
        pendingHead = nil
        let b = body
        body = HTTPBody()
        switch head {
        case .request(let r): return .request(r, b)
        case .response(let r): return .response(r, b)
        }
    }

    /// One line without its CR LF (a bare LF is accepted, as servers do), or nil.
    mutating func takeLine() -> ArraySlice<UInt8>? {
        guard let lf = buffer[readIndex...].firstIndex(of: 0x0A) else { return nil }
        var end = lf
        if end > readIndex && buffer[end - 1] == 0x0D { end -= 1 }
        let line = buffer[readIndex..<end]
        readIndex = lf + 1
        scanIndex = readIndex
        return line
    }

    static func parseHex(_ text: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var digits = 0
        for c in text {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { continue }
            guard let d = hexValue(c), digits < 15 else { return nil }
            value = value << 4 | Int(d)
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    func framing(of head: HTTPMessageHead) throws(HTTPParseError) -> BodyFraming {
        let headers: HTTPHeaders
        switch head {
        case .request(let r):
            headers = r.headers
        case .response(let r):
            headers = r.headers
            // RFC 9112 6.3: 1xx, 204 and 304 responses and responses to HEAD have no body.
            if r.status < 200 || r.status == 204 || r.status == 304 { return .none }
            if lastAnsweredMethod == "HEAD" { return .none }
            if lastAnsweredMethod == "CONNECT" && r.status < 300 { return .untilClose }
        }
        let codings = headers.tokens("Transfer-Encoding")
        if !codings.isEmpty {
            if codings.last == "chunked" { return .chunked }
            if case .request = head {
                throw HTTPParseError.unsupportedTransferEncoding(headers["Transfer-Encoding"].joined(separator: ", "))
            }
            return .untilClose
        }
        let lengths = headers["Content-Length"].flatMap { $0.split(separator: ",") }.map { HTTPHeaders.trim($0) }
        if let first = lengths.first {
            guard lengths.allSatisfy({ $0 == first }), first.utf8.count <= 18,
                first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(first)
            else { throw HTTPParseError.invalidContentLength(headers["Content-Length"].joined(separator: ", ")) }
            return .length(n)
        }
        if case .request = head { return .none }
        return .untilClose
    }

    /// The method of the request the response being parsed answers (GET when unknown, as in a
    /// capture that starts mid-connection).
    var lastAnsweredMethod: String { lastPoppedMethod ?? "GET" }
    var lastPoppedMethod: String?
}
