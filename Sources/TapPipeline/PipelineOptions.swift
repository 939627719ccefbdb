public import PhoenixChecker
public import Transcript
public import WebSocketWire

/// What a pipeline needs to know besides the bytes.
public struct PipelineOptions: Sendable {
    /// Phoenix version and timeouts the checker assumes.
    public var checker: CheckerOptions
    /// How much of a frame, message or body is kept for observation.
    public var wireLimits: WireLimits
    /// Server ports whose connections are WebSocket from the first byte (captures that begin
    /// after the handshake).
    public var assumeWebSocketPorts: Set<Int>
    /// Redacts secret connection parameters in `open` lines; nil keeps them.
    public var redactor: Redactor?

    public init(
        checker: CheckerOptions = .init(), wireLimits: WireLimits = .init(), assumeWebSocketPorts: Set<Int> = [],
        redactor: Redactor? = Redactor()
    ) {
        self.checker = checker
        self.wireLimits = wireLimits
        self.assumeWebSocketPorts = assumeWebSocketPorts
        self.redactor = redactor
    }
}
