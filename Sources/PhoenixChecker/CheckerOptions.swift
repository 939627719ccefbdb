/// How the checker judges a connection: the server version it assumes and the client timers it
/// measures against. Defaults are Phoenix's and phoenix.js's (PROTOCOL.md section 4.4).
public struct CheckerOptions: Sendable, Hashable {
    /// The Phoenix version whose behaviour rules describe (`--phoenix-version`); newest by default.
    public var phoenixVersion: PhoenixVersion
    /// phoenix.js `DEFAULT_TIMEOUT`: a push or join without a reply after this many seconds times out.
    public var pushTimeout: Double
    /// LiveView's `PUSH_TIMEOUT`, used on `lv:` and `lvu:` topics.
    public var liveViewPushTimeout: Double
    /// phoenix.js `heartbeatIntervalMs`: a heartbeat reply is due before the next heartbeat.
    public var heartbeatInterval: Double
    /// Client silence after which the checker warns (the server closes at `serverIdleTimeout`).
    public var silenceWarning: Double
    /// The WebSocket transport's `timeout` option: the server closes after this much client silence.
    public var serverIdleTimeout: Double
    /// More joins than this on one topic within `rejoinWindow` seconds is a rejoin loop.
    public var rejoinLoopCount: Int
    /// The window for `rejoinLoopCount`.
    public var rejoinWindow: Double
    /// A rejoin after a failure sooner than this is faster than phoenix.js's first backoff step (1 s).
    public var minimumRejoinDelay: Double
    /// The most client pushes awaiting a reply that are tracked at once; older ones are settled early.
    public var maxOutstanding: Int
    /// The most topics remembered at once; the least recently used closed ones are forgotten first.
    public var maxTopics: Int
    /// The most presence metas tracked per topic; past this a topic's presence is no longer checked.
    public var maxPresenceMetas: Int

    /// phoenix.js's `DEFAULT_TIMEOUT`, the default `pushTimeout`.
    public static let phoenixJSPushTimeout: Double = 10

    /// Options with Phoenix's defaults, for the newest version unless told otherwise.
    public init(phoenixVersion: PhoenixVersion = .newest) {
        self.phoenixVersion = phoenixVersion
        pushTimeout = Self.phoenixJSPushTimeout
        liveViewPushTimeout = 30
        heartbeatInterval = 30
        silenceWarning = 50
        serverIdleTimeout = 60
        rejoinLoopCount = 3
        rejoinWindow = 10
        minimumRejoinDelay = 0.9
        maxOutstanding = 10_000
        maxTopics = 4_096
        maxPresenceMetas = 10_000
    }
}
