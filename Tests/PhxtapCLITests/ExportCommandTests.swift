import Foundation
import Testing
import PhoenixChecker
import Transcript

extension PhxtapProcess {
    /// Whether the binary has this subcommand (export, check and spec are registered by the
    /// root command; until they are, their tests are skipped rather than failed).
    static func hasCommand(_ name: String) -> Bool {
        // An unknown name followed by --help prints the root command's help, so look at what it says.
        guard let help = try? run([name, "--help"]) else { return false }
        return help.status == 0 && help.stdout.contains("USAGE: phxtap \(name)")
    }
}

/// `phxtap export`, `phxtap check` and `phxtap spec` through the real binary.
@Suite struct ExportCommandTests {
    static func transcript(_ capture: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("\(capture).jsonl")
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", "-o", url.path, "Captures/\(capture).pcap"])
        #expect(run.status == 0)
        return url
    }

    @Test(.enabled(if: PhxtapProcess.hasCommand("export")))
    func exportOfATranscriptMatchesReadingTheCapture() throws {
        let jsonl = try Self.transcript("basic")
        defer { try? FileManager.default.removeItem(at: jsonl.deletingLastPathComponent()) }
        let exported = try PhxtapProcess.run(["export", jsonl.path])
        let read = try PhxtapProcess.run(["read", "--format", "markdown", "Captures/basic.pcap"])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout == read.stdout)
        let har = try PhxtapProcess.run(["export", "--format", "har", jsonl.path])
        #expect(har.stdout == (try PhxtapProcess.run(["read", "--format", "har", "Captures/basic.pcap"])).stdout)
    }

    @Test(.enabled(if: PhxtapProcess.hasCommand("export")))
    func exportRedactsPayloadsOfATranscriptRecordedWithoutRedaction() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let jsonl = dir.appendingPathComponent("lv.jsonl")
        _ = try PhxtapProcess.run(["read", "--format", "jsonl", "--no-redact", "-o", jsonl.path, "Captures/liveview.pcap"])
        let secrets = try RedactionTests.secrets()
        #expect(!RedactionTests.leaks(in: try String(contentsOf: jsonl, encoding: .utf8), secrets: secrets).isEmpty)
        for format in ["markdown", "har", "jsonl", "text"] {
            let run = try PhxtapProcess.run(["export", "--format", format, jsonl.path])
            #expect(run.status == 0)
            #expect(RedactionTests.leaks(in: run.stdout, secrets: secrets) == [], "\(format)")
        }
    }

    @Test(.enabled(if: PhxtapProcess.hasCommand("check")))
    func checkGatesOnFindingsFromTranscriptsAndHARs() throws {
        let errors = try Self.transcript("errors")
        let basic = try Self.transcript("basic")
        defer {
            try? FileManager.default.removeItem(at: errors.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: basic.deletingLastPathComponent())
        }
        #expect(try PhxtapProcess.run(["check", errors.path]).status == 1)
        #expect(try PhxtapProcess.run(["check", basic.path]).status == 0)
        let har = basic.deletingLastPathComponent().appendingPathComponent("errors.har")
        _ = try PhxtapProcess.run(["read", "--format", "har", "-o", har.path, "Captures/errors.pcap"])
        let run = try PhxtapProcess.run(["check", "--format", "jsonl", har.path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("push-to-unjoined-topic"))
        #expect(try PhxtapProcess.run(["check", "--fail-on", "never", har.path]).status == 0)
    }

    @Test(.enabled(if: PhxtapProcess.hasCommand("spec")))
    func specUsesTheBundledCaptures() throws {
        let run = try PhxtapProcess.run(["spec"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("# Phoenix Channels protocol reference"))
        #expect(run.stdout.contains("### Broadcast"))
        #expect(run.stdout.contains("#### `stale-join-ref`") || run.stdout.contains("#### `"))
    }
}

/// The protocol reference from transcripts of the bundled captures (the pure part of `phxtap spec`).
@Suite struct ProtocolSpecTests {
    static func transcripts() throws -> [(source: String, records: [TranscriptRecord])] {
        try ["basic", "errors", "presence", "heartbeat", "binary", "v1", "longpoll", "liveview"].map { name in
            let run = try PhxtapProcess.run(["read", "--format", "jsonl", "Captures/\(name).pcap"])
            var reader = TranscriptReader()
            let records = try run.stdout.utf8.split(separator: 0x0A).compactMap { try reader.read(line: ArraySlice($0)) }
            return ("\(name).pcap", records.map(Redactor().redact))
        }
    }

    @Test func everyKindOfMessageHasARealExample() throws {
        let spec = ProtocolSpec(transcripts: try Self.transcripts()).render()
        for kind in MessageKind.allCases {
            #expect(spec.contains("### \(kind.title)\n"), "\(kind)")
        }
        #expect(!spec.contains("Not seen in these captures"))
        // The broadcast example is a real frame with its explanation.
        #expect(spec.contains("""
            ```json
            [null,null,"room:lobby","new_msg",{"body":"hi all"}]
            ```

            Broadcast `new_msg`: no join_ref and no ref, so every channel on this topic receives it.
            """))
        for rule in RuleCatalog.all { #expect(spec.contains("#### `\(rule.id)` (\(rule.severity.rawValue))"), "\(rule.id)") }
        #expect(!spec.contains("YgogDh8PLAg9KWdmO2wEAWoPBwQNYCUK6rxbPeIpRJ2WtXFE9yfOf7TY"))
    }

    @Test func kindsMissingFromTheCapturesAreNamed() throws {
        let basicOnly = try Self.transcripts().filter { $0.source == "basic.pcap" }
        let spec = ProtocolSpec(transcripts: basicOnly).render()
        #expect(spec.contains("Not seen in these captures: "))
        #expect(spec.contains("Binary reply (kind 1)"))
        #expect(!spec.contains("### Binary reply (kind 1)"))
    }
}

extension ExportCommandTests {
    /// Checking a transcript again gives the transcript it was, line for line.
    @Test(.enabled(if: PhxtapProcess.hasCommand("check")), arguments: ExportGoldenTests.captures)
    func checkingATranscriptReproducesIt(capture: String) throws {
        let jsonl = try Self.transcript(capture)
        defer { try? FileManager.default.removeItem(at: jsonl.deletingLastPathComponent()) }
        let original = try String(contentsOf: jsonl, encoding: .utf8)
        let run = try PhxtapProcess.run(["check", "--all", "--format", "jsonl", "--fail-on", "never", jsonl.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(HARCommandTests.body(run.stdout) == HARCommandTests.body(original))
    }
}
