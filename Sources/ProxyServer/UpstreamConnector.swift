import NIOCore
import NIOPosix
import NIOSSL
import TapPipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Opens upstream legs: TCP to the address resolved at start, then TLS when the upstream is
/// `wss://` or `https://`, verified against the system roots (or `--ca`) unless `--insecure`.
struct UpstreamConnector: Sendable {
    let address: SocketAddress
    let url: UpstreamURL
    let tls: NIOSSLContext?

    /// The upstream as the transcript names it: the resolved address and port.
    var endpoint: Endpoint { Endpoint(address) }

    init(url: UpstreamURL, address: SocketAddress, configuration: ProxyConfiguration) throws(ProxyConfigurationError) {
        self.url = url
        self.address = address
        guard url.useTLS else {
            tls = nil
            return
        }
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if configuration.insecure { tlsConfiguration.certificateVerification = .none }
        if let ca = configuration.caFile { tlsConfiguration.trustRoots = .file(ca) }
        // Whatever the client negotiates inside the TLS tunnel is its business; the proxy
        // speaks HTTP/1.1 bytes it does not rewrite, so it offers only that.
        tlsConfiguration.applicationProtocols = ["http/1.1"]
        do {
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw .unreadableTLSFile(configuration.caFile ?? "(system trust roots)", "\(error)")
        }
    }

    /// Connects a new upstream leg on `loop` (the client leg's loop, so both legs share it)
    /// with `handler` last in its pipeline.
    func connect(on loop: any EventLoop, handler: RelayHandler) -> EventLoopFuture<any Channel> {
        let bound = NIOLoopBound(handler, eventLoop: loop)
        let tls = self.tls
        // SNI and hostname verification take a name; for a literal address NIOSSL checks
        // the certificate against the peer's IP instead.
        let serverName: String? = url.host.isIPAddressLiteral ? nil : url.host
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                do {
                    if let tls {
                        let ssl = try NIOSSLClientHandler(context: tls, serverHostname: serverName)
                        try channel.pipeline.syncOperations.addHandler(ssl)
                    }
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(to: address)
    }

    /// One sentence (without the final period) for why the upstream could not be reached.
    func describe(_ error: any Error) -> String {
        let target = "upstream \(url.host):\(url.port)"
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "\(target) refused the connection"
            case ETIMEDOUT: return "\(target) did not answer in time"
            case EHOSTUNREACH, ENETUNREACH: return "\(target) is unreachable"
            default: break
            }
        }
        if let connect = error as? NIOConnectionError {
            if let first = connect.connectionErrors.first { return describe(first.error) }
            return "\(target) could not be connected: \(connect)"
        }
        if case ChannelError.connectTimeout = error { return "\(target) did not answer within 10 seconds" }
        return "\(target) could not be connected: \(error)"
    }
}

extension String {
    /// Whether this is a literal IPv4 or IPv6 address rather than a name.
    var isIPAddressLiteral: Bool {
        IPAddressBytes.parseV4(self) != nil || IPAddressBytes.parseV6(self) != nil
    }
}
