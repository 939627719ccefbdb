public import PhoenixProtocol

/// Replaces secrets with a marker that keeps their shape: a stable short hash (so equal
/// secrets stay visibly equal across a transcript) and the length (so examples stay true to
/// the protocol's sizes). Exports and recorded connection parameters use it by default.
///
/// What counts as a secret: query parameters, HTTP headers and JSON object members whose
/// name is in `secretNames` (Phoenix's connect `token`, the LongPoll session token,
/// `_csrf_token`, LiveView's `session` and `static` join tokens, cookies, `Authorization`),
/// plus the bearer token inside the `base64url.bearer.phx.` subprotocol.
public struct Redactor: Sendable, Hashable {
    /// Query parameter, header and payload field names whose values are secrets (compared
    /// without regard to case).
    public var secretNames: Set<String>

    /// The default set; `extra` adds an application's own fields (`--redact KEY`).
    public init(extra: [String] = []) {
        secretNames = Set(
            ["token", "_csrf_token", "csrf_token", "x-csrf-token", "session", "static", "authorization", "cookie",
             "set-cookie", "apikey", "api_key", "access_token", "password", "secret", "x-phoenix-authtoken",
             "x-phoenix-longpoll-token", "proxy-authorization"] + extra.map { $0.lowercased() })
    }

    /// True when values under this name are secrets.
    public func isSecret(_ name: String) -> Bool { secretNames.contains(name.lowercased()) }

    /// The marker for a secret value: `[redacted len=32 hash=5f2a9c1e]`.
    public static func marker(for value: String) -> String {
        "[redacted len=\(value.utf8.count) hash=\(shortHash(value))]"
    }

    /// True for a value that is already a marker (redacting twice must not hash the marker).
    public static func isMarker(_ value: String) -> Bool {
        value.hasPrefix("[redacted len=") && value.hasSuffix("]")
    }

    private static func redacted(_ value: String) -> String {
        isMarker(value) ? value : marker(for: value)
    }

    /// Redacts the values of secret parameters, keeping names and order.
    public func redact(_ params: [QueryItem]) -> [QueryItem] {
        params.map { isSecret($0.name) ? QueryItem(name: $0.name, value: Self.redacted($0.value)) : $0 }
    }

    /// Phoenix's token subprotocol `base64url.bearer.phx.<token>` carries a bearer token.
    public func redact(subprotocol: String) -> String {
        let prefix = "base64url.bearer.phx."
        guard subprotocol.hasPrefix(prefix) else { return subprotocol }
        return prefix + Self.redacted(String(subprotocol.dropFirst(prefix.count)))
    }

    /// Redacts one HTTP header value. Secret headers are redacted whole, except `Cookie` and
    /// `Set-Cookie`, whose cookie names stay readable (`_app_key=[redacted ...]`) because the
    /// names tell a reader which session mechanism is in play.
    public func redact(headerName name: String, value: String) -> String {
        switch name.lowercased() {
        case "cookie":
            return value.split(separator: ";", omittingEmptySubsequences: false).map { part in
                redactCookiePair(Substring(part))
            }.joined(separator: ";")
        case "set-cookie":
            // Only the first pair is the cookie; the attributes after it (path, HttpOnly) are not secret.
            guard let semicolon = value.firstIndex(of: ";") else { return redactCookiePair(value[...]) }
            return redactCookiePair(value[..<semicolon]) + String(value[semicolon...])
        case "sec-websocket-protocol":
            return value.split(separator: ",").map { token -> String in
                let trimmed = token.drop(while: { $0 == " " })
                let lead = String(token.prefix(token.count - trimmed.count))
                return lead + redact(subprotocol: String(trimmed))
            }.joined(separator: ",")
        case "authorization", "proxy-authorization":
            // Keep the scheme (Bearer, Basic): it is protocol, not secret.
            if let space = value.firstIndex(of: " ") {
                return String(value[...space]) + Self.redacted(String(value[value.index(after: space)...]))
            }
            return Self.redacted(value)
        default:
            return isSecret(name) ? Self.redacted(value) : value
        }
    }

    private func redactCookiePair(_ pair: Substring) -> String {
        guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
        return String(pair[...equals]) + Self.redacted(String(pair[pair.index(after: equals)...]))
    }

    /// Redacts secret members anywhere in a JSON value (LiveView's `session` and `static`,
    /// `params._csrf_token`, `--redact` fields). String values become markers; objects and
    /// arrays under a secret name are searched further rather than replaced, so the shape of
    /// the payload stays visible. Returns nil when nothing was secret.
    public func redact(json value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let members):
            var changed = false
            var out = members
            for i in out.indices {
                if isSecret(out[i].key), case .string(let s) = out[i].value {
                    let marker = Self.redacted(s)
                    if marker != s {
                        out[i].value = .string(marker)
                        changed = true
                    }
                } else if let inner = redact(json: out[i].value) {
                    out[i].value = inner
                    changed = true
                }
            }
            return changed ? .object(out) : nil
        case .array(let elements):
            var changed = false
            var out = elements
            for i in out.indices {
                if let inner = redact(json: out[i]) {
                    out[i] = inner
                    changed = true
                }
            }
            return changed ? .array(out) : nil
        default:
            return nil
        }
    }

    /// A message with the secrets in its JSON text redacted. The frame is decoded again from
    /// the redacted text, so its envelope, raw bytes and payload stay consistent. Frames with
    /// no secret are returned unchanged, byte for byte; binary frames are opaque and kept.
    public func redact(_ record: MessageRecord) -> MessageRecord {
        guard record.opcode == .text, record.raw.first == UInt8(ascii: "[") || record.raw.first == UInt8(ascii: "{"),
            let value = try? JSONValue.parse(record.raw[...]), let redacted = redact(json: value)
        else { return record }
        var out: [UInt8] = []
        out.reserveCapacity(record.raw.count)
        redacted.append(to: &out)
        var copy = record
        copy.raw = out[...]
        if case .success(let message) = record.decoded {
            let serializer: Serializer = message.layout.isV1 ? .v1 : .v2
            copy.decoded = Result { () throws(DecodeError) -> PhoenixMessage in
                try PhoenixDecoder.decode(out[...], opcode: .text, from: record.from, serializer: serializer)
            }
        }
        return copy
    }

    /// A record with its secrets redacted: connection parameters, subprotocols and message payloads.
    public func redact(_ record: TranscriptRecord) -> TranscriptRecord {
        switch record {
        case .open(var r):
            r.params = redact(r.params)
            r.subprotocols = r.subprotocols.map(redact(subprotocol:))
            return .open(r)
        case .message(let m):
            return .message(redact(m))
        default:
            return record
        }
    }

    /// FNV-1a, 32 bits, as 8 hex digits: stable across runs and machines, short enough to read.
    static func shortHash(_ value: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in value.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
