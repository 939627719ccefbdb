/// Observation limits: how much of a connection is kept in memory. Beyond them bytes are
/// counted and skipped, and a violation says so; they never change what the peers see.
public struct WireLimits: Sendable, Hashable {
    /// Longest HTTP head (start line and headers) accepted.
    public var maxHeadSize: Int
    /// HTTP body bytes kept per message; the rest is counted.
    public var maxBodyKept: Int
    /// Frame payloads longer than this are skipped as they stream past.
    public var maxFramePayload: Int
    /// Longest message kept, after reassembly and inflation.
    public var maxMessageSize: Int
    /// Client bytes held while an upgrade request waits for its response.
    public var maxHeldBeforeUpgrade: Int

    /// Creates limits; the defaults are 64 KiB heads, 16 MiB bodies, 64 MiB frames and messages,
    /// and 1 MiB held before an upgrade is answered.
    public init(
        maxHeadSize: Int = 64 * 1024, maxBodyKept: Int = 16 * 1024 * 1024, maxFramePayload: Int = 64 * 1024 * 1024,
        maxMessageSize: Int = 64 * 1024 * 1024, maxHeldBeforeUpgrade: Int = 1024 * 1024
    ) {
        self.maxHeadSize = maxHeadSize
        self.maxBodyKept = maxBodyKept
        self.maxFramePayload = maxFramePayload
        self.maxMessageSize = maxMessageSize
        self.maxHeldBeforeUpgrade = maxHeldBeforeUpgrade
    }
}
