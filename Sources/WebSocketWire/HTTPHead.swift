import PhoenixProtocol

/// One header line as it was on the wire: the name keeps its case, the value is trimmed of
/// surrounding spaces and tabs (RFC 9112 5.1).
public struct HTTPHeader: Sendable, Hashable {
    /// The field name, case as sent.
    public var name: String
    /// The field value without leading or trailing whitespace.
    public var value: String

    /// Creates a header line.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// Header lines in wire order, looked up without regard to case (field names are
/// case-insensitive, and Phoenix's Bandit sends them in lower case while clients capitalise).
public struct HTTPHeaders: Sendable, Hashable, RandomAccessCollection {
    /// The lines, in the order they arrived.
    public var lines: [HTTPHeader]

    /// Creates headers from lines in wire order.
    public init(_ lines: [HTTPHeader] = []) { self.lines = lines }

    /// The first index of the collection.
    public var startIndex: Int { lines.startIndex }
    /// One past the last index of the collection.
    public var endIndex: Int { lines.endIndex }
    /// The header line at `position`.
    public subscript(position: Int) -> HTTPHeader { lines[position] }

    /// Every value of the field `name` (any case), in wire order.
    public subscript(name: String) -> [String] {
        lines.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// The first value of the field `name` (any case), or nil when absent.
    public func first(_ name: String) -> String? {
        lines.first { Self.sameName($0.name, name) }?.value
    }

    /// The comma-separated tokens of every `name` field, trimmed and lowercased. Used for
    /// `Connection`, `Upgrade` and `Transfer-Encoding`, which are token lists.
    public func tokens(_ name: String) -> [String] {
        self[name].flatMap { $0.split(separator: ",") }.map { Self.trim($0).lowercased() }.filter { !$0.isEmpty }
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }

    static func trim(_ s: Substring) -> String {
        var t = s
        while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" { t.removeLast() }
        return String(t)
    }
}

/// One `name=value` pair of a query string, percent-decoded (and `+` as space, as Plug's
/// `URI.decode_www_form` does, so values read as Phoenix's `connect/3` sees them).
public struct QueryItem: Sendable, Hashable {
    /// The decoded name.
    public var name: String
    /// The decoded value; nil when the item had no `=` at all.
    public var value: String?

    /// Creates a query item.
    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// The head of an HTTP/1.x request: the part before the body.
public struct HTTPRequestHead: Sendable, Hashable {
    /// The method token, e.g. `GET`.
    public var method: String
    /// The request target exactly as sent (path and query, or an absolute URL).
    public var target: String
    /// The percent-decoded path of the target (absolute-form targets lose scheme and host).
    public var path: String
    /// The query items in order; empty items (`a=1&&b=2`, a trailing `&`) are left out.
    public var query: [QueryItem]
    /// The version token, e.g. `HTTP/1.1`.
    public var version: String
    /// The header lines.
    public var headers: HTTPHeaders

    /// Creates a request head; `path` and `query` are derived from `target`.
    public init(method: String, target: String, version: String, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        (self.path, self.query) = Self.split(target: target)
    }

    /// The value of query parameter `name` as Phoenix reads it: when it repeats, the last one
    /// wins (Plug.Conn.Query); nil when absent, "" for a parameter with no `=`.
    public func queryValue(_ name: String) -> String? {
        guard let item = query.last(where: { $0.name == name }) else { return nil }
        return item.value ?? ""
    }

    /// Whether this is a WebSocket opening handshake (RFC 6455 4.1: `Upgrade: websocket`).
    public var isWebSocketUpgrade: Bool { headers.tokens("Upgrade").contains("websocket") }

    static func split(target: String) -> (String, [QueryItem]) {
        var rest = Substring(target)
        // absolute-form: "http://host:port/path?q" keeps only "/path?q"
        if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let afterHost = rest[rest.index(colon, offsetBy: 3)...]
            rest = afterHost.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterHost[$0...] } ?? "/"
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard let mark = rest.firstIndex(of: "?") else { return (PercentDecoding.decode(rest, plusIsSpace: false), []) }
        let path = PercentDecoding.decode(rest[..<mark], plusIsSpace: false)
        var items: [QueryItem] = []
        for part in rest[rest.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                items.append(
                    QueryItem(
                        name: PercentDecoding.decode(part[..<eq], plusIsSpace: true),
                        value: PercentDecoding.decode(part[part.index(after: eq)...], plusIsSpace: true)))
            } else {
                items.append(QueryItem(name: PercentDecoding.decode(part, plusIsSpace: true), value: nil))
            }
        }
        return (path, items)
    }
}

/// The head of an HTTP/1.x response.
public struct HTTPResponseHead: Sendable, Hashable {
    /// The version token, e.g. `HTTP/1.1`.
    public var version: String
    /// The status code, e.g. 101 or 403.
    public var status: Int
    /// The reason phrase as sent (may be empty).
    public var reason: String
    /// The header lines.
    public var headers: HTTPHeaders

    /// Creates a response head.
    public init(version: String, status: Int, reason: String, headers: HTTPHeaders) {
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
    }
}

/// `%XX` decoding that leaves malformed escapes as they are (a tap shows what was sent; it
/// does not reject it) and replaces bytes that are not UTF-8 with U+FFFD.
enum PercentDecoding {
    static func decode(_ text: Substring, plusIsSpace: Bool) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(text)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == UInt8(ascii: "%"), i + 2 < utf8.count, let hi = hexValue(utf8[i + 1]), let lo = hexValue(utf8[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
