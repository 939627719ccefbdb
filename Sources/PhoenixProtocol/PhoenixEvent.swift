/// Events whose meaning Phoenix, phoenix.js or LiveView define. Application events are plain
/// strings and stay plain strings: `ReservedEvent(rawValue:)` returns nil for them.
public enum ReservedEvent: String, Sendable, CaseIterable {
    case join = "phx_join"
    case reply = "phx_reply"
    case leave = "phx_leave"
    case close = "phx_close"
    case error = "phx_error"
    case heartbeat = "heartbeat"
    case presenceState = "presence_state"
    case presenceDiff = "presence_diff"
    // LiveView (phoenix_live_view channel.ex), carried over ordinary channel messages.
    case liveEvent = "event"
    case liveDiff = "diff"
    case liveRedirect = "live_redirect"
    case livePatch = "live_patch"
    case redirect = "redirect"
    case cidsWillDestroy = "cids_will_destroy"
    case cidsDestroyed = "cids_destroyed"
    case allowUpload = "allow_upload"
    case progress = "progress"
    case chunk = "chunk"

    /// True for the events LiveView adds on `lv:` and `lvu:` topics.
    public var isLiveView: Bool {
        switch self {
        case .liveEvent, .liveDiff, .liveRedirect, .livePatch, .redirect, .cidsWillDestroy, .cidsDestroyed,
            .allowUpload, .progress, .chunk:
            return true
        default:
            return false
        }
    }
}

/// The topic Phoenix reserves for socket-level messages (heartbeats and their replies).
public let phoenixSocketTopic = "phoenix"
