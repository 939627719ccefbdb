/// Where the proxy forwards connections: `ws://`, `http://`, `wss://` or `https://` with a host
/// and an optional port. Only the scheme, host and port matter: the relay forwards the client's
/// own request line, so the path the client asked for is the path the server sees.
public struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    /// Host name or literal address (IPv6 without brackets).
    public var host: String
    /// TCP port; defaults to 80 for `ws`/`http` and 443 for `wss`/`https`.
    public var port: Int
    /// Whether the proxy speaks TLS to the upstream.
    public var useTLS: Bool

    /// Creates an upstream target from its parts.
    public init(host: String, port: Int, useTLS: Bool) {
        self.host = host
        self.port = port
        self.useTLS = useTLS
    }

    /// Parses `scheme://host[:port][/path]`; throws ``ProxyConfigurationError`` when it is not one.
    public init(parsing text: String) throws(ProxyConfigurationError) {
        guard let schemeEnd = text.firstRange(of: "://") else { throw .badUpstream(text, "it has no scheme") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "ws", "http": useTLS = false
        case "wss", "https": useTLS = true
        default: throw .badUpstream(text, "the scheme must be ws, wss, http or https")
        }
        var rest = text[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .badUpstream(text, "an IPv6 address is missing its ']'") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty {
                throw .badUpstream(text, "unexpected text after the IPv6 address")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw .badUpstream(text, "it has no host") }
        self.host = String(host)
        if let portText {
            guard let p = Int(portText), (1...65_535).contains(p) else {
                throw .badUpstream(text, "the port must be a number from 1 to 65535")
            }
            port = p
        } else {
            port = useTLS ? 443 : 80
        }
    }

    /// `scheme://host:port` as the proxy understood it.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(useTLS ? "https" : "http")://\(h):\(port)"
    }
}

/// Everything the proxy needs to run. Paths are read when the proxy starts.
public struct ProxyConfiguration: Sendable {
    /// Where connections are forwarded.
    public var upstream: UpstreamURL
    /// Address to listen on; loopback unless the user asks otherwise.
    public var listenHost: String
    /// Port to listen on; 0 picks a free one (see the address ``PhoenixProxy/start()`` returns).
    public var listenPort: Int
    /// Skip certificate verification towards a TLS upstream.
    public var insecure: Bool
    /// PEM file of extra trust roots for a TLS upstream (replaces the system roots).
    public var caFile: String?
    /// PEM certificate chain to serve TLS to clients; needs ``tlsKeyFile``.
    public var tlsCertificateFile: String?
    /// PEM private key for ``tlsCertificateFile``.
    public var tlsKeyFile: String?
    /// Most bytes waiting for the observer at once; past it observation is skipped, never traffic.
    public var observerBudgetBytes: Int
    /// Event loop threads; the default is one per core.
    public var threads: Int
    /// How long a client that got a 502 may take to hang up before the proxy closes on it, seconds.
    public var failedLingerSeconds: Int64

    /// Creates a configuration with the documented defaults.
    public init(
        upstream: UpstreamURL, listenHost: String = "127.0.0.1", listenPort: Int = 4001, insecure: Bool = false,
        caFile: String? = nil, tlsCertificateFile: String? = nil, tlsKeyFile: String? = nil,
        observerBudgetBytes: Int = 64 << 20, threads: Int = 0, failedLingerSeconds: Int64 = 5
    ) {
        self.upstream = upstream
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.insecure = insecure
        self.caFile = caFile
        self.tlsCertificateFile = tlsCertificateFile
        self.tlsKeyFile = tlsKeyFile
        self.observerBudgetBytes = observerBudgetBytes
        self.threads = threads
        self.failedLingerSeconds = failedLingerSeconds
    }
}

/// Why a proxy configuration cannot be used; each prints as one sentence.
public enum ProxyConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The upstream URL could not be understood (the URL, the reason).
    case badUpstream(String, String)
    /// `--tls-cert` without `--tls-key` or the reverse.
    case tlsNeedsCertificateAndKey
    /// A certificate, key or CA file could not be loaded (path, reason).
    case unreadableTLSFile(String, String)
    /// The upstream host name did not resolve (host, reason).
    case unresolvableUpstream(String, String)
    /// The listening socket could not be opened (address, reason).
    case cannotListen(String, String)

    /// One sentence saying what is wrong.
    public var description: String {
        switch self {
        case .badUpstream(let url, let why): "The upstream URL \"\(url)\" cannot be used: \(why)."
        case .tlsNeedsCertificateAndKey: "Serving TLS needs both --tls-cert and --tls-key."
        case .unreadableTLSFile(let path, let why): "The TLS file \(path) cannot be loaded: \(why)."
        case .unresolvableUpstream(let host, let why): "The upstream host \(host) does not resolve: \(why)."
        case .cannotListen(let address, let why): "Cannot listen on \(address): \(why)."
        }
    }
}
