import Foundation
import Testing

/// Golden files for the Markdown and HAR exports of every bundled capture.
///
/// The expected outputs live in Tests/PhxtapCLITests/Golden. After an intended change to the
/// renderers, regenerate them and review the diff:
///
///     PHXTAP_UPDATE_GOLDEN=1 swift test --filter ExportGoldenTests
@Suite struct ExportGoldenTests {
    static let captures = ["basic", "binary", "errors", "heartbeat", "liveview", "longpoll", "presence", "v1"]
    static let goldenDir = PhxtapProcess.packageRoot.appendingPathComponent("Tests/PhxtapCLITests/Golden")
    static var updating: Bool { ProcessInfo.processInfo.environment["PHXTAP_UPDATE_GOLDEN"] == "1" }

    static func compare(_ output: String, golden name: String) throws {
        let url = goldenDir.appendingPathComponent(name)
        if updating {
            try FileManager.default.createDirectory(at: goldenDir, withIntermediateDirectories: true)
            try output.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if output != expected {
            let got = output.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
            Issue.record("""
                \(name) differs from its golden file at line \(first + 1) (regenerate with PHXTAP_UPDATE_GOLDEN=1 if intended):
                  got:      \(first < got.count ? String(got[first].prefix(200)) : "<end>")
                  expected: \(first < want.count ? String(want[first].prefix(200)) : "<end>")
                """)
        }
    }

    @Test(arguments: captures)
    func markdown(capture: String) throws {
        let run = try PhxtapProcess.run(["read", "--format", "markdown", "Captures/\(capture).pcap"])
        #expect(run.status == 0, "\(run.stderr)")
        try Self.compare(run.stdout, golden: "\(capture).md")
    }

    @Test(arguments: captures)
    func har(capture: String) throws {
        let run = try PhxtapProcess.run(["read", "--format", "har", "Captures/\(capture).pcap"])
        #expect(run.status == 0, "\(run.stderr)")
        // Valid JSON in HAR 1.2's shape, whatever the golden file says.
        let root = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let log = try #require(root["log"] as? [String: Any])
        #expect(log["version"] as? String == "1.2")
        #expect((log["creator"] as? [String: Any])?["name"] as? String == "phxtap")
        let entries = try #require(log["entries"] as? [[String: Any]])
        #expect(!entries.isEmpty)
        for entry in entries {
            for key in ["startedDateTime", "time", "request", "response", "cache", "timings"] {
                #expect(entry[key] != nil, "entry lacks \(key)")
            }
        }
        try Self.compare(run.stdout, golden: "\(capture).har")
    }

    /// Every Mermaid block of every golden Markdown file parses in the emitted subset.
    @Test(arguments: captures)
    func mermaidBlocksParse(capture: String) throws {
        let run = try PhxtapProcess.run(["read", "--format", "markdown", "Captures/\(capture).pcap"])
        let blocks = Self.mermaidBlocks(run.stdout)
        #expect(!blocks.isEmpty)
        for block in blocks {
            #expect(MermaidGrammar.problems(in: block) == [], "\(block)")
        }
    }

    static func mermaidBlocks(_ markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```mermaid" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }
}
