import PhoenixChecker
import PhoenixProtocol

/// Writes a transcript as a HAR 1.2 file that Chrome DevTools, mitmproxy and HTTP Toolkit open.
///
/// A WebSocket connection becomes one entry in Chrome's own shape: the upgrade request and
/// response, `_resourceType: "websocket"` and `_webSocketMessages`, each message
/// `{type: send|receive, time: epoch seconds, opcode: 1|2, data}` with base64 data for binary
/// frames. A LongPoll session becomes the requests that carried it: a GET per batch of server
/// messages (answer `{"status", "messages"}`) and a POST per batch of client messages (ndjson).
///
/// Fields only phxtap reads start with `_phxtap` (HAR's rule for custom fields), so a HAR
/// written here reads back into the same messages: the client address, exact times (HAR's own
/// `startedDateTime` has milliseconds), close frames (`_phxtapCloses`) and the checker's annotations.
public enum HARWriter {
    /// The whole HAR for these records (a transcript, already filtered and redacted).
    public static func write(_ records: [TranscriptRecord], creatorVersion: String = "0.1.0") -> [UInt8] {
        var source = ""
        var connections: [Int: Connection] = [:]
        var order: [Int] = []
        // Mutated in place: copying a connection out and back would copy its messages each time.
        func touch(_ conn: Int) {
            if connections[conn] == nil {
                order.append(conn)
                connections[conn] = Connection()
            }
        }
        for record in records {
            switch record {
            case .session(let s): source = s.source
            case .open(let o):
                touch(o.conn)
                connections[o.conn]!.open = o
            case .message(let m):
                touch(m.conn)
                connections[m.conn]!.messages.append(m)
            case .close(let close):
                touch(close.conn)
                connections[close.conn]!.closes.append(close)
            case .annotation, .summary:
                break
            }
        }
        var entries: [[UInt8]] = []
        for conn in order {
            guard let c = connections[conn] else { continue }
            if c.open?.transport == .longpoll || c.messages.first?.transport == .longpoll {
                entries += longPollEntries(conn: conn, c)
            } else {
                entries.append(webSocketEntry(conn: conn, c))
            }
        }
        var creator = JSONObjectWriter()
        creator.string("name", "phxtap")
        creator.string("version", creatorVersion)
        var log = JSONObjectWriter()
        log.string("version", "1.2")
        log.object("creator", creator)
        log.array("pages", [])
        // One entry, and one WebSocket message, per line: valid JSON that diffs well.
        log.array("entries", entries.map { [0x0A] + $0 })
        if !source.isEmpty { log.string("comment", "Phoenix traffic of \(source), written by phxtap") }
        var root = JSONObjectWriter()
        root.object("log", log)
        return root.finished() + [0x0A]
    }

    private struct Connection {
        var open: OpenRecord?
        var messages: [MessageRecord] = []
        var closes: [CloseRecord] = []

        var startTime: Double { open?.time ?? messages.first?.time ?? 0 }
        var server: String { open?.server ?? "" }
    }

    // MARK: - WebSocket

    private static func webSocketEntry(conn: Int, _ c: Connection) -> [UInt8] {
        let scheme = c.server.hasSuffix(":443") ? "wss" : "ws"
        var headers: [(String, String)] = [("Host", c.server), ("Connection", "Upgrade"), ("Upgrade", "websocket"),
                                           ("Sec-WebSocket-Version", "13")]
        if let subprotocols = c.open?.subprotocols, !subprotocols.isEmpty {
            headers.append(("Sec-WebSocket-Protocol", subprotocols.joined(separator: ", ")))
        }
        var responseHeaders: [(String, String)] = []
        let status = c.open?.status
        if status == 101 { responseHeaders += [("Connection", "Upgrade"), ("Upgrade", "websocket")] }
        if let ext = c.open?.extensions { responseHeaders.append(("Sec-WebSocket-Extensions", ext)) }
        var w = entryStart(time: c.startTime, duration: 0)
        w.object("request", request(method: "GET", scheme: scheme, c, headers: headers, postData: nil))
        w.object("response", response(status: status, headers: responseHeaders, mimeType: "x-unknown", text: nil))
        w.object("cache", JSONObjectWriter())
        w.object("timings", timings())
        w.string("_resourceType", "websocket")
        phxtapFields(&w, conn: conn, c, time: c.startTime)
        if !c.closes.isEmpty { w.array("_phxtapCloses", c.closes.map { closeObject($0).finished() }) }
        w.array("_webSocketMessages", c.messages.map { [0x0A] + webSocketMessage($0) })
        return w.finished()
    }

    private static func webSocketMessage(_ m: MessageRecord) -> [UInt8] {
        var w = JSONObjectWriter(capacity: m.raw.count + 96)
        w.string("type", m.from == .client ? "send" : "receive")
        w.seconds("time", m.time)
        w.int("opcode", m.opcode == .text ? 1 : 2)
        if m.opcode == .text {
            // HAR keeps text frames as JSON strings, which cannot hold invalid UTF-8: such bytes become U+FFFD.
            w.string("data", String(decoding: m.raw, as: UTF8.self))
        } else {
            w.base64("data", m.raw)
        }
        if !m.annotations.isEmpty { w.array("_phxtapAnnotations", m.annotations.map { JSONLinesEncoder.annotationObject($0).finished() }) }
        return w.finished()
    }

    // MARK: - LongPoll

