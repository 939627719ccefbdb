public import NIOCore
import NIOPosix
import NIOSSL
import NIOConcurrencyHelpers
public import TapPipeline

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// A transparent man-in-the-middle relay for Phoenix sockets. Each accepted connection gets an
/// upstream connection of its own; bytes are relayed as read in both directions (the HTTP
/// upgrade, WebSocket frames, LongPoll requests, whatever the peers send) and a copy of each
/// chunk goes to the observer as ``ConnectionEvent`` values, off the event loops.
///
/// ```
///  client ──TCP/TLS──▶ [RelayHandler]──┐      ┌──[RelayHandler] ◀──TCP/TLS── upstream
///                                      └─ RelayConnection ─┘
///                                              │ ByteBuffer copies (byte budget)
///                                              ▼
///                                     ObservationQueue ──▶ observer(ConnectionEvent)
/// ```
public final class PhoenixProxy: Sendable {
    private let configuration: ProxyConfiguration
    private let queue: ObservationQueue
    private let group: MultiThreadedEventLoopGroup
    private let state = NIOLockedValueBox(State())

    private struct State {
        var nextConnection = 1
        var server: (any Channel)?
        var live: [Int: (channel: any Channel, connection: NIOLoopBound<RelayConnection>)] = [:]
        var stopped = false
    }

    /// Creates a proxy; nothing is opened until ``start()``. The observer is called from one
    /// thread of its own, one event at a time, in order for each connection, never from an event
    /// loop; `drained` is called on that thread after each batch of events (flush output there).
    public init(
        config: ProxyConfiguration, observer: @escaping @Sendable (ConnectionEvent) -> Void,
        drained: @escaping @Sendable () -> Void = {}
    ) {
        self.configuration = config
        self.queue = ObservationQueue(budgetBytes: config.observerBudgetBytes, observer: observer, drained: drained)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: config.threads > 0 ? config.threads : System.coreCount)
    }

    /// Resolves the upstream, loads TLS material and starts listening. Returns the address
    /// actually bound (useful with port 0).
    public func start() async throws -> SocketAddress {
        let config = configuration
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(config.upstream.host, port: config.upstream.port)
        } catch {
            throw ProxyConfigurationError.unresolvableUpstream(config.upstream.host, "\(error)")
        }
        let connector = try UpstreamConnector(url: config.upstream, address: address, configuration: config)
        let serverTLS = try Self.serverTLSContext(config)
        let failedLinger = TimeAmount.seconds(config.failedLingerSeconds)
        let queue = self.queue

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [weak self] channel in
                guard let self else { return channel.close() }
                let id = self.state.withLockedValue { state -> Int in
                    defer { state.nextConnection += 1 }
                    return state.nextConnection
                }
                let connection = RelayConnection(
                    id: id, queue: queue, connector: connector, failedLinger: failedLinger,
                    onFinished: { [weak self] id in self?.state.withLockedValue { _ = $0.live.removeValue(forKey: id) } })
                let accepted = self.state.withLockedValue { state -> Bool in
                    guard !state.stopped else { return false }
                    state.live[id] = (channel, NIOLoopBound(connection, eventLoop: channel.eventLoop))
                    return true
                }
                guard accepted else { return channel.close() }
                do {
                    if let serverTLS {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: serverTLS))
                    }
                    try channel.pipeline.syncOperations.addHandler(connection.client!)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: config.listenHost, port: config.listenPort).get()
        } catch {
            let address = config.listenHost.contains(":") ? "[\(config.listenHost)]:\(config.listenPort)" : "\(config.listenHost):\(config.listenPort)"
            if let io = error as? IOError {
                throw ProxyConfigurationError.cannotListen(address, String(cString: strerror(io.errnoCode)).lowercased())
            }
            throw ProxyConfigurationError.cannotListen(address, "\(error)")
        }
        state.withLockedValue { $0.server = channel }
        guard let local = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return local
    }

    /// Number of connections being relayed now.
    public var liveConnections: Int { state.withLockedValue { $0.live.count } }

    /// Stops listening, ends every open connection (reported as `.closed(how: .endOfInput)`),
    /// waits until the observer has seen every event, and releases the event loops.
    public func shutdown() async {
        let (server, live) = state.withLockedValue { state in
            state.stopped = true
            return (state.server, Array(state.live.values))
        }
        try? await server?.close().get()
        for (channel, bound) in live {
            try? await channel.eventLoop.submit { bound.value.shutdown() }.get()
            try? await channel.closeFuture.get()
        }
        // A connection whose upstream was still connecting reports its end when that settles;
        // give such stragglers a bounded moment.
        for _ in 0..<100 where liveConnections > 0 {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        await queue.finish()
        try? await group.shutdownGracefully()
    }

    private static func serverTLSContext(_ config: ProxyConfiguration) throws -> NIOSSLContext? {
        switch (config.tlsCertificateFile, config.tlsKeyFile) {
        case (nil, nil):
            return nil
        case (let cert?, let key?):
            let chain: [NIOSSLCertificate]
            let privateKey: NIOSSLPrivateKey
            do { chain = try NIOSSLCertificate.fromPEMFile(cert) } catch {
                throw ProxyConfigurationError.unreadableTLSFile(cert, "\(error)")
            }
            do { privateKey = try NIOSSLPrivateKey(file: key, format: .pem) } catch {
                throw ProxyConfigurationError.unreadableTLSFile(key, "\(error)")
            }
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            do { return try NIOSSLContext(configuration: tls) } catch {
                throw ProxyConfigurationError.unreadableTLSFile(cert, "\(error)")
            }
        default:
            throw ProxyConfigurationError.tlsNeedsCertificateAndKey
        }
    }
}
