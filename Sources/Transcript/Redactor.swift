/// Replaces secrets with a marker that keeps their shape: a stable short hash (so equal
/// secrets stay visibly equal across a transcript) and the length (so examples stay true to
/// the protocol's sizes). Exports and recorded connection parameters use it by default.
public struct Redactor: Sendable, Hashable {
    /// Query parameter, header and payload field names whose values are secrets (compared
    /// without regard to case). Phoenix's own: `token` (connect params and the LongPoll session
    /// token), `_csrf_token` and LiveView's `session` and `static`.
    public var secretNames: Set<String>

    /// The default set; `extra` adds an application's own fields (`--redact KEY`).
    public init(extra: [String] = []) {
        secretNames = Set(
            ["token", "_csrf_token", "csrf_token", "x-csrf-token", "session", "static", "authorization", "cookie",
             "set-cookie", "apikey", "api_key", "access_token", "password", "secret", "x-phoenix-authtoken",
             "x-phoenix-longpoll-token"] + extra.map { $0.lowercased() })
    }

    /// True when values under this name are secrets.
    public func isSecret(_ name: String) -> Bool { secretNames.contains(name.lowercased()) }

    /// The marker for a secret value: `[redacted len=32 hash=5f2a9c1e]`.
    public static func marker(for value: String) -> String {
        "[redacted len=\(value.utf8.count) hash=\(shortHash(value))]"
    }

    /// Redacts the values of secret parameters, keeping names and order.
    public func redact(_ params: [QueryItem]) -> [QueryItem] {
        params.map { isSecret($0.name) ? QueryItem(name: $0.name, value: Self.marker(for: $0.value)) : $0 }
    }

    /// Phoenix's token subprotocol `base64url.bearer.phx.<token>` carries a bearer token.
    public func redact(subprotocol: String) -> String {
        let prefix = "base64url.bearer.phx."
        guard subprotocol.hasPrefix(prefix) else { return subprotocol }
        return prefix + Self.marker(for: String(subprotocol.dropFirst(prefix.count)))
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
