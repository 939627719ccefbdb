import Foundation
import Testing

/// HAR interoperability with mitmproxy, a real tool on both sides: it loads every HAR phxtap
/// writes, and phxtap reads the HAR that mitmproxy's own exporter writes for a WebSocket flow.
/// Skipped where mitmproxy is not installed.
@Suite(.enabled(if: Mitmproxy.available)) struct MitmproxyHARTests {
    static let script = Mitmproxy.script
    static func python(_ arguments: [String]) throws -> PhxtapRun { try Mitmproxy.python(arguments) }
}

/// Running mitmproxy's Python modules.
enum Mitmproxy {
    static let script = PhxtapProcess.packageRoot.appendingPathComponent("Tests/PhxtapCLITests/mitmproxy_har.py").path

    static var available: Bool {
        (try? python(["-c", "import mitmproxy.addons.savehar, mitmproxy.io"]).status) == 0
    }

    static func python(_ arguments: [String]) throws -> PhxtapRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return PhxtapRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
    }
}

extension MitmproxyHARTests {
    @Test func mitmproxyLoadsEveryHARPhxtapWrites() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-mitm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for capture in ExportGoldenTests.captures {
            let har = dir.appendingPathComponent("\(capture).har")
            _ = try PhxtapProcess.run(["read", "--format", "har", "-o", har.path, "Captures/\(capture).pcap"])
            let entries = try #require(
                (try JSONSerialization.jsonObject(with: Data(contentsOf: har)) as? [String: Any])
                    .flatMap { ($0["log"] as? [String: Any])?["entries"] as? [Any] })
            let run = try Self.python([Self.script, "load", har.path])
            #expect(run.status == 0, "\(capture): \(run.stderr)")
            #expect(run.stdout.split(separator: "\n").count == entries.count, "\(capture)")
        }
    }

    @Test(arguments: ["basic", "binary", "v1", "heartbeat"])
    func harFromMitmproxysExporterReadsLikeTheCapture(capture: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-mitm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let har = dir.appendingPathComponent("\(capture).har")
        let make = try Self.python([Self.script, "make", "Captures/\(capture).expected.jsonl", har.path]
            .map { $0.hasPrefix("Captures/") ? PhxtapProcess.packageRoot.appendingPathComponent($0).path : $0 })
        #expect(make.status == 0, "\(make.stderr)")
        let run = try PhxtapProcess.run(["read", "--format", "jsonl", har.path])
        #expect(run.status == 0, "\(run.stderr)")
        let messages = try ReadCommandTests.transcript(run).filter { $0["type"] as? String == "message" }.map { m in
            ReadCommandTests.Line(from: m["from"] as! String, opcode: m["opcode"] as! String,
                                  payload: (m["raw"] as? String) ?? (m["raw_base64"] as! String))
        }
        #expect(messages == (try ReadCommandTests.expected("\(capture).pcap")))
    }
}
