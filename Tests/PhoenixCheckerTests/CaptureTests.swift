import PhoenixChecker
import PhoenixProtocol
import Testing

/// The real Phoenix 1.7.24 + phoenix.js captures are clean traffic: no error or warning, except
/// where the traffic really shows what a rule describes.
@Suite struct CaptureTests {
    /// What each capture really shows. errors: a ping to a topic the client never joined, and the
    /// server's `unmatched topic` answer to it. Everything else there (the 403 upgrade, the refused
    /// and unrouted joins, the crash and stop pushes that get no reply) is info.
    static let shown: [String: [String]] = [
        "errors": ["push-to-unjoined-topic"],
    ]

    @Test(arguments: ["basic", "binary", "errors", "heartbeat", "presence", "v1", "longpoll", "liveview"])
    func realCaptureRaisesOnlyWhatItShows(_ name: String) throws {
        for version in [PhoenixVersion(1, 7, 24), .newest, PhoenixVersion(1, 8, 5)] {
            let replay = try CaptureReplay(name, version: version)
            #expect(replay.messages > 0)
            #expect(replay.problems.map(\.rule) == Self.shown[name, default: []], "\(name) on \(version): \(replay.problems)")
            // Every reply in clean traffic answers a push the checker saw.
            #expect(replay.matchedReplies == replay.replies, "\(name)")
        }
    }

    @Test func errorsCaptureInfoNotes() throws {
        let replay = try CaptureReplay("errors")
        let info = Set(replay.said.filter { $0.severity == .info }.map(\.rule))
        #expect(info.isSuperset(of: ["connect-refused", "join-rejected", "push-unanswered"]))
        let unanswered = replay.said.filter { $0.rule == "push-unanswered" }.map(\.text)
        #expect(unanswered.contains { $0.hasPrefix("crash") && $0.contains("phx_error") })
        #expect(unanswered.contains { $0.hasPrefix("stop") && $0.contains("phx_close") })
    }
}
