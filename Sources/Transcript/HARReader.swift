import PhoenixChecker
import PhoenixProtocol
import WebSocketWire

/// Reads a HAR file (HTTP Archive 1.2, as Chrome, Firefox, mitmproxy, HTTP Toolkit or
/// `phxtap --format har` write it) into the Phoenix connections it holds.
///
/// - A WebSocket entry (`_webSocketMessages`, a `ws:`/`wss:` URL, or `_resourceType` websocket)
///   becomes one connection: `send` messages are the client's, `receive` the server's; opcode 1
///   is text, 2 binary with base64 `data`; `time` is seconds since the Unix epoch.
/// - Requests to a path ending in `/longpoll` are grouped into LongPoll sessions by their
///   session token (query `token` or the `x-phoenix-longpoll-token` header; the first poll has
///   none and gets it in its 410 answer), or by phxtap's own `_phxtapConn`.
/// - Everything else (pages, scripts, the LiveView page GET) is counted and skipped.
///
/// Pure: the caller reads the file and passes its bytes.
public enum HARReader {
    /// True when `bytes` look like a HAR: a JSON object whose first key is `log`, allowing
    /// whitespace and a byte order mark. Cheap enough to sniff files of any extension.
    public static func looksLikeHAR(_ bytes: some Collection<UInt8>) -> Bool {
        var text = Array(bytes.prefix(64))
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
        let compact = text.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        return compact.starts(with: Array(#"{"log""#.utf8))
    }

    /// Parses a whole HAR file.
    public static func read(_ bytes: [UInt8]) throws(HARReadError) -> HARArchive {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let root: JSONValue
        do {
            root = try JSONValue.parse(body)
        } catch {
            throw HARReadError("not JSON (\(error))")
        }
        guard let log = root["log"], log.objectMembers != nil else { throw HARReadError("no \"log\" object at the top level") }
        guard let entries = log["entries"]?.arrayValue else { throw HARReadError("\"log\" has no \"entries\" list") }
        var connections: [HARConnection] = []
        var longPoll = LongPollGrouper()
        var other = 0
        for (index, entry) in entries.enumerated() {
            guard entry.objectMembers != nil, let request = entry["request"], let url = request["url"]?.stringValue,
                let parsed = HARURL(url)
            else { throw HARReadError("entry \(index + 1) has no request URL") }
            let started = entry["startedDateTime"]?.stringValue.flatMap(ISOTime.parse)
            if entry["_webSocketMessages"] != nil || parsed.isWebSocket || entry["_resourceType"]?.stringValue == "websocket" {
                connections.append(try webSocket(entry, index: index, url: parsed, started: started))
            } else if parsed.path.hasSuffix("/longpoll") {
                try longPoll.add(entry, index: index, url: parsed, started: started)
            } else {
                other += 1
            }
        }
        connections += longPoll.connections
        connections = connections.enumerated().sorted { a, b in
            a.element.startTime != b.element.startTime ? a.element.startTime < b.element.startTime : a.offset < b.offset
        }.map(\.element)
        return HARArchive(connections: connections, otherEntries: other)
    }

    private static func webSocket(_ entry: JSONValue, index: Int, url: HARURL, started: Double?) throws(HARReadError) -> HARConnection {
        let headers = Headers(entry["request"]?["headers"])
        let responseHeaders = Headers(entry["response"]?["headers"])
        var events: [HAREvent] = []
        for (n, m) in (entry["_webSocketMessages"]?.arrayValue ?? []).enumerated() {
            let place = "entry \(index + 1), WebSocket message \(n + 1)"
            guard let type = m["type"]?.stringValue, type == "send" || type == "receive" else {
                throw HARReadError("\(place): \"type\" must be send or receive")
            }
            guard let time = number(m["time"]) else { throw HARReadError("\(place): \"time\" must be a number of seconds") }
            let data = m["data"]?.stringValue ?? ""
            switch number(m["opcode"]).map(Int.init) ?? 1 {
            case 1:
                events.append(.message(from: type == "send" ? .client : .server, opcode: .text, bytes: Array(data.utf8), time: time))
            case 2:
                guard let bytes = Base64.decode(data) else { throw HARReadError("\(place): binary \"data\" is not base64") }
                events.append(.message(from: type == "send" ? .client : .server, opcode: .binary, bytes: bytes, time: time))
            default:
                continue  // control frames, where a tool records them, carry no Phoenix message
            }
        }
        let firstTime = events.first?.time
        let start = number(entry["_phxtapTime"]) ?? started ?? firstTime ?? 0
        events += closes(entry)
        let status = number(entry["response"]?["status"]).map(Int.init)
        return HARConnection(
            key: "ws-\(index)",
            connection: MessageConnection(
                client: entry["_phxtapClient"]?.stringValue ?? "browser", server: url.server,
                transport: .websocket, path: url.path, params: url.query,
                subprotocols: headers.values("sec-websocket-protocol").flatMap { $0.split(separator: ",") }
                    .map { String($0.drop(while: { $0 == " " })) },
                status: status == 0 ? nil : status, extensions: responseHeaders.values("sec-websocket-extensions").first),
            startTime: start, events: events)
    }

    /// LongPoll requests arrive as separate entries; the session token ties them together.
    private struct LongPollGrouper {
        var connections: [HARConnection] = []
        var byToken: [String: Int] = [:]

        mutating func add(_ entry: JSONValue, index: Int, url: HARURL, started: Double?) throws(HARReadError) {
            guard let request = entry["request"], let method = request["method"]?.stringValue else {
                throw HARReadError("entry \(index + 1) has no request method")
            }
            guard method == "GET" || method == "POST" else { return }  // OPTIONS preflights carry nothing
            let headers = Headers(request["headers"])
            let response = entry["response"]
            let httpStatus = number(response?["status"]).map(Int.init) ?? 0
            let exact = number(entry["_phxtapTime"])
            let sent = exact ?? started ?? 0
            let answered = exact ?? (started ?? 0) + (number(entry["time"]) ?? 0) / 1000
            let answerBody = HARReader.content(response?["content"])
            let answerToken = answerBody.flatMap { try? JSONValue.parse($0[...]) }?["token"]?.stringValue
            let requestToken = url.query.last(where: { $0.name == "token" })?.value ?? headers.values("x-phoenix-longpoll-token").first
            let key: String
            if let conn = entry["_phxtapConn"].flatMap(HARReader.number) {
                key = "lp-conn-\(Int(conn))"
            } else if let token = requestToken, !token.isEmpty {
                key = "lp-" + token
            } else if let token = answerToken {
                key = "lp-" + token
            } else {
                key = "lp-entry-\(index)"
            }
            var at = byToken[key]
            if at == nil {
                guard method == "GET" else { return }  // a send to a session whose start is not in the file
                let status = answerBody.flatMap { try? JSONValue.parse($0[...]) }.flatMap { HARReader.number($0["status"]) }
                connections.append(HARConnection(
                    key: key,
                    connection: MessageConnection(
                        client: entry["_phxtapClient"]?.stringValue ?? "browser", server: url.server,
                        transport: .longpoll, path: url.path, params: url.query.filter { $0.name != "token" },
                        status: status.map(Int.init) ?? httpStatus),
                    startTime: sent))
                at = connections.count - 1
                byToken[key] = at
            }
            guard let at else { return }
            // A session's first answer names its token: later requests use it.
            if let token = answerToken, byToken["lp-" + token] == nil { byToken["lp-" + token] = at }
            if method == "POST" {
                let body = request["postData"]?["text"]?.stringValue.map { Array($0.utf8) } ?? []
                connections[at].events.append(.longPollSend(
                    contentType: request["postData"]?["mimeType"]?.stringValue ?? headers.values("content-type").first,
                    body: body, time: sent))
            }
            if let answerBody {
                connections[at].events.append(.longPollAnswer(method: method, httpStatus: httpStatus, body: answerBody, time: answered))
            }
            connections[at].events += HARReader.closes(entry)
        }
    }

    /// phxtap's `_phxtapCloses`: the close frames (and connection ends) of the entry.
    static func closes(_ entry: JSONValue) -> [HAREvent] {
        (entry["_phxtapCloses"]?.arrayValue ?? []).compactMap { close in
            guard let time = number(close["time"]) else { return nil }
            let from = close["from"]?.stringValue.flatMap(Direction.init(rawValue:))
            // Older files have no `via`: a close with a side was a close frame.
            let via = close["via"]?.stringValue.flatMap(CloseVia.init(rawValue:)) ?? (from == nil ? .endOfInput : .closeFrame)
            return .close(
                via: via, from: close["from"]?.stringValue.flatMap(Direction.init(rawValue:)),
                code: number(close["code"]).flatMap { UInt16(exactly: $0) }, reason: close["reason"]?.stringValue ?? "", time: time)
        }
    }

    /// A response body: `content.text`, base64-decoded when `content.encoding` says so; nil when absent.
    static func content(_ content: JSONValue?) -> [UInt8]? {
        guard let text = content?["text"]?.stringValue else { return nil }
        if content?["encoding"]?.stringValue == "base64" { return Base64.decode(text) }
        return Array(text.utf8)
    }

    /// A number field (time, status, opcode, close code), or nil. Numbers beyond 1e12 are no
    /// HAR field PhoenixTap reads (1e12 s is 30,000 years) and would overflow a conversion.
    static func number(_ value: JSONValue?) -> Double? {
        guard case .number(let text)? = value, let n = Double(text), abs(n) < TranscriptReader.maxSeconds else { return nil }
        return n
    }

    /// A HAR header list, looked up without regard to case.
    struct Headers {
        var pairs: [(name: String, value: String)] = []

        init(_ list: JSONValue?) {
            for h in list?.arrayValue ?? [] {
                if let name = h["name"]?.stringValue, let value = h["value"]?.stringValue { pairs.append((name.lowercased(), value)) }
            }
        }

        func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }
    }
}

/// The parts of an absolute URL a Phoenix socket needs.
struct HARURL {
    var scheme: String
    var server: String
    var path: String
    var query: [QueryItem]

    var isWebSocket: Bool { scheme == "ws" || scheme == "wss" }

    init?(_ url: String) {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return nil }
        scheme = url[..<colon].lowercased()
        var rest = url[url.index(colon, offsetBy: 3)...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let hasPort = authority.last(where: { $0 == ":" || $0 == "]" }) == ":"
        let defaultPort = scheme == "wss" || scheme == "https" ? "443" : "80"
        server = hasPort ? String(authority) : "\(authority):\(defaultPort)"
        // Path and query are read the way a server reads the request target (WebSocketWire), so
        // a HAR's parameters are decoded exactly like a capture's.
        let head = HTTPRequestHead(method: "GET", target: url, version: "HTTP/1.1", headers: HTTPHeaders())
        path = head.path.isEmpty ? "/" : head.path
        query = head.query.map { QueryItem(name: $0.name, value: $0.value ?? "") }
    }
}