    /// Consecutive messages from one side at one instant travelled in one request, as they did on the wire.
    private static func longPollEntries(conn: Int, _ c: Connection) -> [[UInt8]] {
        var entries: [[UInt8]] = []
        // The session opened with a poll whose answer carried the Phoenix status (410 and a token).
        if let open = c.open {
            var body = JSONObjectWriter()
            if let status = open.status { body.int("status", status) }
            body.array("messages", [])
            entries.append(longPollEntry(conn: conn, c, method: "GET", time: open.time, postData: nil, answer: body.finished(),
                                         closes: c.messages.isEmpty ? c.closes : []))
        }
        var i = 0
        while i < c.messages.count {
            let first = c.messages[i]
            var j = i + 1
            while j < c.messages.count, c.messages[j].from == first.from, c.messages[j].time == first.time { j += 1 }
            let batch = c.messages[i..<j]
            let isLast = j == c.messages.count
            if first.from == .client {
                var lines: [UInt8] = []
                for (n, m) in batch.enumerated() {
                    if n > 0 { lines.append(0x0A) }
                    if m.opcode == .binary { Base64.append(m.raw, to: &lines) } else { lines += m.raw }
                }
                var ok = JSONObjectWriter()
                ok.int("status", 200)
                entries.append(longPollEntry(conn: conn, c, method: "POST", time: first.time, postData: lines, answer: ok.finished(),
                                             closes: isLast ? c.closes : []))
            } else {
                var body = JSONObjectWriter()
                body.int("status", 200)
                body.array("messages", batch.map { m in
                    let text = m.opcode == .binary ? Array(Base64.encode(m.raw).utf8)[...] : m.raw
                    var quoted: [UInt8] = []
                    JSONText.appendQuoted(bytes: text, to: &quoted)
                    return quoted
                })
                entries.append(longPollEntry(conn: conn, c, method: "GET", time: first.time, postData: nil, answer: body.finished(),
                                             closes: isLast ? c.closes : []))
            }
            i = j
        }
        return entries
    }

    private static func longPollEntry(
        conn: Int, _ c: Connection, method: String, time: Double, postData: [UInt8]?, answer: [UInt8], closes: [CloseRecord]
    ) -> [UInt8] {
        let scheme = c.server.hasSuffix(":443") ? "https" : "http"
        var headers: [(String, String)] = [("Host", c.server)]
        if postData != nil { headers.append(("Content-Type", "application/x-ndjson")) }
        var w = entryStart(time: time, duration: 0)
        w.object("request", request(method: method, scheme: scheme, c, headers: headers, postData: postData))
        w.object("response", response(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")],
                                      mimeType: "application/json", text: answer))
        w.object("cache", JSONObjectWriter())
        w.object("timings", timings())
        w.string("_resourceType", "xhr")
        phxtapFields(&w, conn: conn, c, time: time)
        if !closes.isEmpty { w.array("_phxtapCloses", closes.map { closeObject($0).finished() }) }
        return w.finished()
    }

    // MARK: - Pieces

    private static func entryStart(time: Double, duration: Double) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.string("startedDateTime", ISOTime.format(time))
        w.int("time", Int(duration))
        return w
    }

    private static func request(method: String, scheme: String, _ c: Connection, headers: [(String, String)], postData: [UInt8]?)
        -> JSONObjectWriter
    {
        let params = c.open?.params ?? []
        var url = "\(scheme)://\(c.server.isEmpty ? "unknown" : c.server)\(c.open?.path ?? "/")"
        if !params.isEmpty { url += "?" + params.map { percentEncode($0.name) + "=" + percentEncode($0.value) }.joined(separator: "&") }
        var w = JSONObjectWriter()
        w.string("method", method)
        w.string("url", url)
        w.string("httpVersion", "HTTP/1.1")
        w.array("cookies", [])
        w.array("headers", headers.map(header))
        w.array("queryString", params.map { header(($0.name, $0.value)) })
        if let postData {
            var post = JSONObjectWriter()
            post.string("mimeType", "application/x-ndjson")
            post.string("text", String(decoding: postData, as: UTF8.self))
            w.object("postData", post)
        }
        w.int("headersSize", -1)
        w.int("bodySize", postData?.count ?? 0)
        return w
    }

    private static func response(status: Int?, headers: [(String, String)], mimeType: String, text: [UInt8]?) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.int("status", status ?? 0)
        w.string("statusText", statusText(status))
        w.string("httpVersion", "HTTP/1.1")
        w.array("cookies", [])
        w.array("headers", headers.map(header))
        var content = JSONObjectWriter()
        content.int("size", text?.count ?? 0)
        content.string("mimeType", mimeType)
        if let text { content.string("text", String(decoding: text, as: UTF8.self)) }
        w.object("content", content)
        w.string("redirectURL", "")
        w.int("headersSize", -1)
        w.int("bodySize", text?.count ?? 0)
        return w
    }

    private static func timings() -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.int("send", 0)
        w.int("wait", 0)
        w.int("receive", 0)
        return w
    }

    private static func phxtapFields(_ w: inout JSONObjectWriter, conn: Int, _ c: Connection, time: Double) {
        w.int("_phxtapConn", conn)
        w.seconds("_phxtapTime", time)
        if let client = c.open?.client, !client.isEmpty { w.string("_phxtapClient", client) }
    }

    private static func closeObject(_ close: CloseRecord) -> JSONObjectWriter {
        var w = JSONObjectWriter()
        w.seconds("time", close.time)
        w.string("via", close.via.rawValue)
        if let from = close.from { w.string("from", from.rawValue) } else { w.null("from") }
        if let code = close.code { w.int("code", Int(code)) } else { w.null("code") }
        w.string("reason", close.reason)
        return w
    }

    private static func header(_ pair: (String, String)) -> [UInt8] {
        var w = JSONObjectWriter()
        w.string("name", pair.0)
        w.string("value", pair.1)
        return w.finished()
    }

    private static func statusText(_ status: Int?) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        default: return ""
        }
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX (markers' spaces and brackets too).
    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                out += "%" + TextRenderer.hexByte(b).uppercased()
            }
        }
        return out
    }
}
