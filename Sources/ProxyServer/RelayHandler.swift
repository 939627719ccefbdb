import NIOCore
import NIOSSL
import NIOTLS
import PhoenixProtocol

/// The last handler of each leg's pipeline (after TLS, if any). It hands what it reads to its
/// ``RelayConnection`` and lets the channel read only while the other leg can take more, in the
/// manner of NIO's glue handlers: a slow reader on one side slows the reads on the other, so
/// memory stays bounded by the two channels' write buffers.
final class RelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Which peer this leg talks to: `.client` for the accepted channel, `.server` upstream.
    let side: Direction
    /// Cleared by the connection when it has reported its end, to break the reference cycle.
    var connection: RelayConnection?
    private(set) var context: ChannelHandlerContext?
    private var pendingRead = false
    /// The peer sent FIN (seen as `ChannelEvent.inputClosed`).
    var inputClosed = false
    /// Between channelActive and channelInactive.
    var isActive = false

    init(side: Direction, connection: RelayConnection) {
        self.side = side
        self.connection = connection
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive, !isActive {
            // Added to an already connected channel (the upstream bootstrap's initializer runs
            // before activation, but be robust either way).
            isActive = true
            connection?.legActive(side, context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if !isActive {
            isActive = true
            connection?.legActive(side, context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isActive = false
        connection?.legInactive(side)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection?.relay(from: side, buffer: unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.flush(towards: side.opposite)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.writabilityChanged(of: side, isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            connection?.inputClosed(side)
        } else if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            connection?.tlsReady(side)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection?.error(on: side, error)
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if connection?.mayRead(side) ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Issues the read that was held back while the other leg was full or not yet there.
    func resumeReadingIfPending() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    /// Writes a buffer read from the other leg, as it was read.
    func write(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    /// Flushes what was written since the last flush.
    func flush() {
        context?.flush()
    }

    /// Whether this leg's channel can take more writes now.
    var isWritable: Bool { isActive && (context?.channel.isWritable ?? false) }
}
