import NIOCore
import NIOPosix
import TapPipeline
import PhoenixProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// One relayed connection: the client leg, the upstream leg and how it is going. Every method
/// runs on the one event loop both legs share, so there is no locking here.
///
/// Ending follows what each side did: a FIN from one side becomes a FIN (after the bytes still
/// queued for it) on the other; a reset becomes a reset; a leg that goes away without a FIN
/// closes the other after its pending bytes. The first of these is what the connection's
/// `.closed` event reports.
final class RelayConnection {
    let id: Int
    private let queue: ObservationQueue
    private let connector: UpstreamConnector
    private let failedLinger: TimeAmount
    private let onFinished: (Int) -> Void

    private(set) var client: RelayHandler?
    private(set) var upstream: RelayHandler?
    private var upstreamState = UpstreamState.notStarted
    /// Client bytes read before the upstream leg was connected (possible when the TLS handler
    /// reads on its own during the handshake).
    private var earlyClientBytes: [ByteBuffer] = []
    private var end: ConnectionEnd?
    private var skipped: [Direction: Int] = [:]
    private var finished = false
    private var shuttingDown = false

    private enum UpstreamState {
        case notStarted
        case connecting
        case connected
        case failed(String)
        case closed
    }

    init(
        id: Int, queue: ObservationQueue, connector: UpstreamConnector, failedLinger: TimeAmount,
        onFinished: @escaping (Int) -> Void
    ) {
        self.id = id
        self.queue = queue
        self.connector = connector
        self.failedLinger = failedLinger
        self.onFinished = onFinished
        self.client = RelayHandler(side: .client, connection: self)
    }

    private func handler(_ side: Direction) -> RelayHandler? { side == .client ? client : upstream }

    // MARK: Legs coming and going

    func legActive(_ side: Direction, context: ChannelHandlerContext) {
        guard side == .client, case .notStarted = upstreamState else {
            // A TLS upstream counts as connected once its handshake is done (tlsReady), so
            // that a certificate the proxy rejects still gets the client a 502.
            if side == .server, connector.tls == nil { upstreamConnected() }
            return
        }
        let clientEndpoint = Endpoint(context.channel.remoteAddress)
        queue.offer(.opened(conn: id, time: wallClock(), client: clientEndpoint, server: connector.endpoint))
        upstreamState = .connecting
        let handler = RelayHandler(side: .server, connection: self)
        upstream = handler
        connector.connect(on: context.eventLoop, handler: handler).assumeIsolated().whenComplete { result in
            switch result {
            case .success:
                // upstreamConnected() ran from channelActive already.
                break
            case .failure(let error):
                self.upstreamFailed(self.connector.describe(error))
            }
        }
    }

    func tlsReady(_ side: Direction) {
        if side == .server { upstreamConnected() }
    }

    private func upstreamConnected() {
        guard case .connecting = upstreamState else { return }
        upstreamState = .connected
        guard let client, client.isActive else {
            // The client left while we were connecting: it never sent a FIN we could pass on
            // as such, so the upstream just gets an orderly close.
            upstream?.context?.close(promise: nil)
            return
        }
        if !earlyClientBytes.isEmpty {
            for buffer in earlyClientBytes { upstream?.write(buffer) }
            earlyClientBytes = []
            upstream?.flush()
        }
        if client.inputClosed { halfClose(.server) }
        client.resumeReadingIfPending()
    }

    private func upstreamFailed(_ reason: String) {
        upstreamState = .failed(reason)
        upstream?.connection = nil
        upstream = nil
        let time = wallClock()
        queue.offer(.sourceNote(conn: id, time: time, rule: "proxy-upstream-failed", text: reason))
        end = .failed(reason)
        guard let client, client.isActive, let context = client.context else {
            finishIfDone()
            return
        }
        // The client gets what a gateway says when it cannot reach the server; then we read
        // (and observe) whatever it still sends until it hangs up, so our close is not a reset
        // that could destroy the 502 before the client reads it.
        let body = "phxtap: \(reason)\n"
        let head =
            "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.utf8.count)
        buffer.writeString(head)
        buffer.writeString(body)
        client.write(buffer)
        client.flush()
        halfClose(.client)
        client.resumeReadingIfPending()
        context.eventLoop.assumeIsolated().scheduleTask(in: failedLinger) {
            self.client?.context?.close(promise: nil)
        }
    }

    func legInactive(_ side: Direction) {
        if side == .server, case .connecting = upstreamState {
            // NIOSSL closes the channel before it reports why the handshake failed; give the
            // error a turn of the loop to arrive so the 502 can say what went wrong.
            let reason =
                "upstream \(connector.url.host):\(connector.url.port) closed the connection during the TLS handshake"
            guard let loop = (upstream?.context ?? client?.context)?.eventLoop else {
                upstreamFailed(reason)
                return
            }
            loop.assumeIsolated().execute {
                guard case .connecting = self.upstreamState else { return }
                self.upstreamFailed(reason)
            }
            return
        }
        if side == .server { upstreamState = .closed }
        if let partner = handler(side.opposite), partner.isActive {
            if case .reset(let from) = end, from == side {
                reset(partner)
            } else {
                closeAfterPendingWrites(partner)
            }
        }
        finishIfDone()
    }

