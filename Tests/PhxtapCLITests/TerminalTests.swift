import Foundation
import Testing

/// `phxtap read` with its output on a terminal, as a user at a shell sees it: the binary runs
/// under `script`, which gives it a pseudo-terminal for stdout and stderr alike.
@Suite struct TerminalTests {
    /// Runs phxtap on a pseudo-terminal and returns everything it printed there.
    static func onTerminal(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, screen: String) {
        let command = ([PhxtapProcess.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        // -q: no banner, -e: its exit status is phxtap's, -c: the command; the typescript file is not wanted.
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = PhxtapProcess.packageRoot
        var env = ProcessInfo.processInfo.environment
        env["TZ"] = "UTC"
        env["TERM"] = "xterm-256color"
        env["NO_COLOR"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static let progressBar = "█"
    static let colour = "\u{1B}[3"
    static let clearLine = "\r\u{1B}[K"

    @Test func aLargeReadShowsTextInColourAndAProgressBarThatItClearsAtTheEnd() throws {
        // 60 copies of a 0.36 MB capture: past the 20 MB from which reading is worth a bar.
        let inputs = Array(repeating: "Captures/binary.pcap", count: 60)
        let run = try Self.onTerminal(["read"] + inputs)
        #expect(run.status == 0, "\(run.screen.suffix(500))")
        #expect(run.screen.contains(Self.progressBar))
        #expect(run.screen.contains("% binary.pcap ("))
        #expect(run.screen.contains(Self.clearLine))
        #expect(run.screen.contains(Self.colour))
        // Text, not JSON Lines, is what a terminal gets by default.
        #expect(!run.screen.contains(#"{"type":"#))
        #expect(run.screen.contains("summary: 60 connections, 1260 messages, 0 undecodable, 0 errors, 0 warnings, 120 info"))
    }

    @Test func aLongTranscriptCheckedShowsAProgressBarToo() throws {
        let transcript = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-long-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: transcript) }
        let record = try PhxtapProcess.run(
            ["read", "--format", "jsonl", "-o", transcript.path] + Array(repeating: "Captures/binary.pcap", count: 60))
        #expect(record.status == 0)
        let run = try Self.onTerminal(["check", transcript.path])
        #expect(run.status == 0, "\(run.screen.suffix(500))")
        #expect(run.screen.contains(Self.progressBar))
        #expect(run.screen.contains("% \(transcript.lastPathComponent) ("))
        #expect(run.screen.contains(Self.clearLine))
        #expect(run.screen.contains("summary: 60 connections, 1260 messages, 0 undecodable, 0 errors, 0 warnings, 120 info"))
    }

    @Test func aSmallReadHasNoProgressBar() throws {
        let run = try Self.onTerminal(["read", "Captures/basic.pcap"])
        #expect(run.status == 0)
        #expect(!run.screen.contains(Self.progressBar))
        #expect(run.screen.contains("C→S"))
        #expect(run.screen.contains("summary: 1 connection, 16 messages"))
    }

    @Test func noColorTurnsColourOffOnATerminal() throws {
        let run = try Self.onTerminal(["read", "Captures/basic.pcap"], environment: ["NO_COLOR": "1"])
        #expect(run.status == 0)
        #expect(run.screen.contains("summary: 1 connection, 16 messages"))
        #expect(!run.screen.contains("\u{1B}["))
    }
}
