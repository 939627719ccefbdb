import Foundation
import Testing

/// `--conn`, `--topic`, `--event`, `--hide-heartbeats`, `--max-messages`.
@Suite struct FilterTests {
    static func messages(_ arguments: [String]) throws -> [[String: Any]] {
        let run = try PhxtapProcess.run(["read", "--format", "jsonl"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        return try ReadCommandTests.transcript(run).filter { $0["type"] as? String == "message" }
    }

    @Test func hideHeartbeatsDropsTheSocketTopic() throws {
        let all = try Self.messages(["Captures/heartbeat.pcap"])
        let shown = try Self.messages(["--hide-heartbeats", "Captures/heartbeat.pcap"])
        #expect(all.contains { $0["topic"] as? String == "phoenix" })
        #expect(!shown.isEmpty)
        #expect(shown.allSatisfy { $0["topic"] as? String != "phoenix" })
        #expect(shown.count == all.filter { $0["topic"] as? String != "phoenix" }.count)
    }

    @Test func topicEventConnAndMaxMessages() throws {
        let errs = try Self.messages(["--topic", "room:e*", "Captures/errors.pcap"])
        #expect(Set(errs.compactMap { $0["topic"] as? String }) == ["room:errs"])
        let joins = try Self.messages(["--event", "phx_join", "--event", "phx_leave", "Captures/errors.pcap"])
        #expect(joins.map { $0["event"] as? String } == ["phx_join", "phx_leave", "phx_join", "phx_leave", "phx_join", "phx_join"])
        let second = try Self.messages(["--conn", "2", "Captures/presence.pcap"])
        #expect(!second.isEmpty)
        #expect(second.allSatisfy { $0["conn"] as? Int == 2 })
        let three = try Self.messages(["--max-messages", "3", "Captures/basic.pcap"])
        #expect(three.map { $0["seq"] as? Int } == [1, 2, 3])
    }

    @Test func filtersShapeTheMarkdownToo() throws {
        let run = try PhxtapProcess.run(["read", "--format", "markdown", "--hide-heartbeats", "Captures/heartbeat.pcap"])
        #expect(!run.stdout.contains("on `phoenix`"))
        // Numbers with gaps cannot use autonumber; the diagram labels carry them instead.
        let block = try #require(ExportGoldenTests.mermaidBlocks(run.stdout).first)
        #expect(!block.contains("autonumber"))
        #expect(MermaidGrammar.problems(in: block) == [])
    }

    @Test func badFilterValuesAreUsageErrors() throws {
        let run = try PhxtapProcess.run(["read", "--max-messages=-1", "Captures/basic.pcap"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--max-messages must be 0 or more"))
    }
}