    private func finishIfDone() {
        guard !finished else { return }
        if client?.isActive == true { return }
        switch upstreamState {
        case .connecting:
            return  // its completion comes back here
        case .connected:
            if upstream?.isActive == true { return }
        case .notStarted, .failed, .closed:
            break
        }
        finished = true
        let time = wallClock()
        for side in Direction.allCases { reportSkipped(side, time: time) }
        queue.offer(.closed(conn: id, time: time, how: end ?? (shuttingDown ? .endOfInput : .fin(from: .client))))
        client?.connection = nil
        upstream?.connection = nil
        client = nil
        upstream = nil
        onFinished(id)
    }

    // MARK: Bytes

    func relay(from side: Direction, buffer: ByteBuffer) {
        if let target = handler(side.opposite), target.isActive {
            target.write(buffer)
        } else if side == .client, case .connecting = upstreamState {
            earlyClientBytes.append(buffer)
        }
        // Otherwise the other leg is gone (or failed): the bytes are still observed, since
        // the peer did send them, but they have nowhere to go.
        observe(buffer, from: side)
    }

    func flush(towards side: Direction) {
        handler(side)?.flush()
    }

    func mayRead(_ side: Direction) -> Bool {
        if side == .client, case .failed = upstreamState { return true }
        return handler(side.opposite)?.isWritable ?? false
    }

    func writabilityChanged(of side: Direction, isWritable: Bool) {
        if isWritable { handler(side.opposite)?.resumeReadingIfPending() }
    }

    private func observe(_ buffer: ByteBuffer, from side: Direction) {
        let time = wallClock()
        var prefix: [ConnectionEvent] = []
        if let missing = skipped[side], missing > 0 {
            prefix = skipEvents(side, missing: missing, time: time)
        }
        if queue.offer(prefix: prefix, conn: id, from: side, time: time, buffer: buffer) {
            skipped[side] = 0
        } else {
            skipped[side, default: 0] += buffer.readableBytes
        }
    }

    private func skipEvents(_ side: Direction, missing: Int, time: Double) -> [ConnectionEvent] {
        [
            .gap(conn: id, from: side, time: time, missing: missing),
            .sourceNote(
                conn: id, time: time, rule: "proxy-observer-skipped",
                text: "The observer fell behind, so \(missing) bytes from the \(side) were relayed but not observed."),
        ]
    }

    private func reportSkipped(_ side: Direction, time: Double) {
        guard let missing = skipped[side], missing > 0 else { return }
        for event in skipEvents(side, missing: missing, time: time) { queue.offer(event) }
        skipped[side] = 0
    }

    // MARK: Ends

    func inputClosed(_ side: Direction) {
        if end == nil { end = .fin(from: side) }
        if side == .client, case .failed = upstreamState {
            client?.context?.close(promise: nil)
            return
        }
        if let partner = handler(side.opposite), partner.isActive { halfClose(side.opposite) }
    }

    func error(on side: Direction, _ error: any Error) {
        if side == .server, case .connecting = upstreamState {
            upstream?.context?.close(promise: nil)
            upstreamFailed("TLS with upstream \(connector.url.host):\(connector.url.port) failed: \(error)")
            return
        }
        guard end == nil else { return }
        if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            end = .reset(from: side)
        } else {
            end = .failed("the \(side) leg failed: \(error)")
        }
    }

    /// Ends the connection because the proxy is stopping.
    func shutdown() {
        shuttingDown = true
        if end == nil { end = .endOfInput }
        client?.context?.close(promise: nil)
        upstream?.context?.close(promise: nil)
        finishIfDone()
    }

    /// FIN towards `side`, after everything already written to it has gone out.
    private func halfClose(_ side: Direction) {
        guard let target = handler(side), let context = target.context else { return }
        let flushed = context.eventLoop.makePromise(of: Void.self)
        target.write(context.channel.allocator.buffer(capacity: 0), promise: flushed)
        target.flush()
        flushed.futureResult.assumeIsolated().whenComplete { _ in
            guard let context = target.context else { return }
            context.close(mode: .output).assumeIsolated().whenFailure { _ in
                // TLS or a channel that cannot half-close: close it whole.
                target.context?.close(promise: nil)
            }
        }
    }

    private func closeAfterPendingWrites(_ target: RelayHandler) {
        guard let context = target.context else { return }
        let flushed = context.eventLoop.makePromise(of: Void.self)
        target.write(context.channel.allocator.buffer(capacity: 0), promise: flushed)
        target.flush()
        flushed.futureResult.assumeIsolated().whenComplete { _ in target.context?.close(promise: nil) }
    }

    private func reset(_ target: RelayHandler) {
        guard let context = target.context else { return }
        let channel = context.channel
        if let provider = channel as? any SocketOptionProvider {
            // SO_LINGER with a zero timeout makes close() send RST, which is what the other
            // peer did to us.
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }
}

/// Seconds since the Unix epoch from the system's real-time clock, to the microsecond: the
/// resolution of a pcap timestamp, so a `--pcap` capture read back gives the very same times
/// (and round-trip figures) as the live transcript.
func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec / 1_000) / 1_000_000
}

extension Endpoint {
    /// The endpoint of a socket address; unix sockets and unknown peers print as `unknown:0`.
    init(_ address: SocketAddress?) {
        self.init(host: address?.ipAddress ?? "unknown", port: address?.port ?? 0)
    }
}
