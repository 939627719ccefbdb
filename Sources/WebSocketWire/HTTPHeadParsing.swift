/// A parsed head of either kind, while its body is being read.
enum HTTPMessageHead: Equatable {
    case request(HTTPRequestHead)
    case response(HTTPResponseHead)
}

extension HTTPStreamParser {
    static let knownMethods: [[UInt8]] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"]
        .map { Array($0.utf8) + [UInt8(ascii: " ")] }
    static let httpPrefix = Array("HTTP/".utf8)

    /// Parses a head once its terminating empty line is buffered.
    ///
    ///     GET /socket/websocket?vsn=2.0.0 HTTP/1.1 CR LF     start line
    ///     Upgrade: websocket CR LF                          header lines
    ///     CR LF                                             end of head
    mutating func parseHead() throws(HTTPParseError) -> HTTPMessageHead? {
        // RFC 9112 2.2: ignore empty lines before the start line.
        while readIndex < buffer.count, buffer[readIndex] == 0x0D || buffer[readIndex] == 0x0A { readIndex += 1 }
        if scanIndex < readIndex { scanIndex = readIndex }
        guard readIndex < buffer.count else { return nil }
        if let bad = implausibleStart() { _ = try fail(.notHTTP(startLine: bad)) }
        guard let end = findEndOfHead() else {
            if bufferedCount > maxHeadSize { _ = try fail(.headTooLarge(limit: maxHeadSize)) }
            return nil
        }
        guard end.headEnd - readIndex <= maxHeadSize else { _ = try fail(.headTooLarge(limit: maxHeadSize)) ; return nil }
        var lines: [ArraySlice<UInt8>] = []
        var start = readIndex
        for i in readIndex..<end.headEnd where buffer[i] == 0x0A {
            var e = i
            if e > start && buffer[e - 1] == 0x0D { e -= 1 }
            lines.append(buffer[start..<e])
            start = i + 1
        }
        readIndex = end.bodyStart
        scanIndex = readIndex
        guard let startLine = lines.first else { _ = try fail(.notHTTP(startLine: "")); return nil }
        var headers: [HTTPHeader] = []
        for line in lines.dropFirst() {
            if let f = line.first, f == 0x20 || f == 0x09, !headers.isEmpty {
                // obs-fold (RFC 9112 5.2): a continuation of the previous value.
                headers[headers.count - 1].value += " " + HTTPHeaders.trim(Substring(Self.text(line)))
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[..<colon].allSatisfy(Self.isTokenChar)
            else { _ = try fail(.malformedHeaderLine(HTTPParseError.shown(line))); return nil }
            headers.append(
                HTTPHeader(
                    name: Self.text(line[..<colon]),
                    value: HTTPHeaders.trim(Substring(Self.text(line[(colon + 1)...])))))
        }
        switch role {
        case .request:
            let parts = startLine.split(separator: 0x20, omittingEmptySubsequences: true)
            guard parts.count == 3, parts[0].allSatisfy(Self.isTokenChar), parts[2].starts(with: Self.httpPrefix) else {
                _ = try fail(.notHTTP(startLine: HTTPParseError.shown(startLine)))
                return nil
            }
            return .request(
                HTTPRequestHead(
                    method: Self.text(parts[0]), target: Self.text(parts[1]), version: Self.text(parts[2]),
                    headers: HTTPHeaders(headers)))
        case .response:
            let parts = startLine.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2, parts[0].starts(with: Self.httpPrefix), parts[1].count == 3,
                parts[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let status = Int(Self.text(parts[1]))
            else {
                _ = try fail(.notHTTP(startLine: HTTPParseError.shown(startLine)))
                return nil
            }
            // Interim 1xx responses (other than 101) do not answer the request.
            if status >= 200 || status == 101 {
                lastPoppedMethod = awaitedMethods.isEmpty ? nil : awaitedMethods.removeFirst()
            }
            return .response(
                HTTPResponseHead(
                    version: Self.text(parts[0]), status: status, reason: parts.count > 2 ? Self.text(parts[2]) : "",
                    headers: HTTPHeaders(headers)))
        }
    }

    /// Finds the empty line that ends the head: LF followed by LF or CR LF.
    mutating func findEndOfHead() -> (headEnd: Int, bodyStart: Int)? {
        var i = Swift.max(scanIndex, readIndex)
        let n = buffer.count
        while i < n {
            if buffer[i] == 0x0A {
                if i + 1 < n && buffer[i + 1] == 0x0A { return (i + 1, i + 2) }
                if i + 2 < n && buffer[i + 1] == 0x0D && buffer[i + 2] == 0x0A { return (i + 1, i + 3) }
                if i + 2 >= n { break }  // might be the start of the terminator: look again later
            }
            i += 1
        }
        scanIndex = i
        return nil
    }

    /// A start line that cannot become HTTP whatever follows, so garbage fails early instead
    /// of after 64 KiB. Returns the offending line (cut at 80 bytes) once it is complete or 80
    /// bytes long, so the error is the same however the bytes were split.
    func implausibleStart() -> String? {
        guard let _ = implausiblePrefix() else { return nil }
        let line = line(at: readIndex)
        guard line.count >= 80 || buffer[(readIndex + line.count)...].contains(0x0A) else { return nil }
        return HTTPParseError.shown(line.last == 0x0D ? line.dropLast() : line)
    }

    func implausiblePrefix() -> String? {
        let window = buffer[readIndex..<Swift.min(buffer.count, readIndex + 16)]
        switch role {
        case .response:
            let k = Swift.min(window.count, Self.httpPrefix.count)
            if !window.prefix(k).elementsEqual(Self.httpPrefix.prefix(k)) { return HTTPParseError.shown(line(at: readIndex)) }
        case .request:
            for b in window {
                if b == 0x20 { return nil }
                if !Self.isTokenChar(b) { return HTTPParseError.shown(line(at: readIndex)) }
            }
        }
        return nil
    }

    func line(at index: Int) -> ArraySlice<UInt8> {
        let end = buffer[index...].firstIndex(of: 0x0A) ?? buffer.count
        return buffer[index..<Swift.min(end, index + 80)]
    }

    /// During resynchronisation: the first place where a message could start (at the start of
    /// the buffer or after a LF). Bytes before it are dropped and counted.
    mutating func findMessageStart() -> (index: Int, dropped: Int)? {
        guard case .resync(let skipped, let missing) = state else { return nil }
        let patterns = role == .response ? [Self.httpPrefix] : Self.knownMethods
        var i = readIndex
        while i < buffer.count {
            if i == readIndex || buffer[i - 1] == 0x0A {
                for p in patterns where buffer.count - i >= p.count && buffer[i..<(i + p.count)].elementsEqual(p) {
                    return (i, i - readIndex)
                }
                // A prefix of a pattern at the very end: wait for more.
                if patterns.contains(where: { p in buffer.count - i < p.count && p.starts(with: buffer[i...]) }) {
                    state = .resync(skipped: skipped + (i - readIndex), missing: missing)
                    readIndex = i
                    return nil
                }
            }
            i += 1
        }
        // Keep the last byte if it is a LF: it may precede a start line.
        let keep = buffer.last == 0x0A ? 1 : 0
        state = .resync(skipped: skipped + bufferedCount - keep, missing: missing)
        readIndex = buffer.count - keep
        return nil
    }

    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }
}
