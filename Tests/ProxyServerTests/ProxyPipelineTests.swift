import Foundation
import Testing
import PcapSource
import PhoenixProtocol
import ProxyServer
import TapPipeline
import Transcript

/// The proxy with the project's Phoenix test server and real client libraries: the live
/// transcript and the transcript of the proxy's own `--pcap` capture must be the same lines.
@Suite(.serialized)
struct ProxyPipelineTests {
    /// Everything the live observer does in `phxtap proxy`: pipeline and capture writer.
    final class Recorder: @unchecked Sendable {
        var pipeline = Pipeline()
        var records: [TranscriptRecord] = []
        var pcap = PcapWriter()
        var capture = PcapWriter.fileHeader()

        func handle(_ event: ConnectionEvent) {
            capture += pcap.records(for: event)
            pipeline.handle(event, into: &records)
        }
    }

    static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers")

    @Test func liveTranscriptEqualsTheTranscriptOfItsCapture() async throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", Self.peers.appendingPathComponent("phoenix_test_server.py").path, "--port", "0"]
        let serverOut = Pipe()
        server.standardOutput = serverOut
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL) }
        let line = await PeerProcess.offMain { () -> String in
            var data = Data()
            while true {
                let byte = serverOut.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty || byte == Data([0x0a]) { return String(decoding: data, as: UTF8.self) }
                data.append(byte)
            }
        }
        let port = try #require(line.split(separator: " ").last.flatMap { Int($0) }, "server said \(line)")

        let recorder = Recorder()
        let proxy = PhoenixProxy(
            config: ProxyConfiguration(upstream: UpstreamURL(host: "127.0.0.1", port: port, useTLS: false), listenPort: 0),
            observer: { recorder.handle($0) })
        let proxyPort = try #require(try await proxy.start().port)

        let log = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-clients-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: log) }
        let clients = Process()
        clients.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        clients.arguments = [
            "python3", Self.peers.appendingPathComponent("run_clients.py").path, "--url", "ws://127.0.0.1:\(proxyPort)",
            "--log", log.path, "--timeout", "20",
        ]
        let clientsOut = Pipe()
        clients.standardOutput = clientsOut
        clients.standardError = FileHandle.nullDevice
        try clients.run()
        let summary = await PeerProcess.offMain { () -> String in
            let data = clientsOut.fileHandleForReading.readDataToEndOfFile()
            clients.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        await proxy.shutdown()

        // Every client scenario (real libraries, raw V1/V2, LongPoll, refusal) worked through the proxy.
        let scenarios = summary.split(separator: "\n").filter { $0.contains("\"scenario\"") }
        #expect(scenarios.count >= 8, "\(summary)")
        #expect(scenarios.allSatisfy { $0.contains("\"ok\": true") }, "\(summary)")

        let live = recorder.records + recorder.pipeline.finish()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("phxtap-\(UUID().uuidString).pcap").path
        try Data(recorder.capture).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var offlinePipeline = Pipeline()
        var offline: [TranscriptRecord] = []
        let report = CaptureReader.read(paths: [path]) { offlinePipeline.handle($0, into: &offline) }
        offline += offlinePipeline.finish()
        #expect(report.problems.isEmpty, "\(report.problems)")

        let messages = live.filter { if case .message = $0 { return true } else { return false } }.count
        #expect(messages > 100)
        #expect(live.count == offline.count)
        for (a, b) in zip(live, offline) where a != b {
            Issue.record("live and capture differ:\n\(String(decoding: JSONLinesEncoder.line(a), as: UTF8.self))\(String(decoding: JSONLinesEncoder.line(b), as: UTF8.self))")
            break
        }
    }
}
