public import PhoenixChecker

/// A Phoenix socket described by what was said on it rather than by its bytes: a WebSocket
/// entry of a HAR file (the browser already took the frames apart), a LongPoll session put
/// together from HAR requests, or a connection of a `phxtap/1` transcript being checked again.
/// `HARConnection` carries one; the pipeline opens a session from it.
public struct MessageConnection: Sendable, Hashable {
    /// The client's address, or a description such as `browser` when the source has none.
    public var client: String
    /// The server's `host:port`.
    public var server: String
    public var transport: Transport
    /// The request path, e.g. `/socket/websocket`.
    public var path: String
    /// The query parameters in wire order (`vsn` among them picks the serializer).
    public var params: [QueryItem]
    /// The `Sec-WebSocket-Protocol` values the client offered.
    public var subprotocols: [String]
    /// The HTTP status of the upgrade or of the first LongPoll answer; nil when unknown.
    public var status: Int?
    /// The negotiated `Sec-WebSocket-Extensions`, if any.
    public var extensions: String?

    /// A connection.
    public init(
        client: String, server: String, transport: Transport, path: String, params: [QueryItem],
        subprotocols: [String] = [], status: Int?, extensions: String? = nil
    ) {
        self.client = client
        self.server = server
        self.transport = transport
        self.path = path
        self.params = params
        self.subprotocols = subprotocols
        self.status = status
        self.extensions = extensions
    }

    /// The raw `vsn` parameter, nil when absent.
    public var vsn: String? { params.last(where: { $0.name == "vsn" })?.value }
}
