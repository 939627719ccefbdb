@testable import PhoenixChecker
import Testing

/// The byte comparisons that classify events and topics on every message, against the plain
/// `String` comparisons they stand in for.
@Suite struct EventNameTests {
    private static let reserved: [(String, CheckedEvent)] = [
        ("phx_join", .join), ("phx_reply", .reply), ("phx_leave", .leave), ("phx_close", .close),
        ("phx_error", .error), ("heartbeat", .heartbeat), ("presence_state", .presenceState),
        ("presence_diff", .presenceDiff),
    ]

    @Test func classifiesEveryReservedEventAndNothingElse() {
        for (name, kind) in Self.reserved {
            #expect(CheckedEvent(name) == kind, "\(name)")
        }
        // Near misses: one byte off, one byte short or long, other case, other lengths.
        var others = ["", "p", "h", "ping", "new_msg", "phx_", "Phx_join", "phx_joi", "phx_joinx", "phx_reply ",
                      "heartbeaT", "presence_diffs", "presence_stat", "phx_replY", "hhx_reply", "phx_clos", "é"]
        for (name, _) in Self.reserved {
            var bytes = Array(name.utf8)
            bytes[bytes.count / 2] ^= 0x01
            others.append(String(decoding: bytes, as: UTF8.self))
            others.append(String(name.dropLast()))
            others.append(name + "_")
        }
        for name in others {
            #expect(CheckedEvent(name) == .other, "\(name)")
        }
    }

    @Test func tellsLiveViewTopicsByTheirPrefix() {
        let liveView = ["lv:", "lv:phx-F1", "lvu:", "lvu:1"]
        let others = ["", "l", "lv", "lvu", "lvx:", "lvuu:", "Lv:1", "room:lv:1", "phoenix", " lv:1", "lé:"]
        for topic in liveView + others {
            #expect(EventName.isLiveViewTopic(topic) == liveView.contains(topic), "\(topic)")
            #expect(EventName.isLiveViewTopic(topic) == (topic.hasPrefix("lv:") || topic.hasPrefix("lvu:")), "\(topic)")
        }
    }
}
